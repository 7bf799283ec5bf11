"""XLSX and Markdown reports, site maps, and the report command's formats and options."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from camaudit.cli import main
from camaudit.model import Observation
from camaudit.report.data import build_report
from camaudit.report.markdown import render_markdown
from camaudit.report.sites import SiteMapError, load_site_map
from camaudit.report.xlsx import render_xlsx
from camaudit.store import Store, open_store
from tests.conftest import store_hosts

HIK = ("RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"IP Camera(C2875)\", "
       "nonce=\"938032d91ffc30ca80b5da94c18887ac\", stale=\"FALSE\"\r\n\r\n")
HOSTILE = "HTTP/1.1 200 OK\r\nServer: =HYPERLINK(\"http://x.invalid\",\"a|b\")\x01\r\n\r\n"


def _store(tmp_path: Path) -> tuple[Store, int]:
    store = open_store(str(tmp_path / "f.db"))
    scan = store_hosts(store, {
        "127.96.0.1": Observation(id="a", protocol="rtsp", response=HIK, address="127.96.0.1", port=554),
        "127.96.0.2": Observation(id="b", protocol="http_header", response=HOSTILE, address="127.96.0.2", port=80),
    })
    return store, scan


def test_xlsx_has_a_sheet_per_table_and_no_formulas(tmp_path: Path) -> None:
    store, scan = _store(tmp_path)
    data = render_xlsx(build_report(store, scan))
    store.close()
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[:5] == ["summary", "devices", "findings", "evidence", "regimes"]
    devices = list(wb["devices"].iter_rows(values_only=True))
    assert devices[1][3] == "Hikvision"
    evidence = [row for row in wb["evidence"].iter_rows(values_only=True)]
    assert any(row[3] == "realm.hikvision.ip-camera" for row in evidence)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)


def test_markdown_report(tmp_path: Path) -> None:
    store, scan = _store(tmp_path)
    md = render_markdown(build_report(store, scan))
    store.close()
    assert md.startswith("# Video-surveillance estate audit")
    assert "## Executive summary" in md and "## Devices" in md and "## Sites" in md
    assert "restricted maker (probable)" in md and "realm.hikvision.ip-camera" in md  # one RTSP answer: one kind
    for line in md.splitlines():
        if line.startswith("| 127.96.0.2"):
            assert line.count(" | ") == 9  # the device's '|' is escaped, the row keeps its 10 cells


def test_site_map_longest_prefix_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text("organisation: Org\nsites:\n  - {name: Campus, cidrs: [10.0.0.0/8]}\n"
                    "  - {name: Lab, cidrs: [10.1.0.0/16], sensitivity: high}\n", encoding="utf-8")
    sites = load_site_map(path)
    assert sites.organisation == "Org"
    assert (sites.site_for("10.1.2.3"), sites.site_for("10.2.0.1"), sites.site_for("192.0.2.1")) == \
        ("Lab", "Campus", "unmapped")
    assert sites.sensitivity("Lab") == "high" and sites.names() == ["Campus", "Lab"]
    path.write_text("sites:\n  - {name: X, cidrs: [not-a-cidr]}\n", encoding="utf-8")
    with pytest.raises(SiteMapError, match="not an address or CIDR"):
        load_site_map(path)


def test_report_command_formats_and_site_map(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, _scan = _store(tmp_path)
    store.close()
    db = str(tmp_path / "f.db")
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites:\n  - {name: Lab, cidrs: [127.96.0.0/24], sensitivity: high}\n", encoding="utf-8")
    assert main(["report", "--db", db, "-o", str(tmp_path / "r.xlsx"), "--site-map", str(sites)]) == 0
    assert (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"
    assert main(["report", "--db", db, "-o", str(tmp_path / "r.md")]) == 0
    assert "| Lab |" not in (tmp_path / "r.md").read_text(encoding="utf-8")  # no site map given this time
    assert main(["report", "--db", db, "--format", "html", "--site-map", str(sites)]) == 0
    assert 'id="site-lab"' in capsys.readouterr().out
    sites.write_text("sites: 3\n", encoding="utf-8")
    assert main(["report", "--db", db, "--site-map", str(sites)]) == 2
    assert "'sites' must be a list" in capsys.readouterr().err
