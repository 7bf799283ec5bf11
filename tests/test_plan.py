"""The removal plan: order and reasons on a small estate, exports, and the CLI on the emulated case fleet."""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from camaudit.model import Finding, Identity
from camaudit.report.plan import (
    PlanError,
    build_plan,
    load_prices,
    render_plan_csv,
    render_plan_fragment,
    render_plan_json,
    render_plan_xlsx,
)
from camaudit.report.plan_cli import add_parser, cmd_plan
from camaudit.report.sites import load_site_map
from tests.case_fleet import Scanned, scan_cases
from tests.stores import BACKENDS

SITES = """\
organisation: Example Trust
sites:
  - name: Hospital
    sensitivity: high
    cidrs: [10.1.0.0/16]
  - name: Depot
    sensitivity: low
    cidrs: [10.2.0.0/16, 10.1.9.9]
"""
PRICES_YAML = "currency: GBP\nprices: {IP Camera: 250, NVR: 900}\n"
PRICES_CSV = "device_type,unit_cost,currency\nIP Camera,250,GBP\nNVR,900,GBP\n"


def ident(device: str, address: str, device_type: str = "IP Camera", maker: str | None = "Hikvision") -> Identity:
    return Identity(device=device, ids=(), address=address, manufacturer=maker, brand=maker, model="M",
                    firmware=None, device_type=device_type, confidence=0.9, evidence=())


def finding(device: str, kind: str, fid: str, status: str, certainty: str = "certain", detail: str = "",
            kev_date: str | None = None) -> Finding:
    return Finding(device=device, kind=kind, id=fid, status=status, certainty=certainty, severity="high",
                   title=f"{fid} title", detail=detail, evidence=(), sources=(),
                   facts={"kev_date": kev_date} if kev_date else {})


@pytest.fixture()
def estate(tmp_path: Path) -> tuple[list[Identity], list[Finding], Path, Path]:
    identities = [
        ident("a", "10.2.0.5"),                    # depot, certain, nothing else           -> 40
        ident("b", "10.1.0.7"),                    # hospital, certain                      -> 70
        ident("c", "10.2.0.6", device_type="NVR"),  # depot, certain, KEV + telnet           -> 80
        ident("d", "10.3.0.1"),                    # no site, probable, face recognition    -> 45
        ident("e", "10.1.0.8", maker="Axis"),      # not covered: not in the plan
        ident("f", "10.1.9.9"),                    # the /32 in Depot beats Hospital's /16  -> 40
    ]
    findings = [
        finding("a", "restriction", "us-ndaa-889", "covered"),
        finding("b", "restriction", "us-ndaa-889", "covered"),
        finding("b", "restriction", "uk-2022", "covered"),
        finding("c", "restriction", "us-ndaa-889", "covered"),
        finding("c", "vulnerability", "CVE-2021-36260", "affected",
                detail="... In CISA's Known Exploited Vulnerabilities catalogue since 2022-01-10.",
                kev_date="2022-01-10"),
        finding("c", "exposure", "telnet", "present"),
        finding("d", "restriction", "us-ndaa-889", "covered", certainty="probable"),
        finding("d", "capability", "face-recognition", "supported"),
        finding("e", "restriction", "us-ndaa-889", "not-covered"),
        finding("f", "restriction", "us-ndaa-889", "covered"),
    ]
    sites = tmp_path / "sites.yaml"
    sites.write_text(SITES, encoding="utf-8")
    prices = tmp_path / "prices.yaml"
    prices.write_text(PRICES_YAML, encoding="utf-8")
    return identities, findings, sites, prices


def test_order_reasons_sites_and_cost(estate: tuple[list[Identity], list[Finding], Path, Path]) -> None:
    identities, findings, sites, prices = estate
    plan = build_plan(identities, findings, load_site_map(sites), load_prices(prices))
    assert [(i.device, i.score) for i in plan.items] == [("c", 80), ("b", 70), ("d", 45), ("f", 40), ("a", 40)]
    c, b, d, f, _a = plan.items  # f and a tie: same site, then address order
    assert [r.points for r in c.reasons] == [40, 0, 25, 15]
    assert "identified from the device itself" in c.reasons[0].text
    assert "Known Exploited Vulnerabilities" in c.reasons[2].text and "CVE-2021-36260" in c.reasons[2].text
    assert c.reasons[3].text == "telnet title"
    assert b.site == "Hospital" and b.reasons[1].text == "site Hospital: high sensitivity"
    assert "2 regime(s)" in b.reasons[0].text
    assert d.certainty == "probable" and d.site == "(no site)"
    assert d.reasons[-1].points == 20 and "face-recognition" in d.reasons[-1].text
    assert f.site == "Depot"  # most specific network wins
    assert "e" not in {i.device for i in plan.items}
    groups = {g.name: g for g in plan.by_site()}
    assert groups["Depot"].count == 3 and groups["Depot"].cost == 250 + 900 + 250
    assert plan.total_cost == 250 * 4 + 900 and plan.currency == "GBP"
    assert plan.counts()["by_device_type"] == {"NVR": 1, "IP Camera": 4}


def test_exports(estate: tuple[list[Identity], list[Finding], Path, Path], tmp_path: Path) -> None:
    identities, findings, sites, _prices = estate
    prices_csv = tmp_path / "prices.csv"
    prices_csv.write_text(PRICES_CSV, encoding="utf-8")
    plan = build_plan(identities, findings, load_site_map(sites), load_prices(prices_csv))
    rows = list(csv.DictReader(io.StringIO(render_plan_csv(plan))))
    assert [r["address"] for r in rows] == ["10.2.0.6", "10.1.0.7", "10.3.0.1", "10.1.9.9", "10.2.0.5"]
    assert rows[0]["currency"] == "GBP" and rows[0]["unit_cost"] == "900.0"
    doc = json.loads(render_plan_json(plan))
    assert doc["counts"]["devices"] == 5 and doc["schedule"][0]["reasons"][0]["points"] == 40
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    book = load_workbook(io.BytesIO(render_plan_xlsx(plan)))
    assert book["Schedule"]["D2"].value == "10.2.0.6" and book["Sites"].max_row == 4
    html = render_plan_fragment(plan)
    assert 'class="plan"' in html and "Known Exploited" in html and "<script" not in html


def test_untrusted_text_never_becomes_a_formula() -> None:
    evil = Identity(device="z", ids=(), address="10.9.9.9", manufacturer="Hikvision", brand=None,
                    model="=HYPERLINK(\"http://x\")", firmware=None, device_type="IP Camera", confidence=0.9,
                    evidence=())
    plan = build_plan([evil], [finding("z", "restriction", "us-ndaa-889", "covered")])
    assert "'=HYPERLINK" in render_plan_csv(plan)
    assert "<script>" not in render_plan_fragment(build_plan(
        [Identity(device="y", ids=(), address="10.9.9.8", manufacturer="Hikvision", brand=None, model="<script>",
                  firmware=None, device_type="IP Camera", confidence=0.9, evidence=())],
        [finding("y", "restriction", "us-ndaa-889", "covered")]))


def test_bad_inputs_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "sites.yaml"
    bad.write_text("sites:\n  - name: X\n    sensitivity: extreme\n    cidrs: [10.0.0.0/8]\n", encoding="utf-8")
    with pytest.raises(PlanError, match="sensitivity"):
        load_site_map(bad)
    bad.write_text("sites:\n  - name: X\n    cidrs: [not-a-network]\n", encoding="utf-8")
    with pytest.raises(PlanError, match="not an address"):
        load_site_map(bad)
    mixed = tmp_path / "p.csv"
    mixed.write_text("device_type,unit_cost,currency\nNVR,1,GBP\nDVR,2,EUR\n", encoding="utf-8")
    with pytest.raises(PlanError, match="one currency"):
        load_prices(mixed)


@pytest.fixture(scope="module", params=BACKENDS)
def scanned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    yield from scan_cases(tmp_path_factory.mktemp("plan"), str(request.param))


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="camaudit")
    add_parser(parser.add_subparsers())
    return parser.parse_args(argv)


def test_cli_plan_on_the_case_fleet(scanned: Scanned, tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites:\n  - name: Lab\n    sensitivity: medium\n    cidrs: [127.95.0.0/24]\n",
                     encoding="utf-8")
    out = tmp_path / "plan.json"
    args = _parse(["plan", "--db", str(scanned.db), "--scan", str(scanned.scan_id), "--sites", str(sites),
                   "-o", str(out)])
    assert cmd_plan(args) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    by_address = {i.address: p for p, i in scanned.by_personality.items()}
    order = [by_address[row["address"]] for row in doc["schedule"]]
    # race analytics (30+20+10, model knowledge) and face recognition from the device (20+10+10) come first;
    # the telnet camera is covered only by its label-free RTSP answers
    assert order[:2] == ["dahua-race-analytics-ipc", "hikvision-face-ipc"]
    assert set(order) == {"dahua-race-analytics-ipc", "hikvision-face-ipc", "hikvision-hikconnect-ipc",
                          "amcrest-p2p-ipc", "hikvision-telnet-ipc"}
    first = doc["schedule"][0]
    texts = " | ".join(r["text"] for r in first["reasons"])
    assert "site Lab: medium sensitivity" in texts and "ethnicity-classification" in texts
    assert cmd_plan(_parse(["plan", "--db", str(scanned.db), "--format", "xlsx"])) == 2  # xlsx needs -o


def test_a_probable_reason_says_what_identification_rested_on() -> None:
    """The reason of a probable item is identification's own: a MAC prefix is not passed off as a label."""
    from dataclasses import replace

    by_mac = replace(ident("m", "10.9.0.1", maker="Hikvision"), brand=None,
                     probable_because="only one kind of evidence names Hikvision: oui (oui.ma-l); certain needs more")
    covered = finding("m", "restriction", "ndaa-889", "covered", certainty="probable")
    (item,) = build_plan([by_mac], [covered]).items
    assert item.reasons[0].text.startswith("probably made by Hikvision (only one kind of evidence names Hikvision: "
                                           "oui (oui.ma-l)); covered by 1 regime(s): ndaa-889")
    assert "label ?" not in item.reasons[0].text
