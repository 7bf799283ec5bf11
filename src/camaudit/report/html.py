"""The self-contained HTML report: one file, no network needed to open it."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from camaudit.report.data import ReportData


def _bars(counts: dict[str, int], width: int = 420) -> list[dict[str, Any]]:
    top = max(counts.values(), default=1) or 1
    return [{"label": k, "count": v, "width": max(2, int(width * v / top))} for k, v in counts.items()]


def render_html(report: ReportData) -> str:
    env = Environment(loader=PackageLoader("camaudit", "report/templates"), autoescape=select_autoescape(["html"]))
    template = env.get_template("report.html")
    summary = report.summary()
    return template.render(
        report=report,
        summary=summary,
        maker_bars=_bars(summary["by_manufacturer"]),
        label_bars=_bars(summary["by_label"]),
        regimes=report.regimes,
    )
