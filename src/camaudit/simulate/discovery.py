"""Emulated answers to camera discovery: SADP, WS-Discovery, DHIP, SSDP and mDNS over UDP.

A device answers only a genuine probe of its protocol, with its recorded answer, from its own address.
With ``multicast`` it also joins the protocol's group (as real devices do), which the namespace tests use.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import struct
from typing import Any

from camaudit.collect.dhip import frame, unframe
from camaudit.collect.discovery import dhip_multicast, mdns, sadp, ssdp, wsdiscovery
from camaudit.simulate.personality import Service

GROUPS = {"sadp": sadp.GROUP, "ws_discovery": wsdiscovery.GROUP, "dhip": dhip_multicast.GROUP,
          "ssdp": ssdp.GROUP, "mdns": mdns.GROUP}


def is_probe(protocol: str, data: bytes) -> bool:
    if protocol == "sadp":
        return b"<Probe>" in data and b"inquiry" in data
    if protocol == "ws_discovery":
        return b"Probe" in data and b"ProbeMatch" not in data
    if protocol == "dhip":
        payload = unframe(data)
        return payload is not None and b"DHDiscover.search" in payload
    if protocol == "ssdp":
        return data.startswith(b"M-SEARCH")
    if protocol == "mdns":
        return len(data) >= 12 and not data[2] & 0x80
    return False


def _dns_name(name: str) -> bytes:
    return b"".join(bytes([len(p.encode())]) + p.encode() for p in name.strip(".").split(".") if p) + b"\x00"


def split_record(line: str) -> tuple[str, str, str]:
    """``KIND name value`` as :func:`camaudit.collect.discovery.mdns.decode` writes it. Instance names may hold
    spaces: a PTR's owner and an A record's are service or host names (no spaces), an SRV's value is its
    last word, and a TXT's name ends at the first ``.local``."""
    kind, _, rest = line.strip().partition(" ")
    if kind in ("PTR", "A"):
        name, _, value = rest.partition(" ")
    elif kind == "SRV":
        name, _, value = rest.rpartition(" ")
    else:
        at = rest.find(".local ")
        name, value = (rest[: at + 6], rest[at + 7 :]) if at >= 0 else (rest, "")
    return kind, name, value


def encode_mdns(text: str) -> bytes:
    """A DNS response carrying the recorded records (``PTR``, ``SRV``, ``TXT``, ``A`` lines, as decoded)."""
    records = []
    for line in text.splitlines():
        kind, name, value = split_record(line)
        if kind == "PTR":
            rtype, rdata = 12, _dns_name(value)
        elif kind == "SRV":
            target, _, port = value.rpartition(":")
            rtype, rdata = 33, struct.pack("!HHH", 0, 0, int(port or 0)) + _dns_name(target)
        elif kind == "TXT":
            rtype = 16
            rdata = b"".join(bytes([len(i.encode()[:255])]) + i.encode()[:255] for i in value.split(" ") if i)
        elif kind == "A":
            rtype, rdata = 1, socket.inet_aton(value)
        else:
            continue
        records.append(_dns_name(name) + struct.pack("!HHIH", rtype, 0x8001, 120, len(rdata)) + rdata)
    return struct.pack("!HHHHHH", 0, 0x8400, 0, len(records), 0, 0) + b"".join(records)


_LOCATION = re.compile(r"^(LOCATION:\s*https?://)([^/:\s]+)", re.IGNORECASE | re.MULTILINE)


def render(protocol: str, text: str, address: str = "") -> bytes:
    if protocol == "ssdp" and address:
        # the recorded LOCATION named the recorded device's own address; the emulated device names its own
        text = _LOCATION.sub(lambda m: m.group(1) + address, text)
    if protocol == "dhip":
        return frame(text.strip().encode() + b"\n")
    if protocol == "mdns":
        return encode_mdns(text)
    if protocol == "ssdp":
        return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
    return text.encode()


class Responder(asyncio.DatagramProtocol):
    def __init__(self, service: Service, address: str = "") -> None:
        self.service = service
        self.address = address
        self.transport: asyncio.DatagramTransport | None = None
        self.protocol = service.protocol or "dhip"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.answer(data, addr)

    def answer(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if self.service.reply is None or self.transport is None or not is_probe(self.protocol, data):
            return  # anything but a genuine probe gets no answer, as on real devices
        self.transport.sendto(render(self.protocol, self.service.reply.response, self.address), addr)

    async def announce(self, group: str, stop: asyncio.Event, every: float = 1.0) -> None:
        """Send the recorded announcement (Hello, NOTIFY) to the group until the fleet stops."""
        if self.service.announce is None or self.transport is None:
            return
        payload = render(self.protocol, self.service.announce.response, self.address)
        while not stop.is_set():
            self.transport.sendto(payload, (group, self.service.port))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)


class GroupListener(asyncio.DatagramProtocol):
    """Receives the protocol's multicast probes and has the device's own socket answer them."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.responder.answer(data, addr)


async def start_responder(address: str, service: Service, multicast: bool,
                          stop: asyncio.Event | None = None) -> list[asyncio.BaseTransport]:
    loop = asyncio.get_running_loop()
    responder = Responder(service, address)
    transport, _ = await loop.create_datagram_endpoint(lambda: responder, local_addr=(address, service.port))
    transports: list[asyncio.BaseTransport] = [transport]
    group = GROUPS.get(responder.protocol)
    if multicast and group:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((group, service.port))
        membership = socket.inet_aton(group) + socket.inet_aton(address)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        listener, _ = await loop.create_datagram_endpoint(lambda: GroupListener(responder), sock=sock)
        transports.append(listener)
        if service.announce is not None and stop is not None:
            sender = transport.get_extra_info("socket")
            sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(address))
            sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
            ANNOUNCERS.add(asyncio.get_running_loop().create_task(responder.announce(group, stop)))
    return transports


ANNOUNCERS: set[asyncio.Task[None]] = set()
