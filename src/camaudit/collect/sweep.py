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
import os
import resource
import socket
import struct
from dataclasses import dataclass

from camaudit.collect.limits import RESOURCE_ERRNOS, pace

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


class Knocker:
    """Connects to ports and closes at once, within a shared limit of sockets in flight.

    With ``ping`` (the default), an address is first knocked on a few liveness ports; only if one of them
    answered at all (open, or refused: a host is there) are the other ports knocked. An address silent on all
    of them costs a few sockets for one timeout, not one per port.
    """

    def __init__(self, ports: list[int], timeout: float, slots: asyncio.Semaphore, ping: bool = True) -> None:
        self.ports = ports
        self.timeout = timeout
        self.slots = slots
        self.shortages = 0  # resource errors met (each one shrinks the sockets in flight for a while)
        first = [p for p in ports if p in LIVENESS_PORTS] if ping else []
        self.first = first if first and len(first) < len(ports) else list(ports)
        self.rest = [p for p in ports if p not in self.first]

    async def sweep(self, address: str) -> Swept:
        states = dict(zip(self.first, await asyncio.gather(*(self.knock(address, p) for p in self.first)),
                          strict=True))
        if self.rest and any(state != SILENT for state in states.values()):
            states.update(zip(self.rest, await asyncio.gather(*(self.knock(address, p) for p in self.rest)),
                              strict=True))
        open_ports = tuple(p for p in self.ports if states.get(p) == OPEN)
        errors = tuple(f"port {p}: not checked: the scanner ran short of local resources ({state}); resume the "
                       "scan, or lower --concurrency or raise the open-file limit (ulimit -n)"
                       for p, state in states.items() if state not in (OPEN, REFUSED, SILENT))
        return Swept(address, open_ports, errors, bool(errors))

    async def knock(self, address: str, port: int) -> str:
        """OPEN, REFUSED (a host answered that nothing listens), SILENT (no answer within the timeout), or the
        resource error that kept the port from being checked."""
        problem = ""
        for attempt in range(RETRIES):
            async with self.slots:
                await pace()
                try:
                    return await self._connect(address, port)
                except OSError as exc:
                    if exc.errno not in RESOURCE_ERRNOS:
                        raise
                    problem = exc.strerror or str(exc)
            self._shrink()
            await asyncio.sleep(0.05 * (2 ** attempt))
        return problem or "resource error"

    def _shrink(self) -> None:
        """Hold back a quarter of the slots for a moment: fewer sockets in flight while resources recover."""
        self.shortages += 1
        held = max(1, self.slots._value // 4)

        async def hold() -> None:
            taken = 0
            try:
                # only slots that are free now: a holder never waits, so holders can never hold every slot
                # between them while each waits for more
                while taken < held and not self.slots.locked():
                    await self.slots.acquire()
                    taken += 1
                await asyncio.sleep(1.0)
            finally:
                for _ in range(taken):
                    self.slots.release()

        task = asyncio.get_running_loop().create_task(hold())
        _HOLDERS.add(task)
        task.add_done_callback(_HOLDERS.discard)

    async def _connect(self, address: str, port: int) -> str:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)  # EMFILE/ENFILE surface here
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            try:
                async with asyncio.timeout(self.timeout):
                    await asyncio.get_running_loop().sock_connect(sock, (address, port))
            except TimeoutError:
                # the kernel may have finished the handshake while the event loop was busy: ask the socket
                # itself before calling the port silent (a loaded loop must never turn open into silent)
                return _settled(sock)
            except OSError as exc:
                if exc.errno in RESOURCE_ERRNOS:
                    raise
                if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN):
                    return SILENT  # no host answered its neighbour discovery
                return REFUSED
            return OPEN
        finally:
            sock.close()


_HOLDERS: set[asyncio.Task[None]] = set()


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
