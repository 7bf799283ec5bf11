"""UPnP device descriptions (the XML an SSDP answer's LOCATION points to): the root device's
manufacturer, model name and number, serial number."""

from __future__ import annotations

from camaudit.identify.declared.reading import Statement, read_fields
from camaudit.identify.declared.structured import View

_FIELDS = {"manufacturer": "maker", "modelNumber": "model", "serialNumber": "serial", "modelName": "name"}


def description(view: View) -> list[Statement]:
    return read_fields(view.under("device"), _FIELDS, "device")
