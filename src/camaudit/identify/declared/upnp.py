"""UPnP device descriptions (the XML an SSDP answer's LOCATION points to): the root device's
manufacturer, model name and number, serial number."""

from __future__ import annotations

from camaudit.identify.declared.reading import Statement, clean, is_code
from camaudit.identify.declared.structured import View

_FIELDS = {"manufacturer": "maker", "modelNumber": "model", "serialNumber": "serial", "modelName": "name"}


def description(view: View) -> list[Statement]:
    device = view.under("device")
    out = []
    for key, field in _FIELDS.items():
        value = clean(device.get(key))
        if value and not (field == "model" and is_code(value)):
            out.append(Statement(field, value, f"device/{key}"))
    return out
