"""The report as a workbook: one sheet per table (summary, devices, findings, evidence, regimes, sites, history).

Every text cell is written as text, never as a formula: device answers are attacker-controlled, and a
banner starting with ``=`` must not become a live formula in the reader's spreadsheet.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs; as in collect/imports/register.py
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped]

from camaudit.report import insights
from camaudit.report.data import ReportData, kev_date

MAX_CELL = 32_000  # Excel's limit is 32,767 characters per cell

Value = str | int | float | None


def _put(ws: Worksheet, row: int, col: int, value: Value) -> None:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)[:MAX_CELL]
        cell.data_type = "s"  # text, even when it starts with '=' (no formula injection)
    else:
        cell.value = value


def _sheet(wb: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Value]]) -> None:
    ws = wb.create_sheet(title)
    for c, name in enumerate(header, 1):
        _put(ws, 1, c, name)
        ws.cell(row=1, column=c).font = Font(bold=True)
    for r, row in enumerate(rows, 2):
        for c, value in enumerate(row, 1):
            _put(ws, r, c, value)
    ws.freeze_panes = "A2"
    for c, name in enumerate(header, 1):
        ws.column_dimensions[ws.cell(row=1, column=c).column_letter].width = max(10, min(48, len(name) + 4))


def render_xlsx(report: ReportData) -> bytes:
    s = report.summary()
    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    summary_rows: list[tuple[Value, Value]] = [
        ("organisation", report.site_map.organisation), ("scan", report.scan["id"]),
        ("scan kind", report.scan["kind"]), ("started", report.scan["started_at"]),
        ("addresses scanned", s["hosts_scanned"]), ("hosts that answered", s["devices"]),
        ("manufacturer identified", s["identified"]), ("restricted maker, certain", s["covered_certain"]),
        ("restricted maker, probable", s["covered_probable"]), ("sold under another label", s["relabelled"]),
        ("with a known exploited vulnerability", s["kev_affected"]),
        ("executive summary", " ".join(insights.executive_summary(report))),
    ]
    _sheet(wb, "summary", ["measure", "value"], summary_rows)
    regime_ids = [r.id for r in report.regimes]
    device_rows = []
    for d in report.devices:
        i = d.identity
        verdicts = [d.verdict(rid) for rid in regime_ids]
        device_rows.append([i.device, i.address, report.site_of(d), i.manufacturer, i.brand, i.model, i.firmware,
                            i.device_type, i.serial, i.mac, i.confidence, i.manufacturer_basis,
                            " ".join(str(p) for p in d.open_ports), ", ".join(i.capabilities), ", ".join(i.cloud),
                            *verdicts, "; ".join(f"{k}: {v}" for k, v in i.unknown.items())])
    _sheet(wb, "devices", ["device", "address", "site", "manufacturer", "label", "model", "firmware", "type",
                           "serial", "mac", "confidence", "basis", "open ports", "capabilities", "cloud",
                           *regime_ids, "unknown"], device_rows)
    _sheet(wb, "findings", ["device", "address", "kind", "id", "status", "certainty", "severity", "title", "detail",
                            "KEV added", "sources"],
           [[f.device, d.identity.address, f.kind, f.id, f.status, f.certainty, f.severity, f.title, f.detail,
             kev_date(f), "; ".join(src.url for src in f.sources)] for d in report.devices for f in d.findings])
    _sheet(wb, "evidence", ["device", "address", "record", "rule", "matched", "asserts", "confidence", "source"],
           [[d.identity.device, d.identity.address, e.record, e.rule, e.matched,
             ", ".join(f"{k}={v}" for k, v in e.asserts.items()), e.confidence, e.source]
            for d in report.devices for e in d.identity.evidence])
    _sheet(wb, "regimes", ["id", "name", "jurisdiction", "scope", "caveat", "covers", "sources", "checked"],
           [[r.id, r.name, r.jurisdiction, r.scope, r.caveat, ", ".join(r.covers),
             "; ".join(src.url for src in r.sources), r.checked] for r in report.regimes])
    _sheet(wb, "sites", ["site", "sensitivity", "devices", "covered (certain)", "covered (probable)", "not covered",
                         "cannot tell", "KEV-affected"],
           [[r["name"], r["sensitivity"], r["devices"], r["covered_certain"], r["covered_probable"],
             r["not_covered"], r["undetermined"], r["kev_affected"]] for r in report.sites()])
    names = list(report.history[0].covered) if report.history else []
    _sheet(wb, "history", ["scan", "kind", "started", *names, "total covered"],
           [[p.scan_id, p.kind, p.started_at, *(p.covered.get(n, 0) for n in names), p.total]
            for p in report.history])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
