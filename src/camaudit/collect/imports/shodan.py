"""Shodan exports as JSON lines: banners (``shodan download`` / ``parse``, gzip or not) or host records
(``shodan host``, whose ``data`` is the list of banners).

From each banner: ``data`` (the raw answer Shodan kept: an HTTP head, an RTSP answer...) as
``http_header``/``rtsp``/``other``; ``http.html`` as ``http_body`` (or a page holding only ``http.title``);
``ssl.cert`` subject and issuer as ``tls_cert``; Shodan's own ``product``/``version``/``cpe`` labels as an
``other`` record (its judgement, not the device's answer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from camaudit.collect.imports.common import (
    BadField,
    Records,
    cert_text,
    dig,
    dn_from_mapping,
    json_lines,
    kv_text,
    text_of,
    title_page,
    tool_port,
)
from camaudit.collect.imports.interface import Importer, MalformedInput, first_line
from camaudit.model import Observation
from camaudit.progress import Progress

EXPECTED = "Shodan banners or host records (JSON lines)"
#: the fields holding Shodan's own labels
_LABELS = frozenset({"product", "version", "devicetype", "cpe23", "cpe"})
#: what a banner's records are made as: record objects, or their stored form (see Records.stored)
_Made = TypeVar("_Made")


def split_raw(data: str) -> list[tuple[str, str]]:
    """(protocol, response) for a raw answer: HTTP head and body, RTSP answer, or other text."""
    return [(protocol, response) for protocol, response, _note in _raw_records(data, "")]


def _raw_records(data: str, note: str) -> list[tuple[str, str, str]]:
    """:func:`split_raw`'s (protocol, response) pairs, each with ``note``, as :meth:`Records.made` takes them."""
    if data.startswith("HTTP/"):
        head, sep, body = data.replace("\r\n", "\n").partition("\n\n")
        out = [("http_header", head.replace("\n", "\r\n") + "\r\n\r\n", note)]
        if sep and body.strip():
            out.append(("http_body", body, note))
        return out
    if data.startswith("RTSP/"):
        return [("rtsp", data, note)]
    return [("other", data, note)] if data.strip() else []


class ShodanImporter(Importer):
    name = "shodan"
    description = "Shodan banners or host records (JSON lines, .json.gz as downloaded)"

    def detect(self, head: bytes, path: Path) -> bool:
        line = first_line(head)
        return line.startswith(b"{") and (b'"ip_str"' in line or b'"_shodan"' in line)

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Observation]:
        for made in _banners(path, progress, Records("shodan").made):
            yield from made

    def stored(self, path: Path, progress: Progress | None = None) -> Iterator[tuple[str | None, int, str]]:
        """:meth:`read`'s records, a banner's at a time, in their stored form (see :meth:`Records.stored`)."""
        for made in _banners(path, progress, Records("shodan").stored):
            if made is not None:
                yield made


def _banners(path: Path, progress: Progress | None, make: Callable[..., _Made]) -> Iterator[_Made]:
    """What ``make`` (:meth:`Records.made` or :meth:`Records.stored`) gives for each banner of the file, in order."""
    for number, row in json_lines(path, progress, EXPECTED):
        data = row.get("data")
        if not isinstance(data, list):  # one banner, the common case: the row is the banner
            ip = text_of(row.get("ip_str"))
            if ip is None:
                raise MalformedInput(path, f"line {number}", "a Shodan banner or host record with 'ip_str'",
                                     "keys " + ", ".join(sorted(row)[:6]))
            try:
                made = _banner(make, ip, row, number)
            except BadField as exc:  # as common.checked reports it
                raise MalformedInput(path, f"line {number}", EXPECTED, str(exc)) from None
            yield made
            continue
        top_ip = text_of(row.get("ip_str"))  # a host record: its banners
        found_any = False
        for banner in data:
            if type(banner) is not dict and not isinstance(banner, Mapping):  # dict first: the ABC check is slow
                continue
            ip = text_of(banner.get("ip_str")) or top_ip
            if ip is None:
                continue
            found_any = True
            try:
                made = _banner(make, ip, banner, number)
            except BadField as exc:  # as common.checked reports it
                raise MalformedInput(path, f"line {number}", EXPECTED, str(exc)) from None
            yield made
        if not found_any and data:
            raise MalformedInput(path, f"line {number}", "a Shodan banner or host record with 'ip_str'",
                                 "keys " + ", ".join(sorted(row)[:6]))


def _banner(make: Callable[..., _Made], ip: str, banner: Mapping[str, Any], number: int) -> _Made:
    """The banner's records, as ``make`` gives them. Built straight from the fields (no helper object per
    record): this runs once per banner of files with tens of millions of them (the common types are tested
    first, as the helpers would take them)."""
    get = banner.get
    port = get("port")
    if type(port) is not int or not 0 < port < 65536:  # a port number as it should be: tool_port's answer
        port = tool_port(port)
    when = get("timestamp")
    if type(when) is not str:
        when = text_of(when)
    if when and when[-1].isdigit():
        when += "Z"
    shodan = get("_shodan")
    module = shodan.get("module") if type(shodan) is dict else dig(shodan, "module")
    if type(module) is not str:
        module = text_of(module)
    mac = None
    macs = get("mac")
    if macs is not None and isinstance(macs, Mapping) and macs:
        mac = str(next(iter(macs)))
    data = get("data")
    found = _raw_records(data if type(data) is str else (text_of(data) or ""), "the answer Shodan kept (data)")
    http = get("http")
    if http is not None:
        html = text_of(dig(http, "html"))
        title = text_of(dig(http, "title"))
        if html and not any(p == "http_body" for p, _, _ in found):
            found.append(("http_body", html, "http.html"))
        elif title and not html:
            found.append(("http_body", title_page(title), "rebuilt page holding only http.title"))
    ssl = get("ssl")
    if ssl is not None:
        cert = dig(ssl, "cert")
        if cert is not None and (type(cert) is dict or isinstance(cert, Mapping)):
            text = cert_text(dn_from_mapping(cert.get("subject")), dn_from_mapping(cert.get("issuer")))
            if text:
                found.append(("tls_cert", text, "ssl.cert subject and issuer"))
    if _LABELS.isdisjoint(banner):  # none of Shodan's labels (most banners): nothing more to read
        return make(found, ip, ip, port, mac, f"shodan {module or 'banner'} line {number}: ", when, checked=True)
    product, version, devicetype, cpe = get("product"), get("version"), get("devicetype"), get("cpe23") or get("cpe")
    if product is not None or version is not None or devicetype is not None or cpe is not None:
        labels = kv_text([("shodan.product", product), ("shodan.version", version),
                          ("shodan.devicetype", devicetype), ("shodan.cpe", cpe)])
        if labels:
            found.append(("other", labels, "Shodan's own labels (its judgement, not the device's answer)"))
    return make(found, ip, ip, port, mac, f"shodan {module or 'banner'} line {number}: ", when, checked=True)
