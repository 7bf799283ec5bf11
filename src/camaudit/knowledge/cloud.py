"""Vendor cloud / P2P services (``data/knowledge/cloud*.yaml``): the domains and ports that mean a device talks
to one, what the device setting is called, and what it means, each with its sources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from camaudit.knowledge.files import KnowledgeError, require
from camaudit.knowledge.schema import knowledge_documents
from camaudit.model import Source


@dataclass(frozen=True)
class CloudService:
    id: str
    name: str
    vendor: str
    domains: tuple[str, ...]
    ports: tuple[int, ...]
    device_setting: str
    meaning: str
    sources: tuple[Source, ...]

    def matches_name(self, hostname: str) -> bool:
        """Is ``hostname`` (a DNS query, a TLS SNI) one of this service's domains or under one?"""
        name = hostname.lower().rstrip(".")
        return any(name == d or name.endswith("." + d) for d in self.domains)


def load_cloud_services() -> dict[str, CloudService]:
    out: dict[str, CloudService] = {}
    for path, doc in knowledge_documents("cloud"):
        for i, entry in enumerate(doc):
            where = f"{path.name} entry {i + 1}"
            sources = tuple(Source(url=str(s["url"]), title=s.get("title"), date=str(entry.get("checked", "")) or None)
                            for s in require(entry, "sources", where, list) if isinstance(s, Mapping) and "url" in s)
            if not sources:
                raise KnowledgeError(f"{where}: at least one source with a url is required")
            out[require(entry, "id", where)] = CloudService(
                id=entry["id"], name=require(entry, "name", where), vendor=require(entry, "vendor", where),
                domains=tuple(str(d).lower() for d in require(entry, "domains", where, list)),
                ports=tuple(int(p["port"]) for p in entry.get("ports") or [] if isinstance(p, Mapping)),
                device_setting=str(entry.get("device_setting", "")),
                meaning=" ".join(require(entry, "meaning", where).split()), sources=sources)
    return out


def service_for_name(hostname: str, services: Mapping[str, CloudService]) -> CloudService | None:
    return next((s for s in services.values() if s.matches_name(hostname)), None)
