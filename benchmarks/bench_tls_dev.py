"""Development figures for the TLS certificate rules: benchmarks/data/tls_dev_subjects.yaml through identify.

Each item (a video device's certificate subject and issuer as a public thread pasted it, with the maker the
thread states) is identified as one device with the engine `camaudit identify` uses, as a `tls_cert`
answer. Rules were written while reading these items, so the figures are development figures only; the
evaluation figures are bench_identify.py's. No network traffic: this reads one file.

    .venv/bin/python benchmarks/bench_tls_dev.py          # the figures and each item's outcome
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from camaudit.audit import Stages
from camaudit.knowledge.brands import normalise
from camaudit.model import Observation

DATA = Path(__file__).resolve().parent / "data" / "tls_dev_subjects.yaml"


def run(path: Path = DATA) -> list[dict[str, Any]]:
    identifier = Stages.default().identifier
    brands = identifier.brands
    out = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
        obs = Observation(id=item["id"], protocol="tls_cert", response=item["response"], device=item["id"])
        (identity,) = identifier.identify_all([obs])
        got = normalise(brands.canonical(identity.manufacturer)) if identity.manufacturer else ""
        want = normalise(brands.canonical(item["truth"])) if item.get("truth") else ""
        if not want:
            outcome = "right" if not got else "wrong"
        else:
            outcome = "cannot tell" if not got else ("right" if got == want else "wrong")
        out.append({"id": item["id"], "truth": item.get("truth"), "got": identity.manufacturer,
                    "confidence": identity.confidence, "outcome": outcome,
                    "rules": sorted({e.rule for e in identity.evidence})})
    return out


def main() -> int:
    results = run()
    for r in results:
        print(f"{r['outcome']:<11} {r['id']:<28} truth={r['truth']!s:<10} got={r['got']!s:<10} "
              f"conf={r['confidence']:.2f} {','.join(r['rules'])}")
    known = [r for r in results if r["truth"]]
    right = sum(r["outcome"] == "right" for r in known)
    wrong = sum(r["outcome"] == "wrong" for r in results)
    print(f"\ndevelopment items: {len(results)}; known maker named right: {right} of {len(known)}; "
          f"wrong: {wrong}; no maker known and none named: "
          f"{sum(r['outcome'] == 'right' for r in results if not r['truth'])} of "
          f"{sum(1 for r in results if not r['truth'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
