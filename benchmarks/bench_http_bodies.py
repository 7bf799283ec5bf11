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

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dev_figures import Outcome, main

from camaudit.model import Observation

DEV = Path(__file__).resolve().parent / "http_bodies_dev.yaml"


def _observe(n: int, item: Mapping[str, Any]) -> Observation:
    return Observation(id=f"dev-{n}", protocol="http_body", response=str(item["value"]), device=f"dev-{n}")


def _line(o: Outcome) -> str:
    return f"{str(o.item['value'])[:56]!r:<60} truth={o.item['truth']!s:<14}"


if __name__ == "__main__":
    raise SystemExit(main(__doc__ or "", "HTTP bodies", DEV, _observe, _line))
