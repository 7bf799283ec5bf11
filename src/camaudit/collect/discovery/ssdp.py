"""SSDP/UPnP (UDP 1900, multicast 239.255.255.250): M-SEARCH for root devices, and NOTIFY announcements.

An answer's LOCATION names the device description XML (manufacturer, modelName, serialNumber...),
which the scanner then GETs, only when it is on the answering host itself.
"""

from __future__ import annotations

PORT = 1900
GROUP = "239.255.255.250"
PROTOCOL = "ssdp"


def request(host: str = GROUP, port: int = PORT) -> bytes:
    return (f"M-SEARCH * HTTP/1.1\r\nHOST: {host}:{port}\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\n"
            "ST: upnp:rootdevice\r\n\r\n").encode()


def accept(data: bytes) -> tuple[str, str] | None:
    text = data.decode("utf-8", "replace")
    first = text.split("\r\n", 1)[0].split("\n", 1)[0].upper()
    if first.startswith("HTTP/1.1 200") or first.startswith("NOTIFY * HTTP/1.1"):
        return PROTOCOL, text
    return None


def location(text: str) -> str | None:
    for line in text.replace("\r\n", "\n").split("\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "location":
            return value.strip()
    return None
