"""A host the scanner could not check fully for want of its own resources: resume probes it again (the
hand-rolled migration ``0002-hosts-incomplete`` of earlier versions did the same).

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("hosts", sa.Column("incomplete", sa.Integer, nullable=False, server_default="0"))
