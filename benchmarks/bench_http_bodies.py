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
from pathlib import Path

import yaml
from dev_figures import Outcome, rules_of, score, totals

from camaudit.model import Observation

DEV = Path(__file__).resolve().parent / "http_bodies_dev.yaml"


def run(show: bool) -> list[Outcome]:
    items = yaml.safe_load(DEV.read_text(encoding="utf-8"))["items"]
    outcomes = score(items, lambda n, item: Observation(id=f"dev-{n}", protocol="http_body",
                                                        response=str(item["value"]), device=f"dev-{n}"))
    if show:
        for o in outcomes:
            print(f"{o.outcome:<11} {str(o.item['value'])[:56]!r:<60} truth={o.item['truth']!s:<14} "
                  f"got={o.identity.manufacturer!s:<14} {rules_of(o.identity)}")
    totals("HTTP bodies", DEV.name, outcomes)
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="list each item's outcome")
    args = parser.parse_args(argv)
    run(args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
