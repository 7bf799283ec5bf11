"""Alembic migrations of the store, run by :func:`camaudit.store.migrate.upgrade` when a store is opened."""
