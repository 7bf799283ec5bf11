"""The IEEE registry: MA-L from aiooui, MA-M/MA-S from a system copy, longest prefix first, and the
registrant -> maker map in makers.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from camaudit.identify.engine import oui_evidence
from camaudit.knowledge.brands import load_brandbook
from camaudit.knowledge.files import KnowledgeError
from camaudit.knowledge.makers import load_makers
from camaudit.knowledge.oui import default_registry, load_registry, parse_prefix

REGISTRY = default_registry()
ALL_BLOCKS = list(REGISTRY)
needs_small = pytest.mark.skipif(not REGISTRY.has_small_blocks,
                                 reason="no MA-M/MA-S copy installed (system-deps.sh installs libwireshark-data)")


def _blocks_by_maker() -> dict[str, int]:
    makers = load_makers([])
    counts: dict[str, int] = {}
    for block in ALL_BLOCKS:
        maker = makers.for_registrant(block.registrant)
        if maker is not None:
            counts[maker.name] = counts.get(maker.name, 0) + 1
    return counts


def test_ma_l_comes_from_the_package_not_a_hand_list() -> None:
    assert REGISTRY.counts()["MA-L"] > 30000
    found = REGISTRY.lookup("44:19:B6:12:34:56")
    assert found is not None and found.bits == 24 and "Hikvision" in found.registrant


def test_the_field_scale_block_counts() -> None:
    counts = _blocks_by_maker()
    # the hand list had 82 Hikvision (one in no registry), 27 Dahua, no EZVIZ and 2 Intelbras blocks
    assert counts["Hikvision"] >= 84
    assert counts["Dahua"] >= 31  # both registry spellings of Zhejiang Dahua Technology
    assert counts["EZVIZ"] >= 15
    assert counts["Intelbras"] >= 18


def test_the_registry_is_newer_than_the_research_copies() -> None:
    # CC:13:F3 was in no registry copy the research read (nmap Feb 2026); aiooui's table has it as Hikvision's
    found = load_brandbook([]).oui("CC:13:F3:00:00:01")
    assert found is not None and found.manufacturer == "Hikvision"


@needs_small
def test_ma_m_longest_prefix_wins() -> None:
    # 34:46:63 is the IEEE's own MA-L; its MA-M 34:46:63:2 is Amcrest's, 34:46:63:0 someone else's
    book = load_brandbook([])
    amcrest = book.oui("34:46:63:2A:BC:DE")
    assert amcrest is not None and amcrest.manufacturer == "Amcrest" and amcrest.registry == "MA-M"
    other = book.oui("34:46:63:0A:BC:DE")
    assert other is None or other.manufacturer != "Amcrest"


@needs_small
def test_the_dahua_scale_factory_trap() -> None:
    found = REGISTRY.lookup("40:2C:76:10:00:01")
    assert found is not None and found.registrant == "Shanghai Dahua Scale Factory" and found.bits == 28
    assert load_brandbook([]).oui("40:2C:76:10:00:01") is None


def test_every_listed_registrant_is_in_the_registry() -> None:
    if not REGISTRY.has_small_blocks:
        pytest.skip("no MA-M/MA-S copy: some registrants only hold small blocks")
    names = {b.registrant.casefold() for b in ALL_BLOCKS}
    missing = [(m.name, r) for m in load_makers([]) for r in m.registrants if r.casefold() not in names]
    assert not missing, f"registrants in makers.yaml that no registry copy holds: {missing}"


def test_evidence_names_the_block_and_registry() -> None:
    book = load_brandbook([])
    ev = oui_evidence("r1", "0c:a6:4c:00:00:01", book)  # an EZVIZ MA-L block
    assert ev and ev[0].asserts.get("brand") == "EZVIZ"
    assert "0c:a6:4c registered to Hangzhou Ezviz Software" in ev[0].matched


def test_unassigned_and_junk_addresses() -> None:
    for junk in ("", "zz:zz", "ff:ff:ff:ff:ff:ff", "12345", "0"):
        assert REGISTRY.lookup(junk) is None


def test_user_csv_and_yaml_blocks(tmp_path: Path) -> None:
    (tmp_path / "ieee").mkdir()
    (tmp_path / "ieee" / "mam.csv").write_text(
        "Registry,Assignment,Organization Name,Organization Address\nMA-M,AABBCC1,Acme Vision Ltd,Somewhere\n")
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "makers-mine.yaml").write_text(
        "- maker: Acme Vision\n  registrants: [Acme Vision Ltd]\n  sources: [https://example.org]\n"
        "  checked: 2026-12-02\n")
    (tmp_path / "knowledge" / "oui-mine.yaml").write_text(
        "- manufacturer: Hikvision\n  prefixes: ['DE:AD:BE:E']\n  sources: [https://example.org/mine]\n")
    registry = load_registry([tmp_path])
    found = registry.lookup("AA:BB:CC:1F:00:00")
    assert found is not None and found.registrant == "Acme Vision Ltd" and found.bits == 28
    book = load_brandbook([tmp_path], registry=registry)
    hit = book.oui("AA:BB:CC:1F:00:00")
    assert hit is not None and hit.manufacturer == "Acme Vision"
    mine = book.oui("DE:AD:BE:E0:00:01")
    assert mine is not None and mine.manufacturer == "Hikvision"
    assert book.oui("DE:AD:BE:F0:00:01") is None or book.oui("DE:AD:BE:F0:00:01").manufacturer != "Hikvision"


def test_a_broken_registry_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "ieee").mkdir()
    (tmp_path / "ieee" / "oui36.csv").write_text("Registry,Assignment,Organization Name\nMA-S,XYZ,Bad\n")
    with pytest.raises(KnowledgeError, match=r"oui36\.csv: line 2"):
        load_registry([tmp_path])


@pytest.mark.parametrize(("text", "bits"), [("44:19:B6", 24), ("34-46-63-2", 28), ("70:B3:D5:12:3", 36),
                                             ("34:46:63:20:00:00/28", 28)])
def test_prefix_spellings(text: str, bits: int) -> None:
    assert parse_prefix(text)[1] == bits


@pytest.mark.parametrize("text", ["44:19", "GG:00:00", "44:19:B6/20", "44:19:B6:1/36"])
def test_bad_prefixes(text: str) -> None:
    with pytest.raises(ValueError):
        parse_prefix(text)
