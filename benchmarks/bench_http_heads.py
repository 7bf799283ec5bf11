"""How camaudit names the maker from HTTP response heads collected for development (not the evaluation corpus).

Runs each item of benchmarks/http_heads_dev.yaml (a Server header, an authentication realm, a Location, or a whole
head, from nmap-service-probes, Greenbone NASL scripts and issue threads, each with its source and the maker that
source states) through the identify engine `camaudit identify` uses, one device per item, and prints right / wrong /
"cannot tell" and how many devices of another maker (or of none) were called Hikvision or Dahua. Scored as
benchmarks/bench_identify.py scores: an item with no stated maker is right only when no maker is named.

    .venv/bin/python benchmarks/bench_http_heads.py          # the figures
    .venv/bin/python benchmarks/bench_http_heads.py --show   # also each item's outcome

No network traffic: this reads one file. The evaluation corpus's figure stays benchmarks/bench_identify.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dev_figures import Outcome, main

from camaudit.model import Observation

DEV = Path(__file__).resolve().parent / "http_heads_dev.yaml"


def head(item: Mapping[str, Any]) -> str:
    """The least HTTP head that carries the item's value in its field."""
    field, value = item["field"], item["value"]
    if field == "raw":
        return str(value)
    if field == "server":
        return f"HTTP/1.1 200 OK\r\nServer: {value}\r\n\r\n"
    if field == "realm":
        return f'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="{value}"\r\n\r\n'
    if field == "location":
        return f"HTTP/1.1 302 Found\r\nLocation: {value}\r\n\r\n"
    raise ValueError(f"unknown field {field!r}")


def _observe(n: int, item: Mapping[str, Any]) -> Observation:
    protocol = "rtsp" if str(item["value"]).startswith("RTSP/") else "http_header"
    return Observation(id=f"dev-{n}", protocol=protocol, response=head(item), device=f"dev-{n}")


def _line(o: Outcome) -> str:
    return f"{o.item['field']:<8} {str(o.item['value'])[:48]!r:<52} truth={o.item['truth']!s:<16}"


if __name__ == "__main__":
    raise SystemExit(main(__doc__ or "", "HTTP heads", DEV, _observe, _line))
