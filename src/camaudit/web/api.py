"""The REST API (``/api/v1``): JSON over the estate, jobs, accounts, tokens and collector pushes.

Lists are paginated (``limit``, ``offset``; the answer says ``total``). Device detail is only ever shown to
the caller's own organisation; the reviewer role sees prevalence figures and nothing else.
"""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from camaudit.report.outputs import REPORT_FORMATS, render_report
from camaudit.report.sites import SiteMapError, parse_site_map
from camaudit.store import Store
from camaudit.web import estate
from camaudit.web.app import Server, api_principal, org_of
from camaudit.web.db import Principal
from camaudit.web.jobs import JobError, ScanRequest
from camaudit.web.push import PushError, accept_push, finish_push

MAX_UPLOAD = 256 * 1024 * 1024
MEDIA = {"html": "text/html; charset=utf-8", "json": "application/json", "csv": "text/csv; charset=utf-8",
         "md": "text/markdown; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ScanJobBody(BaseModel):
    targets: list[str] = Field(min_length=1, max_length=256)
    exclude: list[str] = Field(default_factory=list, max_length=256)
    rate: float = 1000.0
    concurrency: int = 128


class MarkBody(BaseModel):
    device: str
    scan: int
    status: str = Field(pattern="^(replaced|open)$")


class UserBody(BaseModel):
    model_config = ConfigDict(extra="forbid")  # e.g. no 'organisation': always the caller's own
    username: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._@-]+$")
    role: str


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")  # e.g. no 'organisation': always the caller's own
    name: str = Field(min_length=1, max_length=200)
    role: str


class DisableBody(BaseModel):
    disabled: bool


class SitesBody(BaseModel):
    site_map: str = Field(max_length=1_000_000)


class PushBody(BaseModel):
    collector_scan: str = Field(min_length=8, max_length=100)
    targets: list[str] = Field(default_factory=list, max_length=256)
    host: dict[str, Any]


def page(items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    return {"total": len(items), "limit": limit, "offset": offset, "items": items[offset:offset + limit]}


def router(server: Server) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["api"])
    as_reader = Depends(api_principal(server, "read"))
    as_scanner = Depends(api_principal(server, "scan"))
    as_importer = Depends(api_principal(server, "import"))
    as_planner = Depends(api_principal(server, "plan"))
    as_admin = Depends(api_principal(server, "admin"))
    as_reviewer = Depends(api_principal(server, "aggregate"))
    as_pusher = Depends(api_principal(server, "push"))
    db = server.db

    store = server.store

    def report_of(s: Store, me: Principal, scan: str) -> Any:
        org = org_of(me)
        return estate.report(db, s, org, estate.pick_scan(db, s, org, scan))

    @r.get("/me", summary="Who the caller is")
    def me_(me: Principal = as_reader) -> dict[str, Any]:
        row = db.organisation_row(org_of(me))
        return {"name": me.name, "role": me.role, "via": me.via, "organisation": row["name"] if row else None}

    @r.get("/sites", summary="The organisation's site map")
    def sites(me: Principal = as_reader) -> dict[str, Any]:
        site_map = estate.site_map_of(db, org_of(me))
        return {"organisation": site_map.organisation,
                "sites": [{"name": s.name, "sensitivity": s.sensitivity, "cidrs": [str(c) for c in s.cidrs]}
                          for s in site_map.sites]}

    @r.put("/sites", summary="Replace the site map (YAML, as camaudit report --site-map reads)")
    def put_sites(body: SitesBody, me: Principal = as_admin) -> dict[str, Any]:
        try:
            parse_site_map(yaml.safe_load(body.site_map), "site map")
        except (SiteMapError, yaml.YAMLError) as exc:
            raise HTTPException(422, str(exc)) from exc
        db.set_site_map(org_of(me), body.site_map)
        db.log(me.name, org_of(me), "sites.updated")
        return sites(me)

    @r.get("/scans", summary="The organisation's scans and imports")
    def scans(me: Principal = as_reader, limit: int = Query(100, ge=1, le=1000),
              offset: int = Query(0, ge=0)) -> dict[str, Any]:
        with store() as s:
            return page(list(reversed(estate.scans(db, s, org_of(me)))), limit, offset)

    @r.get("/scans/{scan}", summary="One scan (a number, or 'latest') with its summary")
    def scan(scan: str, me: Principal = as_reader) -> dict[str, Any]:
        with store() as s:
            rep = report_of(s, me, scan)
            return {"scan": rep.scan, "summary": rep.summary(), "sites": rep.sites()}

    @r.get("/scans/{scan}/devices", summary="Devices of a scan, filtered")
    def devices(scan: str, me: Principal = as_reader, maker: str | None = None, label: str | None = None,
                verdict: str | None = Query(None, pattern="^(covered-certain|covered-probable|not-covered|"
                                            "undetermined)$"),
                site: str | None = None, kev: str | None = Query(None, pattern="^(affected|possible)$"),
                capability: str | None = None, q: str | None = None,
                limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
        with store() as s:
            rep = report_of(s, me, scan)
            flt = estate.DeviceFilter(maker, label, verdict, site, kev, capability, q)
            rows = [estate.device_summary(rep, d) for d in estate.devices(rep, flt)]
            return {**page(rows, limit, offset), "scan": rep.scan["id"], "facets": estate.facets(rep)}

    @r.get("/scans/{scan}/devices/{device}", summary="One device: identity, evidence chain and findings")
    def device(scan: str, device: str, me: Principal = as_reader) -> dict[str, Any]:
        with store() as s:
            rep = report_of(s, me, scan)
            row = estate.device(rep, device)
            return {**row.identity.to_dict(), "site": rep.site_of(row), "verdict": estate.verdict(row),
                    "open_ports": row.open_ports, "errors": row.errors, "findings": [f.to_dict() for f in row.findings]}

    @r.get("/scans/{scan}/findings", summary="Findings of a scan")
    def findings(scan: str, me: Principal = as_reader,
                 kind: str | None = Query(None, pattern="^(restriction|vulnerability|exposure|capability)$"),
                 limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
        with store() as s:
            rep = report_of(s, me, scan)
            return page([f.to_dict() for f in estate.visible_findings(rep.devices, kind)], limit, offset)

    @r.get("/scans/{scan}/plan", summary="The removal plan, with what auditors marked")
    def plan(scan: str, me: Principal = as_reader) -> dict[str, Any]:
        with store() as s:
            org = org_of(me)
            return estate.plan(db, s, org, estate.pick_scan(db, s, org, scan)).to_dict()

    @r.post("/plan/marks", summary="Mark a planned device replaced (or open again)")
    def mark(body: MarkBody, me: Principal = as_planner) -> dict[str, Any]:
        with store() as s:
            org = org_of(me)
            view = estate.plan(db, s, org, estate.pick_scan(db, s, org, str(body.scan)))
            key = view.keys.get(body.device)
            if key is None:
                raise HTTPException(404, f"no device {body.device!r} in scan {body.scan}")
            db.mark(org, key, body.status, body.scan, me.name)
            db.log(me.name, org, "plan.marked", device=body.device, key=key, status=body.status, scan=body.scan)
            return {"device": body.device, "key": key, "status": body.status}

    @r.get("/scans/{scan}/report.{fmt}", summary="The scan's report (html, json, csv, xlsx, md)")
    def report(scan: str, fmt: str, me: Principal = as_reader) -> Response:
        if fmt not in REPORT_FORMATS:
            raise HTTPException(404, f"no report format {fmt!r}: choose {', '.join(REPORT_FORMATS)}")
        with store() as s:
            rep = report_of(s, me, scan)
            body = render_report(rep, fmt)
        name = f"camaudit-scan-{rep.scan['id']}.{fmt}"
        return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @r.get("/diff", summary="What changed between two scans (default: the two latest)")
    def diff(me: Principal = as_reader, a: int | None = None, b: int | None = None) -> dict[str, Any]:
        with store() as s:
            return estate.diff(db, s, org_of(me), a, b).to_dict()

    @r.get("/aggregate", summary="Prevalence across organisations (counts only, never device detail)")
    def aggregate(me: Principal = as_reviewer) -> dict[str, Any]:
        with store() as s:
            return estate.prevalence(db, s)

    @r.get("/jobs", summary="Scans and imports started on this server")
    def jobs(me: Principal = as_reader, limit: int = Query(50, ge=1, le=500),
             offset: int = Query(0, ge=0)) -> dict[str, Any]:
        return page([server.jobs.progress(j) for j in db.jobs(org_of(me))], limit, offset)

    @r.get("/jobs/{job_id}", summary="One job with its progress")
    def job(job_id: int, me: Principal = as_reader) -> dict[str, Any]:
        row = db.job(job_id)
        if row is None or row["organisation_id"] != org_of(me):
            raise HTTPException(404, f"no job {job_id}")
        return server.jobs.progress(row)

    @r.post("/jobs/scan", status_code=202, summary="Start a scan of addresses inside the organisation's sites")
    def start_scan(body: ScanJobBody, me: Principal = as_scanner) -> dict[str, Any]:
        org = org_of(me)
        request = ScanRequest(tuple(body.targets), tuple(body.exclude), body.rate, body.concurrency)
        try:
            job_id = server.jobs.start_scan(org, me.name, request, estate.site_map_of(db, org))
        except JobError as exc:
            raise HTTPException(422, str(exc)) from exc
        db.log(me.name, org, "scan.started", job=job_id, **request.to_dict())
        return job(job_id, me)

    @r.post("/jobs/import", status_code=202, summary="Import a file (register, Nmap XML, pcap, Zeek, ...)")
    async def start_import(file: Annotated[UploadFile, File()], format: Annotated[str, Form()] = "auto",
                           me: Principal = as_importer) -> dict[str, Any]:
        data = await file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise HTTPException(413, f"files over {MAX_UPLOAD // (1024 * 1024)} MiB: use camaudit import --push")
        org = org_of(me)
        job_id = server.jobs.start_import(org, me.name, file.filename or "upload", data, format)
        db.log(me.name, org, "import.started", job=job_id, file=file.filename, bytes=len(data))
        return job(job_id, me)

    @r.post("/push", summary="A collector's result for one host (idempotent per collector scan and address)")
    def push(body: PushBody, me: Principal = as_pusher) -> dict[str, Any]:
        org = org_of(me)
        try:
            return accept_push(server, org, me.name, body.collector_scan, body.targets, body.host)
        except PushError as exc:
            raise HTTPException(exc.status, str(exc)) from exc

    @r.post("/push/{collector_scan}/finish", summary="A collector's scan is complete")
    def push_finish(collector_scan: str, me: Principal = as_pusher) -> dict[str, Any]:
        try:
            return finish_push(server, org_of(me), me.name, collector_scan)
        except PushError as exc:
            raise HTTPException(exc.status, str(exc)) from exc

    @r.get("/users", summary="Accounts of the organisation")
    def users(me: Principal = as_admin) -> dict[str, Any]:
        return {"items": db.users(org_of(me))}

    @r.post("/users", status_code=201, summary="Create an account in your organisation; its one-time password is "
            "returned once")
    def add_user(body: UserBody, me: Principal = as_admin) -> dict[str, Any]:
        try:
            user_id, password = estate.grant(db, me, "account", body.username, body.role)
        except estate.Refused as exc:
            raise HTTPException(409 if "exists" in str(exc) else 422, str(exc)) from exc
        return {"id": user_id, "username": body.username, "role": body.role, "password": password}

    @r.post("/users/{user_id}/disabled", summary="Disable (true) or enable (false) an account of your organisation")
    def disable_user(user_id: int, body: DisableBody, me: Principal = as_admin) -> dict[str, Any]:
        with store():  # a NotFound becomes 404 there
            estate.set_account_disabled(db, me, user_id, body.disabled)
        return {"id": user_id, "disabled": body.disabled}

    @r.get("/tokens", summary="API tokens of the organisation (never the token itself)")
    def tokens(me: Principal = as_admin) -> dict[str, Any]:
        return {"items": db.tokens(org_of(me))}

    @r.post("/tokens", status_code=201, summary="Create an API token in your organisation; it is shown once")
    def add_token(body: TokenBody, me: Principal = as_admin) -> dict[str, Any]:
        try:
            token_id, token = estate.grant(db, me, "token", body.name, body.role)
        except estate.Refused as exc:
            raise HTTPException(422, str(exc)) from exc
        return {"id": token_id, "name": body.name, "role": body.role, "token": token}

    @r.delete("/tokens/{token_id}", summary="Revoke an API token")
    def revoke(token_id: int, me: Principal = as_admin) -> dict[str, Any]:
        if not db.revoke_token(token_id, org_of(me)):
            raise HTTPException(404, f"no live token {token_id} in this organisation")
        db.log(me.name, org_of(me), "token.revoked", token=token_id)
        return {"id": token_id, "revoked": True}

    @r.get("/audit", summary="Who did what, newest first")
    def audit(me: Principal = as_admin) -> dict[str, Any]:
        return {"items": db.audit(org_of(me))}

    return r
