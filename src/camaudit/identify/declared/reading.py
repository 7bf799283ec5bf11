"""Bounded readers for the formats devices describe themselves in: XML (defusedxml, no DTDs), JSON, a
Python dict literal pasted from a log, key=value lines. The text comes from an untrusted device or from a
file someone pasted, so each reader caps its input, refuses deep nesting and returns nothing rather than
raising when the text is not what it claims to be.
"""

from __future__ import annotations

import ast
import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_TEXT = 256 * 1024  # no parser reads more of one answer than this
MAX_DEPTH = 24  # nesting refused beyond this (a device's self-description is a few levels deep)
MAX_VALUE = 128  # a declared name, model or version longer than this is not one
MAX_ITEMS = 4096  # elements / keys looked at per answer


@dataclass(frozen=True)
class Statement:
    """One thing an answer says about the device that sent it.

    ``field`` is ``maker`` (a declared manufacturer or label, resolved later through the maker catalogue),
    ``manufacturer`` (who made the device and not its label, such as the owner of an SNMP sysObjectID's enterprise
    arc: resolved likewise, it asserts the manufacturer only),
    ``model``, ``firmware``, ``serial``, ``mac`` or ``name`` (free text such as "AXIS M1065-LW Network
    Camera" whose first words may name the maker). ``path`` says where in the answer it was found.
    """

    field: str
    value: str
    path: str


_PLACEHOLDERS = frozenset({"", "-", "--", "n/a", "na", "none", "null", "nil", "unknown", "undefined", "default",
                           "0", "000000", "123456", "string", "not set"})
_TRAILING_JUNK = "\"',;"


def clean(value: object) -> str | None:
    """A declared value with whitespace collapsed and quoting left over from a list stripped; None when it
    is empty, a placeholder, or too long to be a name."""
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    text = " ".join(str(value).split())
    while text and (text[-1] in _TRAILING_JUNK or text[0] in _TRAILING_JUNK):
        text = text.strip(_TRAILING_JUNK).strip()
    if text.lower() in _PLACEHOLDERS or len(text) > MAX_VALUE or not any(ch.isalnum() for ch in text):
        return None
    return text


def is_code(value: str) -> bool:
    """A bare number (Dahua's deviceType ``31``, a class id): a code, never a model."""
    return value.replace(".", "").isdigit()


def is_mac(value: str) -> bool:
    """Twelve hex digits in any common spelling (``aa:bb:..``, ``AA-BB-..``, ``aabb.ccdd.eeff``, bare), and not a
    placeholder: an unset ``00:00:00:00:00:00`` or the broadcast ``ff:ff:ff:ff:ff:ff`` names no device."""
    digits = "".join(ch for ch in value.lower() if ch not in ":-. ")
    return (len(digits) == 12 and all(ch in "0123456789abcdef" for ch in digits)
            and digits not in ("000000000000", "ffffffffffff"))


def read_fields(found: Mapping[str, str], table: Mapping[str, str], where: str) -> list[Statement]:
    """A statement for each key of ``table`` that ``found`` has a usable value for, as the field ``table``
    names, quoted from ``<where>/<key>`` (a bare number is never a model: see :func:`is_code`; a MAC address
    that is not one, such as a tool's run of six prefixes, is not read)."""
    out = []
    for key, field in table.items():
        value = clean(found.get(key))
        if value and not (field == "model" and is_code(value)) and not (field == "mac" and not is_mac(value)):
            out.append(Statement(field, value, f"{where}/{key}"))
    return out


def _nesting(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in "{[<(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "}]>)":
            depth = max(0, depth - 1)
    return deepest


def xml_root(text: str) -> Element | None:
    """The document element, or None for anything that is not small, DTD-free, well-formed XML."""
    start = text.find("<")
    if start < 0 or len(text) > MAX_TEXT:
        return None
    try:
        return fromstring(text[start:].strip().rstrip("\x00"), forbid_dtd=True, forbid_entities=True,
                          forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, RecursionError):
        return None


_TOKEN = re.compile(r"<(/?)([A-Za-z_][\w:.-]{0,127})((?:[\s/][^<>]{0,2048})?)>|([^<]+)")


def loose_xml_fields(text: str) -> Iterator[tuple[str, str, str]]:
    """(parent, element, text) read tag by tag from XML that does not parse: a fragment with namespace
    prefixes it never declares (``<tds:Model>`` pasted out of its envelope) or a document cut short.
    Entity declarations are refused outright; nothing is expanded."""
    snippet = text[:MAX_TEXT]
    if "<!ENTITY" in snippet.upper() or "<!DOCTYPE" in snippet.upper():
        return
    stack: list[str] = []
    last_open: str | None = None
    count = 0
    for match in _TOKEN.finditer(snippet):
        count += 1
        if count > MAX_ITEMS * 4:
            return
        closing, tag, attrs, chars = match.groups()
        if chars is not None:
            value = chars.strip()
            if value and last_open is not None and stack and stack[-1] == last_open:
                yield (stack[-2] if len(stack) > 1 else ""), last_open, html.unescape(value)
            continue
        name = tag.rsplit(":", 1)[-1]
        if closing:
            while stack and stack.pop() != name:
                pass
            last_open = None
        elif not (attrs or "").rstrip().endswith("/") and not tag.startswith(("?", "!")):
            if len(stack) < MAX_DEPTH:
                stack.append(name)
            last_open = name


def local(tag: object) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def xml_fields(root: Element) -> Iterator[tuple[str, str, str]]:
    """(parent name, element name, text) for every element holding text, in document order."""
    seen = 0
    stack: list[tuple[Element, str, int]] = [(root, "", 0)]
    while stack and seen < MAX_ITEMS:
        element, parent, depth = stack.pop()
        seen += 1
        name = local(element.tag)
        text = (element.text or "").strip()
        if text and len(element) == 0:
            yield parent, name, text
        if depth < MAX_DEPTH:
            stack.extend((child, name, depth + 1) for child in reversed(list(element)))


def load_json(text: str) -> Any:
    """The JSON value the text holds (leading junk before the first ``{`` or ``[`` skipped), or None."""
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts or len(text) > MAX_TEXT:
        return None
    body = text[min(starts):].strip().rstrip("\x00")
    if _nesting(body[:65536]) > MAX_DEPTH:
        return None
    try:
        return json.loads(body)
    except RecursionError:
        return None
    except ValueError:
        return _json_pieces(body)


MAX_PIECES = 32


def _json_pieces(body: str) -> Any:
    """What can be read of JSON that does not parse whole: a value followed by a log line, or a list cut
    short ("...") whose first objects are complete. Each complete object is decoded once, in order."""
    decoder = json.JSONDecoder()
    pieces: list[Any] = []
    position, attempts = 0, 0
    while attempts < MAX_PIECES:
        start = body.find("{", position)
        if start < 0:
            break
        attempts += 1
        try:
            value, end = decoder.raw_decode(body, start)
        except (ValueError, RecursionError):
            position = start + 1
            continue
        pieces.append(value)
        position = end
    if not pieces:
        return None
    return pieces[0] if len(pieces) == 1 else pieces


#: the start of a Python dict literal as printed: ``{'key': ...}``, or ``{u'key': ...}`` as Python 2 printed its
#: unicode strings (older tools' logs: mcw0's Dahua scripts, python-amcrest's first releases)
DICT_START = re.compile(r"\{\s*[uU]?'")


def load_dict_literal(text: str) -> Any:
    """A Python dict literal as printed in a log (``{'DeviceInfo': {'@version': '2.0', ...}}``), read with
    ``ast.literal_eval`` (literals only, nothing is executed), or None."""
    found = DICT_START.search(text[:MAX_TEXT])
    if found is None:
        return None
    start = found.start()
    before = text[:start].rstrip()
    if before.endswith("["):  # a list of dicts ([{'cmd': ...}, {'cmd': ...}]): the whole list
        start = len(before) - 1
    body = text[start:MAX_TEXT]
    end = _balanced_end(body)
    if end is None:
        return None
    body = body[:end]
    if _nesting(body) > MAX_DEPTH:
        return None
    try:
        return ast.literal_eval(body)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None


#: one ``key: value`` or ``key=value`` pair of a rendering that is neither JSON nor a Python literal: a
#: dataclass repr in a log (``DeviceInfo(manufacturer='X', model='Y')``), a JavaScript object as console.log
#: prints it (``{ manufacturer: 'X' }``), a dict whose values lost their quotes (``{'Model': DS-2DF7286-A}``)
_LOOSE_PAIR = re.compile(
    r"""(?:^|(?<=[{(,\s]))(['"]?)([A-Za-z_][\w-]{0,63})\1\s*[:=]\s*"""
    r"""('[^'\n]{0,256}'|"[^"\n]{0,256}"|[^,'"{}()\[\]\n]{1,256}?)\s*(?=[,})\]\n]|$)""")
_LOOSE_OPEN = re.compile(r"(?:\b[A-Za-z_]\w{0,63})?[({]")
MAX_LOOSE_TRIES = 16


def loose_pairs(text: str) -> dict[str, str]:
    """The ``key: value`` pairs of the first bracketed rendering (``Name(...)`` or ``{...}``) that holds at
    least two, quotes taken off; {} when there is none. Nothing is evaluated; each value is bounded."""
    snippet = text[:MAX_TEXT]
    for count, opening in enumerate(_LOOSE_OPEN.finditer(snippet)):
        if count >= MAX_LOOSE_TRIES:
            break
        start = opening.end() - 1
        end = _balanced_end(snippet[start:start + 65536])
        if end is None:
            continue
        body = snippet[start + 1:start + end - 1]
        if _nesting(body) > MAX_DEPTH:
            continue
        pairs: dict[str, str] = {}
        for found in _LOOSE_PAIR.finditer(body):
            if len(pairs) >= MAX_ITEMS:
                break
            value = found.group(3).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            pairs.setdefault(found.group(2), value)
        if len(pairs) >= 2:
            return pairs
    return {}


def _balanced_end(text: str) -> int | None:
    """Where the bracketed value that starts the text ends (quotes respected), or None."""
    depth, quote, escaped = 0, "", False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def walk(value: Any, path: str = "", depth: int = 0) -> Iterator[tuple[str, str, Any]]:
    """(path of the parent, key, value) for every scalar in a JSON-like value, depth-first, bounded."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, dict):
        for count, (key, inner) in enumerate(value.items()):
            if count >= MAX_ITEMS:
                return
            if isinstance(inner, (dict, list)):
                yield from walk(inner, f"{path}/{key}" if path else str(key), depth + 1)
            else:
                yield path, str(key), inner
    elif isinstance(value, list):
        for inner in value[:256]:
            yield from walk(inner, path, depth + 1)


def key_values(text: str, separator: str = "=") -> Iterator[tuple[str, str]]:
    """(key, value) for each ``key=value`` line whose key has no spaces; a line pasted as Markdown inline code
    (```type=DH-XVR5108C-X` ``) is read without its backticks."""
    for count, line in enumerate(text[:MAX_TEXT].splitlines()):
        if count >= MAX_ITEMS:
            return
        key, sep, value = line.partition(separator)
        key = key.strip()
        if key.startswith("`") and value.rstrip().endswith("`"):
            key, value = key.lstrip("`"), value.rstrip().rstrip("`")
        if sep and key and " " not in key and len(key) <= 128:
            yield key, value.strip()
