"""Scanning small emulated fleets into a store, for the report, diff and browser tests (127.96.0.0/24 only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from camaudit.audit import Stages, run_scan
from camaudit.collect.scanner import ScanOptions
from camaudit.scope import Scope
from camaudit.store import Store


def scan_into(store: Store, targets: Sequence[str]) -> int:
    """One scan of ``targets`` (no credentials), committed to ``store``; returns its id."""
    scope = Scope.build(list(targets))
    options = ScanOptions()
    options = replace(options, budget=replace(options.budget, host_deadline=8.0))
    summary = run_scan(store, scope, list(targets), options, Stages.default(), progress=False)
    return summary.scan_id

