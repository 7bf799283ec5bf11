"""The store: every scan, observation, identity and finding, kept over time, in a SQLite file (the default)
or a PostgreSQL database, through SQLAlchemy Core; the schema is migrated by Alembic on open."""

from camaudit.store.core import DEFAULT_DB, Store, StoreError, open_store

__all__ = ["DEFAULT_DB", "Store", "StoreError", "open_store"]
