"""Helpers the importers share: numbering records, rebuilding protocol text from tools' fields, reading
JSON lines and text lines with exact error positions.

Tools such as Nmap, ZGrab2, Shodan or Censys store a device's answer as fields (a Server header value, a
title, a certificate subject) rather than as the bytes on the wire. The fingerprint rules read protocol
text (an HTTP head, a certificate's ``subject:``/``issuer:`` lines), so the importers rebuild that text
from the fields, and say so in each record's ``request``. Nothing is added that the tool did not record
except the minimum framing (an HTTP status line when the tool kept none).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from camaudit import fastjson
from camaudit.collect.imports.interface import MalformedInput, open_input, snippet
from camaudit.model import Observation
from camaudit.progress import Progress
from camaudit.untrusted import SLOW, InputError, fast_json, loads_json

RESPONSE_CAP = 256 * 1024  # the same byte cap a live scan puts on one response
REBUILT_STATUS = "HTTP/1.1 200 OK"  # framing only: the tool did not keep the status line

DN_KEYS = {
    "commonname": "CN", "cn": "CN", "common_name": "CN",
    "organizationname": "O", "o": "O", "organization": "O",
    "organizationalunitname": "OU", "ou": "OU", "organizational_unit": "OU",
    "localityname": "L", "l": "L", "locality": "L",
    "stateorprovincename": "ST", "st": "ST", "province": "ST",
    "countryname": "C", "c": "C", "country": "C",
    "emailaddress": "emailAddress",
    "serialnumber": "serialNumber", "serial_number": "serialNumber",
}


class Records:
    """Numbers the records of one file so that each id is unique within its import."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.count = 0

    def make(self, protocol: str, response: str, device: str, *, address: str | None = None,
             port: int | None = None, mac: str | None = None, request: str | None = None,
             observed_at: str | None = None) -> Observation:
        self.count += 1
        return Observation.fast(f"{self.prefix}{self.count}", protocol, response[:RESPONSE_CAP], device, address,
                                as_port(port), mac, request, observed_at)

    def made(self, found: Iterable[tuple[str, str, str]], device: str, address: str | None, port: int | None,
             mac: str | None, request_prefix: str, observed_at: str | None, checked: bool = False
             ) -> list[Observation]:
        """One record per (protocol, response, note) of one answer, all sharing the rest, as :meth:`make` makes
        them (``request`` is ``request_prefix`` + note). ``checked``: ``port`` is already None or a port number
        (as :func:`tool_port` gives it), which :func:`as_port` would give back unchanged."""
        fast, prefix, count = Observation.fast, self.prefix, self.count
        if not checked:
            port = as_port(port)
        out = []
        for protocol, response, note in found:
            count += 1
            out.append(fast(f"{prefix}{count}", protocol, response[:RESPONSE_CAP], device, address, port, mac,
                            request_prefix + note, observed_at))
        self.count = count
        return out

    def stored(self, found: Iterable[tuple[str, str, str]], device: str, address: str | None, port: int | None,
               mac: str | None, request_prefix: str, observed_at: str | None, checked: bool = False
               ) -> tuple[str | None, int, str] | None:
        """The records :meth:`made` makes, numbered the same, straight in their stored form: (device, how many,
        their :func:`camaudit.store.core.record_json` texts joined by commas), or None when there are none.
        No record object is made (an import gathers records by device as this text)."""
        prefix, count = self.prefix, self.count
        if not checked:
            port = as_port(port)
        items = []
        for protocol, response, note in found:
            count += 1
            items.append((f"{prefix}{count}", protocol, response[:RESPONSE_CAP], address, port, mac,
                          request_prefix + note, observed_at))
        if not items:
            return None
        self.count = count
        return device, len(items), fastjson.dumps_storable_items(items)


def http_head(headers: Iterable[tuple[str, str]], status: str | None = None) -> str:
    """An HTTP response head, from a status line (or the framing one) and header pairs."""
    lines = [status.strip() if status and status.strip() else REBUILT_STATUS]
    for name, value in headers:
        clean = " ".join(str(value).split())
        lines.append(f"{name}: {clean}")
    return "\r\n".join(lines) + "\r\n\r\n"


def header_name(key: str) -> str:
    """``www_authenticate`` / ``content-type`` -> ``Www-Authenticate`` / ``Content-Type``."""
    return "-".join(part.capitalize() for part in key.replace("_", "-").split("-"))


def title_page(title: str) -> str:
    """A page holding only the title the tool recorded."""
    return f"<html><head><title>{html.escape(title)}</title></head></html>"


ESCAPED_COMMA = chr(92) + ","
_SHORT: dict[str, str] = {}  # attribute names seen, with their short form (bounded: names come from files)


def _short_name(key: str) -> str:
    short = _SHORT.get(key)
    if short is None:
        short = DN_KEYS.get(key.lower().replace(" ", ""), key)
        if len(_SHORT) < 1024:
            _SHORT[key] = short
    return short


def _attribute(key: str, value: object) -> str:
    return f"{_short_name(key)}={str(value).replace(',', ESCAPED_COMMA)}"


def dn(pairs: Iterable[tuple[str, str]]) -> str:
    """A distinguished name as text (``CN=..., O=...``) from attribute pairs, commas escaped."""
    return ", ".join(_attribute(key, value) for key, value in pairs)


def dn_from_mapping(raw: Any) -> str | None:
    """A DN from a mapping such as Shodan's ``{"CN": "...", "O": "..."}`` or ZGrab2's lists of values."""
    if isinstance(raw, str):
        return raw or None
    if raw is None or (type(raw) is not dict and not isinstance(raw, Mapping)):  # dict first: the ABC check is slow
        return None
    out: list[str] = []
    for key, value in raw.items():
        if type(value) is str:  # the common case, one text value: what the general path below gives, sooner
            if value:
                name = key if type(key) is str else str(key)
                out.append(f"{_SHORT.get(name) or _short_name(name)}={value.replace(',', ESCAPED_COMMA)}")
            continue
        values = value if isinstance(value, list) else [value]
        out.extend(_attribute(str(key), v) for v in values if isinstance(v, (str, int)) and str(v))
    return ", ".join(out) or None


def cert_text(subject: str | None, issuer: str | None) -> str | None:
    lines = []
    if subject:
        lines.append(f"subject: {subject}")
    if issuer:
        lines.append(f"issuer: {issuer}")
    return "\n".join(lines) + "\n" if lines else None


def kv_text(pairs: Iterable[tuple[str, Any]]) -> str:
    """``key=value`` lines (values on one line), skipping empty values."""
    out = []
    for key, value in pairs:
        if value is None or value == "" or value == []:
            continue
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        out.append(f"{key}={' '.join(text.split())}")
    return "\n".join(out)


class BadField(ValueError):
    """A field the tool wrote that cannot be what its format says (a port of 99999, a port named "http"): the
    importer turns it into :class:`MalformedInput` at the record's line, rather than store the record without it."""


def tool_port(value: Any) -> int | None:
    """The port a tool wrote: None when it wrote none (absent, null, empty, Zeek's ``-``, or 0, which masscan
    gives its ICMP answers); :class:`BadField` when it wrote something that is not a port number."""
    if value is None or value == "" or value == "-" or value == 0 or value == "0":
        return None
    port = as_port(value)
    if port is None or (isinstance(value, float) and value != port):
        raise BadField(f"port {snippet(str(value))}, which is not a port number (1 to 65535)")
    return port


def checked(path: Path, number: int, expected: str, found: Iterator[Observation]) -> Iterator[Observation]:
    """The records made from one line, with a :class:`BadField` in them reported as that line's error."""
    try:
        yield from found
    except BadField as exc:
        raise MalformedInput(path, f"line {number}", expected, str(exc)) from None


def as_port(value: Any) -> int | None:
    """A TCP/UDP port number from whatever a tool wrote (``"554"``, ``554.0``), or None when it is not one."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 65536 else None
    if isinstance(value, str) and not (0 < len(value.strip()) <= 8):
        return None  # also keeps int() away from huge digit strings
    try:
        port = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: float infinity
        return None
    return port if 0 < port < 65536 else None


def line_text(raw: bytes, number: int, path: Path, expected: str) -> str:
    """One line as UTF-8 text without its line end, or :class:`MalformedInput` at the first byte that is not."""
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedInput(path, f"line {number}, byte {exc.start + 1} of the line",
                             f"UTF-8 text ({expected})", f"byte 0x{raw[exc.start]:02x}") from None
    return text.rstrip("\r\n")


def text_lines(stream: IO[bytes], path: Path, expected: str) -> Iterator[tuple[int, str]]:
    """(line number, UTF-8 text without the line end), failing on the first line that is not UTF-8."""
    for number, raw in enumerate(stream, 1):
        yield number, line_text(raw, number, path, expected)


def json_lines(path: Path, progress: Progress | None, expected: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSON-lines file (gzip or not)."""
    with open_input(path, progress) as stream:
        for number, raw in enumerate(stream, 1):
            value = fast_json(raw)
            if value is SLOW:  # orjson refused the line: read it exactly as before, for the value or the error
                text = line_text(raw, number, path, expected)
                if not text.strip():
                    continue
                value = json_value(path, number, text, expected)
            if not isinstance(value, dict):
                raise MalformedInput(path, f"line {number}", f"one JSON object per line ({expected})",
                                     f"a JSON {type(value).__name__}")
            yield number, value


def json_value(path: Path, number: int, text: str, expected: str) -> Any:
    """One line's JSON value, or :class:`MalformedInput` naming the file, line (and column) and what was wrong."""
    try:
        return loads_json(text)
    except InputError as exc:
        where = f"line {number}" + (f", column {exc.column}" if exc.column else "")
        detail = "" if exc.expected == "JSON" else f" with {exc.expected}"
        raise MalformedInput(path, where, f"one JSON object per line ({expected}){detail}", exc.found) from None


def dig(value: Any, *keys: str) -> Any:
    """``value[k1][k2]...`` or None when any step is missing or not a mapping."""
    for key in keys:
        if type(value) is not dict and not isinstance(value, Mapping):  # dict first: the ABC check is slow
            return None
        value = value.get(key)
    return value


def text_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None
