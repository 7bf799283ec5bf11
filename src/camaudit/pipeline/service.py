"""The audit service: one owner of a scan's state and one run of collect -> identify -> assess -> store for
every entry point (library, CLI, the coming server and workers).

- :meth:`AuditService.begin` records a :class:`~camaudit.pipeline.plan.ScanPlan` in the store;
- :meth:`AuditService.scan` runs (or resumes) a scan from the plan the store holds, whoever began it;
- :meth:`AuditService.listen` records what devices announce;
- imports go through :func:`camaudit.pipeline.imports.import_file`, on the same stages.

Hosts are committed in batches (WAL mode): a crash loses at most the batch in flight, which ``--resume``
probes again.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from sqlalchemy.exc import SQLAlchemyError

from camaudit.collect.credentials import CredentialBook
from camaudit.collect.discovery.transport import Gathered, listen, probe_multicast
from camaudit.collect.enrich import Target, enrich
from camaudit.collect.limits import Deadline
from camaudit.collect.scanner import PaceReport, ScanOptions, scan
from camaudit.model import HostResult, Observation
from camaudit.pipeline.analysis import Analyser
from camaudit.pipeline.plan import PlanError, ScanPlan
from camaudit.pipeline.stages import Analysis, Stages, analyse_device, conclude, looks_like_video_device
from camaudit.progress import Progress
from camaudit.runtime import run as run_loop
from camaudit.scope import Scope
from camaudit.store import Store, StoreError, open_store

#: hosts per commit, and the longest a finished host waits for its commit
BATCH_HOSTS = 1024
BATCH_SECONDS = 1.0
NOTHING = Analysis((), ())


@dataclass
class ScanSummary:
    scan_id: int
    hosts_scanned: int
    hosts_up: int
    identified: int  # hosts whose manufacturer was identified
    errors: int
    incomplete: int = 0  # hosts the scanner could not check fully (its own resources): resume probes them again
    pace: str = ""  # how the sweep paced itself (rate reached, cuts and why)


class Enricher:
    """After the unauthenticated probes: read more with the owner's credentials, choosing what to read from
    the evidence already drawn (kept on the result, so no rule runs twice on the same observation)."""

    def __init__(self, book: CredentialBook, analyser: Analyser, options: ScanOptions) -> None:
        self.book = book
        self.analyser = analyser
        self.options = options

    async def __call__(self, result: HostResult, deadline: Deadline) -> HostResult:
        creds = self.book.for_address(result.address)
        if not creds:
            return result  # the identity says what credentials would have added
        evidence = await self.analyser.evidence(result.observations)
        result = replace(result, evidence=tuple(evidence), evidence_for=len(result.observations))
        identity = conclude(self.analyser.stages, result.address, result.observations, evidence)
        if not looks_like_video_device(identity, result.open_ports):
            return replace(result, errors=(*result.errors, "credentials: not used: nothing suggests a camera, recorder "
                                           "or intercom here (no RTSP, no camera maker recognised)"))
        web = [Target(result.address, p, self.options.ports[p] == "https") for p in result.open_ports
               if self.options.ports.get(p) in ("http", "https")]
        web.sort(key=lambda t: (t.tls, t.port))
        found = await enrich(web, identity.manufacturer, creds, self.options.budget, deadline)
        return replace(result, observations=(*result.observations, *found.observations),
                       errors=(*result.errors, *(f"credentials: {n}" for n in found.notes)))


class HostWriter:
    """Commits finished hosts in batches (by count or age), each batch one transaction.

    With ``background`` (a store in a file), batches are committed by a thread of the writer's own, on a
    connection of its own, while the event loop goes on probing (SQLite works without Python's lock, so the
    commit runs on the other core); one batch at a time, in order, and :meth:`flush` waits for it. A commit
    that failed is raised by the next :meth:`add` or :meth:`flush`."""

    def __init__(self, store: Store, scan_id: int, background: bool = False) -> None:
        self.store = store
        self.scan_id = scan_id
        self.pending: list[tuple[HostResult, Analysis]] = []
        self.oldest = 0.0
        # SQLite files only: a PostgreSQL store's ``where`` hides its password, and it has a server to wait on
        background = background and store.dialect == "sqlite" and store.where not in (":memory:", "")
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="camaudit-commit") if background else None
        self.own: Store | None = None  # the thread's connection, opened now: before the scan's sockets
        self.committing: Future[None] | None = None
        if self.thread is not None:
            try:
                self.own = self.thread.submit(open_store, store.where).result()
            except (StoreError, SQLAlchemyError, OSError):  # e.g. no descriptor left: commit inline instead
                self.thread.shutdown(wait=True)
                self.thread = None

    def add(self, result: HostResult, analysis: Analysis) -> None:
        if not self.pending:
            self.oldest = time.monotonic()
        self.pending.append((result, analysis))
        if len(self.pending) >= BATCH_HOSTS or time.monotonic() - self.oldest >= BATCH_SECONDS:
            if self.thread is None:
                self.flush()
            elif self.committing is None or self.committing.done():
                self._wait()
                batch, self.pending = self.pending, []
                self.committing = self.thread.submit(self._commit, batch)

    def _commit(self, batch: list[tuple[HostResult, Analysis]]) -> None:
        assert self.own is not None
        self.own.commit_hosts(self.scan_id, batch)

    def _wait(self) -> None:
        if self.committing is not None:
            done, self.committing = self.committing, None
            done.result()

    def flush(self) -> None:
        """Commit everything pending now (by the thread, when there is one: every commit of a scan on one
        connection, so observation numbering stays its own)."""
        self._wait()
        if self.pending:
            batch, self.pending = self.pending, []
            if self.thread is not None:
                self.thread.submit(self._commit, batch).result()
            else:
                self.store.commit_hosts(self.scan_id, batch)

    def close(self) -> None:
        """Wait for the commit in flight (if any) and end the thread; pending hosts are not committed here."""
        try:
            self._wait()
        finally:
            if self.thread is not None:
                if self.own is not None:
                    self.thread.submit(self.own.close).result()
                self.thread.shutdown(wait=True)
                self.thread = None


def group_by_address(observations: Sequence[Observation]) -> dict[str, list[Observation]]:
    heard: dict[str, list[Observation]] = {}
    for obs in observations:
        heard.setdefault(obs.address or "", []).append(obs)
    return heard


class AuditService:
    def __init__(self, store: Store, stages: Stages | None = None, workers: int | None = None) -> None:
        self.store = store
        self.default_stages = stages is None
        self.stages = stages or Stages.default()
        self.stages.identifier.brands.registry.load_all()  # every knowledge file open now, none mid-scan
        self.workers = workers  # None: a process pool for large scopes, one worker per core

    # a scan's state -----------------------------------------------------------------------------------------
    def begin(self, plan: ScanPlan) -> int:
        """Record a new scan and everything needed to run or resume it; its id."""
        scope = plan.scope()  # refuse a bad plan before anything is stored
        return self.store.begin_scan("scan", plan.targets, plan.record(), scope.size())

    def plan_of(self, scan_id: int) -> ScanPlan:
        stored = self.store.scan(scan_id)
        if stored["kind"] != "scan":
            raise PlanError(f"scan {scan_id} is a {stored['kind']}, not a network scan: nothing to resume")
        return ScanPlan.from_record(stored["targets"], stored["options"])

    # scanning ---------------------------------------------------------------------------------------------
    async def scan(self, scan_id: int, credentials: CredentialBook | None = None, progress: bool = True,
                   descriptors: int | None = None,
                   on_host: Callable[[HostResult], None] | None = None) -> ScanSummary:
        """Run scan ``scan_id`` from its stored plan, skipping the hosts already committed (a resume is the
        same call). Owner credentials are never stored: pass them again to resume a scan that used them.
        ``on_host`` is given each finished host as it is handed to the store (a collector's live push)."""
        plan = self.plan_of(scan_id)
        scope = plan.scope()
        skip = self.store.scanned_addresses(scan_id)
        options = plan.options()
        if plan.owner_credentials and not credentials and progress:
            print(f"note: scan {scan_id} was begun with owner credentials; none were given now, so the hosts left "
                  "are probed without them", file=sys.stderr)
        if plan.discover_on:
            gathered = await probe_multicast(plan.discover_on, options.discovery_timeout * 2, scope.contains)
            options = replace(options, heard=group_by_address(gathered.observations))
            if progress:
                print(f"multicast discovery on {plan.discover_on}: {len(gathered.sources)} device(s) answered in "
                      f"scope; {gathered.out_of_scope} answer(s) from outside the scope and {gathered.rejected} "
                      "malformed answer(s) ignored", file=sys.stderr)
        left = max(0, scope.size() - len(skip))
        workers = self.workers
        analyser = Analyser(self.stages, workers) if workers is not None else \
            Analyser.for_scan(self.stages, left, self.default_stages)
        with analyser:
            if credentials:
                options = replace(options, enricher=Enricher(credentials, analyser, options))
            return await self._run(scan_id, scope, options, skip, analyser, left, progress, descriptors, on_host)

    async def _run(self, scan_id: int, scope: Scope, options: ScanOptions, skip: set[str], analyser: Analyser,
                   left: int, progress: bool, descriptors: int | None,
                   on_host: Callable[[HostResult], None] | None) -> ScanSummary:
        self.store.mark_scan(scan_id, "running")
        bar = Progress(left, "scanning", enabled=progress)
        writer = HostWriter(self.store, scan_id, background=True)
        summary = ScanSummary(scan_id, 0, 0, 0, 0)
        pending: set[asyncio.Task[None]] = set()
        window = asyncio.Semaphore(max(8, 4 * (analyser.workers or 1)))

        def record(result: HostResult, analysis: Analysis) -> None:
            writer.add(result, analysis)
            if on_host is not None and (result.open_ports or result.observations):  # silent ones say nothing
                on_host(result)
            summary.hosts_scanned += 1
            summary.hosts_up += bool(result.open_ports)
            summary.identified += analysis.identified
            summary.errors += bool(result.errors)
            summary.incomplete += result.incomplete
            bar.advance(note=f"{summary.hosts_up} up, {summary.identified} identified")

        async def judge(result: HostResult) -> None:
            try:
                analysis = await analyser.analyse(result)
            finally:
                window.release()
            record(result, analysis)

        paced = PaceReport()
        try:
            async for result in scan(scope, options, skip=skip, descriptors=descriptors, report=paced):
                if not (result.open_ports or result.observations):
                    record(result, NOTHING)  # nothing answered: nothing to identify
                    continue
                await window.acquire()  # bounded: at most a few hosts wait for a worker
                task = asyncio.create_task(judge(result))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.gather(*pending)
            writer.flush()
        except BaseException:  # interrupted, cancelled or failed: the hosts done so far are kept, resumable
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            try:
                writer.flush()
            finally:
                writer.close()
                self.store.finish_scan(scan_id, "interrupted")
                bar.finish()
            raise
        writer.close()
        bar.finish()
        summary.pace = paced.text
        self.store.finish_scan(scan_id, "complete" if not summary.incomplete else "incomplete")
        return summary

    # listening --------------------------------------------------------------------------------------------
    async def listen(self, interface: str, duration: float, scope: Scope | None) -> tuple[int, Gathered]:
        """Passive listening: record what devices announce or answer on ``interface``, sending nothing."""
        scan_id = self.store.begin_scan("listen", [f"interface {interface}"], {"duration": duration}, None)
        gathered = await listen(interface, duration, scope.contains if scope else (lambda _a: True))
        batch = [(HostResult(address, (), tuple(observations)), analyse_device(self.stages, address, observations))
                 for address, observations in group_by_address(gathered.observations).items()]
        self.store.commit_hosts(scan_id, batch)
        self.store.finish_scan(scan_id)
        return scan_id, gathered


def run_scan(store: Store, scope: Scope, targets: Sequence[str], options: ScanOptions, stages: Stages | None = None,
             resume: int | None = None, progress: bool = True, discover_on: str | None = None,
             credentials: CredentialBook | None = None, workers: int | None = None) -> ScanSummary:
    """The library's way in: a scope and options become a plan in the store (exclusions included), then the
    service runs it. With ``resume`` the stored plan is used and ``scope``/``options`` are not consulted."""
    service = AuditService(store, stages, workers)
    if resume is None:
        plan = ScanPlan.from_scope(scope, targets, options, discover_on, owner_credentials=bool(credentials))
        resume = service.begin(plan)
    return run_loop(service.scan(resume, credentials, progress))


__all__ = ["AuditService", "Enricher", "HostWriter", "PlanError", "ScanSummary", "StoreError", "run_scan"]
