"""The loaded knowledge, kept between runs: what the knowledge files become once read, checked and compiled
(rule books, maker catalogue, brand relationships, advisories...), pickled under the cache folder so the next
process reads it in milliseconds instead of parsing YAML, checking schemas and compiling rules again.

A cached result is found by its key, SHA-256 of everything it was built from:

- every file under the package's ``data/knowledge``, ``data/fingerprints`` and ``data/schema`` (path and bytes);
- every ``.py`` file of the camaudit package (the loaders, and the classes the pickle rebuilds), camaudit's
  version, Python's version, the pickle protocol and PyYAML's version;
- ``CAMAUDIT_KB`` as written, and every YAML and JSON file in the ``knowledge`` and ``fingerprints`` folders of
  each of its folders and of the folder ``kb update`` writes to (a user's own knowledge is read by the loaders
  too);
- where each of those folders is (loaded knowledge names the files it came from).

So a changed file, an edited loader or another interpreter gives another key, and the knowledge is loaded from
the files again (and that result kept). A cache file is used only when its header names the expected key and
its payload has the checksum the header gives; anything else (truncated, corrupt, foreign, unreadable, owned by
someone else or writable by others: a pickle runs code when loaded) is ignored and rebuilt. Files are written
whole, then renamed into place, so a reader never sees half of one. The folder is
:func:`camaudit.knowledge.schema.cache_dir`; ``CAMAUDIT_NO_CACHE=1`` (or ``CAMAUDIT_CACHE=off``) turns the
cache off: every run loads the files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

import yaml

import camaudit
from camaudit.knowledge.files import package_data, user_dirs
from camaudit.knowledge.schema import cache_dir

T = TypeVar("T")

#: bump when the file layout below changes
FORMAT = 1
MAGIC = b"camaudit knowledge cache\n"
PROTOCOL = pickle.HIGHEST_PROTOCOL
#: the package's knowledge folders the key reads (``records`` is inside ``knowledge``)
PACKAGE_FOLDERS = ("knowledge", "fingerprints", "schema")
#: a user folder's sub-folders the loaders read
USER_FOLDERS = ("knowledge", "fingerprints")
#: the files of a user folder the loaders read (``*.yaml``; ``vulnerabilities*.json`` that kb update writes)
USER_SUFFIXES = (".yaml", ".json")
#: cache files of one name kept at most (several checkouts or knowledge versions on one machine)
KEEP = 4


def _files(root: Path, recursive: bool) -> list[Path]:
    try:
        found = root.rglob("*") if recursive else root.glob("*")
        return sorted(p for p in found if p.is_file() and "__pycache__" not in p.parts)
    except OSError:
        return []


def _add_tree(digest: hashlib._Hash, label: str, root: Path, suffixes: tuple[str, ...] | None = None,
              recursive: bool = True) -> None:
    """Where ``root`` is, then each file's path below it and its bytes (a file that cannot be read counts as
    such): loaded knowledge names the files it came from."""
    digest.update(f"tree {label} {root}\0".encode("utf-8", "surrogateescape"))
    for path in _files(root, recursive):
        if suffixes is not None and path.suffix not in suffixes:
            continue
        try:
            content = path.read_bytes()
        except OSError as exc:
            content = f"unreadable {exc.errno}".encode()
        name = path.relative_to(root).as_posix().encode("utf-8", "surrogateescape")
        digest.update(b"%s\0%d\0" % (name, len(content)) + content)


def _user_roots() -> list[Path]:
    from camaudit.knowledge.kev import default_kb_dir  # the folder kb update writes (its kev.yaml is read)

    roots: list[Path] = []
    for root in [*user_dirs(), default_kb_dir()]:
        if root not in roots:
            roots.append(root)
    return roots


def inputs_key(name: str) -> str:
    """The key of ``name``'s cached result: SHA-256 of everything loading it reads (see the module's text)."""
    digest = hashlib.sha256()
    digest.update(f"format {FORMAT}\0{name}\0camaudit {camaudit.__version__}\0python {sys.version}\0"
                  f"{sys.implementation.cache_tag}\0pickle {PROTOCOL}\0pyyaml {yaml.__version__}\0".encode())
    _add_tree(digest, "code", Path(camaudit.__file__).parent, (".py",))
    data = package_data()
    for folder in PACKAGE_FOLDERS:
        _add_tree(digest, f"package {folder}", data / folder)
    digest.update(f"CAMAUDIT_KB={os.environ.get('CAMAUDIT_KB', '')}\0".encode("utf-8", "surrogateescape"))
    for i, root in enumerate(_user_roots()):
        for folder in USER_FOLDERS:  # the loaders read a user folder's YAML and JSON files, not its sub-folders
            _add_tree(digest, f"user {i} {folder}", root / folder, USER_SUFFIXES, recursive=False)
    return digest.hexdigest()


def cache_file(name: str, key: str, folder: Path) -> Path:
    return folder / f"knowledge-{name}-{key[:32]}.pickle"


def _trusted(fd: int) -> bool:
    """A file this user owns that nobody else may write (so nobody else chose what it unpickles to)."""
    st = os.fstat(fd)
    owner_ok = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return stat.S_ISREG(st.st_mode) and owner_ok and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read(name: str, key: str, kind: type[T], folder: Path) -> T | None:
    """The result cached under ``key``, or None when there is none that can be trusted and read whole."""
    path = cache_file(name, key, folder)
    try:
        with path.open("rb") as fh:
            if not _trusted(fh.fileno()):
                return None
            blob = fh.read()
    except OSError:
        return None
    header = MAGIC + key.encode("ascii") + b"\n"
    if not blob.startswith(header):
        return None
    checksum, _, payload = blob[len(header):].partition(b"\n")
    if checksum != hashlib.sha256(payload).hexdigest().encode("ascii"):
        return None
    try:
        found = pickle.loads(payload)
    except Exception:  # whatever a damaged or foreign pickle raises, the files are read again
        return None
    return found if isinstance(found, kind) else None


def write(name: str, key: str, value: object, folder: Path) -> None:
    """Keep ``value`` under ``key`` (whole or not at all); a cache that cannot be written is no error."""
    try:
        payload = pickle.dumps(value, protocol=PROTOCOL)
    except Exception:  # something that does not pickle is simply not cached
        return
    blob = MAGIC + key.encode("ascii") + b"\n" + hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n" + payload
    temp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(prefix=f".knowledge-{name}-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as out:
            out.write(blob)
        os.replace(temp, cache_file(name, key, folder))
        temp = None
        _prune(name, folder)
    except OSError:
        return
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _prune(name: str, folder: Path) -> None:
    """Only the :data:`KEEP` most recent cache files of ``name`` stay."""
    def age(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    kept: Iterable[Path] = sorted(folder.glob(f"knowledge-{name}-*.pickle"), key=age, reverse=True)
    for old in list(kept)[KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()


class ProcessValue(Generic[T]):
    """Knowledge a process loads once, on first use (the maker catalogue, the firmware grammars), which the
    knowledge cache may hand over before that: then the process uses the very objects the cached stages were
    built with, as it would have had it loaded them itself."""

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._value: T | None = None
        self._lock = threading.RLock()

    def __call__(self) -> T:
        with self._lock:
            if self._value is None:
                self._value = self._load()
            return self._value

    def adopt(self, value: T) -> T:
        """``value`` becomes the process's unless one was loaded already; the process's value."""
        with self._lock:
            if self._value is None:
                self._value = value
            return self._value

    def forget(self) -> None:
        """Load again on next use (tests that change the user's knowledge folders)."""
        with self._lock:
            self._value = None


def cached(name: str, kind: type[T], build: Callable[[], T]) -> T:
    """``build()``'s result, from the cache when the same inputs built it before (else built, and kept)."""
    folder = cache_dir()
    if folder is None:
        return build()
    key = inputs_key(name)
    found = read(name, key, kind, folder)
    if found is not None:
        return found
    value = build()
    if inputs_key(name) == key:  # nothing changed while it was built: the result is that of these inputs
        write(name, key, value, folder)
    return value
