"""Fresh stores on each backend the tests run the store on: a SQLite file, and a database of its own on the
PostgreSQL server that scripts/with-postgres.sh starts (``CAMAUDIT_TEST_POSTGRES``), dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from camaudit.store.core import dispose, sqlalchemy_url

BACKENDS = ("sqlite", "postgresql")
NO_POSTGRES = "no PostgreSQL for the tests: CAMAUDIT_TEST_POSTGRES is not set (make test runs the suite under " \
              "scripts/with-postgres.sh, which sets it)"


def postgres_url() -> str:
    url = os.environ.get("CAMAUDIT_TEST_POSTGRES")
    if not url:
        pytest.skip(NO_POSTGRES)
    pytest.importorskip("psycopg")
    return url


@contextmanager
def fresh_location(backend: str, folder: Path, name: str = "test") -> Iterator[str]:
    """A location (file path or postgresql:// URL) of a store nobody used yet."""
    if backend == "sqlite":
        yield str(folder / f"{name}.db")
        return
    base = postgres_url()
    database = f"camaudit_{name.replace('-', '_')[:20]}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(sqlalchemy_url(base), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        url = make_url(base).set(database=database).render_as_string(hide_password=False)
        try:
            yield url
        finally:
            dispose(url)
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        admin.dispose()
