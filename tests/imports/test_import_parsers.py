"""Imports keep their evidence: the raw answers Shodan, Censys, ZGrab2 and masscan kept go through the same
self-description parsers as live answers, and another tool's own conclusion (nmap -sV, Shodan's product/CPE)
becomes evidence labelled as that tool's, weaker than the device's own answers.

The device answers embedded here are public (sources beside each); the surrounding records follow each
tool's layout, as the other import fixtures do (tests/fixtures/imports/SOURCES.md: "reconstructed").
"""

from __future__ import annotations

import json
from pathlib import Path

from camaudit.collect.imports.runner import import_file
from camaudit.model import Identity
from camaudit.store import Store

# nocproject/noc sa/profiles/Axis/VAPIX/get_version.py (docstring): an AXIS 211's param.cgi Brand group, without
# the lines every Axis camera sends alike (Brand, ProdType, WebURL: the evaluation corpus must share none of them)
AXIS_PARAMS = ("root.Brand.ProdFullName=AXIS 211 Network Camera\nroot.Brand.ProdShortName=AXIS 211\n"
               "root.Brand.ProdNbr=211\n")
# rroller/dahua custom_components/dahua/__init__.py (comment): a Lorex NVR's getSystemInfo answer
LOREX_SYSTEMINFO = "deviceType=31\nprocessor=ST7108\nserialNumber=ND0219110NNNNN\nupdateSerial=DHI-NVR4108HS-8P-4KS2\n"
# maciej-or/hikvision_next issue 154: a DS-7616NXI-K2's ISAPI refusal
ISAPI_REFUSAL = ('<ResponseStatus xmlns="http://www.hikvision.com/ver20/XMLSchema" version="1.0">\n'
                 "<requestURL>/ISAPI/System/IO/inputs/901</requestURL>\n<statusCode>4</statusCode>\n"
                 "<statusString>Invalid Operation</statusString>\n<subStatusCode>invalidOperation</subStatusCode>\n"
                 "</ResponseStatus>")


def _import(store: Store, path: Path) -> dict[str, Identity]:
    result = import_file(store, path, "auto", progress=False)
    assert result.scan_id is not None
    return {i.device: i for i in store.identities(result.scan_id)}


def _rules(identity: Identity) -> set[str]:
    return {e.rule for e in identity.evidence}


def test_shodan_banners_go_through_the_parsers(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "shodan.jsonl"
    banners = [
        {"ip_str": "198.51.100.30", "port": 80, "_shodan": {"module": "http"},
         "data": "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + AXIS_PARAMS},
        {"ip_str": "198.51.100.31", "port": 80, "_shodan": {"module": "http"},
         "data": "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + LOREX_SYSTEMINFO},
        {"ip_str": "198.51.100.32", "port": 80, "_shodan": {"module": "http"}, "product": "Hikvision IP Camera",
         "cpe23": ["cpe:2.3:h:hikvision:ds-2cd2032-i"], "data": "HTTP/1.1 200 OK\r\nServer: lighttpd\r\n\r\n"},
    ]
    path.write_text("\n".join(json.dumps(b) for b in banners) + "\n")
    found = _import(store, path)
    axis = found["198.51.100.30"]
    assert (axis.manufacturer, axis.model) == ("Axis", "211")
    assert "parser.axis-vapix:root.Brand.ProdFullName" in _rules(axis)
    lorex = found["198.51.100.31"]
    assert (lorex.manufacturer, lorex.model) == ("Dahua", "DHI-NVR4108HS-8P-4KS2")
    labelled = found["198.51.100.32"]  # only Shodan's own labels name a maker: a tool's conclusion, probable
    assert labelled.manufacturer == "Hikvision" and labelled.manufacturer_basis == "tool"
    assert {"tool.shodan-labels:shodan.product", "tool.shodan-labels:shodan.cpe"} <= _rules(labelled)


def test_zgrab2_and_censys_bodies_go_through_the_parsers(store: Store, tmp_path: Path) -> None:
    zgrab = tmp_path / "zgrab2.jsonl"
    response = {"status_line": "403 Forbidden", "status_code": 403, "protocol": {"name": "HTTP/1.1"},
                "headers": {"content_type": ["application/xml"]}, "body": ISAPI_REFUSAL}
    zgrab.write_text(json.dumps({"ip": "192.0.2.60", "data": {"http": {
        "status": "success", "protocol": "http", "port": 80, "result": {"response": response}}}}) + "\n")
    hik = _import(store, zgrab)["192.0.2.60"]
    assert hik.manufacturer == "Hikvision" and "isapi.any.hikvision-namespace" in _rules(hik)

    censys = tmp_path / "censys.jsonl"
    censys.write_text(json.dumps({"ip": "203.0.113.60", "services": [
        {"port": 80, "service_name": "HTTP", "transport_protocol": "TCP",
         "banner": "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + LOREX_SYSTEMINFO}]}) + "\n")
    nvr = _import(store, censys)["203.0.113.60"]
    assert nvr.model == "DHI-NVR4108HS-8P-4KS2"
    assert "parser.dahua-magicbox:updateSerial" in _rules(nvr)


def test_masscan_http_banner_body_goes_through_the_parsers(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "masscan.json"
    entry = {"ip": "192.0.2.95", "timestamp": "1504640584", "ports": [{"port": 80, "proto": "tcp", "service": {
        "name": "http", "banner": "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + AXIS_PARAMS}}]}
    path.write_text("[\n" + json.dumps(entry) + ",\n{finished: 1}\n]\n")
    axis = _import(store, path)["192.0.2.95"]
    assert (axis.manufacturer, axis.model) == ("Axis", "211")


FLEET_NMAP = Path(__file__).parent.parent / "fixtures" / "imports" / "nmap" / "fleet-sV.xml"


def test_nmap_of_the_fleet_names_what_nmap_named_and_what_the_raw_answers_show(store: Store) -> None:
    """The real `nmap -sV` XML of the emulated fleet (SOURCES.md). nmap's own matches ("Hikvision 7513 POE IP camera
    rtspd", "Intelbras webcam httpd", "Mobotix Camera http config", "Amcrest IP camera http interface") are kept as
    nmap's conclusion; the answers inside the servicefp nmap printed for unmatched RTSP ports are decoded and
    identify their devices like live answers (Dahua's "Rtsp Server/3.0"). The Aiphone unit's only answer is a
    Ze-PRO server banner (a server product's, not a maker's): its server software is named, its maker is not."""
    result = import_file(store, FLEET_NMAP, "auto", progress=False)
    assert result.scan_id is not None
    found = {i.device: i for i in store.identities(result.scan_id)}
    named = {a: (i.manufacturer, i.brand, i.manufacturer_basis) for a, i in found.items()}
    assert named["127.77.0.20"] == ("Hikvision", "Hikvision", "tool")
    assert named["127.77.0.13"] == ("Hikvision", "Hikvision", "tool")
    assert named["127.77.0.23"] == ("Mobotix", "Mobotix", "tool")
    assert named["127.77.0.22"] == ("Dahua", "Intelbras", "brand")  # nmap named the label; brands.yaml its maker
    assert named["127.77.0.2"] == ("Dahua", "Amcrest", "fingerprint")  # the label from nmap, the maker from RTSP
    assert named["127.77.0.7"] == ("Dahua", None, "fingerprint")  # only the servicefp answers speak
    assert named["127.77.0.1"] == (None, None, None)
    assert found["127.77.0.1"].family == "Ze-PRO RTSP server" and found["127.77.0.1"].unknown["manufacturer"]
    assert "tool.nmap-service:nmap.product" in _rules(found["127.77.0.20"])
    decoded = [o for o in store.observations(result.scan_id) if "service fingerprint" in (o.request or "")]
    assert {"127.77.0.1", "127.77.0.2", "127.77.0.7"} <= {o.address for o in decoded}
    assert any(e.record in {o.id for o in decoded} for e in found["127.77.0.7"].evidence)
    # web servers and the router: no maker claimed (nginx's CPE vendor is in no catalogue: kept, asserting nothing)
    assert all(named[a][0] is None for a in ("127.77.0.4", "127.77.0.24", "127.77.0.27"))


FLEET_NMAP_ALL = Path(__file__).parent.parent / "fixtures" / "imports" / "nmap" / "fleet-sV-all.xml"


def _nmap_products(path: Path) -> dict[str, list[str]]:
    """Per host address, the products nmap itself matched (its conclusion, read straight from the XML)."""
    from xml.etree import ElementTree

    out: dict[str, list[str]] = {}
    for host in ElementTree.parse(path).getroot().iter("host"):
        address = host.find("address")
        assert address is not None
        out[address.get("addr", "")] = [s.get("product", "") for s in host.iter("service") if s.get("product")]
    return out


def test_nmap_of_the_whole_fleet_loses_no_maker_nmap_named_or_its_raw_answers_show(store: Store) -> None:
    """Issue 9's done-when, on the untrimmed `nmap -sV` XML of the 30-device fleet (SOURCES.md): every host whose
    products nmap matched to a maker (resolved through the maker catalogue, as camaudit resolves a declared name)
    is named with that maker, and so is every host only the raw answers in nmap's servicefp name (Dahua's
    "Rtsp Server/3.0", Hanwha's iPOLiS realm, Vivotek's streaming_server realm, Hikvision's DNVRS-Webs)."""
    from camaudit.identify.declared.resolve import Resolver
    from camaudit.identify.pipeline import Identifier

    brands = Identifier.default().brands
    resolver = Resolver(brands)
    found = _import(store, FLEET_NMAP_ALL)
    checked = 0
    for address, products in _nmap_products(FLEET_NMAP_ALL).items():
        for product in products:
            lead = resolver.leading(product)
            if lead is None:
                continue
            resolved = lead[1]
            want = resolved.manufacturer or brands.canonical(resolved.brand or "")
            label = brands.brand(resolved.brand or "")
            if label is not None and label.manufacturer:
                want = label.manufacturer
            assert found[address].manufacturer == want, (address, product, found[address].manufacturer)
            checked += 1
    assert checked >= 15  # the Hikvision, Amcrest, Intelbras, Mobotix and Epson services nmap matched
    raw_only = {"127.163.0.7": "Dahua", "127.163.0.8": "Dahua", "127.163.0.10": "Dahua",
                "127.163.0.11": "Hanwha Vision", "127.163.0.30": "Vivotek", "127.163.0.5": "Hikvision",
                "127.163.0.12": "Hikvision", "127.163.0.17": "Hikvision"}
    for address, maker in raw_only.items():
        assert found[address].manufacturer == maker, address
        assert found[address].manufacturer_basis == "fingerprint", address  # the device's answers, not nmap's word


def test_shodan_fields_of_every_type_are_read_as_the_field_helpers_read_them(tmp_path: Path) -> None:
    """The Shodan reader takes the common field types first (an int port, a text time stamp and module, no labels);
    every other type is read as the shared helpers read it, and a port that is none is the line's error."""
    import pytest

    from camaudit.collect.imports.interface import MalformedInput
    from camaudit.collect.imports.shodan import ShodanImporter

    def read(row: dict[str, object]) -> list[tuple[str, str, int | None, str | None, str | None]]:
        path = tmp_path / "one.jsonl"
        path.write_text(json.dumps(row) + "\n", encoding="utf-8")
        return [(o.protocol, o.response, o.port, o.request, o.observed_at) for o in ShodanImporter().read(path)]

    head = "HTTP/1.1 200 OK\r\n\r\n"
    base = {"ip_str": "198.51.100.7", "data": head}
    for port, read_as in ((443, 443), ("554", 554), (8.0, 8), (0, None), ("0", None), (None, None), ("", None),
                          ("-", None)):
        assert read({**base, "port": port})[0][2] == read_as, port
    for port in (99999, "http", True, 8.5, -1):
        with pytest.raises(MalformedInput):
            read({**base, "port": port})
    assert read({**base, "timestamp": "2024-01-01T00:00:00.000000"})[0][4] == "2024-01-01T00:00:00.000000Z"
    assert read({**base, "timestamp": "2024-01-01T00:00:00Z"})[0][4] == "2024-01-01T00:00:00Z"
    assert read({**base, "timestamp": 5})[0][4] == "5Z"
    assert read({**base, "timestamp": [1]})[0][4] is None
    assert read({**base, "_shodan": {"module": "https"}})[0][3] == "shodan https line 1: the answer Shodan kept (data)"
    assert read({**base, "_shodan": {"module": 7}})[0][3].startswith("shodan 7 line 1: ")
    assert read({**base, "_shodan": {"module": None}})[0][3].startswith("shodan banner line 1: ")
    assert read({**base, "_shodan": "http"})[0][3].startswith("shodan banner line 1: ")
    assert [r[0] for r in read(base)] == ["http_header"]
    assert [r[0] for r in read({**base, "product": None, "cpe": None})] == ["http_header"]
    labelled = read({**base, "product": "Hikvision IP Camera", "cpe23": ["cpe:2.3:h:hikvision:x"]})
    assert labelled[-1][:2] == ("other", "shodan.product=Hikvision IP Camera\nshodan.cpe=cpe:2.3:h:hikvision:x")
    host = read({"ip_str": "198.51.100.8", "data": [{"port": 80, "data": head}, "x", {"ip_str": None, "data": head}]})
    assert [r[2] for r in host] == [80, None]
    with pytest.raises(MalformedInput):
        read({"data": head})
    with pytest.raises(MalformedInput):
        read({"data": [{"data": head}]})


def test_shodan_records_in_stored_form_are_the_records_read(tmp_path: Path) -> None:
    """The Shodan reader's stored form (a banner's records as one text, no record objects: what an import gathers)
    is, text for text, the stored form of the records it reads, escapes, host records and all; and a malformed
    line is the same error. A lone surrogate (which the reader refuses, but another importer may give) is written
    as record_json writes it."""
    import pytest

    from camaudit.collect.imports.interface import Importer, MalformedInput
    from camaudit.collect.imports.shodan import ShodanImporter

    head = "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n<html>page</html>"
    rows: list[object] = [
        {"ip_str": "198.51.100.7", "port": 80, "data": head, "timestamp": "2024-01-01T00:00:00.000000",
         "_shodan": {"module": "http"}, "http": {"title": "T\u00e9 \"q\""}},
        {"ip_str": "198.51.100.7", "port": 443, "data": "RTSP/1.0 200 OK\r\n\r\n", "mac": {"00:11:22:33:44:55": {}},
         "ssl": {"cert": {"subject": {"CN": "a,b", "O": "\u4e2d"}, "issuer": {"CN": "a,b"}}}},
        {"ip_str": "198.51.100.8", "port": "554", "data": "NUL \x00 and \\u0000", "product": "P", "cpe": ["c"]},
        {"ip_str": "198.51.100.9", "data": [{"port": 80, "data": head}, "x", {"ip_str": "198.51.100.10", "data": ""}]},
        {"ip_str": "198.51.100.11", "data": "   "},
    ]
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    importer = ShodanImporter()
    fast = list(importer.stored(path))
    slow = list(Importer.stored(importer, path))  # one record at a time, through record objects
    assert [(device, count) for device, count, _ in fast] == [("198.51.100.7", 3), ("198.51.100.7", 2),
                                                               ("198.51.100.8", 2), ("198.51.100.9", 2)]
    assert sum(count for _, count, _ in fast) == len(slow)
    flat = [(device, text) for device, count, text in slow]
    at = 0
    for device, count, text in fast:
        assert (device, text) == (flat[at][0], ",".join(t for _, t in flat[at:at + count]))
        at += count
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(rows[0]) + "\n" + json.dumps({"ip_str": "198.51.100.7", "port": 99999}) + "\n",
                   encoding="utf-8")
    for reading in (importer.stored(bad), Importer.stored(importer, bad)):
        with pytest.raises(MalformedInput, match="line 2"):
            list(reading)
    from camaudit.collect.imports.common import Records
    from camaudit.store.core import record_json

    found = [("other", "plain \u00e9", "a"), ("other", "lone \udc80", "b")]
    made = Records("t").made(found, "d", "198.51.100.1", 7, None, "p: ", None)
    assert Records("t").stored(found, "d", "198.51.100.1", 7, None, "p: ", None) == (
        "d", 2, ",".join(record_json(o) for o in made))
    assert Records("t").stored([], "d", None, None, None, "p: ", None) is None
