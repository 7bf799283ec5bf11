"""Protocol codecs against recorded bytes: DHIP framing, TLS certificate text, message parsing."""

from __future__ import annotations

import asyncio

from camaudit.collect.dhip import frame, search_request, unframe
from camaudit.collect.limits import dechunk
from camaudit.identify.parts import observation_parts
from camaudit.model import Observation


def test_dhip_probe_matches_published_bytes() -> None:
    # the published probe: 32-byte header ' \x00\x00\x00DHIP' + zeros + length twice, then JSON
    request = search_request()
    assert request[:8] == b" \x00\x00\x00DHIP"
    assert request[8:16] == b"\x00" * 8
    length = len(request) - 32
    assert request[16:24] == length.to_bytes(8, "little") == request[24:32]
    assert unframe(request) == request[32:]


def test_dhip_rejects_bare_json_and_garbage() -> None:
    assert unframe(b'{"method":"DHDiscover.search"}') is None
    assert unframe(b"\xff" * 40) is None
    assert unframe(frame(b"{}")) == b"{}"


def test_dahua_certificate_dn_with_comma_in_o() -> None:
    obs = Observation(id="c", protocol="tls_cert",
                      response="subject: CN=192.168.2.70,C=CN\nissuer: CN=NVR,O=ZheJiang Dahua Technology CO.\\,LTD.")
    parts = observation_parts(obs)
    assert parts["issuer.o"] == ["ZheJiang Dahua Technology CO.,LTD."]
    assert parts["subject.cn"] == ["192.168.2.70"]


def test_dechunk() -> None:
    assert dechunk(b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n") == b"Wikipedia"
    assert dechunk(b"zz\r\nbroken") == b""


def test_realms_from_rtsp_and_http() -> None:
    rtsp = Observation(id="r", protocol="rtsp", response=
                       'RTSP/1.0 401\r\nWWW-Authenticate: Digest realm="x y", nonce="1"')
    assert observation_parts(rtsp)["realm"] == ["x y"]


def test_dhip_against_the_emulator() -> None:
    from camaudit.collect.dhip import probe_dhip
    from camaudit.simulate.process import FleetProcess

    with FleetProcess("127.68.0.0/29", names=["intelbras-dvr"]) as fleet:
        address = fleet.manifest["devices"][0]["address"]
        found = asyncio.run(probe_dhip(address))
    assert found and found[0].protocol == "dhip" and '"Vendor":"Intelbras"' in found[0].response
