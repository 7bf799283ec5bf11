"""Read-only HTTP(S) probing of a device's web interface: GET only, no credentials, same-origin redirects."""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from camaudit.collect.limits import Budget, Deadline, DeviceError, close, open_connection, read_message
from camaudit.collect.tls import certificate_text, client_context
from camaudit.model import Observation

USER_AGENT = "camaudit/0.1 (read-only device audit)"
MAX_REDIRECTS = 2


_STATUS = re.compile(r"\S+ ([0-9]{3})(?:\s|$)", re.ASCII)


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
    try:
        parts = urlsplit(location)
        target_port = parts.port or port
    except ValueError:  # not a URL (a port that is no number, a bad IPv6 literal)
        return None
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    if parts.hostname and (parts.hostname != host or target_port != port):
        return None
    path = parts.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Response:
    head: str
    body: str
    status: int
    cert: str | None
    truncated: bool

    def header_values(self, name: str) -> list[str]:
        out = []
        for line in self.head.splitlines()[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name:
                out.append(value.strip())
        return out


async def request(
    host: str, port: int, method: str, path: str, budget: Budget, deadline: Deadline, tls: bool,
    headers: dict[str, str] | None = None, body: bytes = b"",
) -> Response:
    """One HTTP/1.1 request on a fresh connection (Connection: close), read within the budget."""
    context: ssl.SSLContext | None = client_context() if tls else None
    reader, writer = await open_connection(host, port, budget, deadline, ssl=context)
    try:
        cert = certificate_text(writer) if tls else None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"User-Agent: {USER_AGENT}", "Accept: */*",
                 "Connection: close"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body)
        await writer.drain()
        msg = await read_message(reader, budget, deadline)
    except (OSError, ssl.SSLError) as exc:
        raise DeviceError(f"{host}:{port} {exc}") from exc
    finally:
        await close(writer)
    if not msg.head:
        raise DeviceError(f"{host}:{port} closed without answering {method} {path}")
    head = _decode(msg.head)
    found = _STATUS.match(head)
    status = int(found.group(1)) if found else 0
    return Response(head, _decode(msg.body), status, cert, msg.truncated)


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
    resp = await request(host, port, "GET", path, budget, deadline, tls)
    observations: list[Observation] = []
    if resp.cert and path == "/":
        observations.append(Observation(id=f"{ids}-cert", protocol="tls_cert", response=resp.cert, address=host,
                                        port=port, request="TLS handshake"))
    req = f"GET {path}"
    observations.append(Observation(id=f"{ids}-h", protocol="http_header", response=resp.head, address=host,
                                    port=port, request=req))
    if resp.body:
        observations.append(Observation(id=f"{ids}-b", protocol="http_body", response=resp.body,
                                        address=host, port=port, request=req))
    redirect = None
    if 300 <= resp.status < 400:
        location = _location(resp.head)
        if location:
            redirect = _same_origin_path(location, host, port)
    return observations, redirect


async def probe_web(
    host: str, port: int, budget: Budget, deadline: Deadline, tls: bool, paths: tuple[str, ...] = ("/",)
) -> list[Observation]:
    scheme = "https" if tls else "http"
    observations: list[Observation] = []
    seen: set[str] = set()
    failures: list[str] = []
    for start in paths:
        path: str | None = start
        hops = 0
        while path is not None and path not in seen and hops <= MAX_REDIRECTS:
            seen.add(path)
            ids = f"{host}:{port}:{scheme}{path}"
            try:
                found, path = await fetch(host, port, path, budget, deadline, tls, ids)
            except DeviceError as exc:
                failures.append(f"GET {path}: {exc}")
                break
            observations.extend(found)
            hops += 1
    if failures and not observations:
        raise DeviceError("; ".join(failures))
    return observations
