"""Firmware version strings: parsed into comparable values with the maker's grammar, never guessed.

The grammars are data (``data/knowledge/firmware*.yaml``, schema ``data/schema/firmware.json``): each says, for
one maker, the regular expression a version string must match, which of its groups are the version's numbers,
which numbers (and OEM code) make a firmware line ("family"), how the version is written back, and carries
verbatim examples with the parse they must give. This module only interprets them; a maker without a grammar
gets no firmware comparison.

Order within a family is total: the numbers (padded with zeros to the grammar's ``pad``), then the release
letter, then the build date (an unknown build date sorts first). Comparing versions of different families raises
``TypeError``. For deciding an advisory bound use :meth:`FirmwareVersion.compare`, which answers ``None`` when
the answer depends on a build date that is not known (same version numbers, one build date missing). Advisories
that bound affected firmware by build date compare across families: see :meth:`FirmwareVersion.build_before`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from camaudit.knowledge.cache import ProcessValue
from camaudit.knowledge.files import KnowledgeError
from camaudit.knowledge.makers import default_catalogue
from camaudit.knowledge.schema import knowledge_documents
from camaudit.model import Source

#: How the digits of a build date are read, and what an impossible date of that layout is called.
LAYOUTS = ("YYMMDD", "YYYY-MM-DD")
#: The values a grammar's ``shown`` pieces may name besides the numbers n0, n1, ...
SHOWN_TEXT = ("oem", "release")
_NUMBER_NAME = re.compile(r"^n(\d)$")


class FirmwareError(ValueError):
    """A firmware string that the maker's grammar does not accept (the message says why)."""


@dataclass(frozen=True)
class NumberField:
    group: str
    split: str | None = None
    at: int = 0  # pad the numbers read before this group with zeros up to this many


@dataclass(frozen=True)
class Example:
    """A verbatim string from ``source`` and what the grammar must read from it (None: not stated)."""

    text: str
    source: str
    numbers: tuple[int, ...]
    build_apart: str | None = None
    build: date | None = None
    states_build: bool = False
    oem: str | None = None
    release: str | None = None
    family: tuple[object, ...] | None = None
    version: str | None = None


@dataclass(frozen=True)
class Reject:
    text: str
    source: str
    why: str


@dataclass(frozen=True)
class BuildForm:
    """One way a build date is written, inside a version or given apart from it."""

    id: str
    pattern: re.Pattern[str]
    layout: str
    says: str
    makers: tuple[str, ...]  # empty: every maker
    sources: tuple[Source, ...]
    examples: tuple[tuple[str, date], ...]

    def applies_to(self, maker: str | None) -> bool:
        return not self.makers or maker in self.makers

    def read(self, text: str) -> date | None:
        """The date, None when the text is not in this form; FirmwareError when it is but names no day."""
        found = self.pattern.match(text)
        if not found:
            return None
        digits = found["date"]
        try:
            if self.layout == "YYMMDD":
                return date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
            year, month, day = digits.split("-")
            return date(int(year), int(month), int(day))
        except ValueError as exc:
            if self.layout == "YYMMDD":
                raise FirmwareError(f"build {digits!r} is not a YYMMDD date") from exc
            raise FirmwareError(f"build date {text!r} is not a calendar date") from exc


@dataclass(frozen=True)
class Grammar:
    maker: str
    pattern: re.Pattern[str]
    expected: str
    numbers: tuple[NumberField, ...]
    min_numbers: int
    family_numbers: int
    family_oem: bool
    pad: int
    shown: tuple[str, ...]
    sources: tuple[Source, ...]
    checked: str
    examples: tuple[Example, ...]
    rejects: tuple[Reject, ...]

    def read(self, text: str, book: FirmwareBook) -> FirmwareVersion:
        found = self.pattern.match(text)
        if not found:
            raise FirmwareError(f"{text!r} is not {self.maker} firmware (expected {self.expected})")
        numbers: tuple[int, ...] = ()
        for spec in self.numbers:
            raw = found[spec.group]
            if raw is None:
                continue
            parts = raw.split(spec.split) if spec.split else [raw]
            numbers = numbers + (0,) * (spec.at - len(numbers)) + tuple(int(n) for n in parts)
        if len(numbers) < self.min_numbers:
            raise FirmwareError(f"{text!r}: a {self.maker} version has at least {self.min_numbers} numbers")
        groups = self.pattern.groupindex
        build = found["build"] if "build" in groups else None
        when = book.parse_build(self.maker, build) if build else None
        oem = found["oem"] if "oem" in groups else None
        release = (found["release"] or "").upper() if "release" in groups else ""
        return FirmwareVersion(self.maker, text.strip(), numbers, when, oem=oem, release=release, grammar=self)

    def show(self, version: FirmwareVersion) -> str:
        values: dict[str, object] = {f"n{i}": n for i, n in enumerate(version.numbers)}
        values.update({k: v for k, v in (("oem", version.oem), ("release", version.release)) if v})
        return "".join(piece.format(**values) for piece in self.shown if _names(piece) <= values.keys())


@dataclass(frozen=True)
class FirmwareBook:
    grammars: Mapping[str, Grammar]  # by maker, in file order
    build_forms: tuple[BuildForm, ...]

    def maker_key(self, maker: str | None) -> str | None:
        """The maker whose grammar applies to a maker name as a source writes it, or None."""
        if not maker:
            return None
        flat = _flat(maker)
        for known in self.grammars:
            if flat.startswith(_flat(known)):
                return known
        return None

    def grammar(self, maker: str | None) -> Grammar | None:
        key = self.maker_key(maker)
        return self.grammars[key] if key is not None else None

    def parse_build(self, maker: str, text: str) -> date:
        key = self.maker_key(maker)
        for form in self.build_forms:
            if form.applies_to(key):
                found = form.read(text)
                if found is not None:
                    return found
        raise FirmwareError(f"build date {text!r} is neither {' nor '.join(f.says for f in self.build_forms)}")

    def parse_strict(self, maker: str, text: str, build: str | None = None) -> FirmwareVersion:
        found = self.grammar(maker)
        if found is None:
            raise FirmwareError(f"no firmware grammar for maker {maker!r} (known: {', '.join(self.grammars)})")
        if not isinstance(text, str) or not text.strip():
            raise FirmwareError("empty firmware string")
        version = found.read(text, self)
        if build is not None and build.strip():
            separate = self.parse_build(found.maker, build)
            if version.build is not None and version.build != separate:
                raise FirmwareError(f"{text!r} carries build {version.build} but the build given apart is "
                                    f"{separate}")
            version = replace(version, build=separate)
        return version

    def try_parse(self, maker: str | None, text: str | None,
                  build: str | None = None) -> tuple[FirmwareVersion | None, str]:
        if not maker:
            return None, "the manufacturer is unknown, so no firmware grammar applies"
        if not text:
            return None, "no firmware version was learned"
        try:
            return self.parse_strict(maker, text, build), ""
        except FirmwareError as exc:
            return None, str(exc)


def _names(piece: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(piece) if name}


def _date(raw: object, where: str) -> date:
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise KnowledgeError(f"{where}: {raw!r} is not a YYYY-MM-DD date") from exc


def _pattern(raw: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(raw)
    except re.error as exc:
        raise KnowledgeError(f"{where}: 'pattern' is not a regular expression ({exc})") from exc


def _sources(entry: Mapping[str, Any]) -> tuple[Source, ...]:
    checked = str(entry.get("checked", "")) or None
    return tuple(Source(url=s, date=checked) if isinstance(s, str)
                 else Source(url=str(s["url"]), title=s.get("title"), date=checked)
                 for s in entry["sources"])


def _build_form(entry: Mapping[str, Any], where: str) -> BuildForm:
    pattern = _pattern(entry["pattern"], where)
    if "date" not in pattern.groupindex:
        raise KnowledgeError(f"{where}: 'pattern' has no group named 'date'")
    return BuildForm(id=entry["id"], pattern=pattern, layout=entry["layout"], says=entry["says"],
                     makers=tuple(entry.get("makers") or ()), sources=_sources(entry),
                     examples=tuple((e["text"], _date(e["date"], where)) for e in entry["examples"]))


def _example(entry: Mapping[str, Any], where: str) -> Example:
    family = entry.get("family")
    return Example(
        text=entry["text"], source=entry["source"], numbers=tuple(entry["numbers"]),
        build_apart=entry.get("build_apart"),
        build=_date(entry["build"], where) if entry.get("build") is not None else None,
        states_build="build" in entry, oem=entry.get("oem"), release=entry.get("release"),
        family=tuple(family) if family is not None else None, version=entry.get("version"))


def _grammar(entry: Mapping[str, Any], where: str) -> Grammar:
    pattern = _pattern(entry["pattern"], where)
    numbers = tuple(NumberField(group=n["group"], split=n.get("split"), at=int(n.get("at", 0)))
                    for n in entry["numbers"])
    for spec in numbers:
        if spec.group not in pattern.groupindex:
            raise KnowledgeError(f"{where}: 'numbers' names the group {spec.group!r}, which 'pattern' lacks")
    family = entry["family"]
    min_numbers = int(entry.get("min_numbers", 1))
    if family["numbers"] > min_numbers:
        raise KnowledgeError(f"{where}: the family takes {family['numbers']} numbers but a version needs only "
                             f"{min_numbers} ('min_numbers')")
    if family.get("oem") and "oem" not in pattern.groupindex:
        raise KnowledgeError(f"{where}: the family takes the OEM code but 'pattern' has no group named 'oem'")
    shown = tuple(entry["shown"])
    for piece in shown:
        try:
            names = _names(piece)
        except ValueError as exc:
            raise KnowledgeError(f"{where}: 'shown' piece {piece!r} is not a format string ({exc})") from exc
        odd = sorted(n for n in names if n not in SHOWN_TEXT and not _NUMBER_NAME.match(n))
        if odd:
            raise KnowledgeError(f"{where}: 'shown' piece {piece!r} names {', '.join(odd)} (allowed: n0, n1, "
                                 f"..., {', '.join(SHOWN_TEXT)})")
    return Grammar(
        maker=entry["maker"], pattern=pattern, expected=entry["expected"], numbers=numbers,
        min_numbers=min_numbers, family_numbers=int(family["numbers"]), family_oem=bool(family.get("oem")),
        pad=int(entry.get("pad", 0)), shown=shown, sources=_sources(entry), checked=str(entry["checked"]),
        examples=tuple(_example(e, f"{where} example {j + 1}") for j, e in enumerate(entry["examples"])),
        rejects=tuple(Reject(r["text"], r["source"], r["why"]) for r in entry.get("rejects") or ()))


def load_firmware_book(extra: list[Path] | None = None) -> FirmwareBook:
    """The grammars of ``firmware*.yaml``: the package's, then each user folder's (``CAMAUDIT_KB`` unless ``extra``
    is given). Two grammars for one maker are an error: which to use is not a guess."""
    grammars: dict[str, Grammar] = {}
    forms: list[BuildForm] = []
    for path, doc in knowledge_documents("firmware", extra, empty=dict):
        for i, entry in enumerate(doc.get("build_dates") or ()):
            where = f"{path.name} build_dates entry {i + 1} ({entry['id']})"
            if any(f.id == entry["id"] for f in forms):
                raise KnowledgeError(f"{where}: a build date form {entry['id']!r} is already defined")
            forms.append(_build_form(entry, where))
        for i, entry in enumerate(doc.get("grammars") or ()):
            where = f"{path.name} grammars entry {i + 1} ({entry['maker']})"
            grammar = _grammar(entry, where)
            if grammar.maker in grammars:
                raise KnowledgeError(f"{where}: {grammar.maker} already has a firmware grammar")
            if grammar.maker not in default_catalogue():
                raise KnowledgeError(f"{where}: {grammar.maker!r} is not a maker in the catalogue (makers.yaml)")
            grammars[grammar.maker] = grammar
    return FirmwareBook(grammars, tuple(forms))


#: the grammars for this process (``CAMAUDIT_KB`` read once), or the ones the knowledge cache's stages hold
firmware_book: ProcessValue[FirmwareBook] = ProcessValue(load_firmware_book)


def _flat(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def maker_key(maker: str | None) -> str | None:
    """'HIKVISION', 'Hikvision Digital Technology' -> 'Hikvision'; a maker without a grammar -> None."""
    return firmware_book().maker_key(maker)


@dataclass(frozen=True)
class FirmwareVersion:
    maker: str
    text: str
    numbers: tuple[int, ...]
    build: date | None
    oem: str | None = None
    release: str = ""
    #: the grammar that read it (not part of the value: two readings of one version are equal)
    grammar: Grammar | None = field(default=None, compare=False, repr=False)

    def _grammar(self) -> Grammar | None:
        return self.grammar if self.grammar is not None else firmware_book().grammars.get(self.maker)

    @property
    def family(self) -> tuple[object, ...]:
        found = self._grammar()
        if found is None:
            return (self.maker, self.numbers[0])
        return (self.maker, *self.numbers[:found.family_numbers]) + ((self.oem,) if found.family_oem else ())

    @property
    def version(self) -> str:
        """The version as the maker writes it, without the build date."""
        found = self._grammar()
        return found.show(self) if found is not None else ".".join(str(n) for n in self.numbers)

    def _key(self) -> tuple[tuple[int, ...], str, date]:
        return (self._padded(), self.release, self.build or date.min)

    def _padded(self) -> tuple[int, ...]:
        found = self._grammar()
        pad = found.pad if found is not None else 0
        return self.numbers + (0,) * (pad - len(self.numbers))

    def _check(self, other: object) -> FirmwareVersion:
        if not isinstance(other, FirmwareVersion):
            raise TypeError(f"cannot compare firmware with {type(other).__name__}")
        if other.family != self.family:
            raise TypeError(f"firmware {self.text!r} and {other.text!r} are of different families")
        return other

    def __lt__(self, other: object) -> bool:
        return self._key() < self._check(other)._key()

    def __le__(self, other: object) -> bool:
        return self._key() <= self._check(other)._key()

    def __gt__(self, other: object) -> bool:
        return self._key() > self._check(other)._key()

    def __ge__(self, other: object) -> bool:
        return self._key() >= self._check(other)._key()

    def compare(self, other: FirmwareVersion) -> int | None:
        """-1, 0 or 1 as self is below, equal to or above other; None when only a missing build date
        could decide (same numbers and one or both build dates unknown, unless both are unknown).
        Raises TypeError for different families."""
        self._check(other)
        mine = (self._padded(), self.release)
        theirs = (other._padded(), other.release)
        if mine != theirs:
            return -1 if mine < theirs else 1
        if self.build is None and other.build is None:
            return 0
        if self.build is None or other.build is None:
            return None
        return (self.build > other.build) - (self.build < other.build)

    def build_before(self, bound: date) -> bool | None:
        """Was this firmware built before ``bound``? None when the build date is unknown."""
        return None if self.build is None else self.build < bound


def parse_build(maker: str, text: str) -> date:
    """A build date given apart from the version ('build 240826', '2016-09-08'), in a form the maker uses."""
    return firmware_book().parse_build(maker, text)


def parse_strict(maker: str, text: str, build: str | None = None) -> FirmwareVersion:
    """Parse or raise :class:`FirmwareError` saying why."""
    return firmware_book().parse_strict(maker, text, build)


def try_parse(maker: str | None, text: str | None, build: str | None = None) -> tuple[FirmwareVersion | None, str]:
    """(version, "") or (None, the reason it could not be parsed)."""
    return firmware_book().try_parse(maker, text, build)


def parse(maker: str, text: str, build: str | None = None) -> FirmwareVersion | None:
    """The firmware version, or None if the maker's grammar does not accept it (see :func:`why_not`)."""
    return try_parse(maker, text, build)[0]


def why_not(maker: str, text: str, build: str | None = None) -> str | None:
    """Why :func:`parse` gave None for these arguments (None when it parses)."""
    version, reason = try_parse(maker, text, build)
    return None if version is not None else reason


def example_problems(book: FirmwareBook | None = None) -> list[str]:
    """Every grammar example that does not parse as its entry states, and every reject that parses."""
    book = book or firmware_book()
    out: list[str] = []
    for form in book.build_forms:
        for text, expected in form.examples:
            try:
                got: object = form.read(text)
            except FirmwareError as exc:
                got = str(exc)
            if got != expected:
                out.append(f"build date form {form.id}: {text!r} gives {got!r}, not {expected}")
    for g in book.grammars.values():
        for ex in g.examples:
            out.extend(f"{g.maker} example {ex.text!r}: {p}" for p in _example_problems(book, g, ex))
        for rej in g.rejects:
            if book.try_parse(g.maker, rej.text)[0] is not None:
                out.append(f"{g.maker} reject {rej.text!r} parses, but {rej.why}")
    return out


def _example_problems(book: FirmwareBook, g: Grammar, ex: Example) -> list[str]:
    version, reason = book.try_parse(g.maker, ex.text, ex.build_apart)
    if version is None:
        return [f"does not parse ({reason})"]
    stated: Sequence[tuple[str, object, object]] = [
        ("numbers", ex.numbers, version.numbers),
        ("build", ex.build if ex.states_build else version.build, version.build),
        ("oem", ex.oem if ex.oem is not None else version.oem, version.oem),
        ("release", ex.release if ex.release is not None else version.release, version.release),
        ("family", (g.maker, *ex.family) if ex.family is not None else version.family, version.family),
        ("version", ex.version if ex.version is not None else version.version, version.version),
    ]
    return [f"{name} is {got!r}, not {want!r}" for name, want, got in stated if want != got]
