"""The prefilter never changes an answer: every rule's examples, and every recording, give the same evidence
with and without it; anchors come from the patterns themselves."""

from __future__ import annotations

import re

import pytest

from camaudit.identify.engine import prefilter_for, rule_evidence
from camaudit.identify.prefilter import Prefilter, anchors_of
from camaudit.knowledge.fingerprints import Rule, load_rulebook
from camaudit.model import Observation
from camaudit.simulate.recordings import load_recordings

RULEBOOK = load_rulebook()
EXAMPLES = [(rule, i, ex.value) for rule in RULEBOOK.rules for i, ex in enumerate(rule.examples)]


@pytest.mark.parametrize("item", EXAMPLES, ids=[f"{r.id}[{r.kind}]#{i}" for r, i, _ in EXAMPLES])
def test_every_rule_that_fires_on_an_example_is_a_candidate(item: tuple[Rule, int, str]) -> None:
    rule, _i, value = item
    parts = {rule.part: [value]}
    prefilter = prefilter_for(RULEBOOK, rule.kind)
    candidates = {r.id for r in prefilter.candidates(parts)}
    fired = {r.id for r in RULEBOOK.for_kind(rule.kind) if r.part == rule.part and r.match(value) is not None}
    assert rule.id in fired
    assert fired <= candidates


@pytest.mark.parametrize("rec", list(load_recordings().values()), ids=lambda r: r.id)
def test_every_recording_gives_the_same_evidence_with_and_without_the_prefilter(rec: object) -> None:
    obs = Observation(id="r1", protocol=rec.protocol, response=rec.response)  # type: ignore[attr-defined]
    assert rule_evidence(obs, RULEBOOK, prefilter=True) == rule_evidence(obs, RULEBOOK, prefilter=False)


def test_the_prefilter_skips_rules_whose_anchors_are_absent() -> None:
    prefilter = prefilter_for(RULEBOOK, "http_header")
    assert prefilter.anchored  # most rules have anchors
    parts = {"header:server": ["nginx/1.25.3"], "raw": ["HTTP/1.1 200 OK\r\nServer: nginx/1.25.3\r\n\r\n"]}
    assert len(prefilter.candidates(parts)) < len(RULEBOOK.for_kind("http_header"))


@pytest.mark.parametrize(("pattern", "flags", "anchors"), [
    (r"^App-webs/", 0, {"app-webs/"}),
    (r"Server: (?:DNVRS-Webs|App-webs)\b", 0, {"server: "}),
    (r"^(?:DNVRS-Webs|Hikvision-Webs)$", re.I, {"dnvrs-webs", "hikvision-webs"}),
    (r"(?P<model>DS-\w+)", 0, {"ds-"}),
    (r"\d+", 0, None),
    (r"^(?:a|)$", 0, None),  # an empty alternative proves nothing
    (r"(?:KELVIN|\u212a)", re.I, None),  # a non-ASCII anchor is never used
])
def test_anchors_are_derived_from_the_pattern(pattern: str, flags: int, anchors: set[str] | None) -> None:
    found = anchors_of(pattern, flags)
    assert (set(found) if found is not None else None) == anchors


def test_text_that_is_not_ascii_runs_every_rule() -> None:
    rule = RULEBOOK.rules[0]
    prefilter = Prefilter([rule])
    # the Kelvin sign matches "k" under re.IGNORECASE, and lower() would not find an ASCII anchor in it
    assert list(prefilter.candidates({rule.part: ["\u212a"]})) == [rule]
