"""What an import concludes, as three hashes: for checking that a speed change changes no answer.

Imports one file into a fresh SQLite store (in a temporary folder) with the camaudit on ``PYTHONPATH`` and
prints a SHA-256 (first 16 hex digits) of its identities, of its findings and of its stored records, each
sorted, as JSON with sorted keys. Run it with the code before and after a change: equal hashes, equal answers.

    PYTHONPATH=src .venv/bin/python benchmarks/import_answers.py shodan.jsonl --format shodan
    PYTHONPATH=/path/to/other/checkout/src .venv/bin/python benchmarks/import_answers.py shodan.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path

from camaudit.collect.imports.runner import import_file
from camaudit.store import open_store


def _digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(lines)).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path, help="an export camaudit import reads")
    parser.add_argument("--format", default="auto", help="the importer (default: auto)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(str(Path(folder) / "answers.db"))
        try:
            result = import_file(store, args.file, args.format, progress=False)
            scan = int(result.scan_id or 0)
            identities = [json.dumps(i.to_dict(), sort_keys=True) for i in store.identities(scan)]
            findings = [json.dumps(f.to_dict(), sort_keys=True) for f in store.findings(scan)]
            records = [json.dumps([o.id, o.device, o.address, o.port, o.mac, o.protocol, o.request, o.response])
                       for o in store.observations(scan)]
        finally:
            store.close()
    print(f"records={result.records} devices={result.devices} identified={result.identified} "
          f"identities={_digest(identities)} findings={_digest(findings)} observations={_digest(records)}")


if __name__ == "__main__":
    main()
