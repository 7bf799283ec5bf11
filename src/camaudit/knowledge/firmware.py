"""Firmware version strings of each maker: parsed into comparable values, never guessed.

Grammars (each taken from strings real devices and advisories publish):

Hikvision
    ``V5.5.0 build 170725``, ``V5.6.2build 190701``, ``V5.4.0 Build 160530``, ``V4.62.210``,
    ``V1.4.0_build221212`` (access control and intercom lines, as Hikvision's CVE records write them),
    ``V5.7.18`` (the build date then comes separately, ISAPI ``firmwareReleasedDate`` = ``build 240826``),
    ``V2.3.8-8`` (storage products: a sub-revision after a dash). The numbers form the version; the
    six digits after ``build`` are the build date as YYMMDD.
    Family: (Hikvision, major version): V5 cameras, V4 recorders and V2 intercoms are separate lines.

Dahua
    ``2.800.0000000.13.R``, ``2.420.AC00.15.R``, ``2.420.Dahua 00.14.R``, ``3.210.IB01.3``,
    ``2.400.0.8``, optionally followed by ``, build: 2016-06-18`` or ``,build:2020-06-05``.
    Fields: major, baseline (3 digits), OEM code (``0000000``/``Dahua 00``: Dahua's own; ``AC00``: Amcrest;
    ``IB01``: Intelbras; ...), revision, optional release letter (``R``). The build date is ISO.
    Family: (Dahua, major, baseline, OEM code). Dahua's advisories bound affected firmware by build date
    ("build time before June 2021"), which is comparable across families: see :meth:`build_before`.

Order within a family is total: the numeric fields, then the release letter, then the build date (an
unknown build date sorts first). Comparing versions of different families raises ``TypeError``. For
deciding an advisory bound use :meth:`FirmwareVersion.compare`, which answers ``None`` when the answer
depends on a build date that is not known (same version numbers, one build date missing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MAKERS = ("Hikvision", "Dahua")

_HIK = re.compile(
    r"^\s*[Vv]?(?P<nums>\d{1,3}(?:\.\d{1,4}){1,3})(?:-(?P<sub>\d{1,3}))?"
    r"(?:[\s_]*[Bb]uild\s*(?P<build>\d{6}))?\s*$"
)
_HIK_BUILD = re.compile(r"^\s*(?:[Bb]uild\s*)?(?P<build>\d{6})\s*$")
_DAHUA = re.compile(
    r"^\s*[Vv]?(?P<major>\d{1,2})\.(?P<baseline>\d{3})\.(?P<oem>[A-Za-z0-9]+(?: [A-Za-z0-9]+)?)"
    r"\.(?P<rev>\d{1,4})(?:\.(?P<release>[A-Za-z]))?"
    r"(?:\s*,\s*[Bb]uild\s*:\s*(?P<build>\d{4}-\d{2}-\d{2}))?\s*$"
)
_ISO = re.compile(r"^\s*(?:[Bb]uild\s*:?\s*)?(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[ T][\d:]+)?\s*$")


class FirmwareError(ValueError):
    """A firmware string that the maker's grammar does not accept (the message says why)."""


def maker_key(maker: str | None) -> str | None:
    """'HIKVISION', 'Hikvision Digital Technology' -> 'Hikvision'; a maker without a grammar -> None."""
    if not maker:
        return None
    flat = "".join(ch for ch in maker.lower() if ch.isalnum())
    for known in MAKERS:
        if flat.startswith(known.lower()):
            return known
    return None


@dataclass(frozen=True)
class FirmwareVersion:
    maker: str
    text: str
    numbers: tuple[int, ...]
    build: date | None
    oem: str | None = None
    release: str = ""

    @property
    def family(self) -> tuple[object, ...]:
        if self.maker == "Dahua":
            return ("Dahua", self.numbers[0], self.numbers[1], self.oem)
        return (self.maker, self.numbers[0])

    @property
    def version(self) -> str:
        """The numeric part as the maker writes it, without the build date."""
        if self.maker == "Dahua":
            tail = f".{self.release}" if self.release else ""
            return f"{self.numbers[0]}.{self.numbers[1]:03d}.{self.oem}.{self.numbers[2]}{tail}"
        main = ".".join(str(n) for n in self.numbers[:3])
        return "V" + main + "".join(f"-{n}" for n in self.numbers[3:])

    def _key(self) -> tuple[tuple[int, ...], str, date]:
        return (self._padded(), self.release, self.build or date.min)

    def _padded(self) -> tuple[int, ...]:
        if self.maker == "Dahua":
            return self.numbers[2:]
        return self.numbers + (0,) * (4 - len(self.numbers))

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


def _yymmdd(digits: str) -> date:
    try:
        return date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError as exc:
        raise FirmwareError(f"build {digits!r} is not a YYMMDD date") from exc


def parse_build(maker: str, text: str) -> date:
    """A build date given apart from the version: 'build 240826' (Hikvision), '2016-09-08' (Dahua)."""
    iso = _ISO.match(text)
    if iso:
        try:
            return date(int(iso["y"]), int(iso["m"]), int(iso["d"]))
        except ValueError as exc:
            raise FirmwareError(f"build date {text!r} is not a calendar date") from exc
    short = _HIK_BUILD.match(text)
    if short and maker_key(maker) == "Hikvision":
        return _yymmdd(short["build"])
    raise FirmwareError(f"build date {text!r} is neither YYMMDD after 'build' nor YYYY-MM-DD")


def parse_strict(maker: str, text: str, build: str | None = None) -> FirmwareVersion:
    """Parse or raise :class:`FirmwareError` saying why."""
    key = maker_key(maker)
    if key is None:
        raise FirmwareError(f"no firmware grammar for maker {maker!r} (known: {', '.join(MAKERS)})")
    if not isinstance(text, str) or not text.strip():
        raise FirmwareError("empty firmware string")
    if key == "Hikvision":
        m = _HIK.match(text)
        if not m:
            raise FirmwareError(
                f"{text!r} is not Hikvision firmware (expected V<major>.<minor>[.<patch>][-<n>] [build YYMMDD])"
            )
        numbers = tuple(int(n) for n in m["nums"].split("."))
        if len(numbers) < 2:
            raise FirmwareError(f"{text!r}: a Hikvision version has at least two numbers")
        if m["sub"]:
            numbers = numbers + (0,) * (3 - len(numbers)) + (int(m["sub"]),)
        when = _yymmdd(m["build"]) if m["build"] else None
        version = FirmwareVersion("Hikvision", text.strip(), numbers, when)
    else:
        m = _DAHUA.match(text)
        if not m:
            raise FirmwareError(
                f"{text!r} is not Dahua firmware (expected <major>.<baseline>.<OEM code>.<revision>[.R]"
                "[, build: YYYY-MM-DD])"
            )
        when = parse_build("Dahua", m["build"]) if m["build"] else None
        version = FirmwareVersion(
            "Dahua", text.strip(), (int(m["major"]), int(m["baseline"]), int(m["rev"])), when,
            oem=m["oem"], release=(m["release"] or "").upper(),
        )
    if build is not None and build.strip():
        separate = parse_build(key, build)
        if version.build is not None and version.build != separate:
            raise FirmwareError(f"{text!r} carries build {version.build} but the build given apart is {separate}")
        version = FirmwareVersion(version.maker, version.text, version.numbers, separate, version.oem,
                                  version.release)
    return version


def try_parse(maker: str | None, text: str | None, build: str | None = None) -> tuple[FirmwareVersion | None, str]:
    """(version, "") or (None, the reason it could not be parsed)."""
    if not maker:
        return None, "the manufacturer is unknown, so no firmware grammar applies"
    if not text:
        return None, "no firmware version was learned"
    try:
        return parse_strict(maker, text, build), ""
    except FirmwareError as exc:
        return None, str(exc)


def parse(maker: str, text: str, build: str | None = None) -> FirmwareVersion | None:
    """The firmware version, or None if the maker's grammar does not accept it (see :func:`why_not`)."""
    return try_parse(maker, text, build)[0]


def why_not(maker: str, text: str, build: str | None = None) -> str | None:
    """Why :func:`parse` gave None for these arguments (None when it parses)."""
    version, reason = try_parse(maker, text, build)
    return None if version is not None else reason
