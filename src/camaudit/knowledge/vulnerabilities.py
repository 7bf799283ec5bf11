"""Published vulnerabilities (``data/knowledge/vulnerabilities*.yaml``), validated as they load.

Each file is first checked against the schema ``data/schema/vulnerabilities.json`` (unknown keys are
errors), then every firmware bound is parsed with the maker's grammar (:mod:`camaudit.knowledge.firmware`),
so a bound camaudit could not compare is an error naming the file and the entry, not a silent miss at
scan time. Files load in name order; an entry whose id an earlier file already gave replaces it but keeps
what it does not say itself (CVSS, KEV, EPSS) and adds its sources, so a hand-written advisory in
``vulnerabilities.yaml`` refines the one ``camaudit kb update`` wrote in ``vulnerabilities-cve.json``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from camaudit.knowledge.brands import sources_of
from camaudit.knowledge.files import KnowledgeError, package_data, require, user_dirs
from camaudit.knowledge.firmware import FirmwareError, FirmwareVersion, maker_key, parse_strict
from camaudit.knowledge.schema import file_problems_of, jsonable, problems
from camaudit.model import Source
from camaudit.untrusted import InputError, loads_json

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
    build_from: date | None = None  # first affected build day, included ("Build between 2015/07 and 2017/03")

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


def catalogue_name(name: str | None) -> str | None:
    """The maker catalogue's name for a vendor ('Axis Communications AB' -> 'Axis'), or None."""
    from camaudit.knowledge.makers import resolve_maker

    found = resolve_maker(name) if name else None
    return found.name if found is not None else None


def judged_maker(name: str | None) -> str | None:
    """The name advisories use for a maker: its firmware grammar's, else the maker catalogue's."""
    return maker_key(name) or catalogue_name(name)


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
    since = raw.get("build_from")
    if since is not None and before is None:
        raise KnowledgeError(f"{where}: 'build_from' needs 'build_before'")
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
        build_from=_date(since, where, "build_from") if since is not None else None,
    )


def _advisory(entry: Any, where: str) -> Advisory:
    if not isinstance(entry, Mapping):
        raise KnowledgeError(f"{where}: expected a mapping")
    ident = require(entry, "id", where)
    if not CVE_ID.match(ident):
        raise KnowledgeError(f"{where}: 'id' must be a CVE id (CVE-YYYY-NNNN), got {ident!r}")
    where = f"{where} ({ident})"
    vendor = require(entry, "vendor", where)
    known = maker_key(vendor) or catalogue_name(vendor)
    if known is None:
        raise KnowledgeError(f"{where}: vendor {vendor!r} has no firmware grammar and is not in the maker catalogue")
    vendor = known
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
        vendor=vendor,
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


def validate_document(doc: Any, name: str, read_from: tuple[Path, bytes] | None = None) -> list[Any]:
    """Check a vulnerability file against data/schema/vulnerabilities.json; return its advisories (raw).
    The error names the file and the entry (``vulnerabilities.yaml entry 3 (CVE-...)``). ``read_from``: the
    file and the bytes the document was read from (a shipped file found valid before is not checked again)."""
    plain = jsonable(doc if doc is not None else [])
    if read_from is not None:
        found = file_problems_of(plain, "vulnerabilities", read_from[0], read_from[1])
    else:
        found = problems(plain, "vulnerabilities")
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise KnowledgeError(f"{name} {found[0]}{more}")
    return list(plain["advisories"] if isinstance(plain, Mapping) else plain)


@lru_cache(maxsize=1)
def _allowed_keys() -> dict[str, frozenset[str]]:
    """Each object's keys as the schema lists them (data/schema/vulnerabilities.json, common.json)."""
    import json

    from camaudit.knowledge.files import package_data

    folder = package_data() / "schema"
    defs = json.loads((folder / "vulnerabilities.json").read_text(encoding="utf-8"))["$defs"]
    common = json.loads((folder / "common.json").read_text(encoding="utf-8"))["$defs"]
    keys = {name: frozenset(d.get("properties", {})) for name, d in defs.items()}
    keys["source"] = frozenset(common["source"]["oneOf"][1]["properties"])
    return keys


def check_keys(entries: list[Any], name: str) -> None:
    """Reject keys the schema does not list, without the full schema check (which ``kb validate`` and
    ``kb update`` run): the generated snapshot has hundreds of entries and is read by every run."""
    allowed = _allowed_keys()

    def unknown(value: Any, kind: str, where: str) -> None:
        if isinstance(value, Mapping):
            extra = sorted(set(value) - allowed[kind])
            if extra:
                raise KnowledgeError(f"{name} {where}: unknown key {extra[0]!r} (allowed: "
                                     f"{', '.join(sorted(allowed[kind]))})")

    for i, entry in enumerate(entries):
        label = f"advisories[{i + 1}] ({entry.get('id')})" if isinstance(entry, Mapping) else f"advisories[{i + 1}]"
        unknown(entry, "advisory", label)
        if not isinstance(entry, Mapping):
            continue
        for key in ("cvss", "kev", "epss"):
            unknown(entry.get(key), key, f"{label}.{key}")
        for j, group in enumerate(entry.get("affected") or []):
            unknown(group, "group", f"{label}.affected[{j + 1}]")
        for j, source in enumerate(entry.get("sources") or []):
            unknown(source, "source", f"{label}.sources[{j + 1}]")


def load_document(doc: Any, name: str, full: bool = True,
                  read_from: tuple[Path, bytes] | None = None) -> list[Advisory]:
    """Advisories of one document. ``full=False`` (a generated snapshot read at run time) checks unknown
    keys and every value the loader reads, but not the whole schema. ``read_from``: see
    :func:`validate_document`."""
    if full or not (isinstance(doc, Mapping) and "generated" in doc):
        entries = validate_document(doc if doc is not None else [], name, read_from)
    else:
        extra = sorted(set(doc) - {"generated", "advisories"})
        if extra or not isinstance(doc.get("advisories"), list):
            raise KnowledgeError(f"{name}: a generated file has exactly 'generated' and 'advisories' "
                                 f"(unknown: {', '.join(extra) or 'none'})")
        entries = jsonable(doc["advisories"])
        check_keys(entries, name)
    return [_advisory(entry, f"{name} entry {i + 1}") for i, entry in enumerate(entries)]


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the same safe reading, faster


@lru_cache(maxsize=64)
def _load_cached(path: str, _mtime_ns: int, _size: int, full: bool) -> tuple[Advisory, ...]:
    file = Path(path)
    try:
        content = file.read_bytes()
        # kb update writes JSON (read in milliseconds); YAML through a safe loader (CSafeLoader or SafeLoader)
        text = content.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as a text file reads
        doc = loads_json(text) if file.suffix == ".json" else yaml.load(text, Loader=_LOADER)
    except OSError as exc:
        raise KnowledgeError(f"{file}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{file}: not valid YAML: {exc}") from exc
    except InputError as exc:
        raise KnowledgeError(f"{file}: not valid JSON: {exc}") from exc
    return tuple(load_document(doc, file.name, full, (file, content)))


def load_file(path: Path, full: bool = True) -> list[Advisory]:
    """The advisories of one file, read once per process while the file is unchanged (the generated
    snapshot has hundreds; every scan, import and identify run reads them)."""
    try:
        st = path.stat()
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot read ({exc.strerror})") from exc
    return list(_load_cached(str(path), st.st_mtime_ns, st.st_size, full))


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


def vulnerability_files(extra: list[Path] | None = None) -> list[Path]:
    """``knowledge/vulnerabilities*.yaml`` and ``*.json`` (written by kb update) of the package, then of each
    user folder, each folder's in name order (``vulnerabilities-cve.json`` before ``vulnerabilities.yaml``)."""
    roots = [package_data(), *(extra if extra is not None else user_dirs())]
    out: list[Path] = []
    for root in roots:
        folder = root / "knowledge"
        if folder.is_dir():
            out.extend(sorted(p for p in folder.iterdir() if p.is_file() and p.stem.startswith("vulnerabilities")
                              and p.suffix in (".yaml", ".json")))
    return out


def load_vulnerabilities(extra: list[Path] | None = None, full: bool = False) -> list[Advisory]:
    """The package's advisories, then each user folder's; a later entry with the same id refines it.
    ``full`` checks generated files against the whole schema too (``camaudit kb validate``)."""
    by_id: dict[str, Advisory] = {}
    for path in vulnerability_files(extra):
        if path.stem.startswith("vulnerabilities"):
            for advisory in load_file(path, full):
                old = by_id.get(advisory.id)
                by_id[advisory.id] = refine(old, advisory) if old is not None else advisory
    return list(by_id.values())
