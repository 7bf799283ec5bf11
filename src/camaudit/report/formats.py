"""JSON and CSV renderings of a report."""

from __future__ import annotations

import csv
import io
import json

from camaudit.report.data import ReportData


def render_json(report: ReportData) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """Text a device sent must never become a spreadsheet formula: such cells get a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def render_csv(report: ReportData) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    regime_ids = [r.id for r in report.regimes]
    writer.writerow(["address", "manufacturer", "label", "model", "firmware", "device_type", "serial", "mac",
                     "confidence", "manufacturer_basis", "open_ports", *regime_ids, "vulnerabilities_affected",
                     "vulnerabilities_possibly_affected", "vulnerabilities_not_affected", "evidence", "unknown"])
    for d in report.devices:
        i = d.identity
        verdicts = [d.verdict(rid) for rid in regime_ids]
        evidence = "; ".join(f"{e.rule} [{e.matched}]" for e in i.evidence)
        unknown = "; ".join(f"{k}: {v}" for k, v in i.unknown.items())
        vulns = [" ".join(f.id for f in d.vulnerabilities(status))
                 for status in ("affected", "possibly-affected", "not-affected")]
        writer.writerow([cell(v) for v in (
            i.address, i.manufacturer or "", i.brand or "", i.model or "", i.firmware or "", i.device_type or "",
            i.serial or "", i.mac or "", i.confidence, i.manufacturer_basis or "",
            " ".join(str(p) for p in d.open_ports), *verdicts, *vulns, evidence, unknown)])
    return out.getvalue()
