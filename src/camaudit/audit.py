"""The orchestrator: collect -> identify -> assess -> store, with its stages passed in (as pip-audit does).

The CLI, the demo, the benchmarks and library users all call :func:`run_scan` or :func:`run_identify`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from camaudit.assess.capabilities import Capabilities
from camaudit.assess.exposure import Exposure
from camaudit.assess.interface import Assessment, assess_all
from camaudit.assess.restrictions import Restrictions
from camaudit.assess.vulnerabilities import Vulnerabilities
from camaudit.collect.credentials import CredentialBook
from camaudit.collect.discovery.transport import Gathered, listen, probe_multicast
from camaudit.collect.enrich import AUTHENTICATED, Target, enrich
from camaudit.collect.limits import Deadline
from camaudit.collect.scanner import ScanOptions, scan
from camaudit.identify.pipeline import Identifier
from camaudit.model import HostResult, Identity, Observation
from camaudit.progress import Progress
from camaudit.scope import Scope
from camaudit.store import Store


@dataclass
class Stages:
    identifier: Identifier
    assessments: Sequence[Assessment]

    @classmethod
    def default(cls) -> Stages:
        return cls(Identifier.default(), [Restrictions(), Vulnerabilities(), Exposure(), Capabilities()])


def host_identity(result: HostResult, stages: Stages) -> list[Identity]:
    """One identity per host that answered anything (a host with no open port is not a device we saw)."""
    if not result.open_ports and not result.observations:
        return []
    identity = stages.identifier.identify_device(result.address, result.observations, result.open_ports)
    return [_say_what_credentials_would_add(identity, result)]


def _say_what_credentials_would_add(identity: Identity, result: HostResult) -> Identity:
    """Where a known maker's model or firmware stayed unknown and nothing was read with the owner's
    credentials, the reason says so: an owner can close that gap."""
    if identity.manufacturer is None or any(AUTHENTICATED in (o.request or "") for o in result.observations):
        return identity
    hint = ("nothing was read with owner credentials (--credentials); the device showed no more without logging "
            "in")
    unknown = {field: f"{why}; {hint}" if field in ("model", "firmware") else why
               for field, why in identity.unknown.items()}
    return replace(identity, unknown=unknown)


NOT_VIDEO = ("Web Server", "Printer", "Router", "Media Server")


def _looks_like_video_device(identity: Identity, result: HostResult) -> bool:
    """Owner credentials go only to what looks like a camera, recorder or intercom."""
    if identity.device_type in NOT_VIDEO:
        return False
    return identity.manufacturer is not None or 554 in result.open_ports


class Enricher:
    """After the unauthenticated probes: identify the maker, then read more with the owner's credentials."""

    def __init__(self, book: CredentialBook, identifier: Identifier, options: ScanOptions) -> None:
        self.book = book
        self.identifier = identifier
        self.options = options

    async def __call__(self, result: HostResult, deadline: Deadline) -> HostResult:
        creds = self.book.for_address(result.address)
        if not creds:
            return result  # host_identity says what credentials would have added
        identity = self.identifier.identify_device(result.address, result.observations)
        maker = identity.manufacturer
        if not _looks_like_video_device(identity, result):
            return replace(result, errors=(*result.errors, "credentials: not used: nothing suggests a camera, recorder "
                                           "or intercom here (no RTSP, no camera maker recognised)"))
        web = [Target(result.address, p, self.options.ports[p] == "https") for p in result.open_ports
               if self.options.ports.get(p) in ("http", "https")]
        web.sort(key=lambda t: (t.tls, t.port))
        budget = self.options.budget
        found = await enrich(web, maker, creds, budget, deadline)
        return replace(result, observations=(*result.observations, *found.observations),
                       errors=(*result.errors, *(f"credentials: {n}" for n in found.notes)))


@dataclass
class ScanSummary:
    scan_id: int
    hosts_scanned: int
    hosts_up: int
    identified: int  # hosts whose manufacturer was identified
    errors: int


def group_by_address(observations: Sequence[Observation]) -> dict[str, list[Observation]]:
    heard: dict[str, list[Observation]] = {}
    for obs in observations:
        heard.setdefault(obs.address or "", []).append(obs)
    return heard


async def run_listen_async(store: Store, interface: str, duration: float, scope: Scope | None,
                           stages: Stages) -> tuple[int, Gathered]:
    """Passive listening: record what devices announce or answer on ``interface``, sending nothing."""
    scan_id = store.begin_scan("listen", [f"interface {interface}"], {"duration": duration}, None)
    gathered = await listen(interface, duration, scope.contains if scope else (lambda _a: True))
    for address, observations in group_by_address(gathered.observations).items():
        identities = [stages.identifier.identify_device(address, observations)]
        result = HostResult(address, (), tuple(observations))
        store.commit_host(scan_id, result, identities, assess_all(identities, stages.assessments))
    store.finish_scan(scan_id)
    return scan_id, gathered


async def run_scan_async(store: Store, scope: Scope, targets: Sequence[str], options: ScanOptions,
                         stages: Stages, resume: int | None = None, progress: bool = True,
                         discover_on: str | None = None, record: dict[str, Any] | None = None) -> ScanSummary:
    """``record``: what else the store keeps about how the scan was asked (exclusions, port map...), so that
    ``--resume`` carries on with the same scope."""
    if resume is not None:
        scan_id = resume
        skip = store.scanned_addresses(scan_id)
    else:
        opts = {"ports": sorted(options.ports), "rate": options.rate, "concurrency": options.concurrency,
                "budget": asdict(options.budget), **(record or {})}
        scan_id = store.begin_scan("scan", targets, opts, scope.size())
        skip = set()
    if discover_on:
        gathered = await probe_multicast(discover_on, options.discovery_timeout * 2, scope.contains)
        options = replace(options, heard=group_by_address(gathered.observations))
        if progress:
            print(f"multicast discovery on {discover_on}: {len(gathered.sources)} device(s) answered in scope; "
                  f"{gathered.out_of_scope} answer(s) from outside the scope and {gathered.rejected} malformed "
                  "answer(s) ignored", file=sys.stderr)
    bar = Progress(max(0, scope.size() - len(skip)), "scanning", enabled=progress)
    scanned = up = identified = errors = 0
    try:
        async for result in scan(scope, options, skip=skip):
            identities = host_identity(result, stages)
            findings = assess_all(identities, stages.assessments)
            store.commit_host(scan_id, result, identities, findings)
            scanned += 1
            up += bool(result.open_ports)
            identified += sum(1 for i in identities if i.manufacturer)
            errors += bool(result.errors)
            bar.advance(note=f"{up} up, {identified} identified")
    except BaseException:  # interrupted, cancelled or failed: the hosts done so far are kept, resumable
        store.finish_scan(scan_id, "interrupted")
        bar.finish()
        raise
    bar.finish()
    store.finish_scan(scan_id, "complete")
    return ScanSummary(scan_id, scanned, up, identified, errors)


def run_scan(store: Store, scope: Scope, targets: Sequence[str], options: ScanOptions, stages: Stages,
             resume: int | None = None, progress: bool = True, discover_on: str | None = None,
             record: dict[str, Any] | None = None) -> ScanSummary:
    return asyncio.run(run_scan_async(store, scope, targets, options, stages, resume, progress, discover_on, record))
