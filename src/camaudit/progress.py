"""Progress on long work, on standard error: a bar on a terminal, a line every few seconds elsewhere."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int | None, label: str, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.done = 0
        self.note = ""
        self.started = time.monotonic()
        self._last = 0.0
        self.tty = self.stream.isatty()

    def advance(self, n: int = 1, note: str | None = None) -> None:
        self.done += n
        if note is not None:
            self.note = note
        now = time.monotonic()
        if not self.enabled:
            return
        if self.tty and now - self._last >= 0.1:
            self._last = now
            self._draw()
        elif not self.tty and now - self._last >= 5.0:
            self._last = now
            self.stream.write(self._line() + "\n")
            self.stream.flush()

    def _line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        of = f"/{self.total}" if self.total else ""
        return f"{self.label}: {self.done}{of} ({rate:.0f}/s, {elapsed:.1f}s) {self.note}"

    def _draw(self) -> None:
        if self.total:
            width = 30
            filled = int(width * min(1.0, self.done / self.total))
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {self._line()}\x1b[K")
        else:
            self.stream.write(f"\r{self._line()}\x1b[K")
        self.stream.flush()

    def finish(self) -> None:
        if not self.enabled:
            return
        if self.tty:
            self._draw()
            self.stream.write("\n")
        else:
            self.stream.write(self._line() + "\n")
        self.stream.flush()
