"""The development answers of tests/fixtures/dev_answers/ (RTSP answers and telnet greetings from public issue
threads and nmap-service-probes, each with its source): never a wrong maker, never Hikvision or Dahua for another
maker's device, and nothing named from an answer that names no maker (generic servers, SDK banners, bare login
prompts, a clone's SDP)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from camaudit.identify.pipeline import Identifier
from camaudit.knowledge.brands import normalise
from camaudit.model import Observation

FIXTURE = Path(__file__).parent / "fixtures" / "dev_answers" / "rtsp_telnet.jsonl"
ITEMS = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
IDENTIFIER = Identifier.default()
COVERED = ("hikvision", "dahua")


def _maker(item: dict[str, Any]) -> str:
    obs = Observation(id=item["id"], protocol=item["protocol"], response=item["response"], device=item["id"])
    (identity,) = IDENTIFIER.identify_all([obs])
    brands = IDENTIFIER.brands
    return normalise(brands.canonical(identity.manufacturer)) if identity.manufacturer else ""


def test_every_item_is_sourced() -> None:
    assert len(ITEMS) >= 80
    for item in ITEMS:
        assert item["source"].startswith("https://"), item["id"]
        assert item["protocol"] in ("rtsp", "telnet_banner", "other"), item["id"]


@pytest.mark.parametrize("item", ITEMS, ids=[item["id"] for item in ITEMS])
def test_no_wrong_maker(item: dict[str, Any]) -> None:
    got = _maker(item)
    want = normalise(IDENTIFIER.brands.canonical(item["truth"])) if item.get("truth") else ""
    if item.get("expect") == "none" or not want:
        assert got == "", (item["id"], got)
    else:
        assert got in ("", want), (item["id"], got, want)
    if want not in COVERED:
        assert got not in COVERED, (item["id"], got)


def test_most_makers_are_named() -> None:
    """The answers whose maker the source states and that carry something of the maker's own (not only a generic
    server or an SDK's banner): at least as many named as when the set was written (2026-12-03; 33 once Reolink's
    echoed stream path became family evidence only)."""
    named = sum(1 for item in ITEMS if item.get("truth") and item.get("expect") != "none" and _maker(item))
    assert named >= 33


@pytest.mark.parametrize("server", [
    "LIVE555 Streaming Media v2016.11.28", "GStreamer RTSP server", "EasyDarwin", "RTSP Server", "RTSP Server/1.0",
    "Rtsp Server", "rtsp-simple-server", "mediamtx", "Wowza Streaming Engine 4.8.5", "ZLMediaKit", "VLC/3.0.16",
    "Hipcam RealServer/V1.0", "Hisilicon Streaming Media Server/1.0.0(Jul 30 2015)",
])
def test_a_generic_server_names_no_maker(server: str) -> None:
    """Built to test the guard: streaming servers any product embeds (and HiSilicon's SDK server) name no maker."""
    answer = (f"RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: {server}\r\n"
              "Public: OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY\r\n\r\n")
    assert _maker({"id": "g", "protocol": "rtsp", "response": answer}) == ""


@pytest.mark.parametrize("greeting", [
    "\xff\xfb\x01\xff\xfb\x03login: ", "\r\nlogin: ", "LocalHost login: ", "(none) login: ", "IPCAM login: ",
    "\xff\xfd\x01\xff\xfd\x1f\xff\xfb\x01\xff\xfb\x03\r\r\nLogin: ",
    "Welcome to HiLinux.\r\nhisilicon login: ", "Ingenic login: ", "goke login: ", "sigmastar login: ",
    "Novatek login: ", "anyka login: ",
])
def test_a_login_prompt_alone_names_no_maker(greeting: str) -> None:
    """Built to test the guard: a bare login prompt, or one whose host name is a generic one or the chip's maker
    (the board support package's default host name), names nothing."""
    assert _maker({"id": "t", "protocol": "telnet_banner", "response": greeting}) == ""


def test_copied_hikvision_session_lines_name_no_maker() -> None:
    """Built to test the guard: Hikvision's session lines and IMKH media header, as clone firmware copies them,
    under an origin of a clone's own (13-digit milliseconds, not Hikvision's 16-digit microseconds twice)."""
    sdp = ("v=0\r\no=- 1600000000000 1600000000000 IN IP4 192.168.1.10\r\ns=Media Presentation\r\ne=NONE\r\n"
           "b=AS:5100\r\nt=0 0\r\na=control:rtsp://192.168.1.10/\r\nm=video 0 RTP/AVP 96\r\n"
           "a=Media_header:MEDIAINFO=494D4B480101000004000100000000000000000000000000000000000000;\r\n")
    assert _maker({"id": "c", "protocol": "rtsp", "response": sdp}) == ""
