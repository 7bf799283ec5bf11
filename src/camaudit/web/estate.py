"""One organisation's estate as the server shows it: its scans, devices (filtered), one device's evidence,
the removal plan with what auditors marked, diffs, and prevalence across organisations.

Everything here reads through :class:`camaudit.store.Store` and the report builders the command line uses,
so the dashboard, the API and ``camaudit report`` give the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from camaudit.model import Finding
from camaudit.report.aggregate import Aggregate, Inventory, _facts
from camaudit.report.data import DeviceRow, ReportData, build_report
from camaudit.report.diff import DeviceState, ScanDiff, compare_states, scan_states
from camaudit.report.plan import Plan, build_plan
from camaudit.report.sites import SiteMap, SiteMapError, parse_site_map
from camaudit.store import Store
from camaudit.web import security
from camaudit.web.db import ROLES, Principal, ServerDB

VERDICTS = ("covered-certain", "covered-probable", "not-covered", "undetermined")


class NotFound(LookupError):
    """Nothing of that name in the organisation (or it belongs to another one)."""


def site_map_of(db: ServerDB, org_id: int) -> SiteMap:
    row = db.organisation_row(org_id)
    text = (row or {}).get("site_map")
    name = (row or {}).get("name")
    if not text:
        return SiteMap(organisation=name)
    try:
        return parse_site_map(yaml.safe_load(text), "stored site map")
    except (SiteMapError, yaml.YAMLError):
        return SiteMap(organisation=name)


def default_organisation(db: ServerDB) -> int:
    orgs = db.organisations()
    return int(orgs[0]["id"]) if orgs else db.organisation("Default organisation")


def org_scan_ids(db: ServerDB, store: Store, org_id: int) -> list[int]:
    """The organisation's scans, oldest first. Scans written by the command line straight into the server's
    store (no owner recorded) belong to the first organisation."""
    owners = db.owned_scans()
    first = default_organisation(db)
    return [s["id"] for s in store.scans() if org_id in owners.get(s["id"], {first})]


def scans(db: ServerDB, store: Store, org_id: int) -> list[dict[str, Any]]:
    mine = set(org_scan_ids(db, store, org_id))
    return [s for s in store.scans() if s["id"] in mine]


def pick_scan(db: ServerDB, store: Store, org_id: int, scan: int | str | None) -> int:
    ids = org_scan_ids(db, store, org_id)
    if scan in (None, "", "latest"):
        complete = [s["id"] for s in store.scans() if s["id"] in set(ids) and s["status"] == "complete"]
        if not (complete or ids):
            raise NotFound("no scans yet: start one from the Scans page or push one from a collector")
        return (complete or ids)[-1]
    try:
        wanted = int(scan)
    except ValueError as exc:
        raise NotFound(f"no scan {scan!r}") from exc
    if wanted not in ids:
        raise NotFound(f"no scan {wanted} in this organisation")
    return wanted


def report(db: ServerDB, store: Store, org_id: int, scan_id: int) -> ReportData:
    return build_report(store, scan_id, site_map_of(db, org_id), scans=org_scan_ids(db, store, org_id))


def verdict(row: DeviceRow) -> str:
    if row.covered:
        return f"covered-{row.covered}"
    return "not-covered" if row.identity.manufacturer else "undetermined"


@dataclass(frozen=True)
class DeviceFilter:
    maker: str | None = None
    label: str | None = None
    verdict: str | None = None
    site: str | None = None
    kev: str | None = None  # "affected" or "possible"
    capability: str | None = None
    q: str | None = None

    def keep(self, row: DeviceRow, site: str) -> bool:
        i = row.identity
        if self.maker and (i.manufacturer or "unknown").lower() != self.maker.lower():
            return False
        if self.label and (i.brand or i.manufacturer or "unknown").lower() != self.label.lower():
            return False
        if self.verdict and verdict(row) != self.verdict:
            return False
        if self.site and site != self.site:
            return False
        if self.kev == "affected" and not row.kev:
            return False
        if self.kev == "possible" and not (row.kev or row.kev_possible):
            return False
        if self.capability and self.capability not in i.capabilities:
            return False
        if self.q:
            text = " ".join(str(v) for v in (i.address, i.manufacturer, i.brand, i.model, i.firmware, i.serial,
                                               i.mac, i.device_type) if v).lower()
            if self.q.lower() not in text:
                return False
        return True


def device_summary(rep: ReportData, row: DeviceRow) -> dict[str, Any]:
    i = row.identity
    return {"device": i.device, "address": i.address, "manufacturer": i.manufacturer, "brand": i.brand,
            "model": i.model, "firmware": i.firmware, "device_type": i.device_type, "mac": i.mac,
            "serial": i.serial, "confidence": i.confidence, "verdict": verdict(row), "site": rep.site_of(row),
            "kev": [f.id for f in row.kev], "kev_possible": [f.id for f in row.kev_possible],
            "capabilities": list(i.capabilities), "open_ports": row.open_ports}


def devices(rep: ReportData, flt: DeviceFilter) -> list[DeviceRow]:
    return [d for d in rep.devices if flt.keep(d, rep.site_of(d))]


def device(rep: ReportData, device_id: str) -> DeviceRow:
    for d in rep.devices:
        if d.identity.device == device_id or d.identity.address == device_id:
            return d
    raise NotFound(f"no device {device_id!r} in scan {rep.scan['id']}")


def facets(rep: ReportData) -> dict[str, list[str]]:
    """The values each filter can take in this scan, for the filter menus."""
    ids = [d.identity for d in rep.devices]
    return {
        "maker": sorted({i.manufacturer or "unknown" for i in ids}),
        "label": sorted({i.brand or i.manufacturer or "unknown" for i in ids}),
        "verdict": list(VERDICTS),
        "site": sorted({rep.site_of(d) for d in rep.devices}),
        "capability": sorted({c for i in ids for c in i.capabilities}),
    }


def device_key(state: DeviceState) -> str:
    """How a device is recognised across scans (as ``camaudit diff`` does): MAC, else serial, else address."""
    if state.mac:
        return "mac:" + "".join(ch for ch in state.mac.lower() if ch in "0123456789abcdef")
    if state.serial:
        return "serial:" + state.serial
    return "address:" + (state.address or state.device)


@dataclass(frozen=True)
class PlanView:
    plan: Plan
    marks: dict[str, dict[str, Any]]  # device id in this scan -> mark (with "confirmed")
    keys: dict[str, str]  # device id -> key across scans

    def to_dict(self) -> dict[str, Any]:
        out = self.plan.to_dict()
        for item in out.get("schedule", []):
            item["mark"] = self.marks.get(item["device"])
            item["key"] = self.keys.get(item["device"])
        return out


def plan(db: ServerDB, store: Store, org_id: int, scan_id: int) -> PlanView:
    """The removal plan of a scan, with each device's mark. A device marked replaced in an earlier scan that
    this scan no longer finds is confirmed gone; one this scan still finds is shown as still present."""
    rep = report(db, store, org_id, scan_id)
    states = {s.device: s for s in scan_states(store, scan_id, rep.site_map)}
    keys = {dev: device_key(s) for dev, s in states.items()}
    the_plan = build_plan([d.identity for d in rep.devices], [f for d in rep.devices for f in d.findings],
                          rep.site_map)
    stored = db.marks(org_id)
    marks: dict[str, dict[str, Any]] = {}
    for dev, key in keys.items():
        mark = stored.get(key)
        if mark:
            still_seen = scan_id > int(mark["scan_id"])
            marks[dev] = {**mark, "confirmed": False,
                          "note": (f"marked {mark['status']} after scan {mark['scan_id']}, but scan {scan_id} still "
                                   "finds it") if still_seen else f"marked {mark['status']}; the next scan confirms"}
    return PlanView(the_plan, marks, keys)


def confirmed_removals(db: ServerDB, store: Store, org_id: int, scan_id: int) -> list[dict[str, Any]]:
    """Marks that the given scan confirms: the device marked replaced is no longer found."""
    present = {device_key(s) for s in scan_states(store, scan_id)}
    return [{**m, "confirmed": True} for key, m in db.marks(org_id).items()
            if key not in present and int(m["scan_id"]) < scan_id]


def diff(db: ServerDB, store: Store, org_id: int, a: int | None, b: int | None) -> ScanDiff:
    ids = org_scan_ids(db, store, org_id)
    if a is None or b is None:
        if len(ids) < 2:
            raise NotFound(f"this organisation has {len(ids)} scan(s): a diff needs two")
        a, b = (ids[-2], ids[-1]) if a is None else (a, ids[-1])
    for s in (a, b):
        if s not in ids:
            raise NotFound(f"no scan {s} in this organisation")
    sites = site_map_of(db, org_id)
    added, removed, changed, unchanged = compare_states(scan_states(store, a, sites), scan_states(store, b, sites))
    return ScanDiff(store.scan(a), store.scan(b), added, removed, changed, unchanged)


def prevalence(db: ServerDB, store: Store) -> dict[str, Any]:
    """Prevalence figures across every organisation's latest complete scan: counts only, no device detail."""
    inventories = []
    for org in db.organisations():
        try:
            scan_id = pick_scan(db, store, int(org["id"]), None)
        except NotFound:
            continue
        findings: dict[str, list[Finding]] = {}
        for f in store.findings(scan_id):
            findings.setdefault(f.device, []).append(f)
        facts = tuple(_facts(i.to_dict(), [f.to_dict() for f in findings.get(i.device, [])])
                      for i in store.identities(scan_id))
        inventories.append(Inventory(str(org["name"]), f"scan {scan_id}", facts))
    return Aggregate.of(inventories).to_dict()


class Refused(ValueError):
    """An account or token request that the caller may not make."""


def grant(db: ServerDB, actor: Principal, kind: str, name: str, role: str) -> tuple[int, str]:
    """Create an account (``kind`` "account") or an API token ("token") in the caller's own organisation, or
    a reviewer (no organisation). Only an admin of the first organisation (the server's operator) creates
    reviewers, who see every organisation's prevalence figures. Returns the id and the one-time secret."""
    if role not in ROLES:
        raise Refused(f"role must be one of {', '.join(ROLES)}")
    if actor.organisation_id is None:
        raise Refused("this account belongs to no organisation")
    if role == "reviewer" and actor.organisation_id != default_organisation(db):
        raise Refused("only the server operator's organisation creates reviewers (they see every organisation's "
                      "figures)")
    org = None if role == "reviewer" else int(actor.organisation_id)
    if kind == "account":
        if not name or len(name) > 100 or db.user(name) is not None:
            raise Refused(f"give a new user name (an account {name!r} exists)" if name else "give a user name")
        secret = security.new_password()
        made = db.add_user(name, security.hash_password(secret), role, org)
        db.log(actor.name, actor.organisation_id, "account.created", username=name, role=role)
    else:
        if not name or len(name) > 200:
            raise Refused("give the token a name")
        secret = security.new_token()
        made = db.add_token(name, security.digest(secret), org, role, actor.name)
        db.log(actor.name, actor.organisation_id, "token.created", token=made, name=name, role=role)
    return made, secret


def set_account_disabled(db: ServerDB, actor: Principal, user_id: int, disabled: bool) -> None:
    """Disable (its sessions end) or enable an account of the caller's own organisation; never the caller's."""
    if actor.organisation_id is None or user_id == actor.user_id or \
            not db.set_disabled(user_id, int(actor.organisation_id), disabled):
        raise NotFound(f"no other account {user_id} in this organisation")
    db.log(actor.name, actor.organisation_id, "account.disabled" if disabled else "account.enabled", user=user_id)


def visible_findings(rows: Iterable[DeviceRow], kind: str | None) -> list[Finding]:
    return [f for d in rows for f in d.findings if kind is None or f.kind == kind]
