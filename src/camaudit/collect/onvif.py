"""ONVIF device service without credentials: GetCapabilities (PRE_AUTH in the ONVIF Core specification) and
GetDeviceInformation (READ_SYSTEM: most devices refuse it without a WS-UsernameToken, some answer anyway).

Only these two read-only queries are sent, to cameras only (hosts with RTSP open or that answered
WS-Discovery). A refusal is not a login attempt: no credentials are sent here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from camaudit.collect.http import request
from camaudit.collect.limits import Budget, Deadline
from camaudit.model import Observation

PATH = "/onvif/device_service"
ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
    "{header}<s:Body>{body}</s:Body></s:Envelope>"
)
GET_CAPABILITIES = ('<GetCapabilities xmlns="http://www.onvif.org/ver10/device/wsdl">'
                    "<Category>All</Category></GetCapabilities>")
GET_DEVICE_INFORMATION = '<GetDeviceInformation xmlns="http://www.onvif.org/ver10/device/wsdl"/>'
REFUSED = re.compile(r"NotAuthorized|Sender not Authorized|FailedAuthentication", re.IGNORECASE)


def soap(body: str, header: str = "") -> bytes:
    return ENVELOPE.format(header=f"<s:Header>{header}</s:Header>" if header else "", body=body).encode()


@dataclass
class OnvifResult:
    observations: list[Observation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def probe_onvif(host: str, port: int, budget: Budget, deadline: Deadline, tls: bool = False) -> OnvifResult:
    out = OnvifResult()
    headers = {"Content-Type": "application/soap+xml; charset=utf-8"}
    for name, body, answer in (("GetCapabilities", GET_CAPABILITIES, "GetCapabilitiesResponse"),
                               ("GetDeviceInformation", GET_DEVICE_INFORMATION, "GetDeviceInformationResponse")):
        resp = await request(host, port, "POST", PATH, budget, deadline, tls, headers=headers, body=soap(body))
        if resp.status == 404 or (resp.status >= 400 and not resp.body):
            out.notes.append(f"no ONVIF device service at {PATH} on port {port} (HTTP {resp.status})")
            return out
        if 200 <= resp.status < 300 and answer in resp.body:
            out.observations.append(Observation(id=f"{host}:{port}:onvif-{name}", protocol="onvif_device_info",
                                                response=resp.body, address=host, port=port,
                                                request=f"ONVIF {name} (no credentials)"))
        elif REFUSED.search(resp.body):
            out.notes.append(f"ONVIF {name} needs credentials on this device (NotAuthorized)")
    return out
