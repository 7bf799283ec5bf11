"""The store on SQLite and on PostgreSQL: migrations, the legacy SQLite layout, read-back, transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from camaudit.model import Finding, HostResult, Identity, Observation
from camaudit.store import StoreError, migrate, open_store
from camaudit.store.schema import metadata

# the schema as the hand-rolled migrations of earlier versions left it (a store a user may already have)
LEGACY_SCHEMA = """
CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL);
CREATE TABLE scans (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL,
    finished_at TEXT, targets TEXT NOT NULL DEFAULT '[]', options TEXT NOT NULL DEFAULT '{}', source TEXT,
    source_hash TEXT, hosts_total INTEGER);
CREATE TABLE hosts (scan_id INTEGER NOT NULL REFERENCES scans(id), address TEXT NOT NULL, open_ports TEXT NOT NULL,
    errors TEXT NOT NULL, truncated INTEGER NOT NULL DEFAULT 0, scanned_at TEXT NOT NULL,
    PRIMARY KEY (scan_id, address));
CREATE TABLE observations (scan_id INTEGER NOT NULL REFERENCES scans(id), id TEXT NOT NULL, device TEXT,
    address TEXT, port INTEGER, mac TEXT, protocol TEXT NOT NULL, request TEXT, response TEXT NOT NULL,
    observed_at TEXT, PRIMARY KEY (scan_id, id));
CREATE TABLE identities (scan_id INTEGER NOT NULL REFERENCES scans(id), device TEXT NOT NULL, address TEXT,
    manufacturer TEXT, brand TEXT, model TEXT, firmware TEXT, device_type TEXT, confidence REAL NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (scan_id, device));
CREATE TABLE findings (scan_id INTEGER NOT NULL REFERENCES scans(id), device TEXT NOT NULL, kind TEXT NOT NULL,
    finding_id TEXT NOT NULL, status TEXT NOT NULL, certainty TEXT NOT NULL, severity TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (scan_id, device, kind, finding_id));
CREATE INDEX findings_by_status ON findings (scan_id, kind, status);
ALTER TABLE hosts ADD COLUMN incomplete INTEGER NOT NULL DEFAULT 0;
INSERT INTO migrations VALUES ('0001-initial', '2026-01-01T00:00:00Z'),
    ('0002-hosts-incomplete', '2026-01-01T00:00:00Z');
INSERT INTO scans VALUES (1, 'scan', 'complete', '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', '["127.0.0.1"]',
    '{"ports": [554]}', NULL, NULL, 1);
INSERT INTO hosts VALUES (1, '127.0.0.1', '[554]', '[]', 0, '2026-01-01T00:00:30Z', 0);
INSERT INTO observations VALUES (1, 'o1', '127.0.0.1', '127.0.0.1', 554, NULL, 'rtsp', NULL, 'RTSP/1.0 200 OK',
    '2026-01-01T00:00:30Z');
"""


def _identity(device: str, maker: str | None = "Hikvision") -> Identity:
    return Identity(device=device, ids=("o1",), address=device, manufacturer=maker, brand=None, model="DS-2CD",
                    firmware=None, device_type="IP Camera", confidence=0.9, evidence=(), capabilities=("audio",))


def _finding(device: str, text: str = "d") -> Finding:
    return Finding(device=device, kind="restriction", id="us-ndaa-889", status="covered", certainty="certain",
                   severity="high", title="t", detail=text, evidence=(), sources=())


def test_migrated_schema_is_the_metadata(store_location: str) -> None:
    store = open_store(store_location)
    try:
        assert migrate.current(store.conn) == migrate.head() == migrate.HEAD  # the constant opening checks
        assert migrate.current(store.conn) == MigrationContext.configure(store.conn).get_current_revision()
        assert compare_metadata(MigrationContext.configure(store.conn), metadata) == []
    finally:
        store.close()
    open_store(store_location).close()  # opening again migrates nothing


def test_legacy_sqlite_store_is_stamped_and_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    legacy = sqlite3.connect(db)
    legacy.executescript(LEGACY_SCHEMA)
    legacy.close()
    store = open_store(str(db))
    try:
        assert migrate.current(store.conn) == migrate.head()
        # the same tables, columns, keys and indexes (the old DDL's declared types differ in name only, and
        # SQLite reports its INTEGER PRIMARY KEY as nullable)
        context = MigrationContext.configure(store.conn, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
        assert [(d[0][0], d[0][2], d[0][3]) for d in differences] in ([], [("modify_nullable", "scans", "id")])
        assert store.scan(1)["options"] == {"ports": [554]} and store.scanned_addresses(1) == {"127.0.0.1"}
        assert [o.id for o in store.observations(1)] == ["o1"]
        scan = store.begin_scan("scan", ["127.0.0.1"], {}, 1)
        assert scan == 2 and store.latest_scan() == 2
    finally:
        store.close()


def test_host_commit_and_read_back(store: object) -> None:
    from camaudit.store import Store

    assert isinstance(store, Store)
    scan = store.begin_scan("scan", ["127.0.0.1"], {"ports": [554]}, 1)
    # a device may send NUL and other control characters: kept exactly on both databases
    obs = Observation(id="o1", protocol="rtsp", response="RTSP/1.0 200 OK\r\n\x00\x01camaudit:escaped\x01",
                      address="127.0.0.1", port=554, request="\x01camaudit:escaped\x01 \x01 no NUL",
                      observed_at="2026-01-01T00:00:00Z")
    identity, finding = _identity("127.0.0.1"), _finding("127.0.0.1", "a \x00 in the text")
    store.commit_host(scan, HostResult("127.0.0.1", (554,), (obs,)), [identity], [finding])
    assert store.scanned_addresses(scan) == {"127.0.0.1"}
    assert list(store.observations(scan)) == [obs]
    assert store.identities(scan) == [identity] and store.findings(scan) == [finding]
    assert store.hosts(scan)[0]["open_ports"] == [554]
    assert store.scan(scan)["options"] == {"ports": [554]} and store.scan(scan)["status"] == "running"
    store.finish_scan(scan)
    assert store.latest_scan() == scan and store.scan(scan)["status"] == "complete"
    assert store.covered_devices() == [(scan, "127.0.0.1", "127.0.0.1")]


def test_rows_are_replaced_by_key_and_a_transaction_is_all_or_nothing(store: object) -> None:
    from camaudit.store import Store

    assert isinstance(store, Store)
    scan = store.begin_scan("import", ["x"], {}, None, source="x", source_hash="h")
    with store.transaction():
        store.add_rows(scan, [], [_identity("a", "Dahua"), _identity("a", "Hikvision")], [_finding("a")])
        store.add_rows(scan, [], [], [_finding("a", "second")])
    assert [i.manufacturer for i in store.identities(scan)] == ["Hikvision"]
    assert [f.detail for f in store.findings(scan)] == ["second"]
    with pytest.raises(RuntimeError), store.transaction():
        store.add_rows(scan, [], [_identity("b")], [])
        raise RuntimeError("cut off")
    assert [i.device for i in store.identities(scan)] == ["a"]
    assert store.import_of("h", complete=False) == [scan] and store.import_of("h") == []
    store.forget_scan(scan)
    assert store.counts() == {"scans": 0, "hosts": 0, "observations": 0, "identities": 0, "findings": 0}


def test_observations_by_device_keep_their_arrival_order(store: object) -> None:
    from camaudit.store import Store

    assert isinstance(store, Store)
    scan = store.begin_scan("import", ["x"], {}, None)
    names = ["z9", "a1", "m5", "b2"]
    with store.transaction():
        for n, name in enumerate(names):
            store.add_rows(scan, [Observation(id=name, protocol="other", response="r", device=f"d{n % 2}")], [], [])
        grouped = [(device, [o.id for o in group]) for device, group in store.observations_by_device(scan)]
        # every record numbered by add_rows: the import's reading without the id tie-break gives the same
        unique = [(device, [o.id for o in group])
                  for device, group in store.observations_by_device(scan, judging=True, seq_unique=True)]
    assert grouped == unique == [("d0", ["z9", "m5"]), ("d1", ["a1", "b2"])]
    assert store.devices_observed(scan) == 2


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "junk.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a camaudit database"):
        open_store(str(bad))


def test_unreachable_postgres_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open") as caught:
        open_store(f"postgresql://someone:secret@/camaudit?host={tmp_path}")
    assert "secret" not in str(caught.value)


def test_empty_store_says_what_to_do(store_location: str) -> None:
    store = open_store(store_location)
    try:
        with pytest.raises(StoreError, match="camaudit scan"):
            store.latest_scan()
    finally:
        store.close()


def test_a_new_sqlite_store_has_large_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    """A new store is made with 16 KiB pages (fewer pages to write for an import's rows); a store made before,
    with the default 4 KiB, keeps them and works as before (a page size changes only by VACUUM)."""
    from camaudit.store.core import PAGE_SIZE

    new = tmp_path / "new.db"
    store = open_store(str(new))
    store.close()
    old = tmp_path / "old.db"
    con = sqlite3.connect(old)
    con.execute("PRAGMA page_size = 4096")
    con.execute("CREATE TABLE before_camaudit (x INTEGER)")  # a database with content: its page size is fixed
    con.close()
    store = open_store(str(old))
    scan = store.begin_scan("import", ["x"], {}, None)
    store.finish_scan(scan)
    assert store.scan(scan)["status"] == "complete"
    store.close()
    sizes = {name: sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
             for name, path in (("new", new), ("old", old))}
    assert sizes == {"new": PAGE_SIZE, "old": 4096}
    assert sqlite3.connect(new).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
