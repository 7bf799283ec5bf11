"""Split an observation into the named parts that fingerprint rules match against.

A rule names one part (``header:server``, ``title``, ``realm``, ``subject.cn``, ``xml:model``...), in
the spirit of Recog's one-file-per-field. Parsing here is defensive: the text came from an untrusted
device, so anything that does not parse simply yields fewer parts.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

from camaudit.identify.declared import sdp
from camaudit.identify.declared.banner import certificate_names
from camaudit.identify.declared.message import (
    from_answer,
    later_rtsp_heads,
    normalise,
    split_head,
    unwrap_ngrep,
    unwrap_transcript,
)
from camaudit.identify.declared.onvif import _SCOPE as SCOPE
from camaudit.identify.declared.reading import is_code
from camaudit.model import Observation
from camaudit.untrusted import InputError, loads_json

MAX_PARSE = 256 * 1024  # structured parsing (XML/JSON) looks at no more than this many characters

_TITLE = re.compile(r"<title[^<>]{0,256}>([^<]{0,1024})</title\s*>", re.IGNORECASE)
#: quoted, or bare up to the next comma (``Basic realm=NTP clock``), as the banner reader reads it
_REALM = re.compile(r'\brealm\s*=\s*(?:"([^"]*)"|([^",\s][^",]*))', re.IGNORECASE)
_DN_PART = re.compile(r"(?:^|,)\s*([A-Za-z0-9.]+)\s*=\s*((?:\\,|[^,])*)")

Parts = dict[str, list[str]]


#: headers whose value is also read for the ``realm`` part
REALM_HEADERS = ("www-authenticate", "proxy-authenticate")
#: a challenge on a line of a pasted log, whatever the log puts before it (Scrypted's "[Rebroadcast Plugin]: ",
#: PHP's "[5] => ", curl's "< "). A client's Authorization line is not read: a request alone is not an answer
#: (tests/test_banner_names.py), and a MAC in an echoed realm would count twice.
_AUTH_LINE = re.compile(r"^[^\r\n]{0,80}?(?<![\w-])(?:www|proxy)-authenticate[ \t]*:[ \t]*"
                        r"((?:digest|basic)[ \t][^\r\n]{1,1024})", re.IGNORECASE | re.MULTILINE)
#: the evidence kinds whose answers are HTTP- or RTSP-style messages, split by :func:`split_head` alone
MESSAGE_KINDS = frozenset({"http_header", "rtsp"})


def raw_texts(obs: Observation) -> list[str]:
    """The texts the ``raw`` part holds: the answer as it came, and, for an HTTP- or RTSP-style message kept in
    another form (escaped on one line, in a JSON record, as a list of its lines, inside a transcript or a log
    that puts a time stamp before each line: see :func:`camaudit.identify.declared.message.normalise`), the
    message as :func:`camaudit.identify.declared.message.split_head` reads it, so that a rule on the raw answer
    reads a pasted one too. A message that differs from that only in its line ends is not given twice."""
    text = obs.response
    if obs.protocol not in MESSAGE_KINDS:
        return [text]
    read = from_answer(unwrap_transcript(normalise(text[:MAX_PARSE])))
    return [text] if read in (text, text.replace("\r\n", "\n")) else [text, read]


def header_feeds(name: str) -> tuple[str, ...]:
    """The parts a header's value goes into (besides ``raw``), for a header name as :func:`split_head` gives it."""
    return (f"header:{name}", "realm") if name in REALM_HEADERS else (f"header:{name}",)


def _message_parts(text: str, parts: defaultdict[str, list[str]]) -> str:
    status, headers, body = split_head(text)
    parts["status"].append(status)
    for name, value in headers:
        parts[f"header:{name}"].append(value)
        if name in REALM_HEADERS:
            parts["realm"].extend(quoted or bare.strip() for quoted, bare in _REALM.findall(value))
    return body


def _trace_realms(text: str, parts: defaultdict[str, list[str]]) -> None:
    """The realms of the challenges in a pasted log or transcript that is not one message (the lines of a tool's
    log, a program's print of the headers it got)."""
    text = text[:MAX_PARSE]
    if "uthenticate" not in text and "UTHENTICATE" not in text:  # most other answers hold no challenge at all
        return
    for value in _AUTH_LINE.findall(unwrap_ngrep(text)):
        parts["realm"].extend(quoted or bare.strip() for quoted, bare in _REALM.findall(value))


def _body_parts(body: str, parts: defaultdict[str, list[str]]) -> None:
    parts["body"].append(body)
    for match in _TITLE.finditer(body[:MAX_PARSE]):
        parts["title"].append(" ".join(html.unescape(match.group(1)).split()))
    if body.lstrip()[:1] == "{":  # a JSON answer (an API's device information): its values by key, as json:<key>
        _json_parts(body, parts)


def _dn_parts(prefix: str, dn: str, parts: defaultdict[str, list[str]],
              fields: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """The name and its fields as parts (``fields``: the name's :func:`_dn_fields`, when known); gives the fields."""
    parts[prefix].append(dn)
    if fields is None:
        fields = _dn_fields(dn)
    for key, value in fields:
        parts[f"{prefix}.{key}"].append(value)
    return fields


def _dn_fields(dn: str) -> list[tuple[str, str]]:
    """A name's (lower-case key, value) fields, commas unescaped."""
    return [(key.lower(), value.replace("\\,", ",").strip()) for key, value in _DN_PART.findall(dn)]


def _cert_parts(text: str, parts: defaultdict[str, list[str]]) -> None:
    last: tuple[str, list[tuple[str, str]]] | None = None  # a self-signed certificate gives its name twice
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("subject", "issuer"):
            value = value.strip()
            if value:  # a heading alone ("Issuer:"): its fields follow, read below
                fields = _dn_parts(key, value, parts, last[1] if last is not None and last[0] == value else None)
                last = (value, fields)
        elif key in ("san", "serial"):
            parts[key].append(value.strip())
    # a name printed otherwise (nmap's ssl-cert, openssl's subject=, a JSON record): its CN, O and OU, as the
    # certificate banner reads them
    for key, dn in certificate_names(text).items():
        if key not in parts:
            _dn_parts(key, dn, parts)


def safe_xml(text: str) -> ElementTree.Element | None:
    """Parse XML from a device, refusing DTDs (entity expansion) and oversized documents."""
    snippet = text[:MAX_PARSE]
    if len(text) > MAX_PARSE or "<!DOCTYPE" in snippet.upper() or "<!ENTITY" in snippet.upper():
        return None
    start = snippet.find("<")
    if start < 0:
        return None
    try:
        return ElementTree.fromstring(snippet[start:])
    except ElementTree.ParseError:
        return None


_LOOSE_ELEMENT = re.compile(r"<(?:\w+:)?(\w+)(?:\s[^<>]*)?>([^<>]{1,512})</(?:\w+:)?\1\s*>")


def _xml_parts(text: str, parts: defaultdict[str, list[str]]) -> None:
    root = safe_xml(text)
    if root is None:
        # truncated or malformed (not a DTD: those are refused above, and hold no elements here): read the simple
        # <tag>value</tag> pairs that are complete, as SADP tools do with broken device XML
        snippet = text[:MAX_PARSE]
        if "<!ENTITY" in snippet.upper():
            return
        for tag, value in _LOOSE_ELEMENT.findall(snippet):
            if value.strip():
                parts[f"xml:{tag}"].append(value.strip())
        _firmware_with_build(parts)
        return
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        value = (element.text or "").strip()
        if tag and value:
            parts[f"xml:{tag}"].append(value)
    _firmware_with_build(parts)


def _firmware_with_build(parts: defaultdict[str, list[str]]) -> None:
    """ISAPI gives the build date in its own element; advisories bound firmware by it, so keep them together."""
    versions, builds = parts.get("xml:firmwareVersion", []), parts.get("xml:firmwareReleasedDate", [])
    if versions:
        parts["xml:firmwareVersion+build"].append(f"{versions[0]} {builds[0]}" if builds else versions[0])


def _json_values(value: Any, parts: defaultdict[str, list[str]], depth: int = 0) -> None:
    if depth > 8:
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, (str, int, float)) and not isinstance(inner, bool):
                parts[f"json:{key}"].append(str(inner))
            else:
                _json_values(inner, parts, depth + 1)
    elif isinstance(value, list):
        for inner in value[:64]:
            _json_values(inner, parts, depth + 1)


def _json_parts(text: str, parts: defaultdict[str, list[str]]) -> None:
    start = text.find("{")
    if start < 0 or len(text) > MAX_PARSE:
        return
    try:
        _json_values(loads_json(text[start:].rstrip("\x00\n\r ")), parts)
    except InputError:  # not JSON, or JSON no store could keep (lone surrogates, huge numbers): no parts
        return


def _kv_parts(text: str, parts: defaultdict[str, list[str]]) -> None:
    for line in text[:MAX_PARSE].splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and " " not in key.strip():
            parts[f"kv:{key.strip()}"].append(value.strip())


def observation_parts(obs: Observation) -> Parts:
    """Every part a rule may name, for one observation."""
    parts: defaultdict[str, list[str]] = defaultdict(list)
    text = obs.response
    parts["raw"].extend(raw_texts(obs))
    protocol = obs.protocol
    if protocol == "http_header":
        _message_parts(text, parts)
    elif protocol == "http_body":
        _body_parts(text, parts)
    elif protocol == "rtsp":
        body = _message_parts(text, parts)
        if parts["status"][-1].startswith("RTSP/"):  # the further answers of a client's transcript
            for head in later_rtsp_heads(body):
                for name, value in head:
                    parts[f"header:{name}"].append(value)
                    if name in REALM_HEADERS:  # the challenge to a later request (DESCRIBE after OPTIONS)
                        parts["realm"].extend(quoted or bare.strip() for quoted, bare in _REALM.findall(value))
        body = body or sdp.body_of(text)
        if body:
            parts["body"].append(body)
            for name, value in sdp.lines(body):
                parts[name].append(value)
    elif protocol == "tls_cert":
        _cert_parts(text, parts)
    elif protocol in ("sadp", "isapi_deviceinfo", "onvif_device_info", "ws_discovery", "ssdp"):
        if protocol == "ssdp" and not text.lstrip().startswith("<"):
            _message_parts(text, parts)
        else:
            _xml_parts(text, parts)
        if protocol == "ws_discovery":
            _scope_parts(text, parts)
    elif protocol in ("dhip", "dahua_rpc"):
        _json_parts(text, parts)
    elif protocol in ("dahua_cgi", "register"):
        _kv_parts(text, parts)
    elif protocol == "other":
        _trace_realms(text, parts)
    _model_part(parts)
    return dict(parts)


MODEL_SOURCES = ("xml:model", "xml:Model", "xml:DeviceDescription", "json:DeviceType", "kv:deviceType",
                 "kv:updateSerial", "xml:modelNumber", "scope:hardware")


def _scope_parts(text: str, parts: defaultdict[str, list[str]]) -> None:
    """ONVIF scopes (onvif://www.onvif.org/name/..., /hardware/..., /MAC/...), percent-decoded; a value ends
    where the quoting or markup of the rendering it sits in begins (no trailing ``",``)."""
    for key, value in SCOPE.findall(text[:MAX_PARSE]):
        parts[f"scope:{key.lower()}"].append(unquote(value))


def _model_part(parts: defaultdict[str, list[str]]) -> None:
    """The model, whichever protocol named it: model-numbering rules (models.yaml) read this one part."""
    for key in MODEL_SOURCES:
        for value in parts.get(key, ()):
            if value and not is_code(value.strip()):  # deviceType=31 is a code, not a model
                parts["model"].append(value)
                return

