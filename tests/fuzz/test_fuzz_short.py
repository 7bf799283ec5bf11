"""The short fuzz run: every target's seeds, a fixed number of deterministic mutations of them, and every
crashing input fuzzing ever found (tests/fixtures/fuzz/crashes). No timing thresholds: the long run in
benchmarks/fuzz.py reports times."""

from __future__ import annotations

import random

import pytest

from tests.fuzz.mutate import mutate
from tests.fuzz.targets import TARGETS, regression_inputs, seeds_of

MUTATIONS = 150


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target_survives_seeds_and_mutations(name: str) -> None:
    target = TARGETS[name]
    seeds = seeds_of(target)
    assert seeds, f"{name} has no seed inputs"
    for data in seeds:
        target.run(data)
    rng = random.Random(f"camaudit-fuzz-{name}")
    for _ in range(MUTATIONS):
        target.run(mutate(rng.choice(seeds), rng))


@pytest.mark.parametrize("path", [p for name in sorted(TARGETS) for p in regression_inputs(name)],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_crash_regressions_are_documented_errors(path: object) -> None:
    from pathlib import Path

    assert isinstance(path, Path)
    TARGETS[path.parent.name].run(path.read_bytes())
