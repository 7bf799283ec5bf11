"""The JSON APIs of consumer cameras: Reolink's ``GetDevInfo`` command and TP-Link Tapo's
``getDeviceInfo`` (``device_info.basic_info``)."""

from __future__ import annotations

from camaudit.identify.declared.reading import Statement, clean, is_code
from camaudit.identify.declared.structured import View

_REOLINK = {"model": "model", "firmVer": "firmware", "serial": "serial", "name": "name"}
_TAPO = {"manufacturer_name": "maker", "device_model": "model", "sw_version": "firmware", "mac": "mac",
         "device_name": "name"}


def _read(found: dict[str, str], table: dict[str, str], where: str) -> list[Statement]:
    out = []
    for key, field in table.items():
        value = clean(found.get(key))
        if value and not (field == "model" and is_code(value)):
            out.append(Statement(field, value, f"{where}/{key}"))
    return out


def reolink(view: View) -> list[Statement]:
    return _read(view.under("DevInfo"), _REOLINK, "DevInfo")


def tapo(view: View) -> list[Statement]:
    found = view.under("device_info/basic_info")
    if found:
        return _read(found, _TAPO, "device_info/basic_info")
    return _read(view.under("device_info/info"), _TAPO, "device_info/info")
