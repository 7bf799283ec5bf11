"""Self-description parsers: what a device (or a tool that met it) says about itself, read per protocol
from the structure of the answer, for any maker.

Each parser returns :class:`Statement` values (declared maker, model, firmware, serial, MAC, free-text
name) with the place in the answer they came from. A parser runs on the evidence kinds it is written for
and on any other answer that carries its format's literal anchor (an ISAPI ``DeviceInfo`` document kept
by Shodan as an HTTP body, a magicBox answer pasted as ``other``), so imports are read like live answers.
What a statement is worth, and which public documents describe each format, is data
(``data/knowledge/parsers.yaml``); how a declared maker name is resolved is the maker catalogue's job
(:mod:`camaudit.identify.declared.evidence`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from camaudit.identify.declared import (
    axis,
    banner,
    consumer,
    cwmp,
    dahua,
    ehome,
    hikvision,
    mdns,
    onvif,
    sdp,
    snmp,
    tools,
    upnp,
)
from camaudit.identify.declared.reading import MAX_TEXT, Statement
from camaudit.identify.declared.structured import View
from camaudit.model import Observation

ANCHOR_WINDOW = 64 * 1024  # anchors are looked for in the head of an answer only


@dataclass(frozen=True)
class Parser:
    id: str
    read: Callable[[View], list[Statement]]
    protocols: frozenset[str] = frozenset()
    anchors: tuple[str, ...] = ()
    tool: bool = False  # another tool's conclusion, not the device's own answer
    #: for a parser of HTTP/RTSP-style messages that reads nothing but some headers' values (as
    #: :func:`camaudit.identify.declared.message.split_head` splits them) within the first ``window`` characters: those
    #: header names. None: it may read anything. (The evidence memo leaves other headers' values out.)
    headers: frozenset[str] | None = None
    window: int = 0


def _mdns(view: View) -> list[Statement]:
    return mdns.records(view.text)


PARSERS: tuple[Parser, ...] = (
    Parser("onvif-device-information", onvif.device_information, frozenset({"onvif_device_info"}),
           ("DeviceInformation", "FirmwareVersion", "firmwareVersion", "fw_version=",
            '"fw_version"', "Firmware version", "Firmware Version")),
    Parser("onvif-scopes", onvif.scopes, frozenset({"ws_discovery"}),
           ("onvif://www.onvif.org/", "hardware='", "', name='")),
    Parser("isapi-device-info", hikvision.device_info, frozenset({"isapi_deviceinfo"}),
           ("DeviceInfo", "/ISAPI/System/deviceInfo")),
    Parser("isapi-event-alert", hikvision.event_alert, frozenset(), ("EventNotificationAlert",)),
    Parser("sadp", hikvision.sadp, frozenset({"sadp"}), ("<DeviceSN>", "'DeviceSN'", '"DeviceSN"')),
    Parser("ehome-message", ehome.message, frozenset(), ("<PPVSPMessage", "'PPVSPMessage'", '"PPVSPMessage"')),
    Parser("dahua-magicbox", dahua.magicbox, frozenset({"dahua_cgi", "dahua_rpc"}),
           ("updateSerial", '"SecurityBaseLineVersion"', "magicBox.cgi?action=get")),
    Parser("dhip", dahua.dhip, frozenset({"dhip"}), ("notifyDevInfo",)),
    Parser("upnp-description", upnp.description, frozenset({"ssdp"}), ("urn:schemas-upnp-org:device-1-0",)),
    Parser("axis-vapix", axis.params, frozenset(), ("root.Brand.", "root.Properties.", "propertyList")),
    Parser("reolink-api", consumer.reolink, frozenset(), ('"DevInfo"', "'DevInfo'")),
    Parser("tapo-api", consumer.tapo, frozenset(), ('"device_info"', "'device_info'")),
    Parser("mdns-records", _mdns, frozenset({"mdns"})),
    Parser("cwmp-inform", cwmp.inform, frozenset(), ("urn:dslforum-org:cwmp-",)),
    Parser("snmp-values", snmp.walk, frozenset(),
           ("sysDescr.0", "3.6.1.2.1.1.1.0", "enterprises.", "3.6.1.4.1.")),
    Parser("nmap-service", tools.nmap, frozenset(), ("nmap.product=", "nmap.cpe="), tool=True),
    Parser("nmap-port-table", tools.nmap_table, frozenset(), ("/tcp ", "/tcp\t", "/udp "), tool=True),
    Parser("shodan-labels", tools.shodan, frozenset(), ("shodan.product=", "shodan.cpe="), tool=True),
    Parser("censys-labels", tools.censys, frozenset(), ("censys.software=",), tool=True),
    Parser("banner-headers", banner.headers, frozenset({"http_header", "rtsp", "ssdp"}), headers=banner.HEADERS_READ,
           window=banner.HEAD_WINDOW),
    Parser("sdp-session", sdp.session, frozenset({"rtsp"})),
    Parser("banner-title", banner.title, frozenset({"http_body"})),
    Parser("banner-page", banner.page, frozenset({"http_body"})),
    Parser("banner-nmap-fingerprints", banner.nmap_fingerprints, frozenset(), ("fingerprint-strings:",)),
    Parser("banner-greeting", banner.greeting, frozenset({"telnet_banner"})),
    Parser("banner-line-greeting", banner.line_greeting, frozenset(), banner.LINE_GREETING_ANCHORS),
    Parser("banner-certificate", banner.certificate, frozenset({"tls_cert"})),
    Parser("banner-vendor-class", banner.vendor_class, frozenset({"dhcp"})),
)

_BY_PROTOCOL: dict[str, list[Parser]] = {}
for _parser in PARSERS:
    for _protocol in _parser.protocols:
        _BY_PROTOCOL.setdefault(_protocol, []).append(_parser)


#: Kinds whose answers may hold any format (an HTTP body, a tool's stored banner, pasted text): only these are
#: searched for the other parsers' anchors. An answer of a known protocol goes to that protocol's parsers.
ANCHORED_KINDS = frozenset({"http_body", "other", "dahua_cgi", "dahua_rpc"})


def parsers_for(protocol: str, text: str) -> list[Parser]:
    """The parsers an answer is for: those of its evidence kind, then any whose anchor it carries."""
    chosen = list(_BY_PROTOCOL.get(protocol, ()))
    if protocol not in ANCHORED_KINDS:
        return chosen
    head = text[:ANCHOR_WINDOW]
    for parser in PARSERS:
        if parser not in chosen and any(anchor in head for anchor in parser.anchors):
            chosen.append(parser)
    return chosen


def reads_kind(protocol: str) -> bool:
    """Whether any parser may read an answer of this evidence kind (see :func:`parsers_for`)."""
    return protocol in _BY_PROTOCOL or protocol in ANCHORED_KINDS


def headers_read(protocol: str) -> tuple[frozenset[str], int] | None:
    """For a kind whose parsers all read only named headers: (those names, the shortest window they read
    in; 0 when no parser reads the kind). None when some parser may read more."""
    if protocol in ANCHORED_KINDS:
        return None
    names: set[str] = set()
    window = 0
    for parser in _BY_PROTOCOL.get(protocol, ()):
        if parser.headers is None or parser.window <= 0:
            return None
        names |= parser.headers
        window = parser.window if window == 0 else min(window, parser.window)
    return frozenset(names), window


def statements(obs: Observation) -> list[tuple[Parser, Statement]]:
    """Every statement any parser reads from one observation, with the parser that read it."""
    text = obs.response[:MAX_TEXT]
    chosen = parsers_for(obs.protocol, text)
    if not chosen:
        return []
    view = View(text)
    return [(parser, statement) for parser in chosen for statement in parser.read(view)]


__all__ = ["PARSERS", "Parser", "Statement", "headers_read", "parsers_for", "reads_kind", "statements"]
