"""A real ``camaudit serve`` application on a loopback port, in a thread, for the server tests."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from camaudit.web.app import create_app, first_admin


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class Cutter:
    """A TCP relay in front of the server that can be cut (new connections refused) and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@dataclass
class RunningServer:
    url: str
    app: Any
    admin_password: str
    uvicorn: uvicorn.Server

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    @contextmanager
    def login(self, username: str = "admin", password: str | None = None) -> Iterator[httpx.Client]:
        """A client signed in through the login form; ``client.headers['X-CSRF-Token']`` is the session's."""
        with self.client() as c:
            yield self._sign_in(c, username, password)

    def _sign_in(self, c: httpx.Client, username: str, password: str | None) -> httpx.Client:
        page = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        answer = c.post("/login", data={"username": username, "password": password or self.admin_password,
                                        "csrf_token": token.group(1), "next": "/scans"})
        assert answer.status_code == 303, answer.text
        scans = c.get("/scans")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', scans.text)
        assert csrf, scans.text
        c.headers["X-CSRF-Token"] = csrf.group(1)
        return c

    def token(self, role: str, name: str | None = None) -> str:
        with self.login() as admin:
            answer = admin.post("/api/v1/tokens", json={"name": name or f"{role} token", "role": role})
            assert answer.status_code == 201, answer.text
            return str(answer.json()["token"])


@contextmanager
def serve(location: str, organisation: str = "Test Council", allow_public: bool = False) -> Iterator[RunningServer]:
    app = create_app(location, allow_public=allow_public, organisation=organisation)
    created = first_admin(app.state.server.db, organisation)
    assert created is not None
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", app, created[1], server)
    finally:
        app.state.server.jobs.wait(60)
        server.should_exit = True
        thread.join(10)
