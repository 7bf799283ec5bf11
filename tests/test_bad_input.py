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
        assert store.counts()["scans"] == 0 and store.counts()["observations"] == 0
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
        assert store.counts()["scans"] == 0 and store.counts()["observations"] == 0
        return
    for scan in store.scans():
        for obs in store.observations(scan["id"]):
            assert obs.port is None or 0 < obs.port < 65536


def test_a_negative_or_odd_chunk_size_ends_the_body() -> None:
    from camaudit.collect.limits import dechunk

    assert dechunk(b"5\r\nhello\r\n-3\r\nxx\r\n0\r\n\r\n") == b"hello"  # looped forever before
    assert dechunk(b"1_0\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n") == b""
    assert dechunk(b"A\r\n0123456789\r\n0\r\n\r\n") == b"0123456789"


BAD_PORTS = {
    "masscan": ('{"ip": "10.0.0.1", "timestamp": "1", "ports": [{"port": 80, "proto": "tcp", "status": "open"}]}\n'
                '{"ip": "10.0.0.2", "timestamp": "1", "ports": [{"port": "http", "proto": "tcp", "status": "open"}]}\n',
                "masscan.json", "line 2", "port 'http'"),
    "shodan": ('{"ip_str": "10.0.0.1", "port": 99999, "data": "HTTP/1.1 200 OK\\r\\nServer: x\\r\\n\\r\\n"}\n',
               "shodan.json", "line 1", "port '99999'"),
    "censys": ('{"ip": "10.0.0.1", "services": [{"port": 80.5, "service_name": "HTTP"}]}\n',
               "censys.json", "line 1", "port '80.5'"),
}


@pytest.mark.parametrize("fmt", sorted(BAD_PORTS))
def test_a_port_that_is_no_port_number_is_the_lines_error_not_a_lost_field(store: Store, tmp_path: Path,
                                                                           fmt: str) -> None:
    text, name, where, found = BAD_PORTS[fmt]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportError_) as caught:
        import_file(store, path, fmt, progress=False)
    message = str(caught.value)
    assert message.startswith(f"{path}: {where}: expected ") and found in message and "1 to 65535" in message
    assert store.scans() == []


def test_an_nmap_portid_out_of_range_names_its_line(store: Store, tmp_path: Path) -> None:
    source = (Path(__file__).parent / "fixtures" / "imports" / "nmap" / "china2.xml").read_text(encoding="utf-8")
    assert 'portid="80"' in source
    path = tmp_path / "scan.xml"
    path.write_text(source.replace('portid="80"', 'portid="99999"', 1), encoding="utf-8")
    line = path.read_text(encoding="utf-8").splitlines().index(
        next(t for t in path.read_text(encoding="utf-8").splitlines() if 'portid="99999"' in t)) + 1
    with pytest.raises(ImportError_, match=rf"scan\.xml: line {line}: expected .*port '99999'"):
        import_file(store, path, "nmap", progress=False)
    assert store.scans() == []


def test_no_port_and_masscans_icmp_port_0_are_not_errors(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "ping.json"
    path.write_text('{"ip": "10.0.0.9", "timestamp": "1", "ports": [{"port": 0, "proto": "icmp", "status": "open"}]}\n',
                    encoding="utf-8")
    import_file(store, path, "masscan", progress=False)
    (scan,) = store.scans()
    assert [i.address for i in store.identities(scan["id"])] == ["10.0.0.9"]
