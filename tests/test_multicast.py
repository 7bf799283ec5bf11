"""Multicast discovery and passive listening, in network namespaces the test creates (veth pair)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.netns import devices, lab


def test_multicast_discovery_finds_devices_without_unicast_probes(tmp_path: Path) -> None:
    names = ["intelbras-dvr", "dahua-ipc"]
    with lab(len(names)) as the_lab, devices(the_lab, names, tmp_path) as manifest:
        out = tmp_path / "scan.json"
        proc = the_lab.run("scan", the_lab.device_network, "--no-discovery", "--discover-on", the_lab.scanner_if,
                           "--db", str(tmp_path / "m.db"), "--json", str(out), "-p", "80")
        assert proc.returncode == 0, proc.stderr
        assert "multicast discovery on" in proc.stderr
        found = {d["address"]: d for d in json.loads(out.read_text())["devices"]}
        for dev in manifest["devices"]:
            got = found[dev["address"]]
            assert (got["manufacturer"], got["model"]) == (dev["manufacturer"], dev["model"]), got
            assert any(e["rule"] == "dhip.notify-dev-info" for e in got["evidence"])


def test_out_of_scope_answers_are_ignored(tmp_path: Path) -> None:
    names = ["intelbras-dvr", "dahua-ipc"]
    with lab(len(names)) as the_lab, devices(the_lab, names, tmp_path) as manifest:
        first = manifest["devices"][0]["address"]
        proc = the_lab.run("scan", first, "--no-discovery", "--discover-on", the_lab.scanner_if,
                           "--db", str(tmp_path / "o.db"), "--json", str(tmp_path / "o.json"), "-p", "80")
        assert proc.returncode == 0, proc.stderr
        assert "1 answer(s) from outside the scope" in proc.stderr
        addresses = {d["address"] for d in json.loads((tmp_path / "o.json").read_text())["devices"]}
        assert addresses <= {first}


def test_listen_records_announcements_without_sending(tmp_path: Path) -> None:
    names = ["dahua-hello-camera"]
    with lab(len(names)) as the_lab, devices(the_lab, names, tmp_path) as manifest:
        db = tmp_path / "l.db"
        proc = the_lab.run("listen", "--interface", the_lab.scanner_if, "--duration", "3", "--db", str(db))
        assert proc.returncode == 0, proc.stderr
        assert "from 1 device(s)" in proc.stdout
        report = the_lab.run("report", "--db", str(db), "--format", "json")
        devices_found = json.loads(report.stdout)["devices"]
        assert [d["address"] for d in devices_found] == [manifest["devices"][0]["address"]]
        found = devices_found[0]
        assert (found["manufacturer"], found["model"]) == ("Dahua", "IPC-HFW2228M-I1-V2")
        assert any(e["rule"] == "wsd.dahua.scope-set" for e in found["evidence"])
