"""The report as Markdown: for tickets, wikis and e-mail. Same content as the HTML, without charts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from camaudit.report import insights
from camaudit.report.data import ReportData


def cell(value: object) -> str:
    """Text safe inside a Markdown table cell (device answers may hold pipes, newlines or markup)."""
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    for ch in "\\|`*_[]<>":
        text = text.replace(ch, "\\" + ch)
    return text


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return out


def render_markdown(report: ReportData) -> str:
    s = report.summary()
    scan = report.scan
    org = report.site_map.organisation
    lines = [f"# Video-surveillance estate audit{': ' + cell(org) if org else ''}", "",
             f"Scan {scan['id']} ({cell(scan['kind'])}, {cell(scan['status'])}), started {cell(scan['started_at'])}; "
             f"targets: {cell(', '.join(scan.get('targets') or []))}.", "",
             "## Executive summary", "", " ".join(insights.executive_summary(report)), "",
             "## Summary", ""]
    lines += table(["measure", "count"], [
        ("addresses scanned", s["hosts_scanned"]), ("hosts that answered", s["devices"]),
        ("manufacturer identified", s["identified"]), ("restricted maker, certain", s["covered_certain"]),
        ("restricted maker, probable (label only)", s["covered_probable"]),
        ("sold under another label", s["relabelled"]),
        ("with a known exploited vulnerability (CISA KEV)", s["kev_affected"]),
    ])
    lines += ["", "## Sites", ""]
    lines += table(["site", "sensitivity", "devices", "covered (certain)", "covered (probable)", "not covered",
                    "cannot tell", "KEV-affected"],
                   [(r["name"], r["sensitivity"], r["devices"], r["covered_certain"], r["covered_probable"],
                     r["not_covered"], r["undetermined"], r["kev_affected"]) for r in report.sites()])
    if report.history:
        names = list(report.history[0].covered)
        lines += ["", "## Covered devices remaining per scan", ""]
        lines += table(["scan", "date", *names, "total"],
                       [(p.scan_id, p.started_at[:10], *(p.covered.get(n, 0) for n in names), p.total)
                        for p in report.history])
    lines += ["", "## Makers", ""]
    lines += table(["true manufacturer", "devices"], s["by_manufacturer"].items())
    if s["by_capability"]:
        lines += ["", "## Capabilities", ""]
        lines += table(["capability", "devices"], s["by_capability"].items())
    lines += ["", "## Restriction status by regime", ""]
    lines += table(["regime", "jurisdiction", "covered (certain)", "covered (probable)", "not covered", "cannot tell"],
                   [(r.name, r.jurisdiction, *(s["by_regime"].get(r.id, {}).get(k, 0) for k in
                     ("covered-certain", "covered-probable", "not-covered", "undetermined")))
                    for r in report.regimes])
    lines += ["", "## Devices", ""]
    rows = []
    for d in report.devices:
        i = d.identity
        verdict = (f"restricted maker ({d.covered})" if d.covered
                   else "not covered" if i.manufacturer else "cannot tell")
        rows.append((i.address or i.device, report.site_of(d), i.manufacturer or "unknown", i.brand or "",
                     i.model or "", i.firmware or "", i.device_type or "", verdict,
                     ", ".join(f.id for f in d.kev),
                     "; ".join(f"{e.rule} [{e.matched}]" for e in i.evidence) or i.unidentified_reason or ""))
    lines += table(["address", "site", "manufacturer", "label", "model", "firmware", "type", "verdict", "KEV",
                    "evidence"], rows)
    lines += ["", "## Regimes and their sources", ""]
    for r in report.regimes:
        links = "; ".join(f"[{cell(src.title or src.url)}]({src.url.replace(')', '%29')})" for src in r.sources)
        lines.append(f"- **{cell(r.name)}** ({cell(r.jurisdiction)}): {cell(r.scope)} {links} (checked {r.checked})")
    lines += ["", "A *certain* verdict rests on the device's own answers; a *probable* one only on its label. "
              "A verdict says who made the equipment, not whether your organisation is bound by a regime.", ""]
    return "\n".join(lines)
