"""Bring a store's schema up to date with the Alembic migrations shipped in ``store/migrations``.

Run on every open (users need no alembic.ini): a store already at the newest revision costs one query.
A SQLite store made by earlier versions, whose hand-rolled migrations were recorded in a ``migrations``
table (``0001-initial``, ``0002-hosts-incomplete``), is stamped with the matching Alembic revision, that
table is dropped, and the later revisions run from there.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, MetaData, Table, Text, inspect, select

MIGRATIONS = Path(__file__).with_name("migrations")

# what the hand-rolled migrations of earlier versions recorded, and the revision each one equals
LEGACY = {"0001-initial": "0001", "0002-hosts-incomplete": "0002"}
_legacy = Table("migrations", MetaData(), Column("name", Text, primary_key=True), Column("applied_at", Text))


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def head() -> str:
    """The newest revision shipped."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(connection: Connection) -> str | None:
    """The revision the database is at (None: not an Alembic-managed store)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> None:
    """Migrate to the newest revision and commit."""
    if current(connection) == head():
        connection.commit()
        return
    config = _config(connection)
    names = set(inspect(connection).get_table_names())
    if "alembic_version" not in names and "migrations" in names:
        done = {row[0] for row in connection.execute(select(_legacy.c.name))}
        reached = [revision for name, revision in LEGACY.items() if name in done]
        if reached:
            command.stamp(config, max(reached))
        _legacy.drop(connection)
    command.upgrade(config, "head")
    connection.commit()
