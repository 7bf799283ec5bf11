"""Dahua's own interfaces: ``magicBox.cgi`` key=value answers (and the same fields from the JSON RPC, its
getSoftwareVersion record among them), and DHIP discovery JSON (``client.notifyDevInfo``), whose ``Vendor`` is the
label a unit was built for."""

from __future__ import annotations

from camaudit.identify.declared.reading import Statement, clean, is_code
from camaudit.identify.declared.structured import View


def _model(value: str | None) -> str | None:
    """A model, or None for what only looks like one: a numeric code (``deviceType=31`` on Lorex NVRs) or a
    class name ("IP Camera", "IPC")."""
    text = clean(value)
    if text is None or is_code(text) or not any(ch.isdigit() for ch in text):
        return None
    return text


def magicbox(view: View) -> list[Statement]:
    pairs = dict(reversed(view.lines)) if view.lines else {}
    if not pairs or not ({"deviceType", "updateSerial", "serialNumber", "version", "type", "vendor", "Vendor"}
                         & pairs.keys()):
        pairs = view.under("params", "")
    out = []
    # getSystemInfo's deviceType is the model on most firmware; where it is a code or a class, the model is
    # in updateSerial (the update channel's model); getDeviceType answers type=<model>
    for key in ("deviceType", "updateSerial", "type"):
        model = _model(pairs.get(key))
        if model:
            out.append(Statement("model", model, key))
            break
    # getVendor answers vendor=... over the CGI and {"Vendor": ...} over the JSON RPC
    for key, field in (("serialNumber", "serial"), ("vendor", "maker"), ("Vendor", "maker")):
        value = clean(pairs.get(key))
        if value:
            out.append(Statement(field, value, key))
    version = clean(pairs.get("version"))
    if version:
        out.append(Statement("firmware", version, "version"))
    else:
        # the JSON RPC's magicBox.getSoftwareVersion answers a record: params.version.Version (with its
        # Build, BuildDate, SecurityBaseLineVersion and WebVersion beside it)
        record = view.under("params/version", "version") if not view.lines else {}
        version = clean(record.get("Version")) if "SecurityBaseLineVersion" in record or "BuildDate" in record else None
        if version:
            out.append(Statement("firmware", version, "version/Version"))
    return out


_DHIP = {"Vendor": "maker", "SerialNo": "serial", "Version": "firmware", "mac": "mac", "MachineName": "name"}


def dhip(view: View) -> list[Statement]:
    info = view.under("deviceInfo", "params", "")
    if not ({"DeviceType", "SerialNo", "Vendor", "DeviceClass"} & info.keys()):
        return []
    out = []
    model = _model(info.get("DeviceType"))
    if model:
        out.append(Statement("model", model, "deviceInfo/DeviceType"))
    for key, field in _DHIP.items():
        value = clean(info.get(key))
        if value:
            out.append(Statement(field, value, f"deviceInfo/{key}"))
    return out
