"""The live scan, in two stages: a liveness sweep (a bare TCP connect to each camera port of each address,
many at once) and deep probes only where something answered. One :class:`HostResult` comes back per address
as soon as that host is done, so it can be committed at once.

Only TCP connect and ordinary read-only requests are used; nothing is sent outside the scope, new
connections are rate-limited, every host has a deadline and every response a byte cap, and the sockets in
flight stay within the open-file budget (:mod:`camaudit.collect.sweep`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from camaudit.collect.discovery import ssdp
from camaudit.collect.discovery.transport import probe_unicast
from camaudit.collect.http import probe_web, request
from camaudit.collect.limits import CONNECTION_LIMITER, Budget, Deadline, DeviceError, is_resource_error
from camaudit.collect.onvif import probe_onvif
from camaudit.collect.pacing import loop_clock
from camaudit.collect.rtsp import probe_rtsp
from camaudit.collect.sweep import Knocker, Swept, descriptor_budget
from camaudit.knowledge.probes import web_probe_paths
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


@dataclass(frozen=True)
class ScanOptions:
    ports: dict[int, str] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    budget: Budget = field(default_factory=Budget)
    concurrency: int = 128
    rate: float = 1000.0
    discovery: bool = True  # unicast camera discovery (SADP, WS-Discovery, DHIP, SSDP, mDNS) to hosts that answered
    discovery_timeout: float = 1.0
    #: knock the other ports only of addresses that answered on a liveness port (False: knock every port)
    ping: bool = True
    #: paths GET without credentials on every web port, in order (knowledge/probes.yaml: why each is asked)
    web_paths: tuple[str, ...] = field(default_factory=web_probe_paths)
    heard: dict[str, list[Observation]] = field(default_factory=dict)  # answers to multicast probes, by address
    # owner-authorised reads, within what is left of the host's deadline
    enricher: Callable[[HostResult, Deadline], Awaitable[HostResult]] | None = None


async def _probe_port(host: str, port: int, speaks: str, budget: Budget, deadline: Deadline,
                      web_paths: tuple[str, ...]) -> list[Observation]:
    if speaks in ("http", "https"):
        return await probe_web(host, port, budget, deadline, tls=speaks == "https", paths=web_paths)
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


async def probe_host(address: str, open_ports: tuple[int, ...], options: ScanOptions,
                     errors: tuple[str, ...] = (), incomplete: bool = False) -> HostResult:
    """The deep probes of one address whose ``open_ports`` the sweep found (or that answered multicast
    discovery). A device that misbehaves in any way costs at most its budget and becomes an error line of
    its own result; only cancellation escapes."""
    budget = options.budget
    deadline = Deadline(budget.host_deadline)
    observations: list[Observation] = []
    problems = list(errors)
    truncated = False
    stages = [f"{options.ports[p]} {p}" for p in open_ports if options.ports[p] != "open"]
    tasks = [
        _probe_port(address, p, options.ports[p], budget, deadline, options.web_paths)
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
            incomplete = incomplete or is_resource_error(outcome)
            problems.append(_failure(address, stage, outcome))
        else:
            observations.extend(outcome)
    web = [p for p in open_ports if options.ports.get(p) == "http"]
    camera_like = 554 in open_ports or any(o.protocol == "ws_discovery" for o in observations)
    if options.discovery and camera_like and web:
        try:
            onvif = await probe_onvif(address, web[0], budget, deadline)
            observations.extend(onvif.observations)
            problems.extend(f"onvif: {n}" for n in onvif.notes)
        except Exception as exc:
            incomplete = incomplete or is_resource_error(exc)
            problems.append(_failure(address, "onvif", exc))
    for obs in observations:
        if obs.protocol in ("http_body", "http_header") and len(obs.response) >= budget.read_bytes - 8:
            truncated = True
    result = HostResult(address, open_ports, tuple(observations), tuple(problems), truncated, incomplete)
    if options.enricher is not None and open_ports:
        try:
            result = await options.enricher(result, deadline)
        except Exception as exc:
            result = replace(result, errors=(*result.errors, _failure(address, "credentials", exc)),
                             incomplete=result.incomplete or is_resource_error(exc))
    return result


async def scan_host(address: str, options: ScanOptions, limiter: RateLimiter | None = None) -> HostResult:
    """Everything camaudit learns about one address: its sweep, then its deep probes."""
    if limiter is not None:
        CONNECTION_LIMITER.set(limiter)
    knocker = Knocker(sorted(options.ports), options.budget.connect_timeout, len(options.ports), options.ping,
                      limiter)
    try:
        swept = await knocker.sweep(address)
    finally:
        knocker.close()
    return await probe_host(address, swept.open_ports, options, swept.errors, swept.incomplete)


@dataclass(frozen=True)
class Concurrency:
    """How many sockets the sweep and how many hosts the deep probes may have in flight, from the open-file
    budget: the deep probes of one host hold about one socket per probed port and one per discovery protocol."""

    sweep_sockets: int
    deep_hosts: int

    @classmethod
    def plan(cls, options: ScanOptions, descriptors: int | None = None) -> Concurrency:
        budget = descriptors if descriptors is not None else descriptor_budget()
        per_host = sum(1 for k in options.ports.values() if k != "open") + (6 if options.discovery else 1)
        deep = max(1, min(options.concurrency, (budget // 2) // per_host))
        # the sweep needs no more sockets than the rate lets it open within one connect timeout
        by_rate = max(len(options.ports), int(options.rate * options.budget.connect_timeout * 1.2))
        sweep = max(1, min(by_rate, budget - deep * per_host))
        return cls(sweep, deep)


@dataclass
class PaceReport:
    """How the sweep paced itself, filled in as a scan ends."""

    text: str = ""
    shortages: int = 0
    losses: int = 0


#: how often the sweep's feeder looks for room for more addresses
FEED_INTERVAL = 0.01


async def scan(
    scope: Scope,
    options: ScanOptions,
    skip: Iterable[str] = (),
    descriptors: int | None = None,
    report: PaceReport | None = None,
) -> AsyncIterator[HostResult]:
    """Scan every address in scope (except ``skip``), yielding each host's result as it completes: addresses
    where nothing answered straight from the sweep, the others after their deep probes.

    New addresses are admitted to the sweep only while there is room: sockets allowed by the open-file budget,
    and few hosts waiting for deep probes or for the caller, so hosts already started are finished first."""
    limiter = RateLimiter(options.rate, burst=max(1, min(options.concurrency, int(options.rate // 10) or 1)))
    CONNECTION_LIMITER.set(limiter)
    skipped = set(skip)
    lanes = Concurrency.plan(options, descriptors)
    ports = sorted(options.ports)
    knocker = Knocker(ports, options.budget.connect_timeout, lanes.sweep_sockets, options.ping, limiter)
    addresses = (a for a in scope.addresses() if a not in skipped)
    done: asyncio.Queue[HostResult | BaseException | None] = asyncio.Queue()
    deep: asyncio.Queue[tuple[str, tuple[int, ...], tuple[str, ...], bool] | None] = asyncio.Queue()
    waiting_most = 4 * lanes.deep_hosts + 64  # finished hosts the caller has not taken yet
    began = time.monotonic()
    swept_at: list[float] = []

    def swept(result: Swept) -> None:
        if result.open_ports or (options.discovery and result.address in options.heard):
            deep.put_nowait((result.address, result.open_ports, result.errors, result.incomplete))
        else:
            done.put_nowait(HostResult(result.address, (), (), result.errors, False, result.incomplete))

    async def feeder() -> None:
        # addresses go to the sweep while it has room and the deep probes keep up; every socket the sweep opens
        # takes a token of the one rate limiter (only tokens the deep probes left free)
        for address in addresses:
            if not scope.contains(address):  # belt and braces: never probe outside the scope
                continue
            while knocker.room() <= 0 or deep.qsize() >= lanes.deep_hosts or done.qsize() >= waiting_most:
                await asyncio.sleep(FEED_INTERVAL)
            knocker.submit(address, swept)
        while knocker.hosts:
            await asyncio.sleep(FEED_INTERVAL)
        swept_at.append(time.monotonic() - began)

    async def prober() -> None:
        while (item := await deep.get()) is not None:
            done.put_nowait(await probe_host(item[0], item[1], options, item[2], item[3]))

    async def guarded(work: Callable[[], Awaitable[None]]) -> None:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a bug, never a device: end the scan with it rather than hang
            done.put_nowait(exc)

    async def run_all() -> None:
        feeding = asyncio.create_task(guarded(feeder))
        probers = [asyncio.create_task(guarded(prober)) for _ in range(lanes.deep_hosts)]
        try:
            await feeding
            for _ in probers:
                deep.put_nowait(None)
            await asyncio.gather(*probers)
        finally:
            for t in (feeding, *probers):
                t.cancel()
            await asyncio.gather(feeding, *probers, return_exceptions=True)
        done.put_nowait(None)

    runner = asyncio.create_task(guarded(run_all))
    try:
        while (item := await done.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        knocker.close()
        if report is not None:
            clock = loop_clock()
            report.text = (f"{knocker.rate.describe()}; sweep done after "
                           f"{swept_at[0] if swept_at else time.monotonic() - began:.1f}s, all after "
                           f"{time.monotonic() - began:.1f}s; loop stalled {clock.stalled if clock else 0:.1f}s; "
                           f"{knocker.losses} lost connect(s) found again, {knocker.shortages} resource shortage(s)")
            report.shortages, report.losses = knocker.shortages, knocker.losses
