"""The contract every importer follows, and the errors an import can end with.

An importer reads one file as a stream and yields :class:`~camaudit.model.Observation` records whose
``device`` key groups them (the address for network data; serial, MAC or address for registers). It never
holds a whole file in memory. When the file breaks its format it raises :class:`MalformedInput`, which
names the file, where (line, row or byte offset) and what was expected, on one line.
"""

from __future__ import annotations

import gzip
import io
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from camaudit.model import Observation
from camaudit.progress import Progress

HEAD_BYTES = 64 * 1024  # how much of a file format detection looks at
GZIP_MAGIC = b"\x1f\x8b"


class ImportError_(Exception):  # trailing underscore: never shadow the builtin ImportError
    """An import that cannot go ahead; the message is one line a user can act on."""


class UnknownFormat(ImportError_):
    """The format of a file could not be told from its contents."""


class BadOption(ImportError_):
    """An import option (--map, --format) that makes no sense."""


class MalformedInput(ImportError_):
    """A file that breaks its format: which file, where, what was expected and (briefly) what was found."""

    def __init__(self, file: str | Path, where: str, expected: str, found: str | None = None) -> None:
        self.file = str(file)
        self.where = where
        self.expected = expected
        self.found = found
        text = f"{self.file}: {where}: expected {expected}"
        if found:
            text += f"; found {found}"
        super().__init__(text)


def snippet(text: str | bytes, limit: int = 60) -> str:
    """A short, printable quote of what was found."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = text.strip()
    short = text[:limit] + ("..." if len(text) > limit else "")
    return repr(short)


class _Counted(io.RawIOBase):
    """A raw binary reader that moves a progress bar by the bytes taken from disk."""

    def __init__(self, raw: IO[bytes], progress: Progress | None) -> None:
        super().__init__()
        self.raw = raw
        self.progress = progress
        self.high = 0

    def readinto(self, buffer: Any) -> int:
        count = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        if self.progress is not None:
            position = self.raw.tell()
            if position > self.high:
                self.progress.advance(position - self.high)
                self.high = position
        return int(count or 0)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.raw.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_input(path: Path, progress: Progress | None = None) -> IO[bytes]:
    """The file's bytes as a buffered stream (gzip undone transparently), moving ``progress`` as it is read."""
    raw = open(path, "rb", buffering=0)  # noqa: SIM115 - closed with the returned stream
    magic = raw.read(2)
    raw.seek(0)
    buffered = io.BufferedReader(_Counted(raw, progress), buffer_size=1024 * 1024)
    if magic == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered


def read_head(path: Path) -> bytes:
    """The first bytes of a file, decompressed when it is gzip."""
    with open_input(path) as stream:
        try:
            return stream.read(HEAD_BYTES)
        except (OSError, EOFError):
            return b""


def first_line(head: bytes) -> bytes:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]


class Importer(ABC):
    """One input format."""

    #: the --format name
    name: str
    #: one line for --help
    description: str

    @abstractmethod
    def detect(self, head: bytes, path: Path) -> bool:
        """Whether a file starting with ``head`` (decompressed) looks like this format."""

    @abstractmethod
    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Observation]:
        """Stream the file's evidence records; raise :class:`MalformedInput` at the first break."""
