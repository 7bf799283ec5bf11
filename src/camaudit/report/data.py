"""The report's content, built once from the store and rendered by each format."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from camaudit import __version__
from camaudit.knowledge.regimes import Regime, load_regimes
from camaudit.model import Finding, Identity
from camaudit.store import Store

SCHEMA = "https://camaudit.dev/schema/report/1"
SCHEMA_VERSION = 1


@dataclass
class DeviceRow:
    identity: Identity
    findings: list[Finding]
    open_ports: list[int]
    errors: list[str]

    def restriction(self, regime_id: str) -> Finding | None:
        return next((f for f in self.findings if f.kind == "restriction" and f.id == regime_id), None)

    @property
    def covered(self) -> str:
        """'certain', 'probable' or '' (the strongest restriction verdict on this device)."""
        certainties = {f.certainty for f in self.findings if f.kind == "restriction" and f.status == "covered"}
        return "certain" if "certain" in certainties else ("probable" if certainties else "")


@dataclass
class ReportData:
    scan: dict[str, Any]
    devices: list[DeviceRow]
    hosts_scanned: int
    regimes: list[Regime]

    def summary(self) -> dict[str, Any]:
        ids = [d.identity for d in self.devices]
        makers = Counter(i.manufacturer or "unknown" for i in ids)
        labels = Counter((i.brand or i.manufacturer or "unknown") for i in ids)
        covered = Counter(d.covered for d in self.devices if d.covered)
        per_regime = {}
        for regime in self.regimes:
            counts: Counter[str] = Counter()
            for d in self.devices:
                f = d.restriction(regime.id)
                if f is not None:
                    counts[f.status if f.status != "covered" else f"covered-{f.certainty}"] += 1
            per_regime[regime.id] = dict(counts)
        relabelled = sum(1 for i in ids if i.brand and i.manufacturer and i.brand != i.manufacturer)
        return {
            "hosts_scanned": self.hosts_scanned,
            "devices": len(ids),
            "identified": sum(1 for i in ids if i.manufacturer),
            "unidentified": sum(1 for i in ids if not i.manufacturer),
            "covered_certain": covered.get("certain", 0),
            "covered_probable": covered.get("probable", 0),
            "relabelled": relabelled,
            "by_manufacturer": dict(makers.most_common()),
            "by_label": dict(labels.most_common()),
            "by_regime": per_regime,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "$schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "generator": f"camaudit {__version__}",
            "scan": self.scan,
            "summary": self.summary(),
            "regimes": [
                {"id": r.id, "name": r.name, "jurisdiction": r.jurisdiction, "scope": r.scope, "caveat": r.caveat,
                 "covers": list(r.covers), "sources": [s.to_dict() for s in r.sources], "checked": r.checked}
                for r in self.regimes
            ],
            "devices": [
                {**d.identity.to_dict(), "open_ports": d.open_ports, "errors": d.errors,
                 "findings": [f.to_dict() for f in d.findings]}
                for d in self.devices
            ],
        }


def build_report(store: Store, scan_id: int) -> ReportData:
    scan = store.scan(scan_id)
    hosts = {h["address"]: h for h in store.hosts(scan_id)}
    findings: dict[str, list[Finding]] = {}
    for f in store.findings(scan_id):
        findings.setdefault(f.device, []).append(f)
    devices = []
    for identity in store.identities(scan_id):
        host = hosts.get(identity.address or "", {})
        devices.append(DeviceRow(identity, findings.get(identity.device, []),
                                 list(host.get("open_ports", identity.open_ports)), list(host.get("errors", []))))
    order = {"certain": 0, "probable": 1, "": 2}
    devices.sort(key=lambda d: (order[d.covered], _addr_key(d.identity.address or d.identity.device)))
    return ReportData(scan, devices, len(hosts), load_regimes())


def _addr_key(address: str) -> tuple[int, ...] | tuple[str]:
    try:
        return tuple(int(p) for p in address.split("."))
    except ValueError:
        return (address,)
