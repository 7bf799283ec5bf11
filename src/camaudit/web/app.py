"""``camaudit serve``: the REST API and the dashboard, one FastAPI application.

Every route but the login page needs authentication: an API token (``Authorization: Bearer cat_...``) or a
signed-in session (cookie). A request without either gets 401 from the API and a redirect to the login
page from the dashboard. Requests made with a session cookie that change anything must carry the session's
CSRF token (a form field, or the ``X-CSRF-Token`` header); token requests carry no cookie, so need none.
Pages run no scripts: the Content-Security-Policy forbids them, so text a device sent can never run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from camaudit import __version__
from camaudit.report import insights
from camaudit.store import Store, StoreError, open_store
from camaudit.web import security
from camaudit.web.db import Principal, ServerDB
from camaudit.web.jobs import JobRunner

SESSION_COOKIE = "camaudit_session"
SESSION_LIFETIME = 8 * 3600.0
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


class LoginRequired(Exception):
    """A page asked for without a session: the browser goes to the login page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class ElsewhereForRole(Exception):
    """A signed-in account asked for a page its role does not show (a reviewer sees prevalence only)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


@dataclass
class Server:
    """What every route needs: the databases, the job runner, the login limiter and the templates."""

    location: str
    db: ServerDB
    jobs: JobRunner
    limiter: security.LoginLimiter = field(default_factory=security.LoginLimiter)
    templates: Environment = field(init=False)

    def __post_init__(self) -> None:
        self.templates = Environment(
            loader=ChoiceLoader([PackageLoader("camaudit", "web/templates"),
                                 PackageLoader("camaudit", "report/templates")]),
            autoescape=select_autoescape(["html"]),
        )
        self.templates.filters["slug"] = insights.slug
        self.templates.globals["version"] = __version__

    def principal(self, request: Request) -> Principal | None:
        """Who sent the request (cached on it), or None."""
        if "principal" in request.scope:
            cached: Principal | None = request.scope["principal"]
            return cached
        found = self._find_principal(request)
        request.scope["principal"] = found
        return found

    def _find_principal(self, request: Request) -> Principal | None:
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            row = self.db.token(security.digest(header[7:].strip()))
            if row is None:
                return None
            return Principal(f"token:{row['name']}", row["role"], row["organisation_id"], "token")
        sid = request.cookies.get(SESSION_COOKIE)
        if not sid:
            return None
        session = self.db.session(security.digest(sid))
        if session is None:
            return None
        user = self.db.user_by_id(int(session["user_id"]))
        if user is None or user["disabled"]:
            return None
        return Principal(user["username"], user["role"], user["organisation_id"], "session", session["csrf"],
                         int(user["id"]))

    def check_csrf(self, request: Request, principal: Principal, form: dict[str, Any] | None = None) -> None:
        if request.method in SAFE_METHODS or principal.via != "session":
            return
        sent = request.headers.get("x-csrf-token") or str((form or {}).get("csrf_token") or "")
        if not principal.csrf or not sent or not security.same(sent, principal.csrf):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")

    @contextlib.contextmanager
    def store(self) -> Iterator[Store]:
        """The scan store for one request; a scan or device the organisation does not have is a 404."""
        from camaudit.web.estate import NotFound

        s = open_store(self.location)
        try:
            yield s
        except (NotFound, StoreError) as exc:
            raise HTTPException(404, str(exc)) from exc
        finally:
            s.close()

    def render(self, name: str, request: Request, status: int = 200, **context: Any) -> Response:
        principal = self.principal(request)
        html = self.templates.get_template(name).render(request=request, me=principal,
                                                        csrf=principal.csrf if principal else "", **context)
        return Response(html, status_code=status, media_type="text/html; charset=utf-8")


def org_of(principal: Principal) -> int:
    """The caller's organisation (a reviewer has none: only prevalence figures are theirs)."""
    if principal.organisation_id is None:
        raise HTTPException(403, "this account belongs to no organisation")
    return int(principal.organisation_id)


def api_principal(server: Server, action: str) -> Callable[[Request], Principal]:
    """A dependency: the caller, allowed to do ``action``; else 401 (nobody) or 403 (not allowed)."""

    def dependency(request: Request) -> Principal:
        principal = server.principal(request)
        if principal is None:
            raise HTTPException(401, "authentication required: sign in, or send 'Authorization: Bearer <token>'",
                                headers={"WWW-Authenticate": "Bearer"})
        server.check_csrf(request, principal)
        if not security.allowed(principal.role, action):
            raise HTTPException(403, f"the {principal.role} role may not {action}")
        return principal

    return dependency


def page_principal(server: Server, action: str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency for pages: as :func:`api_principal`, but nobody signed in goes to the login page."""

    async def dependency(request: Request) -> Principal:
        principal = server.principal(request)
        if principal is None:
            raise LoginRequired(request.url.path)
        if request.method not in SAFE_METHODS:
            form = dict(await request.form())
            server.check_csrf(request, principal, form)
        if not security.allowed(principal.role, action):
            if principal.role == "reviewer" and request.method in SAFE_METHODS:
                raise ElsewhereForRole("/aggregate")
            raise HTTPException(403, f"the {principal.role} role may not {action}")
        return principal

    return dependency


def create_app(location: str, allow_public: bool = False, organisation: str | None = None) -> FastAPI:
    """The application over the store at ``location`` (a SQLite path or a database URL)."""
    from camaudit.web import api, pages

    db = ServerDB(location)
    if organisation:
        db.organisation(organisation)
    server = Server(location, db, JobRunner(db, location, allow_public))
    app = FastAPI(title="camaudit", version=__version__, openapi_url=None, docs_url=None, redoc_url=None,
                  description="The camaudit estate over HTTP: scans, devices with their evidence, findings, the "
                  "removal plan, diffs, reports and jobs. Every route needs a token or a session.")
    app.state.server = server

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.path)}", status_code=303)

    @app.exception_handler(ElsewhereForRole)
    async def elsewhere(request: Request, exc: ElsewhereForRole) -> Response:
        return RedirectResponse(exc.path, status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return server.render("error.html", request, status=exc.status_code, status_code=exc.status_code,
                             detail=exc.detail)

    app.include_router(api.router(server))
    app.include_router(pages.router(server))

    @app.get("/api/v1/openapi.json", tags=["meta"], summary="This API's OpenAPI document")
    def openapi(request: Request) -> dict[str, Any]:
        api_principal(server, "read" if (p := server.principal(request)) is None or p.role != "reviewer"
                      else "aggregate")(request)
        return app.openapi()

    return app


def first_admin(db: ServerDB, organisation: str) -> tuple[str, str] | None:
    """On a server with no accounts: an ``admin`` account with a one-time password (returned once, stored
    only as its argon2 hash). None when accounts exist."""
    if db.user_count():
        return None
    password = security.new_password()
    db.add_user("admin", security.hash_password(password), "admin", db.organisation(organisation))
    db.log("camaudit serve", None, "account.created", username="admin", role="admin", reason="first start")
    return "admin", password
