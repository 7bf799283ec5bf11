"""The SNMP private-MIB objects the snmp-values parser reads come from knowledge/snmp.yaml, checked by its schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from camaudit.identify.declared import snmp
from camaudit.knowledge.files import KnowledgeError, load_yaml, package_data
from camaudit.knowledge.schema import validate


def test_the_objects_read_are_the_files() -> None:
    doc = load_yaml(package_data() / "knowledge" / "snmp.yaml")
    assert snmp.private_objects() == {entry["oid"]: entry["field"] for entry in doc}
    assert set(snmp.private_objects().values()) <= {"model", "firmware", "mac"}


def test_an_object_from_the_file_is_read_from_a_walk() -> None:
    oid, field = next(iter(snmp.private_objects().items()))
    value = "00:11:22:33:44:55" if field == "mac" else "X-100"
    found = snmp.values(f"SNMPv2-SMI::enterprises.{oid.removeprefix('1.3.6.1.4.1.')} = STRING: \"{value}\"\n")
    assert found == {oid: value}


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
