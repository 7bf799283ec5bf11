"""``camaudit kb update --records``: published records in, the project's vulnerability knowledge out.

Reads CVE JSON 5 records, NVD CVE API 2.0 JSON and CISA's KEV catalogue (files, directories such as a
cvelistV5 checkout, zips or tarballs), optionally FIRST's EPSS CSV, and writes one YAML file in the shape of
``data/schema/vulnerabilities.json`` with every CVE of a maker camaudit judges (those with a firmware
grammar, and the labels the brand book ties to them). Every advisory written is first loaded back with
the same loader the assessment uses, so nothing is written that ``camaudit kb validate`` would refuse.

A record that cannot be used is reported with its name and the reason, and the rest are still processed;
the summary counts them (the command then exits 2).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from camaudit.knowledge.files import KnowledgeError
from camaudit.knowledge.firmware import maker_key
from camaudit.knowledge.kev import KevError, parse_catalog
from camaudit.knowledge.records import (
    RecordError,
    RecordFile,
    Resolver,
    device_types,
    iter_input,
    kind_of,
    load_json,
    nvd_items,
    parse_cve5,
    parse_epss,
    parse_nvd,
)
from camaudit.knowledge.vulnerabilities import load_document

SNAPSHOT_FILE = "vulnerabilities-cve.json"
#: the catalogue's ``makes`` kinds that are video surveillance; a maker with none of them is out of scope
VIDEO_KINDS = frozenset({"camera", "recorder", "intercom", "encoder", "vms", "thermal"})
KEV_URL = "https://www.cisa.gov/known-exploited-vulnerabilities-catalog?field_cve={cve}"
EPSS_URL = "https://www.first.org/epss/data_stats"


@dataclass
class UpdateSummary:
    files: int = 0
    records: int = 0  # CVE records read (CVE 5 and NVD), whatever their vendor
    kept: int = 0  # advisories written
    by_vendor: dict[str, int] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)
    not_records: list[str] = field(default_factory=list)
    kev_entries: int = 0
    out_of_scope: list[str] = field(default_factory=list)  # CVEs of broad makers naming no video product line
    epss_scores: int = 0
    path: Path | None = None


def default_resolver() -> Resolver:
    """Vendors through the firmware grammars and the brand book; model families through the model grammars."""
    from camaudit.knowledge.brands import load_brandbook
    from camaudit.knowledge.fingerprints import load_rulebook
    from camaudit.knowledge.makers import default_catalogue, resolve_maker

    brands = load_brandbook()
    model_rules = [r for r in load_rulebook().rules if r.part == "model" and "device_type" in r.asserts]

    def lookup(name: str, relationships: tuple[str, ...]) -> str | None:
        if len(name) < 4 or name.lower() in ("n/a", "unknown"):
            return None
        text = name.replace("_", " ")
        brand = brands.brand(text)
        if brand is not None and brand.relationship != "self" and maker_key(brand.manufacturer):
            # a label of a maker camaudit has a firmware grammar for (Lorex, Amcrest, EZVIZ): that maker's
            # advisory, judged on devices showing the label
            return maker_key(brand.manufacturer) if brand.relationship in relationships else None
        if "self" not in relationships:
            return None
        declared = resolve_maker(text)  # the maker catalogue's spellings of each maker
        return (maker_key(declared.name) or declared.name) if declared is not None else None

    def brand(name: str) -> str | None:
        found = brands.brand(name.replace("_", " "))
        if found is None or found.relationship == "self" or maker_key(found.manufacturer) is None:
            return None
        return found.brand

    def vendor(name: str) -> str | None:
        return lookup(name, ("self", "subsidiary", "brand"))

    def label(name: str) -> str | None:
        return lookup(name, ("oem", "former-subsidiary"))

    def oem(name: str) -> str | None:
        return lookup(name, ("oem",))

    def family(token: str) -> str | None:
        upper = token.upper()
        for rule in model_rules:
            if rule.pattern.search(upper):
                return rule.asserts["device_type"]
        return None

    catalogue = list(default_catalogue())
    scopes = {maker_key(m.name) or m.name: [re.compile(v, re.I) for v in m.video_products]
              for m in catalogue if m.video_products}
    # a maker the catalogue lists only for other equipment (routers, printers, phones...) has no video line
    other = {maker_key(m.name) or m.name for m in catalogue if m.makes and not set(m.makes) & VIDEO_KINDS}

    def in_scope(maker: str, text: str) -> bool:
        if maker in other:
            return False
        patterns = scopes.get(maker)
        return patterns is None or any(p.search(text) for p in patterns)

    return Resolver(vendor=vendor, family=family, label=label, brand=brand, oem=oem, in_scope=in_scope)


def scope_text(draft: Mapping[str, Any]) -> str:
    """What the product-line patterns are matched against: the record's title, product names, models and text."""
    parts = [str(draft.get("title") or ""), str(draft.get("summary") or "")]
    for group in draft.get("affected") or []:
        parts.append(str(group.get("published") or ""))
        parts.extend(str(m) for m in group.get("models") or [])
    return " | ".join(parts)


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Two drafts of one CVE (its CVE 5 record and its NVD record): the CNA's text first, groups of both."""
    first, second = (old, new) if "CVE JSON 5" in old["sources"][0]["title"] else (new, old)
    merged = dict(first)
    merged["affected"] = [*first["affected"], *second["affected"]]
    merged["cvss"] = first.get("cvss") or second.get("cvss")
    merged["kev"] = first.get("kev") or second.get("kev")
    merged["cwe"] = list(dict.fromkeys([*first.get("cwe", []), *second.get("cwe", [])]))
    merged["labels"] = list(dict.fromkeys([*first.get("labels", []), *second.get("labels", [])]))
    known = {s["url"] for s in first["sources"]}
    merged["sources"] = [*first["sources"], *(s for s in second["sources"] if s["url"] not in known)]
    return merged


def _finish(draft: dict[str, Any], checked: str) -> dict[str, Any]:
    """Fill what the schema needs and say how unbounded groups are meant."""
    groups = draft.get("affected") or []
    loose = [g["published"] for g in groups if not g["models"]]
    vague = not loose or any(t.startswith("(") or t.lower() in ("n/a", "") for t in loose)
    words = " ".join([*loose, draft.get("summary", "") if vague else ""])
    listed = bool(groups) and all(g["models"] for g in groups)
    out = {k: v for k, v in draft.items() if v not in (None, "", [])}
    out["cvss"] = draft.get("cvss")
    out["kev"] = draft.get("kev")
    out["affected"] = groups
    out["models_listed"] = listed
    if not listed:
        # A record that names no model gives no model family to match: it is kept (it is published, and a
        # hand-written refinement may encode the vendor's list) but judged on no device. The device types
        # its text names are kept in the note for that refinement.
        kinds = device_types(words)
        out["device_types"] = []
        note = "The record names no model camaudit can match, so no device is judged against it"
        out["notes"] = f"{note} (its text names: {', '.join(kinds)})." if kinds else f"{note}."
    fixed = sorted({v for g in groups for v in g.get("fixed", [])})
    before = sorted({g["before"] for g in groups if g.get("before")})
    if fixed or before:
        out["fix"] = (f"Update to {' or '.join(fixed or before)} or later firmware for the model, as the record "
                      "says; see the vendor advisory it names.")
    else:
        out["fix"] = "Update to the fixed firmware the vendor advisory named in the record gives for the model."
    out["checked"] = checked
    return out


def _kev_draft(entry: Mapping[str, Any], label: str | None) -> dict[str, Any]:
    """A KEV listing for which no record was given: enough to name it, never more than possibly affected."""
    cve = entry["cve"]
    product = entry.get("product") or "(no product named)"
    return {
        "id": cve, "vendor": entry["vendor"], "title": entry.get("name") or cve,
        "summary": f"Listed in CISA's KEV catalogue ({product}); no CVE or NVD record was given to kb update.",
        "affected": [{"published": product, "models": [], "rule": "kev.product", "record": KEV_URL.format(cve=cve),
                      "bound_note": "the KEV catalogue names a product line, not models or versions"}],
        "cvss": None, "kev": None, "labels": [label] if label else [],
        "sources": [{"url": KEV_URL.format(cve=cve), "title": "CISA KEV catalogue entry"}],
    }


def build_snapshot(inputs: list[Path], *, kev_file: Path | None = None, epss_file: Path | None = None,
                   command: str = "", resolver: Resolver | None = None,
                   warn: Callable[[str], None] | None = None) -> tuple[dict[str, Any], UpdateSummary]:
    """Read every input and return (the document to write, what happened)."""
    resolve = resolver or default_resolver()
    summary = UpdateSummary()
    drafts: dict[str, dict[str, Any]] = {}
    kev: dict[str, dict[str, Any]] = {}
    kev_meta: dict[str, Any] = {}
    read_errors: list[str] = []
    sources = [*inputs, *([kev_file] if kev_file else [])]

    def reject(message: str) -> None:
        summary.rejected.append(message)
        if warn:
            warn(message)

    newest = ""  # the newest date the inputs carry: the snapshot's date, so a rebuild is byte-identical

    def take(draft: dict[str, Any] | None) -> None:
        nonlocal newest
        if draft is None:
            return
        newest = max(newest, _iso_day(draft.get("updated")), str(draft.get("published") or ""))
        old = drafts.get(draft["id"])
        drafts[draft["id"]] = _merge(old, draft) if old else draft

    for path in sources:
        for rec in iter_input(path, read_errors):
            summary.files += 1
            try:
                doc = load_json(rec)
                kind = kind_of(doc)
                if kind == "cve5":
                    summary.records += 1
                    take(parse_cve5(doc, rec.name, resolve))
                elif kind == "nvd":
                    for label, item in nvd_items(doc, rec.name):
                        summary.records += 1
                        try:
                            if not item:
                                raise RecordError(f"{label}: no 'cve' object")
                            take(parse_nvd(item, label, resolve))
                        except RecordError as exc:
                            reject(str(exc))
                elif kind == "kev":
                    meta, kept, _total = _kev(rec, resolve)
                    kev_meta = meta
                    newest = max(newest, _iso_day(meta.get("date_released")))
                    for entry in kept:
                        kev[entry["cve"]] = entry
                elif Path(rec.name.rsplit(":", 1)[-1]).name.upper().startswith("CVE-"):
                    raise RecordError(f"{rec.name}: neither a CVE JSON 5 record nor NVD CVE API 2.0 JSON")
                else:
                    summary.not_records.append(rec.name)
            except RecordError as exc:
                reject(str(exc))
    for message in read_errors:
        reject(message)
    checked = newest or datetime.now(UTC).date().isoformat()
    for cve, entry in kev.items():
        draft = drafts.get(cve) or _kev_draft(entry, resolve.brand(entry.get("vendor_project") or ""))
        draft["kev"] = {"date_added": entry["date_added"], "due_date": entry.get("due_date"),
                        "source": f"CISA KEV catalogue {kev_meta.get('catalog_version') or ''}".strip()}
        drafts[cve] = draft
    summary.kev_entries = len(kev)
    if epss_file is not None:
        try:
            scores, day = parse_epss(epss_file.read_bytes(), str(epss_file))
        except (OSError, RecordError) as exc:
            reject(f"{epss_file}: {exc}" if isinstance(exc, OSError) else str(exc))
        else:
            for cve, draft in drafts.items():
                if cve in scores:
                    score, pct = scores[cve]
                    draft["epss"] = {"score": score, "percentile": pct, "date": day or checked,
                                     "source": f"FIRST EPSS CSV {epss_file.name}"}
                    summary.epss_scores += 1
    advisories: list[dict[str, Any]] = []
    for cve in sorted(drafts, key=_id_order):
        if not resolve.in_scope(drafts[cve]["vendor"], scope_text(drafts[cve])):
            summary.out_of_scope.append(f"{cve} ({drafts[cve]['vendor']})")
            continue
        finished = _finish(drafts[cve], checked)
        try:
            load_document([finished], f"{cve} as written")
        except KnowledgeError as exc:
            reject(f"{drafts[cve]['sources'][0]['url']}: {exc}")
            continue
        advisories.append(finished)
        summary.by_vendor[finished["vendor"]] = summary.by_vendor.get(finished["vendor"], 0) + 1
    summary.kept = len(advisories)
    doc = {
        "generated": {
            "by": "camaudit kb update",
            "command": command,
            "date": checked,
            "inputs": [p.name for p in sources] + ([epss_file.name] if epss_file else []),
            "counts": {"files": summary.files, "records": summary.records, "advisories": summary.kept,
                       "rejected": len(summary.rejected), "kev_entries": summary.kev_entries,
                       "epss_scores": summary.epss_scores, "out_of_scope": len(summary.out_of_scope)},
            "vendors": dict(sorted(summary.by_vendor.items())),
        },
        "advisories": advisories,
    }
    return doc, summary


def _iso_day(value: Any) -> str:
    """``2024-08-05`` from an ISO timestamp or date; "" for anything else."""
    text = str(value or "")[:10]
    return text if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else ""


def _id_order(cve: str) -> tuple[int, int]:
    _, year, number = cve.split("-")
    return int(year), int(number)


def _kev(rec: RecordFile, resolve: Resolver) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    try:
        return parse_catalog(rec.data, rec.name, lambda name: resolve.vendor(name) or resolve.label(name))
    except KevError as exc:
        raise RecordError(str(exc)) from exc
    except (RecursionError, ValueError) as exc:
        raise RecordError(f"{rec.name}: not a usable KEV catalogue ({type(exc).__name__})") from exc


HEADER = (
    "# Vulnerability knowledge written by `camaudit kb update` from published records (CVE JSON 5, NVD CVE\n"
    "# API 2.0, CISA KEV, FIRST EPSS). Do not edit: rerun the command in `generated.command`. Hand-written\n"
    "# refinements go in vulnerabilities.yaml, which loads after this file and refines the same ids.\n"
)


def write_snapshot(doc: Mapping[str, Any], path: Path) -> None:
    """Write atomically (a temporary file renamed into place): JSON for a ``.json`` path (what ships: it
    reads in milliseconds), else YAML with a comment header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".vuln-", suffix=path.suffix or ".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            if path.suffix == ".json":
                body = {"generated": {**doc["generated"], "note": " ".join(HEADER.replace("#", "").split())},
                        "advisories": doc["advisories"]}
                json.dump(body, fh, indent=1, ensure_ascii=False)
                fh.write("\n")
            else:
                fh.write(HEADER)
                yaml.safe_dump(dict(doc), fh, sort_keys=False, allow_unicode=True, width=110)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; knowledge is for every reader
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def command_line(argv: list[str]) -> str:
    return "camaudit " + " ".join(shlex.quote(a) for a in argv)
