"""Capability knowledge (``data/knowledge/capabilities*.yaml``): what each capability means for the people in
front of the camera, and which models public sources report with which capabilities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from camaudit.knowledge.files import KnowledgeError, require
from camaudit.knowledge.schema import knowledge_documents
from camaudit.model import Source

#: The fixed capability vocabulary (fingerprint rules may assert only these; tests check it).
CAPABILITIES = ("face-detection", "face-capture", "face-recognition", "demographic-attributes",
                "ethnicity-classification", "anpr", "audio-capture", "people-counting")


@dataclass(frozen=True)
class Meaning:
    capability: str
    title: str
    severity: str
    meaning: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class ModelReport:
    id: str
    vendor: str
    models: tuple[str, ...]
    match: str
    published: str
    capabilities: tuple[str, ...]
    quote: str
    note: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class CapabilityBook:
    meanings: Mapping[str, Meaning]
    models: tuple[ModelReport, ...]


def _sources(entry: Mapping[str, Any], where: str) -> tuple[Source, ...]:
    out = []
    for raw in require(entry, "sources", where, list):
        if not isinstance(raw, Mapping) or not str(raw.get("url", "")).startswith(("https://", "http://")):
            raise KnowledgeError(f"{where}: every source needs a url")
        out.append(Source(url=str(raw["url"]), title=raw.get("title")))
    if not out:
        raise KnowledgeError(f"{where}: at least one source is required")
    return tuple(out)


def _capabilities(values: Any, where: str) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise KnowledgeError(f"{where}: 'capabilities' must be a list")
    for value in values:
        if value not in CAPABILITIES:
            raise KnowledgeError(f"{where}: {value!r} is not a capability ({', '.join(CAPABILITIES)})")
    return tuple(str(v) for v in values)


def load_capability_book() -> CapabilityBook:
    meanings: dict[str, Meaning] = {}
    models: list[ModelReport] = []
    for path, doc in knowledge_documents("capabilities", empty=dict):
        for i, entry in enumerate(doc.get("meanings") or []):
            where = f"{path.name} meaning {i + 1}"
            name = require(entry, "capability", where)
            _capabilities([name], where)
            meanings[name] = Meaning(name, require(entry, "title", where), str(entry.get("severity", "medium")),
                                     " ".join(require(entry, "meaning", where).split()), _sources(entry, where))
        for i, entry in enumerate(doc.get("models") or []):
            where = f"{path.name} model {i + 1}"
            models.append(ModelReport(
                id=require(entry, "id", where), vendor=require(entry, "vendor", where),
                models=tuple(str(m) for m in require(entry, "models", where, list)),
                match=str(entry.get("match", "prefix")), published=str(entry.get("published", "")),
                capabilities=_capabilities(entry.get("capabilities"), where),
                quote=" ".join(require(entry, "quote", where).split()),
                note=" ".join(str(entry.get("note", "")).split()), sources=_sources(entry, where)))
    return CapabilityBook(meanings, tuple(models))
