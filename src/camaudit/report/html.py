"""The self-contained HTML report: one file, no scripts, no network needed to open it."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from camaudit.report import insights
from camaudit.report.data import ReportData

CHART_WIDTH = 520  # of the 560-unit viewBox, less room for the count after each bar
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
    # makers some regime names are drawn in red: which ones comes from the regimes data, not from the template
    covered = tuple(sorted({m for r in report.regimes for m in r.covers}))
    return template.render(
        report=report,
        summary=summary,
        maker_bars=insights.bars(summary["by_manufacturer"], CHART_WIDTH - 130, highlight=covered),
        label_bars=insights.bars(summary["by_label"], CHART_WIDTH - 130, highlight=covered),
        regimes=report.regimes,
        executive_summary=insights.executive_summary(report),
        status_rows=insights.status_by_site(report),
        status_legend=insights.STATUS_COLOURS,
        kev_bars=insights.kev_bars(report, CHART_WIDTH - 270),
        capability_bars=insights.bars(summary["by_capability"], CHART_WIDTH - 150, colour="#6f42c1"),
        burn=insights.burn_down_chart(report),
        site_sections=insights.site_sections(report),
        **context,
    )
