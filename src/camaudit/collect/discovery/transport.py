"""Sending discovery probes and gathering answers: unicast to one target, multicast on one interface, or
passively listening. Every answer goes through its protocol's ``accept`` (malformed ones are counted and
dropped), and a multicast answer from an address outside the scope is counted and dropped too.
"""

from __future__ import annotations

import asyncio
import fcntl
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from camaudit.collect.discovery import dhip_multicast, mdns, sadp, ssdp, wsdiscovery
from camaudit.collect.limits import RESOURCE_ERRNOS, ResourceError, pace
from camaudit.collect.pacing import serviced_sleep
from camaudit.model import Observation

PROTOCOLS: tuple[ModuleType, ...] = (wsdiscovery, sadp, dhip_multicast, ssdp, mdns)
MAX_DATAGRAM = 64 * 1024
MAX_ANSWERS = 4096  # per gathering: a flood of answers is cut off, not kept


@dataclass
class Gathered:
    observations: list[Observation] = field(default_factory=list)
    rejected: int = 0  # answers that were not the protocol (garbage, truncated, our own probes)
    out_of_scope: int = 0
    sources: set[str] = field(default_factory=set)


class _Collector(asyncio.DatagramProtocol):
    def __init__(self, sink: Callable[[bytes, str, int], None]) -> None:
        self.sink = sink

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.sink(data[:MAX_DATAGRAM], str(addr[0]), int(addr[1]))

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable and the like: nothing to record
        return None


def _record(gathered: Gathered, module: ModuleType, data: bytes, source: str, port: int,
            in_scope: Callable[[str], bool], how: str) -> None:
    if len(gathered.observations) >= MAX_ANSWERS:
        gathered.rejected += 1
        return
    if not in_scope(source):
        gathered.out_of_scope += 1
        return
    accepted = module.accept(data)
    if accepted is None:
        gathered.rejected += 1
        return
    protocol, text = accepted
    n = len(gathered.observations)
    gathered.sources.add(source)
    way = "multicast" if "multicast" in how else "heard" if "passively" in how else "unicast"
    gathered.observations.append(Observation(
        id=f"{source}:{module.PORT}:{protocol}:{way}:{n}", protocol=protocol, response=text, address=source,
        port=module.PORT, request=how, observed_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    ))


async def probe_unicast(host: str, timeout: float, modules: tuple[ModuleType, ...] = PROTOCOLS) -> Gathered:
    """Each protocol's probe sent to ``host`` itself; answers gathered for ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    gathered = Gathered()
    transports: list[asyncio.DatagramTransport] = []
    for module in modules:
        def sink(data: bytes, source: str, port: int, module: ModuleType = module) -> None:
            _record(gathered, module, data, source, port, lambda s: s == host, f"{module.__name__.rsplit('.', 1)[-1]} "
                    "probe (unicast)")
        try:
            transport, _ = await loop.create_datagram_endpoint(lambda s=sink: _Collector(s),  # type: ignore[misc]
                                                               remote_addr=(host, module.PORT))
        except OSError as exc:
            if exc.errno in RESOURCE_ERRNOS:  # the scanner ran short, the device said nothing: not a silence
                for sent in transports:
                    sent.close()
                raise ResourceError(f"{host}: discovery not sent: the scanner ran short ({exc.strerror})") from exc
            continue
        transports.append(transport)
        await pace()
        transport.sendto(module.request())
    try:
        await serviced_sleep(timeout)  # answers a busy loop has not read yet still count
    finally:
        for transport in transports:
            transport.close()
    return gathered


def interface_address(name: str) -> str:
    """The IPv4 address of a network interface (Linux), or a clear error."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        packed = fcntl.ioctl(sock.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))  # SIOCGIFADDR
    except OSError as exc:
        raise ValueError(f"interface {name!r} has no IPv4 address ({exc.strerror})") from exc
    finally:
        sock.close()
    return socket.inet_ntoa(packed[20:24])


def _multicast_socket(interface_ip: str, bind_port: int = 0, group: str | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface_ip))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)  # never past the local segment
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    if group is not None:
        sock.bind(("", bind_port))
        membership = socket.inet_aton(group) + socket.inet_aton(interface_ip)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    else:
        sock.bind((interface_ip, bind_port))
    sock.setblocking(False)
    return sock


async def _gather_on(interface: str, duration: float, in_scope: Callable[[str], bool],
                     modules: tuple[ModuleType, ...], send: bool) -> Gathered:
    """Sockets on ``interface``, one per protocol: each sends its probe to its group (``send``) or joins the
    group and only listens; answers are gathered for ``duration`` seconds."""
    local = interface_address(interface)
    loop = asyncio.get_running_loop()
    gathered = Gathered()
    transports = []
    for module in modules:
        name = module.__name__.rsplit(".", 1)[-1]
        how = f"{name} probe (multicast on {interface})" if send else f"heard passively on {interface} ({name})"
        try:
            sock = _multicast_socket(local) if send else _multicast_socket(local, module.PORT, module.GROUP)
        except OSError:
            continue  # the port is taken on this host (another listener): that protocol is skipped

        def sink(data: bytes, source: str, port: int, module: ModuleType = module, how: str = how) -> None:
            _record(gathered, module, data, source, port, in_scope, how)
        transport, _ = await loop.create_datagram_endpoint(lambda s=sink: _Collector(s), sock=sock)  # type: ignore[misc]
        transports.append(transport)
        if send:
            transport.sendto(module.request(), (module.GROUP, module.PORT))
    try:
        await asyncio.sleep(duration)
    finally:
        for transport in transports:
            transport.close()
    return gathered


async def probe_multicast(interface: str, duration: float, in_scope: Callable[[str], bool],
                          modules: tuple[ModuleType, ...] = PROTOCOLS) -> Gathered:
    """Each protocol's probe sent to its multicast group on one interface; answers gathered for ``duration``."""
    return await _gather_on(interface, duration, in_scope, modules, send=True)


async def listen(interface: str, duration: float, in_scope: Callable[[str], bool],
                 modules: tuple[ModuleType, ...] = PROTOCOLS) -> Gathered:
    """Send nothing: join each protocol's group on ``interface`` and record what devices announce or answer."""
    return await _gather_on(interface, duration, in_scope, modules, send=False)
