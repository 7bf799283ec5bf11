"""Regression tests for problems an independent review reproduced."""

from __future__ import annotations

import asyncio
from pathlib import Path

from camaudit.assess.restrictions import Restrictions
from camaudit.audit import Stages, run_scan
from camaudit.collect.limits import Budget
from camaudit.collect.scanner import ScanOptions
from camaudit.identify.pipeline import Identifier
from camaudit.model import Observation
from camaudit.scope import Scope
from camaudit.simulate.process import FleetProcess
from camaudit.store import open_store

IDENTIFIER = Identifier.default()
NDAA = next(r for r in Restrictions().regimes if r.id == "us-ndaa-889")


def _ndaa(observations: list[Observation]) -> tuple[str | None, str, str]:
    identity = IDENTIFIER.identify_device("d", observations)
    finding = Restrictions([NDAA]).assess(identity)[0]
    return identity.manufacturer, finding.status, finding.certainty


def test_a_low_rate_never_makes_open_hosts_look_down(tmp_path: Path) -> None:
    names = ["hikvision-ipc", "dahua-ipc", "axis-camera", "nginx-server", "vivotek-camera", "router"]
    with FleetProcess("127.99.0.0/28", names=names) as fleet:
        devices = fleet.manifest["devices"]
        target = f"{devices[0]['address']}-{devices[-1]['address']}"
        store = open_store(str(tmp_path / "r.db"))
        options = ScanOptions(rate=10, concurrency=8, budget=Budget(host_deadline=3.0))
        summary = run_scan(store, Scope.build([target]), [target], options, Stages.default(), progress=False)
        up = {h["address"] for h in store.hosts(summary.scan_id) if h["open_ports"]}
        store.close()
    assert up == {d["address"] for d in devices}


def test_a_crafted_status_line_is_an_error_of_that_host_only(tmp_path: Path) -> None:
    async def serve() -> tuple[int, list[str]]:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(1024)
            writer.write("HTTP/1.1 ²00 OK\r\nServer: x\r\n\r\n".encode())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer, "127.99.1.1", 18081)
        try:
            from camaudit.collect.scanner import scan_host

            result = await scan_host("127.99.1.1", ScanOptions(ports={18081: "http"}, discovery=False))
        finally:
            server.close()
        return [o.response for o in result.observations if o.protocol == "http_header"], list(result.errors)

    heads, _errors = asyncio.run(serve())
    # the answer is kept as it came (its status simply not understood), and the host's result is complete
    assert heads and all(h.startswith("HTTP/1.1 ²00 OK") for h in heads)


def test_one_weak_signal_is_probable_not_certain() -> None:
    realm = 'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Basic realm="MediaServer3.0"\r\n\r\n'
    assert _ndaa([Observation(id="a", protocol="rtsp", response=realm)]) == ("Dahua", "covered", "probable")


def test_conflicting_evidence_is_never_certain() -> None:
    realm = 'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Basic realm="MediaServer3.0"\r\n\r\n'
    onvif = "<GetDeviceInformationResponse><Manufacturer>AXIS</Manufacturer></GetDeviceInformationResponse>"
    observations = [Observation(id="a", protocol="rtsp", response=realm, mac="ac:cc:8e:01:23:45"),
                    Observation(id="b", protocol="onvif_device_info", response=onvif)]
    _maker, status, certainty = _ndaa(observations)
    assert certainty != "certain" and status in ("covered", "undetermined")


def test_one_rule_firing_on_many_answers_is_one_signal() -> None:
    date = "RTSP/1.0 200 OK\r\nCSeq: {n}\r\nDate:  Thu, May 14 2020 16:45:35 GMT\r\n\r\n"
    once = IDENTIFIER.identify_device("d", [Observation(id="1", protocol="rtsp", response=date.format(n=1))])
    thrice = IDENTIFIER.identify_device("d", [Observation(id=str(n), protocol="rtsp", response=date.format(n=n))
                                              for n in range(3)])
    assert once.confidence == thrice.confidence


def test_cannot_tell_says_what_was_examined() -> None:
    web = Observation(id="w", protocol="http_header", response="HTTP/1.1 200 OK\r\nServer: nginx/1.13.9\r\n\r\n")
    silent = Observation(id="s", protocol="other", response="\x00\x01")
    for observations in ([web], [silent], []):
        identity = IDENTIFIER.identify_device("d", observations)
        finding = Restrictions([NDAA]).assess(identity)[0]
        assert finding.status == "undetermined" and finding.evidence
