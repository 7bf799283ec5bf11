"""Each distinct conclusion's document stored once: the ``bodies`` table (content-addressed by SHA-256), and
identity and finding rows that name a body and hold their own values (``body``, ``vals``) instead of the
whole document (``data`` becomes optional; rows written before keep theirs).

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from camaudit.store.schema import DeviceText, JSONText

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bodies",
        sa.Column("hash", sa.Text, primary_key=True),
        sa.Column("text", DeviceText, nullable=False),
    )
    for table in ("identities", "findings"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("body", sa.Text))
            batch.add_column(sa.Column("vals", sa.Text))
            batch.alter_column("data", existing_type=JSONText(), nullable=True)
