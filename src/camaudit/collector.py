"""The cyclic garbage collector kept out of the way of long work (a scan, an import).

Such work makes objects by the hundred thousand while the loaded knowledge (rules, makers, registries) lives
as long as the command: every full collection would walk that knowledge again (measured on a /20 scan: 2.2 s
of 6.7 s CPU in the collector before, 0.6 s after; on an import about an eighth of its CPU). What is alive is
frozen out of the collector's scans and young collections are made rarer, for the duration only.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_held: list[tuple[int, int, int] | None] = []  # one entry per holder: the thresholds to restore, or None


@contextmanager
def collector_aside() -> Iterator[None]:
    """While the block runs: what is alive kept out of the collector's scans, and fewer young collections. Put
    back as it was afterwards (nothing frozen stays frozen), unless someone else had frozen objects already;
    nested or concurrent holders (imports in the server's threads) share one setting."""
    with _lock:
        if not _held:
            mine = gc.get_freeze_count() == 0
            _held.append(gc.get_threshold() if mine else None)
            if mine:
                gc.freeze()
                gc.set_threshold(50_000, 20, 20)
        else:
            _held.append(None)
    try:
        yield
    finally:
        with _lock:
            saved = _held[0]
            _held.pop()
            if not _held and saved is not None:
                gc.set_threshold(*saved)
                gc.unfreeze()
