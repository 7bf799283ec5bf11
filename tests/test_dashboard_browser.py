"""The dashboard driven in Debian's Chromium (Playwright): sign in, start a scan of an emulated fleet and watch
its progress, filter the devices, open one and read its evidence, mark a device replaced, and check that a
viewer can look but cannot start a scan. Screenshots are kept in pytest's tmp folder (the paths are printed).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from camaudit.simulate.process import FleetProcess
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.web_server import RunningServer, serve

NETWORK = "127.111.0.0/28"
NAMES = ["hikvision-ipc", "dahua-ipc", "hilook-ipc", "axis-camera", "hikvision-nvr"]
SITES = "organisation: Emulated Council\nsites:\n  - name: Civic centre\n    cidrs: [127.111.0.0/24]\n" \
        "    sensitivity: high\n"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, FleetProcess, Path]]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(f"Chromium not found at {CHROMIUM} (Debian: apt-get install -y chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
    folder = tmp_path_factory.mktemp("dashboard")
    with FleetProcess(NETWORK, names=NAMES) as fleet, serve(str(folder / "server.db"), "Emulated Council") as server:
        with server.login() as admin:
            assert admin.put("/api/v1/sites", json={"site_map": SITES}).status_code == 200
        yield server, fleet, folder


def test_dashboard_in_chromium(running: tuple[RunningServer, FleetProcess, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    server, fleet, folder = running
    devices = fleet.manifest["devices"]
    target = f"{devices[0]['address']}-{devices[-1]['address']}"
    shots: list[Path] = []

    def shot(page: object, name: str) -> None:
        path = folder / f"{len(shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        shots.append(path)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server.url + "/devices")
        expect(page).to_have_url(re.compile(r"/login\?next=/devices"))
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", "not the password")
        page.click("button[type=submit]")
        expect(page.locator(".error")).to_contain_text("wrong user name or password")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", server.admin_password)
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(r"/devices$"))  # back where the browser was going
        shot(page, "no-scans-yet")

        # start a scan of the emulated fleet and watch it
        page.goto(server.url + "/scans")
        page.fill("input[name=targets]", target)
        page.click("form[action='/scans'] button[type=submit]")
        expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
        expect(page.locator("#job-status")).to_contain_text(re.compile("queued|running|complete"))
        shot(page, "scan-progress")
        expect(page.locator("#job-result")).to_be_visible(timeout=120_000)  # the page refreshes itself
        expect(page.locator("#job-status")).to_contain_text(f"{len(devices)} / {len(devices)}")
        shot(page, "scan-complete")
        page.click("#job-result")
        expect(page.locator("h1")).to_contain_text("Emulated Council")
        expect(page.locator("svg[aria-label='Devices by true manufacturer']")).to_be_visible()
        shot(page, "summary")

        # filter, then open a device and read its evidence chain
        page.goto(server.url + "/devices")
        page.select_option("select[name=maker]", "Hikvision")
        page.click("form.filters button[type=submit]")
        rows = page.locator("#devices tr:has(td)")
        expect(rows).not_to_have_count(0)
        for text in rows.all_inner_texts():
            assert "Hikvision" in text
        shot(page, "devices-filtered")
        rows.first.locator("a").first.click()
        expect(page.locator("#evidence tr:has(td)")).not_to_have_count(0)
        expect(page.locator("#findings")).to_contain_text("restriction")
        shot(page, "device-evidence")

        # mark the first planned device replaced
        page.goto(server.url + "/plan")
        page.locator("#plan button:has-text('Mark replaced')").first.click()
        expect(page.locator("#plan .badge").first).to_have_text("replaced")
        shot(page, "plan-marked")

        # a viewer: sees the estate, cannot start scans
        page.goto(server.url + "/admin")
        page.fill("form[action='/admin/users'] input[name=username]", "board-member")
        page.select_option("form[action='/admin/users'] select[name=role]", "viewer")
        page.click("form[action='/admin/users'] button[type=submit]")
        secret = page.locator("#secret").inner_text()
        page.click("text=Sign out")
        page.goto(server.url + "/login")
        page.fill("input[name=username]", "board-member")
        page.fill("input[name=password]", secret)
        page.click("button[type=submit]")
        page.goto(server.url + "/scans")
        expect(page.locator("form[action='/scans']")).to_have_count(0)
        csrf = page.locator("form[action='/logout'] input[name=csrf_token]").get_attribute("value")
        refused = page.request.post(server.url + "/api/v1/jobs/scan", data={"targets": [target]},
                                    headers={"X-CSRF-Token": csrf or ""})
        assert refused.status == 403
        shot(page, "viewer-scans")
        browser.close()
    for path in shots:
        assert path.stat().st_size > 10_000
        print(f"screenshot: {path}")
