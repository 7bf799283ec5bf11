"""Pacing that adapts to the machine: a clock of the time the event loop actually had to service sockets, and a
connection rate that backs off when the loop falls behind or connects are lost (AIMD, as TCP and nmap do).

A scanner whose event loop is starved of CPU (thousands of sockets on two shared cores) must neither take a
late answer for no answer nor keep piling on new connections. So:

- :class:`LoopClock` notices when the loop runs late (its own tick, every 20 ms, arrives late) and counts that
  time as *stalled*. Timeouts are measured in serviced time (:func:`serviced`): a read that waited because the
  loop was busy elsewhere is not timed out for it. A timeout never stretches beyond :data:`STRETCH` times its
  length in wall time, so a device that never answers still costs a bounded time.
- :class:`AdaptiveRate` starts the sweep below ``--rate`` (which stays a ceiling, never exceeded), grows while
  the loop keeps up, and cuts back multiplicatively when the loop lags with the scanner busy all along (its own
  overload; a loop late because other processes have the CPU only holds the pace), the scanner runs short of
  resources, or a lost connect is proven (a port that was silent answered its retry).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

#: how far a timeout may stretch in wall time while the loop is stalled
STRETCH = 4.0
TICK = 0.02
SLACK = 0.005  # lateness below this is ordinary scheduling jitter, not a stall


class LoopClock:
    """Serviced time of one event loop: wall time less the time its ticks arrived late."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.stalled = 0.0
        self.lag = 0.0  # recent lateness of a tick (exponentially weighted), seconds
        self.worst = 0.0  # the latest tick's lateness
        self.last = time.monotonic()
        self.handle: asyncio.TimerHandle | None = loop.call_later(TICK, self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        late = max(0.0, now - self.last - TICK)
        if late > SLACK:
            self.stalled += late - SLACK
        self.worst = late
        self.lag = 0.8 * self.lag + 0.2 * late
        self.last = now
        self.handle = self.loop.call_later(TICK, self._tick)

    def serviced(self) -> float:
        """Monotonic seconds, not counting the time the loop was stalled (the stall in progress included)."""
        now = time.monotonic()
        running_late = max(0.0, now - self.last - TICK - SLACK)
        return now - self.stalled - running_late


_CLOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopClock] = weakref.WeakKeyDictionary()


def loop_clock() -> LoopClock | None:
    """The running loop's clock (started on first use), or None outside a running loop."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    clock = _CLOCKS.get(loop)
    if clock is None or clock.loop.is_closed():
        clock = _CLOCKS[loop] = LoopClock(loop)
    return clock


def serviced() -> float:
    clock = loop_clock()
    return clock.serviced() if clock is not None else time.monotonic()


async def within(aw: Awaitable[T], timeout: float) -> T:
    """Await ``aw`` for at most ``timeout`` seconds of serviced time (and at most ``STRETCH`` times that in wall
    time); TimeoutError after cancelling it. Unlike ``wait_for``, an answer that arrived while the loop was
    busy is taken, not timed out."""
    task = asyncio.ensure_future(aw)
    wall_end = time.monotonic() + timeout * STRETCH
    start = serviced()
    try:
        while True:
            left = min(timeout - (serviced() - start), wall_end - time.monotonic())
            if left <= 0:
                break
            done, _ = await asyncio.wait((task,), timeout=left)
            if done:
                return task.result()
    except BaseException:
        task.cancel()
        raise
    if task.done():  # finished in the very iteration the time ran out
        return task.result()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
    except Exception:
        pass
    raise TimeoutError


async def serviced_sleep(seconds: float) -> None:
    """Sleep ``seconds`` of serviced time (at most ``STRETCH`` times that in wall time): e.g. how long to listen
    for datagram answers, which a stalled loop has not read yet."""
    wall_end = time.monotonic() + seconds * STRETCH
    end = serviced() + seconds
    while (left := min(end - serviced(), wall_end - time.monotonic())) > 0:
        await asyncio.sleep(left)


#: lateness of the loop's tick (exponentially weighted) above which new connections slow down
LAG_LIMIT = 0.1
#: the least time between two cuts of the rate (one cut per episode of congestion, as TCP does per RTT)
CUT_INTERVAL = 0.5
GROW_INTERVAL = 0.25
#: share of wall time on a CPU from which a late loop is taken for the scanner's own overload
BUSY_SHARE = 0.7


class AdaptiveRate:
    """New connections per second for the sweep: additive increase, multiplicative decrease, under ``ceiling``."""

    def __init__(self, ceiling: float, start: float | None = None) -> None:
        self.ceiling = max(1.0, ceiling)
        self.floor = min(self.ceiling, 50.0)
        self.rate = min(self.ceiling, start if start is not None else max(self.floor, self.ceiling / 4))
        self.slow_start = True
        self.tokens = 0.0
        now = time.monotonic()
        self.updated = now
        self.last_cut = now - CUT_INTERVAL
        self.last_grow = now
        self.cuts: dict[str, int] = {}
        self.peak = self.rate
        self.busy, self.busy_at, self.busy_cpu = 0.0, now, time.thread_time()

    def allow(self, want: int, lag: float, now: float | None = None, busy: float | None = None) -> int:
        """How many of ``want`` new connections may start now; ``lag``: the loop's recent lateness; ``busy``:
        the share of wall time this thread has been on a CPU lately (measured when not given)."""
        now = time.monotonic() if now is None else now
        busy = self._busy(now) if busy is None else busy
        if lag > LAG_LIMIT:
            # a late loop that was busy all along is our own overload: fewer new connections give the hosts
            # already started the CPU. Late but mostly idle, the machine is busy with others' work: slowing
            # down would not give us the CPU back, so only hold the pace
            if busy >= BUSY_SHARE:
                self.congestion("loop lag", now)
        elif now - self.last_grow >= GROW_INTERVAL and now - self.last_cut >= CUT_INTERVAL:
            self.last_grow = now
            self.rate = min(self.ceiling, self.rate * 1.5 if self.slow_start else self.rate + self.ceiling / 20)
            self.peak = max(self.peak, self.rate)
        burst = max(1.0, self.rate * 0.05)  # at most 50 ms worth at once
        self.tokens = min(burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        n = min(want, int(self.tokens))
        self.tokens -= n
        return max(0, n)

    def _busy(self, now: float) -> float:
        cpu = time.thread_time()
        if now - self.busy_at >= GROW_INTERVAL:
            self.busy = (cpu - self.busy_cpu) / max(1e-6, now - self.busy_at)
            self.busy_at, self.busy_cpu = now, cpu
        return self.busy

    def congestion(self, why: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if now - self.last_cut < CUT_INTERVAL:
            return
        self.last_cut = now
        self.slow_start = False
        self.rate = max(self.floor, self.rate * 0.6)
        self.cuts[why] = self.cuts.get(why, 0) + 1

    def describe(self) -> str:
        cuts = ", ".join(f"{n} for {why}" for why, n in sorted(self.cuts.items())) or "none"
        return f"sweep pace: peak {self.peak:.0f}/s, now {self.rate:.0f}/s of at most {self.ceiling:g}/s; cuts: {cuts}"
