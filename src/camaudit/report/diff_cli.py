"""``camaudit diff [SCAN_A] [SCAN_B]``: what was added, removed and changed between two scans."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def cmd_diff(args: argparse.Namespace) -> int:
    # imported here: every command builds this parser, only ``diff`` needs the comparison
    from camaudit.report.diff import diff_scans
    from camaudit.report.sites import SiteMapError, load_site_map
    from camaudit.store import open_store

    try:
        site_map = load_site_map(args.site_map) if args.site_map else None
    except SiteMapError as exc:
        print(f"camaudit diff: {exc}", file=sys.stderr)
        return 2
    store = open_store(args.db)
    try:
        diff = diff_scans(store, args.scan_a, args.scan_b, site_map)
    finally:
        store.close()
    if args.format == "json":
        sys.stdout.write(json.dumps(diff.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(diff.render_text())
    return 0


def add_diff_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "diff", help="what was added, removed and changed between two scans",
        description="Compare two stored scans (default: the two latest; with one id, that scan against the "
        "latest): devices added, removed and changed (address, maker, label, model, firmware, restriction "
        "verdict). Devices are matched by MAC address or serial number when known, else by address.")
    p.add_argument("scan_a", nargs="?", type=int, metavar="SCAN_A", help="the earlier scan id")
    p.add_argument("scan_b", nargs="?", type=int, metavar="SCAN_B", help="the later scan id")
    p.add_argument("--db", help="store (default ./camaudit.db)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="default text")
    p.add_argument("--site-map", metavar="FILE", help="YAML site map, to name each device's site")
    p.set_defaults(func=cmd_diff)
    return p
