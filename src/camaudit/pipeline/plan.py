"""A scan's state as the store keeps it: scope (with its exclusions), ports, discovery, pace and credential
policy. Whatever the entry point (library, CLI, server), the scan is begun from a plan and resumed from the
same plan read back from the store, so a resumed scan can never reach further than the scan it carries on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from camaudit.collect.limits import Budget
from camaudit.collect.scanner import DEFAULT_PORTS, ScanOptions
from camaudit.knowledge.probes import is_request_target
from camaudit.scope import Scope

PLAN_VERSION = 2


class PlanError(ValueError):
    """A stored scan whose plan cannot be read back (not a network scan, or damaged)."""


@dataclass(frozen=True)
class ScanPlan:
    targets: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    allow_public: bool = False
    ports: Mapping[int, str] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    rate: float = 1000.0
    concurrency: int = 128
    budget: Budget = field(default_factory=Budget)
    discovery: bool = True
    discovery_timeout: float = 1.0
    discover_on: str | None = None
    ping: bool = True  # liveness ports first (False: every port of every address)
    #: the policy, never the secrets: whether owner credentials were given (they must be given again to resume)
    owner_credentials: bool = False
    #: the paths GET on web ports (None: knowledge/probes.yaml's, as plans stored before they were recorded)
    web_paths: tuple[str, ...] | None = None

    def scope(self) -> Scope:
        return Scope.build(self.targets, self.exclude, allow_public=self.allow_public)

    def options(self) -> ScanOptions:
        options = ScanOptions(ports=dict(self.ports), budget=self.budget, concurrency=self.concurrency,
                              rate=self.rate, discovery=self.discovery, discovery_timeout=self.discovery_timeout,
                              ping=self.ping)
        return options if self.web_paths is None else replace(options, web_paths=self.web_paths)

    @classmethod
    def from_scope(cls, scope: Scope, targets: Sequence[str], options: ScanOptions, discover_on: str | None = None,
                   allow_public: bool = False, owner_credentials: bool = False) -> ScanPlan:
        """The plan of a scan asked for as a scope and options (the library's way): the scope's own exclusions
        are kept, so nothing depends on the caller remembering to pass them."""
        return cls(targets=tuple(targets) or tuple(str(n) for n in scope.include),
                   exclude=tuple(str(n) for n in scope.exclude), allow_public=allow_public or scope.has_public(),
                   ports=dict(options.ports), rate=options.rate, concurrency=options.concurrency,
                   budget=options.budget, discovery=options.discovery, discovery_timeout=options.discovery_timeout,
                   discover_on=discover_on, ping=options.ping,
                   owner_credentials=owner_credentials or options.enricher is not None,
                   web_paths=tuple(options.web_paths))

    def record(self) -> dict[str, Any]:
        """The JSON the store keeps in ``scans.options`` (older readers find ``ports``, ``exclude``... as before)."""
        return {"plan_version": PLAN_VERSION, "ports": sorted(self.ports), "rate": self.rate,
                "concurrency": self.concurrency, "budget": asdict(self.budget), "exclude": list(self.exclude),
                "allow_public": self.allow_public,
                "port_map": {str(p): k for p, k in sorted(self.ports.items())},
                "discovery": self.discovery, "discovery_timeout": self.discovery_timeout,
                "discover_on": self.discover_on, "ping": self.ping, "owner_credentials": self.owner_credentials,
                "web_paths": list(self.web_paths) if self.web_paths is not None else None}

    @classmethod
    def from_record(cls, targets: Sequence[str], stored: Mapping[str, Any]) -> ScanPlan:
        try:
            ports = {int(p): str(k) for p, k in (stored.get("port_map") or {}).items()}
            if not ports:
                ports = {int(p): DEFAULT_PORTS.get(int(p), "http") for p in stored.get("ports", DEFAULT_PORTS)}
            raw_budget = stored.get("budget")
            known = {f.name for f in fields(Budget)}
            budget = Budget(**{k: v for k, v in raw_budget.items() if k in known}) \
                if isinstance(raw_budget, dict) else Budget()
            raw_paths = stored.get("web_paths")
            web_paths = None if raw_paths is None else tuple(raw_paths)
            if web_paths is not None and not all(is_request_target(p) for p in web_paths):
                raise ValueError(f"web_paths {list(web_paths)!r} are not request targets")
            return cls(targets=tuple(targets), exclude=tuple(stored.get("exclude") or ()),
                       allow_public=bool(stored.get("allow_public", False)), ports=ports,
                       rate=float(stored.get("rate", 1000.0)), concurrency=int(stored.get("concurrency", 128)),
                       budget=budget, discovery=bool(stored.get("discovery", True)),
                       discovery_timeout=float(stored.get("discovery_timeout", 1.0)),
                       discover_on=stored.get("discover_on"), ping=bool(stored.get("ping", True)),
                       owner_credentials=bool(stored.get("owner_credentials", False)), web_paths=web_paths)
        except (TypeError, ValueError, AttributeError) as exc:
            raise PlanError(f"the stored plan cannot be read back ({exc})") from exc
