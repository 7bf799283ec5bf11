"""What the HTML and Markdown reports say in words and draw: the executive summary and chart geometry."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from camaudit.report.data import ReportData, kev_date

STATUS_COLOURS = (
    ("covered_certain", "restricted maker (certain)", "#b3261e"),
    ("covered_probable", "restricted maker (probable)", "#d4a017"),
    ("not_covered", "not covered", "#1a7f37"),
    ("undetermined", "cannot tell", "#9aa3b2"),
)
LINE_COLOURS = ("#b3261e", "#0b5cad", "#1a7f37", "#9a6700", "#6f42c1", "#d63384", "#20808d", "#5b6475")


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "site"


def executive_summary(report: ReportData) -> list[str]:
    """Sentences computed from the report, for a reader who will read nothing else."""
    s = report.summary()
    org = report.site_map.organisation
    when = (report.scan.get("started_at") or "")[:10]
    out = [f"On {when or 'an unrecorded date'}, camaudit examined {_plural(s['hosts_scanned'], 'address', 'addresses')}"
           f"{' for ' + org if org else ''}: {_plural(s['devices'], 'host')} answered and the maker of "
           f"{s['identified']} was identified."]
    covered = s["covered_certain"] + s["covered_probable"]
    if covered:
        out.append(f"{_plural(covered, 'device')} ({_pct(covered, s['devices'])} of those that answered) "
                   f"{'was' if covered == 1 else 'were'} made by a maker named in at least one restriction regime: "
                   f"{s['covered_certain']} certain from the device's own answers and {s['covered_probable']} "
                   "probable from the label alone.")
    else:
        out.append("No device was found to be made by a maker named in a restriction regime.")
    if s["relabelled"]:
        out.append(f"{_plural(s['relabelled'], 'device')} carry another company's label over the true maker's "
                   "name.")
    if s["kev_affected"]:
        out.append(f"{_plural(s['kev_affected'], 'device')} {'is' if s['kev_affected'] == 1 else 'are'} affected "
                   "by vulnerabilities in CISA's Known Exploited Vulnerabilities catalogue: patch or isolate "
                   "these first.")
    if s.get("kev_possible"):
        out.append(f"{_plural(s['kev_possible'], 'further device')} may be affected by vulnerabilities in CISA's Known "
                   "Exploited Vulnerabilities catalogue: the model matches the advisory but the firmware could not be "
                   "confirmed (owner credentials would tell).")
    sites = [r for r in report.sites() if r["devices"]]
    if len(report.site_map.names()) > 1 or len(sites) > 1:
        worst = max(sites, key=lambda r: (r["covered_certain"] + r["covered_probable"], r["devices"]), default=None)
        if worst is not None and worst["covered_certain"] + worst["covered_probable"]:
            out.append(f"Of {_plural(len(sites), 'site')} with equipment, {worst['name']} holds the most covered "
                       f"devices ({worst['covered_certain'] + worst['covered_probable']}).")
        sensitive = [r["name"] for r in sites if r["sensitivity"] == "high"
                     and r["covered_certain"] + r["covered_probable"]]
        if sensitive:
            out.append(f"High-sensitivity sites with covered equipment: {', '.join(sensitive)}.")
    if len(report.history) >= 2:
        first, last = report.history[0], report.history[-1]
        trend = ("fell" if last.total < first.total else "rose" if last.total > first.total else "stayed")
        change = f"at {first.total}" if trend == "stayed" else f"from {first.total} to {last.total}"
        out.append(f"Since scan {first.scan_id} ({first.started_at[:10]}), covered devices {trend} {change} "
                   f"over {_plural(len(report.history), 'scan')}.")
    if s["unidentified"]:
        out.append(f"{_plural(s['unidentified'], 'host')} could not be identified; each says why under its "
                   "evidence.")
    return out


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    width: float
    colour: str
    href: str | None = None


def bars(counts: dict[str, int], width: float = 380, colour: str = "#0b5cad",
         highlight: tuple[str, ...] = ()) -> list[Bar]:
    top = max(counts.values(), default=1) or 1
    return [Bar(k, v, max(2.0, width * v / top), "#b3261e" if k in highlight else colour) for k, v in counts.items()]


def status_by_site(report: ReportData, width: float = 380) -> list[dict[str, Any]]:
    """Stacked bars: one per site, a segment per restriction status."""
    rows = []
    sites = report.sites()
    top = max((r["devices"] for r in sites), default=1) or 1
    for r in sites:
        x = 0.0
        segments = []
        for key, label, colour in STATUS_COLOURS:
            w = width * r[key] / top
            if r[key]:
                segments.append({"x": x, "width": w, "colour": colour, "count": r[key], "label": label})
            x += w
        rows.append({"name": r["name"], "anchor": "site-" + slug(r["name"]), "devices": r["devices"],
                     "segments": segments, "end": x})
    return rows


AFFECTED, POSSIBLY = "#b3261e", "#d9822b"


def kev_bars(report: ReportData, width: float) -> list[Bar]:
    """Devices per KEV-listed vulnerability, affected (red) and possibly affected (amber: the model matches
    the advisory, the firmware was not confirmed) counted apart."""
    counts: Counter[tuple[str, bool]] = Counter()
    for d in report.devices:
        for f in d.findings:
            date = kev_date(f)
            if date:
                counts[(f"{f.id} (KEV {date})", f.status == "affected")] += 1
    top = max(counts.values(), default=1)
    return [Bar(f"{label}, {'affected' if sure else 'possibly'}", n, max(2.0, width * n / top),
                AFFECTED if sure else POSSIBLY) for (label, sure), n in counts.most_common()]


def burn_down_chart(report: ReportData, width: float = 520, height: float = 200) -> dict[str, Any]:
    """A line per site (and the total when there are several) of covered devices over scans."""
    points = report.history
    if not points:
        return {"series": [], "ticks": [], "width": width, "height": height}
    names = list(points[0].covered)
    series_src: list[tuple[str, list[int]]] = [(n, [p.covered.get(n, 0) for p in points]) for n in names]
    if len(names) > 1:
        series_src.insert(0, ("total", [p.total for p in points]))
    top = max((max(v) for _n, v in series_src), default=1) or 1
    left, bottom, right, top_pad = 40.0, 28.0, 110.0, 10.0
    plot_w = width - left - right
    plot_h = height - bottom - top_pad
    step = plot_w / (len(points) - 1) if len(points) > 1 else 0.0

    def xy(i: int, v: int) -> tuple[float, float]:
        x = left + (step * i if len(points) > 1 else plot_w / 2)
        return round(x, 1), round(top_pad + plot_h - plot_h * v / top, 1)

    series = []
    for n, (name, values) in enumerate(series_src):
        coords = [xy(i, v) for i, v in enumerate(values)]
        series.append({"name": name, "colour": LINE_COLOURS[n % len(LINE_COLOURS)],
                       "points": " ".join(f"{x},{y}" for x, y in coords),
                       "dots": [{"x": x, "y": y, "value": v, "scan": points[i].scan_id}
                                for i, ((x, y), v) in enumerate(zip(coords, values, strict=True))],
                       "label_y": coords[-1][1]})
    ticks = [{"x": xy(i, 0)[0], "label": f"#{p.scan_id}", "date": p.started_at[:10]} for i, p in enumerate(points)]
    yticks = [{"y": xy(0, v)[1], "label": v} for v in sorted({0, top, top // 2})]
    return {"series": series, "ticks": ticks, "yticks": yticks, "width": width, "height": height,
            "left": left, "plot_right": left + plot_w, "axis_y": top_pad + plot_h}


def site_sections(report: ReportData) -> list[dict[str, Any]]:
    """Per site: its summary row and the devices there, covered and KEV-affected first."""
    by_site: dict[str, list[Any]] = {}
    for d in report.devices:
        by_site.setdefault(report.site_of(d), []).append(d)
    out = []
    for r in report.sites():
        devices = by_site.get(r["name"], [])
        notable = [d for d in devices if d.covered or d.kev]
        out.append({**r, "anchor": "site-" + slug(r["name"]), "notable": notable,
                    "others": len(devices) - len(notable)})
    return out
