"""Issue 13's done-when on the emulated fleet: each device's report lists its affected and possibly-affected
advisories, each with its evidence and the record it came from, and the scores and KEV dates the record gives."""

from __future__ import annotations

from typing import Any

import pytest

from camaudit.audit import Stages, run_scan
from camaudit.collect.scanner import ScanOptions
from camaudit.knowledge.vulnerabilities import load_vulnerabilities
from camaudit.report.data import build_report
from camaudit.scope import Scope
from camaudit.simulate.process import FleetProcess
from tests.conftest import fleet_range


@pytest.fixture(scope="module")
def report(fleet: FleetProcess, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from camaudit.store import open_store

    store = open_store(str(tmp_path_factory.mktemp("vulns") / "fleet.db"))
    target = fleet_range(fleet)
    summary = run_scan(store, Scope.build([target]), [target], ScanOptions(), Stages.default(), progress=False)
    return build_report(store, summary.scan_id)


def test_each_device_lists_its_advisories_with_evidence_and_record(report: Any) -> None:
    known = {a.id: a for a in load_vulnerabilities(full=True)}
    judged = set()
    for device in report.devices:
        for f in device.findings:
            if f.kind != "vulnerability":
                continue
            judged.add(device.identity.address)
            where = f"{device.identity.address} {f.id}"
            assert f.status in ("affected", "possibly-affected"), where
            assert f.evidence and all(device.identity.address in e for e in f.evidence), where
            assert f.id in known, where
            assert f.facts.get("record", "").endswith(f"/{f.id}.json"), where  # the record that gave it
            if "cvss_score" in f.facts:
                assert float(f.facts["cvss_score"]) > 0 and f.facts.get("cvss_source"), where
            if known[f.id].kev is not None:
                assert f.facts.get("kev_date"), where
    # the fleet's identified Hikvision and Dahua devices draw advisories (7 on the fleet of December 2026)
    assert len(judged) >= 7


def test_each_device_names_its_worst_confirmed_and_worst_possible(report: Any) -> None:
    for device in report.devices:
        vulns = [f for f in device.findings if f.kind == "vulnerability"]
        possible = [f for f in vulns if f.status == "possibly-affected"]
        affected = [f for f in vulns if f.status == "affected"]
        assert (device.worst_possible is None) == (not possible), device.identity.address
        assert (device.worst_affected is None) == (not affected), device.identity.address
        # a KEV listing ranks first: a device with a KEV-listed possible advisory names one as its worst
        if any(f.facts.get("kev_date") for f in possible):
            assert device.worst_possible is not None and device.worst_possible.facts.get("kev_date")
