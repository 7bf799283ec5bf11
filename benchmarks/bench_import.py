"""Import throughput and memory: ``camaudit import`` on a synthetic Shodan JSON-lines file.

Generates (in a temporary folder) a SYNTHETIC Shodan banner file: every record is made up by this script,
in Shodan's banner layout, cycling through four kinds of answer (a Hikvision recorder's HTTP head with
``Server: DNVRS-Webs``, a Dahua RTSP answer, a Hikvision default certificate, and a plain nginx page), with
four banners per address spread through the file (not grouped), so the store has to group them. Each size
is imported in a fresh child process into a fresh store; the child reports wall time, records per second
and its peak resident set size (``resource.getrusage``). Flat memory between sizes shows the import
streams. It only reports: no thresholds.

    python benchmarks/bench_import.py                      # 100,000 and 1,000,000 records
    python benchmarks/bench_import.py --sizes 10000 100000 --json figures.json
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BANNERS = 4  # banners per address


def _banner(i: int, hosts: int) -> dict[str, Any]:
    address = str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.0.0.0")) + (i % hosts)))
    kind = (i // hosts) % BANNERS
    base: dict[str, Any] = {"ip_str": address, "timestamp": "2024-01-01T00:00:00.000000", "transport": "tcp"}
    if kind == 0:
        return {**base, "port": 80, "_shodan": {"module": "http"},
                "data": "HTTP/1.1 401 Unauthorized\r\nServer: DNVRS-Webs\r\nCache-Control: no-cache\r\n\r\n"}
    if kind == 1:
        return {**base, "port": 554, "_shodan": {"module": "rtsp-tcp"},
                "data": "RTSP/1.0 200 OK\r\nCSeq: 3\r\nServer: Rtsp Server/3.0\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n"}
    if kind == 2:
        subject = {"CN": "www.hikvision.com", "OU": "DVRNVR", "O": "HIKVISION", "C": "CN"}
        return {**base, "port": 443, "_shodan": {"module": "https"}, "data": "HTTP/1.1 200 OK\r\n\r\n",
                "ssl": {"cert": {"subject": subject, "issuer": subject}}}
    return {**base, "port": 8080, "_shodan": {"module": "http"}, "http": {"title": "Welcome to nginx!"},
            "data": "HTTP/1.1 200 OK\r\nServer: nginx/1.13.9\r\n\r\n"}


def generate(path: Path, records: int) -> None:
    hosts = max(1, records // BANNERS)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(records):
            out.write(json.dumps(_banner(i, hosts)) + "\n")


def child(path: Path, db: Path, banners: int) -> None:
    from camaudit.collect.imports.runner import import_file
    from camaudit.store import open_store

    store = open_store(str(db))
    started = time.monotonic()
    result = import_file(store, path, "shodan", progress=False)
    elapsed = time.monotonic() - started
    store.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"banners": banners, "banners_per_s": round(banners / elapsed),
                      "evidence_records": result.records, "devices": result.devices, "identified": result.identified,
                      "seconds": round(elapsed, 2),
                      "peak_rss_mib": round(peak_kib / 1024, 1), "file_mib": round(path.stat().st_size / 2**20, 1)}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="records per run")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--child", nargs=3, metavar=("FILE", "DB", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), int(args.child[2]))
        return 0
    figures = []
    with tempfile.TemporaryDirectory(prefix="camaudit-bench-import-") as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"shodan-{size}.jsonl"
            generate(path, size)
            db = Path(tmp) / f"store-{size}.db"
            command = [sys.executable, __file__, "--child", str(path), str(db), str(size)]
            proc = subprocess.run(command, capture_output=True, text=True, check=True)
            figure = json.loads(proc.stdout.strip().splitlines()[-1])
            figures.append(figure)
            print(f"{figure['banners']:>9,} Shodan records ({figure['file_mib']} MiB; {figure['evidence_records']:,} "
                  f"evidence records, {figure['devices']:,} devices, {figure['identified']:,} identified): "
                  f"{figure['seconds']} s, {figure['banners_per_s']:,} records/s, "
                  f"peak RSS {figure['peak_rss_mib']} MiB")
            path.unlink()
            db.unlink()
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
