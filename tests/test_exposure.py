"""Exposure findings on the emulated case fleet: each case gives its finding, and no other device does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from camaudit.assess.exposure import Exposure
from camaudit.model import Identity
from tests.case_fleet import CASES, Scanned, ids, scan_cases

EXPECTED = {
    "hikvision-face-ipc": {"vendor-sdk-port-8000"},
    "hikvision-hikconnect-ipc": {"cloud-hik-connect"},
    "amcrest-p2p-ipc": {"cloud-dahua-p2p"},
    "dahua-race-analytics-ipc": {"vendor-sdk-port-37777"},
    "hikvision-telnet-ipc": {"telnet"},
    "axis-camera": {"upnp"},
    "nginx-server": set(),
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    yield from scan_cases(tmp_path_factory.mktemp("exposure"))


def test_every_case_device_was_scanned(scanned: Scanned) -> None:
    assert set(scanned.by_personality) == set(CASES)


@pytest.mark.parametrize("personality", sorted(EXPECTED))
def test_exactly_the_expected_exposures(scanned: Scanned, personality: str) -> None:
    found = ids(scanned.findings[personality], "exposure")
    assert found == EXPECTED[personality], personality  # present where exhibited, absent everywhere else


def test_cloud_findings_carry_the_device_evidence_and_sources(scanned: Scanned) -> None:
    for personality, service, rule in (("hikvision-hikconnect-ipc", "hik-connect", "cloud.isapi.ezviz-enabled"),
                                       ("amcrest-p2p-ipc", "dahua-p2p", "cloud.dahua.t2userver-enabled")):
        finding = next(f for f in scanned.findings[personality] if f.id == f"cloud-{service}")
        assert finding.certainty == "certain" and finding.status == "present"
        assert any(rule in e for e in finding.evidence), finding.evidence
        assert finding.sources and all(s.url.startswith(("https://", "http://")) for s in finding.sources)
    assert "easy4ipcloud.com" in next(f.detail for f in scanned.findings["amcrest-p2p-ipc"]
                                      if f.id == "cloud-dahua-p2p")


def test_support_for_a_cloud_is_not_the_cloud_enabled(scanned: Scanned) -> None:
    # the face camera's capability document says isSupportEZVIZ true, but it serves no EZVIZ setting
    assert scanned.by_personality["hikvision-face-ipc"].cloud == ()


def _identity(address: str, ports: tuple[int, ...] = ()) -> Identity:
    return Identity(device=address, ids=(), address=address, manufacturer=None, brand=None, model=None,
                    firmware=None, device_type=None, confidence=0.0, evidence=(), open_ports=ports)


def test_public_address_only_for_globally_routable_addresses() -> None:
    exposure = Exposure()
    assert {f.id for f in exposure.assess(_identity("8.8.8.8"))} == {"public-address"}
    for private in ("10.1.2.3", "192.168.0.10", "127.95.0.1", "192.0.2.7", "100.64.0.1", "fe80::1"):
        assert exposure.assess(_identity(private)) == [], private


def test_telnet_is_only_ever_connected_to(tmp_path: Path) -> None:
    from camaudit.collect.scanner import DEFAULT_PORTS

    assert DEFAULT_PORTS[23] == "open"  # connect only: no telnet protocol is spoken
