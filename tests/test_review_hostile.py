"""Review of the day's changes: input that is not what the code expects must give a clear error or nothing, never a
traceback, a smuggled request line or minutes of work.

- a web probe path in a user's knowledge file ending in a line feed (JSON Schema's ``$`` is Python's, which also
  matches before a final line feed) is refused, by the schema and by the loader;
- an SNMP sysObjectID whose enterprise arc holds digits that are not ASCII ('²', Arabic-Indic digits) names no
  enterprise and does not crash the identification;
- an answer kept on one line (message.unflatten, when that reader is present) is split in linear time, whatever
  runs of blanks it holds.
All synthetic: no device sent these; they are what a hostile or broken one, or a careless file, could hold."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from camaudit.identify.declared import message, snmp
from camaudit.identify.pipeline import Identifier
from camaudit.knowledge import probes, reads
from camaudit.knowledge.files import KnowledgeError
from camaudit.knowledge.schema import problems
from camaudit.model import Observation

_GOOD = {"id": "x", "path": "/a", "why": "a reason", "sources": ["https://example.org/"], "checked": "2026-12-03"}


@pytest.mark.parametrize("path", ["/a\n", "/\n", "/a?b=c\n"])
def test_a_probe_path_ending_in_a_line_feed_is_refused(path: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert problems([{**_GOOD, "path": path}], "probes")  # the schema (the pattern alone would let it through)
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "probes-local.yaml").write_text(
        f'- id: local\n  path: "{path.encode("unicode_escape").decode()}"\n  why: a reason\n'
        "  sources:\n    - url: https://example.org/\n  checked: 2026-12-03\n", encoding="utf-8")
    monkeypatch.setenv("CAMAUDIT_KB", str(tmp_path))
    monkeypatch.setenv("CAMAUDIT_CACHE", "off")
    probes.load_web_probes.cache_clear()
    try:
        with pytest.raises(KnowledgeError, match="path"):  # the schema or the loader says which
            probes.load_web_probes()
    finally:
        monkeypatch.delenv("CAMAUDIT_KB")
        probes.load_web_probes.cache_clear()
    assert all("\n" not in p for p in probes.web_probe_paths())


def test_a_read_path_with_a_line_break_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The owner-authorised reads are sent with the owner's credentials: a user's reads file whose path holds a line
    break (the schema checks only that it starts with '/') must not reach the request line."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "reads-local.yaml").write_text(
        '- id: local\n  maker: Axis\n  reads:\n    - {path: "/a\\r\\nX-Injected: 1", protocol: other}\n'
        "  sources:\n    - url: https://example.org/\n  checked: 2026-12-03\n", encoding="utf-8")
    monkeypatch.setenv("CAMAUDIT_KB", str(tmp_path))
    monkeypatch.setenv("CAMAUDIT_CACHE", "off")
    reads.load_read_plans.cache_clear()
    try:
        with pytest.raises(KnowledgeError, match="request target"):
            reads.load_read_plans()
    finally:
        monkeypatch.delenv("CAMAUDIT_KB")
        reads.load_read_plans.cache_clear()
    assert all("\n" not in r.path for plan in reads.load_read_plans().values() for r in plan.reads)


@pytest.mark.parametrize("arc", ["\u00b2", "3\u00b2", "\u0663\u0666\u0668", "\uff13\uff16\uff18"])
def test_an_enterprise_arc_of_digits_that_are_not_ascii_names_no_enterprise(arc: str) -> None:
    assert snmp.enterprise_of(f"1.3.6.1.4.1.{arc}") is None
    assert snmp.enterprise_of(f"1.3.6.1.4.1.{arc}.1.1") is None
    assert snmp.enterprise_of("1.3.6.1.4.1.368.1.1") == 368  # the ASCII arc as before


@pytest.mark.parametrize("text", [
    "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.\u00b2\n",
    "SNMPv2-MIB::sysObjectID.0 = OID: SNMPv2-SMI::enterprises.\u00b2\n",
    "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.\u0663\u0666\u0668\n",  # would read as Axis's 368 through int()
])
def test_a_sysobjectid_with_such_digits_identifies_nobody_without_a_crash(text: str) -> None:
    (identity,) = Identifier.default().identify_all([Observation(id="o", protocol="other", response=text, device="d")])
    assert identity.manufacturer is None


@pytest.mark.skipif(not hasattr(message, "unflatten"), reason="message.unflatten is not on this branch yet")
def test_an_answer_on_one_line_with_a_long_run_of_blanks_is_split_in_linear_time() -> None:
    # a status line, a header, then a run of blanks that no header name follows: a pattern that starts with
    # [ \t]* retries the run from each of its blanks (quadratic: about 8 s for this one line before the fix)
    line = "RTSP/1.0 200 OK CSeq: 1" + " " * 8150 + "x"
    unflatten = message.unflatten
    started = time.perf_counter()
    out = unflatten(line)
    assert time.perf_counter() - started < 1.0
    assert out.startswith("RTSP/1.0 200 OK\nCSeq: 1")


@pytest.mark.parametrize("packet", [
    bytes(12) + b"\x08\x00",  # an Ethernet header and nothing after it (it indexed past the end)
    bytes(12) + b"\x08\x00" + b"\x45" + bytes(8) + b"\x06" + bytes(10) + bytes(12) + b"\x10" + bytes(7),  # TCP offset 1
    b"\x41" + bytes(8) + b"\x06" + bytes(40),  # an IPv4 header length of 1 word
])
def test_a_broken_packet_in_a_hex_dump_gives_no_tcp_header_as_payload_and_no_crash(packet: bytes) -> None:
    out = message._payload(packet)
    assert isinstance(out, bytes)
    if len(packet) > 34 and packet[12:14] == b"\x08\x00":
        assert out == b""  # a TCP data offset below 5 is no TCP packet: none of its header is payload


@pytest.mark.parametrize("protocol", ["telnet_banner", "other"])
def test_random_bytes_on_a_line_protocol_name_no_maker(protocol: str) -> None:
    """The emulated fleet's hostile device answers some connections with random bytes. Read as a greeting, their
    short runs of letters named makers ('LG', 'HP', '2N', 'TVT': about one answer in eighty), so a scan of the
    same device could name a maker one time and none the next. Data that is no text is no greeting."""
    import random

    chance = random.Random(20261204)
    identifier = Identifier.default()
    named = []
    for n in range(400):
        text = chance.randbytes(4096).decode("latin-1")
        if protocol == "other":
            text = "\xff\xfb\x01" + text  # starts as a telnet negotiation: read as a greeting kept as text
        found = identifier.identify_device("d", [Observation(id=f"r{n}", protocol=protocol, response=text,
                                                             device="d", port=23)])
        if found.manufacturer:
            named.append((n, found.manufacturer))
    assert named == []


@pytest.mark.parametrize("greeting", [
    "\xff\xfd\x18\xff\xfd\x20\r\nBusyBox v1.20.2 (2014-06-11) built-in shell\r\nDVR login: ",
    "欢迎使用 海康威视\r\nlogin: ".encode().decode("latin-1"),
    "\x00\x00\x00Welcome to the Axis telnet server\r\n\x00\x00axis-00408c login: ",
])
def test_a_greeting_that_is_text_is_still_read(greeting: str) -> None:
    """Telnet negotiation, UTF-8 text kept one byte a character, and NUL padding leave a greeting text."""
    from camaudit.identify.declared.banner import _binary

    assert not _binary(greeting)


def test_random_bytes_as_a_web_page_name_no_maker() -> None:
    """The hostile device's port 80 sends 64 KiB of random bytes. Their copyright signs (0xA9) and the letters after
    them read as notices naming makers ('YI Technology' from 'YI', 'MRV Communications': two answers in four
    hundred), which made test_scan_fleet's hostile device named 'LG Electronics' in one CI run. A body that is data
    names nothing, even with a notice or a title planted in it."""
    import random

    chance = random.Random(20261208)
    identifier = Identifier.default()
    named = []
    for n in range(200):
        noise = chance.randbytes(8192).decode("latin-1")
        planted = noise[:3000] + "\u00a9 2019 Hangzhou Hikvision Digital Technology <title>Dahua</title>" + noise[3000:]
        found = identifier.identify_device("d", [Observation(id=f"r{n}", protocol="http_body", response=planted,
                                                             device="d", port=80)])
        if found.manufacturer:
            named.append((n, found.manufacturer))
    assert named == []


def test_a_page_in_gbk_kept_as_latin_1_is_still_a_page() -> None:
    """Only C0 controls count as data: a page in GBK decoded one byte a character is full of C1 characters and still
    has its title read."""
    from camaudit.identify.declared import banner
    from camaudit.identify.declared.structured import View

    page = "<html><head><title>Hikvision 网络摄像机 登录页面</title></head><body>欢迎使用</body></html>"
    text = page.encode("gbk").decode("latin-1")
    assert not banner._data(text)
    assert [s.value for s in banner.title(View(text))]
