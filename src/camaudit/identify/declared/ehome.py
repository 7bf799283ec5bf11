"""Hikvision EHome / ISUP (the protocol a Hikvision device uses to register with a platform, TCP/UDP 7660/7661):
the ``<PPVSPMessage>`` XML documents a device sends, read from wherever they turn up (a capture's payload, a
server's log, an issue). A device's REGISTER request carries its serial number (model-led on Hikvision
firmware: ``DS-2CD...``; the engine reads the model from its head) and its firmware version.

Only requests the device itself sends are read: REGISTER, UNREGISTER, keep-alives and alarms. The platform's
answers (``CommandType`` RESPONSE: the REGISTER answer names the platform's own server and port) and its
commands (REQUEST with CONTROL/GET... commands) describe the platform or the command, not the device, so a
message that is not a device's request yields nothing. ``DeviceID`` is the owner's name for the unit on the
platform and is never read, nor the numeric ``DevType``/``Manufacture`` codes (whose meanings are not public).
"""

from __future__ import annotations

from camaudit.identify.declared.reading import Statement, clean, read_fields
from camaudit.identify.declared.structured import View

#: the commands a device sends of its own accord (its registration, its keep-alive, its alarm push)
DEVICE_COMMANDS = frozenset({"REGISTER", "UNREGISTER", "KEEPALIVE", "HEARTBEAT", "ALARM"})

#: the Params fields read, as the statement each gives (several spellings are seen for the serial and MAC)
_FIELDS = {"SerialNumber": "serial", "DeviceSerial": "serial", "DevSerial": "serial", "FirmwareVersion": "firmware",
           "DeviceModel": "model", "DevModel": "model", "Model": "model", "MAC": "mac", "MacAddress": "mac",
           "MACAddress": "mac", "DevMac": "mac"}


def _device_sent(head: dict[str, str]) -> bool:
    kind = (clean(head.get("CommandType")) or "").upper()
    command = (clean(head.get("Command")) or "").upper()
    return kind == "REQUEST" and command in DEVICE_COMMANDS


def message(view: View) -> list[Statement]:
    """A device's PPVSPMessage request: serial, firmware, model and MAC where its Params carry them."""
    if not _device_sent(view.under("PPVSPMessage")):
        return []
    # a serial or version without a digit is a placeholder ("DS-AAAAA", "Vx.y.z buildYYMMDD"), not a value
    return [s for s in read_fields(view.under("Params"), _FIELDS, "PPVSPMessage/Params")
            if s.field not in ("serial", "firmware") or any(ch.isdigit() for ch in s.value)]
