"""Loading CISA's KEV feed. The feed here is SYNTHETIC: a small file in the KEV JSON format written for
this test (field names as CISA publishes them; the Hikvision/Dahua rows carry the dates in
vulnerabilities.yaml, the other rows are made up). It is served from 127.0.0.1 only, and read as a file.
"""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from camaudit.assess.vulnerabilities import Vulnerabilities
from camaudit.knowledge.kev import (
    KevError,
    KevFetchError,
    add_kb_update_arguments,
    cmd_kb_update,
    load_kev,
    update_kev,
)
from camaudit.knowledge.vulnerabilities import load_vulnerabilities
from camaudit.model import Identity


def row(cve: str, vendor: str, added: str, due: str, product: str = "Multiple Products") -> dict[str, object]:
    return {
        "cveID": cve, "vendorProject": vendor, "product": product,
        "vulnerabilityName": f"{vendor} {product} vulnerability", "dateAdded": added,
        "shortDescription": "synthetic row for a test", "requiredAction": "Apply mitigations per vendor instructions.",
        "dueDate": due, "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": [],
    }


SYNTHETIC = {
    "title": "CISA Catalog of Known Exploited Vulnerabilities (synthetic test copy)",
    "catalogVersion": "2099.01.01",
    "dateReleased": "2099-01-01T12:00:00.000Z",
    "count": 5,
    "vulnerabilities": [
        row("CVE-2021-36260", "Hikvision", "2022-01-10", "2022-01-24", "Security cameras web server"),
        row("CVE-2021-33044", "Dahua", "2024-08-21", "2024-09-11", "IP Camera Firmware"),
        row("CVE-2021-33045", "DAHUA", "2024-08-21", "2024-09-11", "IP Camera Firmware"),
        row("CVE-2017-7921", "hikvision", "2026-03-05", "2026-03-26"),
        row("CVE-2099-0002", "Example Corp", "2099-01-01", "2099-01-22", "Example router"),
    ],
}


@pytest.fixture()
def feed_file(tmp_path: Path) -> Path:
    path = tmp_path / "known_exploited_vulnerabilities.json"
    path.write_text(json.dumps(SYNTHETIC), encoding="utf-8")
    return path


class _Handler(BaseHTTPRequestHandler):
    bodies: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.bodies.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture()
def server() -> Iterator[str]:
    _Handler.bodies = {
        "/kev.json": json.dumps(SYNTHETIC).encode(),
        "/broken.json": b'{"vulnerabilities": [ {"cveID": ',
        "/big.json": b" " * 5000,
    }
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def check_written(path: Path) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    cves = [e["cve"] for e in doc["entries"]]
    assert cves == ["CVE-2021-33044", "CVE-2021-33045", "CVE-2017-7921", "CVE-2021-36260"]
    assert {e["vendor"] for e in doc["entries"]} == {"Dahua", "Hikvision"}
    assert "CVE-2099-0002" not in path.read_text(encoding="utf-8")
    assert doc["catalog_version"] == "2099.01.01"


def test_update_from_file(tmp_path: Path, feed_file: Path) -> None:
    summary = update_kev(str(feed_file), tmp_path / "kb")
    assert summary.path == tmp_path / "kb" / "knowledge" / "kev.yaml"
    assert (summary.total, summary.kept) == (5, 4)
    assert dict(summary.by_vendor) == {"Dahua": 2, "Hikvision": 2}
    check_written(summary.path)
    kev = load_kev([summary.path])
    assert kev["CVE-2017-7921"].date_added == "2026-03-05"
    assert kev["CVE-2017-7921"].due_date == "2026-03-26"


def test_update_from_loopback_url(tmp_path: Path, server: str) -> None:
    summary = update_kev(f"{server}/kev.json", tmp_path / "kb")
    assert summary.kept == 4
    check_written(summary.path)


def test_malformed_json_is_a_clear_error_and_writes_nothing(tmp_path: Path, server: str) -> None:
    with pytest.raises(KevError, match="malformed JSON at line 1"):
        update_kev(f"{server}/broken.json", tmp_path / "kb")
    assert not (tmp_path / "kb" / "knowledge" / "kev.yaml").exists()
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "no list here"}', encoding="utf-8")
    with pytest.raises(KevError, match="not a KEV catalogue"):
        update_kev(str(bad), tmp_path / "kb")
    missing_cve = tmp_path / "missing.json"
    missing_cve.write_text(json.dumps({"vulnerabilities": [{"vendorProject": "Dahua", "dateAdded": "2024-01-01"}]}))
    with pytest.raises(KevError, match=r"vulnerabilities\[0\]: missing 'cveID'"):
        update_kev(str(missing_cve), tmp_path / "kb")


def test_fetch_failures(tmp_path: Path, server: str) -> None:
    with pytest.raises(KevFetchError, match="HTTP 404"):
        update_kev(f"{server}/nothing.json", tmp_path / "kb")
    with pytest.raises(KevError, match="larger than 1000 bytes"):
        update_kev(f"{server}/big.json", tmp_path / "kb", max_bytes=1000)
    with pytest.raises(KevFetchError, match="cannot read"):
        update_kev(str(tmp_path / "absent.json"), tmp_path / "kb")
    with pytest.raises(KevError, match="only http"):
        update_kev("ftp://127.0.0.1/kev.json", tmp_path / "kb")


def test_existing_file_kept_when_update_fails(tmp_path: Path, feed_file: Path, server: str) -> None:
    first = update_kev(str(feed_file), tmp_path / "kb")
    before = first.path.read_text(encoding="utf-8")
    with pytest.raises(KevError):
        update_kev(f"{server}/broken.json", tmp_path / "kb")
    assert first.path.read_text(encoding="utf-8") == before


def test_cli_functions(tmp_path: Path, feed_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_kb_update_arguments(parser)
    args = parser.parse_args(["--kev", str(feed_file), "--kb-dir", str(tmp_path / "kb")])
    assert cmd_kb_update(args) == 0
    assert "kept 4 of 5 entries (Dahua 2, Hikvision 2)" in capsys.readouterr().out
    assert cmd_kb_update(parser.parse_args([])) == 2
    bad = tmp_path / "bad.json"
    bad.write_text("not json", encoding="utf-8")
    assert cmd_kb_update(parser.parse_args(["--kev", str(bad), "--kb-dir", str(tmp_path / "kb")])) == 2
    assert cmd_kb_update(parser.parse_args(["--kev", str(tmp_path / "no.json"), "--kb-dir", str(tmp_path)])) == 1


def test_assessment_reads_kev_from_user_folder(tmp_path: Path, feed_file: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMAUDIT_KB", str(tmp_path / "kb"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    update_kev(str(feed_file), tmp_path / "kb")
    assessment = Vulnerabilities(load_vulnerabilities())
    assert assessment.kev["CVE-2021-36260"].due_date == "2022-01-24"
    device = Identity(device="d", ids=(), address=None, manufacturer="Hikvision", brand=None,
                      model="DS-2CD2443G0-IW", firmware="V5.6.5 build 200316", device_type="IP Camera",
                      confidence=0.9, evidence=())
    [finding] = [f for f in assessment.assess(device) if f.id == "CVE-2021-36260"]
    assert "federal due date 2022-01-24" in finding.detail
    assert any("kev.yaml" in s.url for s in finding.sources)
