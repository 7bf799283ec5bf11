"""The IEEE MAC address registry: who registered the block a MAC address comes from.

Three block sizes exist: MA-L (a 24-bit prefix, the classic OUI), MA-M (28 bits) and MA-S (36 bits; the older
IAB blocks are 36-bit too). A smaller block sits inside a larger one registered to the IEEE itself, so a
lookup takes the longest prefix that is assigned.

Where the registry comes from, newest first for each size (a later source only fills what an earlier
one lacks):

1. ``ieee/*.csv`` under each ``CAMAUDIT_KB`` folder: the IEEE's own CSV files (``oui.csv``, ``mam.csv``,
   ``oui36.csv``, ``iab.csv``) as downloaded by the user, for a registry newer than the packages.
2. MA-L from the ``aiooui`` package (a PyPI dependency, so it is there after ``pip install`` with no
   network at run time; rebuilt from the IEEE registry with each release).
3. All sizes from Debian's ``ieee-data`` package (``/usr/share/ieee-data``, the registry's own CSV
   files; ``scripts/system-deps.sh`` installs it). Without it, MA-M and MA-S blocks are unknown and
   ``camaudit kb validate`` says so.

A registrant name is only a name: :mod:`camaudit.knowledge.makers` maps the registrants it lists to
catalogue makers, exactly; every other block stays a bare registrant.
"""

from __future__ import annotations

import csv
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from camaudit.knowledge.files import KnowledgeError, user_dirs

DEBIAN_DIR = Path("/usr/share/ieee-data")
WIRESHARK_MANUF = Path("/usr/share/wireshark/manuf")
REGISTRY_URL = "https://regauth.standards.ieee.org/standards-ra-web/pub/view.html#registries"

#: Block sizes by the registry's own names, in bits of prefix.
BITS = {"MA-L": 24, "MA-M": 28, "MA-S": 36, "IAB": 36}
CSV_FILES = {"oui.csv": "MA-L", "mam.csv": "MA-M", "oui36.csv": "MA-S", "iab.csv": "IAB"}


@dataclass(frozen=True)
class Assignment:
    """One registered block."""

    prefix: int  # the block's first ``bits`` bits, as an integer
    bits: int
    registry: str  # MA-L, MA-M, MA-S or IAB
    registrant: str
    source: str  # which copy of the registry said so

    @property
    def text(self) -> str:
        """``44:19:B6`` for MA-L, ``34:46:63:2`` for MA-M, ``70:B3:D5:12:3`` for MA-S."""
        digits = f"{self.prefix:0{self.bits // 4}X}"
        pairs = [digits[i : i + 2] for i in range(0, len(digits), 2)]
        return ":".join(pairs)

    def contains(self, mac48: int) -> bool:
        return mac48 >> (48 - self.bits) == self.prefix


def mac_int(mac: str) -> int | None:
    """A 48-bit MAC address as an integer, from any common spelling; None when it is not one."""
    digits = "".join(ch for ch in mac if ch not in ":-. ")
    if len(digits) != 12:
        return None
    try:
        return int(digits, 16)
    except ValueError:
        return None


def parse_prefix(text: str) -> tuple[int, int]:
    """``AA:BB:CC`` (24 bits), ``AA:BB:CC:D`` (28), ``AA:BB:CC:DD:E`` (36) or ``AA:BB:CC:D0:00:00/28``."""
    raw = text.strip().upper()
    bits: int | None = None
    if "/" in raw:
        raw, _, size = raw.partition("/")
        if not size.isdigit():
            raise ValueError(f"{text!r}: the length after '/' must be a number")
        bits = int(size)
    digits = "".join(ch for ch in raw if ch not in ":-.")
    if not digits or any(ch not in "0123456789ABCDEF" for ch in digits):
        raise ValueError(f"{text!r} is not a MAC prefix")
    if bits is None:
        bits = len(digits) * 4
    if bits not in (24, 28, 36) or len(digits) * 4 < bits:
        raise ValueError(f"{text!r}: a prefix has 24, 28 or 36 bits (AA:BB:CC, AA:BB:CC:D, AA:BB:CC:DD:E)")
    value = int(digits, 16) >> (len(digits) * 4 - bits)
    return value, bits


Table = dict[int, tuple[str, str, str]]  # prefix -> (registrant, registry, source)


def _read_csv(path: Path, registry: str, source: str, into: dict[int, Table]) -> int:
    """Add one IEEE CSV file's blocks not already known; how many were new."""
    added = 0
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None or [h.strip() for h in header[:3]] != ["Registry", "Assignment", "Organization Name"]:
                raise KnowledgeError(f"{path}: not an IEEE registry CSV (its header must start "
                                     "Registry,Assignment,Organization Name)")
            for line, row in enumerate(reader, start=2):
                if len(row) < 3:
                    continue
                kind = row[0].strip() or registry
                hexdigits = row[1].strip()
                bits = BITS.get(kind, BITS[registry])
                try:
                    value = int(hexdigits, 16)
                except ValueError:
                    raise KnowledgeError(f"{path}: line {line}: assignment {hexdigits!r} is not hexadecimal") from None
                if len(hexdigits) * 4 != bits:
                    raise KnowledgeError(f"{path}: line {line}: assignment {hexdigits!r} is not {bits} bits")
                table = into[bits]
                if value not in table:
                    table[value] = (" ".join(row[2].split()), kind, source)
                    added += 1
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot read ({exc.strerror})") from exc
    return added


def _read_manuf(path: Path, into: dict[int, Table]) -> int:
    """Add the MA-M and MA-S blocks of a Wireshark ``manuf`` file (``AA:BB:CC:D0:00:00/28<TAB>short<TAB>name``)."""
    added = 0
    source = f"Wireshark manuf ({path})"
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if "/28\t" not in line and "/36\t" not in line:
                    continue  # MA-L lines come from aiooui; only the small blocks are read here
                fields = line.split("#", 1)[0].rstrip("\r\n").split("\t")
                address, _, size = fields[0].partition("/")
                digits = address.replace(":", "")
                if len(fields) < 2 or len(digits) != 12:
                    continue
                try:
                    bits = int(size)
                    value = int(digits, 16) >> (48 - bits)
                except ValueError:
                    continue
                name = next((f.strip() for f in fields[2:] if f.strip()), fields[1].strip())
                table = into[bits]
                if value not in table:
                    table[value] = (" ".join(name.split()), "MA-M" if bits == 28 else "MA-S", source)
                    added += 1
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot read ({exc.strerror})") from exc
    return added


def _aiooui() -> ModuleType | None:
    """aiooui with its table loaded (by its own loader, in a thread so a running event loop is no obstacle)."""
    try:
        import asyncio

        import aiooui
    except ImportError:
        return None
    if aiooui.is_loaded():
        return aiooui
    error: list[BaseException] = []

    def load() -> None:
        try:
            asyncio.run(aiooui.async_load())
        except BaseException as exc:  # reported below, in the caller's thread
            error.append(exc)

    worker = threading.Thread(target=load, name="camaudit-oui-load")
    worker.start()
    worker.join()
    if error:
        raise KnowledgeError(f"aiooui: cannot load its OUI table ({error[0]})")
    return aiooui


def _empty() -> dict[int, Table]:
    return {24: {}, 28: {}, 36: {}}


_PARENT = "ieee registration authority"


class Registry:
    """The registry copies camaudit found, looked up longest prefix first.

    Small blocks (MA-M, MA-S, IAB) only exist inside MA-L blocks registered to the IEEE itself, so the
    Debian files are read only when a MAC address falls in such a block, or when every block is listed.
    """

    def __init__(self, user: list[Path], debian_dir: Path | None, use_aiooui: bool = True,
                 manuf: Path | None = WIRESHARK_MANUF) -> None:
        self._tables = _empty()
        self.sources: list[str] = []
        for folder in user:
            for name, kind in CSV_FILES.items():
                path = folder / "ieee" / name
                if path.is_file() and _read_csv(path, kind, str(path), self._tables):
                    self.sources.append(f"{path} ({kind})")
        self._aio = _aiooui() if use_aiooui else None
        if self._aio is not None:
            self.sources.append(f"aiooui {getattr(self._aio, '__version__', '?')} (IEEE MA-L)")
        self._debian_dir = debian_dir if debian_dir is not None and debian_dir.is_dir() else None
        self._manuf = manuf if manuf is not None and manuf.is_file() else None
        self._system_loaded = False
        self._lock = threading.Lock()
        if self._manuf is not None:
            self.sources.append(f"Wireshark manuf {self._manuf} (MA-M, MA-S)")
        if self._debian_dir is not None and not (self._manuf is not None and self._aio is not None):
            names = [n for n, k in CSV_FILES.items() if (self._debian_dir / n).is_file()
                     and not (k == "MA-L" and self._aio is not None)]
            self.sources.extend(f"Debian ieee-data {self._debian_dir / n} ({CSV_FILES[n]})" for n in names)
            if self._aio is None:
                self._load_system_files()  # no other MA-L copy: read Debian's now

    def load_all(self) -> None:
        """Read every registry file now. A scan calls this before its first connection: once its sockets may
        use up the open-file limit, no knowledge file may be left to open lazily."""
        self._load_system_files()

    def _load_system_files(self) -> None:
        with self._lock:
            if self._system_loaded:
                return
            self._system_loaded = True
            if self._manuf is not None:  # newer than Debian's ieee-data: when it is there, it is used alone
                _read_manuf(self._manuf, self._tables)
            if self._debian_dir is None or (self._manuf is not None and self._aio is not None):
                return
            for name, kind in CSV_FILES.items():
                path = self._debian_dir / name
                if not path.is_file() or (kind == "MA-L" and self._aio is not None):
                    continue  # aiooui's MA-L is newer than Debian's
                _read_csv(path, kind, f"Debian ieee-data ({path.name})", self._tables)

    def _ma_l(self, prefix: int) -> tuple[str, str, str] | None:
        found = self._tables[24].get(prefix)
        if found is None and self._aio is not None:
            name = self._aio.get_vendor(f"{prefix:06X}")
            if name:
                found = (" ".join(name.split()), "MA-L", self._aio_source)
        return found

    @property
    def _aio_source(self) -> str:
        return f"aiooui {getattr(self._aio, '__version__', '?')} (IEEE MA-L)"

    def lookup(self, mac: str) -> Assignment | None:
        """The longest assigned block holding this MAC address (None: unassigned, private, or not a MAC)."""
        value = mac_int(mac)
        if value is None:
            return None
        large = self._ma_l(value >> 24)
        if large is None or large[0].casefold() == _PARENT:
            self._load_system_files()
            for bits in (36, 28):
                small = self._tables[bits].get(value >> (48 - bits))
                if small is not None:
                    return self._assignment(value >> (48 - bits), bits, small)
            return None
        return self._assignment(value >> 24, 24, large)

    @staticmethod
    def _assignment(prefix: int, bits: int, entry: tuple[str, str, str]) -> Assignment | None:
        registrant, kind, source = entry
        if registrant.casefold() in ("private", _PARENT):
            return None  # the IEEE's own parent block, or a registration whose holder is not public
        return Assignment(prefix, bits, kind, registrant, source)

    def __iter__(self) -> Iterator[Assignment]:
        """Every block (MA-L from aiooui are listed through its table; see :func:`_aiooui_keys`)."""
        self._load_system_files()
        seen = set(self._tables[24])
        for prefix, entry in self._tables[24].items():
            yield Assignment(prefix, 24, entry[1], entry[0], entry[2])
        for prefix in _aiooui_keys(self._aio):
            if prefix not in seen:
                found = self._ma_l(prefix)
                if found is not None:
                    yield Assignment(prefix, 24, found[1], found[0], found[2])
        for bits in (28, 36):
            for prefix, entry in self._tables[bits].items():
                yield Assignment(prefix, bits, entry[1], entry[0], entry[2])

    def counts(self) -> dict[str, int]:
        return dict(Counter(a.registry for a in self))

    @property
    def has_small_blocks(self) -> bool:
        self._load_system_files()
        return bool(self._tables[28] or self._tables[36])


def _aiooui_keys(aio: ModuleType | None) -> Iterable[int]:
    """aiooui's MA-L prefixes. aiooui only offers lookups, so listing them reads its table's key array; if
    a new aiooui lays the table out differently, listing (not lookup) comes back empty and tests say so."""
    keys = getattr(getattr(aio, "_OUI_MANAGER", None), "_keys", None)
    return [int(k) for k in keys] if keys is not None else []


def load_registry(extra: list[Path] | None = None, debian_dir: Path | None = DEBIAN_DIR,
                  use_aiooui: bool = True, manuf: Path | None = WIRESHARK_MANUF) -> Registry:
    return Registry(extra if extra is not None else user_dirs(), debian_dir, use_aiooui, manuf)


_lock = threading.Lock()
_default: Registry | None = None


def default_registry() -> Registry:
    """The registry for this process, loaded on first use."""
    global _default
    with _lock:
        if _default is None:
            _default = load_registry()
        return _default
