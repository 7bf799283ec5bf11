"""Whether a bulk run and a single-process import gave the same answers (tests and benchmarks ask).

Bulk record ids name their partition (``p00002#shodan17``) and a single import numbers records through its
file, so ids are paired by position: both paths keep a device's records in reading order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

Answers = tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]


def from_store(store: Any, scan_ids: Iterable[int]) -> Answers:
    identities: dict[str, dict[str, Any]] = {}
    findings: dict[str, list[dict[str, Any]]] = {}
    for scan_id in scan_ids:
        identities.update({i.device: i.to_dict() for i in store.identities(scan_id)})
        for f in store.findings(scan_id):
            findings.setdefault(f.device, []).append(f.to_dict())
    return identities, findings


def from_bulk(out: Path, devices: set[str] | None = None) -> Answers:
    import pyarrow.dataset as ds

    identities: dict[str, dict[str, Any]] = {}
    findings: dict[str, list[dict[str, Any]]] = {}
    flt = ds.field("device").isin(sorted(devices)) if devices is not None else None
    for row in ds.dataset(out / "identities").to_table(columns=["device", "data"], filter=flt).to_pylist():
        identities[row["device"]] = orjson.loads(row["data"])
    for row in ds.dataset(out / "findings").to_table(columns=["device", "data"], filter=flt).to_pylist():
        findings.setdefault(row["device"], []).append(orjson.loads(row["data"]))
    return identities, findings


def _renamed(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        if value in names:
            return names[value]
        head, sep, rest = value.partition(": ")
        return names[head] + sep + rest if sep and head in names else value
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    return value


def differences(single: Answers, bulk: Answers) -> list[str]:
    """Where the two differ (empty when every device has the same identity and findings)."""
    out: list[str] = []
    s_ids, s_found = single
    b_ids, b_found = bulk
    if set(s_ids) != set(b_ids):
        out.append(f"devices differ: {len(set(s_ids) - set(b_ids))} only single, {len(set(b_ids) - set(s_ids))} "
                   "only bulk")
    for device in sorted(set(s_ids) & set(b_ids)):
        mine, theirs = s_ids[device], b_ids[device]
        if len(mine["ids"]) != len(theirs["ids"]):
            out.append(f"{device}: {len(mine['ids'])} records single, {len(theirs['ids'])} bulk")
            continue
        names = dict(zip(theirs["ids"], mine["ids"], strict=True))
        if _renamed(theirs, names) != mine:
            out.append(f"{device}: identities differ")
        key = lambda f: (f["kind"], f["id"])  # noqa: E731
        if sorted(_renamed(b_found.get(device, []), names), key=key) != sorted(s_found.get(device, []), key=key):
            out.append(f"{device}: findings differ")
    return out
