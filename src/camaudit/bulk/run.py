"""``camaudit bulk``: the import pipeline over Dask distributed, partition by partition, resumable.

A local cluster (``LocalCluster`` on 127.0.0.1, one single-threaded worker process per core by default) or an
existing scheduler (``--scheduler tcp://HOST:8786``: a cluster started with Dask's own tools on Kubernetes, HPC
or YARN) runs the two stages of :mod:`camaudit.bulk.work`. The output folder holds::

    identities/part-NNNNN.parquet  findings/...  evidence/...   (schema: camaudit.bulk.schema)
    prevalence.txt / .json / .md                                 (the report)
    bulk.json                                                    (partitions, bad partitions, figures)
    _work/                                                       (work files and done-markers, for --resume)

Rerunning the same command resumes: finished partitions and buckets are not redone.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from camaudit.bulk import prevalence, schema
from camaudit.bulk.partitions import Partition, expand
from camaudit.bulk.tally import Tally
from camaudit.bulk.work import judge_bucket, split_partition

RECORDS_PER_BUCKET = 200_000  # about 50 MiB of Shodan-like JSON per bucket
BYTES_PER_RECORD = 250


class BulkError(RuntimeError):
    """A bulk run that cannot start or finish as asked."""


@dataclass
class BulkResult:
    output: str
    partitions: list[dict[str, Any]] = field(default_factory=list)
    buckets: list[dict[str, Any]] = field(default_factory=list)
    records: int = 0
    devices: int = 0
    seconds: float = 0.0
    workers: int = 0
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def bad(self) -> list[dict[str, Any]]:
        return [p for p in self.partitions if p.get("status") == "bad"]


def default_buckets(parts: Sequence[Partition]) -> int:
    total = 0
    for part in parts:
        with contextlib.suppress(OSError):
            total += os.path.getsize(part.url) if "://" not in part.url else 0
    return max(4, math.ceil(total / BYTES_PER_RECORD / RECORDS_PER_BUCKET))


def inproc_on_loopback() -> None:
    """Name in-process (``inproc://``) Dask addresses after 127.0.0.1. Left alone, Dask works out the label from
    the route to 8.8.8.8 (a UDP ``connect``, which sends nothing but consults a public address, and warns where
    there is no route). The label is only a name inside this process; the manager keeps one it already has."""
    from distributed.comm import inproc

    manager = inproc.global_manager
    if not getattr(manager, "_ip", None):
        manager._ip = "127.0.0.1"


def _client(scheduler: str | None, workers: int | None, processes: bool) -> Any:
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler)  # type: ignore[no-untyped-call]
    count = workers or os.cpu_count() or 1
    if not processes:
        inproc_on_loopback()
    where = {"host": "127.0.0.1"} if processes else {}  # in one process the workers talk in memory (inproc://)
    cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=processes, dashboard_address=None,
                           silence_logs=40, **where)  # type: ignore[no-untyped-call]
    return Client(cluster)  # type: ignore[no-untyped-call]


def run_bulk(inputs: Sequence[str], output: str, fmt: str = "auto", scheduler: str | None = None,
             workers: int | None = None, buckets: int | None = None, processes: bool = True,
             say: Callable[[str], None] | None = None, client: Any = None) -> BulkResult:
    say = say or (lambda _m: None)
    try:
        parts = expand(inputs)
    except (FileNotFoundError, ValueError) as exc:
        raise BulkError(str(exc)) from exc
    out = Path(output)
    work = out / "_work"
    work.mkdir(parents=True, exist_ok=True)
    plan_path = work / "plan.json"
    plan = {"schema": schema.SCHEMA_VERSION, "partitions": [p.url for p in parts], "format": fmt}
    if plan_path.exists():
        earlier = json.loads(plan_path.read_text(encoding="utf-8"))
        if earlier.get("partitions") != plan["partitions"] or earlier.get("format") != fmt:
            raise BulkError(f"{out} holds a run over other inputs; use a new output folder (or remove {work})")
        count = int(earlier["buckets"])
        if buckets is not None and buckets != count:
            raise BulkError(f"{out} was started with --buckets {count}; resume with the same number")
    else:
        count = buckets or default_buckets(parts)
        plan["buckets"] = count
        plan_path.write_text(json.dumps(plan, indent=1), encoding="utf-8")
    started = time.monotonic()
    own = client is None
    client = client or _client(scheduler, workers, processes)
    try:
        result = BulkResult(str(out), workers=len(client.scheduler_info().get("workers", {})))
        say(f"{len(parts)} partition(s), {count} bucket(s), {result.workers} worker(s)")
        result.partitions = _gather(client, split_partition, parts, [str(work), count, fmt], say, "read")
        good = [p["partition"] for p in result.partitions if p.get("status") == "done"]
        for p in result.bad:
            say(f"partition skipped as malformed: {p['url']}: {p['error']}")
        result.buckets = _gather(client, judge_bucket, list(range(count)), [str(work), str(out), good], say,
                                 "identified")
    finally:
        if own:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()
    tally = Tally()
    for b in result.buckets:
        tally.merge(b["tally"])
    result.records = sum(int(p.get("records", 0)) for p in result.partitions if p.get("status") == "done")
    result.devices = tally.devices
    result.seconds = round(time.monotonic() - started, 2)
    result.report = prevalence.to_dict(tally, result.bad, result.records)
    for fmt_name, suffix in (("text", "txt"), ("json", "json"), ("md", "md")):
        (out / f"prevalence.{suffix}").write_text(prevalence.render(result.report, fmt_name), encoding="utf-8")
    manifest = {"schema": schema.SCHEMA_VERSION, "records": result.records, "devices": result.devices,
                "seconds": result.seconds, "workers": result.workers, "partitions": result.partitions,
                "buckets": [{k: v for k, v in b.items() if k != "tally"} for b in result.buckets]}
    (out / "bulk.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return result


def _gather(client: Any, task: Callable[..., dict[str, Any]], items: Sequence[Any], args: list[Any],
            say: Callable[[str], None], verb: str) -> list[dict[str, Any]]:
    from distributed import as_completed

    futures = [client.submit(task, item, *args, key=f"{task.__name__}-{i}-{os.getpid()}-{time.time_ns()}", pure=False)
               for i, item in enumerate(items)]
    order = {f.key: i for i, f in enumerate(futures)}
    results: list[dict[str, Any] | None] = [None] * len(futures)
    for done, future in enumerate(as_completed(futures), 1):  # type: ignore[no-untyped-call]
        results[order[future.key]] = future.result()
        if done == len(futures) or done % max(1, len(futures) // 20) == 0:
            say(f"{verb}: {done} of {len(futures)}")
    return [r for r in results if r is not None]


def main_say(quiet: bool) -> Callable[[str], None]:
    return (lambda _m: None) if quiet else (lambda m: print(f"camaudit bulk: {m}", file=sys.stderr))
