"""Shared fixtures: the emulated fleet (a child process on loopback) and fresh stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from camaudit.simulate.process import FleetProcess
from camaudit.store import Store, open_store

FLEET_NETWORK = "127.66.0.0/24"


@pytest.fixture(scope="session")
def fleet() -> Iterator[FleetProcess]:
    """One of each personality (hostile device included), listening on 127.66.0.x."""
    with FleetProcess(FLEET_NETWORK) as running:
        yield running


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(str(tmp_path / "test.db"))
    yield s
    s.close()


def fleet_range(fleet: FleetProcess) -> str:
    devices = fleet.manifest["devices"]
    return f"{devices[0]['address']}-{devices[-1]['address']}"
