"""The contract every importer follows, and the errors an import can end with.

An importer reads one file as a stream and yields :class:`~camaudit.model.Observation` records whose
``device`` key groups them (the address for network data; serial, MAC or address for registers). It never
holds a whole file in memory. When the file breaks its format it raises :class:`MalformedInput`, which
names the file, where (line, row or byte offset) and what was expected, on one line.
"""

from __future__ import annotations

import io
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

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


class _Gunzip(io.RawIOBase):
    """A gzip file's content (members one after another, as ``gzip`` writes them), read as it is needed.

    A broken or truncated stream raises :class:`MalformedInput` naming the byte offset in the file, where
    the standard library would raise one of ``BadGzipFile``, ``EOFError`` or ``zlib.error``.
    """

    def __init__(self, source: IO[bytes], path: Path) -> None:
        super().__init__()
        self.source = source
        self.path = path
        self.offset = 0  # compressed bytes consumed
        self.pending = b""
        self.inflater = zlib.decompressobj(wbits=31)
        self.started = False  # a member has begun and not ended

    def _fail(self, found: str) -> MalformedInput:
        return MalformedInput(self.path, f"byte {self.offset}", "a complete gzip stream", found)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            if self.inflater.unconsumed_tail:
                data = self.inflater.unconsumed_tail
            else:
                data = self.pending or self.source.read(64 * 1024)
                self.pending = b""
                if not data:
                    if self.started:
                        raise self._fail("the end of the file inside a compressed member (truncated?)")
                    return 0
                self.offset += len(data)
            if not self.started:
                if data[:1] == b"\x00" and not data.strip(b"\x00"):
                    continue  # zero padding after the last member (tape and some tools add it)
                if data[:2] != GZIP_MAGIC[: len(data)]:
                    raise self._fail(f"bytes that do not start a gzip member ({data[:2].hex()})")
            self.started = True
            try:
                out = self.inflater.decompress(data, len(view))
            except zlib.error as exc:
                raise self._fail(f"corrupt compressed data ({exc})") from None
            if self.inflater.eof:
                self.pending = self.inflater.unused_data
                self.inflater = zlib.decompressobj(wbits=31)
                self.started = False
            if out:
                view[: len(out)] = out
                return len(out)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.source.close()
        super().close()


def open_input(path: Path, progress: Progress | None = None) -> IO[bytes]:
    """The file's bytes as a buffered stream (gzip undone transparently), moving ``progress`` as it is read.

    A broken gzip wrapper surfaces as :class:`MalformedInput` from the stream's reads.
    """
    raw = open(path, "rb", buffering=0)  # noqa: SIM115 - closed with the returned stream
    magic = raw.read(2)
    raw.seek(0)
    buffered = io.BufferedReader(_Counted(raw, progress), buffer_size=1024 * 1024)
    if magic == GZIP_MAGIC:
        return io.BufferedReader(_Gunzip(buffered, path), buffer_size=256 * 1024)
    return buffered


def read_head(path: Path) -> bytes:
    """The first bytes of a file, decompressed when it is gzip (as far as they decompress)."""
    with open_input(path) as opened:
        stream = cast(io.BufferedReader, opened)
        head = b""
        try:
            while len(head) < HEAD_BYTES and (chunk := stream.read1(HEAD_BYTES - len(head))):
                head += chunk
        except (OSError, MalformedInput):
            pass
        return head


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

    def stored(self, path: Path, progress: Progress | None = None) -> Iterator[tuple[str | None, int, str]]:
        """:meth:`read`'s records in their stored form, as an import gathers them by device: (device, how many
        records, their :func:`camaudit.store.core.record_json` texts joined by commas), in the order read. An
        importer may give several records of one device at once, made without record objects."""
        from camaudit.store.core import record_json  # the store's own form, from the store

        for obs in self.read(path, progress):
            yield obs.device, 1, record_json(obs)
