"""The maker catalogue: canonical makers of video-surveillance equipment and the names they go by.

A device (or a tool that talked to it) declares a maker in many spellings: ``HIKVISION``, ``Hangzhou
Hikvision Digital Technology Co., Ltd.``, ``AXIS``, ``Bosch Security Systems``. :func:`resolve_maker`
turns such a declared name into one catalogue entry, or ``None`` when the catalogue does not know it.

Matching is exact after normalisation (:func:`name_key`): case, accents, punctuation, spacing and
trailing legal-form words (``Co., Ltd.``, ``Inc.``, ``GmbH``, ``AB``...) are ignored, nothing else is.
There is no substring or similarity matching: "Shanghai Dahua Scale Factory" is not Dahua, and an
unknown name stays unknown rather than being guessed.

Entries live in ``data/knowledge/makers*.yaml`` (plus the same folder under each ``CAMAUDIT_KB``
directory); each names a public source and the date it was checked. A label that is sold by one
company and made by another (Lorex, Amcrest, LTS...) is a catalogue entry of its own here: who really
builds it is a brand relationship (``brands.yaml``), not a spelling.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from camaudit.knowledge.cache import ProcessValue
from camaudit.knowledge.files import KnowledgeError, data_files, read_yaml, require
from camaudit.knowledge.schema import validate
from camaudit.model import Source

#: Words that only give a company's legal form. They are dropped from the END of a name (repeatedly), never
#: from the middle, so "Axis Communications AB" and "AXIS COMMUNICATIONS" meet but "AB Dick" stays itself.
LEGAL_FORMS = frozenset({
    "ab", "ag", "as", "asa", "bv", "co", "company", "corp", "corporation", "cokg", "gmbh", "inc",
    "incorporated", "kg", "kk", "limited", "llc", "lda", "ltd", "ltda", "nv", "oy", "oyj", "plc", "pte",
    "pty", "pvt", "private", "sa", "sarl", "sas", "se", "spa", "sl", "srl", "sro", "ulc", "jsc", "ooo", "zrt",
})

#: What a maker makes, in the catalogue's fixed vocabulary.
PRODUCTS = ("camera", "recorder", "intercom", "encoder", "vms", "thermal", "access-control", "consumer", "chipset",
            "network", "phone", "computer", "storage", "printer", "media", "iot", "industrial", "building", "av")


def name_key(name: str) -> str:
    """The matching key of a declared name: lower case, accents and punctuation gone, legal form dropped.

    ``"Hangzhou Hikvision Digital Technology Co.,Ltd."`` -> ``"hangzhouhikvisiondigitaltechnology"``.
    Letters of any script are kept, so a name written in Chinese characters has a key too.
    """
    return _short_key(name) if len(name) <= _CACHED_LEN else _name_key(name)


_CACHED_LEN = 256  # names and banners are short: cache those, never a long hostile text


@lru_cache(maxsize=1 << 16)
def _short_key(name: str) -> str:
    return _name_key(name)


def _name_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("&", " and ")
    return "".join(without_legal_form("".join(ch if ch.isalnum() else " " for ch in text).split()))


def without_legal_form(words: list[str]) -> list[str]:
    """Lower-case words with their trailing legal forms dropped, the name's first word kept ("GmbH & Co. KG" leaves
    an "and" between legal-form words: it goes with them)."""
    while len(words) > 1 and (words[-1] in LEGAL_FORMS or words[-1] == "and"):
        words.pop()
    return words


@dataclass(frozen=True)
class ProductLine:
    """A trademarked product line or firmware of one maker's own hardware ("FRITZ!Box", "NPort"), by which
    its devices name themselves in banners."""

    name: str
    aliases: tuple[str, ...]
    maker: str
    source: str
    note: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Maker:
    """One canonical maker and everything it is known to be called."""

    name: str
    aliases: tuple[str, ...]
    country: str
    makes: tuple[str, ...]
    registrants: tuple[str, ...]
    parent: str | None
    note: str
    sources: tuple[Source, ...]
    checked: str
    # names of its software, services or authorities seen in answers of devices it did not make
    not_hardware: tuple[str, ...] = ()
    #: for a maker that also sells products outside video surveillance (routers, printers, phones): patterns
    #: naming its video-surveillance lines; a published CVE naming none of them is not imported. Empty: every
    #: product of the maker is in scope.
    video_products: tuple[str, ...] = ()
    #: its own product lines (see :class:`ProductLine`)
    product_lines: tuple[ProductLine, ...] = ()
    #: one-word names that are also ordinary words (or that others' devices write): in lower case they name
    #: the maker nowhere, not even as a banner's whole field (see :meth:`MakerCatalogue.common_word`)
    common_words: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.registrants)


class MakerCatalogue:
    """Every maker, found by any of its names (see :func:`name_key`)."""

    def __init__(self, makers: list[Maker]) -> None:
        self.makers = makers
        self._by_key: dict[str, Maker] = {}
        self._by_name: dict[str, Maker] = {}
        self._by_registrant: dict[str, Maker] = {}
        self._by_product: dict[str, ProductLine] = {}
        self._common: set[str] = set()
        for maker in makers:
            if maker.name in self._by_name:
                raise KnowledgeError(f"maker {maker.name!r} is defined twice")
            self._by_name[maker.name] = maker
            for name in maker.names:
                key = name_key(name)
                if not key:
                    raise KnowledgeError(f"maker {maker.name!r}: the name {name!r} has no letters or digits")
                other = self._by_key.get(key)
                if other is not None and other is not maker:
                    raise KnowledgeError(
                        f"maker {maker.name!r}: the name {name!r} already belongs to {other.name!r}"
                        " (a name must resolve to one maker)")
                self._by_key[key] = maker
            for registrant in maker.registrants:
                self._by_registrant[name_key(registrant)] = maker
        for maker in makers:
            for line in maker.product_lines:
                for name in line.names:
                    key = name_key(name)
                    owner = self._by_key.get(key)
                    if owner is not None:
                        raise KnowledgeError(f"maker {maker.name!r}: the product line {name!r} is a name of"
                                             f" the maker {owner.name!r}")
                    other_line = self._by_product.get(key)
                    if other_line is not None and other_line is not line:
                        raise KnowledgeError(f"maker {maker.name!r}: the product line {name!r} is already"
                                             f" {other_line.maker!r}'s")
                    self._by_product[key] = line
        for maker in makers:
            own = {n.casefold() for n in (*maker.names, *(n for line in maker.product_lines for n in line.names))}
            for word in maker.common_words:
                if word.casefold() not in own or len(word.split()) != 1:
                    raise KnowledgeError(f"maker {maker.name!r}: the common word {word!r} is not one of its"
                                         " one-word names or product line names")
                self._common.add(word.casefold())
        for maker in makers:
            if maker.parent is not None and maker.parent not in self._by_name:
                raise KnowledgeError(f"maker {maker.name!r}: parent {maker.parent!r} is not in the catalogue")

    def resolve(self, declared: str | None) -> Maker | None:
        """The maker a declared name means, or None when no catalogue name matches it exactly."""
        if not declared:
            return None
        return self._by_key.get(name_key(declared))

    def product_line(self, declared: str | None) -> tuple[ProductLine, Maker] | None:
        """The product line a declared name is (exactly, as :func:`name_key` compares), with its maker."""
        if not declared:
            return None
        line = self._by_product.get(name_key(declared))
        return None if line is None else (line, self._by_name[line.maker])

    def common_word(self, word: str) -> bool:
        """Whether a one-word name is listed as an ordinary word (``common_words``): in lower case it names
        no maker, even as a whole field."""
        return word.casefold() in self._common

    def for_registrant(self, registrant: str | None) -> Maker | None:
        """The maker an IEEE registrant name belongs to: only names listed under ``registrants`` count, so
        a registrant that merely shares a word or an alias with a maker is not taken for it."""
        if not registrant:
            return None
        return self._by_registrant.get(name_key(registrant))

    def get(self, canonical: str) -> Maker | None:
        """A maker by its canonical name (exact)."""
        return self._by_name.get(canonical)

    def __iter__(self) -> Iterator[Maker]:
        return iter(self.makers)

    def __len__(self) -> int:
        return len(self.makers)

    def __contains__(self, canonical: object) -> bool:
        return canonical in self._by_name


def _sources(entry: Mapping[str, Any]) -> tuple[Source, ...]:
    out = []
    for s in entry["sources"]:
        if isinstance(s, str):
            out.append(Source(url=s))
        else:
            date = s.get("date")
            out.append(Source(url=s["url"], title=s.get("title"), date=str(date) if date else None))
    return tuple(out)


def _makers_in(path: Path, doc: list[Any]) -> list[Maker]:
    out = []
    for i, entry in enumerate(doc):
        where = f"{path.name} entry {i + 1}"
        out.append(Maker(
            name=require(entry, "maker", where),
            aliases=tuple(str(a) for a in entry.get("aliases") or ()),
            country=str(entry.get("country", "")),
            makes=tuple(str(m) for m in entry.get("makes") or ()),
            registrants=tuple(str(r) for r in entry.get("registrants") or ()),
            parent=entry.get("parent"),
            note=" ".join(str(entry.get("note", "")).split()),
            sources=_sources(entry),
            checked=str(entry["checked"]),
            not_hardware=tuple(str(n) for n in entry.get("not_hardware") or ()),
            video_products=tuple(str(v) for v in entry.get("video_products") or ()),
            common_words=tuple(str(w) for w in entry.get("common_words") or ()),
            product_lines=tuple(
                ProductLine(name=str(line["name"]), aliases=tuple(str(a) for a in line.get("aliases") or ()),
                            maker=str(entry["maker"]), source=str(line["source"]),
                            note=" ".join(str(line.get("note", "")).split()))
                for line in entry.get("product_lines") or ()),
        ))
    return out


def load_makers(extra: list[Path] | None = None) -> MakerCatalogue:
    """The package's catalogue plus ``makers*.yaml`` in each user knowledge folder. Read once per process while
    the same files are unchanged (same paths, sizes and modification times): the brand relationships and the
    name resolver both need it."""
    files = [path for path in data_files("knowledge", extra) if path.stem.startswith("makers")]
    return _catalogue_of(tuple(_stamp(path) for path in files))


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        st = path.stat()
    except OSError:
        return str(path), -1, -1  # reading it says why
    return str(path), st.st_mtime_ns, st.st_size


@lru_cache(maxsize=8)
def _catalogue_of(stamps: tuple[tuple[str, int, int], ...]) -> MakerCatalogue:
    makers: list[Maker] = []
    for name, _mtime, _size in stamps:
        path = Path(name)
        doc, content = read_yaml(path)
        doc = doc or []
        validate(doc, "makers", path, content)
        makers.extend(_makers_in(path, doc))
    return MakerCatalogue(makers)


#: the catalogue for this process (``CAMAUDIT_KB`` read once), or the one the knowledge cache's stages hold
default_catalogue: ProcessValue[MakerCatalogue] = ProcessValue(load_makers)


def resolve_maker(declared: str | None) -> Maker | None:
    """``resolve_maker("HIKVISION").name == "Hikvision"``; ``None`` for a name the catalogue does not hold."""
    return default_catalogue().resolve(declared)
