"""SNMP values as tools keep them: an snmpsim recording (``OID|type|value`` lines) and net-snmp's snmpwalk or
snmpget output (``SNMPv2-MIB::sysDescr.0 = STRING: ...``, ``iso.3.6.1...``, ``.1.3.6.1...`` with ``-On``,
``SNMPv2-SMI::enterprises.N...``). The device's sysDescr is read as its name, and a maker's private MIB objects
that hold its model, firmware or MAC address are read where the maker's MIB says so (``knowledge/snmp.yaml``).
The system group's other values (sysName, sysLocation, sysContact) are the owner's and are not read."""

from __future__ import annotations

import re
from functools import lru_cache

from camaudit.identify.declared.reading import MAX_ITEMS, MAX_TEXT, Statement, clean, is_mac
from camaudit.identify.declared.structured import View
from camaudit.knowledge.schema import knowledge_documents

_SYS_DESCR = "1.3.6.1.2.1.1.1.0"


@lru_cache(maxsize=1)
def private_objects() -> dict[str, str]:
    """The private MIB objects whose value is the device's own model, firmware or MAC address, by numeric OID
    (``knowledge/snmp*.yaml``; a user's file read after the package's may add or change one)."""
    return {entry["oid"]: entry["field"] for _path, doc in knowledge_documents("snmp") for entry in doc}


#: net-snmp's names for the arcs it prints symbolically, as numbers
_NAMES = (("SNMPv2-MIB::sysDescr.0", _SYS_DESCR), ("RFC1213-MIB::sysDescr.0", _SYS_DESCR),
          ("SNMPv2-SMI::enterprises.", "1.3.6.1.4.1."), ("iso.", "1."))

_RECORDED = re.compile(r"^\.?(?P<oid>\d{1,10}(?:\.\d{1,10}){3,40})\|(?P<type>\d{1,3})\|(?P<value>[^\r\n]{0,256})$")
_WALKED = re.compile(r"^(?P<oid>[\w:.-]{3,200}?)\s=\s(?:(?P<type>[A-Za-z][\w -]{0,24}):\s?)?(?P<value>[^\r\n]{0,256})$")
#: snmpsim's types for a string (4) and net-snmp's; a hex string ("4x", "Hex-STRING") is not read
_STRING_TYPES = frozenset({"4", "STRING", "OCTET STRING"})


def _oid(name: str) -> str:
    for symbolic, numeric in _NAMES:
        if name.startswith(symbolic):
            name = numeric + name[len(symbolic):]
            break
    return name.lstrip(".")


def values(text: str) -> dict[str, str]:
    """The string values of the OIDs the text lists, by numeric OID (the first value of each)."""
    out: dict[str, str] = {}
    for count, line in enumerate(text[:MAX_TEXT].splitlines()):
        if count >= MAX_ITEMS:
            break
        line = line.strip()
        found = _RECORDED.match(line) or _WALKED.match(line)
        if found is None:
            continue
        kind = (found.group("type") or "STRING").strip()
        if kind not in _STRING_TYPES:
            continue
        value = found.group("value").strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        out.setdefault(_oid(found.group("oid")), value)
    return out


def walk(view: View) -> list[Statement]:
    found = values(view.text)
    out = []
    descr = clean(found.get(_SYS_DESCR))
    if descr:
        out.append(Statement("name", descr, "sysDescr"))
    for oid, field in private_objects().items():
        value = clean(found.get(oid))
        if value and (field != "mac" or is_mac(value)):
            out.append(Statement(field, value, oid))
    return out
