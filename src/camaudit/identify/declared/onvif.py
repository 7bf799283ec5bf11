"""ONVIF: the GetDeviceInformation answer (any maker), and the scopes a device lists in WS-Discovery
ProbeMatch/Hello messages (``onvif://www.onvif.org/<category>/<value>``, percent-encoded)."""

from __future__ import annotations

import re
from urllib.parse import unquote

from camaudit.identify.declared.reading import MAX_TEXT, Statement, clean, is_code, read_fields
from camaudit.identify.declared.structured import View

_DEVICE_INFORMATION = {"Manufacturer": "maker", "Model": "model", "FirmwareVersion": "firmware",
                       "SerialNumber": "serial", "mac": "mac"}  # "mac": a tool's rendering (see _RENDERED)


#: the names tools give the same fields when they render the answer without its envelope, spelled without
#: case or "_" (python-onvif/zeep keep the ONVIF names; the node "onvif" library lower-cases their first letter;
#: Home Assistant's ONVIF integration logs ``DeviceInfo(manufacturer=..., fw_version=..., serial_number=...,
#: mac=...)``, its MAC from GetNetworkInterfaces)
_RENDERED = {"manufacturer": "Manufacturer", "model": "Model", "firmwareversion": "FirmwareVersion",
             "fwversion": "FirmwareVersion", "serialnumber": "SerialNumber", "mac": "mac"}


def _rendered(flat: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in flat.items():
        name = _RENDERED.get(key.replace("_", "").lower())
        if name is not None:
            out.setdefault(name, value)
    return out if {"Manufacturer", "Model"} <= out.keys() else {}


def device_information(view: View) -> list[Statement]:
    found = view.under("GetDeviceInformationResponse")
    if not found:
        # a tool's rendering without the envelope (python-onvif prints the response as a flat dict)
        found = _rendered(view.under(""))
    return read_fields(found, _DEVICE_INFORMATION, "GetDeviceInformationResponse")


# the value runs to whitespace or to quoting/markup left by the rendering it sits in (a JSON list, XML)
_SCOPE = re.compile(r"onvif://www\.onvif\.org/([A-Za-z_]{1,32})/([^\s\"'<>,\]\[]{1,256})", re.IGNORECASE)
_SCOPE_FIELDS = {"name": "name", "hardware": "model", "model": "model", "manufacturer": "maker",
                 "mac": "mac", "macaddress": "mac", "serialnumber": "serial", "serial": "serial"}


def scopes(view: View) -> list[Statement]:
    out = []
    seen: set[tuple[str, str]] = set()
    for category, raw in _SCOPE.findall(view.text[:MAX_TEXT]):
        field = _SCOPE_FIELDS.get(category.lower())
        if field is None:
            continue
        value = clean(unquote(raw).replace("_", " ") if field in ("name", "maker") else unquote(raw))
        if not value or (field == "model" and is_code(value)) or (field, value) in seen:
            continue
        seen.add((field, value))
        out.append(Statement(field, value, f"scope {category}"))
    return out
