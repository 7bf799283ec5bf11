"""Self-description parsers (camaudit.identify.declared) on real answers, in every rendering, and as evidence.

The examples and their sources live in data/knowledge/parsers.yaml; each must yield exactly the statements it
lists. Renderings (xmltodict JSON, a Python dict in a log line, a scope list in JSON) must read like the
answer itself. Hostile input must not crash, hang or expand.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import xmltodict
import yaml

from camaudit.identify.declared import PARSERS, statements
from camaudit.identify.declared.book import load_parser_book
from camaudit.identify.declared.reading import clean, load_json
from camaudit.identify.pipeline import Identifier
from camaudit.model import Observation

RECORDINGS = Path(__file__).parent.parent / "src" / "camaudit" / "simulate" / "recordings"
BOOK = load_parser_book()
IDENTIFIER = Identifier.default()


def _recordings() -> dict[str, dict[str, Any]]:
    out = {}
    for path in RECORDINGS.glob("*.yaml"):
        for rec in yaml.safe_load(path.read_text()) or []:
            if isinstance(rec, dict) and "id" in rec:
                out[rec["id"]] = rec
    return out


REC = _recordings()
EXAMPLES = [(entry.id, i, ex) for entry in BOOK.values() for i, ex in enumerate(entry.examples)]


def _said(protocol: str, text: str, parser_id: str | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for parser, st in statements(Observation(id="x", protocol=protocol, response=text)):
        if parser_id is None or parser.id == parser_id:
            out.setdefault(st.field, []).append(st.value)
    return out


@pytest.mark.parametrize(("parser_id", "index", "example"), EXAMPLES, ids=[f"{p}-{i}" for p, i, _ in EXAMPLES])
def test_example_yields_what_it_says(parser_id: str, index: int, example: Any) -> None:
    if example.recording is not None:
        rec = REC[example.recording]
        assert not rec.get("holdout"), "examples never come from the hold-out recordings"
        text = rec["response"]
    else:
        text = example.value
    said = _said(example.protocol, text, parser_id)
    for field, values in example.yields.items():
        assert sorted(said.get(field, [])) == sorted(values), (field, said)


def test_every_parser_is_described_and_sourced() -> None:
    assert {p.id for p in PARSERS} == set(BOOK)
    for entry in BOOK.values():
        assert entry.source.startswith("https://") and entry.examples
        assert any(ex.source.startswith("https://") or ex.recording for ex in entry.examples)


# --- renderings -------------------------------------------------------------------------------------------

def _renderings(xml: str, log_prefix: str) -> tuple[str, str]:
    """The document as tools keep it: xmltodict's rendering (the library integrations use) as JSON, and as the
    dict a Python program logs after ``log_prefix``."""
    rendered = xmltodict.parse(xml)
    return json.dumps(rendered, indent=2), f"{log_prefix}{rendered!r}"


XML_RECORDINGS = [("isapi_deviceinfo", "hik-ds2cd2366g2-isu-sl-isapi-deviceinfo"),
                  ("sadp", "hik-ds2cd2385g1-i-sadp-probematch"), ("ssdp", "axis-m1014-upnp-root-description")]


@pytest.mark.parametrize(("protocol", "recording"), XML_RECORDINGS)
def test_renderings_read_like_the_answer(protocol: str, recording: str) -> None:
    text = REC[recording]["response"]
    expected = _said(protocol, text)
    assert expected
    start = text.index("<", text.index("?>") if "?>" in text else 0)
    renderings = _renderings(text[start:], "2024-05-01 10:00:00.123 DEBUG (MainThread) [custom_components.camera] "
                             "device info: ")
    for rendering in renderings:
        # pasted or stored renderings arrive as whatever evidence kind the user chose
        got = _said("other", rendering) if protocol == "isapi_deviceinfo" else _said(protocol, rendering)
        assert got == expected, rendering[:300]


def test_an_alert_push_reads_alike_in_its_renderings() -> None:
    """An EventNotificationAlert as xmltodict JSON and as a dict in a log: the MAC, and so the maker, survive."""
    text = BOOK["isapi-event-alert"].examples[0].value or ""
    xml = text[text.index("<EventNotificationAlert"):]
    expected = _said("other", xml, "isapi-event-alert")
    assert expected == {"mac": ["3c:1b:f8:09:88:85"]}
    for rendering in _renderings(xml, "INFO [hikvision] alert: "):
        assert _said("other", rendering, "isapi-event-alert") == expected
        identity = IDENTIFIER.identify_device("d", [Observation(id="r", protocol="other", response=rendering)])
        assert identity.manufacturer == "Hikvision" and identity.mac == "3c:1b:f8:09:88:85"


def test_a_sadp_answer_pasted_as_text_is_read() -> None:
    """A SADP ProbeMatch kept as text (a capture tool's dump, an issue) reads as the discovery answer does."""
    text = REC["hik-ds2cd2385g1-i-sadp-probematch"]["response"]
    expected = _said("sadp", text, "sadp")
    for protocol in ("other", "http_body"):
        assert _said(protocol, text, "sadp") == expected
        identity = IDENTIFIER.identify_device("d", [Observation(id="r", protocol=protocol, response=text)])
        assert identity.manufacturer == "Hikvision" and identity.model == "DS-2CD2385G1-I"


def test_an_ehome_request_reads_alike_in_its_renderings_and_a_platform_message_not_at_all() -> None:
    """A device's real EHome 2.0 REGISTER request (as the 365seal analysis quotes it) as XML, as xmltodict JSON and
    as a dict in a log gives the same firmware; the platform's command to the device (a REQUEST, but not one a
    device sends) and its RESPONSE give nothing, and the DeviceID (the ID set for the platform) is never read."""
    text = next(ex.value for ex in BOOK["ehome-message"].examples if ex.value and "<Sequence>21910<" in ex.value)
    xml = text[text.index("<PPVSPMessage"):]
    expected = _said("other", xml, "ehome-message")
    assert expected == {"firmware": ["V5.4.5 build 170302"]}
    for rendering in _renderings(xml, "INFO [isup] received: "):
        assert _said("other", rendering, "ehome-message") == expected
    command = xml.replace("<Command>REGISTER</Command>", "<Method>CONTROL</Method><Command>CLEARACSPARAM</Command>")
    answer = xml.replace("<CommandType>REQUEST</CommandType>", "<CommandType>RESPONSE</CommandType>")
    assert command != xml and answer != xml
    for text in (command, answer):
        assert _said("other", text, "ehome-message") == {}
    assert not any("560796072" in values for values in expected.values())


JSON_ANSWERS = [("tapo-api", "http_body", BOOK["tapo-api"].examples[0].value or ""),
                ("reolink-api", "http_body", REC["reolink-rlc410-5mp-getdevinfo"]["response"])]


@pytest.mark.parametrize(("parser_id", "protocol", "text"), JSON_ANSWERS, ids=[a[0] for a in JSON_ANSWERS])
def test_json_answers_read_alike_printed_as_python_dicts(parser_id: str, protocol: str, text: str) -> None:
    """pytapo's and reolink_aio's users paste what Python prints: the same answer with single quotes."""
    expected = _said(protocol, text, parser_id)
    assert expected
    value = load_json(text)  # the recording's answer is cut short: its complete objects
    as_log = f"2024-05-01 10:00:00 DEBUG [custom_components.cam] response: {value!r}"
    assert _said("other", as_log, parser_id) == expected
    identity = IDENTIFIER.identify_device("d", [Observation(id="r", protocol="other", response=as_log)])
    plain = IDENTIFIER.identify_device("d", [Observation(id="r", protocol=protocol, response=text)])
    assert identity.manufacturer == plain.manufacturer is not None


def test_scope_values_carry_no_quoting_from_a_json_rendering() -> None:
    scopes = REC["hik-ds2cd2385g1-i-ws-discovery-probematch"]["response"]
    items = [s for s in scopes.split() if s.startswith("onvif://")]
    rendering = json.dumps({"scopes": items}, indent=1)  # '"onvif://www.onvif.org/hardware/DS-2CD2385G1-I",'
    said = _said("ws_discovery", rendering)
    assert said["model"] == ["DS-2CD2385G1-I"]
    assert all(not v.endswith(('"', ",")) for values in said.values() for v in values)


def _device_information_renderings() -> list[tuple[str, str]]:
    """One real GetDeviceInformation answer (a Dahua camera's, a recording) in the forms tools print it, each
    written here from the answer's own values, to read as the answer does."""
    text = REC["dahua-ipc-hdw1025c-onvif-deviceinfo"]["response"]
    root = ElementTree.fromstring(text.replace("tds:", ""))
    values = {child.tag: (child.text or "").strip() for child in root}
    info = "".join(f"<{k}>{v}</{k}>" for k, v in values.items())
    prefixed = "".join(f"<tt:{k}>{v}</tt:{k}>" for k, v in values.items())
    lower = {k[0].lower() + k[1:]: v for k, v in values.items()}
    node = "{ " + ",\n  ".join(f"{k}: '{v}'" for k, v in lower.items()) + " }"
    labels = (("Manufacturer", "Manufacturer"), ("Model", "Model"), ("Firmware version", "FirmwareVersion"),
              ("Serial number", "SerialNumber"), ("Hardware ID", "HardwareId"))
    odm = "\n".join(f"{label}: {values[key]}" for label, key in labels)
    grid = "\r\n".join(f"{label}\t{values[key]}" for label, key in labels)
    ha = {"manufacturer": values["Manufacturer"], "model": values["Model"], "fw_version": values["FirmwareVersion"],
          "serial_number": values["SerialNumber"], "mac": None}
    diagnostics = json.dumps({"home_assistant": {"version": "2024.1.0"},
                              "data": {"config": {"domain": "onvif"}, "device": {"info": ha, "capabilities": {}}}},
                             indent=2)
    return [
        ("answer", text),
        ("bare-element", f"<DeviceInformation>{info}</DeviceInformation>"),
        ("bare-element-prefixed", f"<tt:DeviceInformation>{prefixed}</tt:DeviceInformation>"),
        ("zeep-printed", "{\n" + ",\n".join(f"    {k!r}: {v!r}" for k, v in values.items()) + "\n}"),
        ("json-dump", json.dumps(values)),
        ("json-wrapped", json.dumps({"DeviceInformation": values}, indent=2)),
        ("node-console-log", node),
        ("odm-labelled-lines", odm),
        ("property-grid-copy", grid),
        ("ha-diagnostics", diagnostics),
        ("go-struct-quoted", "device.GetDeviceInformationResponse{" + ", ".join(f"{k}:{json.dumps(v)}"
                                                                        for k, v in values.items()) + "}"),
        ("go-struct-plain", "info: {" + " ".join(f"{k}:{v}" for k, v in values.items()) + "}"),
    ]


DEVICE_INFORMATION_RENDERINGS = _device_information_renderings()


@pytest.mark.parametrize(("form", "text"), DEVICE_INFORMATION_RENDERINGS,
                         ids=[form for form, _ in DEVICE_INFORMATION_RENDERINGS])
def test_device_information_reads_alike_in_every_rendering(form: str, text: str) -> None:
    expected = {"maker": ["Dahua"], "model": ["IPC-HDW1025C"], "firmware": ["2.420.Dahua 00.14.R, build: 2016-06-18"],
                "serial": ["2J01018PAA00813"]}
    for protocol in ("onvif_device_info", "other"):
        assert _said(protocol, text, "onvif-device-information") == expected, (protocol, text)
    # the device's own answer earns "certain" whatever the rendering; pasted as text it is one kind of evidence
    own = IDENTIFIER.identify_device("d", [Observation(id="r", protocol="onvif_device_info", response=text)])
    assert own.manufacturer == "Dahua" and own.model == "IPC-HDW1025C" and own.certain_because
    pasted = IDENTIFIER.identify_device("d", [Observation(id="r", protocol="other", response=text)])
    assert pasted.manufacturer == "Dahua" and not pasted.certain_because


def test_labelled_lines_need_a_maker_and_a_model() -> None:
    """A page or log with a lone "Firmware version: ..." line is no device information."""
    assert _said("other", "Firmware version: 2.420.Dahua 00.14.R\nSerial number: 2J01018PAA00813\n") == {}
    assert _said("other", "The Model: field is filled in from the Firmware Version page.") == {}


def test_scope_listings_keep_the_whole_value_of_a_scope_alone_on_its_line() -> None:
    listing = "  - onvif://www.onvif.org/name/Front%20Door\n  - onvif://www.onvif.org/name/AXIS M3045-V\n"
    assert _said("ws_discovery", listing)["name"] == ["Front Door", "AXIS M3045-V"]
    spaced = "onvif://www.onvif.org/name/AXIS%20M3045-V onvif://www.onvif.org/hardware/M3045-V."
    assert _said("ws_discovery", spaced) == {"name": ["AXIS M3045-V"], "model": ["M3045-V"]}


def test_a_numeric_device_type_is_a_code_not_a_model() -> None:
    said = _said("dahua_cgi", "deviceType=31\nserialNumber=ND0219110NNNNN\n")
    assert "model" not in said
    assert clean('IPC-HDW1431T",') == "IPC-HDW1431T"


# --- evidence -----------------------------------------------------------------------------------------------

def test_evidence_names_the_parser_and_the_field() -> None:
    rec = REC["intelbras-mhdx1016-dhip-notifydevinfo"]
    identity = IDENTIFIER.identify_device("d", [Observation(id="r", protocol="dhip", response=rec["response"])])
    rules = {e.rule: e for e in identity.evidence}
    assert rules["parser.dhip:deviceInfo/Vendor"].asserts.get("brand") == "Intelbras"
    assert rules["parser.dhip:deviceInfo/DeviceType"].asserts == {"model": "MHDX 1016"}
    assert "MHDX 1016" in rules["parser.dhip:deviceInfo/DeviceType"].matched
    assert identity.manufacturer == "Dahua" and identity.model == "MHDX 1016"


def test_an_unknown_declared_maker_stays_unknown_with_its_reason() -> None:
    body = ("<GetDeviceInformationResponse><Manufacturer>Zorblax Vision</Manufacturer><Model>ZV-100</Model>"
            "</GetDeviceInformationResponse>")
    identity = IDENTIFIER.identify_device("d", [Observation(id="r", protocol="onvif_device_info", response=body)])
    assert identity.manufacturer is None and identity.brand is None
    assert identity.model == "ZV-100"
    assert "Zorblax Vision" in (identity.unidentified_reason or "")


def test_lorex_nvr_model_comes_from_update_serial() -> None:
    answer = BOOK["dahua-magicbox"].examples[0].value or ""
    identity = IDENTIFIER.identify_device("d", [Observation(id="r", protocol="dahua_cgi", response=answer)])
    assert identity.model == "DHI-NVR4108HS-8P-4KS2"


# --- hostile input ------------------------------------------------------------------------------------------

HOSTILE = [
    '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    "<DeviceInfo><model>&b;</model></DeviceInfo>",
    "<DeviceInfo>" + "<a>" * 50000 + "x",
    "{" * 100000,
    "[" * 100000 + "]" * 100000,
    "{'DeviceInfo': " * 5000 + "1" + "}" * 5000,
    "{'DeviceInfo': {'model': " + "'x' * 9**9**9" + "}}",
    "deviceType=" + "A1" * 200000,
    "onvif://www.onvif.org/name/" + "%41" * 100000,
    "  - onvif://www.onvif.org/name/" + "a " * 100000,
    "x, 1.1, (" + "a='b', " * 100000,
    "{Manufacturer:" + "A Model:" * 50000 + "}",
    "FirmwareVersion\n" + "Manufacturer:\tA\n" * 100000,
    "TXT " + "k=v " * 100000,
    '"DevInfo"' + '{"DevInfo": ' * 200 + "1",
    '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    "<PPVSPMessage><CommandType>REQUEST</CommandType><Command>REGISTER</Command><Params><SerialNumber>&b;"
    "</SerialNumber></Params></PPVSPMessage>",
    "<PPVSPMessage><CommandType>REQUEST</CommandType><Command>REGISTER</Command><Params>" + "<a>" * 50000 + "x",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_answers_are_refused_quietly(text: str) -> None:
    kinds = ("isapi_deviceinfo", "onvif_device_info", "ws_discovery", "dahua_cgi", "mdns", "http_body", "other")
    for protocol in kinds:
        started = time.process_time()  # CPU time: what the parser spent, whatever else the machine was doing
        found = statements(Observation(id="x", protocol=protocol, response=text))
        assert time.process_time() - started < 5  # a bound against runaway work, not a benchmark
        assert all(len(st.value) <= 128 for _p, st in found)
        assert not any(st.value.startswith("aaaaaaaaaa") for _p, st in found)


def test_parser_examples_share_no_distinctive_line_with_the_evaluation_corpus() -> None:
    """The parsers are tested on parsers.yaml's examples; like the rules' examples, they must stay apart from
    the evaluation split (tests/evaluation/kept_apart.py says what "distinctive" means)."""
    from tests.evaluation.kept_apart import distinctive_lines

    corpus_dir = Path(__file__).parent / "evaluation" / "corpus"
    items = [json.loads(line) for path in sorted(corpus_dir.glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    ours = set(distinctive_lines([(Path(__file__).parent.parent / "src" / "camaudit" / "data" / "knowledge"
                                   / "parsers.yaml").read_text(encoding="utf-8")]))
    shared = [str(item["id"]) for item in items if ours & set(distinctive_lines([str(item["response"])]))]
    assert not shared, shared


@pytest.mark.parametrize("placeholder", ["00:00:00:00:00:00", "FF-FF-FF-FF-FF-FF", "000000000000"])
def test_a_placeholder_mac_is_never_the_device_mac(placeholder: str) -> None:
    # firmware and tools write an unset or broadcast address where they have none; it names no device, and it
    # must not reach the IEEE registry or the identity (the same answer with a real MAC keeps it)
    body = ('<DeviceInfo version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema"><model>DS-2CD2142FWD-I'
            "</model><macAddress>{}</macAddress></DeviceInfo>")
    obs = Observation(id="r", protocol="http_body", response=body.format(placeholder), mac=placeholder)
    identity = IDENTIFIER.identify_device("d", [obs])
    assert identity.manufacturer == "Hikvision" and identity.mac is None
    real = Observation(id="r", protocol="http_body", response=body.format("C0-56-E3-AA-BB-CC"))
    assert IDENTIFIER.identify_device("d", [real]).mac == "c0:56:e3:aa:bb:cc"


@pytest.mark.parametrize(("text", "names"), [
    ("subject: CN=cam1, O=Axis\nissuer: CN=cam1, O=Axis\n",
     {"subject": "CN=cam1, O=Axis", "issuer": "CN=cam1, O=Axis"}),
    ('subject: "CN=cam1",\n', {"subject": "CN=cam1"}),
    ("subject:\n    CN: cam1\n", {"subject": "CN=cam1"}),
    ("subject: CN=a\n/O=Axis\n", {"subject": "CN=a, O=Axis"}),
    ("subject: nothing here\nissuer:   \n", {}),
    ("subject: CN=a\\, b\\x41\nissuer: CN=a\\, b\\x41\n", {"subject": "CN=a, bA", "issuer": "CN=a, bA"}),
])
def test_a_certificates_plain_name_lines_are_read_as_every_other_form(text: str, names: dict[str, str]) -> None:
    """The lines the importers write (``subject: ...``, ``issuer: ...``) are read without the other forms' patterns,
    to the same names: quotes and a trailing comma taken off, a heading's block, nmap's wrapped line, escapes."""
    from camaudit.identify.declared.banner import certificate_names

    assert certificate_names(text) == names
