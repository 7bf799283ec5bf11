"""The JSON APIs of consumer cameras: Reolink's ``GetDevInfo`` command and TP-Link Tapo's
``getDeviceInfo`` (``device_info.basic_info``)."""

from __future__ import annotations

from camaudit.identify.declared.reading import Statement, read_fields
from camaudit.identify.declared.structured import View

_REOLINK = {"model": "model", "firmVer": "firmware", "serial": "serial", "name": "name"}
_TAPO = {"manufacturer_name": "maker", "device_model": "model", "sw_version": "firmware", "mac": "mac",
         "device_name": "name"}


def reolink(view: View) -> list[Statement]:
    return read_fields(view.under("DevInfo"), _REOLINK, "DevInfo")


def tapo(view: View) -> list[Statement]:
    found = view.under("device_info/basic_info")
    if found:
        return read_fields(found, _TAPO, "device_info/basic_info")
    return read_fields(view.under("device_info/info"), _TAPO, "device_info/info")
