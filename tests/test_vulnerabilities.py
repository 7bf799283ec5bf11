"""Vulnerability knowledge and findings, on model names and firmware from the recordings and advisories."""

from __future__ import annotations

from pathlib import Path

import pytest

from camaudit.assess.vulnerabilities import Vulnerabilities, match_model, pattern_regex
from camaudit.knowledge.files import KnowledgeError
from camaudit.knowledge.vulnerabilities import Advisory, Kev, load_file, load_vulnerabilities
from camaudit.model import Evidence, Identity

REQUIRED = {"CVE-2021-36260", "CVE-2017-7921", "CVE-2021-33044", "CVE-2021-33045", "CVE-2023-28808",
            "CVE-2022-30563"}


@pytest.fixture(scope="module")
def advisories() -> dict[str, Advisory]:
    return {a.id: a for a in load_vulnerabilities(extra=[])}


def identity(maker: str | None, model: str | None, firmware: str | None, device_type: str = "IP Camera",
             device: str = "d1") -> Identity:
    evidence = (Evidence("r1", "test.rule", {"manufacturer": maker or "", "model": model or ""}, model or "", 0.9,
                         "https://example.invalid/rule"),)
    return Identity(device=device, ids=("r1",), address="127.0.0.1", manufacturer=maker, brand=maker, model=model,
                    firmware=firmware, device_type=device_type, confidence=0.9, evidence=evidence,
                    manufacturer_basis="fingerprint")


def test_required_advisories_load_with_sources(advisories: dict[str, Advisory]) -> None:
    assert set(advisories) >= REQUIRED
    for a in advisories.values():
        assert a.sources and a.checked and a.fix
    for ident in REQUIRED:  # hand-checked in vulnerabilities.yaml
        assert advisories[ident].checked == "2026-11-25"
    assert advisories["CVE-2021-36260"].kev is not None and advisories["CVE-2021-36260"].kev.date_added == "2022-01-10"
    assert advisories["CVE-2021-33044"].kev is not None and advisories["CVE-2021-33044"].kev.date_added == "2024-08-21"
    assert advisories["CVE-2023-28808"].kev is None
    assert advisories["CVE-2023-28808"].cvss is not None and advisories["CVE-2023-28808"].cvss.score == 9.1
    assert advisories["CVE-2022-30563"].severity == "unknown"


@pytest.mark.parametrize(
    ("maker", "pattern", "model", "expected"),
    [
        # Dahua models from the recordings
        ("Dahua", "IPC-HX5XXX", "IPC-HDW5421S", True),  # dahua-ipc-hdw5421s-dhip-notifydevinfo
        ("Dahua", "IPC-HX3XXX", "IPC-HDW5421S", False),
        ("Dahua", "IPC-HX3XXX", "IPC-HDW1431T1-S4", False),  # dahua-ipc-hdw1431t1-s4
        ("Dahua", "IPC-HX3XXX", "IPC-HDW1025C", False),
        ("Dahua", "IPC-HX3XXX", "IPC-C22C", False),  # Imou, imou-ipc-c22c-dahuaconsole-device
        ("Dahua", "XVR5xxx", "XVR5108C-X", True),  # dahua-xvr5108c-getsysteminfo
        ("Dahua", "XVR4xxx", "XVR5108C-X", False),
        ("Dahua", "NVR5XXX", "XVR5108C-X", False),
        ("Dahua", "IPC-HDBW2XXX", "IPC-HDW1431T1-S4", False),
        # Dahua model names as Dahua publishes them (brand prefix, housing codes)
        ("Dahua", "IPC-HX3XXX", "DH-IPC-HDBW3441R-ZS", True),
        ("Dahua", "IPC-HX3XXX", "IPC-HFW3249T1-AS-PV", True),
        ("Dahua", "IPCHDBW2XXX", "IPC-HDBW2431R-ZS", True),  # CVE-2022-30563 writes it without hyphens
        ("Dahua", "SD49", "DH-SD49225XA-HNR", True),
        ("Dahua", "VTH542XH", "VTH5421H", True),
        ("Dahua", "MHDX", "MHDX 1016", True),  # Intelbras recording: spaces ignored
        # Hikvision models of the recordings and of later lines: none is in the CVE-2017-7921 series
        ("Hikvision", "DS-2CD2xx2F-I", "DS-2CD2366G2-ISU/SL", False),  # hik-ds2cd2366g2-isu-sl-isapi-deviceinfo
        ("Hikvision", "DS-2CD2xx2F-I", "DS-2CD2386G2-IU", False),  # a G2 model (DS-2CD23x6G2 line)
        ("Hikvision", "DS-2CD2xx0F-I", "DS-2CD2443G0-IW", False),  # a G0 model
        ("Hikvision", "DS-2CD2xx2F-I", "DS-2CD1148-I/B", False),  # hik-ds2cd1148-rtsp-describe-401
        ("Hikvision", "DS-2DFx", "DS-2SC3Q140MY-TE", False),  # hik-ds2sc3q140my-te-isapi-deviceinfo
        ("Hikvision", "DS-2CD4xx5", "DS-7616NI-K2", False),
        # Hikvision models of the published series (names from Hikvision's catalogue)
        ("Hikvision", "DS-2CD2xx2F-I", "DS-2CD2132F-IWS", True),
        ("Hikvision", "DS-2CD2xx2F-I", "DS-2CD2142FWD-I", False),  # FWD is its own series
        ("Hikvision", "DS-2CD2xx2FWD", "DS-2CD2142FWD-I", True),
        ("Hikvision", "DS-2CD4x2xFWD", "DS-2CD4A26FWD-IZS", True),  # x standing for a letter
        ("Hikvision", "DS-2DFx", "DS-2DF8223I-AEL", True),
    ],
)
def test_pattern_translation(maker: str, pattern: str, model: str, expected: bool) -> None:
    from camaudit.assess.vulnerabilities import normalise_model

    assert bool(pattern_regex(maker, pattern).match(normalise_model(maker, model))) is expected


def test_exact_patterns_keep_product_lines_apart(advisories: dict[str, Advisory]) -> None:
    san = advisories["CVE-2023-28808"]
    assert [m.pattern for m in match_model(san, "DS-A71024R")] == ["DS-A71024R"]
    assert [m.pattern for m in match_model(san, "DS-A71024R-CVS")] == ["DS-A71024R-CVS"]
    assert match_model(san, "DS-A71024RX") == []


def test_affected_certain_when_model_and_firmware_match(advisories: dict[str, Advisory]) -> None:
    a = Vulnerabilities([advisories["CVE-2017-7921"]], kev={})
    [f] = a.assess(identity("Hikvision", "DS-2CD2132F-IS", "V5.3.0 build 150327"))
    assert (f.kind, f.id, f.status, f.certainty, f.severity) == (
        "vulnerability", "CVE-2017-7921", "affected", "certain", "critical")
    assert "DS-2CD2xx2F-I" in f.detail and "V5.4.0 build 160530" in f.detail
    assert "2026-03-05" in f.detail and "Fix:" in f.detail
    assert f.sources and f.evidence


def test_firmware_outside_range_is_not_affected_with_the_reason(advisories: dict[str, Advisory]) -> None:
    a = Vulnerabilities([advisories["CVE-2017-7921"]], kev={})
    [past] = a.assess(identity("Hikvision", "DS-2CD2132F-IS", "V5.4.5 build 170123"))
    assert (past.status, past.certainty) == ("not-affected", "certain")
    assert "DS-2CD2xx2F-I" in past.detail
    assert "V5.4.5 build 170123 is above the last affected version V5.4.0 build 160530" in past.detail
    assert "Fix:" not in past.detail  # nothing to fix; the record and its scores are still named
    assert past.facts["record"].endswith("CVE-2017-7921.json")
    [before] = a.assess(identity("Hikvision", "DS-2CD2132F-IS", "V5.1.0 build 140101"))
    assert before.status == "not-affected" and "below the first affected version" in before.detail
    # only advisories whose model pattern matched are judged: another model gets nothing
    assert a.assess(identity("Hikvision", "DS-2CD2386G2-IU", "V5.7.18 build 240826")) == []


def test_firmware_on_another_line_than_the_bound_gives_nothing(advisories: dict[str, Advisory]) -> None:
    # CVE-2019-3948 names IP2M-841B only on V3.216.0000006.0.R; a 2.420 firmware is neither inside nor outside
    a = Vulnerabilities([advisories["CVE-2019-3948"]], kev={})
    assert a.assess(identity("Dahua", "IP2M-841B", "2.420.AC00.15.R")) == []


def test_possibly_affected_when_firmware_unknown_or_undecidable(advisories: dict[str, Advisory]) -> None:
    a = Vulnerabilities([advisories["CVE-2017-7921"]], kev={})
    [f] = a.assess(identity("Hikvision", "DS-2CD2132F-IS", None))
    assert (f.status, f.certainty) == ("possibly-affected", "probable")
    assert "firmware cannot be checked" in f.detail
    [g] = a.assess(identity("Hikvision", "DS-2CD2132F-IS", "V5.4.0"))  # same version as the bound, no build
    assert (g.status, g.certainty) == ("possibly-affected", "probable")
    assert "build date is unknown" in g.detail


def test_dahua_recorded_camera_is_possibly_affected(advisories: dict[str, Advisory]) -> None:
    # dahua-ipc-hdw5421s-dhip-notifydevinfo: IPC-HDW5421S, firmware 2.400.0.8 without a build date
    a = Vulnerabilities([advisories["CVE-2021-33044"], advisories["CVE-2022-30563"]], kev={})
    [f] = a.assess(identity("Dahua", "IPC-HDW5421S", "2.400.0.8"))
    assert (f.id, f.status, f.certainty) == ("CVE-2021-33044", "possibly-affected", "probable")
    assert "IPC-HX5XXX" in f.detail and "2021-06-01" in f.detail


def test_dahua_build_date_decides(advisories: dict[str, Advisory]) -> None:
    a = Vulnerabilities([advisories["CVE-2021-33044"]], kev={})
    [f] = a.assess(identity("Dahua", "IPC-HDW5421S", "2.400.0.8, build: 2020-11-02"))
    assert (f.status, f.certainty) == ("affected", "certain")
    [later] = a.assess(identity("Dahua", "IPC-HDW5421S", "2.400.0.8, build: 2021-07-15"))
    assert later.status == "not-affected" and "not before 2021-06-01" in later.detail


def test_ambiguous_group_is_never_more_than_possible(advisories: dict[str, Advisory]) -> None:
    a = Vulnerabilities([advisories["CVE-2021-33045"]], kev={})
    [f] = a.assess(identity("Dahua", "NVR5208-8P-4KS2E", "4.001.0000000.0.R, build: 2018-01-01", "NVR"))
    assert (f.status, f.certainty) == ("possibly-affected", "probable")
    [x] = a.assess(identity("Dahua", "XVR5108C-X", "4.001.0000000.0.R, build: 2019-05-20", "DVR"))
    assert (x.status, x.certainty) == ("affected", "certain")


def test_no_finding_for_other_makers_or_missing_model(advisories: dict[str, Advisory]) -> None:
    a = Vulnerabilities(list(advisories.values()), kev={})
    assert a.assess(identity("Axis", "M1065-LW", "9.80.1")) == []
    assert a.assess(identity(None, "IPC-HDW5421S", "2.400.0.8")) == []
    # a Hikvision-pattern model on a Dahua device (and the reverse) never matches the other's advisories
    assert all(f.id not in {"CVE-2017-7921", "CVE-2023-28808", "CVE-2021-36260"}
               for f in a.assess(identity("Dahua", "DS-2CD2132F-IS", "2.400.0.8")))
    assert all(f.id.startswith("CVE-20") and f.id not in {"CVE-2021-33044", "CVE-2021-33045", "CVE-2022-30563"}
               for f in a.assess(identity("Hikvision", "IPC-HDW5421S", "V5.5.0")))
    assert Vulnerabilities([advisories["CVE-2021-33044"]], kev={}).assess(identity("Dahua", None, None)) == []


def test_unlisted_models_advisory(advisories: dict[str, Advisory]) -> None:
    a = Vulnerabilities([advisories["CVE-2021-36260"]], kev={})
    # a DS-2CD2443G0-IW on V5.6.5 build 200316, before the first fixed builds
    [f] = a.assess(identity("Hikvision", "DS-2CD2443G0-IW", "V5.6.5 build 200316"))
    assert (f.status, f.certainty, f.severity) == ("possibly-affected", "unknown", "critical")
    # a DS-2CD2386G2-IU on V5.7.18 build 240826 is not ruled in
    assert a.assess(identity("Hikvision", "DS-2CD2386G2-IU", "V5.7.18 build 240826")) == []
    # no build date: cannot be ruled out
    [g] = a.assess(identity("Hikvision", "DS-2CD2386G2-IU", "V5.7.18"))
    assert g.certainty == "unknown" and "cannot be ruled out" in g.detail
    # device types the advisory does not cover
    assert a.assess(identity("Hikvision", "DS-KV8213-WME1(C)", "V2.2.77 build 240515", "Intercom")) == []


def test_kev_feed_refreshes_date(advisories: dict[str, Advisory]) -> None:
    kev = {"CVE-2023-28808": Kev("2030-01-02", "2030-01-23", "Unknown", "/kb/knowledge/kev.yaml")}
    a = Vulnerabilities([advisories["CVE-2023-28808"]], kev=kev)
    [f] = a.assess(identity("Hikvision", "DS-A80624S", "V2.3.8-8", "Storage"))
    assert f.status == "affected"
    assert "2030-01-02" in f.detail and any(s.url == "/kb/knowledge/kev.yaml" for s in f.sources)
    [later] = Vulnerabilities([advisories["CVE-2023-28808"]], kev={}).assess(
        identity("Hikvision", "DS-A80624S", "V2.3.9", "Storage"))
    assert later.status == "not-affected"


BAD_ENTRY = """
- id: CVE-2099-0001
  vendor: Hikvision
  title: test
  affected:
    - published: x
      models: [DS-2CD2xx2F-I]
      to: {to}
  fix: update
  sources: [https://example.invalid/a]
  checked: 2026-11-25
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BAD_ENTRY.format(to="V2.X"), "'to' bound cannot be read"),
        (BAD_ENTRY.format(to="V5.4.0").replace("CVE-2099-0001", "HSRC-1"), "must be a CVE id"),
        (BAD_ENTRY.format(to="V5.4.0").replace("  sources: [https://example.invalid/a]\n", ""), "source"),
        (BAD_ENTRY.format(to="V5.4.0").replace("models: [DS-2CD2xx2F-I]", "models: []"), "model patterns"),
        (BAD_ENTRY.format(to="V5.4.0").replace("vendor: Hikvision", "vendor: Axis"), "no firmware grammar"),
    ],
)
def test_validation_errors_name_file_and_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "vulnerabilities-test.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        load_file(path)
    assert "vulnerabilities-test.yaml entry 1" in str(err.value)
    assert message in str(err.value)


def test_user_folder_adds_advisories(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "vulnerabilities-local.yaml").write_text(BAD_ENTRY.format(to="V5.4.0"), encoding="utf-8")
    ids = {a.id for a in load_vulnerabilities(extra=[tmp_path])}
    assert "CVE-2099-0001" in ids and ids >= REQUIRED


def test_kev_listing_is_a_structured_fact_of_the_finding() -> None:
    """Reports and the plan read the KEV date from the finding's facts, never from its wording."""
    from camaudit.assess.vulnerabilities import Vulnerabilities
    from camaudit.identify.pipeline import Identifier
    from camaudit.model import Observation
    from camaudit.simulate.recordings import load_recordings

    rec = load_recordings()["dahua-ipc-hdw5421s-dhip-notifydevinfo"]
    identity = Identifier.default().identify_device("d", [Observation(id="r", protocol="dhip", response=rec.response)])
    found = {f.id: f for f in Vulnerabilities().assess(identity)}
    assert found["CVE-2021-33044"].facts["kev_date"] == "2024-08-21"
