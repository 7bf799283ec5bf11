"""Serving a personality's recorded responses over real sockets (HTTP, HTTPS, RTSP).

Recorded messages are replayed as published, header order included. Transport details are adjusted so
the message is well formed on the wire, and nothing else: ``Content-Length`` is set (in place) to the
body actually sent (bodies in the catalog may be trimmed), ``Connection`` says ``close`` (one answer per
connection), an RTSP reply's ``CSeq`` echoes the request's, a device whose profile says so answers an
HTTP/1.0 request with an HTTP/1.0 status line, and an error page template names the path asked.

Whatever is asked, the answer traces to a recording: a path without a route gets the device's own error
page (its profile's ``fallback``), another method its recorded answer (``methods``), a request that is not
HTTP its recorded refusal (``bad_request``). Where the catalog holds no answer for a request, the
connection is closed without one rather than answered with something no device was recorded sending.
"""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass

from camaudit.collect.auth import verify_digest, verify_ws_username_token
from camaudit.simulate.hostile import serve_hostile
from camaudit.simulate.personality import Route, Service

MAX_REQUEST = 16 * 1024
DROP_HEADERS = ("transfer-encoding", "keep-alive")
HTTP_1X = ("HTTP/1.0", "HTTP/1.1")


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    version: str  # "HTTP/1.1", "RTSP/1.0", "SIP/2.0"... ("" when the request line has no version)
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError, OSError):
        return None
    lines = raw[:MAX_REQUEST].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2 or not parts[0]:
        return None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return Request(parts[0].upper(), parts[1], parts[2] if len(parts) > 2 else "", headers)


def recorded_head(text: str, status_line: str | None = None) -> tuple[str, list[str], str]:
    """Status line, header lines in recorded order (without the "..." a source used to mark what it left
    out) and any inline body."""
    crlf, lf = text.find("\r\n\r\n"), text.find("\n\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):  # the body keeps its own line ends
        head, inline_body = text[:crlf], text[crlf + 4:]
    else:
        head, _, inline_body = text.partition("\n\n")
    lines = [line.rstrip("\r") for line in head.split("\n") if line.strip()]
    if status_line is not None:
        status, rest = status_line, [line for line in lines if not re.match(r"^(HTTP|RTSP)/\d", line)]
    else:
        status, rest = (lines[0] if lines else "HTTP/1.1 200 OK"), lines[1:]
    kept = [line for line in rest if ":" in line]
    return status, kept, inline_body


def _framed(status: str, headers: list[str], body: bytes) -> bytes:
    """Headers with Content-Length and Connection set where the device put them (appended if it did not)."""
    out: list[str] = []
    length = connection = False
    for line in headers:
        name = line.split(":", 1)[0].strip()
        low = name.lower()
        if low in DROP_HEADERS:
            continue
        if low == "content-length":
            if not length:
                out.append(f"{name}: {len(body)}")
            length = True
        elif low == "connection":
            if not connection:
                out.append(f"{name}: close")
            connection = True
        else:
            out.append(line)
    if not length:
        out.append(f"Content-Length: {len(body)}")
    if not connection:
        out.append("Connection: close")
    return ("\r\n".join([status, *out]) + "\r\n\r\n").encode("utf-8") + body


def _with_server_headers(headers: list[str], server_headers: tuple[str, ...]) -> list[str]:
    have = {line.split(":", 1)[0].strip().lower() for line in headers}
    extra = [h for h in server_headers if h.split(":", 1)[0].strip().lower() not in have]
    return extra + headers


def http_response(route: Route, service: Service | None = None, request: Request | None = None) -> bytes:
    server_headers = service.server_headers if service is not None else ()
    headers: list[str]
    if route.head is None:
        status, headers, inline_body = route.status or "HTTP/1.1 200 OK", [], ""
        headers = _with_server_headers(headers, server_headers)
    else:
        status, headers, inline_body = recorded_head(route.head.response, route.status)
    text = route.body.response if route.body else inline_body
    if route.path_token and request is not None:
        text = text.replace(route.path_token, html.escape(request.path))
    body = text.encode("utf-8")
    if service is not None and service.echo_version and request is not None and request.version in HTTP_1X:
        status = re.sub(r"^HTTP/1\.[01]\b", request.version, status)
    if request is not None and request.method == "HEAD":
        framed = _framed(status, headers, body)
        return framed[: len(framed) - len(body)] if body else framed
    return _framed(status, headers, body)


def find_route(service: Service, target: str) -> Route | None:
    """The route for a request target: exact, then without the query, then the longest prefix route
    (``/ISAPI/*``), then the device's error page for any other path."""
    if target in service.routes:
        return service.routes[target]
    path = target.split("?", 1)[0]
    if path in service.routes:
        return service.routes[path]
    prefixes = [p for p in service.routes if p.endswith("*") and path.startswith(p[:-1])]
    if prefixes:
        return service.routes[max(prefixes, key=len)]
    return service.fallback


def rtsp_response(text: str, cseq: str | None, missing_cseq: str | None = None) -> bytes:
    """A recorded RTSP reply with the request's CSeq. A request without one gets the value the device
    sends then (``missing_cseq``), or no CSeq line at all."""
    status, headers, inline_body = recorded_head(text)
    value = cseq if cseq is not None else missing_cseq
    body = inline_body.encode("utf-8")
    out = [status]
    for line in headers:
        name = line.split(":", 1)[0].strip()
        if name.lower() == "cseq":
            if value is not None:
                out.append(f"CSeq: {value}")
        elif name.lower() == "content-length":  # the body sent may be trimmed: its own length, in place
            out.append(f"{name}: {len(body)}")
        else:
            out.append(line)
    if value is not None and not any(line.lower().startswith("cseq:") for line in headers):
        out.insert(1, f"CSeq: {value}")
    if body and not any(line.lower().startswith("content-length:") for line in out):
        out.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(out) + "\r\n\r\n").encode("utf-8") + body


async def _write(writer: asyncio.StreamWriter, data: bytes) -> None:
    try:
        writer.write(data)
        await writer.drain()
    except (ConnectionError, OSError):
        pass


async def _close(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
        await asyncio.wait_for(writer.wait_closed(), 2)
    except (ConnectionError, OSError, TimeoutError):
        pass
    except Exception:  # a TLS peer that vanished mid-shutdown
        pass


def challenge_response(route: Route, service: Service | None = None, request: Request | None = None) -> bytes:
    """The refusal a device gives without credentials: a recorded HTTP 401 as it is, or, where only the
    device's RTSP challenge is recorded, a 401 with that challenge's WWW-Authenticate header(s) and the
    server's own headers."""
    assert route.challenge is not None
    if route.challenge.protocol == "http_header":
        return http_response(Route(head=route.challenge, body=route.challenge_body), service, request)
    _status, headers, _body = recorded_head(route.challenge.response)
    auth = [h for h in headers if h.lower().startswith("www-authenticate:")]
    server_headers = service.server_headers if service is not None else ()
    return _framed("HTTP/1.1 401 Unauthorized", _with_server_headers(auth, server_headers), b"")


def authorised(route: Route, headers: dict[str, str], method: str, login: tuple[str, str] | None) -> bool:
    if route.challenge is None:
        return True
    if login is None:
        return False
    return verify_digest(headers.get("authorization", ""), login[0], login[1], method)


_SOAP_OPERATION = re.compile(rb"<(?:\w+:)?(Get\w+)[\s/>]")
MAX_SOAP_BODY = 64 * 1024


async def serve_soap(route: Route, reader: asyncio.StreamReader, request: Request, service: Service,
                     login: tuple[str, str] | None) -> bytes | None:
    """A SOAP request: answered with the recorded response of its operation. A protected operation asked without
    a valid WS-Security token gets the recorded fault; its HTTP status is not recorded, 400 is sent (the status
    SOAP 1.2 gives a Sender fault). An operation with no recording gets the device's error page."""
    headers = request.headers
    try:
        length = min(int(headers.get("content-length", "0")), MAX_SOAP_BODY)
        body = await asyncio.wait_for(reader.readexactly(length), 10) if length > 0 else b""
    except (ValueError, asyncio.IncompleteReadError, TimeoutError, ConnectionError, OSError):
        return None
    found = _SOAP_OPERATION.search(body.split(b"Body", 1)[-1])
    op = route.soap.get(found.group(1).decode()) if found else None
    fallback = http_response(service.fallback, service, request) if service.fallback else None
    if op is None:
        return fallback
    if op.protected and not (login and verify_ws_username_token(body.decode("utf-8", "replace"), *login)):
        if op.refusal is None:
            return fallback
        return http_response(Route(head=None, body=op.refusal, status="HTTP/1.1 400 Bad Request"), service, request)
    return http_response(Route(head=None, body=op.answer, status="HTTP/1.1 200 OK"), service, request)


def http_answer(service: Service, request: Request, login: tuple[str, str] | None) -> bytes | None:
    """What the device answers to a request (SOAP aside), or None where the catalog holds no answer."""
    if not request.version.startswith("HTTP/1."):
        return http_response(service.bad_request, service, request) if service.bad_request else None
    route = find_route(service, request.target)
    method = request.method
    if method not in ("GET", "HEAD"):
        other = service.methods.get(method) or service.methods.get("*")
        if other is not None:
            route = other
        elif route is None or route is not service.fallback:
            return None  # a method the device's answers to are not recorded, on a path it serves
    if route is None:
        return None
    if not authorised(route, request.headers, method, login):
        return challenge_response(route, service, request)
    if route.challenge is not None and route.head is None and route.body is None and service.fallback:
        return http_response(service.fallback, service, request)  # a protected prefix, past its challenge
    return http_response(route, service, request)


async def serve_http(service: Service, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     login: tuple[str, str] | None = None) -> None:
    request = await read_request(reader)
    if request is not None:
        route = find_route(service, request.target)
        answer: bytes | None
        if route is not None and request.method == "POST" and route.soap:
            answer = await serve_soap(route, reader, request, service, login)
        else:
            answer = http_answer(service, request, login)
        if answer is not None:
            await _write(writer, answer)
    await _close(writer)


async def serve_rtsp(service: Service, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    for _ in range(8):  # a client may send several requests on one connection
        request = await read_request(reader)
        if request is None:
            break
        if request.version.startswith("HTTP/"):  # a web request sent to the RTSP port
            if service.rtsp_http is not None:
                await _write(writer, rtsp_response(service.rtsp_http.response, request.headers.get("cseq"),
                                                   service.rtsp_no_cseq))
            break
        recording = service.rtsp.get(request.method) or service.rtsp_other
        if recording is None:
            break  # no recorded answer to this method: the connection is closed unanswered
        cseq = request.headers.get("cseq")
        if cseq is not None and service.rtsp_cseq_digits:
            cseq = re.match(r"\d*", cseq).group(0) or service.rtsp_no_cseq  # type: ignore[union-attr]
        await _write(writer, rtsp_response(recording.response, cseq, service.rtsp_no_cseq))
    await _close(writer)


def handler(service: Service, stop: asyncio.Event, login: tuple[str, str] | None = None):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if service.kind == "hostile":
                await serve_hostile(service.behaviour or "garbage", reader, writer, stop)
                await _close(writer)
            elif service.kind in ("http", "https"):
                await serve_http(service, reader, writer, login)
            elif service.kind == "rtsp":
                await serve_rtsp(service, reader, writer)
            else:  # an open port that speaks a protocol camaudit does not: accept, then close
                await _close(writer)
        except (ConnectionError, OSError):
            pass
        except asyncio.CancelledError:  # the fleet is stopping: end this connection quietly
            writer.transport.abort()

    return handle
