"""Personalities: what one emulated device is and which recorded responses it serves on which port.

A personality file (``simulate/personalities/*.yaml``) names the device (the manifest's ground truth)
and its services; every response it serves is a catalog recording, so its source travels with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from camaudit.knowledge.files import KnowledgeError, load_yaml
from camaudit.simulate.recordings import Recording, load_recordings

SERVICE_KINDS = ("http", "https", "rtsp", "open", "hostile", "dhip", "udp")
UDP_PROTOCOLS = ("dhip", "sadp", "ws_discovery", "ssdp", "mdns")


@dataclass(frozen=True)
class SoapOperation:
    answer: Recording
    protected: bool = False  # needs a valid WS-Security UsernameToken
    refusal: Recording | None = None  # the recorded SOAP fault sent without one


@dataclass(frozen=True)
class Route:
    head: Recording | None
    body: Recording | None = None
    status: str | None = None  # a status line supplied where the source printed headers only (said in the file)
    challenge: Recording | None = None  # protected route: answered with this recorded refusal without credentials
    challenge_body: Recording | None = None
    soap: Mapping[str, SoapOperation] = field(default_factory=dict)  # POST: SOAP operation name -> answer


@dataclass(frozen=True)
class Service:
    port: int
    kind: str
    routes: Mapping[str, Route] = field(default_factory=dict)
    rtsp: Mapping[str, Recording] = field(default_factory=dict)
    cert: Recording | None = None
    behaviour: str | None = None  # hostile services: garbage | slow | endless | huge | xmlbomb | silent
    reply: Recording | None = None  # UDP discovery services: the recorded answer
    protocol: str | None = None  # UDP discovery services: which protocol (dhip, sadp, ws_discovery, ssdp, mdns)
    announce: Recording | None = None  # UDP discovery services: sent unasked to the group (Hello, NOTIFY)


@dataclass(frozen=True)
class Personality:
    name: str
    manufacturer: str | None
    brand: str | None
    model: str | None
    firmware: str | None
    device_type: str | None
    services: tuple[Service, ...]
    hostile: bool = False
    note: str = ""
    login: tuple[str, str] | None = None  # the emulated device's own account (test data, not a real secret)

    def sources(self) -> list[str]:
        seen: list[str] = []
        for svc in self.services:
            recs = [r for route in svc.routes.values()
                    for r in (route.head, route.body, route.challenge, route.challenge_body) if r is not None]
            recs += [r for route in svc.routes.values() for op in route.soap.values()
                     for r in (op.answer, op.refusal) if r is not None]
            recs += list(svc.rtsp.values()) + [r for r in (svc.cert, svc.reply, svc.announce) if r is not None]
            for rec in recs:
                label = f"{rec.source} ({rec.provenance})"
                if label not in seen:
                    seen.append(label)
        return seen


def personalities_dir() -> Path:
    return Path(str(resources.files("camaudit") / "simulate" / "personalities"))


def _recording(recs: Mapping[str, Recording], rec_id: Any, where: str) -> Recording:
    if rec_id not in recs:
        raise KnowledgeError(f"{where}: no recording with id {rec_id!r}")
    return recs[rec_id]


def _service(raw: Mapping[str, Any], recs: Mapping[str, Recording], where: str) -> Service:
    kind = raw.get("kind")
    if kind not in SERVICE_KINDS:
        raise KnowledgeError(f"{where}: kind must be one of {SERVICE_KINDS}")
    port = raw.get("port")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise KnowledgeError(f"{where}: port must be 1-65535")
    routes = {}
    for path, spec in (raw.get("routes") or {}).items():
        spec = spec if isinstance(spec, Mapping) else {"head": spec}
        soap = {}
        for op, op_spec in (spec.get("soap") or {}).items():
            soap[str(op)] = SoapOperation(
                answer=_recording(recs, op_spec["answer"], where), protected=bool(op_spec.get("protected")),
                refusal=_recording(recs, op_spec["refusal"], where) if op_spec.get("refusal") else None)
        if not spec.get("head") and not spec.get("status"):
            raise KnowledgeError(f"{where}: route {path} needs a recorded head or a supplied status line")
        routes[str(path)] = Route(
            head=_recording(recs, spec["head"], where) if spec.get("head") else None,
            body=_recording(recs, spec["body"], where) if spec.get("body") else None,
            status=spec.get("status"),
            challenge=_recording(recs, spec["challenge"], where) if spec.get("challenge") else None,
            challenge_body=_recording(recs, spec["challenge_body"], where) if spec.get("challenge_body") else None,
            soap=soap,
        )
    rtsp = {str(m).upper(): _recording(recs, rid, where) for m, rid in (raw.get("rtsp") or {}).items()}
    cert = _recording(recs, raw["cert"], where) if raw.get("cert") else None
    reply = _recording(recs, raw["reply"], where) if raw.get("reply") else None
    announce = _recording(recs, raw["announce"], where) if raw.get("announce") else None
    protocol = "dhip" if kind == "dhip" else raw.get("protocol")
    if kind in ("udp", "dhip") and protocol not in UDP_PROTOCOLS:
        raise KnowledgeError(f"{where}: a udp service needs protocol: one of {UDP_PROTOCOLS}")
    return Service(port=port, kind="udp" if kind == "dhip" else kind, routes=routes, rtsp=rtsp, cert=cert,
                   behaviour=raw.get("behaviour"), reply=reply, protocol=protocol, announce=announce)


def parse_personality(doc: Mapping[str, Any], where: str, recs: Mapping[str, Recording]) -> Personality:
    if not isinstance(doc.get("name"), str):
        raise KnowledgeError(f"{where}: missing 'name'")
    services = tuple(_service(s, recs, f"{where} service {i + 1}") for i, s in enumerate(doc.get("services") or []))
    if not services:
        raise KnowledgeError(f"{where}: a personality needs at least one service")

    def opt(key: str) -> str | None:
        value = doc.get(key)
        return None if value is None else str(value)

    return Personality(
        name=doc["name"],
        manufacturer=opt("manufacturer"),
        brand=opt("brand"),
        model=opt("model"),
        firmware=opt("firmware"),
        device_type=opt("device_type"),
        services=services,
        hostile=bool(doc.get("hostile", False)),
        note=str(doc.get("note", "")),
        login=(str(doc["login"]["username"]), str(doc["login"]["password"])) if doc.get("login") else None,
    )


@lru_cache(maxsize=1)
def load_personalities() -> dict[str, Personality]:
    recs = load_recordings()
    out: dict[str, Personality] = {}
    for path in sorted(personalities_dir().glob("*.yaml")):
        doc = load_yaml(path)
        if not isinstance(doc, Mapping):
            raise KnowledgeError(f"{path}: expected a mapping")
        p = parse_personality(doc, path.name, recs)
        if p.name in out:
            raise KnowledgeError(f"{path.name}: personality {p.name} is defined twice")
        out[p.name] = p
    return out
