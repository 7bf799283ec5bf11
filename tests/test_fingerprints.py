"""The generic self-test of every fingerprint rule (as Recog's fingerprint_self_test does):

- each example matches its rule and yields exactly the values it states;
- no earlier rule on the same part already yields everything the example's rule does (shadowing),
  and no other rule on that part yields a conflicting value for a field the rule asserts;
- an example that names a catalog recording as its source is really in that recording, verbatim;
- field names and device types come from the fixed vocabulary;
- no rule that names Hikvision or Dahua matches any hard negative (clones and white-label firmware).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from camaudit.identify.engine import rule_evidence
from camaudit.knowledge.brands import normalise
from camaudit.knowledge.fingerprints import DEVICE_TYPES, FIELDS, Rule, load_rulebook
from camaudit.model import Observation
from camaudit.simulate.recordings import load_recordings

RULEBOOK = load_rulebook()
RULES = RULEBOOK.rules
EXAMPLES = [(rule, i, ex) for rule in RULES for i, ex in enumerate(rule.examples)]


def _id(item: tuple[Rule, int, object]) -> str:
    return f"{item[0].id}[{item[0].kind}]#{item[1]}"


@pytest.mark.parametrize("item", EXAMPLES, ids=[_id(e) for e in EXAMPLES])
def test_example_matches_and_yields_exactly(item: tuple[Rule, int, object]) -> None:
    rule, _i, example = item
    yielded = rule.match(example.value)  # type: ignore[attr-defined]
    assert yielded is not None, f"{rule.id} does not match its own example {example.value!r}"  # type: ignore[attr-defined]
    assert yielded == dict(example.yields), f"{rule.id} yields {yielded}, example says {dict(example.yields)}"  # type: ignore[attr-defined]


@pytest.mark.parametrize("item", EXAMPLES, ids=[_id(e) for e in EXAMPLES])
def test_example_not_shadowed_or_contradicted(item: tuple[Rule, int, object]) -> None:
    rule, _i, example = item
    same_part = [r for r in RULEBOOK.for_kind(rule.kind) if r.part == rule.part]
    position = same_part.index(rule)
    mine = dict(example.yields)  # type: ignore[attr-defined]
    for index, other in enumerate(same_part):
        if other is rule:
            continue
        theirs = other.match(example.value)  # type: ignore[attr-defined]
        if theirs is None:
            continue
        clashes = {k: (theirs[k], v) for k, v in mine.items() if k in theirs and theirs[k] != v
                   and k in other.asserts}
        assert not clashes, f"{other.id} contradicts {rule.id} on its example: {clashes}"
        if index < position:
            assert not mine.items() <= theirs.items(), f"{rule.id} is shadowed by earlier rule {other.id}"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\r\n", "\n")).strip()


RECORDED = [(rule, ex) for rule in RULES for ex in rule.examples
            if ex.source and ex.source.startswith("simulate/recordings/")]


@pytest.mark.parametrize("item", RECORDED, ids=[f"{r.id}:{e.value[:30]}" for r, e in RECORDED])
def test_example_is_verbatim_in_its_recording(item: tuple[Rule, object]) -> None:
    rule, example = item
    ref = example.source.split()[0]  # type: ignore[attr-defined]
    file, _, rec_id = ref.removeprefix("simulate/recordings/").partition("#")
    recordings = load_recordings()
    assert rec_id in recordings, f"{rule.id}: example cites unknown recording {rec_id}"
    rec = recordings[rec_id]
    assert rec.file == file, f"{rec_id} lives in {rec.file}, not {file}"
    assert not rec.holdout, f"{rule.id} takes an example from hold-out recording {rec_id}"
    assert _norm(example.value) in _norm(rec.response), f"{rule.id}: example not found verbatim in {rec_id}"  # type: ignore[attr-defined]


def test_every_rule_has_a_source_and_a_checked_date() -> None:
    for rule in RULES:
        assert rule.source.startswith("https://"), rule.id
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", rule.checked), rule.id


def test_vocabulary_is_fixed() -> None:
    for rule in RULES:
        for name in (*rule.asserts, *rule.captures):
            assert name in FIELDS, f"{rule.id}: {name}"
        if "device_type" in rule.asserts:
            assert rule.asserts["device_type"] in DEVICE_TYPES, rule.id


def test_rule_ids_are_unique_per_kind() -> None:
    seen = {(r.id, r.kind) for r in RULES}
    assert len(seen) == len(RULES)


def test_no_example_comes_from_a_holdout_recording() -> None:
    holdout = {r.id for r in load_recordings().values() if r.holdout}
    for rule in RULES:
        for ex in rule.examples:
            named = {h for h in holdout if ex.source and h in ex.source}
            assert not named, f"{rule.id}: example taken from hold-out {named}"


# Clones and white-label firmware (Xiongmai, HiSilicon SDK DVRs, Hipcam, Anjvision/Anpviz, Longse, VStarcam,
# GoAhead/Boa/uc-httpd/thttpd servers...): real answers with their sources, none made by Hikvision or Dahua.
# They sit beside the rules as a negative test set; they are kept out of the evaluation corpus
# (tests/evaluation), which shares no line with them.
HARD_NEGATIVES_FILE = Path(__file__).parent / "fixtures" / "hard_negatives" / "clones.jsonl"
HARD_NEGATIVES = [json.loads(line) for line in HARD_NEGATIVES_FILE.read_text(encoding="utf-8").splitlines()
                  if line.strip()]
COVERED_MAKERS = {"hikvision", "dahua"}


def test_hard_negatives_are_sourced_and_not_covered_makers() -> None:
    assert len(HARD_NEGATIVES) >= 30
    for item in HARD_NEGATIVES:
        assert item["source"].startswith("https://"), item["id"]
        assert {"Hikvision", "Dahua"} <= set(item["truth"]["not_made_by"]), item["id"]


EVALUATION_SOURCES = ("github.com/rapid7/recog", "github.com/scottlamb/retina")


def test_hard_negatives_resting_on_evaluation_sources_are_marked_and_few() -> None:
    """A few entries still cite an evaluation source (no other public answer of their family was found): each
    says so in `awaits_replacement`, and no new one may come in."""
    on_evaluation = [i["id"] for i in HARD_NEGATIVES if any(s in i["source"] for s in EVALUATION_SOURCES)]
    assert all("awaits_replacement" in i for i in HARD_NEGATIVES if i["id"] in on_evaluation)
    assert len(on_evaluation) <= 2, on_evaluation


@pytest.mark.parametrize("item", HARD_NEGATIVES, ids=[i["id"] for i in HARD_NEGATIVES])
def test_no_hikvision_or_dahua_rule_matches_a_clone(item: dict[str, Any]) -> None:
    obs = Observation(id=item["id"], protocol=item["protocol"], response=item["response"])
    fired = [e.rule for e in rule_evidence(obs, RULEBOOK)
             if normalise(e.asserts.get("manufacturer", "")) in COVERED_MAKERS]
    assert not fired, f"{item['id']} ({item['source']}) is matched by {fired}"


@functools.lru_cache(maxsize=1)
def _identifier() -> Any:
    from camaudit.identify.pipeline import Identifier

    return Identifier.default()


@pytest.mark.parametrize("item", HARD_NEGATIVES, ids=[i["id"] for i in HARD_NEGATIVES])
def test_the_identifier_calls_no_clone_hikvision_or_dahua(item: dict[str, Any]) -> None:
    """Not only the rules: the parsers (SDP session, ONVIF fields and scopes), the banner reader and the
    combination of evidence may not name Hikvision or Dahua from a clone's answer either (issue 9)."""
    obs = Observation(id=item["id"], protocol=item["protocol"], response=item["response"], device=item["id"])
    (identity,) = _identifier().identify_all([obs])
    assert normalise(identity.manufacturer or "") not in COVERED_MAKERS, (item["id"], identity.evidence)


# Generic stacks (BusyBox telnetd, a bare login prompt) and a greeting template that another maker's rule comes
# close to: no rule may name a maker from them other than the one who made the device.
GENERIC_STACKS = [i for i in HARD_NEGATIVES if i["id"].startswith("generic-")]


@pytest.mark.parametrize("item", GENERIC_STACKS, ids=[i["id"] for i in GENERIC_STACKS])
def test_no_rule_names_another_maker_from_a_generic_stack(item: dict[str, Any]) -> None:
    obs = Observation(id=item["id"], protocol=item["protocol"], response=item["response"])
    truth = normalise(item["truth"]["manufacturer"] or "")
    fired = [e.rule for e in rule_evidence(obs, RULEBOOK)
             if e.asserts.get("manufacturer") and normalise(e.asserts["manufacturer"]) != truth]
    assert not fired, f"{item['id']} ({item['source']}) is matched by {fired}"


def test_generic_stacks_are_there() -> None:
    assert len(GENERIC_STACKS) >= 4
