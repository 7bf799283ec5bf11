"""The report formats ``camaudit report --format`` offers, and the report command's extra options."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from camaudit.report.data import ReportData

REPORT_FORMATS = ("html", "json", "csv", "xlsx", "md")  # kept light: the CLI imports this at start-up
SUFFIXES = {"markdown": "md", "htm": "html"}


def format_for(fmt: str | None, output: str | None) -> str:
    """The format asked for, else the output file's suffix, else html."""
    if fmt:
        return fmt
    if output and "." in output:
        suffix = output.rsplit(".", 1)[1].lower()
        return SUFFIXES.get(suffix, suffix)
    return "html"


def render_report(report: ReportData, fmt: str) -> str | bytes:
    """The report in one of REPORT_FORMATS (bytes for xlsx, text otherwise)."""
    if fmt == "html":
        from camaudit.report.html import render_html

        return render_html(report)
    if fmt == "xlsx":
        from camaudit.report.xlsx import render_xlsx

        return render_xlsx(report)
    if fmt == "md":
        from camaudit.report.markdown import render_markdown

        return render_markdown(report)
    from camaudit.report.formats import render_csv, render_json

    if fmt == "json":
        return render_json(report)
    if fmt == "csv":
        return render_csv(report)
    raise ValueError(f"unknown report format {fmt!r}")


def add_report_options(p: argparse.ArgumentParser) -> None:
    """``--site-map`` and ``--aggregate`` for ``camaudit report``."""
    p.add_argument("--site-map", metavar="FILE",
                   help="YAML site map (organisation, sites with CIDRs and sensitivity): per-site sections, "
                   "status and burn-down by site")
    p.add_argument("--aggregate", nargs="+", metavar="STORE_OR_JSON",
                   help="instead of one scan: prevalence across many organisations' stores (SQLite) or JSON "
                   "reports, with sample sizes (text, or --format json|md)")
