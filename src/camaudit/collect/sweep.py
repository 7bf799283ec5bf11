"""The liveness sweep: a bare TCP connect to each port of an address, many addresses at once, and the
open-file budget that bounds how many sockets may be in flight.

A connect that the scanner itself could not make (too many open files, no buffer space, no local port
left) says nothing about the device: it is retried with fewer sockets in flight, and if it still fails the
port is reported as not checked, never as closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import heapq
import os
import resource
import select
import socket
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from camaudit.collect.limits import RESOURCE_ERRNOS
from camaudit.collect.pacing import AdaptiveRate, loop_clock
from camaudit.scope import RateLimiter

#: descriptors kept back for the store (database, WAL, shared memory), standard streams, the event loop and
#: worker-process pipes
RESERVED_DESCRIPTORS = 24
RETRIES = 6
_LINGER_RESET = struct.pack("ii", 1, 0)  # close with a reset: no TIME_WAIT left behind for every open port


def open_file_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def raise_open_file_limit() -> int:
    """Lift the soft open-file limit to the hard one (what a process may do for itself); the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 16)
    if soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return open_file_limit()


def descriptors_in_use() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 16


def descriptor_budget(reserve: int = RESERVED_DESCRIPTORS) -> int:
    """Sockets the scan may hold at once: the open-file limit less what is open already and a reserve."""
    return max(2, open_file_limit() - descriptors_in_use() - reserve)


@dataclass(frozen=True)
class Swept:
    address: str
    open_ports: tuple[int, ...]
    errors: tuple[str, ...] = ()
    incomplete: bool = False  # some port could not be checked for want of local resources


#: the ports that tell whether a host is there at all: nearly every camera, recorder and intercom listens on
#: one of them, and any other host answers them with a refusal
LIVENESS_PORTS = (80, 554, 443)

OPEN, REFUSED, SILENT = "open", "refused", "silent"
#: errors of a connect that say no host answered its neighbour discovery
_UNREACHABLE = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN})
#: how often the sweep launches new connects and expires timed-out ones
TICK = 0.01


class _Host:
    __slots__ = ("address", "done", "left", "retried", "stage", "states")

    def __init__(self, address: str, done: Callable[[Swept], None]) -> None:
        self.address = address
        self.done = done
        self.states: dict[int, str] = {}
        self.left = 0
        self.stage = 0  # 0: liveness ports, 1: the other ports, 2: retry of silent ports of a host that answered
        self.retried: set[int] = set()


class _Knock:
    __slots__ = ("attempt", "deadline", "finished", "host", "port", "problem", "sock")

    def __init__(self, host: _Host, port: int) -> None:
        self.host = host
        self.port = port
        self.sock: socket.socket | None = None
        self.deadline = 0.0
        self.attempt = 0
        self.finished = False
        self.problem = ""


class Knocker:
    """Connects to ports and closes at once, many addresses at a time, without a coroutine, future or timer per
    connect: one tick every few milliseconds starts what the pace allows and expires what timed out, and the
    sockets' readiness comes in batches from an epoll set of the sweep's own (on Linux).

    With ``ping`` (the default), an address is first knocked on a few liveness ports; only if one of them
    answered at all (open, or refused: a host is there) are the other ports knocked. An address silent on all
    of them costs a few sockets for one timeout, not one per port. Ports of a host that answered which stayed
    silent are knocked once more: a lost connect must not hide an open port, and one that answers its retry is
    a proven loss, which slows the pace (:class:`~camaudit.collect.pacing.AdaptiveRate`).

    ``sockets`` caps the connects in flight (from the open-file budget); ``limiter`` is the scan's shared
    token bucket (``--rate``), from which the sweep takes only free tokens, so deep probes of hosts already
    started go first.
    """

    def __init__(self, ports: list[int], timeout: float, sockets: int, ping: bool = True,
                 limiter: RateLimiter | None = None, rate: AdaptiveRate | None = None) -> None:
        self.ports = ports
        self.timeout = timeout
        self.cap = max(1, sockets)
        self.allowed = self.cap  # shrinks on resource errors, grows back
        self.limiter = limiter
        self.rate = rate or AdaptiveRate(limiter.rate if limiter is not None else 1e9)
        self.shortages = 0  # resource errors met (each one shrinks the sockets in flight for a while)
        self.losses = 0  # silent ports that answered their retry
        first = [p for p in ports if p in LIVENESS_PORTS] if ping else []
        self.first = first if first and len(first) < len(ports) else list(ports)
        self.rest = [p for p in ports if p not in self.first]
        self.waiting: deque[_Knock] = deque()
        self.sent: deque[_Knock] = deque()  # in the order sent: one timeout for all, so in deadline order
        self.later: list[tuple[float, int, _Knock]] = []  # resource-error retries, by when
        self.by_fd: dict[int, _Knock] = {}
        self.inflight = 0
        self.hosts = 0  # addresses submitted and not yet done
        self._seq = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._poll: select.epoll | None = None
        self._tick: asyncio.TimerHandle | asyncio.Handle | None = None
        self._last_shortage = 0.0

    # the sweep's public side ---------------------------------------------------------------------------------
    def submit(self, address: str, done: Callable[[Swept], None]) -> None:
        """Knock ``address``; ``done`` is called (from the event loop) with its :class:`Swept` when settled."""
        host = _Host(address, done)
        self.hosts += 1
        self._queue(host, self.first)

    async def sweep(self, address: str) -> Swept:
        future: asyncio.Future[Swept] = asyncio.get_running_loop().create_future()

        def settled(swept: Swept) -> None:
            if not future.done():
                future.set_result(swept)

        self.submit(address, settled)
        return await future

    def room(self) -> int:
        """How many more connects could start now (within the sockets allowed) beyond those already waiting."""
        return self.allowed - self.inflight - len(self.waiting)

    def close(self) -> None:
        """Stop: every socket in flight is closed (the hosts they belong to are not reported)."""
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        for knock in self.sent:
            if not knock.finished and knock.sock is not None:
                knock.finished = True
                knock.sock.close()
        self.sent.clear()
        self.waiting.clear()
        self.later.clear()
        self.by_fd.clear()
        self.inflight = 0
        if self._poll is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._poll.fileno())
            self._poll.close()
            self._poll = None

    # the engine -------------------------------------------------------------------------------------------
    def _queue(self, host: _Host, ports: list[int]) -> None:
        host.left += len(ports)
        self.waiting.extend(_Knock(host, p) for p in ports)
        self._wake()

    def _wake(self) -> None:
        if self._tick is None:
            self._loop = self._loop or asyncio.get_running_loop()
            self._tick = self._loop.call_soon(self._run)

    def _setup(self) -> None:
        assert self._loop is not None
        if self._poll is None and hasattr(select, "epoll"):
            self._poll = select.epoll()
            self._loop.add_reader(self._poll.fileno(), self._ready)

    def _run(self) -> None:
        self._tick = None
        self._setup()
        now = time.monotonic()
        self._expire(now)
        while self.later and self.later[0][0] <= now:
            self.waiting.appendleft(heapq.heappop(self.later)[2])
        if self.allowed < self.cap and now - self._last_shortage > 1.0:
            self.allowed = min(self.cap, self.allowed + max(1, self.cap // 16))
        want = min(len(self.waiting), self.allowed - self.inflight)
        if want > 0:
            clock = loop_clock()
            n = self.rate.allow(want, clock.lag if clock is not None else 0.0, now)
            if self.limiter is not None and n:
                n = self.limiter.take(n)
            for _ in range(n):
                if not self.waiting:
                    break
                self._send(self.waiting.popleft(), now)
        if self.inflight or self.waiting or self.later:
            assert self._loop is not None
            self._tick = self._loop.call_later(TICK, self._run)

    def _send(self, knock: _Knock, now: float) -> None:
        address, port = knock.host.address, knock.port
        try:
            sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
        except OSError as exc:  # EMFILE/ENFILE surface here
            if exc.errno not in RESOURCE_ERRNOS:
                raise
            self._short_of(knock, exc, now)
            return
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        code = sock.connect_ex((address, port))
        if code in (errno.EINPROGRESS, errno.EAGAIN, errno.EALREADY):
            knock.sock = sock
            knock.deadline = now + self.timeout
            self.inflight += 1
            self.sent.append(knock)
            if self._poll is not None:
                self.by_fd[sock.fileno()] = knock
                self._poll.register(sock.fileno(), select.EPOLLOUT)
            else:
                assert self._loop is not None
                self._loop.add_writer(sock.fileno(), self._writable, knock)
            return
        sock.close()
        if code in RESOURCE_ERRNOS:
            self._short_of(knock, OSError(code, os.strerror(code)), now)
            return
        self._settle(knock, _state_of(code))

    def _ready(self) -> None:
        assert self._poll is not None
        for fd, _events in self._poll.poll(0, 4096):
            knock = self.by_fd.pop(fd, None)
            if knock is not None and not knock.finished and knock.sock is not None:
                self._poll.unregister(fd)
                self._answered(knock)

    def _writable(self, knock: _Knock) -> None:
        if not knock.finished and knock.sock is not None:
            assert self._loop is not None
            self._loop.remove_writer(knock.sock.fileno())
            self._answered(knock)

    def _answered(self, knock: _Knock) -> None:
        assert knock.sock is not None
        code = knock.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code in RESOURCE_ERRNOS:
            self._close(knock)
            self._short_of(knock, OSError(code, os.strerror(code)), time.monotonic())
            return
        self._close(knock)
        self._settle(knock, _state_of(code))

    def _expire(self, now: float) -> None:
        while self.sent and (self.sent[0].finished or self.sent[0].deadline <= now):
            knock = self.sent.popleft()
            if knock.finished or knock.sock is None:
                continue
            # the kernel may have finished the handshake while the event loop was busy: ask the socket itself
            # before calling the port silent (a loaded loop must never turn open into silent)
            state = _settled(knock.sock)
            self._close(knock)
            self._settle(knock, state)

    def _close(self, knock: _Knock) -> None:
        sock = knock.sock
        knock.finished = True
        if sock is None:
            return
        knock.sock = None
        self.inflight -= 1
        fd = sock.fileno()
        if self._poll is not None:
            if self.by_fd.pop(fd, None) is not None:
                with contextlib.suppress(OSError):
                    self._poll.unregister(fd)
        elif self._loop is not None:
            self._loop.remove_writer(fd)
        sock.close()

    def _short_of(self, knock: _Knock, exc: OSError, now: float) -> None:
        """A connect the scanner itself could not make: fewer sockets in flight for a while, and this one again
        later; after RETRIES the port is reported as not checked."""
        knock.problem = exc.strerror or str(exc)
        knock.attempt += 1
        knock.finished = False
        self.shortages += 1
        self._last_shortage = now
        self.allowed = max(1, min(self.allowed, self.inflight) * 3 // 4)
        self.rate.congestion("scanner short of resources", now)
        if knock.attempt >= RETRIES:
            self._settle(knock, knock.problem or "resource error")
            return
        self._seq += 1
        heapq.heappush(self.later, (now + 0.05 * (2 ** knock.attempt), self._seq, knock))
        self._wake()

    def _settle(self, knock: _Knock, state: str) -> None:
        knock.finished = True
        host = knock.host
        if host.stage == 2:
            if state in (OPEN, REFUSED):
                self.losses += 1
                self.rate.congestion("lost connects")
            if state != SILENT:
                host.states[knock.port] = state
        else:
            host.states[knock.port] = state
        host.left -= 1
        if host.left:
            return
        answered = any(s in (OPEN, REFUSED) for s in host.states.values())
        if host.stage == 0 and self.rest and answered:
            host.stage = 1
            self._queue(host, self.rest)
            return
        if host.stage < 2 and answered:
            silent = [p for p, s in host.states.items() if s == SILENT]
            if silent:
                host.stage = 2
                self._queue(host, silent)
                return
        self.hosts -= 1
        host.done(_swept(host.address, self.ports, host.states))


def _state_of(code: int) -> str:
    if code == 0:
        return OPEN
    if code in _UNREACHABLE:
        return SILENT  # no host answered its neighbour discovery
    return REFUSED


def _swept(address: str, ports: list[int], states: dict[int, str]) -> Swept:
    open_ports = tuple(p for p in ports if states.get(p) == OPEN)
    errors = tuple(f"port {p}: not checked: the scanner ran short of local resources ({state}); resume the "
                   "scan, or lower --concurrency or raise the open-file limit (ulimit -n)"
                   for p, state in states.items() if state not in (OPEN, REFUSED, SILENT))
    return Swept(address, open_ports, errors, bool(errors))


def _settled(sock: socket.socket) -> str:
    """The state of a connect whose wait timed out, as the kernel has it."""
    failure = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if failure == errno.ECONNREFUSED:
        return REFUSED
    if failure:
        return SILENT
    try:
        sock.getpeername()
    except OSError:
        return SILENT  # still waiting for an answer: dropped, filtered or no host
    return OPEN
