"""``camaudit demo``: start the emulated fleet, scan it, report, compare with the ground truth, stop."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from camaudit.collect.credentials import Credential, CredentialBook
from camaudit.collect.scanner import ScanOptions
from camaudit.model import Identity
from camaudit.pipeline.service import run_scan
from camaudit.pipeline.stages import Stages
from camaudit.report.data import build_report
from camaudit.report.formats import render_csv, render_json
from camaudit.report.html import render_html
from camaudit.scope import Scope
from camaudit.simulate.process import FleetProcess
from camaudit.store import open_store

DEMO_LOGIN = ("admin", "emulated-device-password")  # test data: the account in the emulated personalities


@dataclass
class Comparison:
    address: str
    truth: str | None
    found: str | None
    label: str | None
    personality: str
    verdict: str
    model: str | None = None
    expected: str | None = None  # the maker its answers can honestly name (None: "cannot tell" is right)
    cannot_tell_because: str | None = None  # why its answers cannot name its maker, when they cannot
    affected: list[str] = field(default_factory=list)  # vulnerabilities confirmed (model and firmware matched)
    possible: list[str] = field(default_factory=list)  # model family matched, firmware not confirmed
    not_affected: list[str] = field(default_factory=list)  # model matched, firmware outside the published bounds

    @property
    def correct(self) -> bool:
        """Named as its answers allow: the true maker, or "cannot tell" where the answers name none."""
        return (self.expected or None) == (self.found or None)

    @property
    def cannot_tell(self) -> bool:
        """Left unnamed, rightly, although its maker is known (its answers do not say)."""
        return self.correct and self.found is None and self.truth is not None


def compare(manifest: dict[str, Any], identities: list[Identity], covered: dict[str, str]) -> list[Comparison]:
    by_address = {i.address: i for i in identities}
    rows = []
    for dev in manifest["devices"]:
        ident = by_address.get(dev["address"])
        rows.append(Comparison(
            address=dev["address"], truth=dev["manufacturer"], found=ident.manufacturer if ident else None,
            expected=dev.get("expected_manufacturer", dev["manufacturer"]),
            cannot_tell_because=dev.get("cannot_tell_because"),
            label=ident.brand if ident else None, personality=dev["personality"],
            model=ident.model if ident else None,
            verdict=covered.get(dev["address"], "")
            or ("not covered" if ident and ident.manufacturer else "cannot tell"),
        ))
    return rows


def run_demo(out_dir: Path, network: str, count: int | None, progress: bool) -> tuple[list[Comparison], Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    db = out_dir / "camaudit.db"
    if db.exists():
        db.unlink()
    with FleetProcess(network, count=count, manifest=out_dir / "manifest.json") as fleet:
        n = len(fleet.manifest["devices"])
        first = ipaddress.ip_address(fleet.manifest["devices"][0]["address"])
        target = f"{first}-{ipaddress.ip_address(int(first) + n - 1)}"
        store = open_store(str(db))
        scope = Scope.build([target])
        stages = Stages.default()
        # the emulated devices' own test account, as an owner would supply theirs (--credentials)
        book = CredentialBook((Credential("emulated fleet test account", DEMO_LOGIN[0], DEMO_LOGIN[1],
                                          scope.include),))
        options = ScanOptions()
        try:
            summary = run_scan(store, scope, [target], options, stages, progress=progress, credentials=book)
            report = build_report(store, summary.scan_id)
        finally:
            store.close()
        manifest = fleet.manifest
    (out_dir / "report.html").write_text(render_html(report), encoding="utf-8")
    (out_dir / "report.json").write_text(render_json(report), encoding="utf-8")
    (out_dir / "report.csv").write_text(render_csv(report), encoding="utf-8")
    covered = {d.identity.address or "": f"covered ({d.covered})" for d in report.devices if d.covered}
    rows = compare(manifest, [d.identity for d in report.devices], covered)
    by_address = {d.identity.address: d for d in report.devices}
    for row in rows:
        found = by_address.get(row.address)
        if found is not None:
            row.affected = [f.id for f in found.vulnerabilities("affected")]
            row.possible = [f.id for f in found.vulnerabilities("possibly-affected")]
            row.not_affected = [f.id for f in found.vulnerabilities("not-affected")]
    (out_dir / "comparison.json").write_text(json.dumps([r.__dict__ for r in rows], indent=2) + "\n",
                                             encoding="utf-8")
    return rows, out_dir / "report.html"
