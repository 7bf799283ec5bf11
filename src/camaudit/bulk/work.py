"""The two tasks a bulk run is made of, each a plain function a Dask worker (or this process) runs.

1. :func:`split_partition`: read one input partition with its importer and route each evidence record to the
   bucket its device key hashes to (Parquet work files). A malformed partition raises inside the importer; its
   work files are removed and a ``.bad`` marker says why (file, line, what was expected): it is skipped, never
   silently dropped.
2. :func:`judge_bucket`: gather one bucket's records from every good partition, group them by device (all of a
   device's records are in one bucket, whichever partitions they came from), and run the same identification
   and assessment as ``camaudit import`` (:class:`camaudit.judge.DeviceJudge` over the default stages), writing
   identities, findings and evidence as Parquet plus the bucket's prevalence counts.

Each task ends by writing a done-marker (JSON with its figures); a rerun skips every task whose marker exists,
so an interrupted run resumes by partition and by bucket.
"""

from __future__ import annotations

import json
import os
import resource
import zlib
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from camaudit.bulk import schema
from camaudit.bulk.partitions import Partition, local_copy, locations, read_partition
from camaudit.bulk.tally import Tally
from camaudit.judge import DeviceJudge
from camaudit.model import Observation
from camaudit.pipeline.stages import Stages

FLUSH = 50_000  # records held per bucket before they go to a work file
WRITE_EVERY = 2_000  # devices judged before their rows go to the output files


@lru_cache(maxsize=1)
def _judge() -> DeviceJudge:
    """One judge per worker process: the knowledge is loaded once and its memory serves every bucket."""
    return DeviceJudge(Stages.default())


def bucket_of(device: str, buckets: int) -> int:
    return zlib.crc32(device.encode("utf-8", "surrogatepass")) % buckets


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cpu_seconds() -> float:
    """CPU time this worker process has used so far (every task it ran)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 2)


def _write_marker(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def split_partition(part: Partition, work: str, buckets: int, fmt: str) -> dict[str, Any]:
    """Stage 1 for one partition; returns its marker (status ``done`` or ``bad``)."""
    root = Path(work)
    done, bad = root / "split" / f"{part.name}.done", root / "split" / f"{part.name}.bad"
    if done.exists():
        return {**json.loads(done.read_text(encoding="utf-8")), "resumed": True}
    done.parent.mkdir(parents=True, exist_ok=True)
    bad.unlink(missing_ok=True)
    for b in range(buckets):
        (root / "buckets" / f"{b:05d}").mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        with local_copy(part.url) as path:
            name, records = read_partition(path, fmt)
            places = locations(path, name)
            count = _route(part, records, places, root, buckets, written)
    except Exception as exc:
        for file in written:
            file.unlink(missing_ok=True)
        doc: dict[str, Any] = {"partition": part.name, "url": part.url, "status": "bad",
                               "error": str(exc) or type(exc).__name__}
        _write_marker(bad, doc)
        return doc
    doc = {"partition": part.name, "url": part.url, "status": "done", "format": name, "records": count,
           "peak_rss_mib": _peak_mib(), "cpu_seconds": _cpu_seconds(), "pid": os.getpid()}
    _write_marker(done, doc)
    return doc


def _route(part: Partition, records: Iterator[Observation], places: dict[str, tuple[str | None, str | None]],
           root: Path, buckets: int, written: list[Path]) -> int:
    columns: list[dict[str, list[Any]]] = [_empty() for _ in range(buckets)]
    held = [0] * buckets
    chunk = [0] * buckets
    base = part.index << 32
    count = 0
    for obs in records:
        key = obs.device or obs.id
        b = bucket_of(key, buckets)
        place = places.get(obs.address or "", (None, None))
        col = columns[b]
        col["seq"].append(base + count)
        col["id"].append(f"{part.name}#{obs.id}")
        col["device"].append(key)
        col["address"].append(obs.address)
        col["port"].append(obs.port)
        col["mac"].append(obs.mac)
        col["protocol"].append(obs.protocol)
        col["request"].append(obs.request)
        col["response"].append(obs.response)
        col["observed_at"].append(obs.observed_at)
        col["country"].append(place[0])
        col["asn"].append(place[1])
        count += 1
        held[b] += 1
        if held[b] >= FLUSH:
            written.append(_flush(root, part, b, chunk[b], columns[b]))
            columns[b], held[b] = _empty(), 0
            chunk[b] += 1
    for b in range(buckets):
        if held[b]:
            written.append(_flush(root, part, b, chunk[b], columns[b]))
    return count


def _empty() -> dict[str, list[Any]]:
    return {name: [] for name in schema.RECORDS.names}


def _flush(root: Path, part: Partition, bucket: int, chunk: int, columns: dict[str, list[Any]]) -> Path:
    path = root / "buckets" / f"{bucket:05d}" / f"{part.name}-{chunk:04d}.parquet"
    pq.write_table(pa.Table.from_pydict(columns, schema=schema.RECORDS), path)
    return path


def judge_bucket(bucket: int, work: str, out: str, good: Sequence[str]) -> dict[str, Any]:
    """Stage 2 for one bucket, over the work files of the partitions in ``good``; returns its marker."""
    root, target = Path(work), Path(out)
    done = root / "judge" / f"{bucket:05d}.done"
    if done.exists():
        return {**json.loads(done.read_text(encoding="utf-8")), "resumed": True}
    done.parent.mkdir(parents=True, exist_ok=True)
    keep = set(good)
    files = sorted(p for p in (root / "buckets" / f"{bucket:05d}").glob("*.parquet") if p.name.split("-")[0] in keep)
    tables = [pq.read_table(p, schema=schema.RECORDS) for p in files]
    table = pa.concat_tables(tables) if tables else schema.RECORDS.empty_table()
    table = table.sort_by([("device", "ascending"), ("seq", "ascending")])
    judge = _judge()
    tally = Tally()
    writers = _Writers(target, bucket)
    ident: list[tuple[Any, ...]] = []
    found: list[tuple[Any, ...]] = []
    evid: list[tuple[Any, ...]] = []
    devices = 0
    for device, group, place in _devices(table):
        ports = tuple(sorted({o.port for o in group if o.port}))
        judged = judge.judge(device, group, ports)
        kev = list(judged.kev)
        row = judged.identity
        capabilities = list(judged.capabilities)
        ident.append((*row[:7], judged.family, row[7], judged.covered, kev, capabilities, place[0], place[1],
                      len(group), row[8]))
        found.extend(judged.findings)
        evid.extend((device, *e) for e in judged.evidence)
        tally.count(judged.manufacturer, judged.identity[3], judged.identity[4], judged.family, judged.identity[5],
                    judged.covered, kev, capabilities, place)
        devices += 1
        if len(ident) >= WRITE_EVERY:
            writers.write(ident, found, evid)
            ident, found, evid = [], [], []
    writers.write(ident, found, evid)
    writers.close()
    doc = {"bucket": bucket, "status": "done", "records": table.num_rows, "devices": devices,
           "partitions": sorted(keep & {p.name.split("-")[0] for p in files}), "tally": tally.to_dict(),
           "peak_rss_mib": _peak_mib(), "cpu_seconds": _cpu_seconds(), "pid": os.getpid()}
    _write_marker(done, doc)
    return doc


class _Writers:
    """The bucket's three output files, written a few thousand devices at a time (bounded memory), each under a
    temporary name until the bucket is complete."""

    def __init__(self, target: Path, bucket: int) -> None:
        self.paths: dict[str, Path] = {}
        self.writers: dict[str, Any] = {}
        for name, table_schema in schema.TABLES.items():
            (target / name).mkdir(parents=True, exist_ok=True)
            path = target / name / f"part-{bucket:05d}.parquet"
            self.paths[name] = path
            self.writers[name] = pq.ParquetWriter(path.with_suffix(".tmp"), table_schema)

    def write(self, *tables: list[tuple[Any, ...]]) -> None:
        """Rows (tuples in the schema's column order) of the three tables."""
        for (name, table_schema), rows in zip(schema.TABLES.items(), tables, strict=True):
            columns = list(zip(*rows, strict=True)) if rows else [()] * len(table_schema.names)
            arrays = [pa.array(col, type=f.type) for col, f in zip(columns, table_schema, strict=True)]
            self.writers[name].write_table(pa.Table.from_arrays(arrays, schema=table_schema))

    def close(self) -> None:
        for name, writer in self.writers.items():
            writer.close()
            os.replace(self.paths[name].with_suffix(".tmp"), self.paths[name])


def _devices(table: pa.Table) -> Iterator[tuple[str, list[Observation], tuple[str | None, str | None]]]:
    """(device key, its records in reading order, its country and ASN) from a table sorted by device."""
    current: str | None = None
    group: list[Observation] = []
    place: tuple[str | None, str | None] = (None, None)
    make = Observation.fast
    names = ("id", "protocol", "response", "device", "address", "port", "mac", "request", "observed_at", "country",
             "asn")
    for batch in table.to_batches(max_chunksize=16384):
        cols = batch.to_pydict()
        for rid, protocol, response, device, address, port, mac, request, observed_at, country, asn in zip(
                *(cols[n] for n in names), strict=True):
            if device != current:
                if group and current is not None:
                    yield current, group, place
                current, group, place = device, [], (None, None)
            group.append(make(rid, protocol, response, device, address, port, mac, request, observed_at))
            if place == (None, None) and (country or asn):
                place = (country, asn)
    if group and current is not None:
        yield current, group, place
