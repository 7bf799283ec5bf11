"""Run imports: each file -> evidence records -> identities -> findings -> the store, as one scan.

Each file becomes one scan row (kind ``import``) carrying its path and SHA-256. A file whose hash is already
in the store as a complete import adds nothing. The file is read as a stream; its records go to the store as
they come (held by device, written one row per device per batch), are then read back grouped by device,
identified and assessed with the same stages a live scan uses. All of one file's rows are written in ONE
transaction: a malformed file (or an interrupt) rolls back everything it added and removes its scan row, so
the store is exactly as it was before that file; files imported before it stay.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from camaudit.collect.imports.interface import ImportError_, MalformedInput
from camaudit.collect.imports.registry import choose
from camaudit.collector import collector_aside
from camaudit.judge import DeviceJudge, FindingRow, IdentityRow, Part
from camaudit.model import Observation
from camaudit.pipeline.stages import Stages
from camaudit.progress import Progress
from camaudit.store import Store
from camaudit.store.core import record_json

BATCH = 2000  # devices judged between writes
HELD_RECORDS = 100_000  # records held by device before they are written (see _Held)
HELD_CHARS = 32 * 1024 * 1024  # ... or this much of their text


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
    earlier = store.import_of(digest)
    return earlier[0] if earlier else None


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
    for stale in store.import_of(digest, complete=False):
        store.forget_scan(stale)
    importer = choose(path, fmt, column_map, site)
    stages = stages or Stages.default()
    options = {"format": importer.name, "site": site, "column_map": dict(column_map or {})}
    scan_id = store.begin_scan("import", [str(path)], options, None, source=str(path.resolve()), source_hash=digest)
    result = FileResult(str(path), digest, importer.name, scan_id)
    try:
        with collector_aside(), store.transaction():  # one transaction for the whole file: all of it, or none
            bar = Progress(path.stat().st_size or None, f"reading {path.name}", enabled=progress)
            held = _Held(store, scan_id)
            for obs in importer.read(path, bar):
                held.add(obs)
                result.records += 1
                if held.full():
                    held.flush()
                    bar.note = f"{result.records:,} records"
            held.flush()
            bar.note = f"{result.records:,} records"
            bar.finish()
            _identify(store, scan_id, stages, result, progress)
            store.finish_scan(scan_id, "complete", hosts_total=result.devices)
    except BaseException:
        store.forget_scan(scan_id)
        raise
    return result


class _Held:
    """The records read and not yet written, by device, in the order they arrived, each already in its stored
    form (:func:`record_json`: one string, not a record object, so holding many costs little). Written
    as one ``observation_sets`` row per device (:meth:`Store.add_record_sets`) each time the buffer is full:
    the fewer the flushes, the fewer the rows. Bounded by record count and by stored text, so memory stays
    flat however large the file."""

    def __init__(self, store: Store, scan_id: int) -> None:
        self.store = store
        self.scan_id = scan_id
        self.groups: dict[str | None, list[str]] = {}
        self.count = 0
        self.size = 0

    def add(self, obs: Observation) -> None:
        item = record_json(obs)
        group = self.groups.get(obs.device)
        if group is None:
            self.groups[obs.device] = [item]
        else:
            group.append(item)
        self.count += 1
        self.size += len(item)

    def full(self) -> bool:
        return self.count >= HELD_RECORDS or self.size >= HELD_CHARS

    def flush(self) -> None:
        self.store.add_record_sets(self.scan_id, self.groups.items())
        self.groups = {}
        self.count = self.size = 0


def _identify(store: Store, scan_id: int, stages: Stages, result: FileResult, progress: bool) -> None:
    total = store.devices_observed(scan_id) if progress else None  # the bar's total only: no count without one
    bar = Progress(total or None, "identifying", enabled=progress)
    judge = DeviceJudge(stages)
    identities: list[tuple[object, ...]] = []
    findings: list[tuple[object, ...]] = []
    sets: list[tuple[object, ...]] = []
    bodies: dict[str, str] = {}
    hosts: list[tuple[str, tuple[int, ...]]] = []
    # every record of this scan was numbered by this import (Store.add_rows): no two share a seq
    for device, group in store.observations_by_device(scan_id, judging=True, seq_unique=True):
        ports = tuple(sorted({o.port for o in group if o.port}))
        judged = judge.judge(device, group, ports, fill=False)
        if judged.parts:
            _stored(scan_id, judged.identity, judged.parts[0], identities, bodies)
            for row, part in zip(judged.findings, judged.parts[1:], strict=True):
                _stored(scan_id, row, part, findings, bodies)
            for digest, body, vals, covered, size in judged.sets:
                bodies[digest] = body
                sets.append((scan_id, device, digest, vals, covered, size))
        else:
            identities.append((scan_id, *judged.identity, None, None))
            findings.extend((scan_id, *row, None, None) for row in judged.findings)
        address = judged.identity[1]
        if address:
            hosts.append((address, ports))
        result.devices += 1
        result.identified += judged.manufacturer is not None
        result.covered_certain += judged.covered == "certain"
        result.covered_probable += judged.covered == "probable"
        if len(identities) >= BATCH:
            _write(store, scan_id, identities, findings, sets, bodies, hosts)
            identities, findings, sets, bodies, hosts = [], [], [], {}, []
            bar.note = f"{result.identified:,} identified"
        bar.advance()
    _write(store, scan_id, identities, findings, sets, bodies, hosts)
    bar.finish()


def _stored(scan_id: int, row: IdentityRow | FindingRow, part: Part | None, rows: list[tuple[object, ...]],
            bodies: dict[str, str]) -> None:
    """A judged row as the store keeps it (in the table's column order, from ``scan_id``): its document in full,
    or its body's hash and its values."""
    if part is None:
        rows.append((scan_id, *row, None, None))
        return
    digest, body, vals = part
    bodies[digest] = body
    rows.append((scan_id, *row[:-1], None, digest, vals))


def _write(store: Store, scan_id: int, identities: Sequence[tuple[object, ...]], findings: Sequence[tuple[object, ...]],
           sets: Sequence[tuple[object, ...]], bodies: dict[str, str],
           hosts: Sequence[tuple[str, tuple[int, ...]]]) -> None:
    store.add_rows_raw(identities, findings, bodies, sets)
    # several devices may share an address (register rows keyed by serial): one host row per address
    store.add_host_rows(scan_id, hosts)


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
        except DBAPIError as exc:
            raise ImportError_(f"{item}: the store refused the import ({exc}); nothing of this file was kept") \
                from exc
    return summary


__all__ = ["FileResult", "ImportSummary", "MalformedInput", "import_file", "run_import", "sha256_of"]
