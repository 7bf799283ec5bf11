"""The live scan: for each address in scope, find open camera ports, probe what answers, hand back one
:class:`HostResult` per address as soon as that host is done (so it can be committed at once).

Only TCP connect and ordinary read-only requests are used; nothing is sent outside the scope, new
connections are rate-limited, and every host has a deadline and every response a byte cap.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from camaudit.collect.discovery import ssdp
from camaudit.collect.discovery.transport import probe_unicast
from camaudit.collect.http import probe_web, request
from camaudit.collect.limits import Budget, Deadline, DeviceError, close, open_connection
from camaudit.collect.onvif import probe_onvif
from camaudit.collect.rtsp import probe_rtsp
from camaudit.model import HostResult, Observation
from camaudit.scope import RateLimiter, Scope

#: Ports probed by default and what is spoken on each. SDK ports (8000 Hikvision, 37777 Dahua) are only
#: checked for being open: their protocols are login protocols and camaudit does not speak them.
DEFAULT_PORTS: dict[int, str] = {
    23: "open",
    80: "http",
    443: "https",
    554: "rtsp",
    8000: "open",
    8080: "http",
    8443: "https",
    37777: "open",
}

#: Web paths fetched on every web port, without credentials: the home page (and its same-origin redirects) and
#: Hikvision's device-information endpoint, whose refusal names the firmware (realm, Server header, XML body).
WEB_PATHS = ("/", "/ISAPI/System/deviceInfo")


@dataclass(frozen=True)
class ScanOptions:
    ports: dict[int, str] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    budget: Budget = field(default_factory=Budget)
    concurrency: int = 128
    rate: float = 1000.0
    discovery: bool = True  # unicast camera discovery (SADP, WS-Discovery, DHIP, SSDP, mDNS) to hosts that answered
    discovery_timeout: float = 1.0
    heard: dict[str, list[Observation]] = field(default_factory=dict)  # answers to multicast probes, by address
    enricher: Callable[[HostResult], Awaitable[HostResult]] | None = None  # owner-authorised reads


async def _is_open(host: str, port: int, budget: Budget, deadline: Deadline, limiter: RateLimiter) -> bool:
    await limiter.acquire()
    try:
        _reader, writer = await open_connection(host, port, budget, deadline)
    except DeviceError:
        return False
    await close(writer)
    return True


async def _probe_port(host: str, port: int, speaks: str, budget: Budget, deadline: Deadline,
                      limiter: RateLimiter) -> list[Observation]:
    await limiter.acquire()
    if speaks == "http":
        return await probe_web(host, port, budget, deadline, tls=False, paths=WEB_PATHS)
    if speaks == "https":
        return await probe_web(host, port, budget, deadline, tls=True, paths=WEB_PATHS)
    if speaks == "rtsp":
        return await probe_rtsp(host, port, budget, deadline)
    return []


async def _discover(address: str, timeout: float, budget: Budget, deadline: Deadline) -> list[Observation]:
    """Unicast discovery probes; an SSDP answer's description XML is fetched when it is on this host."""
    gathered = await probe_unicast(address, timeout)
    found = list(gathered.observations)
    for obs in gathered.observations:
        if obs.protocol != "ssdp":
            continue
        where = ssdp.location(obs.response)
        parts = urlsplit(where) if where else None
        if parts is None or parts.hostname != address or parts.scheme != "http":
            continue
        try:
            resp = await request(address, parts.port or 80, "GET", parts.path or "/", budget, deadline, tls=False)
        except DeviceError:
            continue
        if resp.status == 200 and resp.body:
            found.append(Observation(id=f"{address}:{parts.port or 80}:upnp-description", protocol="ssdp",
                                     response=resp.body, address=address, port=parts.port or 80,
                                     request=f"GET {parts.path} (UPnP description named by SSDP)"))
    return found


async def scan_host(address: str, options: ScanOptions, limiter: RateLimiter) -> HostResult:
    budget = options.budget
    deadline = Deadline(budget.host_deadline)
    ports = sorted(options.ports)
    try:
        flags = await asyncio.gather(*(_is_open(address, p, budget, deadline, limiter) for p in ports))
    except DeviceError as exc:
        return HostResult(address, (), (), (str(exc),))
    open_ports = tuple(p for p, ok in zip(ports, flags, strict=True) if ok)
    observations: list[Observation] = []
    errors: list[str] = []
    truncated = False
    tasks = [
        _probe_port(address, p, options.ports[p], budget, deadline, limiter)
        for p in open_ports
        if options.ports[p] != "open"
    ]
    if options.discovery and (open_ports or address in options.heard):
        tasks.append(_discover(address, options.discovery_timeout, budget, deadline))
    observations.extend(options.heard.get(address, ()))
    for outcome in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(outcome, DeviceError):
            errors.append(str(outcome))
        elif isinstance(outcome, (ssl.SSLError, UnicodeError, ValueError, OSError)):
            errors.append(f"{address}: {type(outcome).__name__}: {outcome}")
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            observations.extend(outcome)
    web = [p for p in open_ports if options.ports.get(p) == "http"]
    camera_like = 554 in open_ports or any(o.protocol == "ws_discovery" for o in observations)
    if options.discovery and camera_like and web:
        try:
            onvif = await probe_onvif(address, web[0], budget, deadline)
            observations.extend(onvif.observations)
            errors.extend(f"onvif: {n}" for n in onvif.notes)
        except DeviceError as exc:
            errors.append(f"onvif: {exc}")
    for obs in observations:
        if obs.protocol in ("http_body", "http_header") and len(obs.response) >= budget.read_bytes - 8:
            truncated = True
    result = HostResult(address, open_ports, tuple(observations), tuple(errors), truncated)
    if options.enricher is not None and open_ports:
        result = await options.enricher(result)
    return result


async def scan(
    scope: Scope,
    options: ScanOptions,
    skip: Iterable[str] = (),
    on_start: Callable[[str], Awaitable[None]] | None = None,
) -> AsyncIterator[HostResult]:
    """Scan every address in scope (except ``skip``), yielding each host's result as it completes."""
    limiter = RateLimiter(options.rate, burst=max(1, min(options.concurrency, int(options.rate // 10) or 1)))
    skipped = set(skip)
    queue: asyncio.Queue[HostResult] = asyncio.Queue(maxsize=options.concurrency * 2)
    addresses = (a for a in scope.addresses() if a not in skipped)

    async def worker() -> None:
        # the workers share one generator: each pulls the next address, so at most `concurrency` hosts
        # are in flight
        for address in addresses:
            if not scope.contains(address):  # belt and braces: never probe outside the scope
                continue
            if on_start is not None:
                await on_start(address)
            await queue.put(await scan_host(address, options, limiter))

    workers = [asyncio.create_task(worker()) for _ in range(options.concurrency)]
    done: asyncio.Future[list[None]] = asyncio.gather(*workers)
    try:
        while True:
            getter: asyncio.Task[HostResult] = asyncio.create_task(queue.get())
            waiting: set[asyncio.Future[Any]] = {getter, done}
            finished, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if getter in finished:
                yield getter.result()
                continue
            getter.cancel()
            while not queue.empty():
                yield queue.get_nowait()
            done.result()
            break
    finally:
        for w in workers:
            w.cancel()
