"""ZGrab2 JSON lines: one object per target, ``{"ip": ..., "data": {"<module>": {"status", "protocol",
"result"}}}``.

HTTP results give the response head (``status_line``, and ``headers`` whose names ZGrab2 lower-cases
with underscores, turned back into ``Www-Authenticate``...) as a rebuilt ``http_header`` record and the
body as ``http_body``; the TLS handshake's server certificate (HTTP over TLS, or the ``tls`` module)
gives a ``tls_cert`` record from its parsed subject and issuer DNs; banner-style modules give their
banner. Modules are recognised by the ``protocol`` they report, whatever they were named in the ini.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from camaudit.collect.imports.common import (
    Records,
    cert_text,
    dig,
    dn_from_mapping,
    header_name,
    http_head,
    json_lines,
    text_of,
)
from camaudit.collect.imports.interface import Importer, MalformedInput, first_line
from camaudit.model import Observation
from camaudit.progress import Progress

EXPECTED = "ZGrab2 output"
PORTS = {"http": 80, "tls": 443, "rtsp": 554}


def certificate_text(handshake: Any) -> str | None:
    parsed = dig(handshake, "server_certificates", "certificate", "parsed")
    if not isinstance(parsed, Mapping):
        return None
    subject = text_of(parsed.get("subject_dn")) or dn_from_mapping(parsed.get("subject"))
    issuer = text_of(parsed.get("issuer_dn")) or dn_from_mapping(parsed.get("issuer"))
    return cert_text(subject, issuer)


def _headers(raw: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not isinstance(raw, Mapping):
        return out
    for key, values in raw.items():
        if key == "unknown" and isinstance(values, list):
            for item in values:
                if isinstance(item, Mapping) and isinstance(item.get("key"), str):
                    for v in item.get("value") or []:
                        out.append((header_name(item["key"]), str(v)))
            continue
        for v in values if isinstance(values, list) else [values]:
            if isinstance(v, (str, int)):
                out.append((header_name(str(key)), str(v)))
    return out


class Zgrab2Importer(Importer):
    name = "zgrab2"
    description = "ZGrab2 JSON lines (http, tls and banner modules)"

    def detect(self, head: bytes, path: Path) -> bool:
        line = first_line(head)
        return line.startswith(b"{") and b'"data"' in line and b'"status"' in line and b'"protocol"' in line

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Observation]:
        records = Records("zgrab2")
        for number, row in json_lines(path, progress, EXPECTED):
            ip = row.get("ip") or row.get("domain")
            if not isinstance(ip, str) or not isinstance(row.get("data"), Mapping):
                raise MalformedInput(path, f"line {number}", "a ZGrab2 result with 'ip' and 'data'",
                                     "keys " + ", ".join(sorted(row)[:6]))
            for module, result in row["data"].items():
                if isinstance(result, Mapping) and result.get("status") == "success":
                    yield from _module(records, ip, str(module), result, number)


def _module(records: Records, ip: str, module: str, result: Mapping[str, Any], number: int) -> Iterator[Observation]:
    protocol = str(result.get("protocol") or module)
    port = result.get("port") if isinstance(result.get("port"), int) else PORTS.get(protocol)
    when = text_of(result.get("timestamp"))
    body = result.get("result")

    def make(kind: str, response: str, note: str) -> Observation:
        return records.make(kind, response, ip, address=ip, port=port,
                            request=f"zgrab2 {module} line {number}: {note}", observed_at=when)

    if protocol == "http":
        response = dig(body, "response")
        if not isinstance(response, Mapping):
            return
        version = text_of(dig(response, "protocol", "name")) or "HTTP/1.1"
        status_line = text_of(response.get("status_line"))
        status = f"{version} {status_line}" if status_line else None
        headers = _headers(response.get("headers"))
        if headers or status:
            yield make("http_header", http_head(headers, status), "rebuilt from status_line and headers")
        text = text_of(response.get("body"))
        if text:
            yield make("http_body", text, "response body")
        cert = certificate_text(dig(response, "request", "tls_log", "handshake_log"))
        if cert:
            yield make("tls_cert", cert, "server certificate subject and issuer")
    elif protocol == "tls":
        cert = certificate_text(dig(body, "handshake_log"))
        if cert:
            yield make("tls_cert", cert, "server certificate subject and issuer")
    else:
        banner = text_of(dig(body, "banner"))
        if banner:
            kind = "rtsp" if banner.startswith("RTSP/") else "http_header" if banner.startswith("HTTP/") else \
                "telnet_banner" if protocol == "telnet" else "other"
            yield make(kind, banner, "banner")
