"""The evaluation corpus shares no distinctive line with anything identification is built from.

Material checked: every knowledge and fingerprint file (rules, model grammars and their verbatim examples),
everything the emulated fleet serves (recordings, personalities), and every test and fixture outside
tests/evaluation (the hard negatives included). See kept_apart.py for what "distinctive" means.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.evaluation.kept_apart import distinctive_lines, is_distinctive, lines_of, normalise

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "corpus"
PACKAGE = ROOT / "src" / "camaudit"
TEXT_SUFFIXES = {".yaml", ".yml", ".json", ".jsonl", ".ndjson", ".xml", ".txt", ".log", ".csv", ".py", ".md", ".sdp"}


def _material_files() -> list[Path]:
    files = [p for folder in ("data", "simulate") for p in sorted((PACKAGE / folder).rglob("*"))
             if p.is_file() and p.suffix in TEXT_SUFFIXES]
    for path in sorted((ROOT / "tests").rglob("*")):
        if path.is_file() and path.suffix in TEXT_SUFFIXES and CORPUS.parent not in path.parents:
            files.append(path)
    return files


def _corpus() -> list[dict[str, object]]:
    return [json.loads(line) for path in sorted(CORPUS.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def material() -> dict[str, str]:
    """Each distinctive line of the material, with the first file that holds it."""
    where: dict[str, str] = {}
    for path in _material_files():
        for line in distinctive_lines([path.read_text(encoding="utf-8", errors="replace")]):
            where.setdefault(line, str(path.relative_to(ROOT)))
    return where


def test_the_corpus_is_large_and_sourced() -> None:
    items = _corpus()
    assert len(items) >= 300
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "item ids are unique"
    for item in items:
        assert str(item["source"]).startswith("https://"), item["id"]
        assert isinstance(item["truth"], dict) and "manufacturer" in item["truth"], item["id"]


def test_no_evaluation_item_shares_a_distinctive_line_with_the_material(material: dict[str, str]) -> None:
    shared = []
    for item in _corpus():
        for line in distinctive_lines([str(item["response"])]):
            if line in material:
                shared.append(f"{item['id']}: {line[:80]!r} is also in {material[line]}")
    assert not shared, "evaluation items seen by the material:\n" + "\n".join(shared)


def test_distinctive_means_long_and_not_boilerplate() -> None:
    assert is_distinctive(normalise("Server: Rtsp Server 1920*1080*20*2048"))
    assert is_distinctive(normalise("s=Session streamed by \"TP-LINK RTSP Server\""))
    assert not is_distinctive(normalise("Content-Type: text/html; charset=utf-8"))
    assert not is_distinctive(normalise("a=rtpmap:96 H264/90000"))
    assert not is_distinctive(normalise('<?xml version="1.0" encoding="UTF-8"?>'))
    assert not is_distinctive(normalise("Server: Boa"))  # short: every Boa server says it
    # a header's value alone is a line too, so a rule example holding only the value is caught
    assert "dnvrs-webs/1.0 and twenty more chars" in set(lines_of("Server: DNVRS-Webs/1.0 and twenty more chars"))
    assert "x" not in set(lines_of("a\\r\\nb"))
