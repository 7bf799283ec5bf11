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

from camaudit.identify.declared.reading import Statement, clean, is_code, is_mac
from camaudit.identify.declared.structured import View

#: the commands a device sends of its own accord (its registration, its keep-alive, its alarm push)
DEVICE_COMMANDS = frozenset({"REGISTER", "UNREGISTER", "KEEPALIVE", "HEARTBEAT", "ALARM"})

_SERIAL_KEYS = ("SerialNumber", "DeviceSerial", "DevSerial")
_FIRMWARE_KEYS = ("FirmwareVersion",)
_MODEL_KEYS = ("DeviceModel", "DevModel", "Model")
_MAC_KEYS = ("MAC", "MacAddress", "MACAddress", "DevMac")


def _first(found: dict[str, str], keys: tuple[str, ...]) -> tuple[str, str] | None:
    lowered = {key.lower(): (key, value) for key, value in found.items()}
    for key in keys:
        hit = lowered.get(key.lower())
        if hit is not None:
            value = clean(hit[1])
            if value:
                return hit[0], value
    return None


def _device_sent(head: dict[str, str]) -> bool:
    kind = (clean(head.get("CommandType")) or "").upper()
    command = (clean(head.get("Command")) or "").upper()
    return kind == "REQUEST" and command in DEVICE_COMMANDS


def message(view: View) -> list[Statement]:
    """A device's PPVSPMessage request: serial, firmware, model and MAC where its Params carry them."""
    if not _device_sent(view.under("PPVSPMessage")):
        return []
    params = view.under("Params")
    where = "PPVSPMessage/Params"
    out = []
    serial = _first(params, _SERIAL_KEYS)
    # a serial or version without a digit is a placeholder ("DS-AAAAA", "Vx.y.z buildYYMMDD"), not a value
    if serial and any(ch.isdigit() for ch in serial[1]):
        out.append(Statement("serial", serial[1], f"{where}/{serial[0]}"))
    firmware = _first(params, _FIRMWARE_KEYS)
    if firmware and any(ch.isdigit() for ch in firmware[1]):
        out.append(Statement("firmware", firmware[1], f"{where}/{firmware[0]}"))
    model = _first(params, _MODEL_KEYS)
    if model and not is_code(model[1]):
        out.append(Statement("model", model[1], f"{where}/{model[0]}"))
    mac = _first(params, _MAC_KEYS)
    if mac and is_mac(mac[1]):
        out.append(Statement("mac", mac[1], f"{where}/{mac[0]}"))
    return out
