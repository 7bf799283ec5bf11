"""Brand relationships (which label is made by whom) and MAC prefix assignments."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from camaudit.knowledge.files import KnowledgeError, require
from camaudit.knowledge.makers import MakerCatalogue, load_makers
from camaudit.knowledge.oui import REGISTRY_URL, Registry, default_registry, mac_int, parse_prefix
from camaudit.knowledge.schema import knowledge_documents
from camaudit.model import Source

STRENGTHS = {"strong": 0.9, "medium": 0.7, "weak": 0.5}
RELATIONSHIPS = ("self", "subsidiary", "affiliate", "brand", "oem", "reseller", "former-oem", "former-subsidiary",
                 "disputed", "unknown")
#: Relationships where the label's own company (a subsidiary, an affiliate) makes the product: a regime that
#: names the parent but not its affiliates does not reach it.
AFFILIATE_RELATIONSHIPS = ("subsidiary", "affiliate")
#: The most a label alone is worth when its relationship held only for a time, or for some models.
BOUNDED_CONFIDENCE = 0.5


def _when(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Period:
    """One relationship of a label with a maker, and when it held."""

    manufacturer: str | None
    relationship: str
    strength: str
    since: str | None
    until: str | None  # a date, "unknown" (ended, date not known) or None (still holds)
    lines: str
    note: str
    sources: tuple[Source, ...]

    @property
    def bounded(self) -> bool:
        """The relationship has ended (on a known date or not): a unit's label no longer settles its maker."""
        return self.until is not None or self.relationship.startswith("former-")

    def span(self) -> str:
        if self.until == "unknown":
            return f"{'from ' + self.since + ' ' if self.since else ''}until an unknown date"
        if self.since and self.until:
            return f"from {self.since} until {self.until}"
        if self.until:
            return f"until {self.until}"
        if self.since:
            return f"since {self.since}"
        return "at some time (dates not known)" if self.relationship.startswith("former-") else ""


def sources_of(entry: Mapping[str, Any], where: str) -> tuple[Source, ...]:
    raw = entry.get("sources")
    if not isinstance(raw, list) or not raw:
        raise KnowledgeError(f"{where}: needs at least one source")
    out = []
    for s in raw:
        if isinstance(s, str):
            out.append(Source(url=s))
        elif isinstance(s, Mapping) and isinstance(s.get("url"), str):
            date = s.get("date")
            out.append(Source(url=s["url"], title=s.get("title"), date=str(date) if date else None))
        else:
            raise KnowledgeError(f"{where}: each source needs a 'url'")
    return tuple(out)


@functools.lru_cache(maxsize=65536)  # every verdict normalises the same few maker names
def normalise(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


@dataclass(frozen=True)
class Brand:
    brand: str
    aliases: tuple[str, ...]
    manufacturer: str | None
    relationship: str
    strength: str
    note: str
    sources: tuple[Source, ...]
    checked: str
    covered: bool | None = None
    since: str | None = None
    until: str | None = None
    after: str = ""
    lines: str = "all"
    evidence: str = ""
    history: tuple[Period, ...] = ()

    @property
    def period(self) -> Period:
        return Period(self.manufacturer, self.relationship, self.strength, self.since, self.until, self.lines,
                      self.note, self.sources)

    @property
    def bounded(self) -> bool:
        """True when the label alone cannot settle who made a unit: the relationship held only for a time or
        for some models, or the label had other makers too."""
        return self.period.bounded or self.lines == "some" or any(p.manufacturer for p in self.history)

    @property
    def confidence(self) -> float:
        base = STRENGTHS.get(self.strength, 0.5)
        return min(base, BOUNDED_CONFIDENCE) if self.bounded else base

    def caveat(self) -> str:
        """Why the label alone is not enough ("" when it is a plain, lasting relationship)."""
        parts = []
        span = self.period.span()
        if span:
            parts.append(f"the {self.relationship} relationship with {self.manufacturer} held {span}")
        if self.after:
            parts.append(f"after that: {self.after.rstrip('.')}")
        if self.lines == "some" and self.manufacturer:
            parts.append(f"only some {self.brand} models are sourced from {self.manufacturer}")
        for p in self.history:
            if p.manufacturer:
                parts.append(f"{self.brand} was also linked to {p.manufacturer} ({p.relationship}"
                             + (f", {p.span()}" if p.span() else "") + ")")
        return "; ".join(parts)


@dataclass(frozen=True)
class OuiBlock:
    """A MAC block and the maker it maps to: from the IEEE registry, or from a user's ``oui*.yaml`` file."""

    manufacturer: str
    registrant: str
    prefixes: frozenset[str]
    sources: tuple[Source, ...]
    registry: str = "MA-L"


class BrandBook:
    def __init__(self, brands: list[Brand], ouis: list[OuiBlock], makers: MakerCatalogue | None = None,
                 registry: Registry | None = None) -> None:
        self.brands = brands
        self._by_name: dict[str, Brand] = {}
        for brand in brands:
            for name in (brand.brand, *brand.aliases):
                self._by_name[normalise(name)] = brand
        self.makers = makers if makers is not None else MakerCatalogue([])
        self.ouis = ouis  # a user's own blocks; they win over the registry
        self._by_prefix: dict[tuple[int, int], OuiBlock] = {}
        for block in ouis:
            for prefix in block.prefixes:
                self._by_prefix[parse_prefix(prefix)[::-1]] = block
        self._registry = registry

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = default_registry()
        return self._registry

    def brand(self, name: str | None) -> Brand | None:
        return self._by_name.get(normalise(name)) if name else None

    def canonical(self, name: str) -> str:
        """The spelling camaudit uses for a brand or maker ("HIKVISION" -> "Hikvision")."""
        found = self.brand(name)
        if found:
            return found.brand
        maker = self.makers.resolve(name)
        return maker.name if maker else name

    def oui(self, mac: str | None) -> OuiBlock | None:
        """The maker whose block holds this MAC address, longest prefix first; None when the block is
        unassigned or its registrant is not a catalogue maker."""
        value = mac_int(mac) if mac else None
        if value is None:
            return None
        for bits in (36, 28, 24):
            block = self._by_prefix.get((bits, value >> (48 - bits)))
            if block is not None:
                return block
        found = self.registry.lookup(mac or "")
        if found is None:
            return None
        maker = self.makers.for_registrant(found.registrant)
        if maker is None:
            return None
        return OuiBlock(
            manufacturer=maker.name,
            registrant=found.registrant,
            prefixes=frozenset({found.text}),
            sources=(Source(url=REGISTRY_URL, title=f"IEEE {found.registry} {found.text}: {found.registrant}"
                                                     f" (read from {found.source})"),),
            registry=found.registry,
        )


def _brands_in(path: Path, doc: list[Any]) -> list[Brand]:
    out = []
    for i, entry in enumerate(doc):
        where = f"{path.name} entry {i + 1}"
        if not isinstance(entry, Mapping):
            raise KnowledgeError(f"{where}: not a mapping")
        relationship = str(entry.get("relationship", "self"))
        if relationship not in RELATIONSHIPS:
            raise KnowledgeError(f"{where}: relationship must be one of {RELATIONSHIPS}")
        strength = str(entry.get("strength", "medium"))
        if strength not in STRENGTHS:
            raise KnowledgeError(f"{where}: strength must be one of {tuple(STRENGTHS)}")
        history = tuple(
            Period(
                manufacturer=h.get("manufacturer"),
                relationship=str(h["relationship"]),
                strength=str(h.get("strength", "weak")),
                since=_when(h.get("since")),
                until=_when(h.get("until")),
                lines=str(h.get("lines", "all")),
                note=" ".join(str(h.get("note", "")).split()),
                sources=sources_of(h, f"{where} history {j + 1}"),
            )
            for j, h in enumerate(entry.get("history") or ())
        )
        out.append(
            Brand(
                brand=require(entry, "brand", where),
                aliases=tuple(str(a) for a in entry.get("aliases") or ()),
                manufacturer=entry.get("manufacturer"),
                relationship=relationship,
                strength=strength,
                note=" ".join(str(entry.get("note", "")).split()),
                sources=sources_of(entry, where),
                checked=str(entry.get("checked", "")),
                covered=entry.get("covered"),
                since=_when(entry.get("since")),
                until=_when(entry.get("until")),
                after=" ".join(str(entry.get("after", "")).split()),
                lines=str(entry.get("lines", "all")),
                evidence=str(entry.get("evidence", "")),
                history=history,
            )
        )
    return out


def _ouis_in(path: Path, doc: list[Any]) -> list[OuiBlock]:
    out = []
    for i, entry in enumerate(doc):
        where = f"{path.name} entry {i + 1}"
        prefixes = require(entry, "prefixes", where, list)
        clean = set()
        for p in prefixes:
            try:
                parse_prefix(str(p))
            except ValueError as exc:
                raise KnowledgeError(f"{where}: {exc}") from None
            clean.add(str(p).upper().replace("-", ":"))
        out.append(
            OuiBlock(
                manufacturer=require(entry, "manufacturer", where),
                registrant=str(entry.get("registrant", "")),
                prefixes=frozenset(clean),
                sources=sources_of(entry, where),
            )
        )
    return out


def load_brandbook(extra: list[Path] | None = None, registry: Registry | None = None) -> BrandBook:
    """Brands and the maker catalogue from the package and the user's folders; MAC blocks from the IEEE
    registry (loaded on first lookup) plus any ``oui*.yaml`` a user keeps in a ``CAMAUDIT_KB`` folder."""
    brands: list[Brand] = []
    ouis: list[OuiBlock] = []
    for path, doc in knowledge_documents("brands", extra):
        brands.extend(_brands_in(path, doc))
    for path, doc in knowledge_documents("oui", extra):
        ouis.extend(_ouis_in(path, doc))
    return BrandBook(brands, ouis, load_makers(extra), registry)
