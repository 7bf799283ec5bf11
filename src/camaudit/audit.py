"""Kept for callers of the first library API: the pipeline now lives in :mod:`camaudit.pipeline`
(:class:`~camaudit.pipeline.service.AuditService` owns a scan's state; :mod:`camaudit.pipeline.stages` holds
identification and assessment)."""

from __future__ import annotations

from camaudit.model import HostResult, Identity
from camaudit.pipeline.service import AuditService, ScanSummary, group_by_address, run_scan
from camaudit.pipeline.stages import Stages, identify_host


def host_identity(result: HostResult, stages: Stages) -> list[Identity]:
    return identify_host(stages, result)


__all__ = ["AuditService", "ScanSummary", "Stages", "group_by_address", "host_identity", "run_scan"]
