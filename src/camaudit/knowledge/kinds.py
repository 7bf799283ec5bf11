"""Device kinds in a device's own words (``data/knowledge/kinds*.yaml``): which words and product lines name a
router, a switch, a printer... or a camera or a recorder, and which of those kinds are video equipment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from camaudit.knowledge.cache import ProcessValue
from camaudit.knowledge.files import KnowledgeError, require
from camaudit.knowledge.schema import knowledge_documents

#: the characters a word may not touch for a whole-word match
_EDGE_BEFORE = r"(?<![0-9A-Za-z\u00c0-\u024f])"
_EDGE_AFTER = r"(?![0-9A-Za-z\u00c0-\u024f])"


def _capitals_only(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def word_pattern(word: str) -> str:
    """A word or phrase as a whole-word pattern with any spacing between its parts; in capitals only, it matches
    only in capitals (``(?-i:...)``), otherwise in any case."""
    body = r"\s+".join(re.escape(part) for part in word.split())
    if _capitals_only(word):
        body = f"(?-i:{body})"
    return _EDGE_BEFORE + body + _EDGE_AFTER


@dataclass(frozen=True)
class Kind:
    name: str
    video: bool
    makes: str | None
    words: tuple[str, ...]
    lines: tuple[str, ...]  # product line patterns
    examples: tuple[str, ...]
    pattern: re.Pattern[str]

    def find(self, text: str) -> str | None:
        """The first word or product line of this kind in ``text``, as written there."""
        found = self.pattern.search(text)
        return found.group(0) if found else None


@dataclass(frozen=True)
class KindBook:
    kinds: tuple[Kind, ...]

    def read(self, text: str) -> dict[str, str]:
        """Each kind ``text`` names, with the word that named it."""
        out: dict[str, str] = {}
        for kind in self.kinds:
            word = kind.find(text)
            if word is not None:
                out[kind.name] = word
        return out

    def video(self, name: str) -> bool | None:
        """Whether the kind of that name is video equipment; None for a kind not in the book."""
        return next((k.video for k in self.kinds if k.name == name), None)

    @property
    def not_video(self) -> frozenset[str]:
        return frozenset(k.name for k in self.kinds if not k.video)

    def non_video_makes(self) -> frozenset[str]:
        """The maker catalogue's words for kinds of equipment that are not video (network, printer, storage...)."""
        return frozenset(k.makes for k in self.kinds if not k.video and k.makes)


def _kind(entry: Mapping[str, Any], where: str) -> Kind:
    name = require(entry, "kind", where)
    words = tuple(str(w) for w in require(entry, "words", where, list))
    lines = tuple(str(line["pattern"]) for line in entry.get("lines") or [] if isinstance(line, Mapping))
    # a product line starts a word; what follows it is the model's own suffix ("VTO2311R-WP")
    parts = [word_pattern(w) for w in words] + [_EDGE_BEFORE + f"(?:{p})" for p in lines]
    try:
        pattern = re.compile("|".join(parts), re.IGNORECASE)
    except re.error as exc:
        raise KnowledgeError(f"{where}: a product line pattern does not compile ({exc})") from exc
    examples = tuple(str(e["value"]) for e in require(entry, "examples", where, list) if isinstance(e, Mapping))
    makes = entry.get("makes")
    kind = Kind(name=name, video=bool(require(entry, "video", where, bool)), makes=str(makes) if makes else None,
                words=words, lines=lines, examples=examples, pattern=pattern)
    for example in examples:
        if kind.find(example) is None:
            raise KnowledgeError(f"{where}: example {example!r} does not name the kind {name!r}")
    return kind


def load_kind_book(extra: list[Path] | None = None) -> KindBook:
    kinds: list[Kind] = []
    seen: set[str] = set()
    for path, doc in knowledge_documents("kinds", extra):
        for i, entry in enumerate(doc):
            where = f"{path.name} entry {i + 1}"
            kind = _kind(entry, where)
            if kind.name in seen:
                raise KnowledgeError(f"{where}: kind {kind.name!r} is listed twice")
            seen.add(kind.name)
            kinds.append(kind)
    return KindBook(tuple(kinds))


#: the package's kinds (and the user's, through ``CAMAUDIT_KB``), read once, or the ones the knowledge cache holds
default_kind_book: ProcessValue[KindBook] = ProcessValue(load_kind_book)
