"""Collectors: a scan at a site sends each host's result to the server as it completes.

The collector sends what it observed (the host's open ports, errors and observations); the server identifies
and assesses it with its own pipeline (:func:`camaudit.pipeline.stages.analyse_host`, the same call a live scan makes)
and stores it in a scan of its own for that collector run. A host sent twice (the collector retrying after a
broken connection) is stored once. Only addresses inside the token's organisation's sites are accepted.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from camaudit.model import HostResult, Observation, RecordError
from camaudit.untrusted import InputError, check_text

if TYPE_CHECKING:
    from camaudit.web.app import Server

MAX_OBSERVATIONS = 2000


class PushError(ValueError):
    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def host_from_json(raw: dict[str, Any]) -> HostResult:
    """A host result as a collector sent it; anything malformed is refused whole."""
    try:
        check_text(raw)
    except InputError as exc:
        raise PushError(f"the host result is not text the store can keep: {exc}") from exc
    address = raw.get("address")
    try:
        ipaddress.ip_address(str(address))
    except ValueError as exc:
        raise PushError(f"host address {address!r} is not an IP address") from exc
    ports = raw.get("open_ports", [])
    if not isinstance(ports, list) or not all(isinstance(p, int) and 0 < p < 65536 for p in ports):
        raise PushError("open_ports must be a list of port numbers")
    errors = raw.get("errors", [])
    if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
        raise PushError("errors must be a list of strings")
    items = raw.get("observations", [])
    if not isinstance(items, list) or len(items) > MAX_OBSERVATIONS:
        raise PushError(f"observations must be a list of at most {MAX_OBSERVATIONS}")
    observations = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise PushError(f"observation {n} is not an object")
        try:
            obs = Observation.from_dict(item, fallback_id=f"{address}-{n}")
        except RecordError as exc:
            raise PushError(f"observation {n}: {exc}") from exc
        if obs.address not in (None, address):
            raise PushError(f"observation {n} is of {obs.address}, not of the host {address}")
        observations.append(obs)
    return HostResult(str(address), tuple(ports), tuple(observations), tuple(errors), bool(raw.get("truncated")))


def host_to_json(result: HostResult) -> dict[str, Any]:
    return {"address": result.address, "open_ports": list(result.open_ports), "errors": list(result.errors),
            "truncated": result.truncated, "observations": [o.to_dict() for o in result.observations]}


def _in_sites(server: Server, org_id: int, address: str) -> bool:
    from camaudit.web.estate import site_map_of

    sites = site_map_of(server.db, org_id)
    if not sites.sites:
        return True
    ip = ipaddress.ip_address(address)
    return any(ip.version == n.version and ip in n for s in sites.sites for n in s.cidrs)


def accept_push(server: Server, org_id: int, actor: str, collector_scan: str, targets: list[str],
                raw_host: dict[str, Any]) -> dict[str, Any]:
    from camaudit.pipeline.stages import Stages, analyse_host
    from camaudit.store import open_store

    result = host_from_json(raw_host)
    if not _in_sites(server, org_id, result.address):
        raise PushError(f"{result.address} is outside this organisation's sites", status=403)
    scan_id, seen = server.db.pushed(org_id, collector_scan)
    if result.address in seen and scan_id is not None:
        return {"scan": scan_id, "address": result.address, "stored": False, "reason": "already received"}
    store = open_store(server.location)
    try:
        if scan_id is None:
            scan_id = store.begin_scan("push", targets or [result.address],
                                       {"collector_scan": collector_scan, "pushed_by": actor}, None)
            server.db.own_scan(scan_id, org_id)
            server.db.log(actor, org_id, "push.started", scan=scan_id, collector_scan=collector_scan)
        store.commit_hosts(scan_id, [(result, analyse_host(Stages.default(), result))])
    finally:
        store.close()
    server.db.record_push(org_id, collector_scan, scan_id, result.address)
    return {"scan": scan_id, "address": result.address, "stored": True}


def finish_push(server: Server, org_id: int, actor: str, collector_scan: str) -> dict[str, Any]:
    from camaudit.store import open_store

    scan_id, seen = server.db.pushed(org_id, collector_scan)
    if scan_id is None:
        raise PushError(f"no pushed scan {collector_scan!r}", status=404)
    store = open_store(server.location)
    try:
        store.finish_scan(scan_id)
    finally:
        store.close()
    server.db.log(actor, org_id, "push.finished", scan=scan_id, hosts=len(seen))
    return {"scan": scan_id, "hosts": len(seen), "status": "complete"}
