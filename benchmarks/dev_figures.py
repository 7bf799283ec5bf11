"""What the development benchmarks share (bench_http_heads.py, bench_http_bodies.py, bench_tls_dev.py): each item of
a development file (an answer collected from a public source, with the maker that source states) identified as one
device with the engine `camaudit identify` uses, scored as benchmarks/bench_identify.py scores: an item with no
stated maker is right only when no maker is named. Development figures only: rules were written from these items."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from camaudit.audit import Stages
from camaudit.knowledge.brands import normalise
from camaudit.model import Identity, Observation

COVERED = ("hikvision", "dahua")


@dataclass(frozen=True)
class Outcome:
    item: Mapping[str, Any]
    identity: Identity
    outcome: str  # right, wrong or cannot tell
    called_covered: bool  # another maker's (or no known maker's) device called Hikvision or Dahua


def score(items: Iterable[Mapping[str, Any]],
          observe: Callable[[int, Mapping[str, Any]], Observation]) -> list[Outcome]:
    """Each item's outcome; ``observe`` makes the item's answer (``n`` is its place in the file)."""
    identifier = Stages.default().identifier
    brands = identifier.brands
    out = []
    for n, item in enumerate(items):
        (identity,) = identifier.identify_all([observe(n, item)])
        got = normalise(brands.canonical(identity.manufacturer)) if identity.manufacturer else ""
        want = normalise(brands.canonical(item["truth"])) if item.get("truth") else ""
        outcome = ("right" if not got else "wrong") if not want else (
            "cannot tell" if not got else "right" if got == want else "wrong")
        out.append(Outcome(item, identity, outcome, got in COVERED and want not in COVERED))
    return out


def totals(name: str, source: str, outcomes: list[Outcome]) -> None:
    """The three lines every development benchmark prints."""
    counts = Counter(o.outcome for o in outcomes)
    known = sum(1 for o in outcomes if o.item.get("truth"))
    brands = Stages.default().identifier.brands
    others = sum(1 for o in outcomes if not o.item.get("truth")
                 or normalise(brands.canonical(o.item["truth"])) not in COVERED)
    print(f"development {name}: {len(outcomes)} items from {source} ({known} with a stated maker)")
    print(f"right {counts['right']}, wrong {counts['wrong']}, cannot tell {counts['cannot tell']}")
    print(f"another maker (or no known maker) called Hikvision/Dahua: "
          f"{sum(o.called_covered for o in outcomes)} of {others}")


def rules_of(identity: Identity, width: int = 70) -> str:
    return ",".join(sorted({e.rule for e in identity.evidence}))[:width]


def main(doc: str, name: str, dev: Path, observe: Callable[[int, Mapping[str, Any]], Observation],
         line: Callable[[Outcome], str], argv: list[str] | None = None) -> int:
    """A development benchmark's command line: the totals, and with ``--show`` each item's ``line`` first."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="list each item's outcome")
    args = parser.parse_args(argv)
    outcomes = score(yaml.safe_load(dev.read_text(encoding="utf-8"))["items"], observe)
    if args.show:
        for o in outcomes:
            print(f"{o.outcome:<11} {line(o)} got={o.identity.manufacturer!s:<16} {rules_of(o.identity)}")
    totals(name, dev.name, outcomes)
    return 0
