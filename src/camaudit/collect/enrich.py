"""Owner-authorised enrichment: with credentials the owner supplied, read what the device says about itself.

- A maker with a read plan in ``data/knowledge/reads.yaml`` (e.g. Hikvision's ISAPI documents, Dahua's
  ``magicBox.cgi`` answers; OEM labels use their maker's plan): those GETs.
- Anyone else, or a plan whose documents gave nothing without a login attempt: ONVIF ``GetDeviceInformation``
  with a WS-Security UsernameToken.

Rules that keep accounts safe: the first request of each read is unauthenticated (to learn the
challenge), so each credential set costs at most **one login attempt** per device; at the **first
refusal** camaudit stops using credentials on that device altogether, since devices lock accounts.
Only GETs and the read-only ONVIF query are sent. What could not be learned is said, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from camaudit.collect import onvif
from camaudit.collect.auth import authorization, parse_challenges, ws_username_token
from camaudit.collect.credentials import Credential
from camaudit.collect.http import request
from camaudit.collect.limits import Budget, Deadline, DeviceError
from camaudit.knowledge.reads import plan_for
from camaudit.model import Observation

ONVIF_PATH = onvif.PATH
AUTHENTICATED = " (authenticated)"  # marks the request of every observation read with owner credentials


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    tls: bool


@dataclass
class Enrichment:
    observations: list[Observation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: bool = False
    attempted: bool = False  # an authenticated request was sent (a login attempt)

    def keep(self, target: Target, path: str, protocol: str, body: str, request: str) -> None:
        self.observations.append(Observation(id=f"{target.host}:{target.port}:auth{path}", protocol=protocol,
                                             response=body, address=target.host, port=target.port, request=request))


async def _read_http(target: Target, path: str, protocol: str, cred: Credential, budget: Budget,
                     deadline: Deadline, out: Enrichment) -> bool:
    """GET ``path`` with ``cred``. False when the device refused the credentials (caller must stop)."""
    first = await request(target.host, target.port, "GET", path, budget, deadline, target.tls)
    if first.status != 401:
        if 200 <= first.status < 300 and first.body:  # readable without credentials: keep it as it is
            out.keep(target, path, protocol, first.body, f"GET {path}")
        else:
            out.notes.append(f"GET {path}: HTTP {first.status} without credentials; not asked with them")
        return True
    header = authorization(parse_challenges(first.header_values("www-authenticate")), cred, "GET", path,
                           target.tls)
    if header is None:
        out.notes.append(f"GET {path}: the device asks for Basic authentication (or a Digest variant camaudit does "
                         "not implement); camaudit does not send a recoverable password, so nothing was asked")
        return True
    out.attempted = True
    second = await request(target.host, target.port, "GET", path, budget, deadline, target.tls,
                           headers={"Authorization": header})
    if second.status in (401, 403):
        out.refused = True
        out.notes.append(f"{cred} refused (HTTP {second.status}) on GET {path}; no further login attempts on "
                         "this device")
        return False
    if 200 <= second.status < 300 and second.body:
        out.keep(target, path, protocol, second.body, f"GET {path}{AUTHENTICATED}")
    else:
        out.notes.append(f"GET {path}: HTTP {second.status} with credentials")
    return True


async def _read_onvif(target: Target, cred: Credential, budget: Budget, deadline: Deadline,
                      out: Enrichment) -> bool:
    body = onvif.soap(onvif.GET_DEVICE_INFORMATION, header=ws_username_token(cred))
    out.attempted = True
    resp = await request(target.host, target.port, "POST", ONVIF_PATH, budget, deadline, target.tls,
                         headers={"Content-Type": "application/soap+xml; charset=utf-8"}, body=body)
    if resp.status in (401, 403) or (resp.status >= 400 and onvif.REFUSED.search(resp.body)):
        out.refused = True
        out.notes.append(f"{cred} refused by ONVIF GetDeviceInformation (HTTP {resp.status}); no further login "
                         "attempts on this device")
        return False
    if resp.status == 404 or not resp.body:
        out.notes.append(f"no ONVIF device service at {ONVIF_PATH} (HTTP {resp.status})")
        return True
    if 200 <= resp.status < 300:
        out.observations.append(Observation(id=f"{target.host}:{target.port}:onvif-info", protocol="onvif_device_info",
                                            response=resp.body, address=target.host, port=target.port,
                                            request=f"ONVIF GetDeviceInformation{AUTHENTICATED}"))
    else:
        out.notes.append(f"ONVIF GetDeviceInformation: HTTP {resp.status}")
    return True


async def enrich(targets: Sequence[Target], maker: str | None, creds: Sequence[Credential], budget: Budget,
                 deadline: Deadline) -> Enrichment:
    out = Enrichment()
    if not targets:
        out.notes.append("credentials were given for this address, but it has no web port to read them on")
        return out
    target = targets[0]
    plan = plan_for(maker)
    for cred in creds:
        try:
            if plan is None:
                ok = await _read_onvif(target, cred, budget, deadline, out)
            else:
                ok = True
                for read in plan.reads:
                    ok = await _read_http(target, read.path, read.protocol, cred, budget, deadline, out)
                    if not ok:
                        break
        except DeviceError as exc:
            out.notes.append(f"authenticated read stopped: {exc}")
            return out
        if not ok:
            return out  # stop at the first refusal: no other credential set is tried on this device
        if not out.observations and plan is not None and not out.attempted:
            # the maker's own API had nothing for us (and no login was tried): the standard ONVIF query next
            try:
                ok = await _read_onvif(target, cred, budget, deadline, out)
            except DeviceError as exc:
                out.notes.append(f"authenticated read stopped: {exc}")
                return out
            if not ok:
                return out
        if out.observations:
            return out
    if not out.observations and not out.notes:
        out.notes.append("the device gave nothing more with credentials")
    return out
