"""The catalog of recorded responses (see docs/recordings.md): real device answers with their sources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from camaudit.knowledge.files import KnowledgeError, load_yaml
from camaudit.model import PROTOCOLS


@dataclass(frozen=True)
class Recording:
    id: str
    manufacturer: str | None
    brand: str | None
    model: str | None
    firmware: str | None
    device_type: str | None
    protocol: str
    request: str
    response: str
    provenance: str
    source: str
    note: str
    holdout: bool
    file: str


def recordings_dir() -> Path:
    return Path(str(resources.files("camaudit") / "simulate" / "recordings"))


def _parse(entry: Mapping[str, Any], where: str, file: str) -> Recording:
    for key in ("id", "protocol", "response", "provenance", "source"):
        if not entry.get(key):
            raise KnowledgeError(f"{where}: missing '{key}'")
    if entry["protocol"] not in PROTOCOLS:
        raise KnowledgeError(f"{where}: protocol {entry['protocol']!r} is not an evidence protocol")
    if entry["provenance"] not in ("recorded", "reconstructed"):
        raise KnowledgeError(f"{where}: provenance must be 'recorded' or 'reconstructed'")

    def opt(key: str) -> str | None:
        value = entry.get(key)
        return None if value in (None, "", "null") else str(value)

    return Recording(
        id=str(entry["id"]),
        manufacturer=opt("manufacturer"),
        brand=opt("brand"),
        model=opt("model"),
        firmware=opt("firmware"),
        device_type=opt("device_type"),
        protocol=str(entry["protocol"]),
        request=str(entry.get("request") or ""),
        response=str(entry["response"]),
        provenance=str(entry["provenance"]),
        source=str(entry["source"]),
        note=str(entry.get("note") or ""),
        holdout=bool(entry.get("holdout", False)),
        file=file,
    )


@lru_cache(maxsize=1)
def load_recordings() -> dict[str, Recording]:
    out: dict[str, Recording] = {}
    for path in sorted(recordings_dir().glob("*.yaml")):
        doc = load_yaml(path) or []
        if not isinstance(doc, list):
            raise KnowledgeError(f"{path}: expected a list of recordings")
        for i, entry in enumerate(doc):
            if not isinstance(entry, Mapping):
                raise KnowledgeError(f"{path.name} entry {i + 1}: not a mapping")
            rec = _parse(entry, f"{path.name} entry {i + 1}", path.name)
            if rec.id in out:
                raise KnowledgeError(f"{path.name}: recording id {rec.id} is already used in {out[rec.id].file}")
            out[rec.id] = rec
    return out
