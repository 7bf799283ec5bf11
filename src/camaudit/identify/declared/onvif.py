"""ONVIF: the GetDeviceInformation answer (any maker), and the scopes a device lists in WS-Discovery
ProbeMatch/Hello messages (``onvif://www.onvif.org/<category>/<value>``, percent-encoded)."""

from __future__ import annotations

import re
from urllib.parse import unquote

from camaudit.identify.declared.reading import MAX_ITEMS, MAX_TEXT, Statement, clean, is_code, is_mac, read_fields
from camaudit.identify.declared.structured import View

_DEVICE_INFORMATION = {"Manufacturer": "maker", "Model": "model", "FirmwareVersion": "firmware",
                       "SerialNumber": "serial", "mac": "mac"}  # "mac": a tool's rendering (see _RENDERED)


#: the names tools give the same fields when they render the answer without its envelope, spelled without
#: case, spaces or "_" (python-onvif/zeep keep the ONVIF names; the node "onvif" library lower-cases their first
#: letter; Home Assistant's ONVIF integration logs ``DeviceInfo(manufacturer=..., fw_version=..., serial_number=...,
#: mac=...)``, its MAC from GetNetworkInterfaces; ONVIF Device Manager labels them "Firmware version", "Serial
#: number")
_RENDERED = {"manufacturer": "Manufacturer", "model": "Model", "firmwareversion": "FirmwareVersion",
             "fwversion": "FirmwareVersion", "serialnumber": "SerialNumber", "mac": "mac"}

#: where the fields stand in the answer or its renderings, in the order looked at: the SOAP response element; the
#: bare ``DeviceInformation`` element conformance datasheets and some tools print (its namespace prefix dropped);
#: a tool's rendering at the top level, or under Home Assistant's diagnostics key (``data.device.info``)
_CONTAINERS = ("GetDeviceInformationResponse", "DeviceInformation")
_RENDERED_CONTAINERS = ("", "device/info")


def _rendered(flat: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in flat.items():
        name = _RENDERED.get(key.replace("_", "").replace(" ", "").lower())
        if name is not None:
            out.setdefault(name, value)
    return out if {"Manufacturer", "Model"} <= out.keys() else {}


#: one labelled line of a tool's text output or a copied property grid ("Manufacturer: AXIS", "Firmware version
#: 9.80.1" after a tab, ``Model = M1065-LW``), as ONVIF Device Manager and command-line clients print the answer
_LABELLED = re.compile(r"^[ \t]*(Manufacturer|Model|Firmware[ _]?version|FW[ _]version|Serial[ _]?number"
                       r"|Hardware[ _]?ID)[ \t]*(?::|=|\t)[ \t]*(\S[^\r\n]{0,127})\r?$", re.IGNORECASE | re.MULTILINE)


def _labelled(text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for count, found in enumerate(_LABELLED.finditer(text[:MAX_TEXT])):
        if count >= MAX_ITEMS:
            break
        pairs.setdefault(found.group(1), found.group(2).strip())
    return _rendered(pairs)


#: a Go client's answer struct printed with ``%+v`` (``{Manufacturer:Dahua Model:IPC-HDW1025C FirmwareVersion:2.420...
#: SerialNumber:... HardwareId:1.00}``, as go ONVIF libraries' users log it): no quotes, fields split at the next name
_GO_NAMES = "Manufacturer|Model|FirmwareVersion|SerialNumber|HardwareId"
_GO_STRUCT = re.compile(r"\{((?:" + _GO_NAMES + r"):[^{}\r\n]{0,640})\}")
_GO_FIELD = re.compile(r"(?:^| )(" + _GO_NAMES + r"):")


def _go_struct(text: str) -> dict[str, str]:
    found = _GO_STRUCT.search(text[:MAX_TEXT])
    if found is None:
        return {}
    parts = _GO_FIELD.split(found.group(1))
    pairs: dict[str, str] = {}
    for key, value in zip(parts[1::2], parts[2::2], strict=False):
        pairs.setdefault(key, value.strip())
    return _rendered(pairs)


def device_information(view: View) -> list[Statement]:
    for container in _CONTAINERS:
        found = view.under(container)
        if {"Manufacturer", "Model"} & found.keys():
            return read_fields(found, _DEVICE_INFORMATION, container)
        found = _rendered(found)  # a tool's rendering of the element (a JSON dump with lower-cased names)
        if found:
            return read_fields(found, _DEVICE_INFORMATION, container)
    for container in _RENDERED_CONTAINERS:
        # a tool's rendering without the envelope (python-onvif prints the response as a flat dict)
        found = _rendered(view.under(container))
        if found:
            return read_fields(found, _DEVICE_INFORMATION, "GetDeviceInformationResponse")
    found = _labelled(view.text) or _go_struct(view.text)
    return read_fields(found, _DEVICE_INFORMATION, "GetDeviceInformationResponse") if found else []


# the value runs to whitespace or to quoting/markup left by the rendering it sits in (a JSON list, XML)
_SCOPE = re.compile(r"onvif://www\.onvif\.org/([A-Za-z_]{1,32})/([^\s\"'<>,\]\[]{1,256})", re.IGNORECASE)
#: a scope alone on its line, as python-ws-discovery's ``wsdiscover`` lists them (``  - onvif://www.onvif.org/
#: location/Hong Kong``): the value runs to the end of the line, spaces a device left unencoded included (a line
#: holding a second scope is a space-separated list, read by _SCOPE)
_SCOPE_LINE = re.compile(r"^[ \t]{0,16}(?:[-*][ \t]{1,4})?onvif://www\.onvif\.org/([A-Za-z_]{1,32})/"
                         r"((?:(?!://)[^\r\n\"'<>]){1,256})\r?$", re.IGNORECASE | re.MULTILINE)
_SCOPE_FIELDS = {"name": "name", "hardware": "model", "model": "model", "manufacturer": "maker",
                 "mac": "mac", "macaddress": "mac", "serialnumber": "serial", "serial": "serial"}
#: what prose or a rendering leaves after a scope's value ("... /hardware/M1065-LW).", a list's "};")
_SCOPE_TAIL = ".:;)}"
#: ZoneMinder's zmonvif-probe prints each device as ``<XAddr>, <version>, (<category>='<value>', ...)``, the
#: scopes without their onvif:// prefix, still percent-encoded (``name='HD%20IPC'``)
_PRINTED_SCOPES = re.compile(r", \d\.\d{1,2}, \(((?:[A-Za-z_/]{1,64}='[^'\n]{0,256}'(?:, )?){1,64})\)")
_PRINTED_SCOPE = re.compile(r"([A-Za-z_/]{1,64})='([^'\n]{0,256})'")
#: a vendor's own scope, ``<vendor>://www.<vendor>.<tld>/...`` (``flir://www.flir.com/security/``): the scheme
#: and the domain name one company
_VENDOR_SCOPE = re.compile(r"(?<![\w.+-])([a-z][a-z0-9]{1,31})://www\.\1\.[a-z]{2,6}/", re.IGNORECASE)
_NOT_VENDORS = frozenset({"http", "https", "onvif", "urn", "soap", "www"})


def _scope_values(text: str) -> list[tuple[str, str]]:
    """(category, percent-decoded value) of every scope in the text, in the renderings above."""
    found: list[tuple[str, str]] = []
    whole_lines: set[int] = set()
    for count, line in enumerate(_SCOPE_LINE.finditer(text)):
        if count >= MAX_ITEMS:
            break
        whole_lines.add(line.start(1))
        found.append((line.group(1), unquote(line.group(2).strip())))
    for count, scope in enumerate(_SCOPE.finditer(text)):
        if count >= MAX_ITEMS:
            break
        if scope.start(1) not in whole_lines:
            found.append((scope.group(1), unquote(scope.group(2))))
    for count, printed in enumerate(_PRINTED_SCOPES.finditer(text)):
        if count >= MAX_ITEMS:
            break
        found.extend((category, unquote(raw)) for category, raw in _PRINTED_SCOPE.findall(printed.group(1)))
    return found


def scopes(view: View) -> list[Statement]:
    out = []
    seen: set[tuple[str, str]] = set()
    text = view.text[:MAX_TEXT]
    for category, decoded in _scope_values(text):
        field = _SCOPE_FIELDS.get(category.lower())
        if field is None:
            continue
        decoded = decoded.rstrip(_SCOPE_TAIL)
        value = clean(decoded.replace("_", " ") if field in ("name", "maker") else decoded)
        if (not value or (field == "model" and is_code(value)) or (field == "mac" and not is_mac(value))
                or (field, value.lower()) in seen):
            continue
        seen.add((field, value.lower()))
        out.append(Statement(field, value, f"scope {category}"))
    for vendor in _VENDOR_SCOPE.findall(text):
        if vendor.lower() in _NOT_VENDORS or ("maker", vendor.lower()) in seen:
            continue
        seen.add(("maker", vendor.lower()))
        out.append(Statement("maker", vendor, "scope vendor"))
    return out
