"""Serving a personality's recorded responses over real sockets (HTTP, HTTPS, RTSP).

Recorded messages are replayed as published. Two transport details are adjusted so the message is
well formed on the wire, and nothing else: ``Content-Length`` is recomputed for the body actually
sent (bodies in the catalog may be trimmed), and an RTSP reply's ``CSeq`` echoes the request's.
A path with no recording gets a bare 404 (not a fingerprint: it carries no identifying header).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping

from camaudit.collect.auth import verify_digest, verify_ws_username_token
from camaudit.simulate.hostile import serve_hostile
from camaudit.simulate.personality import Route, Service

MAX_REQUEST = 16 * 1024
DROP_HEADERS = ("content-length", "transfer-encoding", "connection")
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]] | None:
    try:
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError, OSError):
        return None
    lines = raw[:MAX_REQUEST].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        return None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return parts[0].upper(), parts[1], headers


def recorded_head(text: str, status_line: str | None = None) -> tuple[str, list[str], str]:
    """Status line, header lines (without the transport ones we recompute, and without the "..." a source
    used to mark what it left out) and any inline body."""
    normalised = text.replace("\r\n", "\n")
    head, _, inline_body = normalised.partition("\n\n")
    lines = [line for line in head.split("\n") if line.strip()]
    if status_line is not None:
        status, rest = status_line, lines
    else:
        status, rest = (lines[0] if lines else "HTTP/1.1 200 OK"), lines[1:]
    kept = [line for line in rest if ":" in line and line.split(":", 1)[0].strip().lower() not in DROP_HEADERS]
    return status, kept, inline_body


def http_response(route: Route) -> bytes:
    headers: list[str]
    if route.head is None:
        status, headers, inline_body = route.status or "HTTP/1.1 200 OK", [], ""
    else:
        status, headers, inline_body = recorded_head(route.head.response, route.status)
    body = (route.body.response if route.body else inline_body).encode("utf-8")
    lines = [status, *headers, f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def _pick_route(routes: Mapping[str, Route], target: str) -> Route | None:
    if target in routes:
        return routes[target]
    path = target.split("?", 1)[0]
    return routes.get(path)


def rtsp_response(text: str, cseq: str) -> bytes:
    status, headers, inline_body = recorded_head(text)
    out = [status]
    for line in headers:
        name = line.split(":", 1)[0].strip().lower()
        out.append(f"CSeq: {cseq}" if name == "cseq" else line)
    if not any(line.lower().startswith("cseq:") for line in headers):
        out.insert(1, f"CSeq: {cseq}")
    body = inline_body.encode("utf-8")
    if body:
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


def challenge_response(route: Route) -> bytes:
    """The refusal a device gives without credentials: a recorded HTTP 401 as it is, or, where only the
    device's RTSP challenge is recorded, a bare 401 with that challenge's WWW-Authenticate header(s)."""
    assert route.challenge is not None
    if route.challenge.protocol == "http_header":
        return http_response(Route(head=route.challenge, body=route.challenge_body))
    _status, headers, _body = recorded_head(route.challenge.response)
    auth = [h for h in headers if h.lower().startswith("www-authenticate:")]
    lines = ["HTTP/1.1 401 Unauthorized", *auth, "Content-Length: 0", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def authorised(route: Route, headers: dict[str, str], method: str, login: tuple[str, str] | None) -> bool:
    if route.challenge is None:
        return True
    if login is None:
        return False
    return verify_digest(headers.get("authorization", ""), login[0], login[1], method)


_SOAP_OPERATION = re.compile(rb"<(?:\w+:)?(Get\w+)[\s/>]")
MAX_SOAP_BODY = 64 * 1024


async def serve_soap(route: Route, reader: asyncio.StreamReader, headers: dict[str, str],
                     login: tuple[str, str] | None) -> bytes:
    """A SOAP request: answered with the recorded response of its operation. A protected operation asked without
    a valid WS-Security token gets the recorded fault; its HTTP status is not recorded, 400 is sent (the status
    SOAP 1.2 gives a Sender fault)."""
    try:
        length = min(int(headers.get("content-length", "0")), MAX_SOAP_BODY)
        body = await asyncio.wait_for(reader.readexactly(length), 10) if length > 0 else b""
    except (ValueError, asyncio.IncompleteReadError, TimeoutError, ConnectionError, OSError):
        return NOT_FOUND
    found = _SOAP_OPERATION.search(body.split(b"Body", 1)[-1])
    op = route.soap.get(found.group(1).decode()) if found else None
    if op is None:
        return NOT_FOUND
    if op.protected and not (login and verify_ws_username_token(body.decode("utf-8", "replace"), *login)):
        if op.refusal is None:
            return NOT_FOUND
        return http_response(Route(head=None, body=op.refusal, status="HTTP/1.1 400 Bad Request"))
    return http_response(Route(head=None, body=op.answer, status="HTTP/1.1 200 OK"))


async def serve_http(service: Service, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     login: tuple[str, str] | None = None) -> None:
    request = await read_request(reader)
    if request is not None:
        method, target, headers = request
        route = _pick_route(service.routes, target)
        if route is not None and method == "POST" and route.soap:
            await _write(writer, await serve_soap(route, reader, headers, login))
            await _close(writer)
            return
        if method not in ("GET", "HEAD"):
            route = None
        if route is None:
            await _write(writer, NOT_FOUND)
        elif not authorised(route, headers, method, login):
            await _write(writer, challenge_response(route))
        else:
            await _write(writer, http_response(route))
    await _close(writer)


async def serve_rtsp(service: Service, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    for _ in range(8):  # a client may send several requests on one connection
        request = await read_request(reader)
        if request is None:
            break
        method, _target, headers = request
        cseq = headers.get("cseq", "0")
        recording = service.rtsp.get(method)
        if recording is None:
            await _write(writer, f"RTSP/1.0 405 Method Not Allowed\r\nCSeq: {cseq}\r\n\r\n".encode())
        else:
            await _write(writer, rtsp_response(recording.response, cseq))
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
