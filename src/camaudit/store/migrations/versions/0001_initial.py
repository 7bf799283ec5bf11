"""The first schema (the hand-rolled migration ``0001-initial`` of earlier versions created the same).

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from camaudit.store.schema import DeviceText, Document, JSONText

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text),
        sa.Column("targets", Document, nullable=False),
        sa.Column("options", Document, nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("source_hash", sa.Text),
        sa.Column("hosts_total", sa.Integer),
    )
    op.create_table(
        "hosts",
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id"), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("open_ports", JSONText(binary=True), nullable=False),
        sa.Column("errors", JSONText(binary=True), nullable=False),
        sa.Column("truncated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("scanned_at", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("scan_id", "address"),
    )
    op.create_table(
        "observations",
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id"), nullable=False),
        sa.Column("id", DeviceText, nullable=False),
        sa.Column("device", DeviceText),
        sa.Column("address", sa.Text),
        sa.Column("port", sa.Integer),
        sa.Column("mac", DeviceText),
        sa.Column("protocol", sa.Text, nullable=False),
        sa.Column("request", DeviceText),
        sa.Column("response", DeviceText, nullable=False),
        sa.Column("observed_at", sa.Text),
        sa.PrimaryKeyConstraint("scan_id", "id"),
    )
    op.create_table(
        "identities",
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id"), nullable=False),
        sa.Column("device", DeviceText, nullable=False),
        sa.Column("address", sa.Text),
        sa.Column("manufacturer", DeviceText),
        sa.Column("brand", DeviceText),
        sa.Column("model", DeviceText),
        sa.Column("firmware", DeviceText),
        sa.Column("device_type", sa.Text),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("data", JSONText, nullable=False),
        sa.PrimaryKeyConstraint("scan_id", "device"),
    )
    op.create_table(
        "findings",
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id"), nullable=False),
        sa.Column("device", DeviceText, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("finding_id", DeviceText, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("certainty", sa.Text, nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
        sa.Column("data", JSONText, nullable=False),
        sa.PrimaryKeyConstraint("scan_id", "device", "kind", "finding_id"),
    )
    op.create_index("findings_by_status", "findings", ["scan_id", "kind", "status"])
