"""Bring a store's schema up to date with the Alembic migrations shipped in ``store/migrations``.

Run on every open (users need no alembic.ini): a store already at the newest revision costs one query, and
Alembic itself is imported only when a store needs migrating (its import is about a tenth of a second, paid by
every command otherwise; :data:`HEAD` is checked against Alembic's own head by the tests).
A SQLite store made by earlier versions, whose hand-rolled migrations were recorded in a ``migrations``
table (``0001-initial``, ``0002-hosts-incomplete``), is stamped with the matching Alembic revision, that
table is dropped, and the later revisions run from there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Connection, MetaData, Table, Text, inspect, select

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")

# what the hand-rolled migrations of earlier versions recorded, and the revision each one equals
LEGACY = {"0001-initial": "0001", "0002-hosts-incomplete": "0002"}
_legacy = Table("migrations", MetaData(), Column("name", Text, primary_key=True), Column("applied_at", Text))
#: Alembic's own record of a store's revision (a table of one row)
_version = Table("alembic_version", MetaData(), Column("version_num", Text, primary_key=True))
#: the newest revision in ``store/migrations/versions`` (tests/test_store.py checks it is Alembic's head)
HEAD = "0006"


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision shipped, as Alembic reads it from the migration scripts."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(connection: Connection) -> str | None:
    """The revision the database is at (None: not an Alembic-managed store)."""
    if not inspect(connection).has_table(_version.name):
        return None
    versions = [row[0] for row in connection.execute(select(_version.c.version_num))]
    return versions[0] if len(versions) == 1 else None


def upgrade(connection: Connection) -> None:
    """Migrate to the newest revision and commit."""
    if current(connection) == HEAD:
        connection.commit()
        return
    from alembic import command

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
