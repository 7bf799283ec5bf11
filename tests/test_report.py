"""Reports from a stored scan: the HTML shows each verdict with its evidence; JSON follows its schema."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from camaudit.model import Observation
from camaudit.report.data import SCHEMA_VERSION, build_report
from camaudit.report.formats import render_csv, render_json
from camaudit.report.html import render_html
from camaudit.store import open_store
from tests.conftest import store_hosts

HIK = ("RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"IP Camera(C2875)\", "
       "nonce=\"938032d91ffc30ca80b5da94c18887ac\", stale=\"FALSE\"\r\nDate:  Thu, May 14 2020 16:45:35 GMT\r\n\r\n")


def _store_with_two_devices(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = open_store(str(tmp_path / "r.db"))
    scan = store_hosts(store, {
        "127.0.0.1": Observation(id="a", protocol="rtsp", response=HIK, address="127.0.0.1", port=554),
        "127.0.0.2": Observation(id="b", protocol="http_header", response="HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n",
                                 address="127.0.0.2", port=80),
    })
    return store, scan


def test_html_shows_verdicts_evidence_and_sources(tmp_path: Path) -> None:
    store, scan = _store_with_two_devices(tmp_path)
    html = render_html(build_report(store, scan))
    assert "realm.hikvision.ip-camera" in html and "IP Camera(C2875)" in html
    # one RTSP answer is one kind of evidence: Hikvision is probable, never certain, on it alone
    assert "restricted maker (probable)" in html and "cannot tell" in html
    assert "https://" in html and "<script" not in html.lower()  # self-contained, no scripts to fetch
    assert "What this report can and cannot prove" in html


def test_json_schema_and_csv(tmp_path: Path) -> None:
    store, scan = _store_with_two_devices(tmp_path)
    report = build_report(store, scan)
    doc = json.loads(render_json(report))
    assert doc["schema_version"] == SCHEMA_VERSION
    assert set(doc) >= {"$schema", "scan", "summary", "regimes", "devices"}
    assert doc["summary"]["covered_certain"] == 0 and doc["summary"]["covered_probable"] == 1
    device = doc["devices"][0]
    assert set(device) >= {"address", "manufacturer", "brand", "evidence", "findings", "unknown", "confidence"}
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert rows[0]["manufacturer"] == "Hikvision" and rows[0]["us-ndaa-889"] == "covered (probable)"
    assert rows[1]["manufacturer"] == "" and "no fingerprint" not in rows[1]["us-ndaa-889"]


def test_csv_never_turns_device_text_into_a_formula() -> None:
    from camaudit.report.formats import cell

    assert cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert cell("-1+2") == "'-1+2" and cell("DS-2CD") == "DS-2CD" and cell(0.5) == 0.5
