"""The SNMP private-MIB objects the snmp-values parser reads come from knowledge/snmp.yaml, and the enterprise arcs
whose sysObjectID names a maker (with that maker's sysDescr layout) from knowledge/snmp-enterprises.yaml, both checked
by the snmp schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from camaudit.identify.declared import snmp
from camaudit.identify.declared.resolve import Resolver
from camaudit.identify.declared.structured import View
from camaudit.identify.pipeline import Identifier
from camaudit.knowledge.brands import load_brandbook
from camaudit.knowledge.files import KnowledgeError, load_yaml, package_data
from camaudit.knowledge.schema import validate
from camaudit.model import Observation


def test_the_objects_read_are_the_files() -> None:
    doc = load_yaml(package_data() / "knowledge" / "snmp.yaml")
    assert snmp.private_objects() == {entry["oid"]: entry["field"] for entry in doc}
    assert set(snmp.private_objects().values()) <= {"model", "firmware", "mac"}


ENTERPRISES = load_yaml(package_data() / "knowledge" / "snmp-enterprises.yaml")


def test_the_enterprises_read_are_the_file() -> None:
    assert {n: e.maker for n, e in snmp.enterprises().items()} == {e["enterprise"]: e["maker"] for e in ENTERPRISES}


@pytest.mark.parametrize("entry", ENTERPRISES, ids=[str(e["enterprise"]) for e in ENTERPRISES])
def test_an_enterprise_names_a_catalogued_maker_and_its_examples_are_its_own(entry: dict) -> None:
    """The maker is one the catalogue resolves to itself; each example sysObjectID is under the entry's arc; each
    sysDescr example yields what it says through the layout."""
    resolved = Resolver(load_brandbook()).resolve(entry["maker"])
    assert resolved is not None and resolved.manufacturer == entry["maker"]
    for example in entry["examples"]:
        assert snmp.enterprise_of(example["value"]) == entry["enterprise"]
        assert example["source"].startswith("https://github.com/")
    layout = snmp.enterprises()[entry["enterprise"]].descr
    for example in entry.get("descr", {}).get("examples", ()):
        assert layout is not None and snmp.described(layout, example["value"]) == example["yields"]


def _said(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for statement in snmp.walk(View(text)):
        out.setdefault(statement.field, []).append(statement.value)
    return out


_AXIS_DESCR = "; AXIS P5534-E; PTZ Dome Network Camera; 5.40.9.2; May 15 2012 09:50; 188.1; 1;"


@pytest.mark.parametrize(("text", "maker", "model"), [
    # the recording's two lines as net-snmp's snmpwalk prints them (reconstructed from axiscam.snmprec): the
    # symbolic sysObjectID is read like the numeric one
    (f"SNMPv2-MIB::sysDescr.0 = STRING: {_AXIS_DESCR}\nSNMPv2-MIB::sysObjectID.0 = OID: SNMPv2-SMI::enterprises.368\n",
     ["Axis"], ["P5534-E"]),
    (f"iso.3.6.1.2.1.1.1.0 = STRING: \"{_AXIS_DESCR}\"\niso.3.6.1.2.1.1.2.0 = OID: iso.3.6.1.4.1.368\n",
     ["Axis"], ["P5534-E"]),
    (f".1.3.6.1.2.1.1.1.0 = STRING: {_AXIS_DESCR}\n.1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.368\n",
     ["Axis"], ["P5534-E"]),
    # an AXIS M3045-V's first two lines as snmpwalk -On printed them in https://github.com/glpi-project/glpi-agent/issues/975
    (".1.3.6.1.2.1.1.1.0 = STRING:  ; AXIS M3045-V; Network Camera; 6.15.4.1; Aug 23 2016 13:57; 71B; 1; \n"
     ".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.368.1.1\n", ["Axis"], ["M3045-V"]),
    # a bare sysDescr (an snmpget of it alone): the layouts are tried, each anchored on its maker's own words
    (f"SNMPv2-MIB::sysDescr.0 = STRING: {_AXIS_DESCR}\n", [], ["P5534-E"]),
    # synthetic: Axis's sysDescr with net-snmp's sysObjectID, an arc no layout belongs to: no model is read
    (f"1.3.6.1.2.1.1.1.0|4|{_AXIS_DESCR}\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10\n", [], []),
    # synthetic: Axis's arc only inside another object's value, not as the sysObjectID, names nobody
    ("SNMPv2-MIB::sysObjectID.0 = OID: NET-SNMP-MIB::netSnmpAgentOIDs.10\n"
     "SNMPv2-MIB::sysORID.9 = OID: SNMPv2-SMI::enterprises.368.1\n", [], []),
    # synthetic: arcs that only start like listed ones (368 and 23465 are listed, 3680 and 234650 are not)
    ("1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.3680.1\n", [], []),
    ("1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.234650\n", [], []),
])
def test_the_sysobjectid_and_the_layouts(text: str, maker: list[str], model: list[str]) -> None:
    said = _said(text)
    assert said.get("manufacturer", []) == maker
    assert said.get("model", []) == model


FIXTURES = Path(__file__).parent / "fixtures" / "snmp"  # real LibreNMS snmpsim recordings: see SOURCES.md there
IDENTIFIER = Identifier.default()


@pytest.mark.parametrize(("name", "maker", "model", "firmware", "private"), [
    # the camera's recording, whole: model and firmware under Hikvision's enterprise 39165, no system group
    ("hikvision-cam.snmprec", "Hikvision", "DS-2CD2185FWD-I", "V5.5.3 build 171025",
     {"1.3.6.1.4.1.39165.1.1.0": "DS-2CD2185FWD-I", "1.3.6.1.4.1.39165.1.3.0": "V5.5.3 build 171025"}),
    # the recorder's first eight lines: its sysDescr says "Hikvision company products", no model object; its
    # sysObjectID's arc 50001 is one IANA gave Scildon, so it names nobody (the maker comes from the sysDescr)
    ("hikvision-nvr-start.snmprec", "Hikvision", None, None, {}),
    # an Axis camera's recording, whole: the system group only; Axis's enterprise 368 as sysObjectID, and the
    # model and firmware in the sysDescr's fields, read through Axis's sysDescr layout
    ("axiscam.snmprec", "Axis", "P5534-E", "5.40.9.2", {}),
    # a Vivotek camera's system group: its sysDescr ("Mega-Pixel Network Camera") names nobody, its sysObjectID
    # is Vivotek's enterprise 23465; no model is stated anywhere in it
    ("vivotek-start.snmprec", "Vivotek", None, None, {}),
    # a Dahua recorder's recording, whole: sysObjectID under Dahua's 1004849, model and version in DAHUA-SNMP-MIB
    ("dahua-nvr.snmprec", "Dahua", "DH-NVR4108HS-8P-4KS2", "3.212.0000.1",
     {"1.3.6.1.4.1.1004849.2.1.2.6.0": "DH-NVR4108HS-8P-4KS2", "1.3.6.1.4.1.1004849.2.1.1.1.0": "3.212.0000.1"}),
    # a Linux server's net-snmp agent: a sysDescr that only says Linux and net-snmp's own arc 8072 name nothing
    ("linux.snmprec", None, None, None, {}),
])
def test_a_real_recording_is_read_end_to_end(name: str, maker: str | None, model: str | None, firmware: str | None,
                                             private: dict[str, str]) -> None:
    """A recording as LibreNMS keeps it: the objects knowledge/snmp.yaml lists are read, and the identifier names
    the maker (and the model and firmware where the recording carries them)."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    found = snmp.values(text)
    assert {oid: found[oid] for oid in snmp.private_objects() if oid in found} == private
    identity = IDENTIFIER.identify_device("d", [Observation(id="r", protocol="other", response=text)])
    assert (identity.manufacturer, identity.model, identity.firmware) == (maker, model, firmware)


@pytest.mark.parametrize("entry", [
    "- {oid: 1.3.6.1.4.1.1.1.0, field: model, mib: x, sources: [{url: 'https://example.org'}], checked: 2026-12-03,"
    " maker: X}",  # an unknown key
    "- {oid: 1.3.6.1.2.1.1.1.0, field: model, mib: x, sources: [{url: 'https://example.org'}], checked: 2026-12-03}",
    "- {oid: 1.3.6.1.4.1.1.1.0, field: serial, mib: x, sources: [{url: 'https://example.org'}], checked: 2026-12-03}",
    # an enterprise entry with an unknown key, with no example, with a layout yielding a field it may not read
    "- {enterprise: 368, maker: Axis, registrant: x, description: x, examples: [{value: 1.3.6.1.4.1.368, source: x}],"
    " sources: [{url: 'https://example.org'}], checked: 2026-12-03, confidence: 0.9}",
    "- {enterprise: 368, maker: Axis, registrant: x, description: x, examples: [],"
    " sources: [{url: 'https://example.org'}], checked: 2026-12-03}",
    "- {enterprise: 368, maker: Axis, registrant: x, description: x, examples: [{value: 1.3.6.1.4.1.368, source: x}],"
    " descr: {pattern: '^AXIS (?P<model>\\S+)', description: x, examples: [{value: AXIS P1, yields: {serial: P1},"
    " source: x}]}, sources: [{url: 'https://example.org'}], checked: 2026-12-03}",
])
def test_the_schema_refuses(tmp_path: Path, entry: str) -> None:
    path = tmp_path / "snmp-extra.yaml"
    path.write_text(entry + "\n", encoding="utf-8")
    with pytest.raises(KnowledgeError):
        validate(load_yaml(path), "snmp", path)


@pytest.mark.parametrize("pattern", [
    "AXIS (?P<model>\\S+)",  # not anchored at the start of the sysDescr
    "^AXIS (?P<serial>\\S+)",  # captures a field a layout may not read
    "^AXIS \\S+",  # captures nothing
    "^AXIS (?P<model>[",  # no regular expression
])
def test_a_layout_that_could_read_the_wrong_thing_is_refused(pattern: str) -> None:
    with pytest.raises(KnowledgeError):
        snmp._layout(pattern, "snmp-extra.yaml")
