"""The scan engine under faults: too few file descriptors, a killed scanner, exclusions through resume.

Each test runs its own emulated fleet on 127.141.x.0/24 (no other test uses 127.141) and the scanner in a child
process where the fault is real: a lowered open-file limit (prlimit), or SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from camaudit.collect.scanner import DEFAULT_PORTS, ScanOptions
from camaudit.pipeline.service import run_scan
from camaudit.scope import Scope
from camaudit.simulate.process import FleetProcess
from camaudit.store import open_store

FAULT_FLEET = "127.141.1.0/24"


@pytest.fixture(scope="module")
def fault_fleet() -> Iterator[FleetProcess]:
    with FleetProcess(FAULT_FLEET) as running:
        yield running


def _range(fleet: FleetProcess) -> str:
    devices = fleet.manifest["devices"]
    return f"{devices[0]['address']}-{devices[-1]['address']}"


def _camaudit(*args: str, nofile: int | None = None, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "camaudit", *args]
    if nofile is not None:
        command = ["prlimit", f"--nofile={nofile}:{nofile}", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def _hosts(db: Path, scan_id: int = 1) -> dict[str, dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT address, open_ports, errors, incomplete FROM hosts WHERE scan_id = ?", (scan_id,))
        return {a: {"open": set(json.loads(o)), "errors": json.loads(e), "incomplete": bool(i)} for a, o, e, i in rows}


def _no_device_lost(fleet: FleetProcess, hosts: dict[str, dict[str, Any]]) -> None:
    """Every address has its row; a device is either seen with all its camera ports open, or its row says
    (incomplete, with the reason) that the scanner could not check it: never silently 'closed'."""
    for device in fleet.manifest["devices"]:
        row = hosts[device["address"]]
        expected = set(device["ports"]) & set(DEFAULT_PORTS)
        if row["incomplete"]:
            assert any("not checked" in e or "ran short" in e for e in row["errors"]), row
        else:
            assert expected <= row["open"], (device["personality"], row)


@pytest.mark.skipif(not Path("/usr/bin/prlimit").exists() and not Path("/bin/prlimit").exists(),
                    reason="prlimit (util-linux) is missing")
def test_open_file_limit_of_64_finishes_and_loses_no_host(fault_fleet: FleetProcess, tmp_path: Path) -> None:
    db = tmp_path / "nofile.db"
    done = _camaudit("scan", _range(fault_fleet), "--db", str(db), "-q", nofile=64)
    assert "unable to open database file" not in done.stderr
    assert done.returncode in (0, 3), done.stderr[-2000:]
    hosts = _hosts(db)
    assert set(hosts) == {d["address"] for d in fault_fleet.manifest["devices"]}
    _no_device_lost(fault_fleet, hosts)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM scans WHERE id = 1").fetchone()[0] in ("complete", "incomplete")


SHORT_OF_FILES = """
import asyncio, resource, sys
from camaudit.pipeline.plan import ScanPlan
from camaudit.pipeline.service import AuditService
from camaudit.store import open_store
store = open_store(sys.argv[1])
service = AuditService(store, workers=0)
scan_id = service.begin(ScanPlan((sys.argv[2],), concurrency=64))
resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))
# a budget far beyond the limit: connects fail with EMFILE, as when the limit is lowered under a running scan
summary = asyncio.run(service.scan(scan_id, progress=False, descriptors=4000))
print(summary.incomplete)
"""


def test_emfile_is_never_taken_for_a_closed_port(fault_fleet: FleetProcess, tmp_path: Path) -> None:
    db = tmp_path / "emfile.db"
    done = subprocess.run([sys.executable, "-c", SHORT_OF_FILES, str(db), _range(fault_fleet)], capture_output=True,
                          text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    hosts = _hosts(db)
    assert set(hosts) == {d["address"] for d in fault_fleet.manifest["devices"]}
    _no_device_lost(fault_fleet, hosts)
    incomplete = {a for a, h in hosts.items() if h["incomplete"]}
    assert int(done.stdout.split()[-1]) == len(incomplete)
    store = open_store(str(db))
    try:  # the hosts that could not be checked are the ones a resume probes again
        assert store.scanned_addresses(1) == set(hosts) - incomplete
    finally:
        store.close()


def test_kill_9_mid_scan_keeps_every_commit_and_resumes(fault_fleet: FleetProcess, tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    target = _range(fault_fleet)
    proc = subprocess.Popen([sys.executable, "-m", "camaudit", "scan", target, "--db", str(db), "-q",
                             "--concurrency", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 120
        committed: set[str] = set()
        while len(committed) < 6 and time.monotonic() < end and proc.poll() is None:
            time.sleep(0.1)
            if db.exists():
                try:
                    committed = set(_hosts(db))
                except sqlite3.OperationalError:  # the schema is not there yet
                    committed = set()
        assert proc.poll() is None, "the scan ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT status FROM scans WHERE id = 1").fetchone()[0] == "running"
    after = set(_hosts(db))
    assert committed <= after and len(after) < len(fault_fleet.manifest["devices"])
    done = _camaudit("scan", "--resume", "1", "--db", str(db), "-q")
    assert done.returncode == 0, done.stderr[-2000:]
    hosts = _hosts(db)
    assert set(hosts) == {d["address"] for d in fault_fleet.manifest["devices"]}
    _no_device_lost(fault_fleet, hosts)


def test_library_scan_exclusions_hold_through_a_cli_resume(fault_fleet: FleetProcess, tmp_path: Path) -> None:
    """Exclusions given to the library (a Scope) are part of the scan's stored plan: a CLI resume, given no
    --exclude, still never probes the excluded address."""
    from camaudit.cli import main

    devices = fault_fleet.manifest["devices"]
    excluded, dropped = devices[1]["address"], devices[2]["address"]
    db = tmp_path / "lib.db"
    store = open_store(str(db))
    target = _range(fault_fleet)
    run_scan(store, Scope.build([target], exclude=[excluded]), [target], ScanOptions(discovery=False),
             progress=False)
    assert store.scan(1)["options"]["exclude"] == [f"{excluded}/32"]
    store.forget_hosts(1, [dropped])  # as if the scan had been cut off before this host
    store.mark_scan(1, "interrupted")
    store.close()
    assert main(["scan", "--resume", "1", "--db", str(db), "-q"]) == 0
    hosts = _hosts(db)
    assert dropped in hosts and excluded not in hosts
    assert len(hosts) == len(devices) - 1
