"""Where identification and assessment run: on the event loop for small jobs, in a process pool for large
ones so every core works while the loop keeps probing. The functions are the pure ones of
:mod:`camaudit.pipeline.stages`; each worker process loads the knowledge once."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from camaudit.model import Evidence, HostResult, Observation
from camaudit.pipeline.stages import Analysis, Stages, analyse_host, evidence_of

#: the scope size from which a process pool pays for its start-up (each worker loads the knowledge files)
POOL_FROM_HOSTS = 4096

_WORKER_STAGES: Stages | None = None


def _init_worker() -> None:
    global _WORKER_STAGES
    if _WORKER_STAGES is None:  # forked workers inherit the parent's stages; others load the default ones
        _WORKER_STAGES = Stages.default()


def _ready() -> bool:
    return _WORKER_STAGES is not None


def _worker_analyse(result: HostResult) -> Analysis:
    assert _WORKER_STAGES is not None
    return analyse_host(_WORKER_STAGES, result)


def _worker_evidence(observations: Sequence[Observation]) -> list[Evidence]:
    assert _WORKER_STAGES is not None
    return evidence_of(_WORKER_STAGES, observations)


class Analyser:
    """Identify and assess hosts, inline or in ``workers`` processes. Workers are forked with the caller's
    stages already loaded, so they judge with exactly the same knowledge (where fork is not available they
    load the default knowledge, and only default stages are sent to them)."""

    def __init__(self, stages: Stages, workers: int = 0) -> None:
        self.stages = stages
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def for_scan(cls, stages: Stages, hosts: int, default_stages: bool) -> Analyser:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        forkable = "fork" in multiprocessing.get_all_start_methods()
        # never fork a process that runs other threads (a server's job): locks they hold would stay held
        alone = threading.current_thread() is threading.main_thread() and threading.active_count() == 1
        workers = cores if (forkable or default_stages) and alone and hosts >= POOL_FROM_HOSTS and cores > 1 else 0
        return cls(stages, workers)

    def __enter__(self) -> Analyser:
        global _WORKER_STAGES
        if self.workers:
            forkable = "fork" in multiprocessing.get_all_start_methods()
            if forkable:
                _WORKER_STAGES = self.stages
            context = multiprocessing.get_context("fork" if forkable else "spawn")
            self.pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init_worker)
            # start every worker now, before the scan has sockets open that the children would inherit
            for future in [self.pool.submit(_ready) for _ in range(self.workers * 2)]:
                future.result()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    async def analyse(self, result: HostResult) -> Analysis:
        if self.pool is None or not (result.open_ports or result.observations):
            return analyse_host(self.stages, result)
        return await asyncio.get_running_loop().run_in_executor(self.pool, _worker_analyse, result)

    async def evidence(self, observations: Sequence[Observation]) -> list[Evidence]:
        if self.pool is None:
            return evidence_of(self.stages, observations)
        return await asyncio.get_running_loop().run_in_executor(self.pool, _worker_evidence, tuple(observations))
