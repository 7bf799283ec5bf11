"""A declared maker name, resolved: through the brand relationships (a label such as "Annke" is made by
someone else) and the maker catalogue (canonical makers with their aliases and legal names). A name
neither knows stays unknown, with that as the reason: it is never guessed from its spelling."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from camaudit.knowledge.brands import BrandBook


@dataclass(frozen=True)
class Resolution:
    brand: str | None  # the label, as camaudit spells it
    manufacturer: str | None  # set when the label is its maker's own name; labels of others are resolved later
    source: str | None  # the catalogue entry or brand relationship that knew the name


def _catalogue() -> Callable[[str], Any] | None:
    """The maker catalogue's lookup (camaudit.knowledge.makers), when the package has one."""
    try:
        module = importlib.import_module("camaudit.knowledge.makers")
    except ImportError:
        return None
    loader = getattr(module, "load_makers", None) or getattr(module, "load_catalogue", None)
    if loader is None:
        return None
    catalogue = loader()
    lookup = getattr(catalogue, "resolve", None) or getattr(catalogue, "find", None)
    return lookup if callable(lookup) else None


class Resolver:
    def __init__(self, brands: BrandBook, catalogue: Callable[[str], Any] | None = None,
                 use_catalogue: bool = True) -> None:
        self.brands = brands
        self.lookup = catalogue if catalogue is not None else (_catalogue() if use_catalogue else None)
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
        if entry is not None:
            maker = entry.manufacturer if entry.relationship == "self" else None
            return Resolution(entry.brand, maker, entry.sources[0].url if entry.sources else None)
        if self.lookup is None:
            return None
        maker_entry = self.lookup(name)
        if maker_entry is None:
            return None
        canonical = str(getattr(maker_entry, "name", None) or getattr(maker_entry, "maker", None) or maker_entry)
        label = self.brands.brand(canonical)
        if label is not None and label.relationship != "self":
            return Resolution(label.brand, None, label.sources[0].url if label.sources else None)
        sources = getattr(maker_entry, "sources", None) or ()
        first = sources[0] if sources else getattr(maker_entry, "source", None)
        url = getattr(first, "url", first)
        return Resolution(canonical, canonical, str(url) if url else None)

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
