"""Nmap's service fingerprint (servicefp) decoded back into the answers nmap's probes got.

The sample below is written by us in nmap's layout (SF: continuation lines cut anywhere, even inside an escape;
%r(<probe>,<hex length>,"<escaped>") entries; \\xHH, \\r, \\n, \\0, and a backslash before punctuation). The real
nmap -sV output of the emulated fleet is tests/fixtures/imports/nmap/fleet-sV.xml (test_import_parsers.py).
"""

from __future__ import annotations

from camaudit.collect.imports.nmap_fp import MAX_ANSWERS, answers, unwrap

SAMPLE = (
    'SF-Port554-TCP:V=7.93%I=7%D=12/2%Time=674D0A1B%P=x86_64-pc-linux-gnu%r(GetRequ\n'
    'SF:est,4C,"RTSP/1\\.0\\x20400\\x20Bad\\x20Request\\r\\nServer:\\x20Example\\x20Rtsp\\x20Serve\n'
    'SF:r\\r\\nContent-Length:\\x200\\r\\n\\r\\n")%r(RTSPRequest,45,"RTSP/1\\.0\\x20401\\x20Unauthorized\\\n'
    'SF:r\\nWWW-Authenticate:\\x20Basic\\x20realm=\\"device\\"\\r\\n\\r\\n")%r(NULL,4,"\\0\\x01\\\\z");'
)


def test_answers_are_decoded_in_order_with_their_probe() -> None:
    found = answers(SAMPLE)
    assert [probe for probe, _ in found] == ["GetRequest", "RTSPRequest", "NULL"]
    assert found[0][1] == "RTSP/1.0 400 Bad Request\r\nServer: Example Rtsp Server\r\nContent-Length: 0\r\n\r\n"
    assert found[1][1] == 'RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm="device"\r\n\r\n'
    assert found[2][1] == "\x00\x01\\z"
    assert "\nSF:" not in unwrap(SAMPLE)


def test_broken_or_hostile_fingerprints_end_the_reading() -> None:
    assert answers("") == []
    assert answers('SF-Port80-TCP:V=7.93%r(GetRequest,10,"HTTP/1\\.0\\x2') == []  # cut inside an answer
    assert answers("SF:%r(" * 100000) == []
    many = "SF-Port80-TCP:V=7.93" + '%r(NULL,1,"a")' * 1000
    assert len(answers(many)) == MAX_ANSWERS
