"""A device's findings that share their values kept as one row: the ``finding_sets`` table (see
:mod:`camaudit.store.schema`). Rows written before stay in ``findings``; both are read.

Revision ID: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from camaudit.store.schema import DeviceText

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finding_sets",
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id"), nullable=False),
        sa.Column("device", DeviceText, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("vals", sa.Text, nullable=False),
        sa.Column("covered", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("scan_id", "device", "body"),
    )
    op.create_index("finding_sets_by_covered", "finding_sets", ["covered", "scan_id", "device"])

