"""Compare ``camaudit scan`` with ``nmap -sV`` on the same emulated fleet, in the same run.

Starts the emulated fleet (``camaudit simulate``) on loopback, runs each tool against exactly the same
addresses and ports as a subprocess, and prints wall times, the ratio, and how many devices each tool
identified correctly against the fleet's ground-truth manifest. It only reports: no timing thresholds.

    python benchmarks/bench_scan.py
    python benchmarks/bench_scan.py --count 100 --network 127.79.0.0/24 --repeat 3 --json out.json

See benchmarks/README.md for what "right" means and how the two runs are kept comparable.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# camaudit ships no py.typed marker: checked alone, mypy sees it as an untyped installed package;
# checked with the project (plain `mypy`), it is analysed from src and the ignore is unused.
from camaudit.simulate.process import FleetProcess

PORTS = "80,443,554,8000,8080,8443,37777"  # camaudit's default ports, given to nmap explicitly
LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")
# nmap's default timing template; named explicitly so the command line documents it.
NMAP_TIMING = "-T3"


@dataclass
class Truth:
    address: str
    manufacturer: str | None
    personality: str


@dataclass
class Verdict:
    address: str
    personality: str
    truth: str | None
    said: str | None  # what the tool reported (camaudit: manufacturer; nmap: service text)
    right: bool


@dataclass
class RunResult:
    seconds: float
    verdicts: list[Verdict]

    @property
    def right(self) -> int:
        return sum(v.right for v in self.verdicts)


@dataclass
class ToolSummary:
    tool: str
    command: list[str]
    seconds: list[float]
    median_seconds: float
    right: int
    total: int
    right_per_run: list[int]
    wrong: list[Verdict] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- ground truth

def read_truth(manifest: dict[str, Any]) -> list[Truth]:
    truth: list[Truth] = []
    for dev in manifest["devices"]:
        address = str(dev["address"])
        if ipaddress.ip_address(address) not in LOOPBACK:
            raise SystemExit(f"refusing to scan {address}: the benchmark only sends traffic to 127.0.0.0/8")
        maker = dev.get("manufacturer")
        truth.append(Truth(address, str(maker) if maker else None, str(dev.get("personality") or "?")))
    return sorted(truth, key=lambda t: ipaddress.ip_address(t.address))


def maker_names(manifest: dict[str, Any]) -> list[str]:
    """Every manufacturer and brand name in the fleet: naming one of these is 'naming a camera maker'."""
    names: set[str] = set()
    for dev in manifest["devices"]:
        for key in ("manufacturer", "brand"):
            if dev.get(key):
                names.add(str(dev[key]))
    return sorted(names, key=str.lower)


def address_range(truth: list[Truth]) -> tuple[str, str, list[str]]:
    """First and last address, and every address between them (the exact set both tools probe)."""
    ips = [ipaddress.ip_address(t.address) for t in truth]
    first, last = min(ips), max(ips)
    every = [str(ipaddress.ip_address(i)) for i in range(int(first), int(last) + 1)]
    return str(first), str(last), every


# --------------------------------------------------------------------------------------------- camaudit

def camaudit_exe() -> str:
    beside = Path(sys.executable).with_name("camaudit")
    if beside.exists():
        return str(beside)
    found = shutil.which("camaudit")
    if found is None:
        raise SystemExit("camaudit is not installed in this environment")
    return found


def camaudit_command(first: str, last: str, workdir: Path) -> list[str]:
    return [camaudit_exe(), "scan", f"{first}-{last}", "--db", str(workdir / "bench.db"),
            "--json", str(workdir / "out.json"), "-q"]


def run_camaudit(first: str, last: str, truth: list[Truth]) -> RunResult:
    with tempfile.TemporaryDirectory(prefix="bench-camaudit-") as tmp:
        workdir = Path(tmp)  # a fresh store every run: nothing is carried over between runs
        cmd = camaudit_command(first, last, workdir)
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"camaudit failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
        report = json.loads((workdir / "out.json").read_text(encoding="utf-8"))
    found: dict[str, str | None] = {}
    for dev in report.get("devices", []):
        maker = dev.get("manufacturer")
        found[str(dev["address"])] = str(maker) if maker else None
    verdicts = []
    for t in truth:
        said = found.get(t.address)
        right = (said is None and t.manufacturer is None) or (
            said is not None and t.manufacturer is not None and said.casefold() == t.manufacturer.casefold())
        verdicts.append(Verdict(t.address, t.personality, t.manufacturer, said, right))
    return RunResult(seconds, verdicts)


# --------------------------------------------------------------------------------------------- nmap

def ensure_nmap() -> str:
    found = shutil.which("nmap")
    if found is not None:
        return found
    print("nmap not found; installing it with apt-get", file=sys.stderr)
    install = ["apt-get", "install", "-y", "nmap"]
    if subprocess.run(install, stdout=subprocess.DEVNULL, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], stdout=subprocess.DEVNULL, check=False)
        subprocess.run(install, stdout=subprocess.DEVNULL, check=False)
    found = shutil.which("nmap")
    if found is None:
        raise SystemExit("nmap is not installed and apt-get could not install it")
    return found


def nmap_version(nmap: str) -> str:
    out = subprocess.run([nmap, "--version"], capture_output=True, text=True, check=False).stdout
    return out.splitlines()[0] if out else "nmap (unknown version)"


def nmap_command(nmap: str, targets_file: Path, xml_out: Path, host_timeout: int | None = None) -> list[str]:
    # -sV: version detection (default intensity 7); -Pn: no host discovery (camaudit does none either);
    # -n: no DNS (camaudit does none); same ports as camaudit; -iL: the same addresses camaudit gets.
    limit = ["--host-timeout", f"{host_timeout}s"] if host_timeout else []
    return [nmap, "-sV", "-Pn", "-n", NMAP_TIMING, *limit, "-p", PORTS, "-oX", str(xml_out),
            "-iL", str(targets_file)]


def nmap_texts(xml_path: Path) -> dict[str, list[str]]:
    """For each host, the identification text nmap gave: product, vendor, devicetype, extrainfo, cpe.

    The raw ``servicefp`` of services nmap did not recognise is deliberately left out: it is the bytes the
    service sent, not an identification by nmap."""
    texts: dict[str, list[str]] = {}
    root = ET.parse(xml_path).getroot()
    for host in root.iter("host"):
        addr = host.find("address[@addrtype='ipv4']")
        if addr is None:
            continue
        bits: list[str] = []
        for port in host.iter("port"):
            state = port.find("state")
            if state is None or state.get("state") != "open":
                continue
            svc = port.find("service")
            if svc is None:
                continue
            for attr in ("product", "vendor", "devicetype", "extrainfo", "hostname", "ostype"):
                value = svc.get(attr)
                if value:
                    bits.append(f"{port.get('portid')}:{value}")
            bits.extend(f"{port.get('portid')}:{cpe.text}" for cpe in svc.iter("cpe") if cpe.text)
        for osclass in host.iter("osclass"):  # only present with -O; read for completeness
            vendor = osclass.get("vendor")
            if vendor:
                bits.append(f"os:{vendor}")
        texts[str(addr.get("addr"))] = bits
    return texts


def run_nmap(nmap: str, every: list[str], truth: list[Truth], makers: list[str],
             host_timeout: int | None = None) -> RunResult:
    with tempfile.TemporaryDirectory(prefix="bench-nmap-") as tmp:
        workdir = Path(tmp)
        targets = workdir / "targets.txt"
        targets.write_text("\n".join(every) + "\n", encoding="ascii")
        cmd = nmap_command(nmap, targets, workdir / "out.xml", host_timeout)
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"nmap failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
        texts = nmap_texts(workdir / "out.xml")
    verdicts = []
    for t in truth:
        bits = texts.get(t.address, [])
        blob = " | ".join(bits).casefold()
        if t.manufacturer is not None:
            right = t.manufacturer.casefold() in blob
        else:
            right = not any(m.casefold() in blob for m in makers)
        said = "; ".join(bits)[:80] or None
        verdicts.append(Verdict(t.address, t.personality, t.manufacturer, said, right))
    return RunResult(seconds, verdicts)


# --------------------------------------------------------------------------------------------- report

def summarise(tool: str, command: list[str], runs: list[RunResult]) -> ToolSummary:
    seconds = [r.seconds for r in runs]
    # accuracy: the worst run (runs normally agree; right_per_run shows it when they do not)
    worst = min(runs, key=lambda r: r.right)
    return ToolSummary(tool=tool, command=command, seconds=seconds, median_seconds=statistics.median(seconds),
                       right=worst.right, total=len(worst.verdicts), right_per_run=[r.right for r in runs],
                       wrong=[v for v in worst.verdicts if not v.right])


def print_report(summaries: list[ToolSummary], devices: int, addresses: int) -> None:
    print()
    print(f"{'tool':<14} {'median s':>9} {'runs (s)':<28} {'makers right':>13}")
    print("-" * 67)
    for s in summaries:
        runs = ", ".join(f"{x:.2f}" for x in s.seconds)
        print(f"{s.tool:<14} {s.median_seconds:>9.2f} {runs:<28} {f'{s.right}/{s.total}':>13}")
    print(f"({devices} devices on {addresses} addresses)")
    for s in summaries:
        print()
        if not s.wrong:
            print(f"{s.tool}: every device right")
            continue
        silent = sum(1 for v in s.wrong if not v.said)
        print(f"{s.tool}: {len(s.wrong)} not right ({len(s.wrong) - silent} named another maker or a "
              f"product only, {silent} named none)")
        for v in s.wrong:
            print(f"  {v.address:<15} {v.personality:<18} truth={v.truth or '-':<14} said={v.said or '-'}")
    cam, nm = summaries
    if cam.median_seconds > 0 and nm.median_seconds >= cam.median_seconds:
        speed = f"camaudit {nm.median_seconds / cam.median_seconds:.1f}x faster than nmap -sV"
    elif nm.median_seconds > 0:
        speed = f"camaudit {cam.median_seconds / nm.median_seconds:.1f}x slower than nmap -sV"
    else:
        speed = "camaudit vs nmap -sV"
    print()
    print(f"{speed} ({cam.median_seconds:.1f}s vs {nm.median_seconds:.1f}s); "
          f"makers right: camaudit {cam.right}/{cam.total}, nmap {nm.right}/{nm.total}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--count", type=int, default=None,
                    help="devices in the fleet (default: one of each personality)")
    ap.add_argument("--network", default="127.77.0.0/24",
                    help="loopback network for the fleet, inside 127.0.0.0/8 (default 127.77.0.0/24)")
    ap.add_argument("--repeat", type=int, default=1, help="run each tool this many times; report the median")
    ap.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--no-hostile", action="store_true",
                    help="leave the hostile device out (it can stall nmap -sV for a very long time: one of its ports "
                    "sends a byte a second forever)")
    ap.add_argument("--nmap-host-timeout", type=int, default=None, metavar="SECONDS",
                    help="give nmap --host-timeout (nmap gives up on a host after that long and reports nothing "
                    "for it); camaudit keeps its own default per-host deadline (12 s)")
    args = ap.parse_args(argv)
    net = ipaddress.ip_network(args.network, strict=False)
    if not (isinstance(net, ipaddress.IPv4Network) and net.subnet_of(LOOPBACK)):
        ap.error("--network must be inside 127.0.0.0/8: the benchmark only sends traffic to loopback")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.count is not None and args.count < 1:
        ap.error("--count must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    nmap = ensure_nmap()
    print(f"starting the emulated fleet on {args.network} ({args.count or 'one of each personality'} devices)",
          file=sys.stderr)
    with FleetProcess(args.network, count=args.count, hostile=not args.no_hostile) as fleet:
        manifest = fleet.manifest
        truth = read_truth(manifest)
        makers = maker_names(manifest)
        first, last, every = address_range(truth)
        cam_runs: list[RunResult] = []
        nmap_runs: list[RunResult] = []
        for i in range(args.repeat):
            # alternate the order so neither tool always runs against a freshly started fleet
            order = ("camaudit", "nmap") if i % 2 == 0 else ("nmap", "camaudit")
            for tool in order:
                print(f"run {i + 1}/{args.repeat}: {tool} on {first}-{last}", file=sys.stderr)
                if tool == "camaudit":
                    result = run_camaudit(first, last, truth)
                    cam_runs.append(result)
                else:
                    result = run_nmap(nmap, every, truth, makers, args.nmap_host_timeout)
                    nmap_runs.append(result)
                # shown as each run ends, so a long run that is interrupted still leaves its figures
                print(f"  {tool}: {result.seconds:.2f}s, makers right {result.right}/{len(truth)}",
                      file=sys.stderr)
    shown_dir = Path("<tmp>")
    cam = summarise("camaudit", camaudit_command(first, last, shown_dir), cam_runs)
    nm = summarise("nmap -sV", nmap_command(nmap, shown_dir / "targets.txt", shown_dir / "out.xml",
                                            args.nmap_host_timeout), nmap_runs)
    print_report([cam, nm], len(truth), len(every))
    if args.json is not None:
        figures = {
            "network": args.network,
            "count": len(truth),
            "addresses": f"{first}-{last}",
            "ports": PORTS,
            "repeat": args.repeat,
            "nmap_version": nmap_version(nmap),
            "nmap_scan_type": "SYN (-sS, running as root)" if os.geteuid() == 0 else "connect (-sT)",
            "ratio_nmap_over_camaudit": (nm.median_seconds / cam.median_seconds
                                         if cam.median_seconds > 0 else None),
            "tools": [asdict(cam), asdict(nm)],
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
