"""The liveness sweep: a bare TCP connect to each port of an address, many addresses at once, and the
open-file budget that bounds how many sockets may be in flight.

A connect that the scanner itself could not make (too many open files, no buffer space, no local port
left) says nothing about the device: it is retried with fewer sockets in flight, and if it still fails the
port is reported as not checked, never as closed.
"""

from __future__ import annotations

import asyncio
import contextlib
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


class Knocker:
    """Connects to ports and closes at once, within a shared limit of sockets in flight."""

    def __init__(self, ports: list[int], timeout: float, slots: asyncio.Semaphore) -> None:
        self.ports = ports
        self.timeout = timeout
        self.slots = slots
        self.shortages = 0  # resource errors met (each one shrinks the sockets in flight for a while)

    async def sweep(self, address: str) -> Swept:
        states = await asyncio.gather(*(self.knock(address, p) for p in self.ports))
        open_ports = tuple(p for p, state in zip(self.ports, states, strict=True) if state is True)
        errors = tuple(f"port {p}: not checked: the scanner ran short of local resources ({state}); resume the "
                       "scan, or lower --concurrency or raise the open-file limit (ulimit -n)"
                       for p, state in zip(self.ports, states, strict=True) if isinstance(state, str))
        return Swept(address, open_ports, errors, bool(errors))

    async def knock(self, address: str, port: int) -> bool | str:
        """True (open), False (refused or no answer within the timeout), or the resource error that kept the
        port from being checked."""
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
        return problem

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

    async def _connect(self, address: str, port: int) -> bool:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)  # EMFILE/ENFILE surface here
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            try:
                async with asyncio.timeout(self.timeout):
                    await asyncio.get_running_loop().sock_connect(sock, (address, port))
            except TimeoutError:
                return False  # silent: nothing answered (dropped, filtered or no host)
            except OSError as exc:
                if exc.errno in RESOURCE_ERRNOS:
                    raise
                return False  # refused, unreachable
            return True
        finally:
            sock.close()


_HOLDERS: set[asyncio.Task[None]] = set()
