#!/usr/bin/env python3
"""Keep, from a large set of published records, only the ones camaudit's vulnerability knowledge uses.

    python scripts/select-records.py --snapshot vulnerabilities-cve.json --records DIR... \
        --kev known_exploited_vulnerabilities.json --out src/camaudit/data/knowledge/records

reads the snapshot that ``camaudit kb update --records DIR... --kev FILE`` wrote from the full inputs, and
writes to ``--out``:

* ``<name of each DIR>.tar.gz``: the raw bytes of every CVE JSON 5 record of DIR whose CVE is in the snapshot,
  at its path inside DIR (the cvelistV5 layout), sorted, with fixed owner and times, so the archive is the
  same bytes for the same input;
* ``kev.json.gz``: the KEV catalogue with its own header and only the entries the snapshot names.

``camaudit kb update --records OUT/*.tar.gz --kev OUT/kev.json.gz`` then writes the same advisories as the
full inputs did.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
import tarfile
from pathlib import Path

CVE_FILE = re.compile(r"^CVE-\d{4}-\d{4,}\.json$")


def _gzip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as fh:
        fh.write(data)
    return buf.getvalue()


def write_tar(folder: Path, keep: set[str], out: Path) -> int:
    members = sorted(p for p in folder.rglob("CVE-*.json") if CVE_FILE.match(p.name) and p.stem in keep)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in members:
            data = path.read_bytes()
            info = tarfile.TarInfo(path.relative_to(folder).as_posix())
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out.write_bytes(_gzip(raw.getvalue()))
    return len(members)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshot", required=True, type=Path)
    parser.add_argument("--records", required=True, nargs="+", type=Path)
    parser.add_argument("--kev", type=Path)
    parser.add_argument("--also", nargs="*", default=[], help="more CVE ids to keep (records read but not written)")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    doc = json.loads(args.snapshot.read_text(encoding="utf-8"))
    keep = {a["id"] for a in doc["advisories"]} | set(args.also)
    args.out.mkdir(parents=True, exist_ok=True)
    for folder in args.records:
        n = write_tar(folder, keep, args.out / f"{folder.name}.tar.gz")
        print(f"{folder}: {n} records -> {args.out / (folder.name + '.tar.gz')}")
    if args.kev:
        kev = json.loads(args.kev.read_text(encoding="utf-8"))
        kev["vulnerabilities"] = [v for v in kev["vulnerabilities"] if v.get("cveID") in keep]
        kev["count"] = len(kev["vulnerabilities"])
        body = json.dumps(kev, indent=1, ensure_ascii=False).encode() + b"\n"
        (args.out / "kev.json.gz").write_bytes(_gzip(body))
        print(f"{args.kev}: {kev['count']} entries -> {args.out / 'kev.json.gz'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
