"""The unauthenticated web probe paths are data (data/knowledge/probes.yaml): each with why it is asked and a
public source, checked by the schema; the scan asks them on every web port, and the emulated devices answer
them as their recordings say (a Reolink its API's refusal before login, the others their own error answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from camaudit.audit import Stages, host_identity
from camaudit.collect.http import probe_web
from camaudit.collect.limits import Budget, Deadline
from camaudit.collect.scanner import ScanOptions, scan_host
from camaudit.knowledge.probes import load_web_probes, web_probe_paths
from camaudit.knowledge.schema import problems
from camaudit.knowledge.validate import KNOWLEDGE_SCHEMAS, file_problems
from camaudit.model import HostResult, Observation
from camaudit.scope import RateLimiter
from camaudit.simulate.personality import load_personalities
from camaudit.simulate.process import FleetProcess
from camaudit.simulate.recordings import load_recordings
from camaudit.simulate.server import Request, http_answer

GETDEVINFO = "/cgi-bin/api.cgi?cmd=GetDevInfo"
HANG_GUARD = 60.0  # seconds: only so that a regression fails instead of hanging


def test_the_probe_paths_are_data_with_a_reason_and_a_source_each() -> None:
    probes = load_web_probes()
    assert [p.path for p in probes][:1] == ["/"]  # the home page first: most rules read it
    assert {"/", "/ISAPI/System/deviceInfo", GETDEVINFO} <= set(web_probe_paths())
    for probe in probes:
        assert probe.why and probe.sources and all(s.url.startswith("https://") for s in probe.sources)
    assert ScanOptions().web_paths == web_probe_paths()
    assert "probes" in KNOWLEDGE_SCHEMAS
    assert not [p for p in file_problems() if "probes" in p]


def test_the_schema_rejects_unknown_keys_and_paths_that_are_not_one_request_target() -> None:
    good = {"id": "x", "path": "/a?b=c", "why": "a reason", "sources": ["https://example.org/"],
            "checked": "2026-12-03"}
    assert problems([good], "probes") == []
    assert any("unknown key 'credentials'" in p for p in problems([{**good, "credentials": "admin"}], "probes"))
    for bad in ("a", "/a b", "/a\r\nX-Injected: 1", "/" + "a" * 300):
        assert problems([{**good, "path": bad}], "probes"), bad
    assert problems([{k: v for k, v in good.items() if k != "sources"}], "probes")


def test_the_emulated_devices_answer_the_reolink_path_as_their_recordings_say() -> None:
    personalities = load_personalities()
    request = Request("GET", GETDEVINFO, "HTTP/1.1", {"host": "x"})
    reolink = next(s for s in personalities["reolink-camera"].services if s.port == 80)
    answer = http_answer(reolink, request, None)
    assert answer is not None and answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'"cmd" : "GetDevInfo"' in answer and b'"detail" : "please login first"' in answer
    hikvision = next(s for s in personalities["hikvision-ipc"].services if s.port == 80)
    other = http_answer(hikvision, request, None)
    assert other is not None and b"please login first" not in other
    if hikvision.fallback is not None:  # its own error page for a path it does not serve
        assert other.split(b"\r\n", 1)[0] == http_answer(
            hikvision, Request("GET", "/no/such/page", "HTTP/1.1", {}), None).split(b"\r\n", 1)[0]  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def fleet() -> Iterator[dict[str, str]]:
    with FleetProcess("127.68.0.0/29", names=["reolink-camera", "hikvision-ipc"]) as running:
        yield {d["personality"]: d["address"] for d in running.manifest["devices"]}


def test_the_scan_asks_every_probe_path_and_names_reolink_from_its_api_refusal(fleet: dict[str, str]) -> None:
    address = fleet["reolink-camera"]

    async def web() -> list[str]:
        found = await probe_web(address, 80, Budget(), Deadline(10.0), tls=False, paths=web_probe_paths())
        return [o.request for o in found if o.protocol == "http_body"]

    assert asyncio.run(asyncio.wait_for(web(), HANG_GUARD)) == [f"GET {GETDEVINFO}"]
    result = asyncio.run(asyncio.wait_for(scan_host(address, ScanOptions(discovery=False), RateLimiter(100)),
                                          HANG_GUARD))
    identity = host_identity(result, Stages.default())[0]
    assert identity.manufacturer == "Reolink"
    rules = {e.rule for e in identity.evidence}
    assert "http.body.reolink-api-error" in rules
    assert "rtsp.reolink.preview-path" not in rules  # no path echo is evidence here


def test_one_more_get_per_web_port_stays_within_the_host_budget(fleet: dict[str, str]) -> None:
    budget = Budget(host_deadline=6.0)
    result = asyncio.run(asyncio.wait_for(
        scan_host(fleet["hikvision-ipc"], ScanOptions(budget=budget, discovery=False), RateLimiter(100)),
        HANG_GUARD))
    asked = {o.request for o in result.observations if o.protocol == "http_header" and o.port == 80}
    assert f"GET {GETDEVINFO}" in asked and "GET /" in asked
    assert not result.incomplete
    identity = host_identity(result, Stages.default())[0]
    assert identity.manufacturer == "Hikvision"


def test_the_reolink_api_refusal_alone_is_probable_never_certain() -> None:
    body = load_recordings()["reolink-api-getdevinfo-please-login-first"].response
    obs = Observation(id="192.0.2.9:80:http/api-b", protocol="http_body", response=body, address="192.0.2.9",
                      port=80, request=f"GET {GETDEVINFO}")
    identity = host_identity(HostResult("192.0.2.9", (80,), (obs,)), Stages.default())[0]
    assert identity.manufacturer == "Reolink"
    assert identity.certain_because is None and identity.probable_because


def test_the_scan_plan_keeps_the_web_paths_it_was_begun_with() -> None:
    """A library caller's ``ScanOptions.web_paths`` reach the scan and its resume (review: the plan dropped them, so
    every scan probed the knowledge file's paths, and a resume read the files again)."""
    from camaudit.pipeline.plan import PlanError, ScanPlan
    from camaudit.scope import Scope

    scope = Scope.build(["127.0.0.1/32"], ())
    plan = ScanPlan.from_scope(scope, ["127.0.0.1/32"], ScanOptions(web_paths=("/",)))
    assert plan.options().web_paths == ("/",)
    back = ScanPlan.from_record(["127.0.0.1/32"], plan.record())
    assert back.web_paths == ("/",) and back.options().web_paths == ("/",)
    older = {k: v for k, v in plan.record().items() if k != "web_paths"}  # a plan stored before paths were kept
    assert ScanPlan.from_record(["127.0.0.1/32"], older).options().web_paths == web_probe_paths()
    with pytest.raises(PlanError):
        ScanPlan.from_record(["127.0.0.1/32"], {**plan.record(), "web_paths": ["/x\r\nHost: a"]})
