"""Owner-authorised read plans (``data/knowledge/reads*.yaml``): which documents camaudit asks a device for with
its owner's credentials, by the device's maker. A maker without a plan gets the standard ONVIF query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from camaudit.knowledge.files import KnowledgeError, require
from camaudit.knowledge.makers import default_catalogue
from camaudit.knowledge.probes import is_request_target
from camaudit.knowledge.schema import knowledge_documents
from camaudit.model import Source


@dataclass(frozen=True)
class Read:
    path: str
    protocol: str  # the observation kind the answer is identified as


@dataclass(frozen=True)
class ReadPlan:
    id: str
    maker: str
    reads: tuple[Read, ...]
    sources: tuple[Source, ...]


@cache
def load_read_plans() -> Mapping[str, ReadPlan]:
    """Plans by maker (the catalogue name). Two plans for one maker are an error: which to use is not a guess."""
    out: dict[str, ReadPlan] = {}
    for path, doc in knowledge_documents("reads"):
        for i, entry in enumerate(doc):
            where = f"{path.name} entry {i + 1}"
            maker = require(entry, "maker", where)
            if maker not in default_catalogue():
                raise KnowledgeError(f"{where}: {maker!r} is not a maker in the catalogue (makers.yaml)")
            if maker in out:
                raise KnowledgeError(f"{where}: {maker} already has the read plan {out[maker].id!r}")
            sources = tuple(Source(url=str(s["url"]), title=s.get("title"), date=str(entry.get("checked", "")) or None)
                            for s in entry["sources"] if isinstance(s, Mapping))
            for read in require(entry, "reads", where, list):
                if not is_request_target(read.get("path") if isinstance(read, Mapping) else None):
                    raise KnowledgeError(f"{where}: the path {read!r} is not one request target (printable ASCII "
                                         "from '/', no spaces or line ends)")
            out[maker] = ReadPlan(id=require(entry, "id", where), maker=maker,
                                  reads=tuple(Read(path=str(r["path"]), protocol=str(r["protocol"]))
                                              for r in require(entry, "reads", where, list)),
                                  sources=sources)
    return out


def plan_for(maker: str | None) -> ReadPlan | None:
    """The maker's own read plan, or None (the caller asks ONVIF)."""
    return load_read_plans().get(maker or "")
