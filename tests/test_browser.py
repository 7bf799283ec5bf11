"""The HTML report of a scanned emulated fleet, opened in headless Chromium: it renders with no network, the
summary and every chart are there, every in-page link lands somewhere, evidence opens on click, and a
screenshot is kept (in pytest's tmp folder: the path is printed)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from camaudit.collect.credentials import Credential, CredentialBook
from camaudit.collect.scanner import ScanOptions
from camaudit.demo import DEMO_LOGIN
from camaudit.pipeline.service import run_scan
from camaudit.pipeline.stages import Stages
from camaudit.report.data import build_report
from camaudit.report.formats import render_json
from camaudit.report.html import render_html
from camaudit.report.sites import load_site_map
from camaudit.scope import Scope
from camaudit.simulate.process import FleetProcess
from camaudit.store import Store, open_store

CHROMIUM = os.environ.get("CAMAUDIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
NETWORK = "127.96.0.128/26"
SCHEMA = Path(__file__).parent.parent / "src/camaudit/report/schema/report-1.json"
SITES = """\
organisation: Emulated Trust
sites:
  - name: Head office
    cidrs: [127.96.0.128/28]
    sensitivity: high
  - name: Depots
    cidrs: [127.96.0.144/28]
"""


def _scan(store: Store, fleet: FleetProcess) -> int:
    devices = fleet.manifest["devices"]
    target = f"{devices[0]['address']}-{devices[-1]['address']}"
    scope = Scope.build([target])
    stages = Stages.default()
    book = CredentialBook((Credential("emulated fleet test account", DEMO_LOGIN[0], DEMO_LOGIN[1], scope.include),))
    options = ScanOptions()
    return run_scan(store, scope, [target], options, stages, progress=False, credentials=book).scan_id


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(f"Chromium not found at {CHROMIUM} (Debian: apt-get install -y chromium); "
                    "set CAMAUDIT_CHROMIUM to another binary")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
    folder = tmp_path_factory.mktemp("browser")
    (folder / "sites.yaml").write_text(SITES, encoding="utf-8")
    store = open_store(str(folder / "fleet.db"))
    try:
        with FleetProcess(NETWORK) as fleet:  # every personality, hostile device included
            _scan(store, fleet)
        with FleetProcess(NETWORK, count=16) as fleet:  # later: part of the estate replaced
            last = _scan(store, fleet)
        report = build_report(store, last, site_map=load_site_map(folder / "sites.yaml"))
    finally:
        store.close()
    path = folder / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    (folder / "report.json").write_text(render_json(report), encoding="utf-8")
    yield path


def test_full_fleet_json_follows_the_schema(report_file: Path) -> None:
    doc = json.loads(report_file.with_suffix(".json").read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
    assert doc["summary"]["kev_affected"] + doc["summary"]["kev_possible"] >= 1 and doc["summary"]["by_capability"]


def test_report_in_chromium(report_file: Path, tmp_path: Path) -> None:
    from playwright.sync_api import Route, sync_playwright

    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    outside: list[str] = []

    def no_network(route: Route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", no_network)
            page.goto(report_file.as_uri(), wait_until="load")
            assert "camaudit report" in page.title()

            summary = page.locator("#executive-summary p").inner_text()
            assert "made by a maker named in at least one restriction regime" in summary
            assert "Known Exploited Vulnerabilities" in summary and "Since scan" in summary
            assert int(page.locator("#summary .card.red .n").first.inner_text()) > 0

            charts = ("#charts + .charts", "#chart-status-by-site", "#chart-kev", "#chart-capabilities", "#burn-down")
            for chart in charts:
                assert page.locator(f"{chart} svg").count() >= 1, chart
            assert page.locator("#chart-status-by-site svg rect").count() >= 2
            assert page.locator("#chart-kev svg rect").count() >= 1
            assert "CVE-" in page.locator("#chart-kev svg").inner_html()
            assert "face-recognition" in page.locator("#chart-capabilities svg").inner_html()
            assert page.locator("#burn-down svg polyline").count() >= 2  # the total and each site
            for site in ("#site-head-office", "#site-depots"):
                assert page.locator(site).is_visible(), site
            assert page.locator("#plan-slot").count() == 1

            missing = page.evaluate("""() => [...document.querySelectorAll('a[href^="#"]')]
                .map(a => decodeURIComponent(a.getAttribute('href').slice(1)))
                .filter(id => !document.getElementById(id))""")
            assert missing == []
            assert page.locator('a[href^="#"]').count() > 10

            row = page.locator("tr.device[data-covered='certain']").first
            details = row.locator("details")
            assert details.evaluate("d => d.open") is False
            assert not row.locator("table.evidence").first.is_visible()
            row.locator("details > summary").click()
            assert details.evaluate("d => d.open") is True
            assert row.locator("table.evidence").first.is_visible()
            assert "Sources:" in row.locator("details").inner_text()

            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"\nscreenshot of the report: {shot}")
        finally:
            browser.close()
    assert shot.stat().st_size > 20_000
    assert outside == []  # self-contained: nothing fetched from anywhere
