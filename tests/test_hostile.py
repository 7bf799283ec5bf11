"""Hostile and broken devices cannot crash, hang or bloat a scan.

No timing thresholds: the guard below only stops a hung test; the assertions are about what was kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from camaudit.audit import Stages, host_identity
from camaudit.collect.limits import Budget
from camaudit.collect.scanner import ScanOptions, scan_host
from camaudit.identify.parts import safe_xml
from camaudit.model import Observation
from camaudit.scope import RateLimiter
from camaudit.simulate.hostile import XML_BOMB
from camaudit.simulate.process import FleetProcess

HANG_GUARD = 120.0  # seconds: only so that a regression fails instead of hanging CI


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    with FleetProcess("127.67.0.0/29", names=["hostile-mix"]) as running:
        yield running.manifest["devices"][0]["address"]


def test_hostile_device_costs_bounded_memory_and_is_not_identified(hostile: str) -> None:
    budget = Budget(read_timeout=1.0, host_deadline=6.0, read_bytes=64 * 1024)
    options = ScanOptions(budget=budget)

    async def go() -> object:
        return await asyncio.wait_for(scan_host(hostile, options, RateLimiter(100)), HANG_GUARD)

    result = asyncio.run(go())
    assert result.address == hostile  # type: ignore[attr-defined]
    assert set(result.open_ports) >= {80, 443, 554, 8000, 8080, 8443}  # type: ignore[attr-defined]
    for obs in result.observations:  # type: ignore[attr-defined]
        assert len(obs.response.encode("utf-8", "replace")) <= 2 * budget.read_bytes + budget.header_bytes
    identities = host_identity(result, Stages.default())  # type: ignore[arg-type]
    assert identities and identities[0].manufacturer is None


def test_xml_bomb_is_refused_not_expanded() -> None:
    assert safe_xml(XML_BOMB) is None
    obs = Observation(id="bomb", protocol="isapi_deviceinfo", response=XML_BOMB)
    identity = Stages.default().identifier.identify_device("bomb", [obs])
    assert identity.manufacturer is None


@pytest.mark.parametrize("garbage", [
    "\x00\xff" * 1000,
    "HTTP/1.1 200 OK\r\n" + "X: " + "A" * 100000,
    "{" * 5000,
    "<" * 5000,
    "RTSP/1.0 401\r\nWWW-Authenticate: Digest realm=\"" + "B" * 50000,
])
def test_garbage_never_raises(garbage: str) -> None:
    identifier = Stages.default().identifier
    for protocol in ("http_header", "http_body", "rtsp", "tls_cert", "dhip", "isapi_deviceinfo", "dahua_cgi"):
        identity = identifier.identify_device("g", [Observation(id="g", protocol=protocol, response=garbage)])
        assert identity.manufacturer is None


@pytest.mark.parametrize("body", [
    "<title>" * 200_000,                                                    # an opening tag that never closes
    'xmlns="http://www.hp.com/schemas/imaging/pls/dev/1.0"' * 20_000,       # a rule's prefix, over and over
    "\nPublic: OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER\n" + "x\n" * 200_000,
])
def test_pathological_bodies_are_identified_promptly(body: str) -> None:
    """Regexes over device text are bounded: these inputs took tens of seconds to minutes with unbounded ones.
    The limit below only stops a regression from hanging CI; it is not a speed target."""
    import subprocess
    import sys

    code = ("import sys; from camaudit.identify.pipeline import Identifier; from camaudit.model import Observation;"
            "body = sys.stdin.read();"
            "[Identifier.default().identify_device('x', [Observation(id='x', protocol=p, response=body)])"
            " for p in ('http_body', 'rtsp')]")
    subprocess.run([sys.executable, "-c", code], input=body, text=True, check=True, timeout=HANG_GUARD)
