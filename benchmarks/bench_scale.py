"""camaudit at /16 scale: thousands of emulated devices spread over a /16 with silent addresses.

Where network namespaces can be made (root, iproute2), the whole /16 (10.201.0.0/16 by default) is made local
to the loopback interface of a namespace this benchmark creates and deletes, the fleet and the scanner both
run inside it, and the silent addresses are dropped by nftables (or iptables) rules inside it: a connect to
them waits for its timeout, as on a real network. Elsewhere the fleet runs on a loopback /16 (127.142.0.0/16)
and silent addresses are emulated by listeners whose accept queue is kept full (SYNs are dropped).

It reports the wall-clock time of ``camaudit scan`` over the whole /16, the rate and concurrency used, CPU
use, and how many devices' makers match the ground truth. Only reports: no thresholds.

    .venv/bin/python benchmarks/bench_scale.py --count 2000 --silent-rest --rate 5000 --concurrency 512
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NAMESPACE_NETWORK = "10.201.0.0/16"
LOOPBACK_NETWORK = "127.142.0.0/16"


def namespaces_usable() -> str | None:
    if os.geteuid() != 0:
        return "not root"
    if shutil.which("ip") is None:
        return "no ip command"
    probe = f"ca-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        return made.stderr.strip()
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return None


def _run(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True, text=True)


class Lab:
    """Where the fleet and the scanner run: a namespace made here, or the machine's own loopback."""

    def __init__(self, use_namespace: bool, network: str | None = None) -> None:
        self.namespace = f"ca-scale-{os.getpid()}" if use_namespace else None
        self.network = network or (NAMESPACE_NETWORK if use_namespace else LOOPBACK_NETWORK)

    def __enter__(self) -> Lab:
        if self.namespace:
            _run("ip", "netns", "add", self.namespace)
            _run("ip", "-n", self.namespace, "link", "set", "lo", "up")
            # every address of the /16 is local to this namespace's loopback (as 127.0.0.0/8 is)
            _run("ip", "-n", self.namespace, "route", "add", "local", self.network, "dev", "lo")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.namespace:
            subprocess.run(["ip", "netns", "del", self.namespace], capture_output=True, check=False)

    def command(self, *args: str) -> list[str]:
        base = [sys.executable, "-m", "camaudit", *args]
        return ["ip", "netns", "exec", self.namespace, *base] if self.namespace else base


def start_fleet(lab: Lab, count: int, silent: int, parts: int, workdir: Path, rest: bool = False
                ) -> tuple[list[subprocess.Popen[bytes]], dict[str, Any]]:
    procs: list[subprocess.Popen[bytes]] = []
    manifests = [workdir / f"manifest-{i}.json" for i in range(parts)]
    for i, manifest in enumerate(manifests):
        args = ["simulate", "--network", lab.network, "--count", str(count), "--spread", "--silent", str(silent),
                "--part", f"{i}/{parts}", "--manifest", str(manifest), "--quiet"]
        if lab.namespace:
            args.append("--silent-drop")
            if rest:
                args.append("--silent-rest")
        log = open(workdir / f"fleet-{i}.log", "wb")  # noqa: SIM115 - lives as long as the child
        procs.append(subprocess.Popen(lab.command(*args), stdout=subprocess.DEVNULL, stderr=log))
    end = time.monotonic() + 600
    while not all(m.exists() for m in manifests):
        for i, p in enumerate(procs):
            if p.poll() is not None:
                raise SystemExit(f"fleet part {i} died: {(workdir / f'fleet-{i}.log').read_text()[-2000:]}")
        if time.monotonic() > end:
            raise SystemExit("the fleet did not start in time")
        time.sleep(0.2)
    merged: dict[str, Any] = {"devices": [], "silent": []}
    for m in manifests:
        part = json.loads(m.read_text())
        merged["devices"] += part["devices"]
        merged["silent"] += part.get("silent", [])
    return procs, merged


#: the kernel's TCP counters that tell lost connects from silent addresses (nstat names)
TCP_COUNTERS = ("TcpActiveOpens", "TcpAttemptFails", "TcpExtTCPSynRetrans", "TcpExtListenOverflows",
                "TcpExtListenDrops", "TcpExtTCPReqQFullDrop")


def tcp_counters(lab: Lab) -> dict[str, int]:
    """The lab's TCP counters (the namespace's own, or the machine's on plain loopback); empty without nstat."""
    if shutil.which("nstat") is None:
        return {}
    command = ["ip", "netns", "exec", lab.namespace, "nstat", "-az"] if lab.namespace else ["nstat", "-az"]
    out = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in TCP_COUNTERS and parts[1].isdigit():
            found[parts[0]] = int(parts[1])
    return found


def scan(lab: Lab, args: argparse.Namespace, db: Path) -> dict[str, Any]:
    command = lab.command("scan", lab.network, "--rate", str(args.rate), "--concurrency", str(args.concurrency),
                          "--db", str(db))
    counted = tcp_counters(lab)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_user, cpu_system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    if done.returncode not in (0, 3):
        raise SystemExit(f"camaudit scan failed ({done.returncode}): {done.stderr[-3000:]}")
    now = tcp_counters(lab)
    pace = [line for line in done.stderr.splitlines() if line.startswith("sweep pace:")]
    return {"command": " ".join(command), "seconds": round(seconds, 1),
            # the scanner and its analysis workers (not the fleet): what would transfer to an idle machine
            "cpu_seconds": round(cpu_user + cpu_system, 1), "cpu_user": round(cpu_user, 1),
            "cpu_system": round(cpu_system, 1), "exit": done.returncode, "output": done.stdout.strip(),
            "pace": pace[-1] if pace else "", "tcp": {k: now[k] - counted.get(k, 0) for k in now}}


def _cpu_of(pid: int) -> float:
    """CPU seconds of one process so far (Linux /proc; 0 elsewhere), for the fleet's share of the machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def judge(db: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    from camaudit.demo import compare
    from camaudit.store import open_store

    store = open_store(str(db))
    try:
        identities = store.identities(store.latest_scan())
        hosts = store.hosts(store.latest_scan())
    finally:
        store.close()
    rows = compare(manifest, identities, {})
    wrong = [r.__dict__ for r in rows if not r.correct]
    silent = set(manifest["silent"])
    return {"devices": len(rows), "makers_right": sum(r.correct for r in rows), "wrong": wrong[:20],
            "hosts_recorded": len(hosts), "silent_seen_open": sum(1 for h in hosts
                                                               if h["address"] in silent and h["open_ports"]),
            "incomplete_hosts": sum(1 for h in hosts if h.get("incomplete"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="emulated devices (default 2000)")
    parser.add_argument("--silent", type=int, default=8000, help="silent addresses (default 8000)")
    parser.add_argument("--rate", type=float, default=5000)
    parser.add_argument("--concurrency", type=int, default=512)
    parser.add_argument("--parts", type=int, default=2, help="fleet processes (default 2)")
    parser.add_argument("--silent-rest", action="store_true",
                        help="in a namespace: every address without a device is silent too (as on a real network)")
    parser.add_argument("--loopback", action="store_true", help="plain loopback even where namespaces work")
    parser.add_argument("--network", help=f"default {NAMESPACE_NETWORK} in a namespace, {LOOPBACK_NETWORK} on loopback")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    load_before = os.getloadavg()
    why = "--loopback given" if args.loopback else namespaces_usable()
    with tempfile.TemporaryDirectory(prefix="camaudit-scale-") as tmp, Lab(why is None, args.network) as lab:
        workdir = Path(tmp)
        print(f"lab: {'namespace ' + str(lab.namespace) if lab.namespace else 'loopback (' + str(why) + ')'}; "
              f"{args.count} devices and {args.silent} silent addresses across {lab.network}", file=sys.stderr)
        started = time.monotonic()
        procs, manifest = start_fleet(lab, args.count, args.silent, args.parts, workdir, args.silent_rest)
        print(f"fleet listening after {time.monotonic() - started:.1f}s", file=sys.stderr)
        try:
            fleet_before = [_cpu_of(p.pid) for p in procs]
            figures = scan(lab, args, workdir / "scale.db")
            figures["fleet_cpu_seconds"] = round(sum(_cpu_of(p.pid) - b for p, b in zip(procs, fleet_before,
                                                                                          strict=True)), 1)
            figures.update(judge(workdir / "scale.db", manifest))
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        figures.update({"lab": "namespace" if lab.namespace else "loopback", "network": lab.network,
                        "count": args.count, "silent": len(manifest["silent"]), "rate": args.rate,
                        "silent_rest": bool(args.silent_rest and lab.namespace),
                        "concurrency": args.concurrency, "load_average_before": load_before,
                        "load_average_after": os.getloadavg()})
    print(json.dumps({k: v for k, v in figures.items() if k != "wrong"}, indent=2))
    if figures["wrong"]:
        print("wrong (first 20):", json.dumps(figures["wrong"], indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
