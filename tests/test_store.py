from __future__ import annotations

from pathlib import Path

import pytest

from camaudit.model import HostResult, Observation
from camaudit.store import StoreError, open_store


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    open_store(str(db)).close()
    store = open_store(f"sqlite:///{db}")
    from camaudit.store.schema import MIGRATIONS

    assert [r[0] for r in store.db.execute("SELECT name FROM migrations")] == [name for name, _ in MIGRATIONS]
    store.close()


def test_host_commit_and_read_back(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "b.db"))
    scan = store.begin_scan("scan", ["127.0.0.1"], {}, 1)
    obs = Observation(id="o1", protocol="rtsp", response="RTSP/1.0 200 OK", address="127.0.0.1", port=554)
    store.commit_host(scan, HostResult("127.0.0.1", (554,), (obs,)), [], [])
    assert store.scanned_addresses(scan) == {"127.0.0.1"}
    assert [o.id for o in store.observations(scan)] == ["o1"]
    store.finish_scan(scan)
    assert store.latest_scan() == scan
    store.close()


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "junk.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a camaudit database"):
        open_store(str(bad))


def test_postgres_url_is_explained() -> None:
    with pytest.raises(StoreError, match="PostgreSQL"):
        open_store("postgresql://localhost/camaudit")


def test_empty_store_says_what_to_do(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "c.db"))
    with pytest.raises(StoreError, match="camaudit scan"):
        store.latest_scan()
    store.close()
