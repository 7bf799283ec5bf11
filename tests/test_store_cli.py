"""Every store command end to end with ``--db`` a PostgreSQL URL (and the SQLite file): scan the emulated fleet
twice, import a file, report, diff, plan, list the scans, and read the store back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from camaudit.cli import main
from camaudit.simulate.process import FleetProcess
from camaudit.store import open_store
from tests.conftest import fleet_range

SHODAN = Path(__file__).parent / "fixtures" / "imports" / "shodan" / "banners.jsonl"


def test_scan_import_report_diff_plan_on_the_store(fleet: FleetProcess, store_location: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db, target = store_location, fleet_range(fleet)
    devices = fleet.manifest["devices"]
    assert main(["scan", target, "--db", db, "--json", str(tmp_path / "scan.json"), "-q"]) == 0
    assert len(json.loads((tmp_path / "scan.json").read_text(encoding="utf-8"))["devices"]) == len(devices)
    assert main(["scan", "--resume", "1", "--db", db, "-q"]) == 0  # complete: nothing more to probe
    assert main(["scan", target, "--db", db, "-q"]) == 0
    assert main(["import", "-q", "--db", db, str(SHODAN)]) == 0
    assert main(["import", "-q", "--db", db, str(SHODAN)]) == 0  # the same file again adds nothing
    capsys.readouterr()
    assert main(["diff", "1", "2", "--db", db, "--format", "json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["counts"]["added"] == 0 and diff["counts"]["removed"] == 0
    assert diff["counts"]["unchanged"] + diff["counts"]["changed"] == len(devices)
    out = tmp_path / "report.json"
    assert main(["report", "--db", db, "--scan", "2", "--format", "json", "-o", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert {d["address"] for d in report["devices"]} == {d["address"] for d in devices}
    assert [p["scan"] for p in report["history"]][:2] == [1, 2]
    assert main(["report", "--db", db, "--scan", "2", "--format", "html", "-o", str(tmp_path / "r.html")]) == 0
    assert main(["plan", "--db", db, "--scan", "2", "-o", str(tmp_path / "plan.json")]) == 0
    assert json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))["schedule"]
    assert main(["scans", "--db", db]) == 0
    store = open_store(db)
    try:
        scans = store.scans()
        assert [(s["id"], s["kind"], s["status"]) for s in scans] == [
            (1, "scan", "complete"), (2, "scan", "complete"), (3, "import", "complete")]
        assert store.scanned_addresses(2) == {d["address"] for d in devices}
        assert store.identities(3) and store.counts(3)["observations"] > 0
        # what the store gives back is what the scan reported, and the second scan concluded the same
        scanned = json.loads((tmp_path / "scan.json").read_text(encoding="utf-8"))["devices"]
        makers = {d["address"]: d["manufacturer"] for d in scanned}
        assert {i.address: i.manufacturer for i in store.identities(1)} == makers
        assert {i.address: i.manufacturer for i in store.identities(2)} == makers
        assert {d["address"]: d["manufacturer"] for d in report["devices"]} == makers
        assert sum(1 for m in makers.values() if m) >= len(devices) // 2
    finally:
        store.close()
