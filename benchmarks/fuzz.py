"""The long fuzz run: coverage-guided (atheris, libFuzzer's engine) over one target or all of them.

Each target (tests/fuzz/targets.py: identify, http, rtsp, tls, each discovery protocol, each importer) runs in
its own process, seeded with the project's fixtures and recordings and given the crash-class tokens as a
dictionary. An input that raises anything but the target's documented error is a crash: it is counted,
saved under ``--crashes DIR`` (named by target and SHA-1) with its traceback, and fuzzing goes on. Reports
inputs run, crashes (and distinct crash sites), and the slowest input with its time: CPU time of the fuzzing
thread (``slowest_seconds``; what the input costs), and the longest wall time apart (``slowest_wall_seconds``;
on a shared machine it also holds the time the scheduler gave to other work). Only reports: no thresholds,
exit 0 whatever it found (2 when atheris is not installed).

    python benchmarks/fuzz.py --target shodan --runs 1000000
    python benchmarks/fuzz.py --target all --runs 1000000 --json fuzz.json     # one target after another
    python benchmarks/fuzz.py --target nmap --seconds 60 --seed 7
    python benchmarks/fuzz.py --target identify --runs 1000000 --max-len 4096   # libFuzzer's -max_len
    python benchmarks/fuzz.py --target nmap,register_csv --large      # time 1 MB inputs of repeated shapes

``--large`` does not fuzz: it times each target on 1 MB inputs built from its seeds (a seed repeated, one line
of it repeated, each crash-class token repeated inside it), the sizes where quadratic work shows.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.fuzz.targets
MAX_LEN = 64 * 1024
#: the modules whose coverage guides each target: its own parser and the shared decoding it goes through
#: (instrumenting the rule engine and the store too costs several times the speed and guides nothing new)
_IMPORTS = ("camaudit.collect.imports.common", "camaudit.collect.imports.interface", "camaudit.untrusted")
_PARTS = ("camaudit.identify.parts", "camaudit.untrusted")
COVERED: dict[str, tuple[str, ...]] = {
    "identify": ("camaudit.identify.records", "camaudit.model", *_PARTS),
    "http": ("camaudit.collect.limits", "camaudit.collect.http", *_PARTS),
    "rtsp": ("camaudit.collect.limits", *_PARTS),
    "tls": ("camaudit.collect.tls", *_PARTS),
    "sadp": ("camaudit.collect.discovery.sadp", *_PARTS),
    "ws_discovery": ("camaudit.collect.discovery.wsdiscovery", *_PARTS),
    "dhip": ("camaudit.collect.discovery.dhip_multicast", "camaudit.collect.dhip", *_PARTS),
    "ssdp": ("camaudit.collect.discovery.ssdp", *_PARTS),
    "mdns": ("camaudit.collect.discovery.mdns", *_PARTS),
    "register_csv": ("camaudit.collect.imports.register", *_IMPORTS),
    "register_xlsx": ("camaudit.collect.imports.register", *_IMPORTS),
    "pcap": ("camaudit.collect.imports.pcap", "camaudit.collect.tls", *_IMPORTS),
    **{name: (f"camaudit.collect.imports.{name}", *_IMPORTS)
       for name in ("nmap", "zeek", "masscan", "zgrab2", "shodan", "censys")},
}
#: the order of --target all: quickest first
ORDER = ("mdns", "ssdp", "tls", "dhip", "zgrab2", "shodan", "sadp", "nmap", "ws_discovery", "http", "rtsp",
         "censys", "zeek", "identify", "register_csv", "masscan", "pcap", "register_xlsx")


def child(args: argparse.Namespace) -> None:
    """Fuzz one target in this process (atheris can run one Fuzz() per process); write the figures as JSON."""
    import atheris  # type: ignore[import-untyped]

    with atheris.instrument_imports(include=list(COVERED[args.target])):
        from tests.fuzz import targets as fuzz_targets
    target = fuzz_targets.TARGETS[args.target]
    for warm in (b"", b"PK\x03\x04", *fuzz_targets.seeds_of(target)):  # load knowledge files and openpyxl first
        target.run(warm)
    crashes_dir = Path(args.crashes) / target.name
    figures: dict[str, Any] = {"target": target.name, "family": target.family, "inputs": 0, "crashes": 0,
                               "crash_sites": {}, "slowest_seconds": 0.0, "slowest_wall_seconds": 0.0,
                               "slowest_input": None, "max_len": args.max_len,
                               "seed": args.seed, "started": time.time()}
    report = Path(args.report)

    def write() -> None:
        figures["elapsed_seconds"] = round(time.time() - figures["started"], 1)
        report.write_text(json.dumps(figures, indent=1))

    last = [time.time()]

    def one(data: bytes) -> None:
        started, cpu_started = time.perf_counter(), time.thread_time()
        try:
            target.run(data)
        except Exception as exc:  # a crash: record it and go on fuzzing
            figures["crashes"] += 1
            frames = traceback.extract_tb(exc.__traceback__)
            site = f"{type(exc).__name__} at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}"
            sites: dict[str, int] = figures["crash_sites"]
            if site not in sites:
                crashes_dir.mkdir(parents=True, exist_ok=True)
                name = hashlib.sha1(data).hexdigest()[:16]
                (crashes_dir / name).write_bytes(data)
                (crashes_dir / f"{name}.txt").write_text("".join(traceback.format_exception(exc)))
            sites[site] = sites.get(site, 0) + 1
        elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
        figures["inputs"] += 1
        figures["slowest_wall_seconds"] = max(figures["slowest_wall_seconds"], round(elapsed, 4))
        if cpu > figures["slowest_seconds"]:
            figures["slowest_seconds"] = round(cpu, 4)
            slow = Path(args.crashes) / f"slowest-{target.name}"
            slow.write_bytes(data)
            figures["slowest_input"] = str(slow)
            figures["slowest_bytes"] = len(data)
        now = time.time()
        if now - last[0] >= 2 or figures["inputs"] == args.runs:
            last[0] = now
            write()

    corpus = Path(tempfile.mkdtemp(prefix=f"camaudit-corpus-{target.name}-"))
    for number, seed in enumerate(fuzz_targets.seeds_of(target, regressions=False)):  # those run in the suite
        (corpus / f"seed-{number}").write_bytes(seed[:MAX_LEN])
    dictionary = corpus.parent / f"{corpus.name}.dict"
    dictionary.write_text("".join(f'"{_escape(t)}"\n' for t in fuzz_targets.TOKENS if len(t) <= 128))
    argv = [sys.argv[0], f"-seed={args.seed}", "-rss_limit_mb=3072", "-timeout=30",
            f"-dict={dictionary}", "-print_final_stats=1", "-close_fd_mask=1"]
    if args.runs:
        argv.append(f"-runs={args.runs}")
    if args.max_len:
        argv.append(f"-max_len={args.max_len}")
    if args.seconds:
        argv.append(f"-max_total_time={args.seconds}")
    atheris.Setup([*argv, str(corpus)], one)
    atheris.Fuzz()


def large(names: list[str], size: int) -> list[dict[str, Any]]:
    """Each target's slowest 1 MB input among repeated shapes of its seeds; nothing is instrumented."""
    from tests.fuzz import targets as fuzz_targets

    out = []
    for name in names:
        target = fuzz_targets.TARGETS[name]
        seeds = fuzz_targets.seeds_of(target, regressions=False)[:4]
        for warm in (b"", b"PK\x03\x04", *seeds):
            target.run(warm)
        shapes: list[tuple[str, bytes]] = []
        for number, seed in enumerate(seeds):
            shapes.append((f"seed {number} repeated", (seed * (size // max(1, len(seed)) + 1))[:size]))
            lines = seed.splitlines(keepends=True)
            if len(lines) > 1:
                line = max(lines[1:], key=len)
                body = line * ((size - len(seed)) // max(1, len(line)))
                shapes.append((f"seed {number}: one line repeated", lines[0] + body + b"".join(lines[1:])))
            middle = len(seed) // 2
            for token in fuzz_targets.TOKENS:
                if len(token) <= 64:
                    body = token * ((size - len(seed)) // len(token))
                    shapes.append((f"seed {number}: {token[:20]!r} repeated", seed[:middle] + body + seed[middle:]))
        slowest = ("", 0.0)
        crashes = 0
        for label, data in shapes:
            started = time.perf_counter()
            try:
                target.run(data)
            except Exception:
                crashes += 1
            elapsed = time.perf_counter() - started
            if elapsed > slowest[1]:
                slowest = (label, elapsed)
        figures = {"target": name, "inputs": len(shapes), "bytes_each": size, "crashes": crashes,
                   "slowest_seconds": round(slowest[1], 3), "slowest_input": slowest[0]}
        print(f"{name:14} {len(shapes):>4} inputs of {size:,} bytes  {crashes} crashes  slowest "
              f"{slowest[1]:.3f} s ({slowest[0]})", flush=True)
        out.append(figures)
    return out


def _seconds_until(clock: str) -> float:
    hours, minutes = (int(part) for part in clock.split(":"))
    now = time.gmtime()
    left = (hours * 3600 + minutes * 60) - (now.tm_hour * 3600 + now.tm_min * 60 + now.tm_sec)
    return left if left > 0 else left + 86400


def _escape(token: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else f"\\x{b:02x}" for b in token)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="all", help="a target name, a comma-separated list, or all")
    parser.add_argument("--runs", type=int, default=0, help="inputs per target (with --seconds: whichever ends first)")
    parser.add_argument("--seconds", type=int, default=0, help="time per target (default 60 s when --runs is not "
                        "given)")
    parser.add_argument("--until", metavar="HH:MM", help="UTC time to end by: each target gets an equal share of "
                        "what is left when it starts (a target that ends early leaves its time to the rest)")
    parser.add_argument("--seed", type=int, default=1, help="libFuzzer's random seed")
    parser.add_argument("--crashes", default="fuzz-crashes", help="folder for crashing and slowest inputs")
    parser.add_argument("--json", help="also write every target's figures to this file")
    parser.add_argument("--large", action="store_true", help="time 1 MB inputs of repeated shapes instead")
    parser.add_argument("--size", type=int, default=1 << 20, help="bytes per --large input (default 1 MiB)")
    parser.add_argument("--max-len", type=int, default=0, help="libFuzzer's -max_len: the longest input it makes "
                        "(default: libFuzzer's choice from the seeds; --large times 1 MB inputs apart)")
    parser.add_argument("--report", help=argparse.SUPPRESS)  # set for the child process
    args = parser.parse_args()
    if args.report:
        child(args)
        return 0
    if not args.large and importlib.util.find_spec("atheris") is None:
        print("fuzz.py: the long run needs atheris: pip install -e '.[fuzz]'", file=sys.stderr)
        return 2
    names = list(ORDER) if args.target == "all" else args.target.split(",")
    if args.large:
        timed = large(names, args.size)
        if args.json:
            Path(args.json).write_text(json.dumps(timed, indent=1))
        return 0
    Path(args.crashes).mkdir(parents=True, exist_ok=True)
    results = []
    for name in names:
        report = Path(args.crashes) / f"figures-{name}.json"
        command = [sys.executable, __file__, "--target", name, "--seed", str(args.seed), "--crashes", args.crashes,
                   "--report", str(report)]
        seconds = args.seconds or (0 if args.runs else 60)
        if args.until:
            seconds = max(10, int(_seconds_until(args.until) / (len(names) - names.index(name))))
        command += ["--runs", str(args.runs), "--seconds", str(seconds), "--max-len", str(args.max_len)]
        started = time.time()
        proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
        figures: dict[str, Any] = json.loads(report.read_text()) if report.exists() else {"target": name}
        figures["exit_code"] = proc.returncode
        figures["wall_seconds"] = round(time.time() - started, 1)
        figures["libfuzzer_tail"] = proc.stderr.strip().splitlines()[-6:]
        results.append(figures)
        print(f"{name:14} {figures.get('inputs', 0):>10,} inputs  {figures.get('crashes', 0):>6} crashes "
              f"({len(figures.get('crash_sites', {}))} sites)  slowest {figures.get('slowest_seconds', 0):.3f} s "
              f"CPU ({figures.get('slowest_bytes', 0):,} bytes; longest wall "
              f"{figures.get('slowest_wall_seconds', 0):.3f} s)  "
              f"{figures['wall_seconds']:.0f} s wall"
              + ("" if proc.returncode == 0 else f"  exit {proc.returncode}"), flush=True)
        for site, count in figures.get("crash_sites", {}).items():
            print(f"    {count:>6} x {site}", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
