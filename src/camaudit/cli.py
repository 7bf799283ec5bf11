"""The command line: parse, build the stages, run, print. No logic of its own beyond wiring."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from camaudit import __version__
from camaudit.bulk.cli import add_parser as add_bulk_parser
from camaudit.collect.credentials import CredentialError
from camaudit.collect.imports.cli import add_parser as add_import_parser
from camaudit.collect.limits import Budget
from camaudit.collect.scanner import DEFAULT_PORTS
from camaudit.collector import collector_aside
from camaudit.knowledge.files import KnowledgeError
from camaudit.knowledge.kev import add_kb_update_arguments, cmd_kb_update
from camaudit.model import Observation
from camaudit.report.diff_cli import add_diff_parser
from camaudit.report.outputs import REPORT_FORMATS, add_report_options
from camaudit.report.plan_cli import add_parser as add_plan_parser
from camaudit.runtime import run as run_loop
from camaudit.scope import Scope, ScopeError, read_target_file
from camaudit.simulate.errors import FleetError
from camaudit.store import StoreError, open_store
from camaudit.web.cli import add_parsers as add_web_parsers

if TYPE_CHECKING:
    from camaudit.store import Store
    from camaudit.web.collector import LivePush

EPILOG = """\
examples:
  camaudit demo                                   emulated fleet on loopback, scanned and reported
  camaudit scan 10.20.0.0/24 --exclude 10.20.0.1  scan a network you own (results in camaudit.db)
  camaudit scan -iL cameras.txt --json out.json   targets from a file, JSON of the results
  camaudit report --format html -o report.html    report the latest scan
  camaudit identify evidence.jsonl                identities from evidence records (no network)

exit codes: 0 done; 1 could not finish (store, fleet or network trouble); 2 bad arguments or input;
3 scan finished but some hosts could not be checked fully (resume it);
130 interrupted (completed hosts are kept; serve ends this way).
camaudit is read-only: it never guesses credentials, exploits or changes a device.
"""


class UsageError(Exception):
    pass


def _parse_ports(text: str) -> dict[int, str]:
    ports: dict[int, str] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        num, _, speaks = item.partition(":")
        try:
            port = int(num)
        except ValueError as exc:
            raise UsageError(f"port {num!r} is not a number (use e.g. -p 80,443,554,8000:open,81:http)") from exc
        if not 0 < port < 65536:
            raise UsageError(f"port {port} is out of range")
        kind = speaks or DEFAULT_PORTS.get(port, "http")
        if kind not in ("http", "https", "rtsp", "open"):
            raise UsageError(f"port {port}: protocol must be http, https, rtsp or open")
        ports[port] = kind
    if not ports:
        raise UsageError("no ports given")
    return ports


def cmd_scan(args: argparse.Namespace) -> int:
    from camaudit.collect.credentials import CredentialBook
    from camaudit.collect.sweep import raise_open_file_limit
    from camaudit.pipeline.plan import PlanError, ScanPlan
    from camaudit.pipeline.service import AuditService
    from camaudit.report.data import build_report
    from camaudit.report.formats import render_json

    targets = list(args.targets)
    for path in args.input_list or ():
        targets += read_target_file(path)
    excludes = list(args.exclude or ())
    for path in args.exclude_file or ():
        excludes += read_target_file(path)
    if args.rate <= 0 or args.concurrency < 1 or args.host_timeout <= 0 or args.connect_timeout <= 0:
        raise UsageError("--rate, --concurrency, --host-timeout and --connect-timeout must be positive")
    if args.max_bytes < 1024:
        raise UsageError("--max-bytes must be at least 1024")
    if args.discover_on:
        from camaudit.collect.discovery.transport import interface_address

        try:
            interface_address(args.discover_on)
        except ValueError as exc:
            raise UsageError(f"--discover-on: {exc}") from exc
    raise_open_file_limit()
    store = open_store(args.db)
    try:
        service = AuditService(store)
        if args.resume is not None:
            # everything comes from the store: the scan's own scope (its exclusions above all), ports and pace
            try:
                plan = service.plan_of(args.resume)
            except PlanError as exc:
                raise UsageError(str(exc)) from exc
            if targets and sorted(targets) != sorted(plan.targets):
                raise UsageError(f"scan {args.resume} was of {' '.join(plan.targets)}; resume it without "
                                 "targets, or start a new scan")
            if excludes and not set(excludes) <= set(plan.exclude):
                raise UsageError(f"scan {args.resume} keeps the exclusions it was begun with "
                                 f"({' '.join(plan.exclude) or 'none'}); start a new scan to change them")
            scan_id = args.resume
        else:
            plan = ScanPlan(
                targets=tuple(targets), exclude=tuple(excludes), allow_public=args.allow_public,
                ports=_parse_ports(args.ports) if args.ports else dict(DEFAULT_PORTS), rate=args.rate,
                concurrency=args.concurrency,
                budget=Budget(connect_timeout=args.connect_timeout, host_deadline=args.host_timeout,
                              read_bytes=args.max_bytes),
                discovery=not args.no_discovery, discover_on=args.discover_on, ping=not args.no_ping,
                owner_credentials=bool(args.credentials))
            plan.scope()  # a bad target is an error before anything is stored
        book = CredentialBook.load(args.credentials or ())
        if args.resume is None:
            plan = replace(plan, owner_credentials=bool(book))
            scan_id = service.begin(plan)
        scope = plan.scope()
        if not args.quiet:
            print(f"camaudit {__version__}: scanning {scope.size():,} address(es) on ports "
                  f"{','.join(str(p) for p in sorted(plan.ports))} at up to {plan.rate:g} connections/s; "
                  f"results in {store.where}", file=sys.stderr)
        started = time.monotonic()
        if book and not args.quiet:
            print(f"owner credentials: {len(book)} set(s); at most one login attempt per device and set, none after "
                  "a refusal", file=sys.stderr)
        live = _live_push(args, store, scan_id) if args.push else None
        try:
            with collector_aside():  # the loaded knowledge out of the collector's way while the sweep runs
                summary = run_loop(service.scan(scan_id, book or None, progress=not args.quiet,
                                                on_host=live.submit if live else None))
        except BaseException:
            if live is not None:
                print(f"push: interrupted; the hosts done are in {store.where}: 'camaudit scan --resume {scan_id} "
                      f"--push {args.push}' carries on and sends them (none twice)", file=sys.stderr)
            raise
        pushed = _end_push(live, args.push, scan_id) if live else 0
        report = build_report(store, summary.scan_id)
        if args.json:
            Path(args.json).write_text(render_json(report), encoding="utf-8")
        s = report.summary()
        print(f"scan {summary.scan_id}: {summary.hosts_scanned} address(es) in {time.monotonic() - started:.1f}s, "
              f"{summary.hosts_up} answered, {s['identified']} identified; restricted maker: "
              f"{s['covered_certain']} certain, {s['covered_probable']} probable")
        if summary.pace and not args.quiet:
            own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            print(f"{summary.pace}; CPU: scanner {own.ru_utime + own.ru_stime:.1f}s (system "
                  f"{own.ru_stime:.1f}s), analysis workers {workers.ru_utime + workers.ru_stime:.1f}s",
                  file=sys.stderr)
        if summary.incomplete:
            print(f"scan {summary.scan_id}: {summary.incomplete} host(s) could not be checked fully (the scanner ran "
                  "short of open files, buffers or local ports; each host's errors say which ports): carry on with "
                  f"'camaudit scan --resume {summary.scan_id}', with a lower --concurrency or a higher 'ulimit -n'",
                  file=sys.stderr)
        if args.json:
            print(f"JSON written to {args.json}")
    finally:
        store.close()
    return 3 if summary.incomplete else pushed


def _live_push(args: argparse.Namespace, store: Store, scan_id: int) -> LivePush:
    """A live push of scan ``scan_id`` to ``args.push``; a resumed scan first re-queues the hosts it already
    has (the server keeps each host once, so those it has are acknowledged and not stored again)."""
    from camaudit.web.cli import read_token
    from camaudit.web.collector import Collector, LivePush, PushFailed, collector_scan_id

    scan = store.scan(scan_id)
    try:
        collector = Collector(args.push, read_token(args.token_file), collector_scan_id(store.where, scan),
                              scan["targets"])
    except PushFailed as exc:
        raise UsageError(f"--push: {exc}") from exc
    if args.resume is not None:
        collector.queue_stored(store, scan_id)
    return LivePush(collector)


def _end_push(live: LivePush, url: str, scan_id: int) -> int:
    """Send what is left and finish the server's scan: 0, or 1 (with one line) when hosts stay unsent."""
    from camaudit.web.collector import PushFailed

    try:
        sent = live.close()
    except PushFailed as exc:
        print(f"push: {exc}; the scan is complete in the local store: 'camaudit push {url} --scan {scan_id}' "
              "sends the rest later", file=sys.stderr)
        return 1
    print(f"push: {sent.stored} host(s) stored by {url}, {sent.already} it already had; server scan "
          f"{sent.server_scan}", file=sys.stderr)
    return 0


def _read_records(source: str) -> tuple[list[Observation], list[str]]:
    from camaudit.identify.records import read_records

    try:
        handle = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror}") from exc
    try:
        return read_records(handle, "<stdin>" if source == "-" else source)
    finally:
        if source != "-":
            handle.close()


def cmd_identify(args: argparse.Namespace) -> int:
    from camaudit.pipeline.stages import Stages

    records, errors = _read_records(args.file)
    for err in errors:
        print(f"camaudit identify: skipped {err}", file=sys.stderr)
    stages = Stages.default()
    identifier = stages.identifier
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    try:
        for identity in identifier.identify_all(records):
            doc: dict[str, Any] = identity.to_dict()
            if args.verdicts:
                doc["findings"] = [f.to_dict() for a in stages.assessments for f in a.assess(identity)]
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 2 if errors else 0


def cmd_report(args: argparse.Namespace) -> int:
    from camaudit.report.aggregate import cmd_aggregate
    from camaudit.report.data import build_report
    from camaudit.report.outputs import REPORT_FORMATS, format_for, render_report
    from camaudit.report.sites import SiteMapError, load_site_map

    if args.aggregate:
        return cmd_aggregate(args)
    fmt = format_for(args.format, args.output)
    if fmt not in REPORT_FORMATS:
        raise UsageError(f"unknown format {fmt!r}: choose {', '.join(REPORT_FORMATS)}")
    try:
        site_map = load_site_map(args.site_map) if args.site_map else None
    except SiteMapError as exc:
        raise UsageError(str(exc)) from exc
    store = open_store(args.db)
    try:
        scan_id = args.scan if args.scan is not None else store.latest_scan()
        report = build_report(store, scan_id, site_map=site_map)
    finally:
        store.close()
    text = render_report(report, fmt)
    if args.output:
        if isinstance(text, bytes):
            Path(args.output).write_bytes(text)
        else:
            Path(args.output).write_text(text, encoding="utf-8")
        print(f"{fmt.upper()} report of scan {scan_id} written to {args.output}", file=sys.stderr)
    elif isinstance(text, bytes):
        sys.stdout.buffer.write(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_scans(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    try:
        for s in store.scans():
            print(f"{s['id']:>4}  {s['kind']:<8} {s['status']:<12} {s['started_at']}  {' '.join(s['targets'])}")
    finally:
        store.close()
    return 0


def cmd_listen(args: argparse.Namespace) -> int:
    from camaudit.pipeline.service import AuditService

    scope = Scope.build(args.targets, allow_public=True) if args.targets else None
    store = open_store(args.db)
    try:
        try:
            scan_id, gathered = asyncio.run(AuditService(store).listen(args.interface, args.duration, scope))
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    finally:
        store.close()
    print(f"listen {scan_id}: heard {len(gathered.observations)} announcement(s)/answer(s) from "
          f"{len(gathered.sources)} device(s) in {args.duration:g}s; {gathered.rejected} malformed and "
          f"{gathered.out_of_scope} out-of-scope ignored; results in {args.db or 'camaudit.db'}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from camaudit.collect.sweep import raise_open_file_limit
    from camaudit.simulate.fleet import Fleet, plan_fleet
    from camaudit.simulate.layout import LayoutError, parse_part, part_of, silent_addresses
    from camaudit.simulate.personality import load_personalities

    if args.list:
        for name, p in load_personalities().items():
            what = "hostile" if p.hostile else f"{p.brand or '-'} (made by {p.manufacturer or 'unknown'})"
            print(f"{name:<28} {p.device_type or '':<12} {what}")
        return 0
    try:
        part = parse_part(args.part) if args.part else (0, 1)
    except LayoutError as exc:
        raise UsageError(str(exc)) from exc
    raise_open_file_limit()
    devices = plan_fleet(args.network, args.count, args.personality, hostile=not args.no_hostile,
                         spread=args.spread)
    try:
        silent = silent_addresses(args.network, args.silent, [d.address for d in devices]) if args.silent else []
    except LayoutError as exc:
        raise UsageError(str(exc)) from exc
    everyone = [d.address for d in devices]
    devices, silent = part_of(devices, part), part_of(silent, part)
    rest = (args.network, everyone) if args.silent_rest and part[0] == 0 else None
    fleet = Fleet(devices, multicast=args.multicast, silent=silent, silent_drop=args.silent_drop, name=str(part[0]),
                  silent_rest=rest)

    async def run() -> None:
        await fleet.start()
        if args.manifest:
            fleet.write_manifest(Path(args.manifest))
        if not args.quiet:
            for d in devices:
                print(f"{d.address:<15} {d.personality.name}", file=sys.stderr)
            print(f"{len(devices)} emulated device(s) listening; "
                  f"{'stopping after ' + str(args.duration) + 's' if args.duration else 'Ctrl-C to stop'}",
                  file=sys.stderr)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), args.duration) if args.duration else await stop.wait()
        await fleet.stop()

    asyncio.run(run())  # the fleet keeps asyncio's own loop: its devices behave the same everywhere
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from camaudit.demo import run_demo

    rows, report_path = run_demo(Path(args.dir), args.network, args.count, progress=not args.quiet)
    width = max(len(r.personality) for r in rows)
    print(f"{'address':<15} {'personality':<{width}} {'true maker':<13} {'identified':<13} {'label':<10} "
          f"{'model':<20} verdict")
    for r in rows:
        mark = "" if r.correct else "  <-- differs from ground truth"
        print(f"{r.address:<15} {r.personality:<{width}} {r.truth or '-':<13} {r.found or '-':<13} "
              f"{r.label or '-':<10} {(r.model or '-')[:20]:<20} {r.verdict}{mark}")
    vulnerable = [r for r in rows if r.affected or r.possible or r.not_affected]
    if vulnerable:
        print("\nvulnerabilities (worst first; each finding's rule, record and evidence are in the report; \"not "
              "affected\": the model matches, the firmware is outside the published bounds):")
        for r in vulnerable:
            parts = [f"affected: {', '.join(r.affected)}" if r.affected else "",
                     f"possibly affected: {', '.join(r.possible)}" if r.possible else "",
                     f"not affected: {', '.join(r.not_affected)}" if r.not_affected else ""]
            print(f"{r.address:<15} " + "; ".join(p for p in parts if p))
    named = sum(r.correct and not r.cannot_tell for r in rows)
    unnamed = [r for r in rows if r.cannot_tell]
    wrong = [r for r in rows if not r.correct]
    print(f"\n{named}/{len(rows)} devices identified as the ground truth says "
          "(hostile and non-camera hosts count as right when left unidentified); "
          f"{len(unnamed)} \"cannot tell\", as their answers allow; {len(wrong)} differ")
    for r in unnamed:
        print(f"  cannot tell {r.address} ({r.personality}, made by {r.truth}): {r.cannot_tell_because}")
    print(f"report: {report_path.resolve()}")
    print(f"also: {report_path.with_suffix('.json').resolve()}, {report_path.with_suffix('.csv').resolve()}")
    if args.serve:
        from camaudit.simulate.process import FleetProcess
        from camaudit.web.cli import serve_forever

        sites = (f"organisation: Demo organisation\nsites:\n  - name: Emulated fleet\n    cidrs: [{args.network}]\n"
                 "    sensitivity: high\n")
        with FleetProcess(args.network, count=args.count):  # still answering, so scans started there find it
            return serve_forever(str(report_path.with_name("camaudit.db")), port=args.port,
                                 organisation="Demo organisation", site_map=sites)
    return 0


def cmd_kb(args: argparse.Namespace) -> int:
    from camaudit.knowledge.brands import load_brandbook
    from camaudit.knowledge.fingerprints import load_rulebook
    from camaudit.knowledge.kev import load_kev
    from camaudit.knowledge.regimes import load_regimes
    from camaudit.knowledge.vulnerabilities import load_vulnerabilities
    from camaudit.simulate.personality import load_personalities

    if args.action == "update":
        return cmd_kb_update(args)
    if args.action == "validate":
        from camaudit.knowledge.validate import cross_problems, file_problems

        found = file_problems()
        found += cross_problems() if not found else []
        for problem in found:
            print(f"error: {problem}", file=sys.stderr)
        if found:
            return 2
    rules = load_rulebook()
    brands = load_brandbook()
    regimes = load_regimes()
    personalities = load_personalities()
    advisories = load_vulnerabilities(full=args.action == "validate")
    if args.action == "validate":
        load_kev()
        blocks = brands.registry.counts()
        from camaudit.knowledge.firmware import firmware_book
        from camaudit.knowledge.probes import load_web_probes

        print(f"ok: {len(rules.rules)} fingerprint rules, {len(brands.brands)} brands, {len(brands.makers)} makers, "
              f"{len(regimes)} regimes, {len(personalities)} personalities, {len(advisories)} vulnerability advisories,"
              f" {len(firmware_book().grammars)} firmware grammars, {len(load_web_probes())} web probe paths")
        print("IEEE registry: " + ", ".join(f"{blocks.get(k, 0)} {k}" for k in ("MA-L", "MA-M", "MA-S", "IAB"))
              + f" blocks ({'; '.join(brands.registry.sources) or 'no copy found'})")
        if not brands.registry.has_small_blocks:
            print("note: no MA-M/MA-S copy found (install Debian's libwireshark-data or ieee-data, or put the "
                  "IEEE's mam.csv and oui36.csv in <CAMAUDIT_KB>/ieee/): such MAC addresses stay unknown")
        if brands.ouis:
            print(f"user MAC blocks: {sum(len(b.prefixes) for b in brands.ouis)}")
        return 0
    for r in rules.rules:
        print(f"rule    {r.id:<40} {r.kind:<12} {r.part:<20} {dict(r.asserts)}")
    for b in brands.brands:
        bounded = f" ({b.caveat()})" if b.bounded else ""
        print(f"brand   {b.brand:<20} -> {b.manufacturer or '?':<12} {b.relationship:<17} {b.strength:<6}{bounded}")
    per_maker: dict[str, int] = {}
    for assignment in brands.registry:
        maker = brands.makers.for_registrant(assignment.registrant)
        if maker is not None:
            per_maker[maker.name] = per_maker.get(maker.name, 0) + 1
    for m in brands.makers:
        print(f"maker   {m.name:<24} {m.country:<3} {','.join(m.makes):<36} {len(m.aliases)} aliases, "
              f"{per_maker.get(m.name, 0)} MAC blocks")
    for g in regimes:
        print(f"regime  {g.id:<30} {g.name}")
    for a in sorted(advisories, key=lambda a: a.id):
        score = f"CVSS {a.cvss.score:g}" if a.cvss else "no CVSS"
        kev = f", KEV {a.kev.date_added}" if a.kev else ""
        print(f"vuln    {a.id:<16} {a.vendor:<10} {score}{kev}  {a.record}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="camaudit",
        description="Audit a video-surveillance estate: find cameras, recorders and intercoms, work out who "
        "really made them, and report restriction verdicts with the evidence behind each.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"camaudit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("scan", help="probe addresses you own for cameras and identify them",
                       description="Probe camera ports (TCP connect), the web UI and RTSP, read-only and without "
                       "credentials; identify each device and give restriction verdicts; commit each host to the "
                       "store as soon as it is done.")
    p.add_argument("targets", nargs="*", help="addresses, CIDRs or ranges: 192.0.2.7 192.0.2.0/24 192.0.2.10-20")
    p.add_argument("-iL", dest="input_list", action="append", metavar="FILE",
                   help="read targets from FILE (- for stdin)")
    p.add_argument("--exclude", action="append", metavar="TARGET", help="never probe these (repeatable)")
    p.add_argument("--excludefile", dest="exclude_file", action="append", metavar="FILE")
    p.add_argument("--allow-public", action="store_true",
                   help="allow globally routable addresses (only for networks you are authorised to audit)")
    p.add_argument("-p", "--ports", help="ports and what they speak, e.g. 80,443:https,554:rtsp,8000:open "
                   f"(default {','.join(str(k) for k in DEFAULT_PORTS)})")
    p.add_argument("--rate", type=float, default=1000.0, help="new connections per second, at most (default 1000)")
    p.add_argument("--concurrency", type=int, default=128, help="hosts probed at once (default 128)")
    p.add_argument("--connect-timeout", type=float, default=1.5, help="seconds to wait for a TCP connect")
    p.add_argument("--host-timeout", type=float, default=12.0, help="seconds a host may take in all (default 12)")
    p.add_argument("--max-bytes", type=int, default=256 * 1024, help="bytes read from one response, at most")
    p.add_argument("--db", help="store: a SQLite file (default ./camaudit.db) or postgresql://... URL")
    p.add_argument("--json", metavar="FILE", help="also write the scan's report as JSON")
    p.add_argument("--resume", type=int, metavar="SCAN_ID", help="carry on an interrupted scan")
    p.add_argument("--credentials", action="append", metavar="FILE",
                   help="owner-supplied credentials per scope (YAML; passwords from the file, an environment "
                   "variable or the system keyring, never the command line); also CAMAUDIT_USERNAME, "
                   "CAMAUDIT_PASSWORD and CAMAUDIT_CREDENTIAL_SCOPE")
    p.add_argument("-Pn", "--no-ping", dest="no_ping", action="store_true",
                   help="knock every port of every address (default: the other ports only where 80, 443 or 554 "
                   "answered at all, open or refused)")
    p.add_argument("--no-discovery", action="store_true",
                   help="do not send the discovery requests (SADP, WS-Discovery, DHIP, SSDP, mDNS) to targets")
    p.add_argument("--discover-on", metavar="INTERFACE",
                   help="also send the discovery requests to their multicast groups on this interface (TTL 1); "
                   "answers from outside the scope are ignored")
    p.add_argument("--push", metavar="URL",
                   help="also send each host to a camaudit server as it finishes (a site's collector); the token "
                   "comes from --token-file or CAMAUDIT_TOKEN. A broken link is retried; hosts still unsent at the "
                   "end stay in the local store for 'camaudit push' (the server never stores one twice)")
    p.add_argument("--token-file", metavar="FILE", help="file holding the API token for --push")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("identify", help="identities from evidence records (JSON lines), no network",
                       description="Read evidence records (one JSON object per line: protocol, response, and "
                       "optionally id, device, address, port, mac, request, observed_at) and write one identity "
                       "per device as JSON lines. Records with the same 'device' key are one device.")
    p.add_argument("file", nargs="?", default="-", help="JSONL file of evidence records (default: stdin)")
    p.add_argument("-o", "--output", help="write identities here instead of stdout")
    p.add_argument("--verdicts", action="store_true",
                   help="add the findings a scan gives: restriction verdicts, vulnerabilities, exposure, capabilities")
    p.set_defaults(func=cmd_identify)

    p = sub.add_parser("listen", help="record what devices announce on an interface, sending nothing",
                       description="Join the discovery groups (SADP, WS-Discovery, DHIP, SSDP, mDNS) on one "
                       "interface and record the announcements and answers devices send on their own, without "
                       "sending anything. Results go into the store as a scan of kind 'listen'.")
    p.add_argument("--interface", required=True, help="network interface to listen on, e.g. eth0")
    p.add_argument("--duration", type=float, default=60.0, help="seconds to listen (default 60)")
    p.add_argument("targets", nargs="*", help="only record devices at these addresses (default: all heard)")
    p.add_argument("--db", help="store (default ./camaudit.db)")
    p.set_defaults(func=cmd_listen)

    p = sub.add_parser("report", help="render a stored scan as HTML, JSON, CSV, XLSX or Markdown")
    p.add_argument("--db", help="store (default ./camaudit.db)")
    p.add_argument("--scan", type=int, help="scan id (default: the latest)")
    p.add_argument("--format", choices=REPORT_FORMATS, help="default: from -o's suffix, else html")
    add_report_options(p)  # --site-map, --aggregate
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("scans", help="list the scans in the store")
    p.add_argument("--db", help="store (default ./camaudit.db)")
    p.set_defaults(func=cmd_scans)

    p = sub.add_parser("simulate", help="run emulated devices on loopback addresses",
                       description="Run emulated cameras, recorders and other hosts, each on its own loopback "
                       "address, answering with responses recorded from real devices. The manifest is the ground "
                       "truth of what each device is.")
    p.add_argument("--network", default="127.77.0.0/24", help="loopback network to use (default 127.77.0.0/24)")
    p.add_argument("--count", type=int, help="number of devices (default: one of each personality)")
    p.add_argument("--manifest", help="write the ground-truth manifest (JSON) here once listening")
    p.add_argument("--duration", type=float, help="stop after this many seconds (default: run until stopped)")
    p.add_argument("--personality", action="append", help="only these personalities (repeatable)")
    p.add_argument("--no-hostile", action="store_true", help="leave out the hostile and broken devices")
    p.add_argument("--list", action="store_true", help="list the personalities and exit")
    p.add_argument("--multicast", action="store_true",
                   help="also answer discovery on the multicast groups (needs a real interface: a test namespace)")
    p.add_argument("--spread", action="store_true",
                   help="space the devices evenly across the whole network (e.g. 2000 across a /16)")
    p.add_argument("--silent", type=int, default=0, metavar="N",
                   help="also N addresses that answer nothing, so a connect waits for its timeout (on loopback: "
                   "listeners whose accept queue is kept full)")
    p.add_argument("--silent-drop", action="store_true",
                   help="make the silent addresses with nftables drop rules instead (only inside a network "
                   "namespace made for a test)")
    p.add_argument("--silent-rest", action="store_true",
                   help="every address of the network without a device answers nothing (nftables drop rules, only "
                   "inside a network namespace made for a test)")
    p.add_argument("--part", metavar="I/K",
                   help="serve only every K-th device and silent address from the I-th (a fleet in K processes)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("demo", help="emulated fleet on loopback, scanned and reported end to end")
    p.add_argument("--dir", default="camaudit-demo",
                   help="where to write the report and store (default ./camaudit-demo)")
    p.add_argument("--network", default="127.77.0.0/24")
    p.add_argument("--count", type=int, help="fleet size (default: one of each personality)")
    p.add_argument("--serve", action="store_true",
                   help="then keep the fleet running and serve the results as a dashboard (a URL and a one-time "
                   "admin password are printed) until Ctrl-C")
    p.add_argument("--port", type=int, default=8765, help="with --serve: the dashboard's port on 127.0.0.1")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("kb", help="show, validate or update the knowledge files",
                       description="show: list rules, brands and regimes; validate: load every knowledge file and "
                       "report the first error; update --records PATH...: write the vulnerability knowledge from CVE "
                       "JSON 5, NVD API 2.0 and KEV files read offline (--epss FILE adds EPSS scores); update --kev "
                       "FILE|URL: load CISA's Known Exploited Vulnerabilities feed (Hikvision and Dahua entries) into "
                       "your knowledge folder.")
    p.add_argument("action", choices=("show", "validate", "update"))
    add_kb_update_arguments(p)
    p.set_defaults(func=cmd_kb)

    add_import_parser(sub)
    add_bulk_parser(sub)
    add_plan_parser(sub)
    add_diff_parser(sub)
    add_web_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except (UsageError, ScopeError, KnowledgeError, CredentialError) as exc:
        print(f"camaudit {args.command}: {exc}", file=sys.stderr)
        return 2
    except (StoreError, FleetError) as exc:
        print(f"camaudit {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ncamaudit {args.command}: interrupted; completed hosts are kept (resume with --resume)",
              file=sys.stderr)
        return 130
