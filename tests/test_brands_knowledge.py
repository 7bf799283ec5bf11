"""brands.yaml and regimes.yaml keys take effect: time-bounded labels, includes_affiliates, covered:, and the
schema check that rejects unknown keys in every knowledge and fingerprint file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from camaudit.assess.restrictions import Restrictions
from camaudit.identify.merge import merge
from camaudit.knowledge.brands import load_brandbook
from camaudit.knowledge.files import KnowledgeError
from camaudit.knowledge.fingerprints import load_rulebook
from camaudit.knowledge.regimes import brand_problems, check_brands, load_regimes
from camaudit.knowledge.validate import file_problems
from camaudit.model import Evidence, Identity

BOOK = load_brandbook([])
REGIMES = {r.id: r for r in load_regimes()}
RESEARCH = Path("/work/shared/research/oem.md")


def _label_only(brand: str, manufacturer: str, rule: str = "brand.x") -> Identity:
    entry = BOOK.brand(brand)
    assert entry is not None
    return Identity(
        device="d", ids=("r1",), address="192.0.2.1", manufacturer=manufacturer, brand=brand, model=None,
        firmware=None, device_type=None, confidence=entry.confidence, manufacturer_basis="brand",
        evidence=(Evidence(record="r1", rule=rule, asserts={"manufacturer": manufacturer}, matched=brand,
                           confidence=entry.confidence, source="https://example.org"),),
    )


def _finding(identity: Identity, regime: str) -> tuple[str, str, str]:
    found = Restrictions([REGIMES[regime]], BOOK).assess(identity)[0]
    return found.status, found.certainty, found.detail


@pytest.mark.parametrize(("brand", "maker", "when"), [
    ("Lorex", "Dahua", "2022-11-24"),
    ("IndigoVision", "Dahua", "2021-04"),
    ("Honeywell Performance Series", "Dahua", "2022-04"),
])
def test_a_time_bounded_label_is_probable_with_its_dates(brand: str, maker: str, when: str) -> None:
    entry = BOOK.brand(brand)
    assert entry is not None and entry.bounded and entry.confidence <= 0.5
    status, certainty, detail = _finding(_label_only(brand, maker), "us-ndaa-889")
    assert (status, certainty) == ("covered", "probable")
    assert when in detail and "not conclusive" in detail


def test_the_label_evidence_carries_the_caveat() -> None:
    label = Evidence(record="r1", rule="register.label", asserts={"brand": "Lorex"}, matched="Lorex",
                     confidence=0.9, source="https://example.org")
    identity = merge("d", [], [label], BOOK)
    assert identity.manufacturer == "Dahua" and identity.confidence <= 0.5
    brand_ev = next(e for e in identity.evidence if e.rule.startswith("brand."))
    assert "2022-11-24" in brand_ev.matched and "Skywatch" in brand_ev.matched


def test_a_lasting_own_brand_is_not_bounded() -> None:
    hilook = BOOK.brand("HiLook")
    assert hilook is not None and not hilook.bounded and hilook.caveat() == ""


@pytest.mark.parametrize("brand", ["Swann", "ABUS", "Honeywell", "Digital Watchdog", "Godrej", "Luminys"])
def test_disputed_or_unestablished_labels_name_no_maker(brand: str) -> None:
    entry = BOOK.brand(brand)
    assert entry is not None and entry.manufacturer is None
    label = Evidence(record="r1", rule="register.label", asserts={"brand": brand}, matched=brand,
                     confidence=0.9, source="https://example.org")
    assert merge("d", [], [label], BOOK).manufacturer is None


def test_ezviz_is_not_covered_where_affiliates_are_excluded() -> None:
    ezviz = _label_only("EZVIZ", "Hikvision")
    assert _finding(ezviz, "us-bis-entity-list-2019")[:2] == ("not-covered", "probable")
    assert "subsidiaries or affiliates" in _finding(ezviz, "us-bis-entity-list-2019")[2]
    assert _finding(ezviz, "us-ndaa-889")[0] == "covered"  # NDAA s.889 names affiliates too


def test_an_oem_label_stays_covered_where_affiliates_are_excluded() -> None:
    # Annke relabels Hikvision's own products: the named entity made them
    assert _finding(_label_only("Annke", "Hikvision"), "us-bis-entity-list-2019")[0] == "covered"


def test_covered_must_agree_with_the_reference_regime(tmp_path: Path) -> None:
    assert brand_problems(BOOK.brands, REGIMES.values()) == []
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "brands-mine.yaml").write_text(
        "- brand: Acme Cam\n  manufacturer: Hikvision\n  relationship: oem\n  covered: false\n"
        "  sources: [https://example.org]\n")
    mine = load_brandbook([tmp_path])
    with pytest.raises(KnowledgeError, match=r"Acme Cam: 'covered: false' but us-ndaa-889 names Hikvision"):
        check_brands(mine.brands, REGIMES.values())


def test_every_label_in_the_research_notes_is_in_brands_yaml() -> None:
    if not RESEARCH.is_file():
        pytest.skip("shared research notes not present")
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \|", RESEARCH.read_text(encoding="utf-8"), re.MULTILINE)
    missing = []
    for _n, cell in rows:
        for label in re.split(r",|/|→", re.sub(r"\([^)]*\)", "", cell)):  # "Luma (SnapAV)" -> "Luma"
            label = label.strip(' *"')
            if label and BOOK.brand(label) is None and BOOK.makers.resolve(label) is None:
                missing.append(label)
    assert len(rows) >= 50
    assert not missing, missing


@pytest.mark.parametrize(("name", "text", "key"), [
    ("brands-x.yaml", "- brand: Foo\n  colour: red\n  sources: [https://example.org]\n", "colour"),
    ("makers-x.yaml", "- maker: Foo\n  sizes: 3\n  sources: [https://example.org]\n  checked: 2026-12-02\n",
     "sizes"),
    ("regimes-x.yaml", "- id: x\n  name: X\n  covers: [{manufacturer: Hikvision, affiliates: true}]\n"
     "  sources: [https://example.org]\n", "affiliates"),
    ("cloud-x.yaml", "- id: x\n  name: X\n  domian: [x.example]\n  sources: [https://example.org]\n", "domian"),
    ("oui-x.yaml", "- manufacturer: Foo\n  prefixes: ['00:11:22']\n  sources: [https://example.org]\n"
     "  note: x\n", "note"),
    ("vulnerabilities-x.yaml", "- id: CVE-1\n  vendor: X\n  sources: [https://example.org]\n  severity: 9\n",
     "severity"),
])
def test_an_unknown_key_is_rejected_naming_file_entry_and_key(tmp_path: Path, name: str, text: str,
                                                               key: str) -> None:
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / name).write_text(text)
    found = [p for p in file_problems([tmp_path]) if name in p]
    assert found and f"'{key}'" in found[0] and "entry 1" in found[0], found


def test_an_unknown_key_in_a_fingerprint_file_stops_the_load(tmp_path: Path) -> None:
    path = tmp_path / "extra.yaml"
    path.write_text("kind: rtsp\nrules:\n  - id: x.y\n    part: raw\n    pattern: 'x'\n"
                    "    asserts: {manufacturer: X}\n    confidnce: 0.9\n    source: https://example.org\n"
                    "    checked: 2026-12-02\n    examples: [{value: x, yields: {manufacturer: X}}]\n")
    with pytest.raises(KnowledgeError, match=r"extra\.yaml: rules\[1\] \(x\.y\): unknown key 'confidnce'"):
        load_rulebook([path])


def test_the_packaged_files_pass() -> None:
    assert file_problems([]) == []
