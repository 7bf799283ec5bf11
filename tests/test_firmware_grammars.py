"""The firmware grammars are data (data/knowledge/firmware.yaml): every verbatim example parses as its entry
states, every published non-version is refused, and the file is held to its schema and its own rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from camaudit.knowledge.files import KnowledgeError
from camaudit.knowledge.firmware import (
    Example,
    FirmwareError,
    Grammar,
    example_problems,
    firmware_book,
    load_firmware_book,
    maker_key,
    parse_build,
    try_parse,
)
from camaudit.knowledge.validate import file_problems

BOOK = firmware_book()
EXAMPLES = [(g, e) for g in BOOK.grammars.values() for e in g.examples]
REJECTS = [(g.maker, r.text) for g in BOOK.grammars.values() for r in g.rejects]
BUILD_EXAMPLES = [(f.id, text, when) for f in BOOK.build_forms for text, when in f.examples]


def test_the_shipped_grammars() -> None:
    assert list(BOOK.grammars) == ["Hikvision", "Dahua"]
    for grammar in BOOK.grammars.values():
        assert grammar.sources and grammar.checked and len(grammar.examples) >= 3
        assert all(e.source for e in grammar.examples)


@pytest.mark.parametrize(("grammar", "example"), EXAMPLES, ids=lambda x: x.text if isinstance(x, Example) else "")
def test_every_example_parses_as_stated(grammar: Grammar, example: Example) -> None:
    version, reason = try_parse(grammar.maker, example.text, example.build_apart)
    assert version is not None, reason
    assert version.maker == grammar.maker
    assert version.numbers == example.numbers
    if example.states_build:
        assert version.build == example.build
    if example.oem is not None:
        assert version.oem == example.oem
    if example.release is not None:
        assert version.release == example.release
    if example.family is not None:
        assert version.family == (grammar.maker, *example.family)
    if example.version is not None:
        assert version.version == example.version


@pytest.mark.parametrize(("maker", "text"), REJECTS)
def test_every_reject_is_refused(maker: str, text: str) -> None:
    version, reason = try_parse(maker, text)
    assert version is None and reason


@pytest.mark.parametrize(("form", "text", "when"), BUILD_EXAMPLES)
def test_every_build_date_example_reads(form: str, text: str, when: date) -> None:
    found = next(f for f in BOOK.build_forms if f.id == form)
    assert found.read(text) == when
    assert parse_build(found.makers[0] if found.makers else "Dahua", text) == when


def test_the_checker_kb_validate_runs_finds_nothing_in_the_shipped_file() -> None:
    assert example_problems() == []


def test_a_form_limited_to_a_maker_is_not_used_for_another() -> None:
    assert parse_build("Hikvision", "build 240826") == date(2024, 8, 26)
    with pytest.raises(FirmwareError, match="neither YYMMDD after 'build' nor YYYY-MM-DD"):
        parse_build("Dahua", "build 240826")


def test_maker_names_as_sources_write_them() -> None:
    assert maker_key("HIKVISION") == "Hikvision"
    assert maker_key("Hikvision Digital Technology Co., Ltd.") == "Hikvision"
    assert maker_key("Dahua Technology") == "Dahua"
    assert maker_key("Axis") is None


GRAMMAR = """grammars:
  - maker: {maker}
    pattern: '^(?P<a>\\d+)\\.(?P<b>\\d+)$'
    expected: "<a>.<b>"
    numbers: [{{group: a}}, {{group: b}}]
    family: {{numbers: 1}}
    shown: ["{{n0}}.{{n1}}"]
    sources: [https://example.org/firmware]
    checked: 2026-12-02
    examples:
      - {{text: "1.2", source: https://example.org/firmware, numbers: {numbers}}}
"""


def _user(tmp_path: Path, text: str) -> list[Path]:
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "firmware-x.yaml").write_text(text)
    return [tmp_path]


def test_a_user_grammar_is_read_and_its_examples_checked(tmp_path: Path) -> None:
    book = load_firmware_book(_user(tmp_path, GRAMMAR.format(maker="Axis", numbers="[1, 2]")))
    assert list(book.grammars) == ["Hikvision", "Dahua", "Axis"]
    version = book.parse_strict("AXIS", "9.80")
    assert (version.numbers, version.family, version.version) == ((9, 80), ("Axis", 9), "9.80")
    assert example_problems(book) == []


def test_a_wrong_example_is_reported(tmp_path: Path) -> None:
    book = load_firmware_book(_user(tmp_path, GRAMMAR.format(maker="Axis", numbers="[1, 3]")))
    assert example_problems(book) == ["Axis example '1.2': numbers is (1, 2), not (1, 3)"]


def test_a_second_grammar_for_a_maker_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="Hikvision already has a firmware grammar"):
        load_firmware_book(_user(tmp_path, GRAMMAR.format(maker="Hikvision", numbers="[1, 2]")))


def test_a_maker_outside_the_catalogue_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="not a maker in the catalogue"):
        load_firmware_book(_user(tmp_path, GRAMMAR.format(maker="Nobody Such", numbers="[1, 2]")))


def test_a_number_group_the_pattern_lacks_is_an_error(tmp_path: Path) -> None:
    text = GRAMMAR.format(maker="Axis", numbers="[1, 2]").replace("{group: b}", "{group: c}")
    with pytest.raises(KnowledgeError, match="names the group 'c'"):
        load_firmware_book(_user(tmp_path, text))


def test_an_unknown_key_is_rejected(tmp_path: Path) -> None:
    text = GRAMMAR.format(maker="Axis", numbers="[1, 2]").replace("    pattern:", "    patern: x\n    pattern:")
    found = [p for p in file_problems(_user(tmp_path, text)) if "firmware-x.yaml" in p]
    assert found and "'patern'" in found[0] and "grammars" in found[0], found
