"""The server's own tables (accounts, sessions, tokens, jobs, plan marks, pushes, the audit log) on SQLite and
on a real PostgreSQL (started by scripts/with-postgres.sh, which `make test` runs the suite under)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from camaudit.web import security
from camaudit.web.db import ServerDB


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerDB]:
    if request.param == "sqlite":
        location = str(tmp_path / "server.db")
    else:
        url = os.environ.get("CAMAUDIT_TEST_POSTGRES")
        if not url:
            pytest.skip("no PostgreSQL for the tests: run under scripts/with-postgres.sh (make test does)")
        pytest.importorskip("psycopg")
        location = url
    server = ServerDB(location)
    yield server
    server.close()


def test_accounts_tokens_marks_pushes_and_audit(db: ServerDB) -> None:
    tag = uuid.uuid4().hex[:8]  # a PostgreSQL database outlives one test: names of our own
    org = db.organisation(f"Council {tag}")
    assert db.organisation(f"Council {tag}") == org
    user = db.add_user(f"alice-{tag}", security.hash_password("pw"), "auditor", org)
    row = db.user(f"alice-{tag}")
    assert row is not None and row["id"] == user and security.check_password(row["password_hash"], "pw")
    db.add_session(security.digest(f"sid-{tag}"), user, "csrf", 60)
    assert db.session(security.digest(f"sid-{tag}"))["user_id"] == user  # type: ignore[index]
    db.add_session(security.digest(f"old-{tag}"), user, "csrf", -60)
    assert db.session(security.digest(f"old-{tag}")) is None  # expired
    token = security.new_token()
    token_id = db.add_token("collector", security.digest(token), org, "auditor", "alice")
    assert db.token(security.digest(token))["role"] == "auditor"  # type: ignore[index]
    assert db.revoke_token(token_id, org) and db.token(security.digest(token)) is None
    assert not db.revoke_token(token_id, org)  # already revoked
    job = db.add_job(org, "scan", "alice", {"targets": ["127.0.0.1"], "note": "ünïcode"})
    db.update_job(job, status="complete", done=1, total=1)
    assert db.job(job)["request"]["note"] == "ünïcode" and db.job(job)["finished_at"]  # type: ignore[index]
    db.mark(org, "mac:4419b6000001", "replaced", 3, "alice")
    db.mark(org, "mac:4419b6000001", "replaced", 4, "alice")  # marked again: one mark, the latest
    assert db.marks(org)["mac:4419b6000001"]["scan_id"] == 4
    db.mark(org, "mac:4419b6000001", "open", 5, "alice")
    assert db.marks(org) == {}
    db.record_push(org, f"c-{tag}", 9, "127.0.0.1")
    assert db.pushed(org, f"c-{tag}") == (9, {"127.0.0.1"})
    db.log("alice", org, "scan.started", job=job)
    assert db.audit(org, 5)[0]["detail"] == {"job": job}
