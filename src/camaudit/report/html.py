"""The self-contained HTML report: one file, no scripts, no network needed to open it."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from camaudit.report import insights
from camaudit.report.data import ReportData

COVERED_MAKERS = ("Hikvision", "Dahua")


def _bars(counts: dict[str, int], width: int = 420) -> list[dict[str, Any]]:
    top = max(counts.values(), default=1) or 1
    return [{"label": k, "count": v, "width": max(2, int(width * v / top))} for k, v in counts.items()]


def render_html(report: ReportData, **context: Any) -> str:
    """The report page. ``context`` is passed to the template as is (and so to ``plan.html``)."""
    env = Environment(loader=PackageLoader("camaudit", "report/templates"), autoescape=select_autoescape(["html"]))
    env.filters["slug"] = insights.slug
    template = env.get_template("report.html")
    if "plan" not in context:  # the removal plan belongs in every report (empty when nothing is covered)
        from camaudit.report.plan import build_plan

        context["plan"] = build_plan([d.identity for d in report.devices],
                                     [f for d in report.devices for f in d.findings], report.site_map)
    summary = report.summary()
    return template.render(
        report=report,
        summary=summary,
        maker_bars=_bars(summary["by_manufacturer"]),
        label_bars=_bars(summary["by_label"]),
        regimes=report.regimes,
        executive_summary=insights.executive_summary(report),
        status_rows=insights.status_by_site(report),
        status_legend=insights.STATUS_COLOURS,
        kev_bars=insights.bars(insights.kev_counts(report), colour="#b3261e"),
        capability_bars=insights.bars(summary["by_capability"], colour="#6f42c1"),
        burn=insights.burn_down_chart(report),
        site_sections=insights.site_sections(report),
        **context,
    )
