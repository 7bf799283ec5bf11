"""Documents kept once as content-addressed bodies (migration 0004), and a device's findings kept together
(migration 0005), read back exactly as documents kept in full, one row each.

A store written by an import keeps each distinct conclusion's identity and finding documents once (``bodies``)
and each device's own values in its rows. The same store with every row expanded to its full document (what
the code before the bodies wrote) must give byte-identical output from every reader: report in each format,
plan, diff, aggregate. Checked on an import and on the emulated fleet's records judged the same way.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from camaudit.cli import main
from camaudit.collect.imports.runner import FileResult, _identify
from camaudit.judge import DeviceJudge
from camaudit.pipeline.stages import Stages
from camaudit.simulate.process import FleetProcess
from camaudit.store import open_store
from tests.conftest import fleet_range
from tests.fleet_scans import scan_into

HOSTS = 60


def _shodan(path: Path, first: int) -> None:
    """Shodan lines: recorder, camera and web-server answers, several hosts per conclusion, ids and addresses
    (one with characters JSON escapes) differing."""
    answers = [
        ("http", 80, "HTTP/1.1 401 Unauthorized\r\nServer: DNVRS-Webs\r\n\r\n"),
        ("rtsp-tcp", 554, "RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: Rtsp Server/3.0\r\n\r\n"),
        ("http", 8080, "HTTP/1.1 200 OK\r\nServer: nginx/1.13.9\r\n\r\n"),
        ("http", 81, "HTTP/1.1 200 OK\r\nServer: App-webs/\r\n\r\n"),
    ]
    lines = []
    for i in range(HOSTS):
        for module, port, data in answers[: 1 + (i % 4)]:
            lines.append(json.dumps({"ip_str": f"10.{first}.{i // 200}.{i % 200}", "port": port, "transport": "tcp",
                                     "timestamp": f"2024-01-0{1 + i % 9}T00:00:00.000000",
                                     "_shodan": {"module": module}, "data": data}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _expand(db: Path) -> int:
    """Every identity and finding row of ``db`` rewritten with its whole document in ``data`` (body and vals
    cleared), worked out here independently of the store's reader. Returns the rows expanded."""
    con = sqlite3.connect(db)
    expanded = 0
    with con:
        texts = dict(con.execute("SELECT hash, text FROM bodies"))
        for digest, text in texts.items():
            assert hashlib.sha256(text.encode("utf-8")).hexdigest() == digest  # content-addressed
        for table in ("identities", "findings"):
            rows = con.execute(f"SELECT rowid, body, vals FROM {table} WHERE body IS NOT NULL").fetchall()
            for rowid, body, vals in rows:
                pieces = json.loads(texts[body])
                pieces[1::2] = json.loads(vals)
                con.execute(f"UPDATE {table} SET data = ?, body = NULL, vals = NULL WHERE rowid = ?",
                            ("".join(pieces), rowid))
                expanded += 1
        # a device's findings kept together (migration 0005) become one findings row each, as before
        sets = con.execute("SELECT scan_id, device, body, vals, covered, size FROM finding_sets").fetchall()
        for scan_id, device, body, vals, covered, size in sets:
            members = json.loads(texts[body])
            assert len(members) == size
            assert covered == int(any(m[0] == "restriction" and m[2] == "covered" for m in members))
            for kind, finding_id, status, certainty, severity, pieces in members:
                pieces[1::2] = json.loads(vals)
                con.execute("INSERT INTO findings (scan_id, device, kind, finding_id, status, certainty, severity, "
                            "data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (scan_id, device, kind, finding_id, status, certainty, severity, "".join(pieces)))
                expanded += 1
        con.execute("DELETE FROM finding_sets")
    con.close()
    return expanded


def _outputs(db: Path, out: Path, scans: list[int], capsys: pytest.CaptureFixture[str]) -> dict[str, bytes]:
    """What each reader gives for the store's scans, as bytes."""
    out.mkdir()
    got: dict[str, bytes] = {}
    for scan in scans:
        for fmt in ("json", "html", "csv", "md", "xlsx"):
            target = out / f"report-{scan}.{fmt}"
            assert main(["report", "--db", str(db), "--scan", str(scan), "--format", fmt, "-o", str(target)]) == 0
            got[target.name] = _members(target) if fmt == "xlsx" else target.read_bytes()
        for fmt in ("json", "csv", "html"):
            target = out / f"plan-{scan}.{fmt}"
            assert main(["plan", "--db", str(db), "--scan", str(scan), "--format", fmt, "-o", str(target)]) == 0
            got[target.name] = target.read_bytes()
    capsys.readouterr()
    if len(scans) >= 2:
        for fmt in ("json", "text"):
            assert main(["diff", str(scans[0]), str(scans[-1]), "--db", str(db), "--format", fmt]) == 0
            got[f"diff.{fmt}"] = capsys.readouterr().out.encode("utf-8")
    target = out / "aggregate.json"
    assert main(["report", "--aggregate", str(db), "--format", "json", "-o", str(target)]) == 0
    got[target.name] = target.read_bytes()
    capsys.readouterr()
    return got


def _members(path: Path) -> bytes:
    """An XLSX file's members, name and bytes, but for the times it was written (the zip's and core.xml's)."""
    with zipfile.ZipFile(path) as archive:
        return b"".join(name.encode("utf-8") + b"\0" + archive.read(name) for name in sorted(archive.namelist())
                        if name != "docProps/core.xml")  # its created/modified: the time of writing


def _same(db: Path, tmp_path: Path, scans: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    """The readers' output of ``db``, then of the same store expanded, at the same path (the aggregate names it)."""
    after = _outputs(db, tmp_path / "bodies", scans, capsys)
    kept = tmp_path / "kept.db"
    shutil.copy(db, kept)
    assert _expand(db) > 0
    before = _outputs(db, tmp_path / "full", scans, capsys)
    assert sorted(before) == sorted(after)
    for name, content in before.items():
        assert after[name] == content, name
    shutil.copy(kept, db)


def test_an_import_reads_back_byte_identical(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "bodies.db"
    files = [tmp_path / "a.json", tmp_path / "b.json"]
    _shodan(files[0], 1)
    _shodan(files[1], 1)
    files[1].write_text(files[1].read_text(encoding="utf-8").replace("Rtsp Server/3.0", "Dahua Rtsp Server/2.0"),
                        encoding="utf-8")
    assert main(["import", *map(str, files), "--db", str(db), "-q"]) == 0
    capsys.readouterr()
    con = sqlite3.connect(db)
    bodies = con.execute("SELECT count(*) FROM bodies").fetchone()[0]
    findings, full = con.execute("SELECT count(*), count(data) FROM findings").fetchone()
    sets, grouped = con.execute("SELECT count(*), sum(size) FROM finding_sets").fetchone()
    con.close()
    # each distinct body once; a device's findings sharing their values in one row
    assert full == 0 and 0 < sets < grouped and 0 < bodies < (findings + grouped) / 4
    # importing the same file again stores nothing twice
    assert main(["import", str(files[0]), "--db", str(db), "-q"]) == 0
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM bodies").fetchone()[0] == bodies
    con.close()
    _same(db, tmp_path, [1, 2], capsys)


def test_the_emulated_fleet_reads_back_byte_identical(fleet: FleetProcess, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The fleet scanned, then its records (keyed by address, as an import keys them) judged as an import
    judges them, into a scan of their own."""
    db = tmp_path / "bodies.db"
    store = open_store(str(db))
    scanned = scan_into(store, [fleet_range(fleet)])
    records = [replace(o, device=o.address) for o in store.observations(scanned)]
    scan = store.begin_scan("import", [fleet_range(fleet)], {}, None, "fleet", "0" * 64)
    with store.transaction():
        store.add_rows(scan, records, [], [])
        _identify(store, scan, Stages.default(), FileResult(Path("fleet"), "", "scan", scan), progress=False)
    store.finish_scan(scan)
    store.close()
    _same(db, tmp_path, [scanned, scan], capsys)


def test_bodies_fill_to_the_judges_own_text(tmp_path: Path) -> None:
    """Parts filled give exactly the text the judge writes in full."""
    path = tmp_path / "a.json"
    _shodan(path, 3)
    db = tmp_path / "s.db"
    assert main(["import", str(path), "--db", str(db), "-q"]) == 0
    store = open_store(str(db))
    whole, parted = DeviceJudge(Stages.default()), DeviceJudge(Stages.default())
    checked = 0
    for device, group in store.observations_by_device(1):
        ports = tuple(sorted({o.port for o in group if o.port}))
        a = whole.judge(device, group, ports)
        b = parted.judge(device, group, ports, fill=False)
        whole_rows = [(None, a.identity[8]), *((f[1:6], f[6]) for f in a.findings)]
        parted_rows = []
        for head, text, part in zip([None, *(f[1:6] for f in b.findings)], [b.identity[8], *(f[6] for f in b.findings)],
                                    b.parts, strict=True):
            if part is None:  # a document without a body is given in full
                parted_rows.append((head, text))
                continue
            assert text == ""
            pieces = json.loads(part[1])
            pieces[1::2] = json.loads(part[2])
            parted_rows.append((head, "".join(pieces)))
        for _digest, body, vals, covered, size in b.sets:
            members = json.loads(body)
            assert len(members) == size and covered in (0, 1)
            for *head, pieces in members:
                pieces[1::2] = json.loads(vals)
                parted_rows.append((tuple(head), "".join(pieces)))
        assert sorted(parted_rows, key=repr) == sorted(whole_rows, key=repr)
        checked += len(whole_rows)
    store.close()
    assert checked > HOSTS


def test_a_store_of_revision_0003_upgrades_and_keeps_its_documents(tmp_path: Path) -> None:
    """Rows written before the bodies keep their whole document and read back as they were."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from camaudit.store import migrate

    db = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        command.upgrade(migrate._config(conn), "0003")
        conn.execute(text("INSERT INTO scans (kind, status, started_at, targets, options) "
                          "VALUES ('import', 'complete', '2026-01-01T00:00:00Z', '[]', '{}')"))
        document = {"device": "d1", "kind": "exposure", "id": "x", "status": "present", "certainty": "certain",
                    "severity": "low", "title": "t", "detail": "caf\u00e9", "facts": {}, "evidence": [],
                    "sources": []}
        conn.execute(text("INSERT INTO findings VALUES (1, 'd1', 'exposure', 'x', 'present', 'certain', 'low', :d)"),
                     {"d": json.dumps(document)})
        conn.commit()
    engine.dispose()
    store = open_store(str(db))
    assert migrate.current(store.conn) == migrate.head()
    [finding] = store.findings(1)
    assert finding.to_dict()["detail"] == "caf\u00e9"
    store.close()
