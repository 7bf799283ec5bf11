"""Nmap XML (``-oX``), read as a stream with expat: one host at a time, never the whole document.

What becomes evidence, per open port:
- ``-sV`` service detection (name, product, version, extrainfo, devicetype, CPE): an ``other`` record of
  ``nmap.*`` key=value lines. It is nmap's own judgement: the ``nmap-service`` parser turns its product and
  CPE vendor into evidence labelled ``tool.nmap-service``, weaker than any answer of the device's own (nmap
  calls port 554 of the Hikvision recorder in our fixture "Apple AirTunes rtspd").
- ``servicefp`` (the fingerprint nmap prints for a service it could not match): each probe's answer,
  decoded from nmap's escaped form (:mod:`camaudit.collect.imports.nmap_fp`), as an ``http_header``/
  ``http_body``/``rtsp``/``other`` record read like a live answer.
- ``http-server-header``, ``http-headers``: an ``http_header`` record *rebuilt* from nmap's fields (the
  status line is framing: nmap does not keep it), e.g. ``Server: DNVRS-Webs``.
- ``http-title``: an ``http_body`` record holding only that title.
- ``ssl-cert``: a ``tls_cert`` record (``subject:``/``issuer:`` lines) from its subject and issuer tables.
- ``rtsp-methods``: an ``rtsp`` record with the ``Public:`` line.
- ``fingerprint-strings`` and ``banner``: the raw answers nmap quotes, as ``http_header``/``rtsp``/...
- ``broadcast-wsdd-discover``: a ``ws_discovery`` record per device address it lists.
The MAC address nmap saw on the local link goes on every record of its host (the OUI is evidence too).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.parsers import expat

from camaudit.collect.imports import nmap_fp
from camaudit.collect.imports.common import (
    BadField,
    Records,
    cert_text,
    dn,
    http_head,
    kv_text,
    title_page,
    tool_port,
)
from camaudit.collect.imports.interface import Importer, MalformedInput, open_input
from camaudit.identify.declared.message import decode_escapes
from camaudit.model import Observation
from camaudit.progress import Progress

CHUNK = 64 * 1024
EXPECTED = "an Nmap XML report (nmap -oX), well-formed"
MAX_TABLE_DEPTH = 32  # NSE script output nests tables a few levels deep; each value keeps its table path


class _Refused(Exception):
    """An XML construct an Nmap report never has and we never expand (entity declarations)."""


@dataclass
class _Script:
    id: str
    output: str
    elems: list[tuple[tuple[str, ...], str, str]] = field(default_factory=list)  # (table path, key, text)


@dataclass
class _Port:
    protocol: str
    port: int | None
    state: str = ""
    service: dict[str, str] = field(default_factory=dict)
    cpes: list[str] = field(default_factory=list)
    scripts: list[_Script] = field(default_factory=list)


@dataclass
class _Host:
    started: str | None
    status: str = ""
    ipv4: str | None = None
    ipv6: str | None = None
    mac: str | None = None
    mac_vendor: str | None = None
    hostnames: list[str] = field(default_factory=list)
    ports: list[_Port] = field(default_factory=list)




def _when(epoch: str | None) -> str | None:
    try:
        return datetime.fromtimestamp(int(epoch or ""), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError, OSError):
        return None


class NmapImporter(Importer):
    name = "nmap"
    description = "Nmap XML (-oX), with -sV and NSE script results (http-*, ssl-cert, rtsp-methods...)"

    def detect(self, head: bytes, path: Path) -> bool:
        return b"<nmaprun" in head

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Observation]:
        reader = _Reader(path)
        with open_input(path, progress) as stream:
            while True:
                chunk = stream.read(CHUNK)
                reader.feed(chunk, final=not chunk)
                yield from reader.take()
                if not chunk:
                    break
        if not reader.seen_root:
            raise MalformedInput(path, "line 1", EXPECTED, "no <nmaprun> element")


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.records = Records("nmap")
        self.out: list[Observation] = []
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text
        self.parser.EntityDeclHandler = self.entity
        self.seen_root = False
        self.host: _Host | None = None
        self.port: _Port | None = None
        self.script: _Script | None = None
        self.tables: list[str] = []
        self.elem_key: str | None = None
        self.chars: list[str] = []
        self.in_cpe = False
        self.broadcast: list[_Script] = []

    # feeding ---------------------------------------------------------------------------------------
    def feed(self, chunk: bytes, final: bool) -> None:
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError as exc:
            found = expat.ErrorString(exc.code) if exc.code else str(exc)
            if final and found in ("no element found", "unclosed token"):
                found = "the end of the file before the report closes (truncated?)"
            raise MalformedInput(self.path, f"line {exc.lineno}, column {exc.offset + 1}", EXPECTED,
                                 found) from None
        except (LookupError, ValueError) as exc:  # an XML declaration naming an encoding Python does not know
            # (LookupError) or one expat cannot decode (ValueError: multi-byte encodings are not supported)
            raise MalformedInput(self.path, f"line {self.parser.CurrentLineNumber}", EXPECTED,
                                 f"a character encoding it cannot read ({exc})") from None
        except _Refused as exc:
            raise MalformedInput(self.path, f"line {self.parser.CurrentLineNumber}", EXPECTED, str(exc)) from None

    def take(self) -> list[Observation]:
        out, self.out = self.out, []
        return out

    def entity(self, name: str, *_args: Any) -> None:
        raise _Refused(f"an entity declaration ({name}); camaudit does not expand XML entities")

    # SAX handlers ----------------------------------------------------------------------------------
    def start(self, name: str, attrs: dict[str, str]) -> None:
        if not self.seen_root:
            if name != "nmaprun":
                raise MalformedInput(self.path, f"line {self.parser.CurrentLineNumber}", EXPECTED,
                                     f"<{name}> as the root element")
            self.seen_root = True
            return
        if name == "host":
            self.host = _Host(started=_when(attrs.get("starttime")))
        elif name == "script":
            self.script = _Script(attrs.get("id", ""), attrs.get("output", ""))
            self.tables = []
        elif self.script is not None:
            if name == "table":
                if len(self.tables) >= MAX_TABLE_DEPTH:
                    raise MalformedInput(self.path, f"line {self.parser.CurrentLineNumber}", EXPECTED,
                                         f"<table> elements nested more than {MAX_TABLE_DEPTH} deep in a script")
                self.tables.append(attrs.get("key", ""))
            elif name == "elem":
                self.elem_key = attrs.get("key", "")
                self.chars = []
        elif self.host is not None:
            self._host_start(self.host, name, attrs)

    def _host_start(self, host: _Host, name: str, attrs: dict[str, str]) -> None:
        if name == "status":
            host.status = attrs.get("state", "")
        elif name == "address":
            kind, addr = attrs.get("addrtype"), attrs.get("addr")
            if kind == "ipv4":
                host.ipv4 = addr
            elif kind == "ipv6":
                host.ipv6 = addr
            elif kind == "mac":
                host.mac, host.mac_vendor = addr, attrs.get("vendor")
        elif name == "hostname" and attrs.get("name"):
            host.hostnames.append(attrs["name"])
        elif name == "port":
            try:
                number = tool_port(attrs.get("portid"))
            except BadField as exc:
                raise MalformedInput(self.path, f"line {self.parser.CurrentLineNumber}", EXPECTED, str(exc)) from None
            self.port = _Port(attrs.get("protocol", "tcp"), number)
        elif self.port is not None:
            if name == "state":
                self.port.state = attrs.get("state", "")
            elif name == "service":
                self.port.service = dict(attrs)
            elif name == "cpe":
                self.in_cpe, self.chars = True, []

    def text(self, data: str) -> None:
        if self.elem_key is not None or self.in_cpe:
            self.chars.append(data)

    def end(self, name: str) -> None:
        if name == "elem" and self.script is not None and self.elem_key is not None:
            self.script.elems.append((tuple(self.tables), self.elem_key, "".join(self.chars)))
            self.elem_key = None
        elif name == "table" and self.script is not None and self.tables:
            self.tables.pop()
        elif name == "script" and self.script is not None:
            if self.port is not None:
                self.port.scripts.append(self.script)
            elif self.host is None and self.script.id == "broadcast-wsdd-discover":
                self._wsdd(self.script)
            self.script = None
        elif name == "cpe" and self.in_cpe:
            if self.port is not None:
                self.port.cpes.append("".join(self.chars).strip())
            self.in_cpe = False
        elif name == "port" and self.port is not None and self.host is not None:
            self.host.ports.append(self.port)
            self.port = None
        elif name == "host" and self.host is not None:
            self._emit(self.host)
            self.host = None

    # evidence --------------------------------------------------------------------------------------
    def _emit(self, host: _Host) -> None:
        address = host.ipv4 or host.ipv6
        device = address or (f"mac:{host.mac.lower()}" if host.mac else None)
        if device is None or host.status == "down":
            return
        open_ports = [p for p in host.ports if p.state.startswith("open")]
        if not open_ports and not host.mac:
            return

        def make(protocol: str, response: str, port: int | None, request: str) -> None:
            self.out.append(self.records.make(protocol, response, device, address=address, port=port,
                                              mac=host.mac, request=request, observed_at=host.started))

        make("other", kv_text([("nmap.status", host.status or "up"), ("nmap.mac_vendor", host.mac_vendor),
                               ("nmap.hostname", host.hostnames)]), None, "nmap host discovery")
        for port in open_ports:
            s = port.service
            make("other", kv_text([("nmap.port", f"{port.port}/{port.protocol}"), ("nmap.state", port.state),
                                   ("nmap.service", s.get("name")), ("nmap.product", s.get("product")),
                                   ("nmap.version", s.get("version")), ("nmap.extrainfo", s.get("extrainfo")),
                                   ("nmap.devicetype", s.get("devicetype")), ("nmap.tunnel", s.get("tunnel")),
                                   ("nmap.method", s.get("method")), ("nmap.cpe", port.cpes)]),
                 port.port, "nmap -sV service detection (nmap's own judgement, not the device's answer)")
            for probe, answer in nmap_fp.answers(s.get("servicefp", "")):
                for protocol, response in _raw_answer(answer.lstrip("\r\n")):
                    make(protocol, response, port.port,
                         f"nmap -sV probe {probe}: the answer nmap kept in its service fingerprint (decoded)")
            for script in port.scripts:
                for protocol, response, note in _script_evidence(script):
                    make(protocol, response, port.port, f"nmap script {script.id}: {note}")

    def _wsdd(self, script: _Script) -> None:
        devices: dict[str, list[tuple[str, str]]] = {}
        for path, key, value in script.elems:
            ip = next((p for p in reversed(path) if _is_ip(p)), None)
            if ip:
                devices.setdefault(ip, []).append((key, value))
        for ip, items in devices.items():
            fields = dict(items)
            body = ("<ProbeMatch>"
                    f"<Types>{_xml_text(fields.get('Type', ''))}</Types>"
                    f"<XAddrs>{_xml_text(fields.get('Address', ''))}</XAddrs>"
                    f"<MessageID>{_xml_text(fields.get('Message id', ''))}</MessageID>"
                    "</ProbeMatch>")
            self.out.append(self.records.make("ws_discovery", body, ip, address=ip,
                                              request="nmap script broadcast-wsdd-discover: rebuilt from its "
                                              "Type, Address and Message id fields"))


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _raw_answer(text: str) -> list[tuple[str, str]]:
    """(protocol, response) for a raw answer nmap quoted: HTTP head (+ body), RTSP, or other text."""
    if text.startswith("HTTP/"):
        head, sep, body = text.replace("\r\n", "\n").partition("\n\n")
        out = [("http_header", head.replace("\n", "\r\n") + "\r\n\r\n")]
        if sep and body.strip():
            out.append(("http_body", body))
        return out
    if text.startswith("RTSP/"):
        return [("rtsp", text)]
    return [("other", text)] if text.strip() else []


def _script_evidence(script: _Script) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    sid, output = script.id, script.output
    if output.startswith("ERROR"):
        return out
    if sid == "http-server-header":
        # Rebuilt from nmap's fields: nmap keeps the Server value(s), not the response's status line.
        servers = [v for _p, k, v in script.elems if not k] or [output.strip()]
        headers = [("Server", v.strip()) for v in servers if v.strip()]
        if headers:
            out.append(("http_header", http_head(headers), "rebuilt from its Server value (status line not kept)"))
    elif sid == "http-headers":
        pairs = []
        for line in output.splitlines():
            name, sep, value = line.strip().partition(": ")
            if sep and name and " " not in name and not name.startswith("("):
                pairs.append((name, value))
        if pairs:
            out.append(("http_header", http_head(pairs), "rebuilt from its header lines (status line not kept)"))
    elif sid == "http-title":
        title = next((v for _p, k, v in script.elems if k == "title"), None)
        if title is None and output.strip() and not output.startswith(("Did not follow", "Site doesn't")):
            title = output.strip()
        if title:
            out.append(("http_body", title_page(title), "rebuilt page holding only its title"))
    elif sid == "ssl-cert":
        parts: dict[str, list[tuple[str, str]]] = {"subject": [], "issuer": []}
        for path, key, value in script.elems:
            if path and path[0] in parts and key:
                parts[path[0]].append((key, value))
        text = cert_text(dn(parts["subject"]) or None, dn(parts["issuer"]) or None)
        if text:
            out.append(("tls_cert", text, "rebuilt from its subject and issuer tables"))
    elif sid == "rtsp-methods" and output.strip():
        public = " ".join(output.split())
        out.append(("rtsp", f"RTSP/1.0 200 OK\r\nPublic: {public}\r\n\r\n",
                    "rebuilt from its method list (status line not kept)"))
    elif sid == "fingerprint-strings":
        for _path, key, value in script.elems:
            for protocol, response in _raw_answer(value.lstrip("\r\n")):
                out.append((protocol, response, f"nmap's quote of the answer to its {key} probe"))
    elif sid == "banner" and output.strip():
        for protocol, response in _raw_answer(decode_escapes(output.strip())):
            out.append((protocol, response, "the banner nmap quoted (escapes undone)"))
    return out
