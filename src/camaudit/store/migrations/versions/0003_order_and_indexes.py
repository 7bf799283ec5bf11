"""The order records arrived in (an import groups them by device in that order; SQLite's rowid did this
before, which PostgreSQL has not), and indexes for what imports, diff, the burn-down and the dashboard ask.

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("observations", sa.Column("seq", sa.Integer))
    op.create_index("scans_by_source_hash", "scans", ["source_hash"])
    op.create_index("observations_by_device", "observations", ["scan_id", "device", "seq"])
    op.create_index("identities_by_address", "identities", ["scan_id", "address"])
    op.create_index("findings_by_kind_status", "findings", ["kind", "status", "scan_id", "device"])
