"""Run imports: each file -> evidence records -> identities -> findings -> the store, as one scan.

Each file becomes one scan row (kind ``import``) carrying its path and SHA-256. A file whose hash is already
in the store as a complete import adds nothing. The file is read as a stream; its records are gathered by
device (in memory up to a bound, past it in hash partition files: :class:`_Grouper`), and each device is then
identified and assessed with the same stages a live scan uses, its records kept as one row. All of one file's
rows are written in ONE transaction: a malformed file (or an interrupt) rolls back everything it added and
removes its scan row, so the store is exactly as it was before that file; files imported before it stay.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy.exc import DBAPIError

from camaudit import fastjson
from camaudit.collect.imports.interface import ImportError_, MalformedInput
from camaudit.collect.imports.registry import choose
from camaudit.collector import collector_aside
from camaudit.judge import DeviceJudge, FindingRow, IdentityRow, Part
from camaudit.model import Observation
from camaudit.pipeline.stages import Stages
from camaudit.progress import Progress
from camaudit.store import Store
from camaudit.store.core import records_of, records_row

BATCH = 2000  # devices judged between writes
HELD_RECORDS = 50_000  # records held by device in memory (see _Grouper) ...
HELD_CHARS = 16 * 1024 * 1024  # ... or this much of their text; past either, they go to partition files
PARTITIONS = 64  # partition files past the bound: each holds about 1/64 of the records
SPILL_BUFFER = 64 * 1024  # each partition file's write buffer (4 MiB for the 64): an eighth of the system calls


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
            grouper = _Grouper(path)
            try:
                noted = BATCH
                for device, count, text in importer.stored(path, bar):
                    grouper.add_stored(device, count, text)
                    result.records += count
                    if result.records >= noted:
                        noted = result.records + BATCH
                        bar.note = f"{result.records:,} records"
                bar.note = f"{result.records:,} records"
                bar.finish()
                _identify(store, scan_id, stages, result, progress, grouper)
            finally:
                grouper.close()
            store.finish_scan(scan_id, "complete", hosts_total=result.devices)
    except BaseException:
        store.forget_scan(scan_id)
        raise
    return result


class _Grouper:
    """An import's records gathered by device, each already in its stored form (:func:`record_json`: one
    string, not a record object, so holding many costs little), so that every device's records are judged
    together and kept as ONE ``observation_sets`` row, and nothing is read back from the store.

    Held in memory up to a bound (records and text). Each time it is reached, the devices held are written to
    ``PARTITIONS`` files in a temporary folder, a device's records as one line in the file a hash of the device
    chooses (an external hash grouping: every record of a device lands in the same file, in the order it
    arrived), and memory starts afresh; at the end the files are grouped one at a time, so memory holds about
    a bound's worth however large the input. The folder is removed when the import ends, whatever the outcome.
    Running out of room there is an error that says so (TMPDIR chooses the folder)."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.groups: dict[str | None, list[str]] = {}  # each device's texts (one or more records each) ...
        self.counts: dict[str | None, int] = {}  # ... and how many records they hold
        self.count = 0
        self.size = 0
        self.folder: Path | None = None
        self.files: list[IO[str]] = []

    def add_stored(self, device: str | None, count: int, text: str) -> None:
        """``count`` records of ``device`` in their stored form (:func:`record_json` texts joined by commas)."""
        group = self.groups.get(device)
        if group is None:
            self.groups[device] = [text]
            self.counts[device] = count
        else:
            group.append(text)
            self.counts[device] += count
        self.count += count
        self.size += len(text)
        if self.count >= HELD_RECORDS or self.size >= HELD_CHARS:
            self._spill()

    def _spill(self) -> None:
        """The devices held, each as one line (device, how many records, their texts joined) in its file."""
        try:
            if not self.files:
                self.folder = Path(tempfile.mkdtemp(prefix="camaudit-import-"))
                # held open across calls until devices() or close(): no with-block can span that
                self.files = [open(self.folder / f"{n}.jsonl", "w", encoding="utf-8",  # noqa: SIM115
                                   buffering=SPILL_BUFFER) for n in range(PARTITIONS)]
            files, counts = self.files, self.counts
            for device, items in self.groups.items():
                files[hash(device) % PARTITIONS].write(f"{_key(device)}\t{counts[device]}\t{','.join(items)}\n")
        except OSError as exc:
            raise self._no_room(exc) from exc
        self.groups = {}
        self.counts = {}
        self.count = self.size = 0

    def _no_room(self, exc: OSError) -> ImportError_:
        return ImportError_(f"{self.source}: cannot hold its records by device in a temporary folder "
                            f"({self.folder or tempfile.gettempdir()}): {exc.strerror or exc}; set TMPDIR to a "
                            "folder with room (about twice the file's size); nothing of this file was kept")

    @property
    def spilled(self) -> bool:
        return bool(self.files)

    def devices(self) -> Iterator[tuple[str | None, int, str]]:
        """(device, how many records, their texts as one ``observation_sets`` row's), every device once, its
        records in the order they arrived."""
        if not self.files:
            groups, counts, self.groups, self.counts = self.groups, self.counts, {}, {}
            while groups:  # each device let go of once judged
                device, items = groups.popitem()
                yield device, counts[device], records_row(items)
            return
        if self.groups:
            self._spill()
        try:
            for handle in self.files:
                handle.close()
        except OSError as exc:
            raise self._no_room(exc) from exc
        assert self.folder is not None
        for n in range(len(self.files)):
            part = self.folder / f"{n}.jsonl"
            grouped: dict[str, list[str]] = {}
            sizes: dict[str, int] = {}
            with open(part, encoding="utf-8") as handle:
                for line in handle:
                    key, size, chunk = line.split("\t", 2)
                    chunks = grouped.get(key)
                    if chunks is None:
                        grouped[key] = [chunk[:-1]]
                        sizes[key] = int(size)
                    else:
                        chunks.append(chunk[:-1])
                        sizes[key] += int(size)
            part.unlink()
            while grouped:
                key, chunks = grouped.popitem()
                yield fastjson.loads(key), sizes[key], records_row(chunks)

    def close(self) -> None:
        for handle in self.files:
            handle.close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _key(device: str | None) -> str:
    """A device as one line-safe text (JSON: no raw tab or newline)."""
    return fastjson.dumps_storable(device)


def _grouped(store: Store, scan_id: int, grouper: _Grouper) -> Iterator[tuple[str, list[Observation]]]:
    """Each device's records from the grouper, written to the store (one row per device) in batches as they
    go by."""
    rows: list[tuple[str | None, int, str]] = []
    for row in grouper.devices():
        rows.append(row)
        if len(rows) >= BATCH:
            store.add_record_sets(scan_id, rows)
            rows = []
        yield str(row[0]), records_of(row[0], row[2], judging=True)
    store.add_record_sets(scan_id, rows)


def _identify(store: Store, scan_id: int, stages: Stages, result: FileResult, progress: bool,
              grouper: _Grouper | None = None) -> None:
    """Judge the scan's devices: the grouper's (written to the store as they go), or else those already
    stored."""
    if grouper is None:
        total = store.devices_observed(scan_id) if progress else None  # the bar's total only
        devices = store.observations_by_device(scan_id, judging=True, seq_unique=True)
    else:
        total = None if grouper.spilled else len(grouper.groups)
        devices = _grouped(store, scan_id, grouper)
    bar = Progress(total or None, "identifying", enabled=progress)
    judge = DeviceJudge(stages)
    identities: list[tuple[object, ...]] = []
    findings: list[tuple[object, ...]] = []
    sets: list[tuple[object, ...]] = []
    bodies: dict[str, str] = {}
    hosts: list[tuple[str, tuple[int, ...]]] = []
    for device, group in devices:
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
