"""Shared fixtures: the emulated fleet (a child process on loopback) and fresh stores."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.own_network import enter_own_network

# the knowledge validation cache (camaudit.knowledge.schema.cache_dir) of this test run, not the user's
os.environ.setdefault("CAMAUDIT_CACHE", tempfile.mkdtemp(prefix="camaudit-test-cache-"))

NETWORK_NOTE = enter_own_network()  # before any fleet, thread or child process: see tests/own_network.py

from camaudit.model import Observation  # noqa: E402
from camaudit.simulate.process import FleetProcess  # noqa: E402
from camaudit.store import Store, open_store  # noqa: E402
from tests.stores import BACKENDS, fresh_location  # noqa: E402

FLEET_NETWORK = "127.66.0.0/24"


def pytest_report_header() -> str:
    return f"camaudit tests: {NETWORK_NOTE}"


@pytest.fixture(scope="session")
def fleet() -> Iterator[FleetProcess]:
    """One of each personality (hostile device included), listening on 127.66.0.x."""
    with FleetProcess(FLEET_NETWORK) as running:
        yield running


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each database the store runs on: SQLite, and PostgreSQL (skipped, saying why, where there is none)."""
    return str(request.param)


@pytest.fixture()
def store_location(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh store location on each backend: a SQLite file, or a PostgreSQL database of its own."""
    with fresh_location(backend, tmp_path) as location:
        yield location


@pytest.fixture()
def store(store_location: str) -> Iterator[Store]:
    s = open_store(store_location)
    yield s
    s.close()


def fleet_range(fleet: FleetProcess) -> str:
    devices = fleet.manifest["devices"]
    return f"{devices[0]['address']}-{devices[-1]['address']}"


def store_hosts(store: Store, hosts: dict[str, Observation]) -> int:
    """A complete scan in ``store`` with one host per address, each with one observation, identified and
    assessed by the same path a live scan takes. Returns the scan id."""
    from camaudit.assess.interface import assess_all
    from camaudit.audit import Stages, host_identity
    from camaudit.model import HostResult

    stages = Stages.default()
    scan = store.begin_scan("scan", sorted(hosts), {}, len(hosts))
    for address, obs in hosts.items():
        result = HostResult(address, (obs.port or 0,), (obs,))
        identities = host_identity(result, stages)
        store.commit_host(scan, result, identities, assess_all(identities, stages.assessments))
    store.finish_scan(scan)
    return scan
