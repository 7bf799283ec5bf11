"""What the server keeps beside the scans: organisations, accounts, sessions, API tokens, jobs, plan marks
and the audit log. SQLAlchemy Core, so the same code runs on the SQLite file and on PostgreSQL.

Secrets are stored only as hashes: passwords with argon2 (``web/security.py``), session ids and API tokens
with SHA-256 (they are long random strings, so a slow hash adds nothing). Device credentials never reach
this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    func,
    insert,
    select,
    update,
)

from camaudit.store.core import sqlalchemy_url

ROLES = ("viewer", "auditor", "admin", "reviewer")

metadata = MetaData()

organisations = Table(
    "web_organisations", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("site_map", Text, nullable=True),  # the YAML site map, as camaudit report --site-map reads it
    Column("created_at", String(32), nullable=False),
)
users = Table(
    "web_users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("organisation_id", Integer, ForeignKey("web_organisations.id"), nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("disabled", Integer, nullable=False, default=0),
)
sessions = Table(
    "web_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("web_users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", String(32), nullable=False),
)
tokens = Table(
    "web_tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("organisation_id", Integer, ForeignKey("web_organisations.id"), nullable=True),
    Column("role", String(20), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("revoked_at", String(32), nullable=True),
)
scan_owners = Table(  # an imported file identical to one another organisation imported is shared, not lost
    "web_scan_owners", metadata,
    Column("scan_id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("web_organisations.id"), primary_key=True),
)
jobs = Table(
    "web_jobs", metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("web_organisations.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_by", String(100), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("finished_at", String(32), nullable=True),
    Column("request", JSON, nullable=False),
    Column("done", Integer, nullable=False, default=0),
    Column("total", Integer, nullable=True),
    Column("scan_id", Integer, nullable=True),
    Column("message", Text, nullable=True),
)
marks = Table(
    "web_plan_marks", metadata,
    Column("organisation_id", Integer, ForeignKey("web_organisations.id"), nullable=False),
    Column("device_key", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("scan_id", Integer, nullable=False),
    Column("marked_by", String(100), nullable=False),
    Column("marked_at", String(32), nullable=False),
    UniqueConstraint("organisation_id", "device_key"),
)
audit_log = Table(
    "web_audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", String(32), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("organisation_id", Integer, nullable=True),
    Column("action", String(60), nullable=False),
    Column("detail", JSON, nullable=False),
)
pushes = Table(  # what collectors sent, so a re-sent host after a broken connection is not stored twice
    "web_pushes", metadata,
    Column("organisation_id", Integer, nullable=False),
    Column("collector_scan", String(100), nullable=False),
    Column("scan_id", Integer, nullable=False),
    Column("address", String(64), nullable=False),
    UniqueConstraint("organisation_id", "collector_scan", "address"),
)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def later(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user or an API token."""

    name: str
    role: str
    organisation_id: int | None
    via: str  # "session" or "token"
    csrf: str | None = None
    user_id: int | None = None


class ServerDB:
    def __init__(self, location: str) -> None:
        self.engine: Engine = create_engine(sqlalchemy_url(location), future=True)
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def _rows(self, stmt: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def _one(self, stmt: Any) -> dict[str, Any] | None:
        rows = self._rows(stmt)
        return rows[0] if rows else None

    def _write(self, stmt: Any) -> Any:
        with self.engine.begin() as conn:
            return conn.execute(stmt)

    # organisations --------------------------------------------------------------------------------
    def organisation(self, name: str) -> int:
        """The id of organisation ``name``, created if new."""
        row = self._one(select(organisations.c.id).where(organisations.c.name == name))
        if row:
            return int(row["id"])
        result = self._write(insert(organisations).values(name=name, created_at=now()))
        return int(result.inserted_primary_key[0])

    def organisations(self) -> list[dict[str, Any]]:
        return self._rows(select(organisations).order_by(organisations.c.id))

    def organisation_row(self, org_id: int) -> dict[str, Any] | None:
        return self._one(select(organisations).where(organisations.c.id == org_id))

    def set_site_map(self, org_id: int, text: str | None) -> None:
        self._write(update(organisations).where(organisations.c.id == org_id).values(site_map=text))

    # accounts -------------------------------------------------------------------------------------
    def user_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(users)).scalar_one())

    def add_user(self, username: str, password_hash: str, role: str, organisation_id: int | None) -> int:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        result = self._write(insert(users).values(username=username, password_hash=password_hash, role=role,
                                                  organisation_id=organisation_id, created_at=now(), disabled=0))
        return int(result.inserted_primary_key[0])

    def user(self, username: str) -> dict[str, Any] | None:
        return self._one(select(users).where(users.c.username == username))

    def user_by_id(self, user_id: int) -> dict[str, Any] | None:
        return self._one(select(users).where(users.c.id == user_id))

    def users(self, organisation_id: int | None = None) -> list[dict[str, Any]]:
        """Accounts (never their hashes); with an organisation, only its own."""
        cols = [users.c.id, users.c.username, users.c.role, users.c.organisation_id, users.c.created_at,
                users.c.disabled]
        stmt = select(*cols).order_by(users.c.id)
        if organisation_id is not None:
            stmt = stmt.where(users.c.organisation_id == organisation_id)
        return self._rows(stmt)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self._write(update(users).where(users.c.id == user_id).values(password_hash=password_hash))

    def set_disabled(self, user_id: int, organisation_id: int, disabled: bool) -> bool:
        """Disable (or enable) an account of the organisation; its sessions end at once."""
        stmt = update(users).where(users.c.id == user_id, users.c.organisation_id == organisation_id)
        done = bool(self._write(stmt.values(disabled=int(disabled))).rowcount)
        if done and disabled:
            self._write(delete(sessions).where(sessions.c.user_id == user_id))
        return done

    def drop_sessions(self, user_id: int, keep: str | None = None) -> None:
        stmt = delete(sessions).where(sessions.c.user_id == user_id)
        if keep:
            stmt = stmt.where(sessions.c.id_hash != keep)
        self._write(stmt)

    # sessions -------------------------------------------------------------------------------------
    def add_session(self, id_hash: str, user_id: int, csrf: str, lifetime: float) -> None:
        self._write(insert(sessions).values(id_hash=id_hash, user_id=user_id, csrf=csrf, expires_at=later(lifetime)))

    def session(self, id_hash: str) -> dict[str, Any] | None:
        row = self._one(select(sessions).where(sessions.c.id_hash == id_hash))
        if row is None or row["expires_at"] < now():
            return None
        return row

    def drop_session(self, id_hash: str) -> None:
        self._write(delete(sessions).where(sessions.c.id_hash == id_hash))

    # API tokens -----------------------------------------------------------------------------------
    def add_token(self, name: str, token_hash: str, organisation_id: int | None, role: str, created_by: str) -> int:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        result = self._write(insert(tokens).values(name=name, token_hash=token_hash, organisation_id=organisation_id,
                                                   role=role, created_by=created_by, created_at=now()))
        return int(result.inserted_primary_key[0])

    def token(self, token_hash: str) -> dict[str, Any] | None:
        return self._one(select(tokens).where(tokens.c.token_hash == token_hash, tokens.c.revoked_at.is_(None)))

    def tokens(self, organisation_id: int | None) -> list[dict[str, Any]]:
        cols = [tokens.c.id, tokens.c.name, tokens.c.organisation_id, tokens.c.role, tokens.c.created_by,
                tokens.c.created_at, tokens.c.revoked_at]
        stmt = select(*cols).order_by(tokens.c.id)
        if organisation_id is not None:
            stmt = stmt.where(tokens.c.organisation_id == organisation_id)
        return self._rows(stmt)

    def revoke_token(self, token_id: int, organisation_id: int | None) -> bool:
        stmt = update(tokens).where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None)).values(revoked_at=now())
        if organisation_id is not None:
            stmt = stmt.where(tokens.c.organisation_id == organisation_id)
        return bool(self._write(stmt).rowcount)

    # scans, jobs, marks ---------------------------------------------------------------------------
    def own_scan(self, scan_id: int, organisation_id: int) -> None:
        if self._one(select(scan_owners).where(scan_owners.c.scan_id == scan_id,
                                               scan_owners.c.organisation_id == organisation_id)) is None:
            self._write(insert(scan_owners).values(scan_id=scan_id, organisation_id=organisation_id))

    def owned_scans(self) -> dict[int, set[int]]:
        """Scan id -> the organisations it belongs to."""
        out: dict[int, set[int]] = {}
        for r in self._rows(select(scan_owners)):
            out.setdefault(int(r["scan_id"]), set()).add(int(r["organisation_id"]))
        return out

    def add_job(self, organisation_id: int, kind: str, started_by: str, request: dict[str, Any]) -> int:
        result = self._write(insert(jobs).values(organisation_id=organisation_id, kind=kind, status="queued",
                                                 started_by=started_by, created_at=now(), request=request, done=0))
        return int(result.inserted_primary_key[0])

    def update_job(self, job_id: int, **values: Any) -> None:
        if values.get("status") in ("complete", "failed", "interrupted"):
            values["finished_at"] = now()
        self._write(update(jobs).where(jobs.c.id == job_id).values(**values))

    def job(self, job_id: int) -> dict[str, Any] | None:
        return self._one(select(jobs).where(jobs.c.id == job_id))

    def jobs(self, organisation_id: int) -> list[dict[str, Any]]:
        return self._rows(select(jobs).where(jobs.c.organisation_id == organisation_id).order_by(jobs.c.id.desc()))

    def mark(self, organisation_id: int, device_key: str, status: str, scan_id: int, by: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(marks).where(marks.c.organisation_id == organisation_id,
                                             marks.c.device_key == device_key))
            if status != "open":
                conn.execute(insert(marks).values(organisation_id=organisation_id, device_key=device_key,
                                                  status=status, scan_id=scan_id, marked_by=by, marked_at=now()))

    def marks(self, organisation_id: int) -> dict[str, dict[str, Any]]:
        rows = self._rows(select(marks).where(marks.c.organisation_id == organisation_id))
        return {r["device_key"]: r for r in rows}

    def pushed(self, organisation_id: int, collector_scan: str) -> tuple[int | None, set[str]]:
        rows = self._rows(select(pushes).where(pushes.c.organisation_id == organisation_id,
                                               pushes.c.collector_scan == collector_scan))
        return (int(rows[0]["scan_id"]) if rows else None), {r["address"] for r in rows}

    def record_push(self, organisation_id: int, collector_scan: str, scan_id: int, address: str) -> None:
        self._write(insert(pushes).values(organisation_id=organisation_id, collector_scan=collector_scan,
                                          scan_id=scan_id, address=address))

    # audit log ------------------------------------------------------------------------------------
    def log(self, actor: str, organisation_id: int | None, action: str, **detail: Any) -> None:
        self._write(insert(audit_log).values(at=now(), actor=actor, organisation_id=organisation_id, action=action,
                                             detail=detail))

    def audit(self, organisation_id: int | None, limit: int = 200) -> list[dict[str, Any]]:
        stmt = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if organisation_id is not None:
            stmt = stmt.where(audit_log.c.organisation_id == organisation_id)
        return self._rows(stmt)
