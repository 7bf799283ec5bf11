"""Collectors at two sites push live scans of the emulated fleet to one server (issue 11): each host is sent as
it finishes, a link cut mid-scan loses nothing and stores nothing twice, and ``camaudit import --push`` sends an
import's devices by address."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from camaudit.collect.scanner import ScanOptions
from camaudit.model import HostResult
from camaudit.pipeline.plan import ScanPlan
from camaudit.pipeline.service import AuditService
from camaudit.runtime import run as run_loop
from camaudit.scope import Scope
from camaudit.simulate.process import FleetProcess
from camaudit.store import open_store
from camaudit.web.collector import Collector, LivePush, collector_scan_id
from tests.web_server import Cutter, RunningServer, serve

NETWORK = "127.73.0.0/28"  # this module's fleet; nothing else in the suite uses it
NAMES = ["hikvision-ipc", "amcrest-ipc", "reolink-camera", "hikvision-nvr", "arcdyn-nvr", "nginx-server"]


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetProcess]:
    with FleetProcess(NETWORK, names=NAMES, hostile=False) as running:
        yield running


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[RunningServer]:
    location = str(tmp_path / "server.db")
    open_store(location).close()
    with serve(location) as running:
        yield running


def _cutter(server: RunningServer) -> Cutter:
    host, port = server.url.removeprefix("http://").split(":")
    return Cutter((host, int(port)))


def _addresses(fleet: FleetProcess) -> list[str]:
    return [d["address"] for d in fleet.manifest["devices"]]


def _pushed_devices(server: RunningServer) -> dict[int, list[dict[str, Any]]]:
    with server.login() as c:
        scans = [s for s in c.get("/api/v1/scans").json()["items"] if s["kind"] == "push"]
        return {s["id"]: c.get(f"/api/v1/scans/{s['id']}/devices", params={"limit": 100}).json()["items"]
                for s in scans}


def _camaudit(*args: str, token: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    (cwd / "token").write_text(token + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CAMAUDIT_TOKEN"}
    return subprocess.run([sys.executable, "-m", "camaudit", *args, "--token-file", str(cwd / "token")],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_two_sites_push_live_and_a_cut_link_loses_nothing(fleet: FleetProcess, server: RunningServer,
                                                          tmp_path: Path) -> None:
    addresses = _addresses(fleet)
    depot, school = addresses[:3], addresses[3:]
    token = server.token("auditor", "collectors")

    # site 1: the command line, a steady link
    proc = _camaudit("scan", f"{depot[0]}-{depot[-1]}", "--db", str(tmp_path / "depot.db"), "-q",
                     "--push", server.url, token=token, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "push: 3 host(s) stored by" in proc.stderr, proc.stderr

    # site 2: its link goes down after the first host was sent, and comes back when the scan is over
    cutter = _cutter(server)
    store = open_store(str(tmp_path / "school.db"))
    try:
        service = AuditService(store)
        targets = [f"{school[0]}-{school[-1]}"]
        scan_id = service.begin(ScanPlan.from_scope(Scope.build(targets), targets, ScanOptions()))
        collector = Collector(f"http://127.0.0.1:{cutter.port}", token,
                              collector_scan_id(store.where, store.scan(scan_id)), targets,
                              pause=0.05, timeout=5)
        live = LivePush(collector, max_pause=0.2)
        submitted: list[str] = []

        def submit(result: HostResult) -> None:
            submitted.append(result.address)
            live.submit(result)
            if len(submitted) == 1:
                cutter.open = False

        run_loop(service.scan(scan_id, progress=False, on_host=submit))
        cutter.open = True
        sent = live.close()
    finally:
        store.close()
    assert sorted(submitted) == sorted(school) and sent.stored == 3 and sent.already == 0

    pushed = _pushed_devices(server)
    assert len(pushed) == 2
    by_site = {frozenset(d["address"] for d in items) for items in pushed.values()}
    assert by_site == {frozenset(depot), frozenset(school)}  # every host once, at its own site's scan
    makers = {d["address"]: d["manufacturer"] for items in pushed.values() for d in items}
    local = {i.address: i.manufacturer for i in _identities(tmp_path / "depot.db")}
    assert {a: makers[a] for a in depot} == local  # the server judged them as the collector did

    # the second site sends its whole stored scan again (a collector restarted): nothing is stored twice
    proc = _camaudit("push", server.url, "--db", str(tmp_path / "school.db"), token=token, cwd=tmp_path)
    assert proc.returncode == 0 and "0 host(s) stored by the server, 3 it already had" in proc.stderr, proc.stderr
    assert sum(len(items) for items in _pushed_devices(server).values()) == 6


def _identities(db: Path) -> list[Any]:
    store = open_store(str(db))
    try:
        return store.identities(store.latest_scan())
    finally:
        store.close()


def test_a_scan_whose_server_is_unreachable_is_kept_and_pushed_later(fleet: FleetProcess, server: RunningServer,
                                                                     tmp_path: Path) -> None:
    addresses = _addresses(fleet)[:2]
    token = server.token("auditor")
    cutter = _cutter(server)
    cutter.open = False
    proc = _camaudit("scan", f"{addresses[0]}-{addresses[1]}", "--db", str(tmp_path / "s.db"), "-q",
                     "--push", f"http://127.0.0.1:{cutter.port}", token=token, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    (line,) = [t for t in proc.stderr.splitlines() if t.startswith("push:")]
    assert "2 host(s) not sent" in line and "camaudit push" in line
    assert len(_identities(tmp_path / "s.db")) == 2  # the scan itself is whole
    cutter.open = True
    proc = _camaudit("push", f"http://127.0.0.1:{cutter.port}", "--db", str(tmp_path / "s.db"), token=token,
                     cwd=tmp_path)
    assert proc.returncode == 0 and "2 host(s) stored by the server" in proc.stderr, proc.stderr


def test_import_push_sends_devices_by_address(server: RunningServer, tmp_path: Path) -> None:
    token = server.token("auditor")
    lines = [f'{{"ip_str": "127.0.5.{n}", "port": 80, "data": "HTTP/1.1 200 OK\\r\\nServer: App-webs/\\r\\n\\r\\n"}}'
             for n in (1, 2)]
    export = tmp_path / "shodan.json"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = _camaudit("import", str(export), "--db", str(tmp_path / "i.db"), "-q", "--push", server.url,
                     token=token, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "push: scan 1: 2 address(es) stored by" in proc.stderr, proc.stderr
    again = _camaudit("import", str(export), "--db", str(tmp_path / "i.db"), "-q", "--push", server.url,
                      token=token, cwd=tmp_path)
    assert again.returncode == 0 and "0 address(es) stored by" in again.stderr and "2 it already had" in \
        again.stderr, again.stderr
    assert {d["address"] for items in _pushed_devices(server).values() for d in items} == {"127.0.5.1", "127.0.5.2"}


def test_a_viewer_token_cannot_push(server: RunningServer, tmp_path: Path) -> None:
    token = server.token("viewer")
    body = {"collector_scan": "viewer-0001", "host": {"address": "127.0.6.1", "open_ports": [80]}}
    answer = httpx.post(server.url + "/api/v1/push", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
