"""A declared maker name, resolved: through the brand relationships (a label such as "Annke" is made by
someone else) and the maker catalogue (:mod:`camaudit.knowledge.makers`: canonical makers with their aliases,
spellings and legal names). A name neither knows stays unknown, with that as the reason: it is never guessed
from its spelling."""

from __future__ import annotations

from dataclasses import dataclass

from camaudit.knowledge.brands import BrandBook
from camaudit.knowledge.makers import MakerCatalogue, default_catalogue


@dataclass(frozen=True)
class Resolution:
    brand: str | None  # the label, as camaudit spells it
    manufacturer: str | None  # set when the label is its maker's own name; labels of others are resolved later
    source: str | None  # the brand relationship or catalogue entry that knew the name


class Resolver:
    def __init__(self, brands: BrandBook, catalogue: MakerCatalogue | None = None) -> None:
        self.brands = brands
        self.catalogue = catalogue if catalogue is not None else default_catalogue()
        self._cache: dict[str, Resolution | None] = {}

    def resolve(self, name: str) -> Resolution | None:
        """The label and maker an exact declared name stands for, or None when nothing knows it."""
        if name in self._cache:
            return self._cache[name]
        found = self._resolve(name)
        if len(self._cache) < 65536:
            self._cache[name] = found
        return found

    def _resolve(self, name: str) -> Resolution | None:
        entry = self.brands.brand(name)
        maker = None
        if entry is None:
            maker = self.catalogue.resolve(name)
            if maker is None:
                return None
            entry = self.brands.brand(maker.name)  # the catalogue knows the spelling; the brands, who makes it
        if entry is not None:
            made_by = entry.manufacturer if entry.relationship == "self" else None
            return Resolution(entry.brand, made_by, entry.sources[0].url if entry.sources else None)
        assert maker is not None
        # a maker of its own products, named as the catalogue spells it
        return Resolution(maker.name, maker.name, maker.sources[0].url if maker.sources else None)

    def leading(self, text: str) -> tuple[str, Resolution] | None:
        """The maker a free-text name starts with ("AXIS M1065-LW Network Camera", "HIKVISION DS-2CD..."):
        its first three, two or one words, resolved exactly. Only a leading name counts."""
        words = text.replace("_", " ").split()
        for size in (3, 2, 1):
            if len(words) >= size:
                head = " ".join(words[:size])
                found = self.resolve(head)
                if found is not None:
                    return head, found
        return None
