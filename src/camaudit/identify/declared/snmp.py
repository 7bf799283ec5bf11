"""SNMP values as tools keep them: an snmpsim recording (``OID|type|value`` lines) and net-snmp's snmpwalk or
snmpget output (``SNMPv2-MIB::sysDescr.0 = STRING: ...``, ``iso.3.6.1...``, ``.1.3.6.1...`` with ``-On``,
``SNMPv2-SMI::enterprises.N...``). The device's sysDescr is read as its name, and a maker's private MIB objects
that hold its model, firmware or MAC address are read where the maker's MIB says so (``knowledge/snmp.yaml``).
The sysObjectID states the manufacturer (who made the device, not its label) when its enterprise arc is one
``knowledge/snmp-enterprises.yaml`` lists (from IANA's registry, each shown in use by a real device), and that
maker's sysDescr layout, where the table gives one, reads the model and firmware the sysDescr states (an Axis
"; AXIS P5534-E; ...; 5.40.9.2; ..."). An arc the table does not list (net-snmp's 8072 on any Linux box) names
nobody, and a sysDescr that only says "Linux" states no model. The system group's other values (sysName,
sysLocation, sysContact) are the owner's and are not read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from camaudit.identify.declared.reading import MAX_ITEMS, MAX_TEXT, Statement, clean, is_mac
from camaudit.identify.declared.structured import View
from camaudit.knowledge.files import KnowledgeError
from camaudit.knowledge.schema import knowledge_documents

_SYS_DESCR = "1.3.6.1.2.1.1.1.0"
_SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
_ENTERPRISES = "1.3.6.1.4.1."
_ARC = re.compile(r"[0-9]{1,10}")
_DESCR_WINDOW = 256  # a layout reads this much of a sysDescr at most (values() keeps no more)


@lru_cache(maxsize=1)
def private_objects() -> dict[str, str]:
    """The private MIB objects whose value is the device's own model, firmware or MAC address, by numeric OID
    (``knowledge/snmp*.yaml``; a user's file read after the package's may add or change one)."""
    return {entry["oid"]: entry["field"] for _path, doc in knowledge_documents("snmp") for entry in doc
            if "oid" in entry}


@dataclass(frozen=True)
class Enterprise:
    """An enterprise arc whose sysObjectID names a maker, and that maker's sysDescr layout (or None)."""

    number: int
    maker: str
    descr: re.Pattern[str] | None


@lru_cache(maxsize=1)
def enterprises() -> dict[int, Enterprise]:
    """The enterprise arcs that name a maker, by number (``knowledge/snmp*.yaml`` entries with ``enterprise``; a
    user's file read after the package's may add or change one)."""
    out = {}
    for path, doc in knowledge_documents("snmp"):
        for entry in doc:
            if "enterprise" in entry:
                layout = entry.get("descr")
                pattern = _layout(layout["pattern"], f"{path}: enterprise {entry['enterprise']}") if layout else None
                out[entry["enterprise"]] = Enterprise(entry["enterprise"], entry["maker"], pattern)
    return out


_LAYOUT_FIELDS = frozenset({"model", "firmware"})


def _layout(pattern: str, where: str) -> re.Pattern[str]:
    """A sysDescr layout, compiled: it must be anchored at the start and capture nothing but model and firmware."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise KnowledgeError(f"{where}: the sysDescr layout is no regular expression: {exc}") from None
    if not pattern.startswith("^") or not set(compiled.groupindex) or not set(compiled.groupindex) <= _LAYOUT_FIELDS:
        raise KnowledgeError(f"{where}: a sysDescr layout starts with ^ and captures model and/or firmware only")
    return compiled


def enterprise_of(oid: str) -> int | None:
    """The enterprise number of an OID under 1.3.6.1.4.1 (``1.3.6.1.4.1.368`` -> 368), else None."""
    if not oid.startswith(_ENTERPRISES):
        return None
    arc = oid[len(_ENTERPRISES):].split(".", 1)[0]
    # ASCII digits only: str.isdigit() also takes '²' (int() then fails) and other scripts' digits ('٣٦٨' is 368)
    return int(arc) if _ARC.fullmatch(arc) else None


def described(layout: re.Pattern[str], descr: str) -> dict[str, str]:
    """The model and firmware a maker's sysDescr layout reads from a sysDescr (what it captures, cleaned)."""
    found = layout.match(descr[:_DESCR_WINDOW].strip())
    if found is None:
        return {}
    out = {}
    for name, value in found.groupdict().items():
        text = clean(value)
        if name in ("model", "firmware") and text:
            out[name] = text
    return out


#: net-snmp's names for the arcs it prints symbolically, as numbers
_NAMES = (("SNMPv2-MIB::sysDescr.0", _SYS_DESCR), ("RFC1213-MIB::sysDescr.0", _SYS_DESCR),
          ("SNMPv2-MIB::sysObjectID.0", _SYS_OBJECT_ID), ("RFC1213-MIB::sysObjectID.0", _SYS_OBJECT_ID),
          ("SNMPv2-SMI::enterprises.", "1.3.6.1.4.1."), ("iso.", "1."))

_RECORDED = re.compile(r"^\.?(?P<oid>\d{1,10}(?:\.\d{1,10}){3,40})\|(?P<type>\d{1,3})\|(?P<value>[^\r\n]{0,256})$")
_WALKED = re.compile(r"^(?P<oid>[\w:.-]{3,200}?)\s=\s(?:(?P<type>[A-Za-z][\w -]{0,24}):\s?)?(?P<value>[^\r\n]{0,256})$")
#: snmpsim's types for a string (4) and net-snmp's; a hex string ("4x", "Hex-STRING") is not read
_STRING_TYPES = frozenset({"4", "STRING", "OCTET STRING"})
#: snmpsim's type for an object identifier (6) and net-snmp's
_OID_TYPES = frozenset({"6", "OID", "OBJECT IDENTIFIER"})


def _oid(name: str) -> str:
    for symbolic, numeric in _NAMES:
        if name.startswith(symbolic):
            name = numeric + name[len(symbolic):]
            break
    return name.lstrip(".")


def values(text: str) -> dict[str, str]:
    """The string values of the OIDs the text lists, by numeric OID (the first value of each)."""
    return _read(text)[0]


def object_ids(text: str) -> dict[str, str]:
    """The OID-typed values (sysObjectID's) of the OIDs the text lists, numeric, by numeric OID (the first of each)."""
    return _read(text)[1]


def _read(text: str) -> tuple[dict[str, str], dict[str, str]]:
    out: dict[str, str] = {}
    oids: dict[str, str] = {}
    for count, line in enumerate(text[:MAX_TEXT].splitlines()):
        if count >= MAX_ITEMS:
            break
        line = line.strip()
        found = _RECORDED.match(line) or _WALKED.match(line)
        if found is None:
            continue
        kind = (found.group("type") or "STRING").strip()
        value = found.group("value").strip()
        if kind in _OID_TYPES:
            oids.setdefault(_oid(found.group("oid")), _oid(value))
            continue
        if kind not in _STRING_TYPES:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        out.setdefault(_oid(found.group("oid")), value)
    return out, oids


def walk(view: View) -> list[Statement]:
    found, oids = _read(view.text)
    out = []
    raw_descr = found.get(_SYS_DESCR, "")
    descr = clean(raw_descr)
    if descr:
        out.append(Statement("name", descr, "sysDescr"))
    object_id = oids.get(_SYS_OBJECT_ID)
    number = enterprise_of(object_id) if object_id else None
    known = enterprises()
    named = known.get(number) if number is not None else None
    if named is not None:
        out.append(Statement("manufacturer", named.maker, f"sysObjectID.enterprises.{named.number}"))
    for oid, field in private_objects().items():
        value = clean(found.get(oid))
        if value and (field != "mac" or is_mac(value)):
            out.append(Statement(field, value, oid))
    # a maker's sysDescr layout: the one of the enterprise the sysObjectID names; with no sysObjectID, any layout
    # (each is anchored on its maker's own words); a sysObjectID of an arc not listed (net-snmp's) reads none
    layouts = [named] if named is not None else ([] if object_id else list(known.values()))
    for enterprise in layouts if descr else ():
        read = described(enterprise.descr, raw_descr) if enterprise.descr is not None else {}
        out.extend(Statement(field, read[field], f"sysDescr/{field}") for field in ("model", "firmware")
                   if field in read)
        if read:
            break
    return out
