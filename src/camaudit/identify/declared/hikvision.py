"""Hikvision ISAPI ``/ISAPI/System/deviceInfo``: the XML the device sends, and the renderings people
store or paste (xmltodict JSON, a Python dict printed in a Home Assistant log). Sold under many labels;
the fields are the same whatever the label."""

from __future__ import annotations

import re

from camaudit.identify.declared.reading import MAX_TEXT, Statement, clean, load_dict_literal, load_json, read_fields
from camaudit.identify.declared.structured import View

_FIELDS = {"manufacturer": "maker", "model": "model", "serialNumber": "serial", "macAddress": "mac",
           "deviceName": "name"}


#: a client's log line printing the body of a deviceInfo request after the request's URL, its document element
#: dropped (``http://host/ISAPI/System/deviceInfo {'@version': '2.0', ..., 'model': 'DS-...'}``): the object that
#: opens right after the URL is the DeviceInfo element's content
_LOGGED_BODY = re.compile(r"/ISAPI/System/deviceInfo[ \t]{1,4}(?=\{)", re.IGNORECASE)
_LOGGED_TRIES = 4


def _logged_body(view: View) -> dict[str, str]:
    """The top-level fields of the first object a deviceInfo URL is followed by, when it is the element's content
    (it carries a model or a serial number); {} otherwise."""
    text = view.text[:MAX_TEXT]
    for count, found in enumerate(_LOGGED_BODY.finditer(text)):
        if count >= _LOGGED_TRIES:
            break
        body = text[found.end():]
        value = load_dict_literal(body) if body[1:].lstrip()[:1] == "'" else load_json(body)
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, dict) or "DeviceInfo" in value:
            continue  # the element kept its name: read as DeviceInfo already
        fields = {str(key).lstrip("@"): str(inner) for key, inner in value.items()
                  if isinstance(inner, (str, int, float)) and not isinstance(inner, bool)}
        if "model" in fields or "serialNumber" in fields:
            return fields
    return {}


def device_info(view: View) -> list[Statement]:
    found, where = view.under("DeviceInfo"), "DeviceInfo"
    if not found and "/ISAPI/System/deviceInfo" in view.text[:MAX_TEXT]:
        found, where = _logged_body(view), "deviceInfo"
    out = read_fields(found, _FIELDS, where)
    firmware = clean(found.get("firmwareVersion"))
    if firmware:
        build = clean(found.get("firmwareReleasedDate"))
        # advisories bound Hikvision firmware by its build date, so the two are kept together
        out.append(Statement("firmware", f"{firmware} {build}" if build and build not in firmware else firmware,
                             f"{where}/firmwareVersion"))
    return out


_SADP = {"DeviceDescription": "model", "DeviceSN": "serial", "MAC": "mac"}


def sadp(view: View) -> list[Statement]:
    """A SADP ProbeMatch (Hikvision's discovery, UDP 37020): model, serial, MAC and firmware."""
    found = view.under("ProbeMatch")
    out = read_fields(found, _SADP, "ProbeMatch")
    version = clean(found.get("SoftwareVersion"))
    if version:
        out.append(Statement("firmware", version, "ProbeMatch/SoftwareVersion"))
    return out


_ALERT = {"macAddress": "mac"}


def event_alert(view: View) -> list[Statement]:
    """An ISAPI ``EventNotificationAlert`` (the alarm push of ``/ISAPI/Event/notification/alertStream`` or an
    HTTP listening host): the sender's MAC address, which the IEEE registry then names. Its ``channelName`` is
    the owner's, and is not read."""
    return read_fields(view.under("EventNotificationAlert"), _ALERT, "EventNotificationAlert")
