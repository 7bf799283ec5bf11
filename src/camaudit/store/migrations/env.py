"""Alembic environment for the store: always run programmatically, on the connection the store opened
(``config.attributes["connection"]``), never from an alembic.ini."""

from __future__ import annotations

from alembic import context

from camaudit.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
