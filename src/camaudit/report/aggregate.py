"""Prevalence across many organisations: ``camaudit report --aggregate STORE_OR_JSON...``.

Each input is one organisation: a camaudit store (a SQLite file or a PostgreSQL URL; its latest scan is
used, read-only) or a JSON report (``camaudit report --format json``). The figures always carry their sample
sizes: how many organisations and devices they are computed over.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

SQLITE_MAGIC = b"SQLite format 3\x00"


class AggregateError(ValueError):
    """An input that is neither a camaudit store nor a camaudit JSON report."""


@dataclass(frozen=True)
class DeviceFacts:
    manufacturer: str | None
    covered: str  # "certain", "probable" or ""
    capabilities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inventory:
    organisation: str
    source: str
    devices: tuple[DeviceFacts, ...]

    @property
    def covered(self) -> bool:
        return any(d.covered for d in self.devices)


def _covered(findings: Iterable[Mapping[str, Any]]) -> str:
    certainties = {f.get("certainty") for f in findings
                   if f.get("kind") == "restriction" and f.get("status") == "covered"}
    return "certain" if "certain" in certainties else ("probable" if certainties else "")


def _facts(raw: Mapping[str, Any], findings: Iterable[Mapping[str, Any]]) -> DeviceFacts:
    caps = raw.get("capabilities") or ()
    return DeviceFacts(raw.get("manufacturer") or None, _covered(findings),
                       tuple(dict.fromkeys(str(c) for c in caps)))


def load_store(location: str) -> Inventory:
    """The latest scan of a camaudit store (a SQLite file or a PostgreSQL URL), opened read-only (no
    migration, nothing written)."""
    from camaudit.store import StoreError, open_store

    name = Path(location).stem if "://" not in location else str(make_url(location).database or location)
    try:
        store = open_store(location, readonly=True)
    except StoreError as exc:
        raise AggregateError(f"{location}: cannot open ({exc})") from exc
    try:
        try:
            scan_id = store.latest_scan()
        except StoreError as exc:
            raise AggregateError(f"{store.where}: the store holds no scans") from exc
        found: dict[str, list[dict[str, Any]]] = {}
        for finding in store.findings(scan_id):
            found.setdefault(finding.device, []).append(finding.to_dict())
        devices = [_facts(identity.to_dict(), found.get(identity.device, []))
                   for identity in store.identities(scan_id)]
    except SQLAlchemyError as exc:
        raise AggregateError(f"{store.where}: not a camaudit store ({exc})") from exc
    finally:
        store.close()
    return Inventory(name, store.where, tuple(devices))


def load_json_report(path: Path) -> Inventory:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AggregateError(f"{path}: not a JSON report ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("devices"), list):
        raise AggregateError(f"{path}: not a camaudit JSON report (no 'devices' list)")
    devices = []
    for n, raw in enumerate(doc["devices"], 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("findings", []), list):
            raise AggregateError(f"{path}: device {n} is not an object with a 'findings' list")
        devices.append(_facts(raw, [f for f in raw.get("findings", []) if isinstance(f, dict)]))
    name = doc.get("organisation")
    return Inventory(name if isinstance(name, str) and name else path.stem, str(path), tuple(devices))


def load_inventory(location: str) -> Inventory:
    if location.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return load_store(location)
    path = Path(location)
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise AggregateError(f"cannot read {location}: {exc.strerror}") from exc
    return load_store(str(path)) if head == SQLITE_MAGIC else load_json_report(path)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a proportion k/n (0..1)."""
    if n == 0:
        return 0.0, 0.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Aggregate:
    inventories: list[Inventory]
    by_maker: dict[str, dict[str, int]] = field(default_factory=dict)
    by_capability: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, inventories: Sequence[Inventory]) -> Aggregate:
        agg = cls(list(inventories))
        for attr, values in (("by_maker", lambda d: [d.manufacturer or "unknown"]),
                             ("by_capability", lambda d: list(d.capabilities))):
            devices: Counter[str] = Counter()
            orgs: Counter[str] = Counter()
            for inv in inventories:
                seen: set[str] = set()
                for d in inv.devices:
                    for v in values(d):
                        devices[v] += 1
                        seen.add(v)
                orgs.update(seen)
            setattr(agg, attr, {k: {"devices": n, "organisations": orgs[k]} for k, n in devices.most_common()})
        return agg

    @property
    def organisations(self) -> int:
        return len(self.inventories)

    @property
    def devices(self) -> int:
        return sum(len(i.devices) for i in self.inventories)

    def covered_devices(self, certainty: str | None = None) -> int:
        return sum(1 for i in self.inventories for d in i.devices
                   if d.covered and (certainty is None or d.covered == certainty))

    def organisations_with(self, certainty: str | None = None) -> int:
        return sum(1 for i in self.inventories
                   if any(d.covered and (certainty is None or d.covered == certainty) for d in i.devices))

    def to_dict(self) -> dict[str, Any]:
        n_org, n_dev = self.organisations, self.devices
        with_any, with_certain = self.organisations_with(), self.organisations_with("certain")
        low, high = wilson(with_any, n_org)
        return {
            "sample": {"organisations": n_org, "devices": n_dev},
            "organisations_with_covered": {"count": with_any, "share": with_any / n_org if n_org else 0.0,
                                           "ci95": [round(low, 4), round(high, 4)]},
            "organisations_with_covered_certain": {"count": with_certain,
                                                   "share": with_certain / n_org if n_org else 0.0},
            "covered_devices": {"certain": self.covered_devices("certain"),
                                "probable": self.covered_devices("probable"),
                                "share": self.covered_devices() / n_dev if n_dev else 0.0},
            "by_maker": self.by_maker,
            "by_capability": self.by_capability,
            "organisations": [{"name": i.organisation, "source": i.source, "devices": len(i.devices),
                               "covered": sum(1 for d in i.devices if d.covered)} for i in self.inventories],
        }


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:.1f}%" if n else "n/a"


def _rows(agg: Aggregate) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    n_org, n_dev = agg.organisations, agg.devices
    return [(title, [(name, str(c["devices"]), _pct(c["devices"], n_dev), f"{c['organisations']} of {n_org}")
                     for name, c in table.items()])
            for title, table in (("maker", agg.by_maker), ("capability", agg.by_capability))]


def render_text(agg: Aggregate, markdown: bool = False) -> str:
    n_org, n_dev = agg.organisations, agg.devices
    any_org = agg.organisations_with()
    low, high = wilson(any_org, n_org)
    covered = agg.covered_devices()
    head = [
        f"Sample: {n_org} organisation(s), {n_dev} device(s).",
        f"Organisations with any covered equipment: {any_org} of {n_org} ({_pct(any_org, n_org)}; 95% interval "
        f"{100 * low:.1f}-{100 * high:.1f}%); with certain verdicts: {agg.organisations_with('certain')} of {n_org}.",
        f"Devices made by a covered maker: {covered} of {n_dev} ({_pct(covered, n_dev)}): "
        f"{agg.covered_devices('certain')} certain, {agg.covered_devices('probable')} probable (label only).",
    ]
    lines: list[str] = []
    if markdown:
        lines += ["# Prevalence across organisations", "", *(f"- {h}" for h in head)]
    else:
        lines += head
    for title, rows in _rows(agg):
        header = (f"by {title}", "devices", f"share of {n_dev}", "organisations")
        if not rows:
            lines += ["", f"No device reported a {title}." if title == "capability" else "No devices."]
            continue
        if markdown:
            lines += ["", f"## By {title}", "", "| " + " | ".join(header) + " |", "|---|---:|---:|---:|"]
            lines += ["| " + " | ".join((row[0].replace("|", "\\|"), *row[1:])) + " |" for row in rows]
        else:
            width = max(len(header[0]), *(len(r[0]) for r in rows))
            lines += ["", f"{header[0]:<{width}}  {header[1]:>8}  {header[2]:>12}  {header[3]}"]
            lines += [f"{r[0]:<{width}}  {r[1]:>8}  {r[2]:>12}  {r[3]}" for r in rows]
    return "\n".join(lines) + "\n"


def cmd_aggregate(args: argparse.Namespace) -> int:
    """The ``report --aggregate`` branch: text by default, or --format json|md."""
    fmt = args.format or "text"
    if fmt not in ("text", "json", "md"):
        print(f"camaudit report: --aggregate writes text, json or md, not {fmt}", file=sys.stderr)
        return 2
    try:
        agg = Aggregate.of([load_inventory(loc) for loc in args.aggregate])
    except AggregateError as exc:
        print(f"camaudit report: {exc}", file=sys.stderr)
        return 2
    if fmt == "json":
        text = json.dumps(agg.to_dict(), indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_text(agg, markdown=fmt == "md")
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"aggregate of {agg.organisations} organisation(s) written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
