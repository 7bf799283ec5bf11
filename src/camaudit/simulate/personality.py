"""Personalities: what one emulated device is and which recorded responses it serves on which port.

A personality file (``simulate/personalities/*.yaml``) names the device (the manifest's ground truth)
and its services; every response it serves is a catalog recording, so its source travels with it.

A service may name a server profile (``simulate/profiles/*.yaml``): how one family of device firmware
answers whatever it is asked (its root page, its error page for any other path, its own headers, other
methods, requests that are not HTTP, RTSP requests without a CSeq). The profile's keys are the service's
defaults; the personality's own keys (and routes) win.
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
SERVICE_KEYS = frozenset({
    "port", "kind", "profile", "routes", "rtsp", "cert", "behaviour", "reply", "protocol", "announce",
    "server_headers", "fallback", "methods", "bad_request", "echo_version", "rtsp_other", "rtsp_http",
    "rtsp_no_cseq", "rtsp_cseq_digits", "note",
})
PERSONALITY_KEYS = frozenset({"name", "manufacturer", "brand", "model", "firmware", "device_type", "note", "services",
                              "hostile", "login", "cannot_tell"})
ROUTE_KEYS = frozenset({"head", "body", "status", "challenge", "challenge_body", "soap", "path_token"})
# Headers a web server puts on every answer (not those that describe one resource): the ones a profile's
# ``server_headers`` recording lends to answers assembled from a body-only recording or a challenge.
SERVER_WIDE_HEADERS = frozenset({
    "server", "date", "x-frame-options", "x-xss-protection", "x-content-type-options",
    "strict-transport-security", "content-security-policy", "p3p", "cache-control", "pragma",
})
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
    path_token: str | None = None  # an error page template: this recorded path stands for the one asked

    def recordings(self) -> list[Recording]:
        recs = [r for r in (self.head, self.body, self.challenge, self.challenge_body) if r is not None]
        return recs + [r for op in self.soap.values() for r in (op.answer, op.refusal) if r is not None]


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
    profile: str | None = None  # the server profile the service was built on
    server_headers: tuple[str, ...] = ()  # the server's own header lines (Server, Date...), from a recording
    server_headers_from: Recording | None = None
    fallback: Route | None = None  # any path without a route of its own: the device's error page
    methods: Mapping[str, Route] = field(default_factory=dict)  # other methods (OPTIONS...); "*": any other
    bad_request: Route | None = None  # a request line that is not HTTP/1.x (an RTSP request on the web port)
    echo_version: bool = False  # answers an HTTP/1.0 request with an HTTP/1.0 status line
    rtsp_other: Recording | None = None  # any RTSP method without a recording of its own
    rtsp_http: Recording | None = None  # an HTTP request sent to the RTSP port
    rtsp_no_cseq: str | None = None  # CSeq value sent when the request has none (None: the line is left out)
    rtsp_cseq_digits: bool = False  # echoes only the number of the request's CSeq ("42 OPTIONS" -> "42")

    def recordings(self) -> list[Recording]:
        """Every recording this service can serve, so each answer traces to one."""
        routes = [*self.routes.values(), *self.methods.values(),
                  *(r for r in (self.fallback, self.bad_request) if r is not None)]
        recs = [rec for route in routes for rec in route.recordings()]
        recs += list(self.rtsp.values())
        recs += [r for r in (self.cert, self.reply, self.announce, self.server_headers_from, self.rtsp_other,
                             self.rtsp_http) if r is not None]
        return recs


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
    # set when the device's answers, honestly read, cannot name its maker (the reason why): the scan must then
    # say "cannot tell" with a reason, not the manifest's maker
    cannot_tell: str | None = None

    @property
    def expected_manufacturer(self) -> str | None:
        """The maker a correct identification names from this device's answers (None: "cannot tell")."""
        return None if self.cannot_tell else self.manufacturer

    def sources(self) -> list[str]:
        seen: list[str] = []
        for svc in self.services:
            for rec in svc.recordings():
                label = f"{rec.source} ({rec.provenance})"
                if label not in seen:
                    seen.append(label)
        return seen


def personalities_dir() -> Path:
    return Path(str(resources.files("camaudit") / "simulate" / "personalities"))


def profiles_dir() -> Path:
    return Path(str(resources.files("camaudit") / "simulate" / "profiles"))


def _recording(recs: Mapping[str, Recording], rec_id: Any, where: str) -> Recording:
    if rec_id not in recs:
        raise KnowledgeError(f"{where}: no recording with id {rec_id!r}")
    return recs[rec_id]


def _route(spec: Any, recs: Mapping[str, Recording], where: str) -> Route:
    spec = spec if isinstance(spec, Mapping) else {"head": spec}
    unknown = set(spec) - ROUTE_KEYS
    if unknown:
        raise KnowledgeError(f"{where}: unknown route keys {sorted(unknown)}")
    soap = {}
    for op, op_spec in (spec.get("soap") or {}).items():
        soap[str(op)] = SoapOperation(
            answer=_recording(recs, op_spec["answer"], where), protected=bool(op_spec.get("protected")),
            refusal=_recording(recs, op_spec["refusal"], where) if op_spec.get("refusal") else None)
    if not spec.get("head") and not spec.get("status"):
        raise KnowledgeError(f"{where}: a route needs a recorded head or a supplied status line")
    route = Route(
        head=_recording(recs, spec["head"], where) if spec.get("head") else None,
        body=_recording(recs, spec["body"], where) if spec.get("body") else None,
        status=spec.get("status"),
        challenge=_recording(recs, spec["challenge"], where) if spec.get("challenge") else None,
        challenge_body=_recording(recs, spec["challenge_body"], where) if spec.get("challenge_body") else None,
        soap=soap,
        path_token=spec.get("path_token"),
    )
    if route.path_token is not None and not any(route.path_token in r.response for r in (route.head, route.body)
                                                if r is not None):
        raise KnowledgeError(f"{where}: path_token {route.path_token!r} is not in the route's recordings")
    return route


def server_header_lines(rec: Recording) -> tuple[str, ...]:
    """The server-wide header lines of a recorded HTTP head (Server, Date, X-Frame-Options...)."""
    lines = rec.response.replace("\r\n", "\n").split("\n\n", 1)[0].split("\n")
    return tuple(line.strip() for line in lines
                 if ":" in line and line.split(":", 1)[0].strip().lower() in SERVER_WIDE_HEADERS)


@lru_cache(maxsize=1)
def load_profiles() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    folder = profiles_dir()
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        doc = load_yaml(path)
        if not isinstance(doc, Mapping) or not isinstance(doc.get("name"), str):
            raise KnowledgeError(f"{path.name}: a profile is a mapping with a 'name'")
        body = {k: v for k, v in doc.items() if k not in ("name", "description", "sources")}
        unknown = set(body) - SERVICE_KEYS
        if unknown:
            raise KnowledgeError(f"{path.name}: unknown keys {sorted(unknown)}")
        out[doc["name"]] = body
    return out


def _with_profile(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    name = raw.get("profile")
    if name is None:
        return dict(raw)
    profiles = load_profiles()
    if name not in profiles:
        raise KnowledgeError(f"{where}: no server profile named {name!r} (see simulate/profiles/)")
    merged = {**profiles[name], **raw}
    for key in ("routes", "methods", "rtsp"):
        merged[key] = {**(profiles[name].get(key) or {}), **(raw.get(key) or {})}
    return merged


def _service(raw_in: Mapping[str, Any], recs: Mapping[str, Recording], where: str) -> Service:
    unknown = set(raw_in) - SERVICE_KEYS
    if unknown:
        raise KnowledgeError(f"{where}: unknown service keys {sorted(unknown)}")
    raw = _with_profile(raw_in, where)
    kind = raw.get("kind")
    if kind not in SERVICE_KINDS:
        raise KnowledgeError(f"{where}: kind must be one of {SERVICE_KINDS}")
    port = raw.get("port")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise KnowledgeError(f"{where}: port must be 1-65535")

    def rec(key: str) -> Recording | None:
        return _recording(recs, raw[key], where) if raw.get(key) else None

    def route(key: str) -> Route | None:
        return _route(raw[key], recs, f"{where} {key}") if raw.get(key) else None

    routes = {str(path): _route(spec, recs, f"{where} route {path}")
              for path, spec in (raw.get("routes") or {}).items()}
    methods = {str(m).upper(): _route(spec, recs, f"{where} method {m}")
               for m, spec in (raw.get("methods") or {}).items()}
    rtsp = {str(m).upper(): _recording(recs, rid, where) for m, rid in (raw.get("rtsp") or {}).items()}
    protocol = "dhip" if kind == "dhip" else raw.get("protocol")
    if kind in ("udp", "dhip") and protocol not in UDP_PROTOCOLS:
        raise KnowledgeError(f"{where}: a udp service needs protocol: one of {UDP_PROTOCOLS}")
    headers_from = rec("server_headers")
    no_cseq = raw.get("rtsp_no_cseq")
    return Service(port=port, kind="udp" if kind == "dhip" else kind, routes=routes, rtsp=rtsp, cert=rec("cert"),
                   behaviour=raw.get("behaviour"), reply=rec("reply"), protocol=protocol, announce=rec("announce"),
                   profile=raw.get("profile"),
                   server_headers=server_header_lines(headers_from) if headers_from else (),
                   server_headers_from=headers_from, fallback=route("fallback"), methods=methods,
                   bad_request=route("bad_request"), echo_version=bool(raw.get("echo_version", False)),
                   rtsp_other=rec("rtsp_other"), rtsp_http=rec("rtsp_http"),
                   rtsp_no_cseq=None if no_cseq is None else str(no_cseq),
                   rtsp_cseq_digits=bool(raw.get("rtsp_cseq_digits", False)))


def parse_personality(doc: Mapping[str, Any], where: str, recs: Mapping[str, Recording]) -> Personality:
    if not isinstance(doc.get("name"), str):
        raise KnowledgeError(f"{where}: missing 'name'")
    unknown = set(doc) - PERSONALITY_KEYS
    if unknown:
        raise KnowledgeError(f"{where}: unknown keys {sorted(unknown)}")
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
        cannot_tell=opt("cannot_tell"),
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
