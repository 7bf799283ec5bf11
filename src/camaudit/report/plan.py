"""The removal plan: every covered device in a prioritised schedule, with the reasons for its place.

A device is in the plan when at least one restriction finding says ``covered``. Its score is the sum of the
weights below, each of which becomes a reason a reader can check:

==========================================  ======
covered, maker identified (certain)             40
covered, label only (probable)                  25
site sensitivity high / medium / normal, low 30 / 15 / 0
vulnerability in CISA KEV: affected 25, possibly affected (firmware not confirmed) 15
other vulnerability affected (certain)          10
telnet open                                     15
public (globally routable) address              20
vendor cloud/P2P enabled                        10
vendor SDK port / UPnP answering                 5
ethnicity classification                        30
face recognition                                20
face capture / detection, demographic           10
==========================================  ======

Ties are broken by site, then address. Sites come from a site map (``sites.yaml``) that maps CIDRs and
addresses to a site name and sensitivity; prices from a user table (YAML or CSV: device_type -> unit cost).
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from camaudit.assess.vulnerabilities import RISK_STATUSES
from camaudit.model import Finding, Identity
from camaudit.report.data import kev_date
from camaudit.report.formats import cell as safe_cell
from camaudit.report.sites import Site, SiteMap, SiteMapError

SENSITIVITY_POINTS = {"high": 30, "medium": 15, "normal": 0, "low": 0}
CAPABILITY_POINTS = {"ethnicity-classification": 30, "face-recognition": 20, "face-capture": 10,
                     "face-detection": 10, "demographic-attributes": 10}
EXPOSURE_POINTS = {"telnet": 15, "public-address": 20, "upnp": 5}
UNASSIGNED = "(no site)"


#: A site map or price table that cannot be used as written (site maps are read by camaudit.report.sites).
PlanError = SiteMapError


@dataclass(frozen=True)
class Prices:
    unit_costs: Mapping[str, float]
    currency: str

    def cost(self, device_type: str | None) -> float | None:
        return self.unit_costs.get(device_type or "")


@dataclass(frozen=True)
class Reason:
    points: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"points": self.points, "text": self.text}


@dataclass(frozen=True)
class PlanItem:
    rank: int
    device: str
    address: str | None
    manufacturer: str | None
    brand: str | None
    model: str | None
    device_type: str | None
    site: str
    sensitivity: str | None
    score: int
    certainty: str
    regimes: tuple[str, ...]
    reasons: tuple[Reason, ...]
    unit_cost: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "device": self.device, "address": self.address,
                "manufacturer": self.manufacturer, "brand": self.brand, "model": self.model,
                "device_type": self.device_type, "site": self.site, "sensitivity": self.sensitivity,
                "score": self.score, "certainty": self.certainty, "regimes": list(self.regimes),
                "reasons": [r.to_dict() for r in self.reasons], "unit_cost": self.unit_cost}


@dataclass(frozen=True)
class SiteGroup:
    name: str
    sensitivity: str | None
    items: tuple[PlanItem, ...]
    cost: float | None

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Plan:
    items: tuple[PlanItem, ...]
    currency: str | None = None
    unpriced: tuple[str, ...] = ()  # device types with no price in the table
    notes: tuple[str, ...] = field(default=())

    @property
    def total_cost(self) -> float | None:
        if self.currency is None:
            return None
        return sum(i.unit_cost or 0.0 for i in self.items)

    def by_site(self) -> list[SiteGroup]:
        groups: dict[str, list[PlanItem]] = {}
        for item in self.items:
            groups.setdefault(item.site, []).append(item)
        out = []
        for name, items in groups.items():
            cost = sum(i.unit_cost or 0.0 for i in items) if self.currency else None
            out.append(SiteGroup(name, items[0].sensitivity, tuple(items), cost))
        return out

    def counts(self) -> dict[str, Any]:
        by_type: dict[str, int] = {}
        by_maker: dict[str, int] = {}
        for i in self.items:
            by_type[i.device_type or "unknown"] = by_type.get(i.device_type or "unknown", 0) + 1
            by_maker[i.manufacturer or "unknown"] = by_maker.get(i.manufacturer or "unknown", 0) + 1
        return {"devices": len(self.items), "sites": len(self.by_site()), "by_device_type": by_type,
                "by_manufacturer": by_maker}

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "currency": self.currency,
            "total_cost": self.total_cost,
            "unpriced_device_types": list(self.unpriced),
            "notes": list(self.notes),
            "sites": [{"site": g.name, "sensitivity": g.sensitivity, "count": g.count, "cost": g.cost,
                       "devices": [i.device for i in g.items]} for g in self.by_site()],
            "schedule": [i.to_dict() for i in self.items],
        }


# ------------------------------------------------------------------------------------------------ inputs --


def load_prices(path: Path) -> Prices:
    """YAML ``{currency: GBP, prices: {IP Camera: 250}}`` or CSV ``device_type,unit_cost,currency``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"{path}: cannot read the price table ({exc.strerror})") from exc
    costs: dict[str, float] = {}
    currencies: set[str] = set()
    try:
        if path.suffix.lower() == ".csv":
            for row in csv.DictReader(io.StringIO(text)):
                costs[row["device_type"].strip()] = float(row["unit_cost"])
                if row.get("currency"):
                    currencies.add(row["currency"].strip())
        else:
            doc = yaml.safe_load(text) or {}
            for key, value in (doc.get("prices") or {}).items():
                costs[str(key)] = float(value)
            if doc.get("currency"):
                currencies.add(str(doc["currency"]))
    except (KeyError, ValueError, TypeError, AttributeError, yaml.YAMLError) as exc:
        raise PlanError(f"{path}: expected device_type -> unit cost ({exc})") from exc
    if len(currencies) > 1:
        raise PlanError(f"{path}: one currency per table, found {', '.join(sorted(currencies))}")
    return Prices(costs, currencies.pop() if currencies else "")


# ------------------------------------------------------------------------------------------------ scoring --


def _is_kev(finding: Finding) -> bool:
    return kev_date(finding) is not None


def _cited(found: Sequence[Finding]) -> str:
    """'CVE-A (KEV since D; CVSS S; record URL), CVE-B (...)': which record gave each point, one per id."""
    by_id = {f.id: f for f in found}
    parts = []
    for ident in sorted(by_id):
        facts = by_id[ident].facts
        cite = [f"KEV since {facts['kev_date']}" if facts.get("kev_date") else "",
                f"CVSS {facts['cvss_score']}" if facts.get("cvss_score") else "",
                f"EPSS {facts['epss']}" if facts.get("epss") else "",
                f"record {facts['record']}" if facts.get("record") else ""]
        text = "; ".join(c for c in cite if c)
        parts.append(f"{ident} ({text})" if text else ident)
    return ", ".join(parts)


def _why_probable(identity: Identity) -> str:
    """What the probable answer rests on, as identification said it (a label, a register entry, one kind of
    answer), not a guess at which of them it was."""
    if identity.probable_because:
        return identity.probable_because.split(";")[0]
    if identity.brand and identity.brand != identity.manufacturer:
        return f"the label {identity.brand} is tied to {identity.manufacturer} by public sources"
    return "not confirmed by the device's own self-description"


def _reasons(identity: Identity, findings: Sequence[Finding], site: Site | None) -> tuple[list[Reason], str,
                                                                                        tuple[str, ...]]:
    reasons: list[Reason] = []
    covered = [f for f in findings if f.kind == "restriction" and f.status == "covered"]
    certain = any(f.certainty == "certain" for f in covered)
    regimes = tuple(f.id for f in covered)
    what = identity.manufacturer or "a covered maker"
    if certain:
        reasons.append(Reason(40, f"made by {what}, identified from the device itself; covered by "
                                  f"{len(regimes)} regime(s): {', '.join(regimes)}"))
    else:
        reasons.append(Reason(25, f"probably made by {what} ({_why_probable(identity)}); covered by "
                                  f"{len(regimes)} regime(s): {', '.join(regimes)}"))
    if site is not None:
        reasons.append(Reason(SENSITIVITY_POINTS[site.sensitivity], f"site {site.name}: {site.sensitivity} "
                                                                    "sensitivity"))
    vulns = [f for f in findings if f.kind == "vulnerability" and f.status in RISK_STATUSES]
    kev = _cited([f for f in vulns if _is_kev(f) and f.status == "affected"])
    kev_possible = _cited([f for f in vulns if _is_kev(f) and f.status == "possibly-affected"])
    if kev:
        reasons.append(Reason(25, f"vulnerability in CISA's Known Exploited Vulnerabilities catalogue: {kev}"))
    elif kev_possible:
        reasons.append(Reason(15, "possibly affected by a vulnerability in CISA's Known Exploited Vulnerabilities "
                                  f"catalogue (model matches, firmware not confirmed): {kev_possible}"))
    else:
        affected = _cited([f for f in vulns if f.status == "affected"])
        if affected:
            reasons.append(Reason(10, f"affected by {affected}"))
    for f in findings:
        if f.kind != "exposure":
            continue
        if f.id in EXPOSURE_POINTS:
            reasons.append(Reason(EXPOSURE_POINTS[f.id], f.title))
        elif f.id.startswith("cloud-"):
            reasons.append(Reason(10, f.title))
        elif f.id.startswith("vendor-sdk-port"):
            reasons.append(Reason(5, f.title))
    caps = {f.id: f for f in findings if f.kind == "capability" and f.id in CAPABILITY_POINTS}
    for cap_id in sorted(caps, key=lambda c: -CAPABILITY_POINTS[c]):
        f = caps[cap_id]
        how = "the device says so" if f.certainty == "certain" else "reported for its model"
        reasons.append(Reason(CAPABILITY_POINTS[cap_id], f"capability {cap_id} ({how})"))
    return reasons, "certain" if certain else "probable", regimes


def build_plan(identities: Iterable[Identity], findings: Iterable[Finding], site_map: SiteMap | None = None,
               prices: Prices | None = None) -> Plan:
    by_device: dict[str, list[Finding]] = {}
    for f in findings:
        by_device.setdefault(f.device, []).append(f)
    sites = site_map or SiteMap()
    rows: list[tuple[int, str, str, Identity, list[Reason], str, tuple[str, ...], Site | None]] = []
    for identity in identities:
        mine = by_device.get(identity.device, [])
        if not any(f.kind == "restriction" and f.status == "covered" for f in mine):
            continue
        site = sites.site(identity.address)
        reasons, certainty, regimes = _reasons(identity, mine, site)
        score = sum(r.points for r in reasons)
        rows.append((score, site.name if site else UNASSIGNED, identity.address or identity.device, identity,
                     reasons, certainty, regimes, site))
    rows.sort(key=lambda r: (-r[0], r[1], _address_key(r[2])))
    items = []
    unpriced: set[str] = set()
    for rank, (score, site_name, _addr, identity, reasons, certainty, regimes, site) in enumerate(rows, 1):
        cost = prices.cost(identity.device_type) if prices else None
        if prices and cost is None:
            unpriced.add(identity.device_type or "unknown")
        items.append(PlanItem(rank, identity.device, identity.address, identity.manufacturer, identity.brand,
                              identity.model, identity.device_type, site_name, site.sensitivity if site else None,
                              score, certainty, regimes, tuple(reasons), cost))
    notes: tuple[str, ...] = ()
    if unpriced:
        notes = (f"no price for: {', '.join(sorted(unpriced))}; those devices are not in the cost estimate",)
    return Plan(tuple(items), prices.currency or "" if prices else None, tuple(sorted(unpriced)), notes)


def _address_key(text: str) -> tuple[int, int, str]:
    try:
        ip = ipaddress.ip_address(text)
        return (ip.version, int(ip), "")
    except ValueError:
        return (9, 0, text)


# ------------------------------------------------------------------------------------------------ exports --

CSV_COLUMNS = ("rank", "site", "sensitivity", "address", "manufacturer", "brand", "model", "device_type",
               "certainty", "score", "regimes", "reasons", "unit_cost", "currency")


def _row(item: PlanItem, currency: str | None) -> list[Any]:
    return [safe_cell(v) for v in _raw_row(item, currency)]


def _raw_row(item: PlanItem, currency: str | None) -> list[Any]:
    return [item.rank, item.site, item.sensitivity or "", item.address or "", item.manufacturer or "",
            item.brand or "", item.model or "", item.device_type or "", item.certainty, item.score,
            "; ".join(item.regimes), "; ".join(f"+{r.points} {r.text}" for r in item.reasons),
            "" if item.unit_cost is None else item.unit_cost, currency or ""]


def render_plan_csv(plan: Plan) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in plan.items:
        writer.writerow(_row(item, plan.currency))
    return out.getvalue()


def render_plan_json(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_plan_xlsx(plan: Plan) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs, as in report/xlsx.py
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Schedule"
    sheet.append(list(CSV_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for item in plan.items:
        sheet.append(_row(item, plan.currency))
    sites = book.create_sheet("Sites")
    sites.append(["site", "sensitivity", "devices", "cost", "currency"])
    for group in plan.by_site():
        sites.append([group.name, group.sensitivity or "", group.count,
                      "" if group.cost is None else group.cost, plan.currency or ""])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def render_plan_fragment(plan: Plan) -> str:
    """The plan as an HTML fragment (templates/plan.html), to include in the report."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("camaudit", "report/templates"), autoescape=select_autoescape(["html"]))
    return env.get_template("plan.html").render(plan=plan)


def render_plan_html(plan: Plan) -> str:
    """A standalone page around the fragment."""
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>camaudit removal plan</title>"
            "</head><body>\n" + render_plan_fragment(plan) + "\n</body></html>\n")
