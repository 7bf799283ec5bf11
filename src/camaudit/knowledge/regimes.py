"""Restriction regimes: which law, list or statement restricts which manufacturer's equipment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from camaudit.knowledge.brands import AFFILIATE_RELATIONSHIPS, Brand, normalise, sources_of
from camaudit.knowledge.files import KnowledgeError, require
from camaudit.knowledge.schema import knowledge_documents
from camaudit.model import Source


@dataclass(frozen=True)
class Covered:
    """One maker a regime names, and whether its subsidiaries and affiliates are named with it."""

    manufacturer: str
    legal_name: str
    includes_affiliates: bool


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
    covered: tuple[Covered, ...] = ()

    def covers_maker(self, manufacturer: str | None) -> bool:
        return manufacturer is not None and normalise(manufacturer) in {normalise(m) for m in self.covers}

    def entry_for(self, manufacturer: str | None) -> Covered | None:
        if manufacturer is None:
            return None
        return next((c for c in self.covered if normalise(c.manufacturer) == normalise(manufacturer)), None)

    def excludes_affiliate(self, manufacturer: str | None, relationship: str | None) -> bool:
        """True when the regime names ``manufacturer`` itself only and the unit comes from its subsidiary or
        affiliate (``relationship`` is the label's, from brands.yaml): then the regime does not reach it."""
        entry = self.entry_for(manufacturer)
        return entry is not None and not entry.includes_affiliates and relationship in AFFILIATE_RELATIONSHIPS


def load_regimes() -> list[Regime]:
    regimes: list[Regime] = []
    for path, doc in knowledge_documents("regimes"):
        for i, entry in enumerate(doc):
            where = f"{path.name} entry {i + 1}"
            covers = []
            covered = []
            for c in require(entry, "covers", where, list):
                name = c["manufacturer"] if isinstance(c, Mapping) else str(c)
                covers.append(name)
                covered.append(Covered(
                    manufacturer=name,
                    legal_name=str(c.get("legal_name", name)) if isinstance(c, Mapping) else name,
                    # a regime that does not say is read as naming the entity only: never widen coverage by default
                    includes_affiliates=bool(c.get("includes_affiliates", False)) if isinstance(c, Mapping) else False,
                ))
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
                    covered=tuple(covered),
                )
            )
    return regimes


#: The regime brands.yaml's ``covered:`` is stated against (see the file's header).
COVERED_REFERENCE = "us-ndaa-889"


def brand_problems(brands: Iterable[Brand], regimes: Iterable[Regime]) -> list[str]:
    """Where a brand's ``covered:`` disagrees with what the reference regime says of its maker."""
    reference = next((r for r in regimes if r.id == COVERED_REFERENCE), None)
    if reference is None:
        return []  # a user's own regime set without the reference: nothing to check against
    out = []
    for brand in brands:
        if brand.manufacturer is None:
            if brand.covered is not None:
                out.append(f"brands: {brand.brand}: 'covered: {brand.covered}' but no manufacturer is established")
            continue
        expected = reference.covers_maker(brand.manufacturer) and not reference.excludes_affiliate(
            brand.manufacturer, brand.relationship)
        if brand.covered is None:
            out.append(f"brands: {brand.brand}: 'covered' is missing ({reference.id} says {str(expected).lower()})")
        elif brand.covered != expected:
            out.append(f"brands: {brand.brand}: 'covered: {str(brand.covered).lower()}' but {reference.id} "
                       f"{'names' if expected else 'does not name'} {brand.manufacturer}"
                       f"{' (as ' + brand.relationship + ')' if brand.relationship != 'self' else ''}")
    return out


def check_brands(brands: Iterable[Brand], regimes: Iterable[Regime]) -> None:
    problems = brand_problems(brands, regimes)
    if problems:
        raise KnowledgeError("; ".join(problems))
