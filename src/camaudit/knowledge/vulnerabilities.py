"""Published vulnerabilities (``data/knowledge/vulnerabilities*.yaml``), validated as they load.

Each file is first checked against the schema ``data/schema/vulnerabilities.json`` (unknown keys are
errors), then every firmware bound is parsed with the maker's grammar (:mod:`camaudit.knowledge.firmware`),
so a bound camaudit could not compare is an error naming the file and the entry, not a silent miss at
scan time. Files load in name order; an entry whose id an earlier file already gave replaces it but keeps
what it does not say itself (CVSS, KEV, EPSS) and adds its sources, so a hand-written advisory in
``vulnerabilities.yaml`` refines the one ``camaudit kb update`` wrote in ``vulnerabilities-cve.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from camaudit.knowledge.brands import sources_of
from camaudit.knowledge.files import KnowledgeError, data_files, load_yaml, require
from camaudit.knowledge.firmware import FirmwareError, FirmwareVersion, maker_key, parse_strict
from camaudit.knowledge.schema import jsonable, problems
from camaudit.model import Source

CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
MATCH_KINDS = ("prefix", "exact")


@dataclass(frozen=True)
class Cvss:
    score: float
    version: str
    vector: str | None
    source: str

    @property
    def severity(self) -> str:
        """The CVSS v3 qualitative rating of the base score."""
        if self.score >= 9.0:
            return "critical"
        if self.score >= 7.0:
            return "high"
        if self.score >= 4.0:
            return "medium"
        if self.score > 0.0:
            return "low"
        return "none"


@dataclass(frozen=True)
class Kev:
    date_added: str
    due_date: str | None = None
    ransomware: str | None = None
    source: str = "vulnerabilities.yaml"


@dataclass(frozen=True)
class Epss:
    score: float
    percentile: float | None
    date: str
    source: str


@dataclass(frozen=True)
class AffectedGroup:
    published: str
    models: tuple[str, ...]
    match: str
    first: FirmwareVersion | None
    last: FirmwareVersion | None
    build_before: date | None
    bound_note: str
    before: FirmwareVersion | None = None  # exclusive upper bound (CVE 5 lessThan, NVD versionEndExcluding)
    fixed: tuple[FirmwareVersion, ...] = ()  # versions published as not affected, from which a line is fixed
    rule: str = ""  # how the group was read from its record
    record: str = ""  # URL of the record the group came from

    @property
    def has_bound(self) -> bool:
        return (self.first is not None or self.last is not None or self.before is not None
                or self.build_before is not None or bool(self.fixed))


@dataclass(frozen=True)
class Advisory:
    id: str
    vendor: str
    title: str
    summary: str
    published: str
    cvss: Cvss | None
    kev: Kev | None
    affected: tuple[AffectedGroup, ...]
    models_listed: bool
    device_types: tuple[str, ...]
    fix: str
    sources: tuple[Source, ...]
    checked: str
    notes: str
    epss: Epss | None = None
    cwe: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # only devices showing one of these labels are judged (empty: any)
    updated: str = ""

    @property
    def severity(self) -> str:
        return self.cvss.severity if self.cvss else "unknown"

    @property
    def record(self) -> str:
        """The URL of the first source: the record the entry was written from."""
        return self.sources[0].url if self.sources else ""


def _date(value: Any, where: str, key: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise KnowledgeError(f"{where}: '{key}' must be a date (YYYY-MM-DD), got {value!r}") from exc


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _cvss(raw: Any, where: str) -> Cvss | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise KnowledgeError(f"{where}: 'cvss' must be a mapping or null")
    score = raw.get("score")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0.0 <= float(score) <= 10.0:
        raise KnowledgeError(f"{where}: cvss 'score' must be a number from 0 to 10, got {score!r}")
    source = _text(raw.get("source"))
    if not source:
        raise KnowledgeError(f"{where}: cvss needs a 'source' (who gave the score)")
    vector = raw.get("vector")
    return Cvss(float(score), _text(raw.get("version")), str(vector) if vector else None, source)


def _kev(raw: Any, where: str) -> Kev | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or "date_added" not in raw:
        raise KnowledgeError(f"{where}: 'kev' must be null or a mapping with 'date_added'")
    added = _date(raw["date_added"], where, "kev.date_added").isoformat()
    due = raw.get("due_date")
    return Kev(added, _date(due, where, "kev.due_date").isoformat() if due else None,
               source=_text(raw.get("source")) or "vulnerabilities.yaml")


def _epss(raw: Any, where: str) -> Epss | None:
    if raw is None:
        return None
    pct = raw.get("percentile")
    return Epss(float(raw["score"]), float(pct) if pct is not None else None, _text(raw["date"]),
                _text(raw["source"]))


def _bound(vendor: str, raw: Any, where: str, key: str) -> FirmwareVersion | None:
    if raw is None:
        return None
    try:
        return parse_strict(vendor, str(raw))
    except FirmwareError as exc:
        raise KnowledgeError(f"{where}: '{key}' bound cannot be read: {exc}") from exc


def _group(vendor: str, raw: Any, where: str) -> AffectedGroup:
    if not isinstance(raw, Mapping):
        raise KnowledgeError(f"{where}: each affected group must be a mapping")
    published = _text(require(raw, "published", where))
    models = require(raw, "models", where, list)
    if not all(isinstance(m, str) and m.strip() for m in models):
        raise KnowledgeError(f"{where}: 'models' must be a list of non-empty strings")
    match = str(raw.get("match", "prefix"))
    if match not in MATCH_KINDS:
        raise KnowledgeError(f"{where}: 'match' must be one of {', '.join(MATCH_KINDS)}; got {match!r}")
    first = _bound(vendor, raw.get("from"), where, "from")
    last = _bound(vendor, raw.get("to"), where, "to")
    below = _bound(vendor, raw.get("before"), where, "before")
    for a, b, name in ((first, last, "'to'"), (first, below, "'before'")):
        if a is None or b is None:
            continue
        if a.family != b.family:
            raise KnowledgeError(f"{where}: 'from' {a.text!r} and {name} {b.text!r} are different firmware lines")
        if a > b:
            raise KnowledgeError(f"{where}: 'from' {a.text!r} is above {name} {b.text!r}")
    fixed = tuple(_bound(vendor, v, where, "fixed") for v in raw.get("fixed") or [])
    before = raw.get("build_before")
    return AffectedGroup(
        published=published,
        models=tuple(m.strip() for m in models),
        match=match,
        first=first,
        last=last,
        build_before=_date(before, where, "build_before") if before is not None else None,
        bound_note=_text(raw.get("bound_note")),
        before=below,
        fixed=tuple(v for v in fixed if v is not None),
        rule=_text(raw.get("rule")),
        record=_text(raw.get("record")),
    )


def _advisory(entry: Any, where: str) -> Advisory:
    if not isinstance(entry, Mapping):
        raise KnowledgeError(f"{where}: expected a mapping")
    ident = require(entry, "id", where)
    if not CVE_ID.match(ident):
        raise KnowledgeError(f"{where}: 'id' must be a CVE id (CVE-YYYY-NNNN), got {ident!r}")
    where = f"{where} ({ident})"
    vendor = require(entry, "vendor", where)
    if maker_key(vendor) is None:
        raise KnowledgeError(f"{where}: no firmware grammar for vendor {vendor!r}")
    groups = require(entry, "affected", where, list)
    affected = tuple(_group(vendor, g, f"{where} affected group {j + 1}") for j, g in enumerate(groups))
    listed = entry.get("models_listed", True)
    if not isinstance(listed, bool):
        raise KnowledgeError(f"{where}: 'models_listed' must be true or false")
    if listed and (not affected or any(not g.models for g in affected)):
        raise KnowledgeError(f"{where}: every affected group needs model patterns (or set models_listed: false)")
    types = entry.get("device_types") or []
    if not isinstance(types, list):
        raise KnowledgeError(f"{where}: 'device_types' must be a list")
    fix = _text(require(entry, "fix", where))
    if not fix:
        raise KnowledgeError(f"{where}: 'fix' is empty")
    published = entry.get("published")
    return Advisory(
        id=ident,
        vendor=maker_key(vendor) or vendor,
        title=_text(require(entry, "title", where)),
        summary=_text(entry.get("summary")),
        published=_date(published, where, "published").isoformat() if published is not None else "",
        cvss=_cvss(entry.get("cvss"), where),
        kev=_kev(entry.get("kev"), where),
        affected=affected,
        models_listed=listed,
        device_types=tuple(str(t) for t in types),
        fix=fix,
        sources=sources_of(entry, where),
        checked=_date(require(entry, "checked", where, (str, date)), where, "checked").isoformat(),
        notes=_text(entry.get("notes")),
        epss=_epss(entry.get("epss"), where),
        cwe=tuple(str(c) for c in entry.get("cwe") or []),
        labels=tuple(str(x) for x in entry.get("labels") or []),
        updated=_text(entry.get("updated")),
    )


def validate_document(doc: Any, name: str) -> list[Any]:
    """Check a vulnerability file against data/schema/vulnerabilities.json; return its advisories (raw).
    The error names the file and the entry (``vulnerabilities.yaml entry 3 (CVE-...)``)."""
    plain = jsonable(doc if doc is not None else [])
    found = problems(plain, "vulnerabilities")
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise KnowledgeError(f"{name} {found[0]}{more}")
    return list(plain["advisories"] if isinstance(plain, Mapping) else plain)


def load_document(doc: Any, name: str) -> list[Advisory]:
    entries = validate_document(doc if doc is not None else [], name)
    return [_advisory(entry, f"{name} entry {i + 1}") for i, entry in enumerate(entries)]


def load_file(path: Path) -> list[Advisory]:
    return load_document(load_yaml(path), path.name)


def refine(earlier: Advisory, later: Advisory) -> Advisory:
    """``later`` replaces ``earlier`` but keeps what only ``earlier`` says (scores, listings, sources)."""
    known = {s.url for s in later.sources}
    return replace(
        later,
        cvss=later.cvss or earlier.cvss,
        kev=later.kev or earlier.kev,
        epss=later.epss or earlier.epss,
        cwe=later.cwe or earlier.cwe,
        published=later.published or earlier.published,
        sources=(*later.sources, *(s for s in earlier.sources if s.url not in known)),
    )


def load_vulnerabilities(extra: list[Path] | None = None) -> list[Advisory]:
    """The package's advisories, then each user folder's; a later entry with the same id refines it."""
    by_id: dict[str, Advisory] = {}
    for path in data_files("knowledge", extra):
        if path.stem.startswith("vulnerabilities"):
            for advisory in load_file(path):
                old = by_id.get(advisory.id)
                by_id[advisory.id] = refine(old, advisory) if old is not None else advisory
    return list(by_id.values())
