"""History: two scans of the emulated fleet, devices removed, added and moved between them; the diff, the
burn-down per site, and the JSON report (with its history) checked against the published schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from camaudit.cli import main
from camaudit.report.data import build_report
from camaudit.report.diff import DeviceState, burn_down, compare_states, diff_scans
from camaudit.report.formats import render_json
from camaudit.report.sites import load_site_map
from camaudit.simulate.process import FleetProcess
from camaudit.store import open_store
from tests.fleet_scans import scan_into
from tests.stores import BACKENDS, fresh_location

SCHEMA = Path(__file__).parent.parent / "src/camaudit/report/schema/report-1.json"
TARGETS = ["127.96.0.1-4", "127.96.0.65-67"]
SITES = """\
organisation: Test Borough
sites:
  - name: North depot
    cidrs: [127.96.0.0/26]
    sensitivity: high
  - name: South yard
    cidrs: [127.96.0.64/26]
"""


@pytest.fixture(scope="module", params=BACKENDS)
def history(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, int, int]]:
    """Scan 1: Hikvision, Dahua, HiLook, Axis on .1-.4. Scan 2: Hikvision still on .1; the Dahua (same MAC)
    moved to .65; HiLook and Axis gone; a Hikvision NVR (.66) and a Reolink (.67) new."""
    folder = tmp_path_factory.mktemp("diff")
    site_file = folder / "sites.yaml"
    site_file.write_text(SITES, encoding="utf-8")
    with fresh_location(str(request.param), folder, "history") as db:
        store = open_store(db)
        try:
            with FleetProcess("127.96.0.0/26", names=["hikvision-ipc", "dahua-ipc", "hilook-ipc", "axis-camera"]):
                first = scan_into(store, TARGETS)
            with FleetProcess("127.96.0.0/26", names=["hikvision-ipc"]), \
                    FleetProcess("127.96.0.64/26", names=["dahua-ipc", "hikvision-nvr", "reolink-camera"]):
                second = scan_into(store, TARGETS)
        finally:
            store.close()
        yield db, site_file, first, second


def test_diff_of_two_fleet_scans(history: tuple[str, Path, int, int]) -> None:
    db, site_file, first, second = history
    store = open_store(str(db))
    try:
        diff = diff_scans(store, site_map=load_site_map(site_file))  # default: the two latest scans
    finally:
        store.close()
    assert (diff.scan_a["id"], diff.scan_b["id"]) == (first, second)
    assert sorted(d.address or "" for d in diff.added) == ["127.96.0.66", "127.96.0.67"]
    assert sorted(d.address or "" for d in diff.removed) == ["127.96.0.3", "127.96.0.4"]
    added = {d.address: d for d in diff.added}
    assert added["127.96.0.66"].manufacturer == "Hikvision" and added["127.96.0.66"].verdict == "covered-certain"
    assert added["127.96.0.67"].manufacturer == "Reolink" and added["127.96.0.67"].verdict == "not-covered"
    assert {d.manufacturer for d in diff.removed} == {"Hikvision", "Axis"}  # the HiLook unit is Hikvision-made
    # the Dahua camera moved: matched by its MAC, so one changed device, not one removed and one added
    assert len(diff.changed) == 1
    moved = diff.changed[0]
    assert moved.matched_by == "mac" and moved.after.manufacturer == "Dahua"
    assert [(c.field, c.before, c.after) for c in moved.changes] == [("address", "127.96.0.2", "127.96.0.65")]
    assert (moved.before.site, moved.after.site) == ("North depot", "South yard")
    assert diff.unchanged == 1  # the Hikvision camera on .1


def test_burn_down_per_site(history: tuple[str, Path, int, int]) -> None:
    db, site_file, first, second = history
    store = open_store(str(db))
    try:
        points = burn_down(store, load_site_map(site_file))
        plain = burn_down(store)
    finally:
        store.close()
    # scan 1: Hikvision, Dahua and HiLook in the north; scan 2: Hikvision north, Dahua and the NVR south
    assert [(p.scan_id, p.covered) for p in points] == [
        (first, {"North depot": 3, "South yard": 0}),
        (second, {"North depot": 1, "South yard": 2}),
    ]
    assert [(p.covered, p.total) for p in plain] == [({"all": 3}, 3), ({"all": 3}, 3)]


def test_diff_command_json_and_text(history: tuple[str, Path, int, int], capsys: pytest.CaptureFixture[str]) -> None:
    db, _site_file, first, second = history
    assert main(["diff", str(first), str(second), "--db", str(db), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["counts"] == {"added": 2, "removed": 2, "changed": 1, "unchanged": 1}
    assert doc["changed"][0]["changes"] == [{"field": "address", "before": "127.96.0.2", "after": "127.96.0.65"}]
    assert main(["diff", str(first), "--db", str(db)]) == 0  # one id: against the latest
    text = capsys.readouterr().out
    assert "2 added, 2 removed, 1 changed, 1 unchanged" in text
    assert "+ 127.96.0.66" in text and "- 127.96.0.4" in text and "address 127.96.0.2 -> 127.96.0.65" in text


def test_diff_needs_two_scans(store_location: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = open_store(store_location)
    store.finish_scan(store.begin_scan("scan", ["127.96.0.1"], {}, 1))
    store.close()
    assert main(["diff", "--db", store_location]) == 1
    assert "a diff needs two" in capsys.readouterr().err


def test_report_json_with_history_follows_the_schema(history: tuple[str, Path, int, int]) -> None:
    db, site_file, _first, second = history
    store = open_store(str(db))
    try:
        doc = json.loads(render_json(build_report(store, second, site_map=load_site_map(site_file))))
    finally:
        store.close()
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA.read_text(encoding="utf-8")))
    jsonschema.validate(doc, json.loads(SCHEMA.read_text(encoding="utf-8")),
                        cls=jsonschema.Draft202012Validator)
    assert doc["organisation"] == "Test Borough"
    assert [p["total"] for p in doc["history"]] == [3, 3]
    sites = {s["name"]: s for s in doc["sites"]}
    assert sites["North depot"]["sensitivity"] == "high" and sites["South yard"]["covered_certain"] == 2
    assert {d["address"]: d["site"] for d in doc["devices"]}["127.96.0.65"] == "South yard"


def _state(device: str, address: str, mac: str | None = None, serial: str | None = None,
           firmware: str | None = None) -> DeviceState:
    return DeviceState(device, address, mac, serial, "Hikvision", None, "DS-2CD2042WD-I", firmware, "IP Camera",
                       "covered-certain", "all")


def test_matching_prefers_mac_then_serial_and_never_pairs_different_macs() -> None:
    before = [
        _state("a", "10.0.0.1", mac="44:19:b6:00:00:01", firmware="V5.4.0"),
        _state("b", "10.0.0.2", serial="DS-1"),
        _state("c", "10.0.0.3", mac="44:19:b6:00:00:03"),
        _state("d", "10.0.0.4"),
    ]
    after = [
        _state("a2", "10.0.0.9", mac="44-19-B6-00-00-01", firmware="V5.5.0"),  # moved and upgraded
        _state("b2", "10.0.0.8", serial="DS-1"),  # moved, known by its serial
        _state("c2", "10.0.0.3", mac="44:19:b6:00:00:99"),  # a different unit at the same address
        _state("d2", "10.0.0.4", mac="44:19:b6:00:00:04"),  # same address, MAC now learned
    ]
    added, removed, changed, unchanged = compare_states(before, after)
    assert [d.device for d in added] == ["c2"] and [d.device for d in removed] == ["c"]
    by = {c.before.device: c for c in changed}
    assert by["a"].matched_by == "mac"
    assert [(c.field, c.after) for c in by["a"].changes] == [("address", "10.0.0.9"), ("firmware", "V5.5.0")]
    assert by["b"].matched_by == "serial"
    assert unchanged == 1  # d: matched by address, nothing compared differs
