"""``camaudit bulk``: wiring only (parse, run, print)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

DESCRIPTION = """\
Judge internet-scale data others collected (Shodan and Censys exports, ZGrab2 and masscan JSON lines; gzip
too; Parquet of evidence records), across a Dask cluster: each partition (input file) is read by the same
importer as `camaudit import`, and every device goes through the same identification and assessment. Writes
identities, findings and evidence as Parquet, and the prevalence report (by country and autonomous system where
the export records them, maker, label, model, model family, firmware, restriction regimes, KEV, capability),
each share with its sample size and 95% interval. Nothing is sent on the network to any device.

Inputs are files, folders or globs, local or fsspec URLs (s3://, gs://, https://...). A malformed partition is
reported (file, line, what was expected) and skipped, never silently dropped; exit code 2 says one was.
Rerun the same command to resume: finished partitions and buckets are kept.
"""

EPILOG = """\
examples:
  camaudit bulk shodan-*.json.gz -o out/                         a local cluster, one worker per core
  camaudit bulk zgrab2/ --format zgrab2 -o out/ --workers 2
  camaudit bulk s3://bucket/exports/ -o out/ --scheduler tcp://10.0.0.5:8786
  cat out/prevalence.txt
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bulk", help="internet-scale exports over Dask: Parquet out and a prevalence report",
                       description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files, folders or globs (local or fsspec URLs)")
    p.add_argument("-o", "--output", required=True, help="output folder (Parquet, report, resume state)")
    p.add_argument("--format", default="auto",
                   help="auto, parquet, or an import format (shodan, censys, zgrab2, masscan, ...)")
    p.add_argument("--scheduler", help="a running Dask scheduler, tcp://HOST:8786 (default: a local cluster)")
    p.add_argument("--workers", type=int, help="local cluster worker processes (default: one per core)")
    p.add_argument("--buckets", type=int, help="device buckets of the second stage (default: from input size)")
    p.add_argument("--report-format", choices=("text", "json", "md"), default="text",
                   help="what to print (all three are written to the output folder)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on standard error")
    p.set_defaults(func=cmd_bulk)


def cmd_bulk(args: argparse.Namespace) -> int:
    from camaudit.bulk import prevalence
    from camaudit.bulk.run import BulkError, main_say, run_bulk

    if args.workers is not None and args.workers < 1:
        print("camaudit bulk: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.buckets is not None and args.buckets < 1:
        print("camaudit bulk: --buckets must be at least 1", file=sys.stderr)
        return 2
    try:
        result = run_bulk(args.inputs, args.output, args.format, args.scheduler, args.workers, args.buckets,
                          say=main_say(args.quiet))
    except BulkError as exc:
        print(f"camaudit bulk: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(prevalence.render(result.report, args.report_format))
    print(f"camaudit bulk: {result.records:,} record(s), {result.devices:,} device(s) in {result.seconds} s with "
          f"{result.workers} worker(s); output in {result.output}", file=sys.stderr)
    return 2 if result.bad else 0
