"""An import's records kept one row per device per batch: the ``observation_sets`` table (see
:mod:`camaudit.store.schema`). Rows written before stay in ``observations``; both are read.

Revision ID: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from camaudit.store.schema import DeviceText

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "observation_sets",
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("device", DeviceText),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("records", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("scan_id", "seq"),
    )
    op.create_index("observation_sets_by_device", "observation_sets", ["scan_id", "device", "seq"])
