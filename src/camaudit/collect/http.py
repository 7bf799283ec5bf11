"""Read-only HTTP(S) probing of a device's web interface: GET only, no credentials, same-origin redirects."""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

from camaudit.collect.limits import Budget, Deadline, DeviceError, close, open_connection, read_message
from camaudit.collect.tls import certificate_text, client_context
from camaudit.model import Observation

USER_AGENT = "camaudit/0.1 (read-only device audit)"
MAX_REDIRECTS = 2


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _location(head: str) -> str | None:
    for line in head.splitlines()[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "location":
            return value.strip()
    return None


def _same_origin_path(location: str, host: str, port: int) -> str | None:
    """The path to follow for a redirect, or None when it leaves this host and port (never followed)."""
    parts = urlsplit(location)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    if parts.hostname and (parts.hostname != host or (parts.port or port) != port):
        return None
    path = parts.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return path + (f"?{parts.query}" if parts.query else "")


async def fetch(
    host: str,
    port: int,
    path: str,
    budget: Budget,
    deadline: Deadline,
    tls: bool,
    ids: str,
) -> tuple[list[Observation], str | None]:
    """GET one path; observations for the head (and body, when there is one), and where it redirects."""
    context: ssl.SSLContext | None = client_context() if tls else None
    reader, writer = await open_connection(host, port, budget, deadline, ssl=context)
    observations: list[Observation] = []
    try:
        if tls:
            cert = certificate_text(writer)
            if cert and path == "/":
                observations.append(
                    Observation(id=f"{ids}-cert", protocol="tls_cert", response=cert, address=host, port=port,
                                request="TLS handshake")
                )
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n"
        )
        writer.write(request.encode("ascii", "replace"))
        await writer.drain()
        msg = await read_message(reader, budget, deadline)
    except (OSError, ssl.SSLError) as exc:
        raise DeviceError(f"{host}:{port} {exc}") from exc
    finally:
        await close(writer)
    if not msg.head:
        raise DeviceError(f"{host}:{port} closed without answering GET {path}")
    head = _decode(msg.head)
    req = f"GET {path}"
    observations.append(Observation(id=f"{ids}-h", protocol="http_header", response=head, address=host, port=port,
                                    request=req))
    if msg.body:
        observations.append(Observation(id=f"{ids}-b", protocol="http_body", response=_decode(msg.body),
                                        address=host, port=port, request=req))
    status = head.split(" ", 2)
    redirect = None
    if len(status) > 1 and status[1].startswith("3"):
        location = _location(head)
        if location:
            redirect = _same_origin_path(location, host, port)
    return observations, redirect


async def probe_web(
    host: str, port: int, budget: Budget, deadline: Deadline, tls: bool, paths: tuple[str, ...] = ("/",)
) -> list[Observation]:
    scheme = "https" if tls else "http"
    observations: list[Observation] = []
    seen: set[str] = set()
    for start in paths:
        path: str | None = start
        hops = 0
        while path is not None and path not in seen and hops <= MAX_REDIRECTS:
            seen.add(path)
            ids = f"{host}:{port}:{scheme}{path}"
            found, path = await fetch(host, port, path, budget, deadline, tls, ids)
            observations.extend(found)
            hops += 1
    return observations
