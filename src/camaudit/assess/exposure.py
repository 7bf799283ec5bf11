"""Exposure findings: how reachable a device is and where it talks to, from what the scan saw.

- ``telnet``: TCP 23 accepts connections (camaudit only connects; it never speaks telnet).
- ``vendor-sdk-port``: the Hikvision (8000) or Dahua (37777) SDK login port accepts connections.
- ``upnp``: the device answered SSDP/UPnP discovery (a rule named ``ssdp.*``/``upnp.*``, or the UPnP description
  parser, read its answer).
- ``public-address``: the address is globally routable.
- ``cloud-<service>``: the device's own configuration shows a vendor cloud/P2P service enabled (``identity.cloud``).

Each is ``present``/``certain``: these are things the scan observed, not inferences.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from camaudit.assess.interface import Assessment
from camaudit.knowledge.cloud import CloudService, load_cloud_services
from camaudit.model import Evidence, Finding, Identity, Source

SDK_PORTS = {8000: "Hikvision SDK (device management) port", 37777: "Dahua SDK (private protocol) port"}
UPNP_RULE_PREFIXES = ("ssdp.", "upnp.", "parser.upnp-description:")

TELNET_SOURCES = (
    Source(url="https://www.rfc-editor.org/rfc/rfc854", title="RFC 854, Telnet Protocol Specification (no "
           "encryption or authentication of its own)"),
)
SDK_SOURCES = (
    Source(url="https://knowledge.ic.plus/dahua-p2p-services-ports", title="Dahua P2P services and ports"),
    Source(url="https://github.com/centreon/centreon-plugins/issues/3211",
           title="Hikvision DS-7608NI-K2 /ISAPI/Security/adminAccesses: the DEV_MANAGE (SDK) access protocol"),
)
UPNP_SOURCES = (
    Source(url="http://88.208.23.73:8080/en/manual/dahua/nvr4208-8p/nvr4208-8p_user-manual_500128-274.html",
           title="Dahua NVR manual: UPnP maps device ports on the router between LAN and WAN"),
)
PUBLIC_SOURCES = (
    Source(url="https://www.iana.org/assignments/iana-ipv4-special-registry/", title="IANA special-purpose address "
           "registry (what is not globally routable)"),
)


def _ev(e: Evidence) -> str:
    return f"{e.record}: {e.rule} ({e.matched})"


class Exposure(Assessment):
    kind = "exposure"

    def __init__(self, services: Mapping[str, CloudService] | None = None) -> None:
        self.services = dict(services) if services is not None else load_cloud_services()

    def assess(self, identity: Identity) -> list[Finding]:
        findings: list[Finding] = []
        ports = set(identity.open_ports)
        where = identity.address or identity.device
        if 23 in ports:
            findings.append(self._finding(
                identity, "telnet", "high", f"Telnet (TCP 23) is open on {where}",
                "TCP port 23 accepted a connection. Telnet sends logins and commands in clear text and, on cameras "
                "and recorders, is a maintenance shell that should not be reachable; camaudit did not speak to it. "
                "Turn it off in the device settings or block it at the network edge.",
                (f"{where}:23 accepted a TCP connection",), TELNET_SOURCES))
        for port, label in SDK_PORTS.items():
            if port in ports:
                findings.append(self._finding(
                    identity, f"vendor-sdk-port-{port}", "medium", f"{label} {port} is reachable on {where}",
                    f"TCP port {port}, the {label}, accepted a connection. It carries the vendor's login and "
                    "control protocol (used by its apps and recorders); reachable from where this scan ran, it is "
                    "reachable to anyone there. Restrict it to the recorders and management hosts that need it.",
                    (f"{where}:{port} accepted a TCP connection",), SDK_SOURCES))
        upnp = [e for e in identity.evidence if e.rule.startswith(UPNP_RULE_PREFIXES)]
        if upnp:
            findings.append(self._finding(
                identity, "upnp", "medium", f"{where} answers UPnP/SSDP discovery",
                "The device answered SSDP (UDP 1900) discovery and publishes a UPnP description. UPnP lets a device "
                "ask the router to forward ports from the internet to itself; check that UPnP is off on the "
                "device and on the router.",
                tuple(_ev(e) for e in upnp), UPNP_SOURCES))
        if identity.address and _is_public(identity.address):
            findings.append(self._finding(
                identity, "public-address", "high", f"{where} has a public (globally routable) address",
                f"{identity.address} is a globally routable address: unless a firewall in front of it says "
                "otherwise, the device's open ports are reachable from the internet.",
                (f"address {identity.address}",), PUBLIC_SOURCES))
        for service_id in identity.cloud:
            findings.append(self._cloud(identity, service_id))
        return findings

    def _cloud(self, identity: Identity, service_id: str) -> Finding:
        service = self.services.get(service_id)
        evidence = tuple(_ev(e) for e in identity.evidence if e.asserts.get("cloud") == service_id)
        if service is None:
            return self._finding(identity, f"cloud-{service_id}", "medium", f"Vendor cloud service {service_id} "
                                 "is enabled", f"The device's configuration enables {service_id}.", evidence, ())
        domains = ", ".join(service.domains)
        ports = f"; ports {', '.join(str(p) for p in service.ports)}" if service.ports else ""
        detail = (f"The device's own configuration ({service.device_setting}) shows {service.name} enabled. "
                  f"{service.meaning} Traffic to it goes to {domains}{ports}. If remote access through the "
                  "vendor is not needed, switch it off and block these domains at the network edge.")
        return self._finding(identity, f"cloud-{service_id}", "medium", f"{service.name} is enabled", detail,
                             evidence, service.sources)

    def _finding(self, identity: Identity, fid: str, severity: str, title: str, detail: str,
                 evidence: tuple[str, ...], sources: tuple[Source, ...]) -> Finding:
        return Finding(device=identity.device, kind=self.kind, id=fid, status="present", certainty="certain",
                       severity=severity, title=title, detail=detail, evidence=evidence, sources=sources)


def _is_public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False
