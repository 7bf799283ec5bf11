"""How camaudit names the maker from HTTP bodies collected for development (not the evaluation corpus).

Runs each item of benchmarks/http_bodies_dev.yaml (a login or root page, whole or a fragment, from
nmap-service-probes, Greenbone NASL detections and Nuclei panel templates, each with its source and the maker that
source states) through the identify engine `camaudit identify` uses, one device per item, and prints right / wrong /
"cannot tell" and how many devices of another maker (or of none) were called Hikvision or Dahua. Scored as
benchmarks/bench_identify.py scores: an item with no stated maker is right only when no maker is named.

    .venv/bin/python benchmarks/bench_http_bodies.py          # the figures
    .venv/bin/python benchmarks/bench_http_bodies.py --show   # also each item's outcome

No network traffic: this reads one file. These are development figures; the evaluation corpus's figure stays
benchmarks/bench_identify.py's.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import yaml

from camaudit.audit import Stages
from camaudit.knowledge.brands import normalise
from camaudit.model import Observation

DEV = Path(__file__).resolve().parent / "http_bodies_dev.yaml"
COVERED = ("hikvision", "dahua")


def run(show: bool) -> Counter[str]:
    identifier = Stages.default().identifier
    brands = identifier.brands
    items = yaml.safe_load(DEV.read_text(encoding="utf-8"))["items"]
    outcomes: Counter[str] = Counter()
    called = 0
    for n, item in enumerate(items):
        obs = Observation(id=f"dev-{n}", protocol="http_body", response=str(item["value"]), device=f"dev-{n}")
        (identity,) = identifier.identify_all([obs])
        got = normalise(brands.canonical(identity.manufacturer)) if identity.manufacturer else ""
        want = normalise(brands.canonical(item["truth"])) if item["truth"] else ""
        outcome = ("right" if not got else "wrong") if not want else (
            "cannot tell" if not got else "right" if got == want else "wrong")
        outcomes[outcome] += 1
        if got in COVERED and want not in COVERED:
            called += 1
        if show:
            print(f"{outcome:<11} {str(item['value'])[:56]!r:<60} truth={item['truth']!s:<14} "
                  f"got={identity.manufacturer!s:<14} {','.join(sorted({e.rule for e in identity.evidence}))[:70]}")
    known = [i for i in items if i["truth"]]
    others = [i for i in items if not i["truth"] or normalise(brands.canonical(i["truth"])) not in COVERED]
    print(f"development HTTP bodies: {len(items)} items from {DEV.name} ({len(known)} with a stated maker)")
    print(f"right {outcomes['right']}, wrong {outcomes['wrong']}, cannot tell {outcomes['cannot tell']}")
    print(f"another maker (or no known maker) called Hikvision/Dahua: {called} of {len(others)}")
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="list each item's outcome")
    args = parser.parse_args(argv)
    run(args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
