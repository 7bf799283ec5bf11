"""The importers by --format name, in the order auto-detection tries them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from camaudit.collect.imports.censys import CensysImporter
from camaudit.collect.imports.interface import BadOption, Importer, UnknownFormat, read_head
from camaudit.collect.imports.masscan import MasscanImporter
from camaudit.collect.imports.nmap import NmapImporter
from camaudit.collect.imports.pcap import PcapImporter
from camaudit.collect.imports.register import RegisterImporter
from camaudit.collect.imports.shodan import ShodanImporter
from camaudit.collect.imports.zeek import ZeekImporter
from camaudit.collect.imports.zgrab2 import Zgrab2Importer

IMPORTERS: tuple[type[Importer], ...] = (
    RegisterImporter, NmapImporter, ZeekImporter, MasscanImporter, Zgrab2Importer, ShodanImporter, CensysImporter,
    PcapImporter,
)
FORMATS = tuple(cls.name for cls in IMPORTERS)


def make_importers(column_map: Mapping[str, str] | None = None, site: str | None = None) -> list[Importer]:
    out: list[Importer] = []
    for cls in IMPORTERS:
        out.append(RegisterImporter(column_map, site) if cls is RegisterImporter else cls())
    return out


def choose(path: Path, fmt: str, column_map: Mapping[str, str] | None = None,
           site: str | None = None) -> Importer:
    """The importer for ``path``: the one named by ``fmt``, or the first whose detect() accepts the file."""
    importers = make_importers(column_map, site)
    if fmt != "auto":
        for importer in importers:
            if importer.name == fmt:
                return importer
        raise BadOption(f"--format {fmt!r}: choose auto or one of {', '.join(FORMATS)}")
    head = read_head(path)
    for importer in importers:
        if importer.detect(head, path):
            return importer
    raise UnknownFormat(f"{path}: cannot tell its format from its first bytes; name it with --format "
                        f"({', '.join(FORMATS)})")
