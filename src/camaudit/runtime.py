"""Running the event loop: asyncio's own, or uvloop when asked for (``CAMAUDIT_LOOP=uvloop``) and installed.

uvloop is not the default (nor a dependency): its TLS transport once reported each hostile device's broken
handshake as an unretrieved exception on standard error. Where it is installed it saves about a seventh of
the scanner's CPU on a /20 (see benchmarks/README.md, bench_scale)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_name() -> str:
    if os.environ.get("CAMAUDIT_LOOP") != "uvloop":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def run(main: Coroutine[Any, Any, T]) -> T:
    if loop_name() != "uvloop":
        return asyncio.run(main)
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
