"""History: what changed between two scans, and how many covered devices remain over time.

Devices are matched across scans by MAC address when both scans know it, else by serial number when both
know it, else by address (unless the two sides carry different MACs or serials: then the device at that
address was replaced, which shows as one removed and one added).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from camaudit.model import Finding, Identity
from camaudit.report.sites import UNMAPPED, SiteMap
from camaudit.store import Store, StoreError

VERDICT_ORDER = ("covered-certain", "covered-probable", "not-covered", "undetermined", "none")
COMPARED = ("address", "manufacturer", "brand", "model", "firmware", "verdict")


def verdict_of(findings: Iterable[Finding]) -> str:
    """The strongest restriction verdict over all regimes for one device ('none' without any finding)."""
    seen = {f"covered-{f.certainty}" if f.status == "covered" else f.status
            for f in findings if f.kind == "restriction"}
    return next((v for v in VERDICT_ORDER if v in seen), "none")


def is_covered(verdict: str) -> bool:
    return verdict.startswith("covered")


def _norm_mac(mac: str | None) -> str | None:
    if not mac:
        return None
    flat = "".join(ch for ch in mac.lower() if ch in "0123456789abcdef")
    return flat if len(flat) == 12 else mac.lower()


@dataclass(frozen=True)
class DeviceState:
    """One device as one scan saw it: the fields a diff compares."""

    device: str
    address: str | None
    mac: str | None
    serial: str | None
    manufacturer: str | None
    brand: str | None
    model: str | None
    firmware: str | None
    device_type: str | None
    verdict: str
    site: str

    @classmethod
    def of(cls, identity: Identity, findings: Iterable[Finding], site_map: SiteMap) -> DeviceState:
        return cls(identity.device, identity.address, identity.mac, identity.serial, identity.manufacturer,
                   identity.brand, identity.model, identity.firmware, identity.device_type, verdict_of(findings),
                   site_map.site_for(identity.address))

    def describe(self) -> str:
        maker = self.manufacturer or "unknown maker"
        if self.brand and self.brand != self.manufacturer:
            maker = f"{self.brand} (made by {maker})"
        bits = [maker, self.model or "", f"firmware {self.firmware}" if self.firmware else ""]
        return " ".join(b for b in bits if b)

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "address": self.address, "mac": self.mac, "serial": self.serial,
                "manufacturer": self.manufacturer, "brand": self.brand, "model": self.model,
                "firmware": self.firmware, "device_type": self.device_type, "verdict": self.verdict,
                "site": self.site}


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None
    after: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class ChangedDevice:
    before: DeviceState
    after: DeviceState
    matched_by: str
    changes: tuple[Change, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"matched_by": self.matched_by, "changes": [c.to_dict() for c in self.changes],
                "before": self.before.to_dict(), "after": self.after.to_dict()}


@dataclass
class ScanDiff:
    scan_a: dict[str, Any]
    scan_b: dict[str, Any]
    added: list[DeviceState] = field(default_factory=list)
    removed: list[DeviceState] = field(default_factory=list)
    changed: list[ChangedDevice] = field(default_factory=list)
    unchanged: int = 0

    def to_dict(self) -> dict[str, Any]:
        def scan(s: dict[str, Any]) -> dict[str, Any]:
            return {k: s.get(k) for k in ("id", "kind", "status", "started_at", "finished_at", "targets")}

        return {
            "from": scan(self.scan_a), "to": scan(self.scan_b),
            "counts": {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed),
                       "unchanged": self.unchanged},
            "added": [d.to_dict() for d in self.added],
            "removed": [d.to_dict() for d in self.removed],
            "changed": [c.to_dict() for c in self.changed],
        }

    def render_text(self) -> str:
        a, b = self.scan_a, self.scan_b
        lines = [f"scan {a['id']} ({a['kind']}, {a['started_at']}) -> scan {b['id']} ({b['kind']}, "
                 f"{b['started_at']}): {len(self.added)} added, {len(self.removed)} removed, "
                 f"{len(self.changed)} changed, {self.unchanged} unchanged"]
        for d in self.added:
            lines.append(f"+ {d.address or d.device:<15} {d.describe()} [{d.verdict}] site {d.site}")
        for d in self.removed:
            lines.append(f"- {d.address or d.device:<15} {d.describe()} [{d.verdict}] site {d.site}")
        for c in self.changed:
            what = "; ".join(f"{ch.field} {ch.before or '-'} -> {ch.after or '-'}" for ch in c.changes)
            lines.append(f"~ {c.after.address or c.after.device:<15} {what} (matched by {c.matched_by})")
        return "\n".join(lines) + "\n"


def _conflicts(a: DeviceState, b: DeviceState) -> bool:
    """Two devices that say who they are differently cannot be the same device."""
    if a.mac and b.mac and _norm_mac(a.mac) != _norm_mac(b.mac):
        return True
    return bool(a.serial and b.serial and a.serial != b.serial)


def compare_states(before: Sequence[DeviceState], after: Sequence[DeviceState]) -> tuple[
        list[DeviceState], list[DeviceState], list[ChangedDevice], int]:
    """(added, removed, changed, unchanged count) between two scans' devices."""
    pairs: list[tuple[DeviceState, DeviceState, str]] = []
    left = list(before)
    right = list(after)
    taken: set[int] = set()
    keys: list[tuple[str, Any]] = [
        ("mac", lambda d: _norm_mac(d.mac)),
        ("serial", lambda d: d.serial or None),
        ("address", lambda d: d.address or None),
    ]
    for name, key in keys:
        index: dict[str, DeviceState] = {}
        for d in right:
            k = key(d)
            if k is not None:
                index.setdefault(k, d)
        still: list[DeviceState] = []
        for d in left:
            k = key(d)
            match = index.get(k) if k is not None else None
            if match is None or (name == "address" and _conflicts(d, match)):
                still.append(d)
                continue
            pairs.append((d, match, name))
            del index[k]
            taken.add(id(match))
        left = still
        right = [d for d in right if id(d) not in taken]
    changed: list[ChangedDevice] = []
    unchanged = 0
    for a, b, how in pairs:
        diffs = tuple(Change(f, getattr(a, f), getattr(b, f)) for f in COMPARED if getattr(a, f) != getattr(b, f))
        if diffs:
            changed.append(ChangedDevice(a, b, how, diffs))
        else:
            unchanged += 1
    return right, left, changed, unchanged


def scan_states(store: Store, scan_id: int, site_map: SiteMap | None = None) -> list[DeviceState]:
    sites = site_map or SiteMap()
    findings: dict[str, list[Finding]] = {}
    for f in store.findings(scan_id):
        findings.setdefault(f.device, []).append(f)
    return [DeviceState.of(i, findings.get(i.device, []), sites) for i in store.identities(scan_id)]


def pick_scans(store: Store, scan_a: int | None, scan_b: int | None) -> tuple[int, int]:
    """Default: the two latest scans; with one id, that scan against the latest."""
    ids = [s["id"] for s in store.scans()]
    if scan_a is not None and scan_b is not None:
        return scan_a, scan_b
    if scan_a is not None:
        if not ids or ids[-1] == scan_a:
            raise StoreError(f"scan {scan_a} is the latest in {store.where}: give a second scan to compare with")
        return scan_a, ids[-1]
    if len(ids) < 2:
        raise StoreError(f"{store.where} holds {len(ids)} scan(s): a diff needs two")
    return ids[-2], ids[-1]


def diff_scans(store: Store, scan_a: int | None = None, scan_b: int | None = None,
               site_map: SiteMap | None = None) -> ScanDiff:
    a, b = pick_scans(store, scan_a, scan_b)
    meta_a, meta_b = store.scan(a), store.scan(b)
    added, removed, changed, unchanged = compare_states(scan_states(store, a, site_map),
                                                        scan_states(store, b, site_map))
    return ScanDiff(meta_a, meta_b, added, removed, changed, unchanged)


@dataclass(frozen=True)
class BurnPoint:
    """Covered devices (certain or probable) remaining, per site, as one scan saw them."""

    scan_id: int
    kind: str
    started_at: str
    covered: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.covered.values())

    def to_dict(self) -> dict[str, Any]:
        return {"scan": self.scan_id, "kind": self.kind, "started_at": self.started_at,
                "covered": dict(self.covered), "total": self.total}


def burn_down(store: Store, site_map: SiteMap | None = None, upto: int | None = None,
              scans: Collection[int] | None = None) -> list[BurnPoint]:
    """Per scan (oldest first, up to ``upto``), covered devices per site: the burn-down series."""
    sites = site_map or SiteMap()
    rows = store.covered_devices()
    per_scan: dict[int, Counter[str]] = {}
    for scan_id, _device, address in rows:
        per_scan.setdefault(int(scan_id), Counter())[sites.site_for(address)] += 1
    names = sites.names()
    if any(UNMAPPED in c for c in per_scan.values()):
        names = [*names, UNMAPPED]
    points = []
    for scan in store.scans():
        if upto is not None and scan["id"] > upto:
            break
        if scans is not None and scan["id"] not in scans:
            continue
        counts = per_scan.get(scan["id"], Counter())
        points.append(BurnPoint(scan["id"], scan["kind"], scan["started_at"], {n: counts.get(n, 0) for n in names}))
    return points
