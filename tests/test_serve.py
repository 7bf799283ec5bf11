"""``camaudit serve`` over real HTTP on loopback: authentication on every route, roles, CSRF, the login rate
limit, tokens hashed at rest, device text escaped everywhere, the API's filters, plan marks, and collectors
pushing results (one cut off mid-way)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from camaudit.model import HostResult, Observation
from camaudit.store import open_store
from camaudit.web.collector import Collector
from tests.conftest import store_hosts
from tests.web_server import Cutter, RunningServer, serve

SCRIPT = "<script>alert(1)</script>"
DEVICE_INFO = (
    '<?xml version="1.0" encoding="UTF-8"?><DeviceInfo xmlns="http://www.hikvision.com/ver20/XMLSchema">'
    "<deviceName>&lt;script&gt;alert(1)&lt;/script&gt;</deviceName><model>{model}</model>"
    "<firmwareVersion>V5.7.18</firmwareVersion><firmwareReleasedDate>build 240826</firmwareReleasedDate>"
    "<deviceType>IPCamera</deviceType><macAddress>{mac}</macAddress></DeviceInfo>"
)


TITLED = f"<!DOCTYPE html><html><head><title>{SCRIPT}</title></head><body>Network Video Recorder</body></html>"


def _device_info(address: str, model: str, mac: str) -> Observation:
    return Observation(f"{address}-isapi", "isapi_deviceinfo", DEVICE_INFO.format(model=model, mac=mac),
                       address=address, port=80, request="GET /ISAPI/System/deviceInfo")


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[RunningServer]:
    location = str(tmp_path / "server.db")
    store = open_store(location)
    try:
        store_hosts(store, {
            "127.0.0.10": _device_info("127.0.0.10", "&lt;script&gt;alert(1)&lt;/script&gt;", "44:19:b6:00:00:10"),
            "127.0.0.11": _device_info("127.0.0.11", "DS-2CD2386G2-IU", "44:19:b6:00:00:11"),
        })
    finally:
        store.close()
    with serve(location) as running:
        yield running


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "json" if m.group(0) == "{fmt}" else "1", path)


def test_every_route_needs_authentication(server: RunningServer) -> None:
    token = server.token("admin")
    with server.client() as c:
        doc = c.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {token}"}).json()
        assert c.get("/api/v1/openapi.json").status_code == 401
        walked = 0
        for path, methods in doc["paths"].items():
            for method in methods:
                if path == "/login":
                    continue
                answer = c.request(method.upper(), _fill(path))
                walked += 1
                if path.startswith("/api/"):
                    assert answer.status_code == 401, (method, path, answer.status_code)
                    assert "password" not in answer.text
                else:
                    assert answer.status_code == 303, (method, path, answer.status_code)
                    assert answer.headers["location"].startswith("/login"), (method, path)
        assert walked >= 40
        # a wrong or revoked token is no better than none
        assert c.get("/api/v1/scans", headers={"Authorization": "Bearer cat_not-a-token"}).status_code == 401


def test_viewer_reads_but_cannot_scan_and_reviewer_sees_only_counts(server: RunningServer) -> None:
    viewer = {"Authorization": f"Bearer {server.token('viewer')}"}
    reviewer = {"Authorization": f"Bearer {server.token('reviewer')}"}
    with server.client() as c:
        assert c.get("/api/v1/scans", headers=viewer).status_code == 200
        refused = c.post("/api/v1/jobs/scan", json={"targets": ["127.0.0.10"]}, headers=viewer)
        assert refused.status_code == 403 and "viewer" in refused.json()["detail"]
        assert c.post("/api/v1/tokens", json={"name": "x", "role": "admin"}, headers=viewer).status_code == 403
        assert c.get("/api/v1/scans/latest/devices", headers=reviewer).status_code == 403
        figures = c.get("/api/v1/aggregate", headers=reviewer)
        assert figures.status_code == 200 and "127.0.0.10" not in figures.text


def test_session_requests_that_change_things_need_the_csrf_token(server: RunningServer) -> None:
    with server.login() as c:
        csrf = c.headers.pop("X-CSRF-Token")
        assert c.post("/api/v1/tokens", json={"name": "t", "role": "viewer"}).status_code == 403
        assert c.post("/admin/tokens", data={"name": "t", "role": "viewer"}).status_code == 403
        assert c.post("/admin/tokens", data={"name": "t", "role": "viewer", "csrf_token": "wrong"}).status_code == 403
        made = c.post("/admin/tokens", data={"name": "t", "role": "viewer", "csrf_token": csrf})
        assert made.status_code == 200 and 'id="secret"' in made.text


def test_login_is_rate_limited_and_says_nothing_of_which_names_exist(server: RunningServer) -> None:
    with server.client() as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
        assert token
        form = {"username": "admin", "password": "wrong", "csrf_token": token.group(1)}
        codes = [c.post("/login", data=form).status_code for _ in range(6)]
        assert codes == [401] * 5 + [429]
        other = c.post("/login", data={**form, "username": "nobody"})  # another name: its own count, same answer
        assert other.status_code == 401 and "wrong user name or password" in other.text
        # the right password is refused too while the limit holds
        assert c.post("/login", data={**form, "password": server.admin_password}).status_code == 429


def test_tokens_and_passwords_are_stored_only_as_hashes_and_revocation_works(server: RunningServer,
                                                                             tmp_path: Path) -> None:
    with server.login() as admin:
        made = admin.post("/api/v1/tokens", json={"name": "collector", "role": "auditor"}).json()
        raw = (tmp_path / "server.db").read_bytes()
        assert made["token"].encode() not in raw and server.admin_password.encode() not in raw
        header = {"Authorization": f"Bearer {made['token']}"}
        with server.client() as c:
            assert c.get("/api/v1/scans", headers=header).status_code == 200
            assert admin.delete(f"/api/v1/tokens/{made['id']}").status_code == 200
            assert c.get("/api/v1/scans", headers=header).status_code == 401
        log = admin.get("/api/v1/audit").json()["items"]
        assert {"token.created", "token.revoked", "login"} <= {e["action"] for e in log}


def test_device_text_is_escaped_everywhere(server: RunningServer) -> None:
    with server.login() as c:
        devices = c.get("/api/v1/scans/latest/devices", params={"q": "script"}).json()
        assert [d["model"] for d in devices["items"]] == [SCRIPT]
        device = devices["items"][0]["device"]
        for path in ("/", "/devices", f"/devices/{device}", "/plan", "/sites", "/scans",
                     "/api/v1/scans/latest/report.html", "/api/v1/scans/latest/report.md"):
            page = c.get(path)
            assert page.status_code == 200, path
            assert SCRIPT not in page.text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in c.get(f"/devices/{device}").text
        assert "script-src" not in c.get("/").headers["content-security-policy"]  # default-src 'none': no scripts


def test_a_device_whose_page_title_is_a_script_is_never_shown_raw(tmp_path: Path) -> None:
    location = str(tmp_path / "titled.db")
    store = open_store(location)
    try:
        store_hosts(store, {"127.0.0.12": Observation("127.0.0.12-page", "http_body", TITLED, address="127.0.0.12",
                                                      port=80, request="GET /")})
    finally:
        store.close()
    with serve(location) as server, server.login() as c:
        (device,) = c.get("/api/v1/scans/latest/devices").json()["items"]
        for path in ("/", "/devices", f"/devices/{device['device']}", "/plan", "/scans",
                     "/api/v1/scans/latest/report.html", "/api/v1/scans/latest/report.md"):
            page = c.get(path)
            assert page.status_code == 200 and SCRIPT not in page.text, path


def test_filters_plan_marks_and_reports(server: RunningServer) -> None:
    with server.login() as c:
        all_devices = c.get("/api/v1/scans/latest/devices").json()
        assert all_devices["total"] == 2 and all_devices["facets"]["maker"] == ["Hikvision"]
        covered = c.get("/api/v1/scans/latest/devices", params={"verdict": "covered-certain", "limit": 1}).json()
        assert covered["total"] == 2 and len(covered["items"]) == 1
        assert c.get("/api/v1/scans/latest/devices", params={"maker": "Axis"}).json()["total"] == 0
        assert c.get("/api/v1/scans/latest/devices", params={"verdict": "bogus"}).status_code == 422
        detail = c.get(f"/api/v1/scans/latest/devices/{all_devices['items'][1]['device']}").json()
        assert detail["evidence"] and any(f["kind"] == "restriction" for f in detail["findings"])
        plan = c.get("/api/v1/scans/latest/plan").json()
        first = plan["schedule"][0]
        scan = c.get("/api/v1/scans/latest").json()["scan"]["id"]
        marked = c.post("/api/v1/plan/marks", json={"device": first["device"], "scan": scan, "status": "replaced"})
        assert marked.status_code == 200 and marked.json()["key"].startswith("mac:")
        again = c.get("/api/v1/scans/latest/plan").json()
        assert again["schedule"][0]["mark"]["status"] == "replaced"
        for fmt, magic in (("json", b"{"), ("csv", b"address"), ("xlsx", b"PK"), ("html", b"<!doctype")):
            body = c.get(f"/api/v1/scans/latest/report.{fmt}")
            assert body.status_code == 200 and body.content.startswith(magic), fmt


def _host(address: str, mac: str) -> HostResult:
    return HostResult(address, (80,), (_device_info(address, "DS-2CD2386G2-IU", mac),))


def test_two_collectors_push_and_one_cut_off_mid_scan_resumes_without_duplicates(server: RunningServer) -> None:
    token = server.token("auditor", "collectors")
    host, port = server.url.removeprefix("http://").split(":")
    steady = Collector(server.url, token, "depot-scan-0001", ["127.0.1.0/30"], pause=0.01)
    for n in range(1, 4):
        steady.add(_host(f"127.0.1.{n}", f"44:19:b6:00:01:0{n}"))
    assert steady.finish().stored == 3
    cutter = Cutter((host, int(port)))
    flaky = Collector(f"http://127.0.0.1:{cutter.port}", token, "school-scan-0002", ["127.0.2.0/29"], attempts=2,
                      pause=0.01, timeout=5)
    flaky.add(_host("127.0.2.1", "44:19:b6:00:02:01"))
    cutter.open = False  # the site's link goes down mid-scan
    for n in range(2, 5):
        flaky.add(_host(f"127.0.2.{n}", f"44:19:b6:00:02:0{n}"))
    assert len(flaky.queue) == 3  # kept, not lost
    cutter.open = True
    sent = flaky.finish()
    assert sent.stored == 4 and not flaky.queue
    # the whole scan sent again (the collector restarted from scratch) adds nothing
    again = Collector(server.url, token, "school-scan-0002", ["127.0.2.0/29"])
    for n in range(1, 5):
        again.queue.append(_host(f"127.0.2.{n}", f"44:19:b6:00:02:0{n}"))
    assert again.finish().already == 4
    with server.login() as c:
        scans = {s["id"]: s for s in c.get("/api/v1/scans").json()["items"]}
        pushed = [s for s in scans.values() if s["kind"] == "push"]
        assert len(pushed) == 2
        for s in pushed:
            devices = c.get(f"/api/v1/scans/{s['id']}/devices").json()
            assert devices["total"] in (3, 4)
            assert {d["manufacturer"] for d in devices["items"]} == {"Hikvision"}


def test_pushes_outside_the_organisations_sites_are_refused(server: RunningServer) -> None:
    with server.login() as admin:
        saved = admin.put("/api/v1/sites", json={"site_map": "organisation: Test Council\nsites:\n"
                                                  "  - name: Depot\n    cidrs: [127.0.1.0/24]\n"})
        assert saved.status_code == 200
    token = server.token("auditor")
    with httpx.Client(base_url=server.url) as c:
        body = {"collector_scan": "elsewhere-0001", "host": {"address": "127.0.9.9", "open_ports": [80]}}
        answer = c.post("/api/v1/push", json=body, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 403 and "outside" in answer.json()["detail"]
        scan = c.post("/api/v1/jobs/scan", json={"targets": ["127.0.9.0/30"]},
                      headers={"Authorization": f"Bearer {token}"})
        assert scan.status_code == 422 and "outside" in scan.json()["detail"]


def test_an_admin_acts_only_in_its_own_organisation(server: RunningServer) -> None:
    db = server.app.state.server.db
    other = db.organisation("Other Trust")
    from camaudit.web import security

    db.add_user("other-admin", security.hash_password("other-admin-password"), "admin", other)
    with server.login() as admin:
        # naming another organisation is refused, not obeyed
        sneaky = admin.post("/api/v1/tokens", json={"name": "x", "role": "admin", "organisation": "Other Trust"})
        assert sneaky.status_code == 422
        assert admin.post("/api/v1/users", json={"username": "m", "role": "admin",
                                                 "organisation": "Other Trust"}).status_code == 422
        made = admin.post("/api/v1/tokens", json={"name": "mine", "role": "admin"}).json()
        assert admin.get("/api/v1/me", headers={"Authorization": f"Bearer {made['token']}"}).json()[
            "organisation"] == "Test Council"
        assert admin.get("/api/v1/aggregate").status_code == 403  # prevalence is the reviewer's, not an admin's
        assert "other-admin" not in admin.get("/admin").text
        page = admin.post("/admin/users", data={"username": "carol", "role": "viewer",
                                               "csrf_token": admin.headers["X-CSRF-Token"]})
        assert page.status_code == 200 and "other-admin" not in page.text
        users = admin.get("/api/v1/users").json()["items"]
        carol = next(u for u in users if u["username"] == "carol")
        assert admin.post(f"/api/v1/users/{carol['id']}/disabled", json={"disabled": True}).status_code == 200
        csrf = {"csrf_token": admin.headers["X-CSRF-Token"]}
        assert admin.post(f"/admin/users/{carol['id']}/enable", data=csrf).status_code == 303
        assert not db.user("carol")["disabled"]
        assert admin.post(f"/admin/users/{carol['id']}/disable", data=csrf).status_code == 303
        assert db.user("carol")["disabled"]
        other_id = db.user("other-admin")["id"]
        assert admin.post(f"/admin/users/{other_id}/disable", data=csrf).status_code == 404
        assert admin.post(f"/api/v1/users/{other_id}/disabled", json={"disabled": True}).status_code == 404
    with server.login("other-admin", "other-admin-password") as theirs:
        assert theirs.get("/api/v1/scans").json()["total"] == 0  # the first organisation's scan is not theirs
        refused = theirs.post("/api/v1/tokens", json={"name": "r", "role": "reviewer"})
        assert refused.status_code == 422 and "operator" in refused.json()["detail"]


def test_a_push_with_text_the_store_cannot_keep_is_refused(server: RunningServer) -> None:
    token = server.token("auditor")
    body = {"collector_scan": "surrogate-0001",
            "host": {"address": "127.0.3.1", "open_ports": [80],
                     "observations": [{"protocol": "http_header", "response": "\ud800x"}]}}
    text = json.dumps(body)  # the lone surrogate goes as the JSON escape \ud800, as a broken device's text would
    with httpx.Client(base_url=server.url) as c:
        answer = c.post("/api/v1/push", content=text, headers={"Authorization": f"Bearer {token}",
                                                                 "Content-Type": "application/json"})
        assert answer.status_code == 422 and "surrogate" in answer.text, answer.text


def test_changing_a_password_ends_other_sessions(server: RunningServer) -> None:
    with server.login() as first, server.login() as second:
        answer = first.post("/account", data={"current": server.admin_password, "new": "a new long password",
                                              "again": "a new long password",
                                              "csrf_token": first.headers["X-CSRF-Token"]})
        assert answer.status_code == 303
        assert first.get("/api/v1/scans").status_code == 200
        assert second.get("/api/v1/scans").status_code == 401
