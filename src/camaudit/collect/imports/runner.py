"""Run imports: each file -> evidence records -> identities -> findings -> the store, as one scan.

Each file becomes one scan row (kind ``import``) carrying its path and SHA-256. A file whose hash is
already in the store as a complete import adds nothing. The file is read as a stream; its records go to
the store as they come (in batches), are then read back grouped by device, identified and assessed with
the same stages a live scan uses. All of one file's rows are written in ONE transaction: a malformed file
(or an interrupt) rolls back everything it added and removes its scan row, so the store is exactly as it
was before that file; files imported before it stay.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from camaudit.collect.imports.interface import ImportError_, MalformedInput
from camaudit.collect.imports.registry import choose
from camaudit.judge import DeviceJudge, FindingRow, IdentityRow
from camaudit.model import Observation
from camaudit.pipeline.stages import Stages
from camaudit.progress import Progress
from camaudit.store import Store
from camaudit.store.sqlite import now

BATCH = 2000


@dataclass
class FileResult:
    path: str
    sha256: str
    format: str | None
    scan_id: int | None
    records: int = 0
    devices: int = 0
    identified: int = 0
    covered_certain: int = 0
    covered_probable: int = 0
    already: int | None = None  # the earlier scan holding this same file, when nothing was added

    def line(self) -> str:
        if self.already is not None:
            return (f"{self.path}: already imported as scan {self.already} (same SHA-256 {self.sha256[:12]}...); "
                    "nothing added")
        return (f"{self.path}: scan {self.scan_id} ({self.format}): {self.records} record(s), {self.devices} "
                f"device(s), {self.identified} identified; restricted maker: {self.covered_certain} certain, "
                f"{self.covered_probable} probable")


@dataclass
class ImportSummary:
    files: list[FileResult] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(1 for f in self.files if f.already is None)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _already(store: Store, digest: str) -> int | None:
    row = store.db.execute(
        "SELECT id FROM scans WHERE kind = 'import' AND source_hash = ? AND status = 'complete' ORDER BY id LIMIT 1",
        (digest,),
    ).fetchone()
    return int(row[0]) if row else None


def _forget(store: Store, scan_id: int) -> None:
    """Remove a failed import's scan row and anything that reached the store under it."""
    with store.db:
        for table in ("findings", "identities", "observations", "hosts"):
            store.db.execute(f"DELETE FROM {table} WHERE scan_id = ?", (scan_id,))
        store.db.execute("DELETE FROM scans WHERE id = ?", (scan_id,))


def _grouped(store: Store, scan_id: int) -> Iterator[tuple[str, list[Observation]]]:
    """The scan's records, one device at a time (sorted by SQLite, so memory holds one device)."""
    cursor = store.db.cursor()
    cursor.execute(
        "SELECT id, device, address, port, mac, protocol, request, response, observed_at FROM observations"
        " WHERE scan_id = ? ORDER BY device, rowid", (scan_id,))
    key: str | None = None
    group: list[Observation] = []
    while rows := cursor.fetchmany(BATCH):
        for r in rows:
            obs = Observation(id=r[0], device=r[1], address=r[2], port=r[3], mac=r[4], protocol=r[5], request=r[6],
                              response=r[7], observed_at=r[8])
            if r[1] != key and group:
                yield str(key), group
                group = []
            key = r[1]
            group.append(obs)
    if group:
        yield str(key), group
    cursor.close()


def import_file(store: Store, path: Path, fmt: str = "auto", site: str | None = None,
                column_map: Mapping[str, str] | None = None, progress: bool = True,
                stages: Stages | None = None) -> FileResult:
    if not path.is_file():
        raise ImportError_(f"{path}: no such file")
    digest = sha256_of(path)
    earlier = _already(store, digest)
    if earlier is not None:
        return FileResult(str(path), digest, None, None, already=earlier)
    # a file whose earlier import never completed (killed mid-way) is imported afresh
    for (stale,) in store.db.execute("SELECT id FROM scans WHERE kind = 'import' AND source_hash = ? AND "
                                     "status != 'complete'", (digest,)).fetchall():
        _forget(store, int(stale))
    importer = choose(path, fmt, column_map, site)
    stages = stages or Stages.default()
    options = {"format": importer.name, "site": site, "column_map": dict(column_map or {})}
    scan_id = store.begin_scan("import", [str(path)], options, None, source=str(path.resolve()), source_hash=digest)
    result = FileResult(str(path), digest, importer.name, scan_id)
    try:
        with store.db:  # one transaction for the whole file: all of it, or none of it
            bar = Progress(path.stat().st_size or None, f"reading {path.name}", enabled=progress)
            batch: list[Observation] = []
            for obs in importer.read(path, bar):
                batch.append(obs)
                result.records += 1
                if len(batch) >= BATCH:
                    store.add_rows(scan_id, batch, [], [])
                    batch = []
                    bar.note = f"{result.records:,} records"
            store.add_rows(scan_id, batch, [], [])
            bar.note = f"{result.records:,} records"
            bar.finish()
            _identify(store, scan_id, stages, result, progress)
            store.db.execute("UPDATE scans SET status = 'complete', finished_at = ?, hosts_total = ? WHERE id = ?",
                             (now(), result.devices, scan_id))
    except BaseException:
        _forget(store, scan_id)
        raise
    return result


def _identify(store: Store, scan_id: int, stages: Stages, result: FileResult, progress: bool) -> None:
    total = store.db.execute("SELECT count(DISTINCT device) FROM observations WHERE scan_id = ?",
                             (scan_id,)).fetchone()[0]
    bar = Progress(int(total) or None, "identifying", enabled=progress)
    judge = DeviceJudge(stages)
    identities: list[IdentityRow] = []
    findings: list[FindingRow] = []
    hosts: list[tuple[object, ...]] = []
    stamp = now()
    for device, group in _grouped(store, scan_id):
        ports = tuple(sorted({o.port for o in group if o.port}))
        judged = judge.judge(device, group, ports)
        identities.append(judged.identity)
        findings.extend(judged.findings)
        address = judged.identity[1]
        if address:
            hosts.append((scan_id, address, json.dumps(list(ports)), "[]", 0, stamp))
        result.devices += 1
        result.identified += judged.manufacturer is not None
        result.covered_certain += judged.covered == "certain"
        result.covered_probable += judged.covered == "probable"
        if len(identities) >= BATCH:
            _write(store, scan_id, identities, findings, hosts)
            identities, findings, hosts = [], [], []
            bar.note = f"{result.identified:,} identified"
        bar.advance()
    _write(store, scan_id, identities, findings, hosts)
    bar.finish()


def _write(store: Store, scan_id: int, identities: Sequence[IdentityRow], findings: Sequence[FindingRow],
           hosts: Sequence[tuple[object, ...]]) -> None:
    store.add_rows_raw(scan_id, identities, findings)
    # several devices may share an address (register rows keyed by serial): one host row per address
    store.db.executemany("INSERT OR REPLACE INTO hosts (scan_id, address, open_ports, errors, truncated, scanned_at)"
                         " VALUES (?, ?, ?, ?, ?, ?)", hosts)


def run_import(store: Store, paths: Sequence[str | Path], fmt: str = "auto", site: str | None = None,
               column_map: Mapping[str, str] | None = None, progress: bool = True,
               stages: Stages | None = None) -> ImportSummary:
    """Import each file in turn; the first malformed file raises (:class:`MalformedInput`) after its own
    rows were rolled back. Files imported before it are kept."""
    summary = ImportSummary()
    stages = stages or Stages.default()
    for item in paths:
        try:
            summary.files.append(import_file(store, Path(item), fmt, site, column_map, progress, stages))
        except sqlite3.DatabaseError as exc:
            raise ImportError_(f"{item}: the store refused the import ({exc}); nothing of this file was kept") \
                from exc
    return summary


__all__ = ["FileResult", "ImportSummary", "MalformedInput", "import_file", "run_import", "sha256_of"]
