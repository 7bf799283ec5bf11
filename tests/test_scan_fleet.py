"""Scanning the emulated fleet on loopback: every device right against the manifest, committed per host."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from camaudit.audit import Stages, run_scan
from camaudit.collect.scanner import ScanOptions
from camaudit.report.data import build_report
from camaudit.scope import Scope
from camaudit.simulate.process import FleetProcess
from camaudit.store import Store
from tests.conftest import fleet_range

COVERED = {"Hikvision", "Dahua"}


@pytest.fixture(scope="module")
def scanned(fleet: FleetProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from camaudit.store import open_store

    db = tmp_path_factory.mktemp("scan") / "fleet.db"
    store = open_store(str(db))
    target = fleet_range(fleet)
    summary = run_scan(store, Scope.build([target]), [target], ScanOptions(), Stages.default(), progress=False)
    report = build_report(store, summary.scan_id)
    result = {"store": store, "summary": summary, "report": report,
              "by_address": {d.identity.address: d for d in report.devices}}
    return result


def _devices(fleet: FleetProcess) -> list[dict[str, Any]]:
    return list(fleet.manifest["devices"])


def test_every_device_gets_the_manifest_maker(fleet: FleetProcess, scanned: dict[str, Any]) -> None:
    """Each device is named as its answers allow: its maker, or "cannot tell" (with the reason) where the
    manifest says its answers name no maker (the Aiphone unit's only answer is a server banner Sony sends too)."""
    wrong = []
    for dev in _devices(fleet):
        row = scanned["by_address"].get(dev["address"])
        found = row.identity.manufacturer if row else None
        if found != dev["expected_manufacturer"]:
            wrong.append((dev["personality"], dev["expected_manufacturer"], found))
        if dev["cannot_tell_because"]:
            assert row is not None and row.identity.unknown.get("manufacturer"), dev["personality"]
    assert not wrong
    unnamed = [d for d in _devices(fleet) if d["manufacturer"] and d["expected_manufacturer"] is None]
    assert len(unnamed) <= 1, "the fleet is there to be identified: few devices may rightly be 'cannot tell'"


def test_oem_labels_resolve_to_their_maker(fleet: FleetProcess, scanned: dict[str, Any]) -> None:
    oem = [d for d in _devices(fleet) if d["brand"] and d["manufacturer"] and d["brand"] != d["manufacturer"]]
    assert len(oem) >= 4
    for dev in oem:
        identity = scanned["by_address"][dev["address"]].identity
        assert identity.manufacturer == dev["manufacturer"], dev["personality"]
        if identity.brand is not None:  # a label is only reported when the device showed it
            assert identity.brand == dev["brand"], dev["personality"]


def test_labels_seen_on_the_wire(scanned: dict[str, Any], fleet: FleetProcess) -> None:
    by_name = {d["personality"]: d["address"] for d in _devices(fleet)}
    assert scanned["by_address"][by_name["amcrest-ipc"]].identity.brand == "Amcrest"
    assert scanned["by_address"][by_name["intelbras-dvr"]].identity.brand == "Intelbras"


def test_no_other_maker_or_non_camera_is_covered(fleet: FleetProcess, scanned: dict[str, Any]) -> None:
    for dev in _devices(fleet):
        row = scanned["by_address"].get(dev["address"])
        if dev["manufacturer"] in COVERED or row is None:
            continue
        assert not row.covered, f"{dev['personality']} marked covered"
        for finding in row.findings:
            assert finding.status != "covered"


def test_covered_devices_have_earned_verdicts_with_evidence(fleet: FleetProcess, scanned: dict[str, Any]) -> None:
    certain = 0
    for dev in _devices(fleet):
        if dev["manufacturer"] not in COVERED:
            continue
        row = scanned["by_address"][dev["address"]]
        ndaa = row.restriction("us-ndaa-889")
        assert ndaa is not None and ndaa.status == "covered"
        # certain only when earned (its own self-description, or two independent kinds); else probable, saying why
        if row.identity.certain_because:
            assert ndaa.certainty == "certain", dev["address"]
            certain += 1
        else:
            assert ndaa.certainty == "probable" and row.identity.probable_because, dev["address"]
            if not row.identity.conflicts and row.identity.confidence >= 0.8:
                assert row.identity.probable_because in ndaa.detail
        assert ndaa.evidence, "a verdict must say what it rests on"
        assert any(s.url.startswith("https://") for s in ndaa.sources)
        assert row.identity.evidence and all(e.source for e in row.identity.evidence)
    assert certain >= 10, "most covered units in the fleet describe themselves (ISAPI, magicBox, ONVIF, SADP)"


def test_unknown_maker_has_a_reason(scanned: dict[str, Any]) -> None:
    for row in scanned["report"].devices:
        if row.identity.manufacturer is None:
            assert row.identity.unknown.get("manufacturer")
            assert all(f.status == "undetermined" for f in row.findings if f.kind == "restriction")


def test_every_host_committed_with_its_observations(fleet: FleetProcess, scanned: dict[str, Any]) -> None:
    store: Store = scanned["store"]
    scan_id = scanned["summary"].scan_id
    hosts = {h["address"]: h for h in store.hosts(scan_id)}
    for dev in _devices(fleet):
        assert dev["address"] in hosts
    assert store.scan(scan_id)["status"] == "complete"
    observations = list(store.observations(scan_id))
    assert observations and all(o.address in hosts for o in observations)


def test_scan_cli_json_and_resume(fleet: FleetProcess, tmp_path: Path) -> None:
    from camaudit.cli import main

    db = tmp_path / "cli.db"
    out = tmp_path / "out.json"
    target = fleet_range(fleet)
    assert main(["scan", target, "--db", str(db), "--json", str(out), "-q"]) == 0
    doc = json.loads(out.read_text())
    assert doc["schema_version"] == 1
    assert len(doc["devices"]) == len(_devices(fleet))
    # resuming a complete scan probes nothing more and keeps what is there
    assert main(["scan", "--resume", "1", "--db", str(db), "-q"]) == 0
    from camaudit.store import open_store

    s = open_store(str(db))
    try:
        assert len(s.hosts(1)) == len(_devices(fleet))
    finally:
        s.close()


DISCOVERED = {
    # personality: what its discovery answers name (model, serial, firmware, mac), from the manifest's recordings
    "hikvision-sadp-camera": ("DS-2CD2385G1-I", "DS-2CD2385G1-I20200414AAWRE33842150", "V5.6.2build 190701",
                              "58:50:ed:1f:e3:85"),
    "hikvision-dvr": ("DS-7804HQH-K1", "DS-7804HQH-K10420190822CCCHD53257168WCVU", "V3.5.38build 191215",
                      "68:6d:bc:ee:f8:f0"),
    "dahua-ipc": ("IPC-HDW5421S", "1F006E4PAX00075", "2.400.0.8", "4c:11:bf:c2:0b:9d"),
    "intelbras-dvr": ("MHDX 1016", "O9RF220012635", "3.210.IB01.3", "58:10:8c:4d:3b:fa"),
}


def test_discovery_reports_model_serial_firmware_mac(fleet: FleetProcess, scanned: dict[str, Any]) -> None:
    by_name = {d["personality"]: d["address"] for d in _devices(fleet)}
    for name, (model, serial, firmware, mac) in DISCOVERED.items():
        identity = scanned["by_address"][by_name[name]].identity
        found = (identity.model, identity.serial, identity.firmware, identity.mac)
        assert found == (model, serial, firmware, mac), name


def test_discovery_answers_other_protocols(fleet: FleetProcess, scanned: dict[str, Any]) -> None:
    by_name = {d["personality"]: d["address"] for d in _devices(fleet)}
    rules = {name: {e.rule for e in scanned["by_address"][by_name[name]].identity.evidence}
             for name in ("hikvision-mdns-camera", "axis-camera", "amcrest-ipc")}
    assert "mdns.hikvision.cgi-instance" in rules["hikvision-mdns-camera"]
    # description fetched and read by the UPnP parser; the scope list by the ONVIF scopes parser
    assert {"ssdp.axis.service-type", "parser.upnp-description:device/modelNumber"} <= rules["axis-camera"]
    assert "parser.onvif-scopes:scope hardware" in rules["amcrest-ipc"]
    assert scanned["by_address"][by_name["axis-camera"]].identity.model == "M1014"


def test_interrupted_scan_resumes_where_it_stopped(fleet: FleetProcess, tmp_path: Path) -> None:
    """A scan cut off after some hosts keeps them; --resume probes only the rest and completes the scan."""
    import asyncio

    from camaudit.cli import main
    from camaudit.pipeline.plan import ScanPlan
    from camaudit.pipeline.service import AuditService
    from camaudit.store import open_store

    db = tmp_path / "resume.db"
    target = fleet_range(fleet)
    store = open_store(str(db))
    stop_after = 5

    async def interrupted() -> None:
        service = AuditService(store)
        scan_id = service.begin(ScanPlan((target,), concurrency=1))
        task = asyncio.create_task(service.scan(scan_id, progress=False))
        while len(store.scanned_addresses(1)) < stop_after:
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(interrupted())
    done_before = store.scanned_addresses(1)
    assert store.scan(1)["status"] == "interrupted" and stop_after <= len(done_before) < len(_devices(fleet))
    store.close()
    assert main(["scan", "--resume", "1", "--db", str(db), "-q"]) == 0
    store = open_store(str(db))
    try:
        assert store.scan(1)["status"] == "complete"
        assert store.scanned_addresses(1) == {d["address"] for d in _devices(fleet)}
    finally:
        store.close()


def test_resume_keeps_the_exclusions_of_the_original_scan(fleet: FleetProcess, tmp_path: Path) -> None:
    from camaudit.cli import main
    from camaudit.store import open_store

    devices = _devices(fleet)
    excluded, dropped = devices[1]["address"], devices[2]["address"]
    db = tmp_path / "ex.db"
    assert main(["scan", fleet_range(fleet), "--exclude", excluded, "--db", str(db), "-q"]) == 0
    store = open_store(str(db))
    assert store.scan(1)["options"]["exclude"] == [excluded]
    store.forget_hosts(1, [dropped])  # as if the scan had been cut off before this host
    store.mark_scan(1, "interrupted")
    store.close()
    assert main(["scan", "--resume", "1", "--db", str(db), "-q"]) == 0  # no --exclude given this time
    store = open_store(str(db))
    try:
        scanned = store.scanned_addresses(1)
        assert dropped in scanned and excluded not in scanned
    finally:
        store.close()


def test_bad_arguments_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from camaudit.cli import main

    for bad in (["--rate", "0"], ["--concurrency", "0"], ["--discover-on", "no-such-if0"]):
        assert main(["scan", "127.0.0.1", "--db", str(tmp_path / "b.db"), *bad]) == 2
        assert capsys.readouterr().err.startswith("camaudit scan:")
