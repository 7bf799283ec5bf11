"""The SNMP private-MIB objects the snmp-values parser reads come from knowledge/snmp.yaml, checked by its schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from camaudit.identify.declared import snmp
from camaudit.identify.pipeline import Identifier
from camaudit.knowledge.files import KnowledgeError, load_yaml, package_data
from camaudit.knowledge.schema import validate
from camaudit.model import Observation


def test_the_objects_read_are_the_files() -> None:
    doc = load_yaml(package_data() / "knowledge" / "snmp.yaml")
    assert snmp.private_objects() == {entry["oid"]: entry["field"] for entry in doc}
    assert set(snmp.private_objects().values()) <= {"model", "firmware", "mac"}


FIXTURES = Path(__file__).parent / "fixtures" / "snmp"  # real LibreNMS snmpsim recordings: see SOURCES.md there
IDENTIFIER = Identifier.default()


@pytest.mark.parametrize(("name", "maker", "model", "firmware"), [
    # the camera's recording, whole: model and firmware under Hikvision's enterprise 39165, no system group
    ("hikvision-cam.snmprec", "Hikvision", "DS-2CD2185FWD-I", "V5.5.3 build 171025"),
    # the recorder's first eight lines: its sysDescr says "Hikvision company products", no model object
    ("hikvision-nvr-start.snmprec", "Hikvision", None, None),
    # an Axis camera's recording, whole: the system group only (its sysDescr names AXIS P5534-E; the model is not
    # read from that form today, so only the maker is asserted), nothing under a private MIB the parser reads
    ("axiscam.snmprec", "Axis", None, None),
])
def test_a_real_recording_is_read_end_to_end(name: str, maker: str, model: str | None, firmware: str | None) -> None:
    """A recording as LibreNMS keeps it: the objects knowledge/snmp.yaml lists are read, and the identifier names
    the maker (and the model and firmware where the recording carries them)."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    found = snmp.values(text)
    read = {oid: found[oid] for oid in snmp.private_objects() if oid in found}
    if model:
        assert read == {"1.3.6.1.4.1.39165.1.1.0": model, "1.3.6.1.4.1.39165.1.3.0": firmware}
    identity = IDENTIFIER.identify_device("d", [Observation(id="r", protocol="other", response=text)])
    assert (identity.manufacturer, identity.model, identity.firmware) == (maker, model, firmware)


@pytest.mark.parametrize("entry", [
    "- {oid: 1.3.6.1.4.1.1.1.0, field: model, mib: x, sources: [{url: 'https://example.org'}], checked: 2026-12-03,"
    " maker: X}",  # an unknown key
    "- {oid: 1.3.6.1.2.1.1.1.0, field: model, mib: x, sources: [{url: 'https://example.org'}], checked: 2026-12-03}",
    "- {oid: 1.3.6.1.4.1.1.1.0, field: serial, mib: x, sources: [{url: 'https://example.org'}], checked: 2026-12-03}",
])
def test_the_schema_refuses(tmp_path: Path, entry: str) -> None:
    path = tmp_path / "snmp-extra.yaml"
    path.write_text(entry + "\n", encoding="utf-8")
    with pytest.raises(KnowledgeError):
        validate(load_yaml(path), "snmp", path)
