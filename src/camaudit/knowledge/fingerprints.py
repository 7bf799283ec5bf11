"""Fingerprint rules: one YAML file per evidence kind, each rule with a pattern, what it asserts,
verbatim examples of real responses and the values they must yield, and a public source.

A rule fires on one *part* of an observation (see :mod:`camaudit.identify.parts`). Its regular
expression may capture named groups (``(?P<model>...)``) whose names are identity fields; fixed
values go in ``asserts``. ``tests/test_fingerprints.py`` walks every rule and checks its examples.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from camaudit.knowledge.files import KnowledgeError, data_files, read_yaml, require
from camaudit.knowledge.schema import validate
from camaudit.model import PROTOCOLS

#: The fixed vocabulary of what a rule may assert (Recog keeps one too, so near-duplicates cannot creep in).
FIELDS = ("manufacturer", "brand", "model", "firmware", "device_type", "serial", "mac", "family", "capability", "cloud")

#: Fields that collect every value asserted (a device has many capabilities) instead of choosing one.
SET_FIELDS = ("capability", "cloud")

#: Device types a rule may assert.
DEVICE_TYPES = ("IP Camera", "NVR", "DVR", "Intercom", "Encoder", "Web Server", "Printer", "Router", "Media Server")

PART_PREFIXES = ("header:", "xml:", "json:", "kv:", "subject.", "issuer.", "scope:", "sdp:")
PLAIN_PARTS = ("raw", "status", "realm", "body", "title", "subject", "issuer", "san", "serial", "model")


@dataclass(frozen=True)
class Example:
    value: str
    yields: Mapping[str, str]
    source: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    part: str
    pattern: re.Pattern[str]
    asserts: Mapping[str, str]
    confidence: float
    description: str
    source: str
    checked: str
    examples: tuple[Example, ...] = ()
    file: str = ""
    cpe: str | None = None
    captures: tuple[str, ...] = field(default=())
    #: a model grammar that reads banner words written without a hyphen too ("WNR2000" in a realm); False for
    #: one whose label's numbers a banner word of letters and digits alone could match by chance ("ASH21")
    plain_words: bool = True

    def match(self, value: str) -> dict[str, str] | None:
        """The fields this rule yields for one part value, or None when it does not match."""
        found = self.pattern.search(value)
        if found is None:
            return None
        out = dict(self.asserts)
        for name in self.captures:
            captured = found.group(name)
            if captured:
                out[name] = " ".join(captured.split())
        return out

    def matched_text(self, value: str) -> str:
        found = self.pattern.search(value)
        return found.group(0)[:200] if found else ""


def _valid_part(part: str) -> bool:
    return part in PLAIN_PARTS or any(part.startswith(p) and len(part) > len(p) for p in PART_PREFIXES)


def _parse_rule(raw: Mapping[str, Any], kind: str, where: str, file: str) -> Rule:
    entry = dict(raw)
    rule_id = require(entry, "id", where)
    where = f"{where} ({rule_id})"
    part = require(entry, "part", where)
    if not _valid_part(part):
        raise KnowledgeError(f"{where}: unknown part {part!r}")
    flags = re.IGNORECASE if entry.get("ignorecase", False) else 0
    try:
        pattern = re.compile(require(entry, "pattern", where), flags | re.DOTALL)
    except re.error as exc:
        raise KnowledgeError(f"{where}: bad pattern: {exc}") from exc
    asserts = {str(k): str(v) for k, v in (entry.get("asserts") or {}).items()}
    captures = tuple(pattern.groupindex)
    for name in (*asserts, *captures):
        if name not in FIELDS:
            raise KnowledgeError(f"{where}: '{name}' is not an identity field ({', '.join(FIELDS)})")
    if "device_type" in asserts and asserts["device_type"] not in DEVICE_TYPES:
        raise KnowledgeError(f"{where}: device_type {asserts['device_type']!r} is not one of {DEVICE_TYPES}")
    if not asserts and not captures:
        raise KnowledgeError(f"{where}: a rule must assert or capture at least one field")
    plain_words = entry.get("plain_words", True)
    if not isinstance(plain_words, bool) or (not plain_words and part != "model"):
        raise KnowledgeError(f"{where}: plain_words is true or false, and only a model grammar (part model) sets it")
    confidence = float(entry.get("confidence", 0.8))
    if not 0 < confidence <= 1:
        raise KnowledgeError(f"{where}: confidence must be in (0, 1]")
    examples = []
    for i, ex in enumerate(require(entry, "examples", where, list)):
        if not isinstance(ex, Mapping) or "value" not in ex:
            raise KnowledgeError(f"{where}: example {i + 1} needs a 'value'")
        examples.append(
            Example(
                value=str(ex["value"]),
                yields={str(k): str(v) for k, v in (ex.get("yields") or {}).items()},
                source=ex.get("source"),
            )
        )
    if not examples:
        raise KnowledgeError(f"{where}: a rule needs at least one verbatim example")
    return Rule(
        id=rule_id,
        kind=kind,
        part=part,
        pattern=pattern,
        asserts=asserts,
        confidence=confidence,
        description=str(entry.get("description", "")),
        source=require(entry, "source", where),
        checked=str(require(entry, "checked", where, (str, object))),
        examples=tuple(examples),
        file=file,
        cpe=entry.get("cpe"),
        captures=captures,
        plain_words=plain_words,
    )


def load_file(path: Path) -> list[Rule]:
    doc, content = read_yaml(path)
    if not isinstance(doc, Mapping):
        raise KnowledgeError(f"{path}: expected a mapping with 'kind' and 'rules'")
    validate(doc, "fingerprints", path, content)
    kinds = doc.get("kind")
    kind_list = [kinds] if isinstance(kinds, str) else list(kinds or [])
    for kind in kind_list:
        if kind not in PROTOCOLS:
            raise KnowledgeError(f"{path}: kind {kind!r} is not an evidence protocol")
    rules: list[Rule] = []
    for i, raw in enumerate(doc.get("rules") or []):
        if not isinstance(raw, Mapping):
            raise KnowledgeError(f"{path}: rule {i + 1} is not a mapping")
        for kind in kind_list:
            rules.append(_parse_rule(raw, kind, f"{path.name} rule {i + 1}", path.name))
    return rules


@dataclass(frozen=True)
class RuleBook:
    """Every rule, indexed by the evidence kind it applies to, in file order."""

    rules: tuple[Rule, ...]
    _by_kind: dict[str, list[Rule]] = field(default_factory=dict, init=False, repr=False, compare=False)
    #: per-kind prefilters (camaudit.identify.prefilter), built on first use
    prefilters: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for rule in self.rules:  # indexed once: identification asks for every observation
            self._by_kind.setdefault(rule.kind, []).append(rule)

    def for_kind(self, kind: str) -> list[Rule]:
        return self._by_kind.get(kind, [])

    def by_id(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


@dataclass(frozen=True)
class Collision:
    """A model prefix several makers write: matching it alone names none of them."""

    prefix: str
    makers: tuple[str, ...]
    examples: Mapping[str, tuple[str, ...]]
    note: str
    sources: tuple[str, ...]


def load_collisions(paths: Iterable[Path] | None = None) -> list[Collision]:
    """The ``collisions`` lists of the fingerprint files (models.yaml keeps them)."""
    out = []
    for path in list(paths) if paths is not None else list(data_files("fingerprints")):
        doc, content = read_yaml(path)
        if not isinstance(doc, Mapping):
            continue
        validate(doc, "fingerprints", path, content)
        for entry in doc.get("collisions") or []:
            out.append(Collision(
                prefix=str(entry["prefix"]),
                makers=tuple(str(m) for m in entry["makers"]),
                examples={str(k): tuple(str(v) for v in vs) for k, vs in (entry.get("examples") or {}).items()},
                note=" ".join(str(entry.get("note", "")).split()),
                sources=tuple(s if isinstance(s, str) else str(s["url"]) for s in entry["sources"]),
            ))
    return out


def load_rulebook(paths: Iterable[Path] | None = None) -> RuleBook:
    files = list(paths) if paths is not None else list(data_files("fingerprints"))
    rules: list[Rule] = []
    seen: dict[tuple[str, str], str] = {}
    for path in files:
        for rule in load_file(path):
            key = (rule.id, rule.kind)
            if key in seen:
                raise KnowledgeError(f"{path.name}: rule id {rule.id} already defined in {seen[key]}")
            seen[key] = path.name
            rules.append(rule)
    return RuleBook(tuple(rules))
