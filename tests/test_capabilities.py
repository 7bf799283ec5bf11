"""Capability findings on the emulated case fleet, and the capability/cloud vocabulary of the rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from camaudit.assess.capabilities import Capabilities, model_reports
from camaudit.knowledge.capabilities import CAPABILITIES, load_capability_book
from camaudit.knowledge.cloud import load_cloud_services, service_for_name
from camaudit.knowledge.fingerprints import load_rulebook
from tests.case_fleet import Scanned, scan_cases

EXPECTED = {
    # (capability, certainty)
    "hikvision-face-ipc": {("face-detection", "certain"), ("face-capture", "certain"),
                           ("face-recognition", "certain"), ("people-counting", "certain")},
    "hikvision-hikconnect-ipc": {("audio-capture", "certain")},
    "amcrest-p2p-ipc": set(),
    "dahua-race-analytics-ipc": {("ethnicity-classification", "probable"), ("demographic-attributes", "probable"),
                                 ("face-recognition", "probable")},
    "hikvision-telnet-ipc": set(),
    "axis-camera": set(),
    "nginx-server": set(),
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    yield from scan_cases(tmp_path_factory.mktemp("capabilities"))


@pytest.mark.parametrize("personality", sorted(EXPECTED))
def test_exactly_the_expected_capabilities(scanned: Scanned, personality: str) -> None:
    found = {(f.id, f.certainty) for f in scanned.findings[personality] if f.kind == "capability"}
    assert found == EXPECTED[personality], personality


def test_device_capabilities_cite_the_rule_and_the_law(scanned: Scanned) -> None:
    face = next(f for f in scanned.findings["hikvision-face-ipc"] if f.id == "face-recognition")
    assert face.status == "supported" and face.severity == "high"
    assert any("cap.isapi.face-contrast" in e or "cap.isapi.face-lib" in e for e in face.evidence)
    assert "Article 9(1)" in face.detail
    assert any("eur-lex.europa.eu/eli/reg/2016/679" in s.url for s in face.sources)


def test_ethnicity_from_model_knowledge_quotes_its_source(scanned: Scanned) -> None:
    race = next(f for f in scanned.findings["dahua-race-analytics-ipc"] if f.id == "ethnicity-classification")
    assert race.status == "reported" and race.severity == "critical"
    assert "IPC-HF8249F-FD" in race.detail and "Article 5(1)(g)" in race.detail
    assert any("ipvm.com/reports/dahua-abuse" in s.url for s in race.sources)
    assert any("eur-lex.europa.eu/eli/reg/2024/1689" in s.url for s in race.sources)


def test_model_patterns() -> None:
    book = load_capability_book()
    hik = model_reports(book, "Hikvision", "DS-2CD7A26G0-JM/RX")
    assert [r.id for r, _ in hik] == ["hikvision-ds-2cd7a2xyz-jm-rx"]
    assert model_reports(book, "Hikvision", "DS-2CD2386G2-IU") == []
    assert [r.id for r, _ in model_reports(book, "Dahua", "DH-IPC-HF8249F-FD")] == ["dahua-race-skin-colour-2022"]
    assert model_reports(book, "Dahua", "IPC-HF8249F-FD-X") == []  # exact names only
    assert model_reports(book, "Axis", "IPC-HF8249F-FD") == []


def test_vocabulary_of_capability_and_cloud_rules() -> None:
    clouds = set(load_cloud_services())
    for rule in load_rulebook().rules:
        for example in rule.examples:
            values = {**rule.asserts, **example.yields}
            if "capability" in values:
                assert values["capability"] in CAPABILITIES, rule.id
            if "cloud" in values:
                assert values["cloud"] in clouds, rule.id
    book = load_capability_book()
    assert set(book.meanings) == set(CAPABILITIES)
    for meaning in book.meanings.values():
        assert meaning.sources


def test_cloud_domains_match_dns_names() -> None:
    services = load_cloud_services()
    assert service_for_name("litedev.hik-connect.com", services).id == "hik-connect"  # type: ignore[union-attr]
    assert service_for_name("p2pregister.easy4ipcloud.com.", services).id == "dahua-p2p"  # type: ignore[union-attr]
    assert service_for_name("apiieu.ezvizlife.com", services).id == "hik-connect"  # type: ignore[union-attr]
    assert service_for_name("nothik-connect.com", services) is None
    for service in services.values():
        assert service.sources


def test_no_capability_without_the_document_saying_so() -> None:
    from camaudit.identify.pipeline import Identifier
    from camaudit.model import Observation
    from camaudit.simulate.recordings import load_recordings

    recordings = load_recordings()
    camera = recordings["hik-isapi-system-capabilities-issue191-excerpt"]
    identity = Identifier.default().identify_device("x", [Observation(id="r", protocol="other",
                                                                       response=camera.response)])
    assert identity.capabilities == ()  # every face element there is false
    assert identity.cloud == ()  # isSupportEZVIZ true is support, not an enabled service
    assert Capabilities().assess(identity) == []
    recorder = recordings["hik-recorder-isapi-system-capabilities-audiocap-issue209"]
    identity = Identifier.default().identify_device("y", [Observation(id="r", protocol="other",
                                                                       response=recorder.response)])
    assert identity.capabilities == ("audio-capture",)  # one audio input, nothing else said
    assert [f.id for f in Capabilities().assess(identity)] == ["audio-capture"]
