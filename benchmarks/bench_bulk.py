"""Bulk throughput: ``camaudit import`` (one process) against ``camaudit bulk`` on a local Dask cluster with 1 and
2 workers, on the same SYNTHETIC dataset, and peak memory per worker.

The dataset is made up by :mod:`camaudit.bulk.synthetic` (every record says so): Shodan- or ZGrab2-layout JSON
lines carrying real device answers from the recording catalogue, about three banners per host spread through the
files, split into ``--partitions`` files. Each run is a fresh child process with a fresh store or output folder,
timed by wall clock and by CPU time (the machine may be shared: CPU seconds say what one core does). Dask
workers report their peak RSS in their done-markers.

A sample check follows the Dask runs: the records of the first ``--sample`` hosts are gathered into one file,
imported single-process, and compared device by device with the bulk output (``camaudit.bulk.compare``).
It only reports: no thresholds.

    python benchmarks/bench_bulk.py                                  # 300,000 records, 8 partitions
    python benchmarks/bench_bulk.py --records 10000000 --partitions 40 --workers 2 --no-single --json f.json
    python benchmarks/bench_bulk.py --records 10000000 --partitions 40 --data /big/data --dir /big --keep
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def generate(folder: Path, records: int, partitions: int, layout: str) -> list[Path]:
    from camaudit.bulk import synthetic

    folder.mkdir(parents=True, exist_ok=True)
    per = -(-records // partitions)
    paths = [folder / f"part-{i:04d}.jsonl" for i in range(partitions)]
    handles = [open(p, "wb") for p in paths]  # noqa: SIM115 - closed below
    try:
        for n, line in enumerate(synthetic.lines(records, layout)):
            handles[min(n // per, partitions - 1)].write(line)
    finally:
        for h in handles:
            h.close()
    return paths


def dataset(folder: Path, records: int, partitions: int, layout: str) -> list[Path]:
    """The dataset in ``folder``: the one generated there before for the same figures, or a new one."""
    manifest = folder / "_dataset.json"
    wanted = {"records": records, "partitions": partitions, "layout": layout}
    if manifest.exists() and json.loads(manifest.read_text(encoding="utf-8")) == wanted:
        return sorted(folder.glob("part-*.jsonl"))
    for old in folder.glob("part-*.jsonl"):
        old.unlink()
    paths = generate(folder, records, partitions, layout)
    manifest.write_text(json.dumps(wanted), encoding="utf-8")
    return paths


def child_single(paths: list[str], db: str, fmt: str) -> dict[str, Any]:
    import resource

    from camaudit.collect.imports.runner import run_import
    from camaudit.store import open_store

    store = open_store(db)
    started, cpu = time.monotonic(), time.process_time()
    summary = run_import(store, [Path(p) for p in paths], fmt, progress=False)
    out = {"seconds": round(time.monotonic() - started, 2), "cpu_seconds": round(time.process_time() - cpu, 2),
           "devices": sum(f.devices for f in summary.files),
           "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    store.close()
    return out


def child_bulk(folder: str, out: str, workers: int, fmt: str) -> dict[str, Any]:
    import resource

    from camaudit.bulk.run import run_bulk

    started = time.monotonic()
    result = run_bulk([folder], out, fmt, workers=workers)
    seconds = time.monotonic() - started
    peaks: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for item in [*result.partitions, *result.buckets]:
        pid = str(item.get("pid"))
        peaks[pid] = max(peaks.get(pid, 0.0), float(item.get("peak_rss_mib", 0.0)))
        cpu[pid] = max(cpu.get(pid, 0.0), float(item.get("cpu_seconds", 0.0)))
    sizes = {name: round(sum(f.stat().st_size for f in (Path(out) / name).rglob("*") if f.is_file()) / 2**20, 1)
             for name in ("identities", "findings", "evidence", "_work")}
    return {"seconds": round(seconds, 2), "devices": result.devices, "evidence_records": result.records,
            "output_mib": sizes,
            "bad": len(result.bad), "peak_rss_mib_per_worker": sorted(peaks.values()),
            "worker_cpu_seconds": round(sum(cpu.values()), 2),
            "driver_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def sample_check(paths: list[Path], out: Path, hosts: int, tmp: Path, fmt: str) -> dict[str, Any]:
    import orjson

    from camaudit.bulk import synthetic
    from camaudit.bulk.compare import differences, from_bulk, from_store
    from camaudit.collect.imports.runner import import_file
    from camaudit.store import open_store

    wanted = {str(__import__("ipaddress").IPv4Address(synthetic.BASE + h)) for h in range(hosts)}
    sample = tmp / "sample.jsonl"
    with open(sample, "wb") as dst:
        for path in paths:
            with open(path, "rb") as src:
                for line in src:
                    row = orjson.loads(line)
                    if (row.get("ip_str") or row.get("ip")) in wanted:
                        dst.write(line)
    store = open_store(str(tmp / "sample.db"))
    result = import_file(store, sample, fmt, progress=False)
    single = from_store(store, [result.scan_id or 0])
    store.close()
    diffs = differences(single, from_bulk(out, set(single[0])))
    return {"sample_devices": len(single[0]), "differences": len(diffs), "first": diffs[:5]}


def _run(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child failed: {proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=300_000, help="banners (JSON lines) in the dataset")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--layout", choices=("shodan", "zgrab2"), default="shodan")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Dask worker counts to run")
    parser.add_argument("--no-single", action="store_true", help="skip the single-process import")
    parser.add_argument("--sample", type=int, default=2000, help="hosts in the sample check (0: none)")
    parser.add_argument("--dir", help="make the temporary folder here (removed at the end unless --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the folder (outputs, reports) at the end")
    parser.add_argument("--data", help="the dataset's folder: generated there once, reused by later runs with the "
                                       "same --records, --partitions and --layout")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "single":
            print(json.dumps(child_single(rest[2:], rest[0], rest[1])))
        else:
            print(json.dumps(child_bulk(rest[0], rest[1], int(rest[2]), rest[3])))
        return 0
    figures: dict[str, Any] = {"records": args.records, "partitions": args.partitions, "layout": args.layout}
    folder: Any = (contextlib.nullcontext(tempfile.mkdtemp(prefix="camaudit-bench-bulk-", dir=args.dir)) if args.keep
                   else tempfile.TemporaryDirectory(prefix="camaudit-bench-bulk-", dir=args.dir))
    with folder as tmp_name:
        tmp = Path(tmp_name)
        started = time.monotonic()
        data = Path(args.data) if args.data else tmp / "in"
        paths = dataset(data, args.records, args.partitions, args.layout)
        size = sum(p.stat().st_size for p in paths) / 2**20
        print(f"SYNTHETIC dataset: {args.records:,} {args.layout} records in {args.partitions} partitions, "
              f"{size:,.0f} MiB, generated in {time.monotonic() - started:.0f} s", flush=True)
        figures["dataset_mib"] = round(size, 1)
        if not args.no_single:
            single = _run(["--child", "single", str(tmp / "single.db"), args.layout, *map(str, paths)])
            single["records_per_s"] = round(args.records / single["seconds"])
            single["records_per_cpu_s"] = round(args.records / single["cpu_seconds"])
            figures["single"] = single
            print(f"single process (camaudit import): {single['seconds']} s, {single['records_per_s']:,} records/s; "
                  f"CPU {single['cpu_seconds']} s, {single['records_per_cpu_s']:,} records per CPU second; "
                  f"peak RSS {single['peak_rss_mib']} MiB", flush=True)
        last_out = None
        for workers in args.workers:
            out = tmp / f"bulk-{workers}"
            run = _run(["--child", "bulk", str(data), str(out), str(workers), args.layout])
            run["records_per_s"] = round(args.records / run["seconds"])
            if run["worker_cpu_seconds"]:
                run["records_per_worker_cpu_s"] = round(args.records / run["worker_cpu_seconds"])
            figures[f"dask_{workers}"] = run
            print(f"camaudit bulk, {workers} worker(s): {run['seconds']} s, {run['records_per_s']:,} records/s; "
                  f"worker CPU {run['worker_cpu_seconds']} s ({run.get('records_per_worker_cpu_s', 0):,} records per "
                  f"worker CPU second); {run['devices']:,} devices; peak RSS per worker "
                  f"{', '.join(f'{m} MiB' for m in run['peak_rss_mib_per_worker'])}; output MiB {run['output_mib']}",
                  flush=True)
            last_out = out
        if args.sample and last_out is not None:
            check = sample_check(paths, last_out, args.sample, tmp, args.layout)
            figures["sample_check"] = check
            print(f"sample check: {check['sample_devices']:,} devices imported single-process and compared with the "
                  f"bulk output: {check['differences']} difference(s) {check['first'] or ''}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
