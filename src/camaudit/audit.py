"""The orchestrator: collect -> identify -> assess -> store, with its stages passed in (as pip-audit does).

The CLI, the demo, the benchmarks and library users all call :func:`run_scan` or :func:`run_identify`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from camaudit.assess.interface import Assessment, assess_all
from camaudit.assess.restrictions import Restrictions
from camaudit.collect.scanner import ScanOptions, scan
from camaudit.identify.pipeline import Identifier
from camaudit.model import HostResult, Identity
from camaudit.progress import Progress
from camaudit.scope import Scope
from camaudit.store import Store


@dataclass
class Stages:
    identifier: Identifier
    assessments: Sequence[Assessment]

    @classmethod
    def default(cls) -> Stages:
        return cls(Identifier.default(), [Restrictions()])


def host_identity(result: HostResult, stages: Stages) -> list[Identity]:
    """One identity per host that answered anything (a host with no open port is not a device we saw)."""
    if not result.open_ports and not result.observations:
        return []
    observations = [o for o in result.observations]
    return [stages.identifier.identify_device(result.address, observations, result.open_ports)]


@dataclass
class ScanSummary:
    scan_id: int
    hosts_scanned: int
    hosts_up: int
    devices: int
    errors: int


async def run_scan_async(store: Store, scope: Scope, targets: Sequence[str], options: ScanOptions,
                         stages: Stages, resume: int | None = None, progress: bool = True) -> ScanSummary:
    if resume is not None:
        scan_id = resume
        skip = store.scanned_addresses(scan_id)
    else:
        opts = {"ports": sorted(options.ports), "rate": options.rate, "concurrency": options.concurrency,
                "budget": asdict(options.budget)}
        scan_id = store.begin_scan("scan", targets, opts, scope.size())
        skip = set()
    bar = Progress(max(0, scope.size() - len(skip)), "scanning", enabled=progress)
    scanned = up = devices = errors = 0
    try:
        async for result in scan(scope, options, skip=skip):
            identities = host_identity(result, stages)
            findings = assess_all(identities, stages.assessments)
            store.commit_host(scan_id, result, identities, findings)
            scanned += 1
            up += bool(result.open_ports)
            devices += sum(1 for i in identities if i.manufacturer)
            errors += bool(result.errors)
            bar.advance(note=f"{up} up, {devices} identified")
    except (KeyboardInterrupt, asyncio.CancelledError):
        store.finish_scan(scan_id, "interrupted")
        bar.finish()
        raise
    bar.finish()
    store.finish_scan(scan_id, "complete")
    return ScanSummary(scan_id, scanned, up, devices, errors)


def run_scan(store: Store, scope: Scope, targets: Sequence[str], options: ScanOptions, stages: Stages,
             resume: int | None = None, progress: bool = True) -> ScanSummary:
    return asyncio.run(run_scan_async(store, scope, targets, options, stages, resume, progress))
