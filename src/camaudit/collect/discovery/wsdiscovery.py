"""ONVIF WS-Discovery (UDP 3702, multicast 239.255.255.250): Probe for NetworkVideoTransmitter devices.

The probe follows the ONVIF Core specification's discovery chapter (WS-Discovery 2005/04): devices
answer with a ProbeMatch naming their Scopes (onvif://www.onvif.org/name/..., /hardware/...,
/MacAddress/...) and XAddrs (the device service URL). Devices mix the 2005/04 and 2009/01 namespaces,
so answers are matched on local element names.
"""

from __future__ import annotations

import uuid

PORT = 3702
GROUP = "239.255.255.250"
PROTOCOL = "ws_discovery"

_PROBE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
    'xmlns:dn="http://www.onvif.org/ver10/network/wsdl">'
    "<s:Header>"
    '<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>'
    "<a:MessageID>urn:uuid:{id}</a:MessageID>"
    '<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>'
    "</s:Header>"
    "<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body>"
    "</s:Envelope>"
)


def request(message_id: str | None = None) -> bytes:
    return _PROBE.format(id=message_id or uuid.uuid4()).encode()


def accept(data: bytes) -> tuple[str, str] | None:
    text = data.decode("utf-8", "replace")
    if "ProbeMatch" in text or ":Hello" in text or "<Hello" in text:
        return PROTOCOL, text
    return None
