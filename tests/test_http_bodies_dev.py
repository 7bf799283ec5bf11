"""The development HTTP bodies (benchmarks/http_bodies_dev.yaml: login and root pages of cameras, recorders and
their software from nmap-service-probes, Greenbone NASL detections and Nuclei panel templates) and the guards on
what a page may name: a generic title names nothing, a white-label firmware's page is at most probable and never
Hikvision or Dahua, a chipset SDK path or a script names no maker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from camaudit.identify.parts import observation_parts
from camaudit.identify.pipeline import Identifier
from camaudit.knowledge.brands import normalise
from camaudit.model import Identity, Observation

IDENTIFIER = Identifier.default()
DEV = Path(__file__).resolve().parent.parent / "benchmarks" / "http_bodies_dev.yaml"
ITEMS: list[dict[str, Any]] = yaml.safe_load(DEV.read_text(encoding="utf-8"))["items"]
COVERED = ("hikvision", "dahua")


def _identify(body: str) -> Identity:
    (identity,) = IDENTIFIER.identify_all([Observation(id="dev", protocol="http_body", response=body, device="dev")])
    return identity


def _maker(name: str | None) -> str:
    return normalise(IDENTIFIER.brands.canonical(name)) if name else ""


def test_every_item_is_sourced() -> None:
    for item in ITEMS:
        assert str(item["source"]).startswith("https://github.com/"), item
        assert item.get("says"), item


@pytest.mark.parametrize("item", ITEMS,
                         ids=lambda i: f"{i['truth']}:{str(i['value'])[:40]}")
def test_no_development_page_names_a_wrong_maker(item: dict[str, Any]) -> None:
    identity = _identify(str(item["value"]))
    got, want = _maker(identity.manufacturer), _maker(item["truth"])
    assert got in ("", want), (identity.manufacturer, item["truth"], [e.rule for e in identity.evidence])
    if got in COVERED:
        assert want in COVERED


@pytest.mark.parametrize("body", [
    "<html><head><title>XVR LOGIN</title></head>",  # Nuclei xvr-login: a login.rsp panel of many labels
    "<html>\r\n\t<head>\r\n\t\t<TITLE>Web Client for DVR</TITLE>",  # nmap: Zmodo, a generic title
    "<html><head><title>NVR</title></head>",
    "<HTML>\n<HEAD>\n<TITLE>IP Camera</TITLE>\n",
    "<html><head><title>Web Configurator</title></head>",  # ACTi's title without ACTi's name
    "<title>ipCAM</title><script src=\"/cgi-bin/hi3510/param.cgi\"></script><a>OCX</a>",  # HiSilicon SDK path
    "var initProdNbr=\"IPC-1\";\nvar initBrand=\"Pearl \";",  # the shared /profile firmware, another label
    "<html><head><title>Video Surveillance</title></head>",  # part of Cisco's console titles only
])
def test_generic_pages_name_nothing(body: str) -> None:
    identity = _identify(body)
    assert identity.manufacturer is None, (identity.manufacturer, [e.rule for e in identity.evidence])


@pytest.mark.parametrize(("body", "maker"), [
    ("var BrandCopyright=\"Beward R&D Co., Ltd.\";", "Beward"),
    ("var BrandCopyright=\"Zavio \";", "Zavio"),
    ("<div class=\"ldap\">LDAPUser</div><div>Amcrest Technologies</div>", "Dahua"),
    ("{\"vendor\" : \"QSee\", \"deviceType\" : \"QTN8086B\"}", "Dahua"),  # a label's JSON: brands.yaml's maker
])
def test_shared_firmware_and_label_pages_are_probable_only(body: str, maker: str) -> None:
    identity = _identify(body)
    assert identity.manufacturer == maker
    assert not identity.certain_because, identity.certain_because


def test_netsurveillance_title_is_xiongmai_never_hikvision_or_dahua() -> None:
    identity = _identify("<html><head><title>NETSurveillance WEB</title></head>")
    assert identity.manufacturer == "Xiongmai"


def test_a_json_body_is_read_by_key() -> None:
    """An HTTP body that is a JSON document (an API's device information) gives its values as json:<key> parts,
    as the DHIP and RPC answers do; an HTML page gives none."""
    obs = Observation(id="j", protocol="http_body", device="j",
                      response='{"apiVersion": "1.0", "data": {"propertyList": {"Brand": "AXIS", "ProdNbr": "M3058"}}}')
    parts = observation_parts(obs)
    assert parts["json:Brand"] == ["AXIS"] and parts["json:ProdNbr"] == ["M3058"]
    page = Observation(id="p", protocol="http_body", device="p", response='<html><script>var a = {"Brand": "AXIS"};')
    assert "json:Brand" not in observation_parts(page)


@pytest.mark.parametrize(("body", "maker"), [
    ("<div>&copy;Hikvision Digital Technology Co., Ltd. All Rights Reserved.</div>", "Hikvision"),
    ("<div>&copy;2019 Synology Inc.</div>", "Synology"),
])
def test_a_copyright_sign_written_against_the_name_is_read(body: str, maker: str) -> None:
    """The notice's words are read apart from the word Copyright the reader puts before them ("Copyright
    Hikvision ...", not "CopyrightHikvision ...")."""
    assert _identify(body).manufacturer == maker
