"""``camaudit import``: audit from files people already have, through the same path as a live scan."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from camaudit.collect.imports.interface import ImportError_
from camaudit.collect.imports.register import FIELDS, parse_column_map
from camaudit.collect.imports.registry import IMPORTERS

if TYPE_CHECKING:
    from camaudit.store import Store

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
    p.add_argument("--db", help="store: a SQLite file (default ./camaudit.db) or postgresql://... URL")
    p.add_argument("--push", metavar="URL",
                   help="also send each imported file's devices, by address, to a camaudit server (a collector's "
                   "upload; token from --token-file or CAMAUDIT_TOKEN). A file imported before is sent again: the "
                   "server keeps each address once")
    p.add_argument("--token-file", metavar="FILE", help="file holding the API token for --push")
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
    token = None
    if args.push:
        from camaudit.web.cli import read_token

        token = read_token(args.token_file)
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
            scan_id = result.scan_id if result.already is None else result.already
            if token is not None and scan_id is not None and not _pushed(store, scan_id, args.push, token):
                return 1
    finally:
        store.close()
    return 0


def _pushed(store: Store, scan_id: int, url: str, token: str) -> bool:
    """Send one imported scan's devices, by address, to the server; False (with one line) when it failed."""
    from camaudit.web.collector import Collector, PushFailed, collector_scan_id

    scan = store.scan(scan_id)
    try:
        collector = Collector(url, token, collector_scan_id(store.where, scan), scan["targets"])
        unaddressed = collector.queue_stored(store, scan_id)
        sent = collector.finish()
    except PushFailed as exc:
        print(f"push: {exc}; the import is kept in {store.where}: 'camaudit push {url} --scan {scan_id}' sends it "
              "later", file=sys.stderr)
        return False
    print(f"push: scan {scan_id}: {sent.stored} address(es) stored by {url}, {sent.already} it already had"
          + (f"; {unaddressed} record(s) without an address not sent (the server takes devices by address)"
             if unaddressed else ""), file=sys.stderr)
    return True
