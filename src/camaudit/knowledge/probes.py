"""Unauthenticated web probes (``data/knowledge/probes*.yaml``): the paths camaudit GETs, without credentials, on
every web port it scans, in the order listed, each with why it is asked and its sources."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from camaudit.knowledge.files import KnowledgeError, require
from camaudit.knowledge.makers import default_catalogue
from camaudit.knowledge.schema import knowledge_documents
from camaudit.model import Source

#: what schema/probes.json's pattern says a path is, matched whole: JSON Schema's "$" is Python's, which also matches
#: before a final line feed, so the schema alone lets "/x\n" through into the request line
_TARGET = re.compile(r"/[!-~]{0,200}")


@dataclass(frozen=True)
class WebProbe:
    id: str
    path: str  # the request target: a path and an optional query
    why: str
    maker: str | None  # whose API the path belongs to (None: any web server's)
    sources: tuple[Source, ...]


@cache
def load_web_probes() -> tuple[WebProbe, ...]:
    """Every probe, in file order. The same id or path twice is an error: which entry holds is not a guess."""
    out: list[WebProbe] = []
    ids: set[str] = set()
    paths: set[str] = set()
    for path, doc in knowledge_documents("probes"):
        for i, entry in enumerate(doc):
            where = f"{path.name} entry {i + 1}"
            probe_id = require(entry, "id", where)
            target = require(entry, "path", where)
            if not _TARGET.fullmatch(target):
                raise KnowledgeError(f"{where}: the path {target!r} is not one request target (printable ASCII, "
                                     "no spaces or line ends)")
            if probe_id in ids:
                raise KnowledgeError(f"{where}: the id {probe_id!r} is already used")
            if target in paths:
                raise KnowledgeError(f"{where}: the path {target!r} is already probed")
            maker = entry.get("maker")
            if maker is not None and maker not in default_catalogue():
                raise KnowledgeError(f"{where}: {maker!r} is not a maker in the catalogue (makers.yaml)")
            sources = tuple(Source(url=str(s["url"]), title=s.get("title"), date=str(entry.get("checked", "")) or None)
                            for s in require(entry, "sources", where, list) if isinstance(s, Mapping) and "url" in s)
            if not sources:
                raise KnowledgeError(f"{where}: at least one source with a url is required")
            ids.add(probe_id)
            paths.add(target)
            out.append(WebProbe(id=probe_id, path=target, why=" ".join(require(entry, "why", where).split()),
                                maker=maker, sources=sources))
    if "/" not in paths:  # no file found, or one without it: a scan would GET nothing and read no certificate
        raise KnowledgeError("probes: no entry probes '/', the home page every web port is asked first")
    return tuple(out)


def is_request_target(path: object) -> bool:
    """Whether ``path`` is one request target as a probe path must be (printable ASCII from "/", no spaces)."""
    return isinstance(path, str) and _TARGET.fullmatch(path) is not None


def web_probe_paths() -> tuple[str, ...]:
    """The paths to GET on every web port, in order."""
    return tuple(p.path for p in load_web_probes())
