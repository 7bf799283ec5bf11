"""Imports: audit from data people already have (asset registers, Nmap, Zeek, masscan, ZGrab2, Shodan, Censys).

Each format is one :class:`~camaudit.collect.imports.interface.Importer` that turns a file into the same
evidence records a live scan produces; :func:`~camaudit.collect.imports.runner.run_import` sends them
through the same identify -> assess -> store path.
"""

from camaudit.collect.imports.interface import Importer, ImportError_, MalformedInput
from camaudit.collect.imports.registry import FORMATS, IMPORTERS

__all__ = ["FORMATS", "IMPORTERS", "ImportError_", "Importer", "MalformedInput"]
