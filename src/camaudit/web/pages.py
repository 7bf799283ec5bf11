"""The dashboard: server-rendered pages (Jinja2, no scripts), one route per page, over the same estate
functions as the API. Forms that change anything carry the session's CSRF token."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from camaudit.report import insights
from camaudit.report.html import CHART_WIDTH
from camaudit.report.sites import SiteMapError, parse_site_map
from camaudit.web import estate, security
from camaudit.web.app import SESSION_COOKIE, SESSION_LIFETIME, Server, org_of, page_principal
from camaudit.web.db import ROLES, Principal
from camaudit.web.jobs import JobError, ScanRequest

LOGIN_CSRF_COOKIE = "camaudit_login_csrf"
PAGE_SIZE = 50


def _next(target: str | None) -> str:
    """Only a path on this server: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def router(server: Server) -> APIRouter:
    r = APIRouter(tags=["pages"])
    as_reader = Depends(page_principal(server, "read"))
    as_scanner = Depends(page_principal(server, "scan"))
    as_planner = Depends(page_principal(server, "plan"))
    as_admin = Depends(page_principal(server, "admin"))
    as_reviewer = Depends(page_principal(server, "aggregate"))
    as_anyone = Depends(page_principal(server, "any"))
    db = server.db

    store = server.store


    # signing in -----------------------------------------------------------------------------------
    @r.get("/login", summary="The sign-in page (the only page open without a session)")
    def login_page(request: Request, next: str = "/", error: str | None = None) -> Response:
        token = security.new_secret()
        response = server.render("login.html", request, next=_next(next), error=error, login_csrf=token)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                            max_age=3600)
        return response

    @r.post("/login", summary="Sign in")
    async def login(request: Request) -> Response:
        form = await request.form()
        username, password = str(form.get("username") or ""), str(form.get("password") or "")
        target = _next(str(form.get("next") or "/"))
        cookie, sent = request.cookies.get(LOGIN_CSRF_COOKIE, ""), str(form.get("csrf_token") or "")
        if not cookie or not sent or not security.same(cookie, sent):
            return server.render("login.html", request, status=403, next=target, login_csrf=cookie,
                                 error="the sign-in form expired: try again")
        client = request.client.host if request.client else "unknown"
        keys = (f"user:{username.lower()}@{client}", f"client:{client}")
        wait = server.limiter.blocked(*keys)
        if wait:
            db.log(username or "?", None, "login.throttled", client=client)
            return server.render("login.html", request, status=429, next=target, login_csrf=cookie,
                                 error=f"too many failed sign-ins: wait {int(wait) + 1} s")
        user = db.user(username)
        if user is None:
            security.check_unknown_user(password)
        if user is None or user["disabled"] or not security.check_password(user["password_hash"], password):
            server.limiter.failed(*keys)
            db.log(username or "?", None, "login.failed", client=client)
            return server.render("login.html", request, status=401, next=target, login_csrf=cookie,
                                 error="wrong user name or password")
        server.limiter.succeeded(*keys)
        if security.needs_rehash(user["password_hash"]):
            db.set_password_hash(int(user["id"]), security.hash_password(password))
        sid = security.new_secret()
        db.add_session(security.digest(sid), int(user["id"]), security.new_secret(), SESSION_LIFETIME)
        db.log(username, user["organisation_id"], "login", client=client)
        response = RedirectResponse("/aggregate" if user["role"] == "reviewer" and target == "/" else target, 303)
        response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", secure=_secure(request),
                            max_age=int(SESSION_LIFETIME))
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @r.get("/account", summary="Your account: change your password")
    def account(request: Request, me: Principal = as_anyone, changed: str | None = None) -> Response:
        return server.render("account.html", request, changed=changed, error=None)

    @r.post("/account", summary="Change your password")
    async def change_password(request: Request, me: Principal = as_anyone) -> Response:
        form = await request.form()
        current, new = str(form.get("current") or ""), str(form.get("new") or "")
        user = db.user_by_id(me.user_id or -1)
        if user is None or not security.check_password(user["password_hash"], current):
            return server.render("account.html", request, status=403, changed=None,
                                 error="the current password is wrong")
        if len(new) < 12 or new != str(form.get("again") or ""):
            return server.render("account.html", request, status=422, changed=None,
                                 error="the new password needs at least 12 characters, typed the same twice")
        db.set_password_hash(int(user["id"]), security.hash_password(new))
        sid = request.cookies.get(SESSION_COOKIE)
        db.drop_sessions(int(user["id"]), keep=security.digest(sid) if sid else None)  # other sessions end
        db.log(me.name, me.organisation_id, "account.password_changed")
        return RedirectResponse("/account?changed=1", 303)

    @r.post("/logout", summary="Sign out")
    def logout(request: Request, me: Principal = as_anyone) -> Response:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            db.drop_session(security.digest(sid))
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # the estate -----------------------------------------------------------------------------------
    @r.get("/", summary="The estate summary")
    def summary(request: Request, me: Principal = as_reader, scan: str | None = None) -> Response:
        with store() as s:
            org = org_of(me)
            try:
                scan_id = estate.pick_scan(db, s, org, scan)
            except estate.NotFound as exc:
                return server.render("empty.html", request, message=str(exc))
            rep = estate.report(db, s, org, scan_id)
            numbers = rep.summary()
            covered = tuple(sorted({m for g in rep.regimes for m in g.covers}))
            return server.render(
                "summary.html", request, report=rep, summary=numbers,
                executive_summary=insights.executive_summary(rep),
                maker_bars=insights.bars(numbers["by_manufacturer"], CHART_WIDTH - 130, highlight=covered),
                label_bars=insights.bars(numbers["by_label"], CHART_WIDTH - 130, highlight=covered),
                status_rows=insights.status_by_site(rep), status_legend=insights.STATUS_COLOURS,
                kev_bars=insights.kev_bars(rep, CHART_WIDTH - 270),
                capability_bars=insights.bars(numbers["by_capability"], CHART_WIDTH - 150, colour="#6f42c1"),
                burn=insights.burn_down_chart(rep), scans=list(reversed(estate.scans(db, s, org))))

    @r.get("/devices", summary="Devices, filtered and searched")
    def devices(request: Request, me: Principal = as_reader, scan: str | None = None, maker: str | None = None,
                label: str | None = None, verdict: str | None = None, site: str | None = None,
                kev: str | None = None, capability: str | None = None, q: str | None = None,
                offset: int = 0) -> Response:
        with store() as s:
            org = org_of(me)
            rep = estate.report(db, s, org, estate.pick_scan(db, s, org, scan))
            flt = estate.DeviceFilter(maker or None, label or None, verdict or None, site or None, kev or None,
                                      capability or None, q or None)
            rows = estate.devices(rep, flt)
            offset = max(0, offset)
            shown = [estate.device_summary(rep, d) for d in rows[offset:offset + PAGE_SIZE]]
            return server.render("devices.html", request, report=rep, rows=shown, total=len(rows), offset=offset,
                                 page_size=PAGE_SIZE, facets=estate.facets(rep), flt=flt)

    @r.get("/devices/{device}", summary="One device: identity, evidence chain and sources")
    def device(request: Request, device: str, me: Principal = as_reader, scan: str | None = None) -> Response:
        with store() as s:
            org = org_of(me)
            rep = estate.report(db, s, org, estate.pick_scan(db, s, org, scan))
            row = estate.device(rep, device)
            return server.render("device.html", request, report=rep, row=row, site=rep.site_of(row),
                                 verdict=estate.verdict(row))

    @r.get("/sites", summary="Sites and their status")
    def sites(request: Request, me: Principal = as_reader, saved: str | None = None) -> Response:
        with store() as s:
            org = org_of(me)
            row = db.organisation_row(org) or {}
            try:
                rep = estate.report(db, s, org, estate.pick_scan(db, s, org, None))
                status = rep.sites()
            except estate.NotFound:
                rep, status = None, []
            return server.render("sites.html", request, status=200, report=rep, site_rows=status,
                                 site_map=row.get("site_map") or "", can_edit=security.allowed(me.role, "admin"),
                                 saved=saved, burn=insights.burn_down_chart(rep) if rep else None)

    @r.post("/sites", summary="Replace the site map")
    async def save_sites(request: Request, me: Principal = as_admin) -> Response:
        text = str((await request.form()).get("site_map") or "")
        try:
            parse_site_map(yaml.safe_load(text), "site map")
        except (SiteMapError, yaml.YAMLError) as exc:
            raise HTTPException(422, f"the site map was not saved: {exc}") from exc
        db.set_site_map(org_of(me), text)
        db.log(me.name, org_of(me), "sites.updated")
        return RedirectResponse("/sites?saved=1", 303)

    @r.get("/plan", summary="The removal plan")
    def plan(request: Request, me: Principal = as_reader, scan: str | None = None) -> Response:
        with store() as s:
            org = org_of(me)
            scan_id = estate.pick_scan(db, s, org, scan)
            view = estate.plan(db, s, org, scan_id)
            return server.render("plan_page.html", request, view=view, scan_id=scan_id,
                                 confirmed=estate.confirmed_removals(db, s, org, scan_id),
                                 can_mark=security.allowed(me.role, "plan"))

    @r.post("/plan/mark", summary="Mark a planned device replaced, or open again")
    async def mark(request: Request, me: Principal = as_planner) -> Response:
        form = await request.form()
        device, status = str(form.get("device") or ""), str(form.get("status") or "")
        try:
            scan_id = int(str(form.get("scan") or ""))
        except ValueError as exc:
            raise HTTPException(422, "no scan given") from exc
        if status not in ("replaced", "open"):
            raise HTTPException(422, "status must be replaced or open")
        with store() as s:
            org = org_of(me)
            view = estate.plan(db, s, org, estate.pick_scan(db, s, org, str(scan_id)))
            key = view.keys.get(device)
            if key is None:
                raise HTTPException(404, f"no device {device!r} in scan {scan_id}")
            db.mark(org, key, status, scan_id, me.name)
            db.log(me.name, org, "plan.marked", device=device, key=key, status=status, scan=scan_id)
        return RedirectResponse(f"/plan?scan={scan_id}", 303)

    # jobs -----------------------------------------------------------------------------------------
    @r.get("/scans", summary="Scans, imports and jobs")
    def scans(request: Request, me: Principal = as_reader) -> Response:
        with store() as s:
            org = org_of(me)
            return server.render("scans.html", request, scans=list(reversed(estate.scans(db, s, org))),
                                 jobs=[server.jobs.progress(j) for j in db.jobs(org)[:20]],
                                 can_scan=security.allowed(me.role, "scan"))

    @r.post("/scans", summary="Start a scan")
    async def start_scan(request: Request, me: Principal = as_scanner) -> Response:
        form = await request.form()
        targets = tuple(str(form.get("targets") or "").replace(",", " ").split())
        exclude = tuple(str(form.get("exclude") or "").replace(",", " ").split())
        org = org_of(me)
        request_ = ScanRequest(targets, exclude)
        try:
            job_id = server.jobs.start_scan(org, me.name, request_, estate.site_map_of(db, org))
        except JobError as exc:
            raise HTTPException(422, f"the scan was not started: {exc}") from exc
        db.log(me.name, org, "scan.started", job=job_id, **request_.to_dict())
        return RedirectResponse(f"/jobs/{job_id}", 303)

    @r.post("/imports", summary="Import a file")
    async def start_import(request: Request, me: Principal = as_scanner) -> Response:
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(422, "choose a file to import")
        data = await upload.read()
        org = org_of(me)
        job_id = server.jobs.start_import(org, me.name, upload.filename or "upload", data,
                                          str(form.get("format") or "auto"))
        db.log(me.name, org, "import.started", job=job_id, file=upload.filename, bytes=len(data))
        return RedirectResponse(f"/jobs/{job_id}", 303)

    @r.get("/jobs/{job_id}", summary="A job's progress")
    def job(request: Request, job_id: int, me: Principal = as_reader) -> Response:
        row = db.job(job_id)
        if row is None or row["organisation_id"] != org_of(me):
            raise HTTPException(404, f"no job {job_id}")
        return server.render("job.html", request, job=server.jobs.progress(row))

    # administration -------------------------------------------------------------------------------
    def admin_page(request: Request, me: Principal, created: dict[str, str] | None = None) -> Response:
        org = org_of(me)
        return server.render("admin.html", request, users=db.users(org), tokens=db.tokens(org), audit=db.audit(org, 50),
                             roles=ROLES, created=created)

    async def grant_from_form(request: Request, me: Principal, kind: str, name_field: str) -> Response:
        """An account or an API token ("account", "token") from the admin form; its secret is shown once."""
        form = await request.form()
        name, role = str(form.get(name_field) or "").strip(), str(form.get("role") or "")
        try:
            _id, secret = estate.grant(db, me, kind, name, role)
        except estate.Refused as exc:
            raise HTTPException(422, str(exc)) from exc
        return admin_page(request, me, {"what": f"{kind} {name} ({role})", "secret": secret})

    @r.get("/admin", summary="Accounts, API tokens and the audit log")
    def admin(request: Request, me: Principal = as_admin) -> Response:
        return admin_page(request, me)

    @r.post("/admin/users", summary="Create an account")
    async def add_user(request: Request, me: Principal = as_admin) -> Response:
        return await grant_from_form(request, me, "account", "username")

    @r.post("/admin/users/{user_id}/{action}", summary="Disable an account (its sessions end), or enable it again")
    def disable_user(user_id: int, action: str, me: Principal = as_admin) -> Response:
        if action not in ("disable", "enable"):
            raise HTTPException(404, f"no action {action!r}: disable or enable")
        try:
            estate.set_account_disabled(db, me, user_id, action == "disable")
        except estate.NotFound as exc:
            raise HTTPException(404, str(exc)) from exc
        return RedirectResponse("/admin", 303)

    @r.post("/admin/tokens", summary="Create an API token")
    async def add_token(request: Request, me: Principal = as_admin) -> Response:
        return await grant_from_form(request, me, "token", "name")

    @r.post("/admin/tokens/{token_id}/revoke", summary="Revoke an API token")
    def revoke(token_id: int, me: Principal = as_admin) -> Response:
        if not db.revoke_token(token_id, org_of(me)):
            raise HTTPException(404, f"no live token {token_id}")
        db.log(me.name, org_of(me), "token.revoked", token=token_id)
        return RedirectResponse("/admin", 303)

    @r.get("/aggregate", summary="Prevalence across organisations (counts only)")
    def aggregate(request: Request, me: Principal = as_reviewer) -> Response:
        with store() as s:
            figures: dict[str, Any] = estate.prevalence(db, s)
        return server.render("aggregate.html", request, figures=figures)

    return r
