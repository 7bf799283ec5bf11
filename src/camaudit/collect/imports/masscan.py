"""masscan JSON output (``-oJ``, a JSON array written one object per line, or ``-oD`` JSON lines),
with ``--banners``.

Each line holds one address and one port, optionally with a service banner. Banners become evidence:
``http`` (the raw response head masscan kept) as ``http_header``; ``http.server`` (the Server value) as a
rebuilt ``http_header``; ``title`` as a page holding that title; ``X509`` (a base64 DER certificate) as a
``tls_cert`` record; ``rtsp`` as ``rtsp``; anything else as ``other``. An open port without a banner is
recorded as an ``other`` record so the device and its ports are kept.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from camaudit.collect.imports.common import (
    Records,
    checked,
    http_head,
    json_value,
    kv_text,
    text_lines,
    title_page,
    tool_port,
)
from camaudit.collect.imports.interface import Importer, MalformedInput, first_line, open_input
from camaudit.collect.tls import describe_certificate
from camaudit.model import Observation
from camaudit.progress import Progress

EXPECTED = ("masscan JSON: one object per line with 'ip' and either 'ports' (-oJ) or 'port', 'rec_type' and "
            "'data' (-oD)")


def der_subject_issuer(b64: str) -> str | None:
    """The ``tls_cert`` text a live scan gives (subject, issuer, serial, SAN) for a base64 DER certificate, or
    None when it does not parse (masscan often keeps only the start of one)."""
    try:
        return describe_certificate(base64.b64decode(b64.strip(), validate=False))
    except ValueError:  # not base64 (binascii.Error, non-ASCII text) or a CertificateError
        return None


class MasscanImporter(Importer):
    name = "masscan"
    description = "masscan JSON (-oJ / -oD), with --banners"

    def detect(self, head: bytes, path: Path) -> bool:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n[")
        line = first_line(text)
        return line.startswith(b"{") and b'"proto"' in line and (b'"ports"' in line or b'"rec_type"' in line)

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Observation]:
        records = Records("masscan")
        with open_input(path, progress) as stream:
            for number, text in text_lines(stream, path, EXPECTED):
                line = text.strip().rstrip(",")
                if line in ("", "[", "]") or line.startswith("{finished"):
                    continue
                row = json_value(path, number, line, EXPECTED)
                if not isinstance(row, dict) or not isinstance(row.get("ip"), str):
                    raise MalformedInput(path, f"line {number}", EXPECTED, "no 'ip' field")
                ports = row.get("ports")
                if ports is None and "rec_type" in row:
                    ports = [_from_ndjson(row)]  # -oD: one port (status or banner) per line
                if not isinstance(ports, list):
                    raise MalformedInput(path, f"line {number}", EXPECTED, "neither a 'ports' list nor 'rec_type'")
                for entry in ports:
                    if isinstance(entry, dict):
                        yield from checked(path, number, EXPECTED,
                                              _port_evidence(records, row["ip"], entry, row.get("timestamp"), number))


def _from_ndjson(row: dict[str, Any]) -> dict[str, Any]:
    """An -oD line (``rec_type`` status or banner, details in ``data``) as the -oJ port entry it stands for."""
    raw = row.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    entry: dict[str, Any] = {"port": row.get("port"), "proto": row.get("proto", "tcp")}
    if row.get("rec_type") == "banner":
        entry["service"] = {"name": data.get("service_name", ""), "banner": data.get("banner", "")}
    else:
        entry["status"] = data.get("status")
    return entry


def _port_evidence(records: Records, ip: str, entry: dict[str, Any], stamp: Any,
                   number: int) -> Iterator[Observation]:
    port = tool_port(entry.get("port"))
    when = None
    with contextlib.suppress(TypeError, ValueError, OverflowError, OSError):
        when = datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    service = entry.get("service") if isinstance(entry.get("service"), dict) else None
    request = f"masscan line {number}"

    def make(protocol: str, response: str, note: str) -> Observation:
        return records.make(protocol, response, ip, address=ip, port=port, request=f"{request}: {note}",
                            observed_at=when)

    if service is None:
        yield make("other", kv_text([("masscan.port", f"{port}/{entry.get('proto', 'tcp')}"),
                                     ("masscan.status", entry.get("status"))]), "open port")
        return
    name = str(service.get("name", ""))
    banner = service.get("banner")
    if not isinstance(banner, str) or not banner:
        return
    if name == "http" and banner.startswith("HTTP/"):
        head_text, _, body = banner.replace("\r\n", "\n").partition("\n\n")
        yield make("http_header", head_text.replace("\n", "\r\n") + "\r\n\r\n", "the response head masscan kept")
        if body.strip():  # the start of the body, when masscan kept one: read like a live answer's
            yield make("http_body", body, "the start of the response body masscan kept")
    elif name == "http.server":
        yield make("http_header", http_head([("Server", banner)]), "rebuilt from its http.server banner")
    elif name == "title":
        yield make("http_body", title_page(banner), "rebuilt page holding only its title banner")
    elif name.lower() == "x509":
        text = der_subject_issuer(banner)
        if text:
            yield make("tls_cert", text, "subject and issuer of the certificate masscan kept")
    elif name == "rtsp" or banner.startswith("RTSP/"):
        yield make("rtsp", banner, "the RTSP answer masscan kept")
    else:
        yield make("other", kv_text([("masscan.service", name), ("masscan.banner", banner)]), "banner")
