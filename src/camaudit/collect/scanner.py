"""The live scan: for each address in scope, find open camera ports, probe what answers, hand back one
:class:`HostResult` per address as soon as that host is done (so it can be committed at once).

Only TCP connect and ordinary read-only requests are used; nothing is sent outside the scope, new
connections are rate-limited, and every host has a deadline and every response a byte cap.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from camaudit.collect.discovery import ssdp
from camaudit.collect.discovery.transport import probe_unicast
from camaudit.collect.http import probe_web, request
from camaudit.collect.limits import CONNECTION_LIMITER, Budget, Deadline, DeviceError, close, open_connection
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
    # owner-authorised reads, within what is left of the host's deadline
    enricher: Callable[[HostResult, Deadline], Awaitable[HostResult]] | None = None


async def _is_open(host: str, port: int, budget: Budget) -> bool:
    """A TCP connect within its own timeout (the host's deadline starts once its open ports are known)."""
    try:
        _reader, writer = await open_connection(host, port, budget, Deadline(budget.connect_timeout))
    except DeviceError:
        return False
    await close(writer)
    return True


async def _probe_port(host: str, port: int, speaks: str, budget: Budget, deadline: Deadline) -> list[Observation]:
    if speaks == "http":
        return await probe_web(host, port, budget, deadline, tls=False, paths=WEB_PATHS)
    if speaks == "https":
        return await probe_web(host, port, budget, deadline, tls=True, paths=WEB_PATHS)
    if speaks == "rtsp":
        return await probe_rtsp(host, port, budget, deadline)
    return []


async def _discover(address: str, timeout: float, budget: Budget, deadline: Deadline) -> list[Observation]:
    """Unicast discovery probes; an SSDP answer's description XML is fetched when it is on this host."""
    gathered = await probe_unicast(address, deadline.left(timeout))
    found = list(gathered.observations)
    for obs in gathered.observations:
        if obs.protocol != "ssdp":
            continue
        where = ssdp.location(obs.response)
        try:
            parts = urlsplit(where) if where else None
            port = (parts.port or 80) if parts else 80
        except ValueError:  # a LOCATION with a port that is not a number
            continue
        if parts is None or parts.hostname != address or parts.scheme != "http":
            continue
        try:
            resp = await request(address, port, "GET", parts.path or "/", budget, deadline, tls=False)
        except DeviceError:
            continue
        if resp.status == 200 and resp.body:
            found.append(Observation(id=f"{address}:{port}:upnp-description", protocol="ssdp",
                                     response=resp.body, address=address, port=port,
                                     request=f"GET {parts.path} (UPnP description named by SSDP)"))
    return found


def _failure(address: str, stage: str, exc: BaseException) -> str:
    """What went wrong with one stage of one host, as a line of its result (never a crashed scan)."""
    if isinstance(exc, DeviceError):
        return f"{stage}: {exc}"
    return f"{stage}: {address}: {type(exc).__name__}: {str(exc)[:200]}"


async def scan_host(address: str, options: ScanOptions, limiter: RateLimiter | None = None) -> HostResult:
    """Everything camaudit learns about one address. A device that misbehaves in any way costs at most its
    budget and becomes an error line of its own result; only cancellation escapes."""
    if limiter is not None:
        CONNECTION_LIMITER.set(limiter)
    budget = options.budget
    ports = sorted(options.ports)
    flags = await asyncio.gather(*(_is_open(address, p, budget) for p in ports), return_exceptions=True)
    open_ports = tuple(p for p, ok in zip(ports, flags, strict=True) if ok is True)
    deadline = Deadline(budget.host_deadline)
    observations: list[Observation] = []
    errors: list[str] = []
    truncated = False
    stages = [f"{options.ports[p]} {p}" for p in open_ports if options.ports[p] != "open"]
    tasks = [
        _probe_port(address, p, options.ports[p], budget, deadline)
        for p in open_ports
        if options.ports[p] != "open"
    ]
    if options.discovery and (open_ports or address in options.heard):
        stages.append("discovery")
        tasks.append(_discover(address, options.discovery_timeout, budget, deadline))
    observations.extend(options.heard.get(address, ()))
    for stage, outcome in zip(stages, await asyncio.gather(*tasks, return_exceptions=True), strict=True):
        if isinstance(outcome, asyncio.CancelledError):
            raise outcome
        if isinstance(outcome, BaseException):
            if not isinstance(outcome, Exception):
                raise outcome
            errors.append(_failure(address, stage, outcome))
        else:
            observations.extend(outcome)
    web = [p for p in open_ports if options.ports.get(p) == "http"]
    camera_like = 554 in open_ports or any(o.protocol == "ws_discovery" for o in observations)
    if options.discovery and camera_like and web:
        try:
            onvif = await probe_onvif(address, web[0], budget, deadline)
            observations.extend(onvif.observations)
            errors.extend(f"onvif: {n}" for n in onvif.notes)
        except Exception as exc:
            errors.append(_failure(address, "onvif", exc))
    for obs in observations:
        if obs.protocol in ("http_body", "http_header") and len(obs.response) >= budget.read_bytes - 8:
            truncated = True
    result = HostResult(address, open_ports, tuple(observations), tuple(errors), truncated)
    if options.enricher is not None and open_ports:
        try:
            result = await options.enricher(result, deadline)
        except Exception as exc:
            result = HostResult(address, open_ports, tuple(observations),
                                (*errors, _failure(address, "credentials", exc)), truncated)
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
        # are in flight; every connection and datagram they open takes a token from the one limiter
        CONNECTION_LIMITER.set(limiter)
        for address in addresses:
            if not scope.contains(address):  # belt and braces: never probe outside the scope
                continue
            if on_start is not None:
                await on_start(address)
            await queue.put(await scan_host(address, options))

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
        await asyncio.gather(*workers, return_exceptions=True)
