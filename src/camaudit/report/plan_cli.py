"""``camaudit plan``: the prioritised removal and replacement schedule of a stored scan."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from camaudit.report.plan import Prices

FORMATS = ("csv", "xlsx", "json", "html")

DESCRIPTION = """\
Build the removal plan of a stored scan: every device a restriction regime covers, in the order to replace
them, with the reasons for each place. The score adds up, and each addition is a reason shown in the plan:

  covered, maker identified from the device      +40   (label only, probable: +25)
  site sensitivity (from --sites)                 +30 high, +15 medium, 0 normal/low
  vulnerability in CISA's KEV catalogue           +25   (possibly, firmware unconfirmed: +15; other: +10)
  public address +20, telnet open +15, vendor cloud/P2P enabled +10, SDK port or UPnP +5
  ethnicity classification +30, face recognition +20, face capture/detection or demographics +10

Devices are grouped by site, with counts, and priced when you give a price table.
"""

EPILOG = """\
site map (sites.yaml), the same file as 'camaudit report --site-map':
  organisation: Example Council
  sites:
    - name: Town Hall
      sensitivity: high            # high | medium | normal | low
      cidrs: [10.20.0.0/24, 10.20.9.7]

price table (prices.yaml, or prices.csv with columns device_type,unit_cost,currency):
  currency: GBP
  prices: {IP Camera: 250, NVR: 900, DVR: 700}

examples:
  camaudit plan --sites sites.yaml --prices prices.yaml -o plan.xlsx
  camaudit plan --scan 3 --format json
  camaudit plan --format html -o plan.html          # the fragment, in a page of its own
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "plan", help="the prioritised removal and replacement schedule of a scan",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", help="store: a SQLite file (default ./camaudit.db) or postgresql://... URL")
    p.add_argument("--scan", type=int, help="scan id (default: the latest)")
    p.add_argument("--sites", metavar="FILE", help="site map: CIDRs/addresses -> site name and sensitivity")
    p.add_argument("--prices", metavar="FILE", help="price table (YAML or CSV): device type -> unit cost")
    p.add_argument("--format", choices=FORMATS, help="default: from -o's suffix, else csv")
    p.add_argument("-o", "--output", metavar="FILE", help="file to write (default: standard output; xlsx needs -o)")
    p.set_defaults(func=cmd_plan)
    return p


def cmd_plan(args: argparse.Namespace) -> int:
    # imported here: every command builds this parser, only ``plan`` needs the planner
    from camaudit.report.plan import (
        PlanError,
        build_plan,
        load_prices,
        render_plan_csv,
        render_plan_html,
        render_plan_json,
        render_plan_xlsx,
    )
    from camaudit.report.sites import SiteMap, load_site_map
    from camaudit.store import StoreError, open_store

    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() if args.output else "csv")
    if fmt not in FORMATS:
        print(f"camaudit plan: unknown format {fmt!r}: choose {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    if fmt == "xlsx" and not args.output:
        print("camaudit plan: xlsx is a binary file: give -o plan.xlsx", file=sys.stderr)
        return 2
    try:
        site_map = load_site_map(Path(args.sites)) if args.sites else SiteMap()
        prices: Prices | None = load_prices(Path(args.prices)) if args.prices else None
    except PlanError as exc:
        print(f"camaudit plan: {exc}", file=sys.stderr)
        return 2
    try:
        store = open_store(args.db)
        try:
            scan_id = args.scan if args.scan is not None else store.latest_scan()
            plan = build_plan(store.identities(scan_id), store.findings(scan_id), site_map, prices)
        finally:
            store.close()
    except StoreError as exc:
        print(f"camaudit plan: {exc}", file=sys.stderr)
        return 1
    if fmt == "xlsx":
        Path(args.output).write_bytes(render_plan_xlsx(plan))
    else:
        renderers = {"csv": render_plan_csv, "json": render_plan_json, "html": render_plan_html}
        text = renderers[fmt](plan)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    if args.output:
        print(f"plan of scan {scan_id}: {len(plan.items)} covered device(s) written to {args.output}", file=sys.stderr)
    return 0
