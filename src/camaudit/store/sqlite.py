"""SQLite store (the default), in WAL mode. Finished hosts are committed in batches, each batch one
transaction, so a scan killed at any moment (even ``kill -9``) keeps every batch committed before it, the
database stays whole, and ``--resume`` carries on from the rest.

The SQL is kept to what PostgreSQL also accepts; ``open_store`` takes a path or a URL so a PostgreSQL
backend can be added behind the same :class:`Store` methods.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from camaudit import fastjson
from camaudit.model import Finding, HostResult, Identity, Observation

if TYPE_CHECKING:
    from camaudit.pipeline.stages import Analysis
from camaudit.store.schema import MIGRATIONS

DEFAULT_DB = "camaudit.db"


class StoreError(RuntimeError):
    """The store cannot be opened or used as asked."""


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    def __init__(self, connection: sqlite3.Connection, where: str) -> None:
        self.db = connection
        self.where = where
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys = ON")
        if where != ":memory:":
            # WAL: readers never block the scan's writer, a commit is one append (no journal file to create
            # each time, which is what failed when file descriptors ran out), and NORMAL synchronisation keeps
            # every committed transaction through a killed process (only a power cut may lose the last few)
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
        self._migrate()

    def _migrate(self) -> None:
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {row[0] for row in self.db.execute("SELECT name FROM migrations")}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.db:
                self.db.executescript("BEGIN;" + sql + f"INSERT INTO migrations VALUES ('{name}', '{now()}');COMMIT;")

    def close(self) -> None:
        self.db.close()

    # scans -----------------------------------------------------------------------------------------
    def begin_scan(self, kind: str, targets: Sequence[str], options: dict[str, Any], hosts_total: int | None,
                   source: str | None = None, source_hash: str | None = None) -> int:
        with self.db:
            cur = self.db.execute(
                "INSERT INTO scans (kind, status, started_at, targets, options, source, source_hash, hosts_total)"
                " VALUES (?, 'running', ?, ?, ?, ?, ?, ?)",
                (kind, now(), json.dumps(list(targets)), json.dumps(options), source, source_hash, hosts_total),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def mark_scan(self, scan_id: int, status: str) -> None:
        with self.db:
            self.db.execute("UPDATE scans SET status = ?, finished_at = NULL WHERE id = ?", (status, scan_id))

    def finish_scan(self, scan_id: int, status: str = "complete") -> None:
        with self.db:
            self.db.execute("UPDATE scans SET status = ?, finished_at = ? WHERE id = ?", (status, now(), scan_id))

    def scan(self, scan_id: int) -> dict[str, Any]:
        row = self.db.execute("SELECT * FROM scans WHERE id = ?", (scan_id,)).fetchone()
        if row is None:
            raise StoreError(f"no scan {scan_id} in {self.where}")
        out = dict(row)
        out["targets"] = json.loads(out["targets"])
        out["options"] = json.loads(out["options"])
        return out

    def scans(self) -> list[dict[str, Any]]:
        return [self.scan(row[0]) for row in self.db.execute("SELECT id FROM scans ORDER BY id")]

    def latest_scan(self) -> int:
        row = self.db.execute("SELECT max(id) FROM scans").fetchone()
        if row is None or row[0] is None:
            raise StoreError(f"{self.where} holds no scans yet: run 'camaudit scan' or 'camaudit demo' first")
        return int(row[0])

    def scanned_addresses(self, scan_id: int) -> set[str]:
        """Addresses of the scan that are done: a host the scanner could not check fully is not (resume
        probes it again)."""
        return {r[0] for r in self.db.execute("SELECT address FROM hosts WHERE scan_id = ? AND incomplete = 0",
                                              (scan_id,))}

    # results ---------------------------------------------------------------------------------------
    def commit_host(self, scan_id: int, result: HostResult, identities: Sequence[Identity],
                    findings: Sequence[Finding]) -> None:
        """One host, all it yielded, in one transaction."""
        with self.db:
            self.add_hosts(scan_id, [result])
            self.add_rows(scan_id, result.observations, identities, findings)

    def commit_hosts(self, scan_id: int, batch: Sequence[tuple[HostResult, Analysis]]) -> None:
        """Many finished hosts, with what identification and assessment made of them, in one transaction."""
        with self.db:
            self.add_hosts(scan_id, [result for result, _ in batch])
            self.add_rows(scan_id, [o for result, _ in batch for o in result.observations],
                          [i for _, analysis in batch for i in analysis.identities],
                          [f for _, analysis in batch for f in analysis.findings])

    def add_hosts(self, scan_id: int, results: Sequence[HostResult]) -> None:
        """Host rows without committing."""
        stamp = now()
        self.db.executemany(
            "INSERT OR REPLACE INTO hosts (scan_id, address, open_ports, errors, truncated, scanned_at, incomplete)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(scan_id, r.address, json.dumps(list(r.open_ports)), json.dumps(list(r.errors)), int(r.truncated),
              stamp, int(r.incomplete)) for r in results],
        )

    def add_results(self, scan_id: int, observations: Sequence[Observation], identities: Sequence[Identity],
                    findings: Sequence[Finding]) -> None:
        with self.db:
            self.add_rows(scan_id, observations, identities, findings)

    def add_rows(self, scan_id: int, observations: Sequence[Observation], identities: Sequence[Identity],
                 findings: Sequence[Finding]) -> None:
        """Write rows without committing: for callers that hold one transaction over many batches
        (an import is all-or-nothing per file)."""
        stamp = now()
        self.db.executemany(
            "INSERT OR REPLACE INTO observations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(scan_id, o.id, o.device, o.address, o.port, o.mac, o.protocol, o.request, o.response,
              o.observed_at or stamp) for o in observations],
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO identities VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(scan_id, i.device, i.address, i.manufacturer, i.brand, i.model, i.firmware, i.device_type,
              i.confidence, fastjson.dumps(i.to_dict())) for i in identities],
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(scan_id, f.device, f.kind, f.id, f.status, f.certainty, f.severity, fastjson.dumps(f.to_dict()))
             for f in findings],
        )

    def add_rows_raw(self, scan_id: int, identities: Sequence[Sequence[object]],
                     findings: Sequence[Sequence[object]]) -> None:
        """Identity and finding rows already in column order (camaudit.judge), without committing."""
        self.db.executemany("INSERT OR REPLACE INTO identities VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [(scan_id, *row) for row in identities])
        self.db.executemany("INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [(scan_id, *row) for row in findings])

    def hosts(self, scan_id: int) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM hosts WHERE scan_id = ? ORDER BY address", (scan_id,))
        out = []
        for row in rows:
            item = dict(row)
            item["open_ports"] = json.loads(item["open_ports"])
            item["errors"] = json.loads(item["errors"])
            out.append(item)
        return out

    def identities(self, scan_id: int) -> list[Identity]:
        rows = self.db.execute("SELECT data FROM identities WHERE scan_id = ? ORDER BY address, device", (scan_id,))
        return [Identity.from_dict(fastjson.loads(r[0])) for r in rows]

    def findings(self, scan_id: int) -> list[Finding]:
        rows = self.db.execute("SELECT data FROM findings WHERE scan_id = ? ORDER BY device, kind, finding_id",
                               (scan_id,))
        return [Finding.from_dict(fastjson.loads(r[0])) for r in rows]

    def observations(self, scan_id: int) -> Iterator[Observation]:
        rows = self.db.execute("SELECT * FROM observations WHERE scan_id = ? ORDER BY address, port, id", (scan_id,))
        for r in rows:
            yield Observation(id=r["id"], protocol=r["protocol"], response=r["response"], device=r["device"],
                              address=r["address"], port=r["port"], mac=r["mac"], request=r["request"],
                              observed_at=r["observed_at"])


def open_store(location: str | None) -> Store:
    """A store from a file path (SQLite) or a URL (``sqlite:///path``; ``postgresql://`` is not built yet)."""
    where = location or DEFAULT_DB
    if where.startswith(("postgresql://", "postgres://")):
        raise StoreError(
            "PostgreSQL stores are planned but not built yet; use a SQLite file path (the default) for now"
        )
    if where.startswith("sqlite:///"):
        where = where[len("sqlite:///"):]
    elif "://" in where:
        raise StoreError(f"unknown database URL {where!r}: give a file path or sqlite:///path")
    path = Path(where)
    if path.parent and not path.parent.exists():
        raise StoreError(f"cannot create {where}: folder {path.parent} does not exist")
    try:
        connection = sqlite3.connect(str(path), timeout=30)
        return Store(connection, where)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{where} is not a camaudit database ({exc})") from exc
