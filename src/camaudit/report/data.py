"""The report's content, built once from the store and rendered by each format."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from camaudit import __version__
from camaudit.assess.vulnerabilities import RISK_STATUSES
from camaudit.knowledge.regimes import Regime, load_regimes
from camaudit.model import Finding, Identity
from camaudit.report.diff import BurnPoint, burn_down
from camaudit.report.sites import SiteMap
from camaudit.store import Store

SCHEMA = "https://camaudit.dev/schema/report/1"
SCHEMA_VERSION = 1
def kev_date(finding: Finding) -> str | None:
    """The date CISA added this vulnerability to its KEV catalogue, as the vulnerability assessment recorded it."""
    if finding.kind != "vulnerability" or finding.status not in RISK_STATUSES:
        return None
    return finding.facts.get("kev_date")


def vulnerability_rank(finding: Finding) -> tuple[int, float, float]:
    """Worse first when sorted descending: KEV-listed, then CVSS base score, then EPSS."""
    def number(key: str) -> float:
        try:
            return float(finding.facts.get(key, "") or -1.0)
        except ValueError:
            return -1.0
    return (1 if finding.facts.get("kev_date") else 0, number("cvss_score"), number("epss"))


def vulnerability_brief(finding: Finding | None) -> dict[str, Any] | None:
    """The facts of one vulnerability finding a reader needs to see which record gave it."""
    if finding is None:
        return None
    keys = ("cvss_score", "cvss_vector", "kev_date", "epss", "epss_percentile", "record")
    return {"id": finding.id, "status": finding.status, "certainty": finding.certainty,
            "severity": finding.severity, **{k: finding.facts[k] for k in keys if finding.facts.get(k)}}


@dataclass
class DeviceRow:
    identity: Identity
    findings: list[Finding]
    open_ports: list[int]
    errors: list[str]

    @property
    def kev(self) -> list[Finding]:
        """Vulnerabilities in CISA's Known Exploited Vulnerabilities catalogue that this device is affected by
        (model and firmware matched)."""
        return [f for f in self.findings if kev_date(f) and f.status == "affected"]

    @property
    def kev_possible(self) -> list[Finding]:
        """KEV-listed vulnerabilities this device may have: its model matches, its firmware is not confirmed."""
        return [f for f in self.findings if kev_date(f) and f.status == "possibly-affected"]

    def vulnerabilities(self, status: str) -> list[Finding]:
        """This device's vulnerability findings of one status, worst first (KEV, CVSS, EPSS)."""
        found = [f for f in self.findings if f.kind == "vulnerability" and f.status == status]
        return sorted(found, key=vulnerability_rank, reverse=True)

    @property
    def worst_affected(self) -> Finding | None:
        """The worst vulnerability confirmed on this device (model and firmware matched)."""
        return next(iter(self.vulnerabilities("affected")), None)

    @property
    def worst_possible(self) -> Finding | None:
        """The worst vulnerability this device may have (model family matched, firmware not confirmed)."""
        return next(iter(self.vulnerabilities("possibly-affected")), None)

    def vulnerability_summary(self) -> dict[str, Any]:
        return {"affected": len(self.vulnerabilities("affected")),
                "possibly_affected": len(self.vulnerabilities("possibly-affected")),
                "not_affected": len(self.vulnerabilities("not-affected")),
                "worst_affected": vulnerability_brief(self.worst_affected),
                "worst_possible": vulnerability_brief(self.worst_possible)}

    def restriction(self, regime_id: str) -> Finding | None:
        return next((f for f in self.findings if f.kind == "restriction" and f.id == regime_id), None)

    def verdict(self, regime_id: str) -> str:
        """The verdict under one regime as a table cell: "covered (certain)", "not-covered", ... or ""."""
        f = self.restriction(regime_id)
        return "" if f is None else (f"covered ({f.certainty})" if f.status == "covered" else f.status)

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
    site_map: SiteMap = field(default_factory=SiteMap)
    history: list[BurnPoint] = field(default_factory=list)

    def site_of(self, device: DeviceRow) -> str:
        return self.site_map.site_for(device.identity.address)

    def sites(self) -> list[dict[str, Any]]:
        """Per site: devices and their restriction status (sites in map order, then 'unmapped')."""
        rows: dict[str, dict[str, Any]] = {}
        for name in self.site_map.names():
            rows[name] = {"name": name, "sensitivity": self.site_map.sensitivity(name), "devices": 0,
                          "covered_certain": 0, "covered_probable": 0, "not_covered": 0, "undetermined": 0,
                          "kev_affected": 0}
        for d in self.devices:
            name = self.site_of(d)
            row = rows.setdefault(name, {"name": name, "sensitivity": "normal", "devices": 0,
                                         "covered_certain": 0, "covered_probable": 0, "not_covered": 0,
                                         "undetermined": 0, "kev_affected": 0})
            row["devices"] += 1
            if d.covered:
                row[f"covered_{d.covered}"] += 1
            elif d.identity.manufacturer:
                row["not_covered"] += 1
            else:
                row["undetermined"] += 1
            row["kev_affected"] += bool(d.kev)
        return list(rows.values())

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
            "kev_affected": sum(1 for d in self.devices if d.kev),
            "kev_possible": sum(1 for d in self.devices if d.kev_possible and not d.kev),
            "by_capability": dict(Counter(c for i in ids for c in dict.fromkeys(i.capabilities)).most_common()),
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
            "organisation": self.site_map.organisation,
            "summary": self.summary(),
            "sites": self.sites(),
            "history": [p.to_dict() for p in self.history],
            "regimes": [
                {"id": r.id, "name": r.name, "jurisdiction": r.jurisdiction, "scope": r.scope, "caveat": r.caveat,
                 "covers": list(r.covers), "sources": [s.to_dict() for s in r.sources], "checked": r.checked}
                for r in self.regimes
            ],
            "devices": [
                {**d.identity.to_dict(), "open_ports": d.open_ports, "errors": d.errors, "site": self.site_of(d),
                 "findings": [f.to_dict() for f in d.findings], "vulnerabilities": d.vulnerability_summary()}
                for d in self.devices
            ],
        }


def build_report(store: Store, scan_id: int, site_map: SiteMap | None = None,
                 scans: Collection[int] | None = None) -> ReportData:
    """``scans``: the scans the burn-down may draw on (all in the store by default; the server passes one
    organisation's)."""
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
    sites = site_map or SiteMap()
    return ReportData(scan, devices, len(hosts), load_regimes(), sites,
                      burn_down(store, sites, upto=scan_id, scans=scans))


def _addr_key(address: str) -> tuple[int, ...] | tuple[str]:
    try:
        return tuple(int(p) for p in address.split("."))
    except ValueError:
        return (address,)
