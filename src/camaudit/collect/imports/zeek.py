"""Zeek logs, TSV (with ``#fields`` headers) or JSON lines, read one line at a time.

The log kind comes from ``#path`` (TSV), ``_path`` (JSON) or the file name (``http.log``, ``ssl.json``...).
What becomes evidence (the device is the responder for server-side logs, the client for DHCP and DNS):
- ``http.log``: the Server header when a script logs it (``server``, ``server_header`` or
  ``declared_server``), rebuilt as an ``http_header`` record with the logged status code and message;
- ``software.log``: ``HTTP::SERVER`` entries (their ``unparsed_version`` is the Server header verbatim)
  as ``http_header``; other software as ``other``;
- ``ssl.log`` (``subject``/``issuer``, Zeek before 4) and ``x509.log`` (``certificate.subject``/
  ``certificate.issuer``) as ``tls_cert``; x509.log names no address, so its device is the certificate
  fingerprint unless the line carries ``host``/``id.resp_h``;
- ``dhcp.log``: ``host_name``, ``client_fqdn``, ``client_software`` with the MAC (OUI) as ``dhcp``;
- ``dns.log``: the names a device looks up (a vendor cloud says who it phones) as ``other``;
- ``conn.log``: which ports answered, once per address and port, as ``other``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from camaudit.collect.imports.common import (
    Records,
    cert_text,
    checked,
    http_head,
    json_value,
    kv_text,
    text_lines,
    tool_port,
)
from camaudit.collect.imports.interface import Importer, MalformedInput, first_line, open_input, snippet
from camaudit.model import Observation
from camaudit.progress import Progress

KINDS = ("http", "software", "ssl", "x509", "dhcp", "dns", "conn")
EXPECTED_TSV = "Zeek TSV log lines (tab-separated, as many fields as '#fields' names)"
EXPECTED_JSON = "Zeek JSON log lines (one JSON object per line)"
SEEN_CAP = 200_000  # conn.log: remember this many (address, port) pairs to avoid repeating them
_ESCAPE = re.compile(r"\\x([0-9A-Fa-f]{2})")
ANSWERED = {"SF", "S1", "S2", "S3", "RSTO", "RSTR", "OTH"}


def _unescape(text: str) -> str:
    """Zeek's ``\\xHH`` escapes (``#separator \\x09``) undone; anything else is taken literally."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _kind_from_name(path: Path) -> str | None:
    stem = path.name.split(".")[0].lower()
    return stem if stem in KINDS else None


def _when(value: Any) -> str | None:
    try:
        return datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError, OverflowError, OSError):
        return value if isinstance(value, str) and "T" in value else None


class ZeekImporter(Importer):
    name = "zeek"
    description = "Zeek logs (TSV or JSON): http, software, ssl, x509, dhcp, dns, conn"

    def detect(self, head: bytes, path: Path) -> bool:
        if head.startswith(b"#separator"):
            return True
        line = first_line(head)
        return line.startswith(b"{") and (b'"id.orig_h"' in line or b'"_path"' in line or b'"uid"' in line)

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Observation]:
        records = Records("zeek")
        seen: set[tuple[str, int]] = set()
        with open_input(path, progress) as stream:
            lines = text_lines(stream, path, "Zeek log")
            kind = _kind_from_name(path)
            fields: list[str] | None = None
            separator = "\t"
            unset, empty = "-", "(empty)"
            for number, text in lines:
                if not text.strip():
                    continue
                if text.startswith("#"):
                    directive, _, value = text.partition(separator if not text.startswith("#separator") else " ")
                    if directive == "#separator":
                        separator = _unescape(value.strip()) or "\t"
                    elif directive == "#path":
                        kind = value.strip() if value.strip() in KINDS else None
                    elif directive == "#fields":
                        fields = value.split(separator)
                    elif directive == "#unset_field":
                        unset = value
                    elif directive == "#empty_field":
                        empty = value
                    continue
                if text.startswith("{"):
                    row = json_value(path, number, text, EXPECTED_JSON)
                    if not isinstance(row, dict):
                        raise MalformedInput(path, f"line {number}", EXPECTED_JSON, f"a JSON {type(row).__name__}")
                    line_kind = row.get("_path") if row.get("_path") in KINDS else kind
                else:
                    if fields is None:
                        raise MalformedInput(path, f"line {number}", "a '#fields' header line before the data "
                                             "(Zeek TSV) or JSON objects", snippet(text))
                    values = text.split(separator)
                    if len(values) != len(fields):
                        raise MalformedInput(path, f"line {number}", f"{len(fields)} tab-separated fields as "
                                             "'#fields' names", f"{len(values)}")
                    row = {k: v for k, v in zip(fields, values, strict=True) if v not in (unset, empty)}
                    line_kind = kind
                if line_kind is None:
                    raise MalformedInput(path, f"line {number}", "a known Zeek log (#path or _path http, "
                                         "software, ssl, x509, dhcp, dns or conn, or such a file name)", "none")
                yield from checked(path, number, f"a Zeek {line_kind}.log line",
                                   _evidence(records, line_kind, row, number, seen))


def _get(row: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = row.get(name)
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if value not in (None, "", "-"):
            return str(value)
    return None


def _evidence(records: Records, kind: str, row: Mapping[str, Any], number: int,
              seen: set[tuple[str, int]]) -> Iterator[Observation]:
    when = _when(row.get("ts"))
    responder = _get(row, "id.resp_h")
    resp_port = tool_port(row.get("id.resp_p"))
    request = f"zeek {kind}.log line {number}"

    def make(protocol: str, response: str, device: str, address: str | None, port: int | None,
             mac: str | None = None, note: str = "") -> Observation:
        return records.make(protocol, response, device, address=address, port=port, mac=mac,
                            request=request + (f": {note}" if note else ""), observed_at=when)

    if kind == "http" and responder:
        server = _get(row, "server", "server_header", "declared_server")
        if server:
            status = f"HTTP/{_get(row, 'version') or '1.1'} {_get(row, 'status_code') or '200'} " \
                     f"{_get(row, 'status_msg') or ''}".strip()
            yield make("http_header", http_head([("Server", server)], status), responder, responder, resp_port,
                       note="rebuilt from the logged status and Server header")
    elif kind == "software":
        host = _get(row, "host")
        if host is None:
            return
        port = tool_port(row.get("host_p"))
        kind_of = _get(row, "software_type") or ""
        if kind_of == "HTTP::SERVER" and _get(row, "unparsed_version"):
            yield make("http_header", http_head([("Server", _get(row, "unparsed_version") or "")]), host, host,
                       port, note="rebuilt from the Server header Zeek logged as unparsed_version")
        else:
            yield make("other", kv_text([("zeek.software_type", kind_of), ("zeek.name", _get(row, "name")),
                                         ("zeek.unparsed_version", _get(row, "unparsed_version"))]),
                       host, host, port)
    elif kind in ("ssl", "x509"):
        subject = _get(row, "certificate.subject", "subject")
        issuer = _get(row, "certificate.issuer", "issuer")
        text = cert_text(subject, issuer)
        if text is None:
            return
        address = responder or _get(row, "host")
        device = address or f"x509:{_get(row, 'fingerprint', 'id') or number}"
        yield make("tls_cert", text, device, address, resp_port, note="certificate subject and issuer")
    elif kind == "dhcp":
        mac = _get(row, "mac")
        address = _get(row, "assigned_addr", "client_addr", "requested_addr")
        client = address or (f"mac:{mac.lower()}" if mac else None)
        if client is None:
            return
        yield make("dhcp", kv_text([("host_name", _get(row, "host_name")),
                                    ("client_fqdn", _get(row, "client_fqdn")),
                                    ("client_software", _get(row, "client_software")),
                                    ("mac", mac)]), client, address, None, mac=mac)
    elif kind == "dns":
        client = _get(row, "id.orig_h")
        query = _get(row, "query")
        if client and query:
            yield make("other", kv_text([("zeek.dns_query", query), ("zeek.answers", _get(row, "answers"))]),
                       client, client, None, note="a name this device looked up")
    elif kind == "conn" and responder and resp_port:
        state = _get(row, "conn_state") or ""
        key = (responder, resp_port)
        if state in ANSWERED and key not in seen:
            if len(seen) >= SEEN_CAP:
                seen.clear()
            seen.add(key)
            yield make("other", kv_text([("zeek.port", f"{resp_port}/{_get(row, 'proto') or 'tcp'}"),
                                         ("zeek.service", _get(row, "service")), ("zeek.conn_state", state)]),
                       responder, responder, resp_port, note="a port that answered")
