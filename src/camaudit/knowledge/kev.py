"""CISA's Known Exploited Vulnerabilities catalogue, kept for the makers camaudit judges.

``camaudit kb update --kev FILE|URL`` reads the catalogue's JSON feed (fields ``cveID``,
``vendorProject``, ``product``, ``vulnerabilityName``, ``dateAdded``, ``dueDate``,
``knownRansomwareCampaignUse``, ...), keeps the entries whose ``vendorProject`` is Hikvision or Dahua
(case-insensitive) and writes them to ``<kb>/knowledge/kev.yaml`` in the user knowledge folder (the
first ``CAMAUDIT_KB`` folder, else ``~/.local/share/camaudit/kb``). The vulnerability assessment reads
that file to set or refresh each advisory's KEV date.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from camaudit.knowledge.files import KnowledgeError, read_yaml, user_dirs
from camaudit.knowledge.schema import validate
from camaudit.knowledge.vulnerabilities import Kev

VENDORS = {"hikvision": "Hikvision", "dahua": "Dahua"}
MAX_BYTES = 32 * 1024 * 1024
TIMEOUT = 30.0
KEV_FILE = "kev.yaml"
FEED_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"


class KevError(KnowledgeError):
    """The catalogue could not be read or is not in CISA's KEV format."""


class KevFetchError(KevError):
    """The catalogue could not be fetched (network or file-system trouble, not bad content)."""


@dataclass(frozen=True)
class KevSummary:
    source: str
    path: Path
    catalog_version: str | None
    date_released: str | None
    total: int
    kept: int
    by_vendor: Mapping[str, int] = field(default_factory=dict)
    cves: tuple[str, ...] = ()


def default_kb_dir() -> Path:
    """Where ``kb update`` writes: the first CAMAUDIT_KB folder, else ~/.local/share/camaudit/kb."""
    dirs = user_dirs()
    if dirs:
        return dirs[0]
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "camaudit" / "kb"


def kev_paths() -> list[Path]:
    """Every kev.yaml the assessment should read: each user folder's, then the default folder's."""
    seen: list[Path] = []
    for root in [*user_dirs(), default_kb_dir()]:
        path = root / "knowledge" / KEV_FILE
        if path not in seen:
            seen.append(path)
    return seen


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def _read_source(source: str, max_bytes: int, timeout: float) -> bytes:
    if _is_url(source):
        request = urllib.request.Request(source, headers={"User-Agent": "camaudit kb update",
                                                          "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                data: bytes = response.read(max_bytes + 1)
        except urllib.error.HTTPError as exc:
            raise KevFetchError(f"{source}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise KevFetchError(f"{source}: cannot fetch ({reason})") from exc
    else:
        if "://" in source:
            raise KevError(f"{source}: only http:// and https:// URLs or file paths are accepted")
        path = Path(source)
        try:
            with path.open("rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise KevFetchError(f"{source}: cannot read ({exc.strerror})") from exc
    if len(data) > max_bytes:
        raise KevError(f"{source}: larger than {max_bytes} bytes; refusing to read it")
    return data


def _field(item: Mapping[str, Any], key: str, where: str, required: bool = True) -> str | None:
    value = item.get(key)
    if value is None or value == "":
        if required:
            raise KevError(f"{where}: missing '{key}'")
        return None
    if not isinstance(value, str):
        raise KevError(f"{where}: '{key}' must be a string")
    return value.strip()


def _iso(value: str | None, where: str, key: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError as exc:
        raise KevError(f"{where}: '{key}' is not a date: {value!r}") from exc


def parse_catalog(data: bytes, source: str, vendor_of: Callable[[str], str | None] | None = None,
                  ) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """(catalogue metadata, kept entries, total entries) from the feed's bytes. ``vendor_of`` names the
    maker of a ``vendorProject`` to keep (default: Hikvision and Dahua only)."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise KevError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise KevError(f"{source}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if not isinstance(doc, Mapping) or not isinstance(doc.get("vulnerabilities"), list):
        raise KevError(f"{source}: not a KEV catalogue (expected an object with a 'vulnerabilities' list)")
    meta = {
        "catalog_version": str(doc["catalogVersion"]) if doc.get("catalogVersion") is not None else None,
        "date_released": str(doc["dateReleased"]) if doc.get("dateReleased") is not None else None,
        "title": str(doc.get("title") or ""),
    }
    kept: list[dict[str, Any]] = []
    items = doc["vulnerabilities"]
    for i, item in enumerate(items):
        where = f"{source}: vulnerabilities[{i}]"
        if not isinstance(item, Mapping):
            raise KevError(f"{where}: expected an object")
        vendor = _field(item, "vendorProject", where)
        canonical = vendor_of(vendor or "") if vendor_of else VENDORS.get((vendor or "").lower())
        if canonical is None:
            continue
        cve = _field(item, "cveID", where)
        where = f"{where} ({cve})"
        kept.append({
            "cve": cve,
            "vendor": canonical,
            "vendor_project": vendor,
            "product": _field(item, "product", where, required=False),
            "name": _field(item, "vulnerabilityName", where, required=False),
            "date_added": _iso(_field(item, "dateAdded", where), where, "dateAdded"),
            "due_date": _iso(_field(item, "dueDate", where, required=False), where, "dueDate"),
            "ransomware": _field(item, "knownRansomwareCampaignUse", where, required=False),
            "required_action": _field(item, "requiredAction", where, required=False),
        })
    kept.sort(key=lambda e: (e["vendor"], e["cve"]))
    return meta, kept, len(items)


def update_kev(source: str, dest: Path, *, max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT) -> KevSummary:
    """Read the KEV feed from ``source`` (URL or file) and write ``dest/knowledge/kev.yaml``.

    Nothing is written unless the whole feed is read and understood. Raises :class:`KevFetchError` when
    the source cannot be fetched and :class:`KevError` when its content is not a KEV catalogue.
    """
    data = _read_source(source, max_bytes, timeout)
    meta, kept, total = parse_catalog(data, source)
    folder = dest / "knowledge"
    path = folder / KEV_FILE
    doc = {
        "source": source,
        "fetched": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "catalog_version": meta["catalog_version"],
        "date_released": meta["date_released"],
        "vendors": sorted(VENDORS.values()),
        "entries": kept,
    }
    header = (
        "# CISA Known Exploited Vulnerabilities, Hikvision and Dahua entries only.\n"
        "# Written by `camaudit kb update --kev`; rerun it to refresh, do not edit by hand.\n"
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".kev-", suffix=".yaml", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(header)
                yaml.safe_dump(doc, fh, sort_keys=False, allow_unicode=True, width=100)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise KevFetchError(f"{path}: cannot write ({exc.strerror})") from exc
    counts: dict[str, int] = {}
    for entry in kept:
        counts[entry["vendor"]] = counts.get(entry["vendor"], 0) + 1
    return KevSummary(
        source=source, path=path, catalog_version=meta["catalog_version"], date_released=meta["date_released"],
        total=total, kept=len(kept), by_vendor=counts, cves=tuple(e["cve"] for e in kept),
    )


def load_kev(paths: list[Path] | None = None) -> dict[str, Kev]:
    """CVE id -> KEV listing from the kev.yaml files (a later file wins). Missing files are skipped."""
    out: dict[str, Kev] = {}
    for path in paths if paths is not None else kev_paths():
        if not path.is_file():
            continue
        doc, content = read_yaml(path)
        if isinstance(doc, Mapping) and isinstance(doc.get("entries"), list):
            validate(doc, "kev", path, content)
        entries = doc.get("entries") if isinstance(doc, Mapping) else None
        if not isinstance(entries, list):
            raise KnowledgeError(
                f"{path}: expected a mapping with an 'entries' list (rerun `camaudit kb update --kev`)"
            )
        for i, entry in enumerate(entries):
            where = f"{path.name} entry {i + 1}"
            if not isinstance(entry, Mapping) or not isinstance(entry.get("cve"), str):
                raise KnowledgeError(f"{path}: {where}: needs a 'cve'")
            added = entry.get("date_added")
            if not added:
                raise KnowledgeError(f"{path}: {where} ({entry['cve']}): needs 'date_added'")
            due = entry.get("due_date")
            ransomware = entry.get("ransomware")
            out[entry["cve"]] = Kev(
                date_added=str(added), due_date=str(due) if due else None,
                ransomware=str(ransomware) if ransomware else None, source=str(path),
            )
    return out


def add_kb_update_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``camaudit kb update`` (added to the ``kb`` sub-parser)."""
    parser.add_argument("--records", nargs="+", action="extend", metavar="PATH",
                        help="CVE JSON 5 records, NVD CVE API 2.0 JSON or a KEV catalogue: files, folders (a "
                        "cvelistV5 checkout), zips or tarballs, read offline; writes the vulnerability knowledge")
    parser.add_argument("--kev", metavar="FILE|URL",
                        help=f"CISA KEV JSON feed to load (e.g. {FEED_URL}); keeps Hikvision and Dahua entries "
                        "(with --records: a local file whose KEV dates go into the knowledge written)")
    parser.add_argument("--epss", metavar="FILE", help="FIRST EPSS scores (CSV, optionally gzipped) to add, "
                        "with --records")
    parser.add_argument("--output", metavar="FILE", help="with --records: the file to write (default: "
                        "<kb-dir>/knowledge/vulnerabilities-cve.json)")
    parser.add_argument("--kb-dir", metavar="DIR",
                        help="user knowledge folder to write to (default: first CAMAUDIT_KB folder, "
                        "else ~/.local/share/camaudit/kb)")


def _cmd_records(args: argparse.Namespace) -> int:
    from camaudit.knowledge.update import SNAPSHOT_FILE, build_snapshot, command_line, write_snapshot

    kb_dir = getattr(args, "kb_dir", None)
    output = Path(args.output) if getattr(args, "output", None) else (
        (Path(kb_dir) if kb_dir else default_kb_dir()) / "knowledge" / SNAPSHOT_FILE)
    kev = getattr(args, "kev", None)
    if kev and _is_url(kev):
        print("camaudit kb update: with --records, --kev must be a local file (reading is offline)", file=sys.stderr)
        return 2
    missing = [p for p in [*args.records, *([kev] if kev else []), *([args.epss] if args.epss else [])]
               if not Path(p).exists()]
    if missing:
        print(f"camaudit kb update: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    doc, summary = build_snapshot(
        [Path(p) for p in args.records], kev_file=Path(kev) if kev else None,
        epss_file=Path(args.epss) if args.epss else None,
        command=command_line(getattr(args, "argv", None) or ["kb", "update", "--records", *args.records]),
        warn=lambda m: print(f"rejected: {m}", file=sys.stderr),
    )
    try:
        write_snapshot(doc, output)
    except OSError as exc:
        print(f"camaudit kb update: {output}: cannot write ({exc.strerror})", file=sys.stderr)
        return 1
    vendors = ", ".join(f"{v} {n}" for v, n in sorted(summary.by_vendor.items())) or "none"
    print(f"records: read {summary.records} CVE records in {summary.files} files; wrote {summary.kept} advisories "
          f"({vendors}); KEV entries {summary.kev_entries}; EPSS scores {summary.epss_scores}; "
          f"rejected {len(summary.rejected)}")
    if summary.not_records:
        print(f"not records (skipped): {len(summary.not_records)} JSON files, e.g. {summary.not_records[0]}")
    if summary.out_of_scope:
        print(f"not video-surveillance products (the maker catalogue's makes and video_products; left out): "
              f"{len(summary.out_of_scope)}, e.g. {', '.join(summary.out_of_scope[:3])}")
    print(f"wrote {output}")
    return 2 if summary.rejected else 0


def cmd_kb_update(args: argparse.Namespace) -> int:
    """``camaudit kb update --records PATH... | --kev FILE|URL``: 0 written, 1 could not fetch or write,
    2 bad input (with --records: some records were rejected; the rest were written)."""
    if getattr(args, "records", None):
        return _cmd_records(args)
    if getattr(args, "epss", None) or getattr(args, "output", None):
        print("camaudit kb update: --epss and --output go with --records", file=sys.stderr)
        return 2
    source = getattr(args, "kev", None)
    if not source:
        print("camaudit kb update: nothing to update; give --records PATH... or --kev FILE|URL", file=sys.stderr)
        return 2
    kb_dir = getattr(args, "kb_dir", None)
    dest = Path(kb_dir) if kb_dir else default_kb_dir()
    try:
        summary = update_kev(source, dest)
    except KevFetchError as exc:
        print(f"camaudit kb update: {exc}", file=sys.stderr)
        return 1
    except KevError as exc:
        print(f"camaudit kb update: {exc}", file=sys.stderr)
        return 2
    vendors = ", ".join(f"{v} {n}" for v, n in sorted(summary.by_vendor.items())) or "none"
    print(f"kev: kept {summary.kept} of {summary.total} entries ({vendors}); catalogue version "
          f"{summary.catalog_version or '?'} released {summary.date_released or '?'}")
    print(f"wrote {summary.path}")
    if kb_dir is None and not user_dirs():
        print(f"note: camaudit reads this folder by default; or set CAMAUDIT_KB={dest}")
    return 0
