"""The prevalence report of a bulk run, in the formats ``report --aggregate`` gives (text, json, md).

Every share is over the devices of the run (the sample size is printed) with a 95% Wilson score interval, the
statistics :mod:`camaudit.report.aggregate` uses. Bad partitions are listed: their records are not in the
figures, and the report says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from camaudit.bulk.tally import DIMENSIONS, Tally
from camaudit.report.aggregate import _pct, wilson

TITLES = {
    "country": "country (as the export recorded it)", "asn": "autonomous system (as the export recorded it)",
    "maker": "maker (who made it)", "label": "label (brand shown)", "model": "model", "family": "model family",
    "firmware": "firmware", "covered": "restriction regimes: maker covered", "kev": "CISA KEV vulnerability",
    "capability": "capability the device states",
}
TOP = 25  # rows per table in text and md (json has them all)


def to_dict(tally: Tally, bad: Sequence[Mapping[str, Any]], records: int) -> dict[str, Any]:
    n = tally.devices
    tables: dict[str, list[dict[str, Any]]] = {}
    for dim in DIMENSIONS:
        rows = []
        for value, count in tally.counts[dim].most_common():
            low, high = wilson(count, n)
            rows.append({"value": value, "devices": count, "share": count / n if n else 0.0,
                         "ci95": [round(low, 4), round(high, 4)]})
        tables[dim] = rows
    return {"sample": {"devices": n, "records": records, "bad_partitions": len(bad)},
            "by": tables,
            "bad_partitions": [{"partition": b.get("partition"), "url": b.get("url"), "error": b.get("error")}
                               for b in bad]}


def render_text(doc: Mapping[str, Any], markdown: bool = False) -> str:
    n = doc["sample"]["devices"]
    head = [f"Sample: {n:,} device(s) from {doc['sample']['records']:,} record(s); every share is of those "
            f"{n:,} devices, with its 95% interval."]
    if doc["bad_partitions"]:
        head.append(f"{len(doc['bad_partitions'])} partition(s) were skipped as malformed and are not counted: "
                    + "; ".join(f"{b['url']}: {b['error']}" for b in doc["bad_partitions"]))
    lines = ["# Prevalence (camaudit bulk)", "", *(f"- {h}" for h in head)] if markdown else list(head)
    for dim in DIMENSIONS:
        rows = doc["by"][dim]
        title = TITLES[dim]
        if not rows:
            lines += ["", f"By {title}: none recorded."]
            continue
        shown = rows[:TOP]
        more = f" (top {TOP} of {len(rows)})" if len(rows) > TOP else ""
        table = [(r["value"], f"{r['devices']:,}", _pct(r["devices"], n),
                  f"{100 * r['ci95'][0]:.1f}-{100 * r['ci95'][1]:.1f}%") for r in shown]
        header = (f"by {title}{more}", "devices", f"share of {n:,}", "95% interval")
        if markdown:
            lines += ["", f"## By {title}{more}", "", "| " + " | ".join(header) + " |", "|---|---:|---:|---:|"]
            lines += ["| " + " | ".join((r[0].replace("|", "\\|"), *r[1:])) + " |" for r in table]
        else:
            width = max(len(header[0]), *(len(r[0]) for r in table))
            lines += ["", f"{header[0]:<{width}}  {header[1]:>10}  {header[2]:>14}  {header[3]}"]
            lines += [f"{r[0]:<{width}}  {r[1]:>10}  {r[2]:>14}  {r[3]}" for r in table]
    return "\n".join(lines) + "\n"


def render(doc: Mapping[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return render_text(doc, markdown=fmt == "md")
