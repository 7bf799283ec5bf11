"""How far each kind of evidence speaks, on its own, for who made a device (``knowledge/authority*.yaml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from camaudit.knowledge.files import KnowledgeError
from camaudit.knowledge.schema import knowledge_documents

SELF_DESCRIPTION = "self-description"
WITH_MODEL = "self-description-with-model"
TRAIT = "trait"
DERIVED = "derived"  # another tool's conclusion from answers camaudit also reads: never a kind of its own


@dataclass(frozen=True)
class KindAuthority:
    kind: str
    authority: str
    says: str
    source: str


@dataclass(frozen=True)
class Authority:
    """Each evidence kind's authority; a kind not listed is a trait."""

    kinds: Mapping[str, KindAuthority]

    def of(self, kind: str) -> str:
        found = self.kinds.get(kind)
        return found.authority if found else TRAIT


def _source(raw: object) -> str:
    return raw if isinstance(raw, str) else str(raw["url"]) if isinstance(raw, dict) else ""


def load_authority(extra: list[Path] | None = None) -> Authority:
    kinds: dict[str, KindAuthority] = {}
    for path, doc in knowledge_documents("authority", extra):
        seen: set[str] = set()
        for entry in doc:
            if entry["kind"] in seen:
                raise KnowledgeError(f"{path}: kind {entry['kind']!r} is listed twice")
            seen.add(entry["kind"])
            # a user's file (read after the package's) may change a kind's authority
            kinds[entry["kind"]] = KindAuthority(entry["kind"], entry["authority"], entry["says"],
                                                 _source(entry["sources"][0]))
    return Authority(kinds)


@lru_cache(maxsize=1)
def default_authority() -> Authority:
    return load_authority()
