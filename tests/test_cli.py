"""The command line as a user meets it: help that teaches, clear errors, identify on evidence records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from camaudit.cli import build_parser, main

COMMANDS = ["scan", "identify", "report", "scans", "simulate", "demo", "kb", "import", "listen", "diff", "plan"]


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    for command in COMMANDS:
        with pytest.raises(SystemExit) as done:
            parser.parse_args([command, "--help"])
        assert done.value.code == 0
        assert capsys.readouterr().out.strip()


def test_readme_documents_every_command() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f"camaudit {command}" in readme, command


def test_public_target_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["scan", "8.8.8.8", "--db", str(tmp_path / "x.db")]) == 2
    assert "--allow-public" in capsys.readouterr().err


def test_identify_reads_records_and_reports_bad_lines(tmp_path: Path) -> None:
    records = [
        {"id": "r1", "device": "cam1", "protocol": "rtsp",
         "response": "RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"IP Camera(C2875)\", "
                     "nonce=\"938032d91ffc30ca80b5da94c18887ac\", stale=\"FALSE\"\r\n\r\n"},
        {"id": "r2", "device": "cam1", "protocol": "http_header", "response": "HTTP/1.1 200 OK\r\n\r\n"},
        {"id": "r3", "protocol": "http_header", "response": "HTTP/1.1 200 OK\r\nServer: nginx/1.13.9\r\n\r\n"},
    ]
    path = tmp_path / "evidence.jsonl"
    lines = [json.dumps(r) for r in records]
    lines.insert(1, "{not json")
    lines.insert(2, json.dumps({"protocol": "carrier-pigeon", "response": "coo"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "camaudit", "identify", str(path), "--verdicts"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert f"{path}:2:" in proc.stderr and f"{path}:3:" in proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    by_device = {o["device"]: o for o in out}
    cam = by_device["cam1"]
    assert cam["manufacturer"] == "Hikvision" and set(cam["ids"]) == {"r1", "r2"}
    assert cam["evidence"][0]["rule"] == "realm.hikvision.ip-camera"
    assert any(f["id"] == "us-ndaa-889" and f["status"] == "covered" for f in cam["findings"])
    web = by_device["r3"]
    assert web["manufacturer"] is None and web["unidentified_reason"]


def test_identify_from_stdin() -> None:
    record = {"protocol": "dhip", "response": '{"mac":"58:10:8c:4d:3b:fa","method":"client.notifyDevInfo",'
              '"params":{"deviceInfo":{"DeviceType":"MHDX 1016","Vendor":"Intelbras","Version":"3.210.IB01.3"}}}'}
    proc = subprocess.run([sys.executable, "-m", "camaudit", "identify"], input=json.dumps(record) + "\n",
                          capture_output=True, text=True, check=True)
    identity = json.loads(proc.stdout)
    assert (identity["manufacturer"], identity["brand"], identity["model"]) == ("Dahua", "Intelbras", "MHDX 1016")
    assert identity["manufacturer_basis"] == "fingerprint"


def test_kb_validate() -> None:
    assert main(["kb", "validate"]) == 0


def _identify(tmp_path: Path, records: list[dict[str, str]]) -> list[dict[str, Any]]:
    """``camaudit identify`` run as a user would, on these evidence records; its identities."""
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    proc = subprocess.run([sys.executable, "-m", "camaudit", "identify", str(path)], capture_output=True, text=True,
                          check=True)
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_identify_merges_one_device_seen_at_two_addresses_by_mac(tmp_path: Path) -> None:
    from camaudit.simulate.recordings import load_recordings

    recs = load_recordings()
    records = [
        {"id": "a", "device": "192.0.2.40", "protocol": "sadp",
         "response": recs["hik-ds2cd2385g1-i-sadp-probematch"].response},
        {"id": "b", "device": "198.51.100.7", "protocol": "ws_discovery",
         "response": recs["hik-ds2cd2385g1-i-ws-discovery-probematch"].response},
        {"id": "c", "device": "elsewhere", "protocol": "http_header",
         "response": "HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n"},
    ]
    out = _identify(tmp_path, records)
    assert len(out) == 2
    cam = next(o for o in out if "a" in o["ids"])
    assert set(cam["ids"]) == {"a", "b"} and cam["mac"] == "58:50:ed:1f:e3:85"
    assert cam["model"] == "DS-2CD2385G1-I" and cam["manufacturer"] == "Hikvision"


def test_conflicting_sources_are_kept(tmp_path: Path) -> None:
    records = [
        {"id": "x", "device": "d", "protocol": "onvif_device_info",
         "response": "<GetDeviceInformationResponse><Model>IPC-HDW1025C</Model></GetDeviceInformationResponse>"},
        {"id": "y", "device": "d", "protocol": "dhip",
         "response": '{"method":"client.notifyDevInfo","params":{"deviceInfo":{"DeviceType":"IPC-HDW5421S"}}}'},
    ]
    [identity] = _identify(tmp_path, records)
    conflict = next(c for c in identity["conflicts"] if c["field"] == "model")
    assert {conflict["chosen"], conflict["other"]} == {"IPC-HDW1025C", "IPC-HDW5421S"}
    assert set(conflict["records"]) == {"x", "y"}
