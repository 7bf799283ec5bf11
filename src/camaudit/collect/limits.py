"""Bounded reads from untrusted devices: every read has a deadline and a byte cap.

A hostile or broken device (garbage, a response that never ends, one byte a minute, megabytes of
headers) costs at most ``Budget.read_bytes`` of memory and ``Budget.deadline`` of wall time.
"""

from __future__ import annotations

import asyncio
import errno
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass

from camaudit.collect.pacing import STRETCH, serviced, within
from camaudit.scope import RateLimiter


class DeviceError(Exception):
    """A device that did not answer in a usable way (closed, too slow, not the protocol)."""


#: errors that say the scanning machine ran short (of open files, buffers, local ports), not that a device is
#: closed: a port that met one is retried or reported as not checked, never taken as closed
RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.EADDRNOTAVAIL})


class ResourceError(DeviceError):
    """The scanner itself ran out of a resource while probing (too many open files, no buffer space...)."""


def is_resource_error(exc: BaseException) -> bool:
    return isinstance(exc, ResourceError) or (isinstance(exc, OSError) and exc.errno in RESOURCE_ERRNOS)


@dataclass(frozen=True)
class Budget:
    connect_timeout: float = 1.5
    read_timeout: float = 3.0
    host_deadline: float = 12.0
    read_bytes: int = 256 * 1024
    header_bytes: int = 32 * 1024


@dataclass
class Message:
    head: bytes
    body: bytes
    truncated: bool = False
    timed_out: bool = False


#: The rate limiter of the scan this task belongs to: every new connection and datagram takes a token.
CONNECTION_LIMITER: ContextVar[RateLimiter | None] = ContextVar("camaudit_connection_limiter", default=None)


async def pace(deadline: Deadline | None = None) -> None:
    """Wait for a token of the scan's rate limiter, if any; the wait is our own pacing, not the device's time,
    so it is added back to ``deadline``."""
    limiter = CONNECTION_LIMITER.get()
    if limiter is None:
        return
    started = time.monotonic()
    await limiter.acquire()
    if deadline is not None:
        deadline.extend(time.monotonic() - started)


class Deadline:
    """A host's time, in serviced time (:mod:`camaudit.collect.pacing`): a loop busy with other hosts does not
    spend it; bounded in wall time all the same (``STRETCH`` times its length)."""

    def __init__(self, seconds: float) -> None:
        self.end = serviced() + seconds
        self.wall_end = time.monotonic() + seconds * STRETCH

    def extend(self, seconds: float) -> None:
        """Time that was our own pacing, not the device's."""
        self.end += seconds
        self.wall_end += seconds

    def left(self, cap: float) -> float:
        remaining = min(self.end - serviced(), self.wall_end - time.monotonic())
        if remaining <= 0:
            raise DeviceError("host deadline reached")
        return min(cap, remaining)


async def _read_some(reader: asyncio.StreamReader, n: int, timeout: float) -> bytes:
    try:
        return await within(reader.read(n), timeout)
    except TimeoutError as exc:
        raise DeviceError("read timed out") from exc


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return max(0, int(value.strip()))
            except ValueError:
                return None
    return None


def _is_chunked(head: bytes) -> bool:
    for line in head.split(b"\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            return True
    return False


_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


def dechunk(body: bytes) -> bytes:
    """Decode a chunked body as far as it is well formed; a broken chunk ends the body."""
    out = bytearray()
    pos = 0
    while pos < len(body):
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            break
        digits = body[pos:eol].split(b";")[0].strip()
        if not _CHUNK_SIZE.fullmatch(digits):  # int() would take "-5" (a loop back) or "1_0"
            break
        size = int(digits, 16)
        if size == 0:
            break
        out += body[eol + 2 : eol + 2 + size]
        pos = eol + 2 + size + 2
    return bytes(out)


async def read_message(
    reader: asyncio.StreamReader,
    budget: Budget,
    deadline: Deadline,
    with_body: bool = True,
    body_until_close: bool = True,
) -> Message:
    """Read one HTTP- or RTSP-style message: head up to the blank line, then a body if it has one.

    Without Content-Length or chunking, an HTTP body runs until the peer closes (``body_until_close``);
    an RTSP message has no body then (RFC 2326 section 12.14).

    Stops at ``budget.read_bytes``; a response that stops arriving before it is complete is kept as far
    as it came, marked ``timed_out``.
    """
    buf = bytearray()
    msg = Message(b"", b"")
    while b"\r\n\r\n" not in buf and b"\n\n" not in buf:
        if len(buf) >= budget.header_bytes:
            msg.truncated = True
            msg.head = bytes(buf[: budget.header_bytes])
            return msg
        try:
            chunk = await _read_some(reader, 4096, deadline.left(budget.read_timeout))
        except DeviceError:
            if not buf:
                raise
            msg.timed_out = True
            msg.head = bytes(buf)
            return msg
        if not chunk:
            msg.head = bytes(buf)
            return msg
        buf += chunk
    sep = b"\r\n\r\n" if b"\r\n\r\n" in buf else b"\n\n"
    head, _, rest = bytes(buf).partition(sep)
    msg.head = head
    length = _content_length(head)
    chunked = _is_chunked(head)
    if not with_body or (length is None and not chunked and not body_until_close):
        msg.body = rest
        return msg
    body = bytearray(rest)
    cap = budget.read_bytes
    while len(body) < cap and (length is None or len(body) < length):
        if chunked and body.endswith(b"0\r\n\r\n"):
            break
        try:
            chunk = await _read_some(reader, min(65536, cap - len(body)), deadline.left(budget.read_timeout))
        except DeviceError:
            msg.timed_out = True
            break
        if not chunk:
            break
        body += chunk
    if len(body) >= cap and (length is None or length > cap):
        msg.truncated = True
    data = bytes(body[:cap])
    if length is not None:
        data = data[:length]
    msg.body = dechunk(data) if chunked else data
    return msg


async def open_connection(
    host: str, port: int, budget: Budget, deadline: Deadline, ssl: object | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    await pace(deadline)
    timeout = deadline.left(budget.connect_timeout)  # before the coroutine exists: it may raise
    try:
        return await within(asyncio.open_connection(host, port, ssl=ssl, limit=budget.header_bytes * 2), timeout)
    except TimeoutError as exc:
        raise DeviceError(f"{host}:{port} connect timed out") from exc
    except OSError as exc:
        if exc.errno in RESOURCE_ERRNOS:
            raise ResourceError(f"{host}:{port} not checked: the scanner ran short ({exc.strerror or exc})") from exc
        raise DeviceError(f"{host}:{port} {exc.strerror or exc}") from exc


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 1.0)
    except (TimeoutError, OSError, ConnectionError):
        pass
    except Exception:
        pass
