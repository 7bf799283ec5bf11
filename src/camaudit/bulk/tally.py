"""Prevalence counts for a bulk run: kept per bucket, added together, turned into the report.

Every table counts devices (one identity each) by one dimension; the sample size is the number of devices.
Counts add across buckets exactly, so a cluster's report is the same as one process's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

#: the dimensions of the report, in the order it shows them
DIMENSIONS = ("country", "asn", "maker", "label", "model", "family", "firmware", "covered", "kev", "capability")


class Tally:
    def __init__(self) -> None:
        self.devices = 0
        self.counts: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}

    def add(self, identity: Mapping[str, Any], covered: str, kev: Sequence[str],
            place: tuple[str | None, str | None]) -> None:
        """One device, from its identity as a mapping (the JSON contract)."""
        self.count(identity.get("manufacturer"), identity.get("brand"), identity.get("model"), identity.get("family"),
                   identity.get("firmware"), covered, kev, identity.get("capabilities") or (), place)

    def count(self, maker: str | None, brand: str | None, model: str | None, family: str | None,
              firmware: str | None, covered: str, kev: Sequence[str], capabilities: Sequence[Any],
              place: tuple[str | None, str | None]) -> None:
        """One device, from its identity's values."""
        self.devices += 1
        c = self.counts
        if place[0]:
            c["country"][place[0]] += 1
        if place[1]:
            c["asn"][place[1]] += 1
        c["maker"][maker or "unknown"] += 1
        if brand:
            c["label"][brand] += 1
        if model:
            c["model"][f"{maker or 'unknown maker'} {model}"] += 1
        if family:
            c["family"][family] += 1
        if firmware:
            c["firmware"][f"{maker or 'unknown maker'} {firmware}"] += 1
        c["covered"][covered or "not covered or unknown"] += 1
        for item in kev:
            c["kev"][item] += 1
        for capability in capabilities:
            c["capability"][str(capability)] += 1

    def merge(self, other: Mapping[str, Any]) -> None:
        self.devices += int(other.get("devices", 0))
        for dim, values in (other.get("counts") or {}).items():
            if dim in self.counts:
                self.counts[dim].update({str(k): int(v) for k, v in values.items()})

    def to_dict(self) -> dict[str, Any]:
        return {"devices": self.devices, "counts": {d: dict(c.most_common()) for d, c in self.counts.items()}}
