"""The emulated fleet answers any client the way real devices do, never with an answer no device was recorded giving.

Every TCP service of every personality (the hostile device aside) is asked what curl, a browser and nmap -sV
send: GET / (HTTP/1.1 and nmap's HTTP/1.0 GetRequest), HEAD, an unknown path, the paths browsers and
scanners try, OPTIONS (nmap's HTTPOptions), an RTSP request on the web port (nmap's RTSPRequest), RTSP
OPTIONS and DESCRIBE on any URL, RTSP without a CSeq, an unknown RTSP method and an HTTP request on the
RTSP port. Each answer is either nothing (the connection closed: what a device does with what its
recordings do not cover) or a well-formed message whose status and headers come from the recordings the
service serves, with the device's own headers where it has them.
"""

from __future__ import annotations

import html
import re
import socket
import ssl
from dataclasses import dataclass

import pytest

from camaudit.simulate.personality import Personality, Service, load_personalities
from camaudit.simulate.process import FleetProcess

HTTP_REQUESTS = {
    "curl GET /": b"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
    "browser GET /": (b"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
                      b"Accept: text/html,application/xhtml+xml\r\nAccept-Language: en-GB\r\n"
                      b"Connection: keep-alive\r\n\r\n"),
    "curl -I": b"HEAD / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
    "unknown path": b"GET /camaudit-no-such-page.html HTTP/1.1\r\nHost: {host}\r\n\r\n",
    "login page": b"GET /doc/page/login.asp HTTP/1.1\r\nHost: {host}\r\n\r\n",
    "favicon": b"GET /favicon.ico HTTP/1.1\r\nHost: {host}\r\n\r\n",
    "onvif GET": b"GET /onvif/device_service HTTP/1.1\r\nHost: {host}\r\n\r\n",
    "cgi-bin": b"GET /cgi-bin/magicBox.cgi?action=getDeviceType HTTP/1.1\r\nHost: {host}\r\n\r\n",
    "nmap GetRequest": b"GET / HTTP/1.0\r\n\r\n",
    "nmap HTTPOptions": b"OPTIONS / HTTP/1.0\r\n\r\n",
    "nmap RTSPRequest": b"OPTIONS / RTSP/1.0\r\n\r\n",
    "nmap GenericLines": b"\r\n\r\n",
    "unknown method": b"PROPFIND / HTTP/1.1\r\nHost: {host}\r\n\r\n",
}
RTSP_REQUESTS = {
    "OPTIONS": b"OPTIONS rtsp://{host}:{port}/ RTSP/1.0\r\nCSeq: 7\r\nUser-Agent: ffprobe\r\n\r\n",
    "DESCRIBE any URL": (b"DESCRIBE rtsp://{host}:{port}/any/stream/path?channel=3 RTSP/1.0\r\nCSeq: 8\r\n"
                         b"Accept: application/sdp\r\n\r\n"),
    "unknown method": b"FROBNICATE rtsp://{host}:{port}/ RTSP/1.0\r\nCSeq: 9\r\n\r\n",
    "nmap RTSPRequest": b"OPTIONS / RTSP/1.0\r\n\r\n",
    "nmap GetRequest": b"GET / HTTP/1.0\r\n\r\n",
}
STATUS = re.compile(r"^(HTTP/1\.[01]|RTSP/1\.0) (\d{3})(?: (.*))?$")
TRANSPORT = {"content-length", "connection", "cseq"}


@dataclass(frozen=True)
class Answer:
    status: str
    headers: list[str]
    body: bytes


def ask(address: str, port: int, data: bytes, tls: bool) -> bytes:
    sock = socket.create_connection((address, port), timeout=5)
    try:
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock)
        sock.sendall(data)
        out = b""
        while len(out) < 1 << 20:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:  # RTSP keeps the connection open for the next request
                break
            if not chunk:
                break
            out += chunk
            sock.settimeout(0.5)  # the rest of an answer follows at once
        return out
    finally:
        sock.close()


def parse(raw: bytes, head_only: bool) -> Answer:
    head, sep, body = raw.partition(b"\r\n\r\n")
    assert sep, f"answer without an end of headers: {raw[:200]!r}"
    lines = head.decode("utf-8").split("\r\n")
    assert STATUS.match(lines[0]), f"malformed status line {lines[0]!r}"
    for line in lines[1:]:
        assert re.match(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+:", line), f"malformed header line {line!r}"
    lengths = [int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:")]
    assert len(lengths) <= 1, f"several Content-Length headers: {lines}"
    if lengths and not head_only:
        assert len(body) == lengths[0], f"Content-Length {lengths[0]} but {len(body)} body bytes"
    return Answer(lines[0], lines[1:], body)


def _norm(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def check_traces_to_recordings(service: Service, answer: Answer, path: str) -> None:
    """Status and every non-transport header come from a recording this service serves (or the status a
    personality or profile supplied); the body is a recording's text (an error page template with the path)."""
    recs = service.recordings()
    texts = [_norm(r.response) for r in recs]
    recorded_lines = {line.strip().lower() for t in texts for line in t.split("\n")}
    code_reason = answer.status.split(" ", 1)[1].lower()
    supplied = {route.status.split(" ", 1)[1].lower() for route in
                [*service.routes.values(), *service.methods.values(), service.fallback, service.bad_request]
                if route is not None and route.status}
    recorded_status = {line.split(" ", 1)[1] for line in recorded_lines if STATUS.match(line.upper())}
    assert code_reason in recorded_status | supplied, (
        f"status {answer.status!r} is in no recording of the service")
    for line in answer.headers:
        name = line.split(":", 1)[0].strip().lower()
        if name in TRANSPORT:
            continue
        assert line.strip().lower() in recorded_lines, f"header {line!r} is in no recording of the service"
    if answer.body:
        body = _norm(answer.body.decode("utf-8"))
        tokens = [r.path_token for r in [service.fallback, *service.routes.values()] if r and r.path_token]
        candidates = {body} | {body.replace(html.escape(path), t) for t in tokens}
        assert any(c in t for c in candidates for t in texts), f"body is in no recording: {body[:120]!r}"


def check_device_headers(service: Service, answer: Answer) -> None:
    """The device's own headers are on every web answer (no bare 404 without the Server header it sends)."""
    names = {line.split(":", 1)[0].strip().lower() for line in answer.headers}
    if answer.status.startswith("HTTP/"):
        own = {h.split(":", 1)[0].strip().lower() for h in service.server_headers}
        if "server" in own:
            assert "server" in names, f"{answer.status!r} lacks the Server header the device sends"
        code = answer.status.split(" ")[1]
        if code == "404":
            assert answer.body or "server" in names, "a bare 404: no body and no Server header"


def services() -> list[tuple[Personality, Service]]:
    out = []
    for p in load_personalities().values():
        if p.hostile:
            continue
        out += [(p, s) for s in p.services if s.kind in ("http", "https", "rtsp")]
    return out


SERVICES = services()


@pytest.mark.parametrize(("personality", "service"), SERVICES, ids=[f"{p.name}:{s.port}" for p, s in SERVICES])
def test_any_request_gets_a_recorded_answer_or_none(fleet: FleetProcess, personality: Personality,
                                                    service: Service) -> None:
    address = next(d["address"] for d in fleet.manifest["devices"] if d["personality"] == personality.name)
    requests = RTSP_REQUESTS if service.kind == "rtsp" else HTTP_REQUESTS
    answered = 0
    for what, template in requests.items():
        data = template.replace(b"{host}", address.encode()).replace(b"{port}", str(service.port).encode())
        raw = ask(address, service.port, data, service.kind == "https")
        if not raw:
            continue  # closed without an answer: nothing recorded for this request
        answered += 1
        first = data.split(b"\r\n", 1)[0].decode()
        path = first.split(" ")[1].split("?", 1)[0] if " " in first else "/"
        try:
            answer = parse(raw, head_only=first.startswith("HEAD "))
            check_traces_to_recordings(service, answer, path)
            if service.kind != "rtsp":
                check_device_headers(service, answer)
            cseq = re.search(rb"\r\nCSeq: (\S+)", data)
            if answer.status.startswith("RTSP/") and cseq:
                assert f"CSeq: {cseq.group(1).decode()}" in answer.headers, "the request's CSeq is not echoed"
        except AssertionError as exc:
            raise AssertionError(f"{personality.name}:{service.port} {what}: {exc}") from exc
    if service.profile is not None or service.rtsp:
        assert answered, f"{personality.name}:{service.port} answered none of {list(requests)}"


def test_web_profiles_answer_the_root_and_unknown_paths_like_their_devices(fleet: FleetProcess) -> None:
    """The Hikvision profiles answer any path with their own error page and Server header."""
    by_name = {d["personality"]: d["address"] for d in fleet.manifest["devices"]}
    for name, server in (("hikvision-ipc", "Server: App-webs/"), ("hikvision-nvr", "Server: DNVRS-Webs")):
        for target in (b"/", b"/camaudit-no-such-page"):
            request = b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n"
            answer = parse(ask(by_name[name], 80, request, False), head_only=False)
            assert server in answer.headers, (name, answer)
        answer = parse(ask(by_name[name], 80, b"GET / HTTP/1.0\r\n\r\n", False), head_only=False)
        assert answer.status.startswith("HTTP/1.0 200"), (name, answer.status)
    page = parse(ask(by_name["hikvision-ipc"], 80, b"GET /cgi-bin/nothing.cgi HTTP/1.1\r\n\r\n", False), False)
    assert page.status == "HTTP/1.1 404 Not Found"
    assert b"Can't locate document: /cgi-bin/nothing.cgi" in page.body


#: Answers reconstructed from nmap-service-probes match lines (nmap 7.93): sent the probe the line belongs to,
#: the emulated device must answer something the line matches, as the devices the line was built from did.
NMAP_MATCHES = [
    ("hikvision-ipc", 80, b"GET / HTTP/1.0\r\n\r\n", rb"^HTTP/1\.0 200 OK\r\nDate: .*\r\nServer: App-webs/\r\n", 0),
    ("amcrest-ipc", 80, b"GET / HTTP/1.0\r\n\r\n",
     rb'^HTTP/1\.1 200 OK\r\nCONNECTION: close\r\nDate: .* GMT\r\nLast-Modified: .* GMT\r\nEtag: "\d+:[a-f\d]+"\r\n'
     rb"CONTENT-LENGTH: \d+\r\nCACHE-CONTROL: max-age=0\r\nCONTENT-TYPE: text/html\r\n\r\n<!DOCTYPE html>\r\n<html>\r\n"
     rb"<head>\r\n    <title></title>", 0),
    ("intelbras-dvr", 80, b"GET / HTTP/1.0\r\n\r\n",
     rb'^HTTP/1\.1 200 OK\r\nCONNECTION: close\r\nDate: .*\r\nLast-Modified: .*\r\nEtag: "\d+:[\da-f]+"\r\n'
     rb'CONTENT-LENGTH: \d+\r\nCONTENT-TYPE: text/html\r\n\r\n'
     rb'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1\.0 Strict//EN" '
     rb'"http://www\.w3\.org/TR/xhtml1/DTD/xhtml1-strict\.dtd"> <html> <head> <title>Intelbras</title>', 0),
    ("mobotix-camera", 80, b"GET / HTTP/1.0\r\n\r\n",
     rb"^HTTP/1\.0 302 Found\r\nLocation: /control/userimage.html\r\n", 0),
    ("axis-camera", 554, b"GET / HTTP/1.0\r\n\r\n",
     rb"^HTTP/1\.0 503 Service Unavailable\r\nServer: GStreamer RTSP Server\r\nConnection: close\r\n"
     rb"Cache-Control: no-store\r\nPragma: no-cache\r\nDate: .*\r\n\r\n$", 0),
    ("hikvision-ipc", 554, (b"OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/TCP nm;branch=foo\r\n"
                            b"From: <sip:nm@nm>;tag=root\r\nTo: <sip:nm2@nm2>\r\nCall-ID: 50000\r\n"
                            b"CSeq: 42 OPTIONS\r\nMax-Forwards: 70\r\n"
                            b"Content-Length: 0\r\nContact: <sip:nm@nm>\r\nAccept: application/sdp\r\n\r\n"),
     rb"^RTSP/1\.0 200 OK\r\nCSeq: 42 OPTIONS\r\nPublic: OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, "
     rb"SET_PARAMETER, GET_PARAMETER\r\nDate: .*\r\n\r\n", 0),
]


@pytest.mark.parametrize(("name", "port", "probe", "pattern", "flags"), NMAP_MATCHES,
                         ids=[f"{m[0]}:{m[1]}" for m in NMAP_MATCHES])
def test_nmap_sees_what_its_fingerprints_describe(fleet: FleetProcess, name: str, port: int, probe: bytes,
                                                 pattern: bytes, flags: int) -> None:
    address = next(d["address"] for d in fleet.manifest["devices"] if d["personality"] == name)
    answer = ask(address, port, probe, False)
    assert re.match(pattern, answer, flags), answer[:300]
