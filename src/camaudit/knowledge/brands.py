"""Brand relationships (which label is made by whom) and MAC prefix assignments."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from camaudit.knowledge.files import KnowledgeError, data_files, load_yaml, require
from camaudit.knowledge.makers import MakerCatalogue, load_makers
from camaudit.knowledge.oui import REGISTRY_URL, Registry, default_registry, mac_int, parse_prefix
from camaudit.model import Source

STRENGTHS = {"strong": 0.9, "medium": 0.7, "weak": 0.5}
RELATIONSHIPS = ("self", "subsidiary", "brand", "oem", "former-subsidiary")


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

    @property
    def confidence(self) -> float:
        return STRENGTHS.get(self.strength, 0.5)


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


def _load_brands(path: Path) -> list[Brand]:
    doc = load_yaml(path) or []
    if not isinstance(doc, list):
        raise KnowledgeError(f"{path}: expected a list of brands")
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
        out.append(
            Brand(
                brand=require(entry, "brand", where),
                aliases=tuple(str(a) for a in entry.get("aliases") or ()),
                manufacturer=entry.get("manufacturer"),
                relationship=relationship,
                strength=strength,
                note=str(entry.get("note", "")),
                sources=sources_of(entry, where),
                checked=str(entry.get("checked", "")),
            )
        )
    return out


def _load_ouis(path: Path) -> list[OuiBlock]:
    doc = load_yaml(path) or []
    if not isinstance(doc, list):
        raise KnowledgeError(f"{path}: expected a list of OUI blocks")
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
    for path in data_files("knowledge", extra):
        if path.stem.startswith("brands"):
            brands.extend(_load_brands(path))
        elif path.stem.startswith("oui"):
            ouis.extend(_load_ouis(path))
    return BrandBook(brands, ouis, load_makers(extra), registry)
