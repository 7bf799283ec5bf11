"""SYNTHETIC internet-scan exports, for benchmarks and tests: made up here, shaped like real Shodan and ZGrab2
JSON lines, carrying real device answers from the recording catalogue (simulate/recordings).

Every record says what it is (``"_synthetic"``). Each synthetic host is one device: it takes the recorded answers
(HTTP heads, pages, RTSP answers) of one recorded device model, with a ``Date`` header that changes from host to
host as real answers do, a private address (10.0.0.0/8), and, in the Shodan layout, a made-up country and
autonomous system from a short fixed list. Hosts' banners are spread through the file (not grouped), as in a
real export, so grouping by device has work to do. Hold-out recordings are never used.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

import orjson

from camaudit.simulate.recordings import load_recordings

LABEL = "SYNTHETIC record made up by camaudit.bulk.synthetic (a recorded device answer, not a real host)"
COUNTRIES = ("GB", "US", "DE", "FR", "NL", "ES", "IT", "PL", "BR", "IN")
ASNS = ("AS64500", "AS64501", "AS64502", "AS64503", "AS64504", "AS64505")  # documentation ASNs (RFC 5398)
PORTS = {"http_header": 80, "http_body": 80, "rtsp": 554}
BASE = int(ipaddress.IPv4Address("10.0.0.0"))


@dataclass(frozen=True)
class Model:
    """The answers of one recorded device model, by protocol."""

    key: str
    answers: tuple[tuple[str, str], ...]  # (protocol, response)


def models() -> list[Model]:
    grouped: dict[str, list[tuple[str, str]]] = {}
    for rec in load_recordings().values():
        if rec.holdout or rec.protocol not in PORTS:
            continue
        key = f"{rec.manufacturer}|{rec.brand}|{rec.model}|{rec.file}"
        grouped.setdefault(key, []).append((rec.protocol, rec.response))
    return [Model(k, tuple(v)) for k, v in sorted(grouped.items())]


def _dated(response: str, host: int) -> str:
    """An HTTP or RTSP head with its Date header set for this host (added after the status line if absent)."""
    date = formatdate(1_700_000_000 + host * 7, usegmt=True)
    head, sep, body = response.partition("\r\n\r\n") if "\r\n\r\n" in response else response.partition("\n\n")
    newline = "\r\n" if "\r\n" in head else "\n"
    lines = [line for line in head.split(newline) if not line.lower().startswith("date:")]
    lines.insert(1, f"Date: {date}")
    return newline.join(lines) + (sep + body if sep else newline * 2)


def _banners(host: int, model: Model) -> list[tuple[str, int, str]]:
    """(protocol, port, response) for one host."""
    return [_banner(host, model, i) for i in range(min(3, len(model.answers)))]


def _banner(host: int, model: Model, index: int) -> tuple[str, int, str]:
    """The host's ``index``-th banner (of :func:`_banners`)."""
    protocol, response = model.answers[index]
    text = _dated(response, host) if protocol in ("http_header", "rtsp") else response
    return protocol, PORTS[protocol], text


def _shodan(address: str, host: int, protocol: str, port: int, text: str) -> dict[str, Any]:
    row: dict[str, Any] = {"_synthetic": LABEL, "ip_str": address, "port": port, "transport": "tcp",
                           "timestamp": "2026-01-01T00:00:00.000000",
                           "location": {"country_code": COUNTRIES[host % len(COUNTRIES)]},
                           "asn": ASNS[host % len(ASNS)]}
    if protocol == "http_body":
        row["_shodan"] = {"module": "http"}
        row["data"] = "HTTP/1.1 200 OK\r\n\r\n"
        row["http"] = {"html": text}
    else:
        row["_shodan"] = {"module": "rtsp-tcp" if protocol == "rtsp" else "http"}
        row["data"] = text
    return row


def _zgrab2(address: str, protocol: str, port: int, text: str) -> dict[str, Any]:
    if protocol == "http_header":
        status, _, rest = text.partition("\r\n")
        headers: dict[str, list[str]] = {}
        for line in rest.split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                headers.setdefault(name.strip().lower().replace("-", "_"), []).append(value.strip())
        version, _, status_line = status.partition(" ")
        response = {"status_line": status_line, "protocol": {"name": version}, "headers": headers}
        result: dict[str, Any] = {"response": response}
        module = "http"
    elif protocol == "http_body":
        result = {"response": {"status_line": "200 OK", "protocol": {"name": "HTTP/1.1"}, "headers": {},
                               "body": text}}
        module = "http"
    else:
        result = {"banner": text}
        module = "rtsp"
    return {"_synthetic": LABEL, "ip": address,
            "data": {module: {"status": "success", "protocol": "http" if module == "http" else "banner",
                              "port": port, "timestamp": "2026-01-01T00:00:00Z", "result": result}}}


def lines(records: int, layout: str = "shodan", seed: int = 0) -> Iterator[bytes]:
    """``records`` JSON lines (banners) in the Shodan or ZGrab2 layout, about three banners per host."""
    catalogue = models()
    per_host = 3
    hosts = max(1, records // per_host)
    written = 0
    round_ = 0
    while written < records:
        for host in range(hosts):
            model = catalogue[(host * 7919 + seed) % len(catalogue)]
            # a host with fewer answers repeats its last (a second scan of it)
            protocol, port, text = _banner(host, model, min(round_, len(model.answers), 3) - 1
                                           if round_ >= min(len(model.answers), 3) else round_)
            address = str(ipaddress.IPv4Address(BASE + host))
            row = _shodan(address, host, protocol, port, text) if layout == "shodan" else \
                _zgrab2(address, protocol, port, text)
            yield orjson.dumps(row) + b"\n"
            written += 1
            if written >= records:
                return
        round_ += 1


def write(path: str, records: int, layout: str = "shodan", seed: int = 0) -> None:
    with open(path, "wb") as out:
        for line in lines(records, layout, seed):
            out.write(line)
