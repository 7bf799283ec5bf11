"""Hikvision ISAPI ``/ISAPI/System/deviceInfo``: the XML the device sends, and the renderings people
store or paste (xmltodict JSON, a Python dict printed in a Home Assistant log). Sold under many labels;
the fields are the same whatever the label."""

from __future__ import annotations

from camaudit.identify.declared.reading import Statement, clean, read_fields
from camaudit.identify.declared.structured import View

_FIELDS = {"manufacturer": "maker", "model": "model", "serialNumber": "serial", "macAddress": "mac",
           "deviceName": "name"}


def device_info(view: View) -> list[Statement]:
    found = view.under("DeviceInfo")
    out = read_fields(found, _FIELDS, "DeviceInfo")
    firmware = clean(found.get("firmwareVersion"))
    if firmware:
        build = clean(found.get("firmwareReleasedDate"))
        # advisories bound Hikvision firmware by its build date, so the two are kept together
        out.append(Statement("firmware", f"{firmware} {build}" if build and build not in firmware else firmware,
                             "DeviceInfo/firmwareVersion"))
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
