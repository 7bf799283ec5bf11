"""Restriction regimes: which law, list or statement restricts which manufacturer's equipment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from camaudit.knowledge.brands import normalise, sources_of
from camaudit.knowledge.files import KnowledgeError, data_files, load_yaml, require
from camaudit.model import Source


@dataclass(frozen=True)
class Regime:
    id: str
    name: str
    jurisdiction: str
    authority: str
    dates: Mapping[str, str]
    covers: tuple[str, ...]
    scope: str
    caveat: str
    effect: str
    applies_to: str
    sources: tuple[Source, ...]
    checked: str

    def covers_maker(self, manufacturer: str | None) -> bool:
        return manufacturer is not None and normalise(manufacturer) in {normalise(m) for m in self.covers}


def load_regimes() -> list[Regime]:
    regimes: list[Regime] = []
    for path in data_files("knowledge"):
        if not path.stem.startswith("regimes"):
            continue
        doc = load_yaml(path) or []
        if not isinstance(doc, list):
            raise KnowledgeError(f"{path}: expected a list of regimes")
        for i, entry in enumerate(doc):
            where = f"{path.name} entry {i + 1}"
            covers = []
            for c in require(entry, "covers", where, list):
                covers.append(c["manufacturer"] if isinstance(c, Mapping) else str(c))
            regimes.append(
                Regime(
                    id=require(entry, "id", where),
                    name=require(entry, "name", where),
                    jurisdiction=str(entry.get("jurisdiction", "")),
                    authority=str(entry.get("authority", "")),
                    dates={str(k): str(v) for k, v in (entry.get("dates") or {}).items()},
                    covers=tuple(covers),
                    scope=str(entry.get("scope", "")).strip(),
                    caveat=str(entry.get("caveat", "")).strip(),
                    effect=str(entry.get("effect", "")).strip(),
                    applies_to=str(entry.get("applies_to", "")).strip(),
                    sources=sources_of(entry, where),
                    checked=str(entry.get("checked", "")),
                )
            )
    return regimes
