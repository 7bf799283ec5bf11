"""What each self-description parser's statements are worth, where its format is documented, and the
real answers it is tested on: ``data/knowledge/parsers.yaml``, checked against the parsers in code (every
parser described, nothing described that does not exist, no unknown keys)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from camaudit.identify.declared import PARSERS
from camaudit.knowledge.files import KnowledgeError, package_data, read_yaml, require
from camaudit.knowledge.schema import validate
from camaudit.model import PROTOCOLS

STATEMENT_FIELDS = ("maker", "manufacturer", "model", "firmware", "serial", "mac", "name", "banner")
_ENTRY_KEYS = {"id", "description", "source", "checked", "confidence", "examples"}
_EXAMPLE_KEYS = {"protocol", "value", "recording", "yields", "source", "note"}


@dataclass(frozen=True)
class ParserExample:
    protocol: str
    value: str | None  # the answer, verbatim (or a trimmed excerpt, said in the note)
    recording: str | None  # or the id of a recording the emulated fleet serves (simulate/recordings/)
    yields: Mapping[str, tuple[str, ...]]
    source: str


@dataclass(frozen=True)
class ParserEntry:
    id: str
    description: str
    source: str
    checked: str
    confidence: Mapping[str, float]
    examples: tuple[ParserExample, ...]


def _unknown(entry: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(entry) - allowed)
    if extra:
        raise KnowledgeError(f"{where}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})")


def _example(raw: Any, where: str) -> ParserExample:
    if not isinstance(raw, Mapping):
        raise KnowledgeError(f"{where}: an example is a mapping")
    _unknown(raw, _EXAMPLE_KEYS, where)
    protocol = require(raw, "protocol", where)
    if protocol not in PROTOCOLS:
        raise KnowledgeError(f"{where}: protocol {protocol!r} is not an evidence protocol")
    yields: dict[str, tuple[str, ...]] = {}
    for key, value in (raw.get("yields") or {}).items():
        if key not in STATEMENT_FIELDS:
            raise KnowledgeError(f"{where}: '{key}' is not a statement field ({', '.join(STATEMENT_FIELDS)})")
        yields[str(key)] = tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)
    value, recording = raw.get("value"), raw.get("recording")
    if (value is None) == (recording is None):
        raise KnowledgeError(f"{where}: give the answer as 'value' or as a 'recording' id, one of the two")
    return ParserExample(protocol, None if value is None else str(value), None if recording is None else str(recording),
                         yields, str(require(raw, "source", where)))


def load_parser_book(path: Path | None = None) -> dict[str, ParserEntry]:
    path = path or package_data() / "knowledge" / "parsers.yaml"
    doc, content = read_yaml(path)
    validate(doc, "parsers", path, content)  # data/schema/parsers.json: unknown keys are errors
    if not isinstance(doc, list):
        raise KnowledgeError(f"{path}: expected a list of parsers")
    book: dict[str, ParserEntry] = {}
    for i, raw in enumerate(doc):
        where = f"{path.name} entry {i + 1}"
        if not isinstance(raw, Mapping):
            raise KnowledgeError(f"{where}: not a mapping")
        _unknown(raw, _ENTRY_KEYS, where)
        parser_id = require(raw, "id", where)
        where = f"{where} ({parser_id})"
        confidence: dict[str, float] = {}
        for key, value in (require(raw, "confidence", where, Mapping)).items():
            if key not in STATEMENT_FIELDS:
                raise KnowledgeError(f"{where}: confidence for unknown field {key!r}")
            if not isinstance(value, (int, float)) or not 0 < value <= 1:
                raise KnowledgeError(f"{where}: confidence of {key} must be in (0, 1]")
            confidence[str(key)] = float(value)
        examples = tuple(_example(ex, f"{where} example {j + 1}")
                         for j, ex in enumerate(require(raw, "examples", where, list)))
        if not examples:
            raise KnowledgeError(f"{where}: a parser needs at least one real example")
        book[parser_id] = ParserEntry(parser_id, str(raw.get("description", "")), require(raw, "source", where),
                                      str(require(raw, "checked", where, (str, object))), confidence, examples)
    known = {p.id for p in PARSERS}
    if set(book) != known:
        missing, extra = sorted(known - set(book)), sorted(set(book) - known)
        raise KnowledgeError(f"{path.name}: parsers without an entry {missing}; entries without a parser {extra}")
    return book
