"""The emulated fleet of capability, cloud and exposure cases (issue 5), scanned once per test module with the
emulated devices' own test account, as `camaudit demo` does."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from camaudit.assess.capabilities import Capabilities
from camaudit.assess.exposure import Exposure
from camaudit.assess.restrictions import Restrictions
from camaudit.assess.vulnerabilities import Vulnerabilities
from camaudit.collect.credentials import Credential, CredentialBook
from camaudit.collect.scanner import ScanOptions
from camaudit.demo import DEMO_LOGIN
from camaudit.identify.pipeline import Identifier
from camaudit.model import Finding, Identity
from camaudit.pipeline.service import run_scan
from camaudit.pipeline.stages import Stages
from camaudit.scope import Scope
from camaudit.simulate.process import FleetProcess
from camaudit.store import open_store
from tests.stores import fresh_location

CASE_NETWORK = "127.95.0.0/24"
CASES = [
    "hikvision-face-ipc",        # face capabilities in its capability document, SDK port 8000
    "hikvision-hikconnect-ipc",  # Hik-Connect enabled; real capability document (audio input only)
    "amcrest-p2p-ipc",           # Dahua P2P (T2UServer) enabled
    "dahua-race-analytics-ipc",  # a model reported with race/skin-colour analytics, SDK port 37777
    "hikvision-telnet-ipc",      # telnet open
    "axis-camera",               # answers SSDP/UPnP
    "nginx-server",              # nothing of the above
]


@dataclass
class Scanned:
    by_personality: dict[str, Identity]
    findings: dict[str, list[Finding]]
    db: str  # the store's location: a SQLite file or a PostgreSQL URL
    scan_id: int


def case_stages() -> Stages:
    return Stages(Identifier.default(), [Restrictions(), Vulnerabilities(), Exposure(), Capabilities()])


def scan_cases(tmp: Path, backend: str = "sqlite") -> Iterator[Scanned]:
    with FleetProcess(CASE_NETWORK, names=CASES, hostile=False) as fleet, fresh_location(backend, tmp, "cases") as db:
        devices = fleet.manifest["devices"]
        target = f"{devices[0]['address']}-{devices[-1]['address']}"
        store = open_store(db)
        try:
            scope = Scope.build([target])
            stages = case_stages()
            book = CredentialBook((Credential("emulated fleet test account", DEMO_LOGIN[0], DEMO_LOGIN[1],
                                              scope.include),))
            options = ScanOptions()
            summary = run_scan(store, scope, [target], options, stages, progress=False, credentials=book)
            identities = {i.address: i for i in store.identities(summary.scan_id)}
            findings: dict[str, list[Finding]] = {}
            for f in store.findings(summary.scan_id):
                findings.setdefault(f.device, []).append(f)
        finally:
            store.close()
        by_personality = {d["personality"]: identities[d["address"]] for d in devices if d["address"] in identities}
        yield Scanned(by_personality, {p: findings.get(i.device, []) for p, i in by_personality.items()}, db,
                      summary.scan_id)


def ids(findings: list[Finding], kind: str) -> set[str]:
    return {f.id for f in findings if f.kind == kind}
