"""``camaudit serve`` and ``camaudit push``: the server, and sending a stored scan to one."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path
from typing import Any


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "serve", help="the dashboard and REST API over a store (self-hosted; sign-in required)",
        description="Serve the store as a dashboard and a REST API (/api/v1, OpenAPI at /api/v1/openapi.json). "
        "Every page and endpoint needs a signed-in account or an API token. On first start an 'admin' account is "
        "created and its one-time password printed once. Binds to loopback unless --host says otherwise.")
    p.add_argument("--db", help="store: a SQLite file (default ./camaudit.db) or postgresql://... URL")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--organisation", default="Default organisation",
                   help="name of the first organisation (created if new)")
    p.add_argument("--allow-public", action="store_true",
                   help="let scans started from the server reach globally routable addresses")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", help="the certificate's private key (PEM)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "push", help="send a stored scan's hosts to a camaudit server (a collector's upload)",
        description="Send each host of a stored scan to a camaudit server. The server identifies and assesses "
        "them itself, and stores a host sent twice once, so a push cut off half-way can simply be run again. "
        "The token is read from --token-file or CAMAUDIT_TOKEN, never from the command line.")
    p.add_argument("url", help="the server, e.g. https://camaudit.example.org")
    p.add_argument("--db", help="store (default ./camaudit.db)")
    p.add_argument("--scan", type=int, help="scan id (default: the latest)")
    p.add_argument("--token-file", help="file holding the API token (else CAMAUDIT_TOKEN)")
    p.set_defaults(func=cmd_push)


def read_token(path: str | None) -> str:
    from camaudit.collect.credentials import CredentialError

    if path:
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CredentialError(f"cannot read the token file {path}: {exc.strerror}") from exc
    else:
        token = os.environ.get("CAMAUDIT_TOKEN", "").strip()
    if not token:
        raise CredentialError("no API token: give --token-file FILE or set CAMAUDIT_TOKEN")
    return token


def cmd_serve(args: argparse.Namespace) -> int:
    from camaudit.store import DEFAULT_DB

    return serve_forever(args.db or DEFAULT_DB, args.host, args.port, args.organisation, args.allow_public,
                         args.tls_cert, args.tls_key)


def serve_forever(location: str, host: str = "127.0.0.1", port: int = 8765,
                  organisation: str = "Default organisation", allow_public: bool = False,
                  tls_cert: str | None = None, tls_key: str | None = None, site_map: str | None = None) -> int:
    """Run the server until interrupted (returns 130 then); on first start, print the admin account's one-time
    password. A port already in use or an unreadable certificate is a clear error before anything is created."""
    import socket

    import uvicorn

    from camaudit.collect.credentials import CredentialError
    from camaudit.store import StoreError, open_store
    from camaudit.web.app import create_app, first_admin

    if bool(tls_cert) != bool(tls_key):
        raise CredentialError("give both --tls-cert and --tls-key, or neither")
    for path in (tls_cert, tls_key):
        if path and not Path(path).is_file():
            raise CredentialError(f"cannot read {path}: no such file")
    try:
        listener = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        raise StoreError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    open_store(location).close()  # create and migrate the store, or fail here with a clear error
    app = create_app(location, allow_public=allow_public, organisation=organisation)
    db = app.state.server.db
    if site_map is not None:
        db.set_site_map(db.organisation(organisation), site_map)
    created = first_admin(db, organisation)
    scheme = "https" if tls_cert else "http"
    shown = f"[{host}]" if ":" in host else host
    print(f"camaudit serve: {scheme}://{shown}:{port}/ over {location} (Ctrl-C stops it)", file=sys.stderr)
    if created:
        print(f"first start: sign in as '{created[0]}' with the one-time password {created[1]} (shown only now, "
              "stored only as its hash; create your own accounts on the Admin page)", file=sys.stderr)
    try:
        if not ipaddress.ip_address(host).is_loopback and not tls_cert:
            print("warning: serving plain HTTP beyond loopback: passwords and tokens cross the network in clear; "
                  "give --tls-cert/--tls-key or put a TLS proxy in front", file=sys.stderr)
    except ValueError:
        pass
    config = uvicorn.Config(app, log_level="warning", ssl_certfile=tls_cert, ssl_keyfile=tls_key, server_header=False)
    uvicorn.Server(config).run(sockets=[listener])
    print("camaudit serve: stopped", file=sys.stderr)
    return 130  # it runs until interrupted


def cmd_push(args: argparse.Namespace) -> int:
    from camaudit.store import open_store
    from camaudit.web.collector import Collector, PushFailed, collector_scan_id

    token = read_token(args.token_file)
    store = open_store(args.db)
    try:
        scan_id = args.scan if args.scan is not None else store.latest_scan()
        scan = store.scan(scan_id)
        try:
            collector = Collector(args.url, token, collector_scan_id(store.where, scan), scan["targets"])
            sent = collector.send_stored(store, scan_id)
        except PushFailed as exc:
            print(f"camaudit push: {exc}", file=sys.stderr)
            return 1
    finally:
        store.close()
    print(f"push: scan {scan_id}: {sent.stored} host(s) stored by the server, {sent.already} it already had; "
          f"server scan {sent.server_scan}", file=sys.stderr)
    return 0
