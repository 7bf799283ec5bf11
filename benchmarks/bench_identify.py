"""How well camaudit names the maker of devices whose answers it was never built from.

Runs every item of the evaluation corpus (tests/evaluation/corpus/*.jsonl: real device answers from public
sources, each with its source and its truth) through the identify engine that `camaudit identify` uses, one
device per item, and prints right / wrong / "cannot tell" per protocol and per maker group, the number of
devices of another maker (or of no known maker) called Hikvision or Dahua, and how many verdicts were
`certain`.

    .venv/bin/python benchmarks/bench_identify.py                 # the tables
    .venv/bin/python benchmarks/bench_identify.py --show wrong    # also list each wrong (or: cannot, right, all)
    .venv/bin/python benchmarks/bench_identify.py --json out.json # every item's outcome

Scoring: an item whose maker is known is *right* when camaudit names that maker (brand relationships
resolved as camaudit resolves them), *wrong* when it names another, *cannot tell* when it names none. An item
whose maker no public source states (a generic web server, an unbranded clone) is right only when camaudit
names no maker, and wrong when it names one. No network traffic: this reads files only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from camaudit.audit import Stages
from camaudit.knowledge.brands import BrandBook, normalise
from camaudit.model import Identity, Observation

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "evaluation" / "corpus"
COVERED = ("hikvision", "dahua")
GROUPS = ("Hikvision", "Hikvision OEM labels", "Dahua", "Dahua OEM labels", "other makers", "non-cameras")
OUTCOMES = ("right", "wrong", "cannot tell")


def load_corpus(root: Path = CORPUS) -> Iterator[dict[str, Any]]:
    for path in sorted(root.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield json.loads(line)


def group_of(truth: dict[str, Any], brands: BrandBook) -> str:
    if truth.get("camera") is False:
        return "non-cameras"
    maker = normalise(brands.canonical(truth["manufacturer"])) if truth.get("manufacturer") else ""
    brand = normalise(brands.canonical(truth["brand"])) if truth.get("brand") else ""
    for covered, name in (("hikvision", "Hikvision"), ("dahua", "Dahua")):
        if maker == covered:
            return name if brand in ("", covered) else f"{name} OEM labels"
    return "other makers"


def score(truth: dict[str, Any], identity: Identity, brands: BrandBook) -> str:
    got = normalise(brands.canonical(identity.manufacturer)) if identity.manufacturer else ""
    want = normalise(brands.canonical(truth["manufacturer"])) if truth.get("manufacturer") else ""
    if not want:
        return "right" if not got else "wrong"
    if not got:
        return "cannot tell"
    return "right" if got == want else "wrong"


def certainty(stages: Stages, identity: Identity) -> str:
    """The restriction verdicts' certainty for a Hikvision/Dahua regime finding (the first regime's)."""
    for assessment in stages.assessments:
        if assessment.kind == "restriction":
            findings = assessment.assess(identity)
            if findings:
                return f"{findings[0].status}/{findings[0].certainty}"
    return "-"


def run(show: str | None) -> dict[str, Any]:
    stages = Stages.default()
    identifier = stages.identifier
    brands = identifier.brands
    results = []
    started = time.perf_counter()
    for item in load_corpus():
        obs = Observation(id=item["id"], protocol=item["protocol"], response=item["response"], device=item["id"],
                          request=item.get("request"))
        # one device per item: the same entry point `camaudit identify` calls, on that item's record alone
        (identity,) = identifier.identify_all([obs])
        truth = item["truth"]
        outcome = score(truth, identity, brands)
        got = normalise(identity.manufacturer) if identity.manufacturer else ""
        want = normalise(brands.canonical(truth["manufacturer"])) if truth.get("manufacturer") else ""
        results.append({
            "id": item["id"], "protocol": item["protocol"], "group": group_of(truth, brands),
            "truth": truth.get("manufacturer"), "got": identity.manufacturer, "outcome": outcome,
            "confidence": identity.confidence, "verdict": certainty(stages, identity),
            "called_covered": bool(got in COVERED and want not in COVERED),
            "rules": sorted({e.rule for e in identity.evidence}),
            "source": item["source"],
        })
    elapsed = time.perf_counter() - started
    _print(results, elapsed, show)
    return {"items": results, "seconds": elapsed}


def _table(title: str, rows: dict[str, Counter[str]], order: tuple[str, ...] | None = None) -> None:
    print(f"\n{title:<24} {'n':>4} {'right':>6} {'wrong':>6} {'cannot tell':>12}")
    keys = [k for k in (order or tuple(sorted(rows))) if k in rows]
    for key in keys:
        c = rows[key]
        print(f"{key:<24} {sum(c.values()):>4} {c['right']:>6} {c['wrong']:>6} {c['cannot tell']:>12}")


def _print(results: list[dict[str, Any]], elapsed: float, show: str | None) -> None:
    by_protocol: dict[str, Counter[str]] = defaultdict(Counter)
    by_group: dict[str, Counter[str]] = defaultdict(Counter)
    total: Counter[str] = Counter()
    for r in results:
        by_protocol[r["protocol"]][r["outcome"]] += 1
        by_group[r["group"]][r["outcome"]] += 1
        total[r["outcome"]] += 1
    known = [r for r in results if r["truth"]]
    right_known = sum(r["outcome"] == "right" for r in known)
    wrong_known = sum(r["outcome"] == "wrong" for r in known)
    others = [r for r in results if r["group"] in ("other makers", "non-cameras")]
    called = [r for r in results if r["called_covered"]]
    certain_wrong = [r for r in results if r["outcome"] == "wrong" and r["verdict"].endswith("/certain")]
    print(f"evaluation corpus: {len(results)} items from {CORPUS.relative_to(CORPUS.parent.parent.parent)} "
          f"({elapsed:.2f} s)")
    _table("per protocol", by_protocol)
    _table("per maker group", by_group, GROUPS)
    print(f"{'all':<24} {len(results):>4} {total['right']:>6} {total['wrong']:>6} {total['cannot tell']:>12}")
    print(f"\nknown maker named right: {right_known} of {len(known)} ({100 * right_known / max(len(known), 1):.0f}%); "
          f"wrong maker: {wrong_known}")
    print(f"another maker (or no known maker) called Hikvision/Dahua: {len(called)} of {len(others)}")
    certain = Counter(r["verdict"] for r in results)
    print("restriction verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(certain.items())))
    print(f"wrong answers given as certain: {len(certain_wrong)}")
    if show:
        pick = [r for r in results if show == "all" or r["outcome"] == {"cannot": "cannot tell"}.get(show, show)]
        print()
        for r in pick:
            print(f"{r['outcome']:<11} {r['id']:<22} {r['protocol']:<17} truth={r['truth']!s:<16} got={r['got']!s:<14} "
                  f"{r['verdict']:<22} {','.join(r['rules'])[:80]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", choices=("wrong", "cannot", "right", "all"), help="list the items with that outcome")
    parser.add_argument("--json", metavar="FILE", help="write every item's outcome as JSON")
    args = parser.parse_args(argv)
    outcome = run(args.show)
    if args.json:
        Path(args.json).write_text(json.dumps(outcome, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
