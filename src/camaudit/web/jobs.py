"""Scans and imports started from the server: each runs in a thread of its own through the same pipeline the
command line calls (:class:`camaudit.pipeline.service.AuditService`,
:func:`camaudit.collect.imports.runner.run_import`), writing into the server's store; its progress is read back
from the store, host by host.
"""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import tempfile
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from camaudit.collect.scanner import DEFAULT_PORTS
from camaudit.report.sites import SiteMap
from camaudit.scope import Scope, ScopeError
from camaudit.store import open_store
from camaudit.web.db import ServerDB

MAX_RATE = 1000.0  # connections per second; the command line's default


class JobError(ValueError):
    """A job request that cannot be accepted (out of the organisation's sites, public space...)."""


@dataclass(frozen=True)
class ScanRequest:
    targets: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    rate: float = MAX_RATE
    concurrency: int = 128

    def to_dict(self) -> dict[str, Any]:
        return {"targets": list(self.targets), "exclude": list(self.exclude), "rate": self.rate,
                "concurrency": self.concurrency}


def check_scope(request: ScanRequest, sites: SiteMap, allow_public: bool) -> Scope:
    """The scope of a scan job: refused when it reaches public space (unless the server allows it) or, where
    the organisation has a site map, any address outside its sites."""
    if not request.targets:
        raise JobError("give at least one target (address, CIDR or range)")
    if not 0 < request.rate <= MAX_RATE or not 1 <= request.concurrency <= 512:
        raise JobError(f"rate must be in (0, {MAX_RATE:g}] and concurrency in [1, 512]")
    try:
        scope = Scope.build(list(request.targets), list(request.exclude), allow_public=allow_public)
    except ScopeError as exc:
        raise JobError(str(exc)) from exc
    if sites.sites:
        nets = [n for s in sites.sites for n in s.cidrs]
        for net in scope.include:
            if not any(_within(net, n) for n in nets):
                raise JobError(f"{net} is outside this organisation's sites; an admin can add it on the Sites page")
    return scope


def _within(inner: ipaddress.IPv4Network | ipaddress.IPv6Network,
            outer: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.subnet_of(outer)
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.subnet_of(outer)
    return False


class JobRunner:
    """Starts jobs in threads and keeps their state in the server database."""

    def __init__(self, db: ServerDB, location: str, allow_public: bool = False) -> None:
        self.db = db
        self.location = location
        self.allow_public = allow_public
        self.threads: dict[int, threading.Thread] = {}

    def start_scan(self, org_id: int, actor: str, request: ScanRequest, sites: SiteMap) -> int:
        scope = check_scope(request, sites, self.allow_public)
        job_id = self.db.add_job(org_id, "scan", actor, request.to_dict())
        self.db.update_job(job_id, total=scope.size())
        self._start(job_id, self._scan, job_id, org_id, request, scope)
        return job_id

    def start_import(self, org_id: int, actor: str, filename: str, data: bytes, fmt: str) -> int:
        job_id = self.db.add_job(org_id, "import", actor, {"file": filename, "format": fmt, "bytes": len(data)})
        folder = Path(tempfile.mkdtemp(prefix="camaudit-import-"))
        path = folder / (Path(filename).name or "upload")
        path.write_bytes(data)
        self._start(job_id, self._import, job_id, org_id, path, fmt)
        return job_id

    def _start(self, job_id: int, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=self._guard, args=(job_id, target, *args), name=f"camaudit-job-{job_id}",
                                  daemon=True)
        self.threads[job_id] = thread
        thread.start()

    def _guard(self, job_id: int, target: Any, *args: Any) -> None:
        try:
            target(*args)
        except Exception as exc:  # a job's failure is recorded on the job, never lost in a thread
            self.db.update_job(job_id, status="failed", message=f"{type(exc).__name__}: {exc}")
            traceback.print_exc()

    def _scan(self, job_id: int, org_id: int, request: ScanRequest, scope: Scope) -> None:
        from camaudit.pipeline.plan import ScanPlan
        from camaudit.pipeline.service import AuditService

        store = open_store(self.location)
        try:
            # the scan's plan (its exclusions above all) goes into the store, as for any other entry point
            plan = ScanPlan(targets=tuple(request.targets), exclude=tuple(request.exclude),
                            allow_public=self.allow_public, ports=dict(DEFAULT_PORTS), rate=request.rate,
                            concurrency=request.concurrency)
            service = AuditService(store)
            scan_id = service.begin(plan)
            self.db.own_scan(scan_id, org_id)
            self.db.update_job(job_id, status="running", scan_id=scan_id)
            summary = asyncio.run(service.scan(scan_id, progress=False))
            self.db.update_job(job_id, status="complete", done=summary.hosts_scanned,
                               message=f"{summary.hosts_scanned} address(es), {summary.hosts_up} answered, "
                               f"{summary.identified} identified")
        finally:
            store.close()

    def _import(self, job_id: int, org_id: int, path: Path, fmt: str) -> None:
        from camaudit.collect.imports.interface import ImportError_
        from camaudit.collect.imports.runner import run_import

        store = open_store(self.location)
        self.db.update_job(job_id, status="running")
        try:
            summary = run_import(store, [path], fmt, progress=False)
            result = summary.files[0]
            scan_id = result.scan_id if result.scan_id is not None else result.already
            if scan_id is not None:
                self.db.own_scan(scan_id, org_id)
            message = result.line().replace(str(path), path.name)
            if result.already is not None:  # the same bytes were imported before, perhaps by another organisation
                message = (f"{path.name}: identical to a file imported before (scan {result.already}); its results "
                           "are shown here too")
            self.db.update_job(job_id, status="complete", scan_id=scan_id, done=result.records,
                               total=result.records, message=message)
        except ImportError_ as exc:
            self.db.update_job(job_id, status="failed", message=str(exc).replace(str(path), path.name))
        finally:
            store.close()
            shutil.rmtree(path.parent, ignore_errors=True)

    def progress(self, job: dict[str, Any]) -> dict[str, Any]:
        """A job with its progress: for a running scan, the hosts the store already holds."""
        out = dict(job)
        if job["kind"] == "scan" and job["status"] == "running" and job.get("scan_id"):
            store = open_store(self.location)
            try:
                out["done"] = len(store.scanned_addresses(int(job["scan_id"])))
            finally:
                store.close()
        return out

    def wait(self, timeout: float = 30.0) -> None:
        for thread in list(self.threads.values()):
            thread.join(timeout)
