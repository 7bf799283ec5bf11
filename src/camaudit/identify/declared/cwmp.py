"""TR-069 (CWMP) Inform: the SOAP message a managed device sends its auto-configuration server when it
starts a session. Its ``DeviceId`` is a structured self-description (Manufacturer, OUI, ProductClass,
SerialNumber), and the ``ParameterList`` it carries usually holds ``DeviceInfo.SoftwareVersion`` (and on
some devices ``DeviceInfo.Manufacturer``/``ModelName``) of the TR-098 (``InternetGatewayDevice.``) or TR-181
(``Device.``) data model. Read from the XML (defusedxml, through :class:`View`) or a JSON rendering of it.

``ProductClass`` is the device's product class as its maker names it: a model number on many devices
("P-2601HN-F1"), a class word on others ("Router"), so it is taken as a model only when it has a letter and a
digit. ``OUI`` names the maker's IEEE block, not the device's MAC address, and is not read.
"""

from __future__ import annotations

from camaudit.identify.declared.reading import Statement, clean, is_code
from camaudit.identify.declared.structured import View

_DEVICE_ID = {"Manufacturer": "maker", "ProductClass": "model", "SerialNumber": "serial"}
#: the last two parts of a DeviceInfo parameter's name, and what it states
_PARAMETERS = {"DeviceInfo.Manufacturer": "maker", "DeviceInfo.ModelName": "model",
               "DeviceInfo.SoftwareVersion": "firmware", "DeviceInfo.SerialNumber": "serial"}
MAX_PARAMETERS = 512  # Name/Value pairs looked at


def _model_like(value: str) -> bool:
    return any(ch.isdigit() for ch in value) and any(ch.isalpha() for ch in value) and not is_code(value)


def inform(view: View) -> list[Statement]:
    out: list[Statement] = []
    seen: set[tuple[str, str]] = set()

    def add(field: str, raw: object, path: str) -> None:
        value = clean(raw)
        if not value or (field == "model" and not _model_like(value)) or (field, value) in seen:
            return
        seen.add((field, value))
        out.append(Statement(field, value, path))

    device_id = view.under("DeviceId")
    for key, field in _DEVICE_ID.items():
        add(field, device_id.get(key), f"DeviceId/{key}")
    name: str | None = None
    pairs = 0
    for f in view.fields:
        if f.parent.rsplit("/", 1)[-1] != "ParameterValueStruct":
            continue
        if f.key == "Name":
            name = f.value.strip()
            pairs += 1
            if pairs > MAX_PARAMETERS:
                break
        elif f.key == "Value" and name:
            stated = _PARAMETERS.get(".".join(name.split(".")[-2:]))
            if stated is not None and name.split(".", 1)[0] in ("InternetGatewayDevice", "Device"):
                add(stated, f.value, f"ParameterList/{name}")
            name = None
    return out
