"""Model-number grammars (fingerprints/models.yaml): each shape yields what its examples say, and a prefix
several makers share never decides a maker on its own."""

from __future__ import annotations

import pytest

from camaudit.knowledge.brands import load_brandbook
from camaudit.knowledge.fingerprints import load_collisions, load_rulebook

RULES = [r for r in load_rulebook().rules if r.part == "model" and r.kind == "isapi_deviceinfo"]
COLLISIONS = load_collisions()
BOOK = load_brandbook([])


def _maker_of(label: str) -> str:
    """The maker a label stands for (HiLook -> Hikvision), or the label itself for a maker."""
    entry = BOOK.brand(label)
    return entry.manufacturer if entry is not None and entry.manufacturer else label


def test_the_shared_prefixes_are_stated() -> None:
    ipc = next(c for c in COLLISIONS if c.prefix == "IPC-")
    assert {"Dahua", "Uniview", "HiLook"} <= set(ipc.makers)
    for collision in COLLISIONS:
        assert collision.sources
        for examples in collision.examples.values():
            assert all(e.startswith(collision.prefix) for e in examples), collision.prefix


@pytest.mark.parametrize("collision", COLLISIONS, ids=lambda c: c.prefix)
def test_a_collision_alone_never_decides(collision) -> None:  # type: ignore[no-untyped-def]
    for owner, examples in collision.examples.items():
        for example in examples:
            for rule in RULES:
                found = rule.match(example)
                if not found:
                    continue
                for field in ("brand", "manufacturer"):
                    named = found.get(field)
                    assert named is None or _maker_of(named) == _maker_of(owner), (
                        f"{rule.id} names {named} for {owner}'s {example} (shared prefix {collision.prefix})")
    # the shared part alone: a maker may be named only when every sharer is that one maker (HiWatch is Hikvision's)
    bare = collision.prefix + "0000"
    sharers = {_maker_of(m) for m in collision.makers}
    for rule in RULES:
        for field in ("brand", "manufacturer"):
            named = (rule.match(bare) or {}).get(field)
            assert named is None or (len(sharers) == 1 and _maker_of(named) in sharers), (rule.id, bare)


def test_grammars_cover_the_makers_the_issue_names() -> None:
    ids = {r.id for r in RULES}
    for needed in ("model.hikvision.ds", "model.hikvision.intercom", "model.dahua.dh-prefix", "model.dahua.ipc",
                   "model.dahua.nvr", "model.dahua.xvr", "model.dahua.intercom", "model.amcrest.ip",
                   "model.imou.suffix", "model.uniview.ipc", "model.hilook.ipc"):
        assert needed in ids, needed


def test_every_grammar_example_has_a_source() -> None:
    for rule in RULES:
        for example in rule.examples:
            assert example.source, (rule.id, example.value)
