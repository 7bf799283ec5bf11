"""camaudit import: each format reaches the same identities a live scan would, a malformed file gives one
clear error and leaves the store as it was, and importing the same file twice adds nothing."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from camaudit.collect.imports.interface import ImportError_, MalformedInput, UnknownFormat
from camaudit.collect.imports.runner import import_file, run_import
from camaudit.model import Identity
from camaudit.store import Store

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"
TABLES = ("scans", "hosts", "observations", "identities", "findings")


def identities(store: Store, scan_id: int) -> dict[str, Identity]:
    return {i.device: i for i in store.identities(scan_id)}


def verdict(store: Store, scan_id: int, device: str, regime: str = "us-ndaa-889") -> tuple[str, str]:
    found = [f for f in store.findings(scan_id) if f.device == device and f.id == regime]
    assert found, f"no {regime} finding for {device}"
    return found[0].status, found[0].certainty


def counts(store: Store) -> dict[str, int]:
    found = store.counts()
    return {t: found[t] for t in TABLES}


def only(store: Store, path: Path, fmt: str = "auto") -> int:
    result = import_file(store, path, fmt, progress=False)
    assert result.scan_id is not None
    return result.scan_id


# --- each format identifies as a live scan would ------------------------------------------------------

def test_nmap_xml_hikvision_from_dnvrs_webs(store: Store) -> None:
    scan_id = only(store, FIXTURES / "nmap" / "china2.xml")
    found = identities(store, scan_id)
    nvr = found["220.248.86.4"]
    assert nvr.manufacturer == "Hikvision" and nvr.manufacturer_basis == "fingerprint"
    assert nvr.device_type == "NVR"
    assert any(e.rule == "http.server.hikvision-dnvrs-webs" for e in nvr.evidence)
    assert set(nvr.open_ports) == {21, 80, 554, 7070, 8000}
    # nmap recorded one HTTP answer: one kind of evidence, so probable
    assert verdict(store, scan_id, "220.248.86.4") == ("covered", "probable")
    # nmap's own -sV label ("Apple AirTunes rtspd" on 554) is kept as a record but asserts nothing
    other = found["220.248.86.1"]
    assert other.manufacturer is None and other.unidentified_reason
    scan = store.scan(scan_id)
    assert scan["kind"] == "import" and scan["status"] == "complete" and len(scan["source_hash"]) == 64
    observations = list(store.observations(scan_id))
    header = next(o for o in observations if o.protocol == "http_header")
    assert header.response == "HTTP/1.1 200 OK\r\nServer: DNVRS-Webs\r\n\r\n"
    assert "rebuilt" in (header.request or "")


def test_register_labels_models_and_macs(store: Store) -> None:
    scan_id = only(store, FIXTURES / "register" / "assets.csv")
    found = identities(store, scan_id)
    annke = found["10.20.1.11"]
    assert (annke.manufacturer, annke.brand, annke.manufacturer_basis) == ("Hikvision", "Annke", "brand")
    assert verdict(store, scan_id, "10.20.1.11") == ("covered", "probable")
    hik = found["serial:DS-2CD2386G2-IU20210308AAWRJ11111111"]
    assert (hik.manufacturer, hik.model, hik.manufacturer_basis) == ("Hikvision", "DS-2CD2386G2-IU", "register")
    assert verdict(store, scan_id, hik.device) == ("covered", "probable")
    relabelled = found["10.20.1.13"]  # an unknown label on a Dahua model number
    assert (relabelled.manufacturer, relabelled.brand) == ("Dahua", "Acme Security")
    lorex = found["10.20.1.20"]
    assert (lorex.manufacturer, lorex.device_type) == ("Dahua", "NVR")
    by_mac = found["mac:44:19:b6:00:00:02"]
    assert (by_mac.manufacturer, by_mac.manufacturer_basis) == ("Hikvision", "oui")
    axis = found["mac:ac:cc:8e:00:00:01"]
    assert axis.manufacturer == "Axis" and verdict(store, scan_id, axis.device)[0] == "not-covered"


def test_xlsx_register_with_column_map(store: Store, tmp_path: Path) -> None:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    sheet.append(["Cam Make", "Part", "Where", "Unit No"])
    sheet.append(["ANNKE", "I91BM", "Gate", 123456])
    sheet.append(["Dahua", "IPC-HDW5421S", "Yard", 123457])
    path = tmp_path / "assets.xlsx"
    book.save(path)
    result = import_file(store, path, column_map={"cammake": "brand", "part": "model", "unitno": "serial"},
                         site="Depot", progress=False)
    assert result.format == "register" and result.devices == 2
    found = identities(store, result.scan_id or 0)
    assert found["serial:123456"].manufacturer == "Hikvision"
    assert found["serial:123457"].manufacturer == "Dahua"
    assert store.scan(result.scan_id or 0)["options"]["site"] == "Depot"


# One banner, one certificate or one DHCP lease is one kind of evidence: the maker is probable, with what is
# missing said; an HTTP answer with a second kind of evidence beside it (ZGrab2's 192.0.2.41) earns certain.
@pytest.mark.parametrize(("fixture", "device", "maker", "certainty"), [
    ("zeek/software.log", "192.168.1.64", "Hikvision", "probable"),
    ("zeek/ssl.log", "192.168.1.65", "Hikvision", "probable"),
    ("zeek/dhcp.log", "192.168.1.66", "Hikvision", "probable"),
    ("zgrab2/http.jsonl", "192.0.2.41", "Hikvision", "certain"),
    ("zgrab2/http.jsonl", "192.0.2.42", "Dahua", "probable"),
    ("shodan/banners.jsonl", "198.51.100.7", "Dahua", "probable"),
    ("shodan/banners.jsonl", "198.51.100.8", "Hikvision", "probable"),
    ("censys/hosts.jsonl", "203.0.113.20", "Dahua", "probable"),
    ("censys/hosts.jsonl", "203.0.113.21", "Hikvision", "probable"),
    ("masscan/masscan.json", "192.0.2.90", "Hikvision", "probable"),
])
def test_network_formats_identify(store: Store, fixture: str, device: str, maker: str, certainty: str) -> None:
    scan_id = only(store, FIXTURES / fixture)
    identity = identities(store, scan_id)[device]
    assert identity.manufacturer == maker
    assert identity.manufacturer_basis in ("fingerprint", "oui")
    assert verdict(store, scan_id, device) == ("covered", certainty)
    if certainty == "probable":
        assert identity.probable_because and "two independent kinds" in identity.probable_because
    else:
        assert identity.certain_because


def test_generic_answers_stay_unidentified(store: Store) -> None:
    scan_id = only(store, FIXTURES / "zeek" / "software.log")
    assert identities(store, scan_id)["192.168.1.80"].manufacturer is None  # nginx says nothing of a maker


def test_gzip_is_read(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "banners.json.gz"
    path.write_bytes(gzip.compress((FIXTURES / "shodan" / "banners.jsonl").read_bytes()))
    result = import_file(store, path, progress=False)
    assert result.format == "shodan" and result.identified == 2


# --- idempotent -----------------------------------------------------------------------------------

def test_reimport_adds_nothing(store: Store) -> None:
    first = run_import(store, [FIXTURES / "nmap" / "china2.xml"], progress=False)
    before = counts(store)
    second = run_import(store, [FIXTURES / "nmap" / "china2.xml"], progress=False)
    assert second.added == 0 and second.files[0].already == first.files[0].scan_id
    assert "already imported" in second.files[0].line()
    assert counts(store) == before


# --- malformed files: one clear error, store unchanged --------------------------------------------------

def _broken(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _truncated_xml(tmp_path: Path) -> Path:
    text = (FIXTURES / "nmap" / "china2.xml").read_bytes()
    return _broken(tmp_path, "cut.xml", text[: text.index(b'<script id="http-title"')])


def _wrong_columns(tmp_path: Path) -> Path:
    return _broken(tmp_path, "assets.csv", b"Colour,Height,Owner\nred,3,me\n")


def _misaligned_row(tmp_path: Path) -> Path:
    return _broken(tmp_path, "assets.csv", b"Make,Model,IP\nAnnke,C800,10.0.0.1\nDahua,IPC-HDW5421S,10.0.0.2,extra\n")


def _latin1(tmp_path: Path) -> Path:
    return _broken(tmp_path, "assets.csv", "Make,Model,Location\nAnnke,C800,Caf\u00e9\n".encode("latin-1"))


def _broken_json_line(tmp_path: Path) -> Path:
    lines = (FIXTURES / "zgrab2" / "http.jsonl").read_bytes().splitlines()
    return _broken(tmp_path, "zgrab.jsonl", b"\n".join([lines[0], lines[1][:80], lines[2]]) + b"\n")


def _entity(tmp_path: Path) -> Path:
    return _broken(tmp_path, "bomb.xml", b'<?xml version="1.0"?>\n<!DOCTYPE nmaprun [<!ENTITY a "aaaa">]>\n'
                   b"<nmaprun><host>&a;</host></nmaprun>\n")


def _zeek_short_row(tmp_path: Path) -> Path:
    text = (FIXTURES / "zeek" / "software.log").read_text(encoding="utf-8")
    return _broken(tmp_path, "software.log", text.replace("\tDNVRS-Webs\t-\n", "\n", 1).encode())


@pytest.mark.parametrize(("make", "where", "expected"), [
    (_truncated_xml, "line 62, column", "an Nmap XML report"),
    (_wrong_columns, "line 1", "a header row naming at least one of"),
    (_misaligned_row, "line 3", "at most 3 cells"),
    (_latin1, "line 2, byte 15", "UTF-8 text"),
    (_broken_json_line, "line 2, column", "one JSON object per line"),
    (_entity, "line 2", "an Nmap XML report"),
    (_zeek_short_row, "line 9", "12 tab-separated fields"),
])
def test_malformed_file_gives_one_error_and_changes_nothing(store: Store, tmp_path: Path, make, where: str,
                                                            expected: str) -> None:  # type: ignore[no-untyped-def]
    only(store, FIXTURES / "register" / "assets.csv")  # something already stored must survive
    before = counts(store)
    path = make(tmp_path)
    with pytest.raises(MalformedInput) as caught:
        import_file(store, path, progress=False)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {where}"), message
    assert f"expected {expected}" in message, message
    assert counts(store) == before


def test_later_file_error_keeps_earlier_files(store: Store, tmp_path: Path) -> None:
    bad = _broken_json_line(tmp_path)
    with pytest.raises(MalformedInput):
        run_import(store, [FIXTURES / "nmap" / "china2.xml", bad], progress=False)
    assert [s["kind"] for s in store.scans()] == ["import"]
    assert store.scans()[0]["status"] == "complete"


def test_unknown_format_and_bad_map(store: Store, tmp_path: Path) -> None:
    path = _broken(tmp_path, "notes.txt", b"hello\n")
    with pytest.raises(UnknownFormat, match="--format"):
        import_file(store, path, progress=False)
    from camaudit.collect.imports.register import parse_column_map

    with pytest.raises(ImportError_, match="FIELD must be one of"):
        parse_column_map(["Make=maker"])


def test_interrupted_import_is_redone(store: Store) -> None:
    """A scan row left 'running' by a killed import of the same file does not block a fresh import."""
    from camaudit.collect.imports.runner import sha256_of

    path = FIXTURES / "masscan" / "masscan.json"
    stale = store.begin_scan("import", [str(path)], {}, None, source=str(path), source_hash=sha256_of(path))
    assert store.scan(stale)["status"] == "running"
    result = import_file(store, path, progress=False)
    assert result.already is None and result.identified == 1
    assert [(s["id"], s["status"]) for s in store.scans()] == [(result.scan_id, "complete")]


# --- the command line ------------------------------------------------------------------------------

def test_cli_import_and_errors(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    fixture = tmp_path / "china2.xml"
    shutil.copy(FIXTURES / "nmap" / "china2.xml", fixture)
    run = [sys.executable, "-m", "camaudit", "import", "-q", "--db", str(db)]
    first = subprocess.run([*run, str(fixture)], capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert "1 identified" in first.stdout and "0 certain, 1 probable" in first.stdout
    again = subprocess.run([*run, str(fixture)], capture_output=True, text=True, check=False)
    assert again.returncode == 0 and "nothing added" in again.stdout
    bad = _truncated_xml(tmp_path)
    failed = subprocess.run([*run, str(bad)], capture_output=True, text=True, check=False)
    assert failed.returncode == 2
    assert failed.stderr.splitlines()[0].startswith(f"camaudit import: {bad}: line ")
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM scans").fetchone()[0] == 1
