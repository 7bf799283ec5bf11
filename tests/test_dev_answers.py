"""The development answers of tests/fixtures/dev_answers/ (RTSP answers and telnet greetings from public issue
threads and nmap-service-probes, each with its source): never a wrong maker, never Hikvision or Dahua for another
maker's device, and nothing named from an answer that names no maker (generic servers, SDK banners, bare login
prompts, a clone's SDP)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from camaudit.identify.pipeline import Identifier
from camaudit.knowledge.brands import normalise
from camaudit.model import Observation

FIXTURE = Path(__file__).parent / "fixtures" / "dev_answers" / "rtsp_telnet.jsonl"
ITEMS = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
IDENTIFIER = Identifier.default()
COVERED = ("hikvision", "dahua")


def _maker(item: dict[str, Any]) -> str:
    obs = Observation(id=item["id"], protocol=item["protocol"], response=item["response"], device=item["id"])
    (identity,) = IDENTIFIER.identify_all([obs])
    brands = IDENTIFIER.brands
    return normalise(brands.canonical(identity.manufacturer)) if identity.manufacturer else ""


def test_every_item_is_sourced() -> None:
    assert len(ITEMS) >= 80
    for item in ITEMS:
        assert item["source"].startswith("https://"), item["id"]
        assert item["protocol"] in ("rtsp", "telnet_banner", "other"), item["id"]


@pytest.mark.parametrize("item", ITEMS, ids=[item["id"] for item in ITEMS])
def test_no_wrong_maker(item: dict[str, Any]) -> None:
    got = _maker(item)
    want = normalise(IDENTIFIER.brands.canonical(item["truth"])) if item.get("truth") else ""
    if item.get("expect") == "none" or not want:
        assert got == "", (item["id"], got)
    else:
        assert got in ("", want), (item["id"], got, want)
    if want not in COVERED:
        assert got not in COVERED, (item["id"], got)


def test_most_makers_are_named() -> None:
    """The answers whose maker the source states and that carry something of the maker's own (not only a generic
    server or an SDK's banner): at least as many named as when the set was written (2026-12-03)."""
    named = sum(1 for item in ITEMS if item.get("truth") and item.get("expect") != "none" and _maker(item))
    assert named >= 35
