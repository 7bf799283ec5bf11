"""Censys host records as JSON lines (Search 2.0 exports and BigQuery rows; Platform ``resource`` records
are unwrapped).

From each service: the HTTP response (status, ``headers`` with Censys' underscores turned back into
hyphens) as a rebuilt ``http_header`` record and its ``body`` as ``http_body`` (or a page holding only
``html_title``); otherwise a raw ``banner`` that is an HTTP or RTSP answer; the leaf certificate's
subject and issuer DNs as ``tls_cert``; Censys' ``software`` labels as an ``other`` record.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from camaudit.collect.imports.common import (
    Records,
    cert_text,
    checked,
    dig,
    header_name,
    http_head,
    json_lines,
    kv_text,
    text_of,
    title_page,
    tool_port,
)
from camaudit.collect.imports.interface import Importer, MalformedInput, first_line
from camaudit.collect.imports.shodan import split_raw
from camaudit.model import Observation
from camaudit.progress import Progress

EXPECTED = "Censys host records (JSON lines)"


class CensysImporter(Importer):
    name = "censys"
    description = "Censys host records (JSON lines: Search 2.0 export, BigQuery, Platform resources)"

    def detect(self, head: bytes, path: Path) -> bool:
        line = first_line(head)
        return line.startswith(b"{") and b'"services"' in line and (
            b'"service_name"' in line or b'"autonomous_system"' in line or b'"extended_service_name"' in line
            or b'"resource"' in line)

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Observation]:
        records = Records("censys")
        for number, row in json_lines(path, progress, EXPECTED):
            resource = row.get("resource")
            host: Mapping[str, Any] = resource if isinstance(resource, Mapping) else row
            ip = text_of(host.get("ip"))
            services = host.get("services")
            if ip is None or not isinstance(services, list):
                raise MalformedInput(path, f"line {number}", "a Censys host record with 'ip' and 'services'",
                                     "keys " + ", ".join(sorted(host)[:6]))
            when = text_of(host.get("last_updated_at"))
            for service in services:
                if isinstance(service, Mapping):
                    yield from checked(path, number, EXPECTED, _service(records, ip, service, number, when))


def _headers(raw: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not isinstance(raw, Mapping):
        return out
    for key, item in raw.items():
        value = item.get("headers") if isinstance(item, Mapping) else item  # Platform: {"Server": {"headers": []}}
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, (str, int)):
                out.append((header_name(str(key)), str(v)))
    return out


def _service(records: Records, ip: str, service: Mapping[str, Any], number: int,
             when: str | None) -> Iterator[Observation]:
    port = tool_port(service.get("port"))
    name = text_of(service.get("service_name")) or text_of(service.get("protocol")) or ""

    def make(protocol: str, response: str, note: str) -> Observation:
        return records.make(protocol, response, ip, address=ip, port=port,
                            request=f"censys {name or 'service'} line {number}: {note}",
                            observed_at=text_of(service.get("observed_at")) or when)

    response = dig(service, "http", "response")
    if not isinstance(response, Mapping):
        endpoints = service.get("endpoints")
        if isinstance(endpoints, list) and endpoints and isinstance(endpoints[0], Mapping):
            response = dig(endpoints[0], "http")
    raw_banner = text_of(service.get("banner")) or ""
    if isinstance(response, Mapping) and (response.get("headers") or response.get("status_code")):
        proto = text_of(response.get("protocol")) or "HTTP/1.1"
        code = text_of(response.get("status_code"))
        status = f"{proto} {code} {text_of(response.get('status_reason')) or ''}".strip() if code else None
        yield make("http_header", http_head(_headers(response.get("headers")), status),
                   "rebuilt from the recorded status and headers")
        body = text_of(response.get("body"))
        title = text_of(response.get("html_title"))
        if body:
            yield make("http_body", body, "response body")
        elif title:
            yield make("http_body", title_page(title), "rebuilt page holding only html_title")
    elif raw_banner:
        for protocol, text in split_raw(raw_banner):
            yield make(protocol, text, "the banner Censys kept")
    leaf = dig(service, "tls", "certificates", "leaf_data") or dig(service, "cert", "parsed")
    if isinstance(leaf, Mapping):
        cert = cert_text(text_of(leaf.get("subject_dn")), text_of(leaf.get("issuer_dn")))
        if cert:
            yield make("tls_cert", cert, "leaf certificate subject and issuer")
    software = service.get("software")
    if isinstance(software, list) and software:
        labels = [" ".join(str(s.get(k)) for k in ("vendor", "product", "version") if s.get(k))
                  for s in software if isinstance(s, Mapping)]
        yield make("other", kv_text([("censys.service", name), ("censys.software", labels)]),
                   "Censys' own software labels (its judgement, not the device's answer)")
