"""``camaudit import``: audit from files people already have, through the same path as a live scan."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from camaudit.collect.imports.interface import ImportError_
from camaudit.collect.imports.register import FIELDS, parse_column_map
from camaudit.collect.imports.registry import IMPORTERS

DESCRIPTION = """\
Read asset registers and other tools' output and audit the devices in them: the files become evidence
records, identified and judged exactly as a live scan's answers are, and stored as one scan per file
(kind "import", with the file's path and SHA-256). Nothing is sent on the network.

Importing a file whose SHA-256 is already in the store adds nothing. A malformed file stops the import
with one line naming the file, the line (or row, or byte) and what was expected; everything that file had
added is rolled back, and files imported before it are kept.
"""

EPILOG = """\
formats (--format auto tells them apart from the first bytes and the file name):
{formats}

register columns are matched whatever their case and spacing: make/manufacturer/brand/vendor, model,
serial/serial number, MAC/mac address, IP/ip address/address, location/site, install date, firmware,
type, asset tag. Labels go through the brand relationships (Annke -> Hikvision: probable); a maker's model
number (DS-2CD..., IPC-HDW...) names the maker, also at most probable: a register is not the device.

examples:
  camaudit import assets.xlsx --site "Town Hall"
  camaudit import cameras.csv --map "Cam Make=brand" --map "Unit No=serial"
  camaudit import scan.xml http.log ssl.log                 Nmap XML and Zeek logs
  camaudit import shodan-export.json.gz --format shodan
  camaudit report --format html -o report.html              then report the latest import
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    formats = "\n".join(f"  {cls.name:<9} {cls.description}" for cls in IMPORTERS)
    p: argparse.ArgumentParser = subparsers.add_parser(
        "import", help="audit asset registers and Nmap/Zeek/masscan/ZGrab2/Shodan/Censys files (no network)",
        description=DESCRIPTION, epilog=EPILOG.format(formats=formats),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="files to import (.gz files are decompressed as they are read)")
    p.add_argument("--format", default="auto", choices=("auto", *(cls.name for cls in IMPORTERS)),
                   help="the files' format (default: auto)")
    p.add_argument("--site", metavar="NAME", help="site name recorded with the import (and on register rows)")
    p.add_argument("--map", action="append", default=[], metavar="COL=FIELD",
                   help=f"register column COL holds FIELD (repeatable); FIELD is one of {', '.join(FIELDS)}")
    p.add_argument("--db", help="store: SQLite file path or URL (default ./camaudit.db)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_import)
    return p


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from camaudit.collect.imports.runner import import_file
    from camaudit.store import open_store

    try:
        column_map = parse_column_map(args.map)
    except ImportError_ as exc:
        print(f"camaudit import: {exc}", file=sys.stderr)
        return 2
    store = open_store(args.db)
    try:
        from camaudit.pipeline.stages import Stages

        stages = Stages.default()
        for name in args.files:
            try:
                result = import_file(store, Path(name), args.format, args.site, column_map, not args.quiet, stages)
            except ImportError_ as exc:
                rest = args.files[args.files.index(name) + 1:]
                print(f"camaudit import: {exc}; nothing of this file was stored"
                      + (f" ({', '.join(rest)} not read)" if rest else ""), file=sys.stderr)
                return 2
            print(result.line())
    finally:
        store.close()
    return 0
