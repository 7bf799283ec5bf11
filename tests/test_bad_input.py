"""Bad input gets one line and exit 2, never a traceback (issue 14): the crash classes fuzzing found, each kept as
a fixture under tests/fixtures/fuzz/crashes (see NOTES.md there)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from camaudit.collect.imports.interface import ImportError_
from camaudit.collect.imports.runner import import_file
from camaudit.identify.records import read_records
from camaudit.store import Store, open_store
from tests.fuzz.families import FAMILIES

CRASHES = Path(__file__).parent / "fixtures" / "fuzz" / "crashes"
FORMATS = {"register_csv": "register", "register_xlsx": "register"}


def _camaudit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "camaudit", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_identify_skips_a_lone_surrogate_record_and_identifies_the_rest(tmp_path: Path) -> None:
    path = CRASHES / "identify" / "lone-surrogate.jsonl"
    proc = _camaudit("identify", str(path), cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"{path}:1:" in lines[0] and "expected" in lines[0] and "surrogate" in lines[0]
    assert len(proc.stdout.splitlines()) == 1 and '"ok"' in proc.stdout


def test_import_of_a_5000_digit_number_is_one_line_and_stores_nothing(tmp_path: Path) -> None:
    path = CRASHES / "shodan" / "huge-integer.json"
    db = tmp_path / "c.db"
    proc = _camaudit("import", "-q", "--db", str(db), str(path), cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"camaudit import: {path}: line 1: expected ") and "4,300 digits" in lines[0]
    store = open_store(str(db))
    try:
        assert store.db.execute("SELECT count(*) FROM scans").fetchone()[0] == 0
        assert store.db.execute("SELECT count(*) FROM observations").fetchone()[0] == 0
    finally:
        store.close()


@pytest.mark.parametrize("path", sorted(p for p in (CRASHES / "identify").glob("*.jsonl")), ids=lambda p: p.name)
def test_identify_reports_the_bad_line_and_keeps_the_good_one(path: Path) -> None:
    records, errors = read_records(path.read_bytes().splitlines(keepends=True), path.name)
    assert [r.id for r in records] == ["ok"]
    assert len(errors) == 1 and errors[0].startswith(f"{path.name}:1: ") and "\n" not in errors[0]
    errors[0].encode("utf-8")


IMPORT_CASES = sorted(p for folder in CRASHES.iterdir() if FAMILIES.get(folder.name) == "importer"
                      for p in folder.iterdir() if p.is_file() and p.suffix not in (".md", ".txt"))


@pytest.mark.parametrize("path", IMPORT_CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_import_of_a_crash_input_is_one_line_or_clean(store: Store, path: Path) -> None:
    fmt = FORMATS.get(path.parent.name, path.parent.name)
    try:
        import_file(store, path, fmt, progress=False)
    except ImportError_ as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith(str(path)), message
        assert store.db.execute("SELECT count(*) FROM scans").fetchone()[0] == 0
        assert store.db.execute("SELECT count(*) FROM observations").fetchone()[0] == 0
        return
    for (port,) in store.db.execute("SELECT port FROM observations"):
        assert port is None or 0 < port < 65536


def test_a_negative_or_odd_chunk_size_ends_the_body() -> None:
    from camaudit.collect.limits import dechunk

    assert dechunk(b"5\r\nhello\r\n-3\r\nxx\r\n0\r\n\r\n") == b"hello"  # looped forever before
    assert dechunk(b"1_0\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n") == b""
    assert dechunk(b"A\r\n0123456789\r\n0\r\n\r\n") == b"0123456789"
