"""Issue 13's done-when on the emulated fleet: each device's report lists its affected and possibly-affected
advisories, each with its evidence and the record it came from, and the scores and KEV dates the record gives; a
device whose model an advisory names but whose firmware is past the published range is said to be not affected,
with the reason. The fleet is scanned with the emulated devices' own test account, as `camaudit demo` does."""

from __future__ import annotations

from typing import Any

import pytest

from camaudit.audit import Stages, run_scan
from camaudit.collect.credentials import Credential, CredentialBook
from camaudit.collect.scanner import ScanOptions
from camaudit.demo import DEMO_LOGIN
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
    scope = Scope.build([target])
    book = CredentialBook((Credential("emulated fleet test account", DEMO_LOGIN[0], DEMO_LOGIN[1], scope.include),))
    summary = run_scan(store, scope, [target], ScanOptions(), Stages.default(), progress=False, credentials=book)
    return build_report(store, summary.scan_id)


@pytest.fixture(scope="module")
def by_personality(fleet: FleetProcess, report: Any) -> dict[str, Any]:
    rows = {d.identity.address: d for d in report.devices}
    return {dev["personality"]: rows[dev["address"]] for dev in fleet.manifest["devices"] if dev["address"] in rows}


def vulnerability(device: Any, cve: str) -> Any:
    found = [f for f in device.findings if f.kind == "vulnerability" and f.id == cve]
    assert len(found) == 1, (device.identity.address, cve, [f.id for f in device.findings])
    return found[0]


def test_each_device_lists_its_advisories_with_evidence_and_record(report: Any) -> None:
    known = {a.id: a for a in load_vulnerabilities(full=True)}
    judged = set()
    for device in report.devices:
        for f in device.findings:
            if f.kind != "vulnerability":
                continue
            judged.add(device.identity.address)
            where = f"{device.identity.address} {f.id}"
            assert f.status in ("affected", "possibly-affected", "not-affected"), where
            assert f.evidence and all(device.identity.address in e for e in f.evidence), where
            assert f.id in known, where
            assert f.facts.get("record", "").endswith(f"/{f.id}.json"), where  # the record that gave it
            if "cvss_score" in f.facts:
                assert float(f.facts["cvss_score"]) > 0 and f.facts.get("cvss_source"), where
            if known[f.id].kev is not None:
                assert f.facts.get("kev_date"), where
    # the fleet's identified Hikvision and Dahua devices draw advisories (11 on the fleet of December 2026)
    assert len(judged) >= 10


def test_a_recorder_inside_a_published_range_is_affected_with_its_evidence(by_personality: dict[str, Any]) -> None:
    # hikvision-ids-dvr serves a deviceInfo of an iDS-7204HUHI-M1/E on V4.75.011 build 240625; CVE-2025-66177
    # names the iDS-72xxHUHI-M1/E series with firmware built before 2025-08-07
    dvr = by_personality["hikvision-ids-dvr"]
    f = vulnerability(dvr, "CVE-2025-66177")
    assert (f.status, f.certainty) == ("affected", "certain")
    assert "iDS-72xxHUHI-M1/E" in f.detail and "V4.75.011 build 240625" in f.detail and "2025-08-07" in f.detail
    assert f.facts["record"].endswith("/CVE-2025-66177.json") and "Fix:" in f.detail
    assert any("isapi" in e.lower() and dvr.identity.address in e for e in f.evidence), f.evidence
    assert dvr.worst_affected is not None and dvr.worst_affected.status == "affected"


def test_firmware_past_the_published_range_is_not_affected_with_the_reason(by_personality: dict[str, Any]) -> None:
    # hikvision-smart-ipc: a DS-2CD2542FWD-I (DS-2CD2xx2FWD series) on V5.5.5 build 180111, past the last
    # affected version CVE-2017-7921 and CVE-2017-7923 give for the series (V5.4.4 build 161125)
    camera = by_personality["hikvision-smart-ipc"]
    for cve in ("CVE-2017-7921", "CVE-2017-7923"):
        f = vulnerability(camera, cve)
        assert (f.status, f.certainty) == ("not-affected", "certain"), cve
        assert "DS-2CD2xx2FWD" in f.detail, cve
        # (the CVE-2017-7923 record writes "Build", as published)
        assert "v5.5.5 build 180111 is above the last affected version v5.4.4 build 161125" in f.detail.lower(), cve
        assert "does not count this device as affected" in f.detail and "Fix:" not in f.detail, cve
        assert f.facts["record"].endswith(f"/{cve}.json") and f.evidence, cve
    # a not-affected advisory is no risk: not the worst of anything, not a KEV listing of the device
    for worst in (camera.worst_affected, camera.worst_possible):
        assert worst is None or worst.status != "not-affected"
    assert not any(f.id in ("CVE-2017-7921", "CVE-2017-7923") for f in camera.kev + camera.kev_possible)
    assert camera.vulnerability_summary()["not_affected"] == 2


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
