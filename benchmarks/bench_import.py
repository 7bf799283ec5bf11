"""Import throughput and memory: ``camaudit import`` on a synthetic Shodan JSON-lines file, or (``--format
pcap``) on a synthetic packet capture.

Generates (in a temporary folder) a SYNTHETIC Shodan banner file: every record is made up by this script,
in Shodan's banner layout, four banners per address: half the addresses are Hikvision recorders (an HTTP
head with ``Server: DNVRS-Webs``, Hikvision's default certificate), half Dahua cameras (Dahua's RTSP server),
each with plain answers besides (a nginx page), so every address's banners agree on one maker; they are
spread through the file (not grouped), so the store has to group them. Each size
is imported in a fresh child process into a fresh store; the child reports wall time, records per second
and its peak resident set size (``resource.getrusage``). Flat memory between sizes shows the import
streams. The CPU time spent inside the store's methods (writing rows, committing, reading records back grouped by
device) is reported apart from the rest, so the store's share is visible. It only reports: no thresholds.

The pcap case writes a SYNTHETIC classic pcap (every packet made up by this script): per 100 packets, one
complete HTTP exchange (handshake, request, a ``Server: DNVRS-Webs`` 401 answer, FIN: 6 packets) with one
of ``hosts`` addresses, one SADP ProbeMatch announcement, one DNS query, and RTP-like UDP video packets
(1,400 bytes each) for the rest, which the reader must pass over; sizes count packets.

    python benchmarks/bench_import.py                      # 100,000 and 1,000,000 records
    python benchmarks/bench_import.py --sizes 10000 100000 --json figures.json
    python benchmarks/bench_import.py --format pcap --sizes 200000 1000000
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import resource
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

BANNERS = 4  # banners per address


def _banner(i: int, hosts: int) -> dict[str, Any]:
    """Banner ``i``. An address's four banners agree on its maker, as a real device's do: even addresses are
    Hikvision recorders (the DNVRS-Webs server, Hikvision's default certificate), odd ones Dahua cameras (Dahua's
    RTSP server); the rest of each is plain (a bare RTSP or HTTP answer, a nginx page)."""
    number = i % hosts
    address = str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.0.0.0")) + number))
    hikvision = number % 2 == 0
    kind = (i // hosts) % BANNERS
    base: dict[str, Any] = {"ip_str": address, "timestamp": "2024-01-01T00:00:00.000000", "transport": "tcp"}
    if kind == 0:
        head = "HTTP/1.1 401 Unauthorized\r\nServer: DNVRS-Webs\r\n" if hikvision else "HTTP/1.1 401 Unauthorized\r\n"
        return {**base, "port": 80, "_shodan": {"module": "http"}, "data": head + "Cache-Control: no-cache\r\n\r\n"}
    if kind == 1:
        server = "" if hikvision else "Server: Rtsp Server/3.0\r\n"
        return {**base, "port": 554, "_shodan": {"module": "rtsp-tcp"},
                "data": f"RTSP/1.0 200 OK\r\nCSeq: 3\r\n{server}Public: OPTIONS, DESCRIBE\r\n\r\n"}
    if kind == 2:
        subject = ({"CN": "hikvision.com", "OU": "HZ", "O": "HIKVISION", "C": "CN"} if hikvision
                   else {"CN": address})
        return {**base, "port": 443, "_shodan": {"module": "https"}, "data": "HTTP/1.1 200 OK\r\n\r\n",
                "ssl": {"cert": {"subject": subject, "issuer": subject}}}
    return {**base, "port": 8080, "_shodan": {"module": "http"}, "http": {"title": "Welcome to nginx!"},
            "data": "HTTP/1.1 200 OK\r\nServer: nginx/1.13.9\r\n\r\n"}


def generate(path: Path, records: int) -> None:
    hosts = max(1, records // BANNERS)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(records):
            out.write(json.dumps(_banner(i, hosts)) + "\n")


def _frame(src: int, dst: int, proto: int, transport: bytes) -> bytes:
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(transport), 0, 0, 64, proto, 0, src, dst) + transport
    return bytes.fromhex("020000000002") + bytes.fromhex("02") + src.to_bytes(4, "big") + b"\x01\x08\x00" + ip


def _tcp(sport: int, dport: int, seq: int, flags: int, payload: bytes = b"") -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 0x50, flags, 65535, 0, 0) + payload


def _udp(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


HTTP_ANSWER = (b"HTTP/1.1 401 Unauthorized\r\nServer: DNVRS-Webs\r\nContent-Type: text/html\r\nContent-Length: 13\r\n"
               b"\r\n<html></html>")
SADP_ANNOUNCEMENT = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ProbeMatch><Types>inquiry</Types><DeviceDescription>"
                     b"DS-2CD2385G1-I</DeviceDescription><DeviceSN>DS-2CD2385G1-I20200414AAWRE00000000</DeviceSN>"
                     b"</ProbeMatch>")


def generate_pcap(path: Path, packets: int) -> None:
    hosts = max(1, packets // 400)
    client = int(ipaddress.IPv4Address("10.255.0.1"))
    video = _frame(int(ipaddress.IPv4Address("10.254.0.1")), client, 17, _udp(5000, 6000, bytes(1400)))
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        written = 0
        while written < packets:
            cycle = written // 100
            host = int(ipaddress.IPv4Address("10.0.0.0")) + cycle % hosts
            port = 1024 + cycle % 60000
            frames = [
                _frame(client, host, 6, _tcp(port, 80, 1000, 0x02)),
                _frame(host, client, 6, _tcp(80, port, 5000, 0x12)),
                _frame(client, host, 6, _tcp(port, 80, 1001, 0x18, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")),
                _frame(host, client, 6, _tcp(80, port, 5001, 0x18, HTTP_ANSWER)),
                _frame(host, client, 6, _tcp(80, port, 5001 + len(HTTP_ANSWER), 0x11)),
                _frame(client, host, 6, _tcp(port, 80, 1027, 0x11)),
                _frame(host, int(ipaddress.IPv4Address("239.255.255.250")), 17, _udp(37020, 37020, SADP_ANNOUNCEMENT)),
                _frame(host, int(ipaddress.IPv4Address("10.255.0.53")), 17,
                       _udp(40000, 53, b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04cam1\x07example\x00"
                            b"\x00\x01\x00\x01")),
            ]
            frames += [video] * (100 - len(frames))
            for i, data in enumerate(frames[: packets - written]):
                out.write(struct.pack("<IIII", 1_700_000_000 + cycle, i, len(data), len(data)) + data)
            written += len(frames[: packets - written])


class _Timed:
    """Adds up the CPU time spent inside the store's methods (SQLAlchemy and SQLite: writing rows, committing,
    reading records back grouped by device), including the iterators and transactions they hand out. Only
    measures: every call goes through unchanged."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.depth = 0

    def __call__(self, step: Callable[[], Any]) -> Any:
        if self.depth:
            return step()
        self.depth += 1
        started = time.process_time()
        try:
            return step()
        finally:
            self.seconds += time.process_time() - started
            self.depth -= 1

    def wrap(self, store: Any) -> None:
        for name in dir(type(store)):
            method = getattr(store, name)
            if not name.startswith("_") and callable(method):
                setattr(store, name, self._method(method))

    def _method(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            result = self(lambda: method(*args, **kwargs))
            if isinstance(result, Iterator):
                return self._iterate(result)
            if hasattr(result, "__enter__") and hasattr(result, "__exit__"):
                return _TimedContext(result, self)
            return result
        return timed

    def _iterate(self, items: Iterator[Any]) -> Iterator[Any]:
        while True:
            try:
                item = self(lambda: next(items))
            except StopIteration:
                return
            yield item


class _TimedContext:
    def __init__(self, inner: Any, clock: _Timed) -> None:
        self.inner = inner
        self.clock = clock

    def __enter__(self) -> Any:
        return self.clock(self.inner.__enter__)

    def __exit__(self, *exc: Any) -> Any:
        return self.clock(lambda: self.inner.__exit__(*exc))


def child(path: Path, db: Path, banners: int, fmt: str = "shodan") -> None:
    from camaudit.collect.imports.runner import import_file
    from camaudit.store import open_store

    store = open_store(str(db))
    clock = _Timed()
    clock.wrap(store)
    started = time.monotonic()
    cpu_started = time.process_time()
    result = import_file(store, path, fmt, progress=False)
    elapsed = time.monotonic() - started
    cpu = time.process_time() - cpu_started
    store.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"format": fmt, "banners": banners, "banners_per_s": round(banners / elapsed),
                      "cpu_seconds": round(cpu, 2), "banners_per_cpu_s": round(banners / cpu),
                      "store_cpu_seconds": round(clock.seconds, 2),
                      "banners_per_cpu_s_outside_store": round(banners / max(cpu - clock.seconds, 1e-9)),
                      "evidence_records": result.records, "devices": result.devices, "identified": result.identified,
                      "seconds": round(elapsed, 2),
                      "peak_rss_mib": round(peak_kib / 1024, 1), "file_mib": round(path.stat().st_size / 2**20, 1)}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="records per run")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--format", choices=("shodan", "pcap"), default="shodan",
                        help="a Shodan JSON-lines file (sizes in records) or a pcap (sizes in packets)")
    parser.add_argument("--child", nargs=4, metavar=("FILE", "DB", "N", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), int(args.child[2]), args.child[3])
        return 0
    figures = []
    with tempfile.TemporaryDirectory(prefix="camaudit-bench-import-") as tmp:
        for size in args.sizes:
            if args.format == "pcap":
                path = Path(tmp) / f"capture-{size}.pcap"
                generate_pcap(path, size)
            else:
                path = Path(tmp) / f"shodan-{size}.jsonl"
                generate(path, size)
            db = Path(tmp) / f"store-{size}.db"
            command = [sys.executable, __file__, "--child", str(path), str(db), str(size), args.format]
            proc = subprocess.run(command, capture_output=True, text=True, check=True)
            figure = json.loads(proc.stdout.strip().splitlines()[-1])
            figures.append(figure)
            kind, unit = ("pcap packets", "packets/s") if args.format == "pcap" else ("Shodan records", "records/s")
            print(f"{figure['banners']:>9,} {kind} ({figure['file_mib']} MiB; {figure['evidence_records']:,} "
                  f"evidence records, {figure['devices']:,} devices, {figure['identified']:,} identified): "
                  f"{figure['seconds']} s, {figure['banners_per_s']:,} {unit}; CPU {figure['cpu_seconds']} s, "
                  f"{figure['banners_per_cpu_s']:,} {unit} per CPU second (one core), "
                  f"peak RSS {figure['peak_rss_mib']} MiB; of the CPU, {figure['store_cpu_seconds']} s inside the "
                  f"store (writes, commit, reading back), the rest {figure['banners_per_cpu_s_outside_store']:,} "
                  f"{unit} per CPU second")
            path.unlink()
            db.unlink()
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
