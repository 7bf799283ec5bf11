"""The inputs of a bulk run: partitions (one file each), local or behind any fsspec URL, and how one is read.

A partition is read by the same importer ``camaudit import`` uses (JSON lines of Shodan, Censys, ZGrab2 or
masscan, gzip or not; any other importable format too), so it yields the same evidence records. A Parquet
partition holds evidence records as columns (``protocol`` and ``response`` required; ``id``, ``device``,
``address``, ``port``, ``mac``, ``request``, ``observed_at`` optional), the contract ``camaudit identify`` reads.
A partition behind a URL (``s3://``, ``gs://``, ``https://``...) is copied to the worker's temporary folder first.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec

from camaudit.collect.imports.common import dig, text_of
from camaudit.collect.imports.interface import MalformedInput, open_input
from camaudit.collect.imports.registry import choose
from camaudit.model import PROTOCOLS, Observation
from camaudit.untrusted import SLOW, fast_json

PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class Partition:
    index: int
    url: str  # a local path or an fsspec URL

    @property
    def name(self) -> str:
        return f"p{self.index:05d}"


def expand(inputs: Sequence[str]) -> list[Partition]:
    """Every file the inputs name (globs and folders expanded), sorted, numbered in that order."""
    urls: list[str] = []
    for item in inputs:
        fs, _, paths = fsspec.get_fs_token_paths(item)
        found: list[str] = []
        for path in paths:
            if fs.isdir(path):
                found.extend(p for p in fs.find(path) if not Path(p).name.startswith((".", "_")))
            elif fs.exists(path):
                found.append(path)
        if not found:
            raise FileNotFoundError(f"{item}: no such file, folder or matching files")
        protocol = fs.protocol[0] if isinstance(fs.protocol, (tuple, list)) else fs.protocol
        urls.extend(p if protocol in ("file", "local") else fs.unstrip_protocol(p) for p in sorted(found))
    return [Partition(i, url) for i, url in enumerate(dict.fromkeys(urls))]


@contextmanager
def local_copy(url: str) -> Iterator[Path]:
    """A local path for a partition: the file itself, or a temporary copy of a remote one."""
    if "://" not in url or url.startswith("file://"):
        yield Path(url.removeprefix("file://"))
        return
    folder = tempfile.mkdtemp(prefix="camaudit-bulk-")
    try:
        target = Path(folder) / Path(url.split("?", 1)[0]).name
        with fsspec.open(url, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def is_parquet(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == PARQUET_MAGIC


def parquet_records(path: Path) -> Iterator[Observation]:
    """Evidence records from a Parquet file's columns, checked as ``camaudit identify`` checks them."""
    import pyarrow.parquet as pq

    try:
        reader = pq.ParquetFile(path)
    except Exception as exc:
        raise MalformedInput(path, "file", "a Parquet file", str(exc)[:120]) from None
    names = set(reader.schema_arrow.names)
    if not {"protocol", "response"} <= names:
        raise MalformedInput(path, "schema", "Parquet columns 'protocol' and 'response' (evidence records)",
                             "columns " + ", ".join(sorted(names)[:8]))
    row = 0
    for batch in reader.iter_batches(batch_size=8192):
        for raw in batch.to_pylist():
            row += 1
            protocol, response = raw.get("protocol"), raw.get("response")
            if protocol not in PROTOCOLS or not isinstance(response, str):
                raise MalformedInput(path, f"row {row}", "an evidence record (a known 'protocol', a 'response' text)",
                                     f"protocol {protocol!r}")
            port = raw.get("port")
            yield Observation(
                id=str(raw.get("id") or f"row{row}"), protocol=protocol, response=response,
                device=_text(raw.get("device")), address=_text(raw.get("address")),
                port=port if isinstance(port, int) and 0 < port < 65536 else None, mac=_text(raw.get("mac")),
                request=_text(raw.get("request")), observed_at=_text(raw.get("observed_at")))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def read_partition(path: Path, fmt: str) -> tuple[str, Iterator[Observation]]:
    """(format name, the partition's evidence records)."""
    if fmt in ("auto", "parquet") and is_parquet(path):
        return "parquet", parquet_records(path)
    importer = choose(path, fmt)
    return importer.name, importer.read(path)


def locations(path: Path, fmt: str) -> dict[str, tuple[str | None, str | None]]:
    """Address -> (country code, autonomous system) where the export records them (Shodan, Censys).

    A second, lenient pass over the file: the importer's pass has already reported any malformed line."""
    if fmt not in ("shodan", "censys"):
        return {}
    out: dict[str, tuple[str | None, str | None]] = {}
    with open_input(path) as stream:
        for raw in stream:
            row = fast_json(raw)
            if row is SLOW or not isinstance(row, dict):
                continue
            resource = row.get("resource")
            host: dict[str, Any] = resource if isinstance(resource, dict) else row
            address = text_of(host.get("ip_str")) or text_of(host.get("ip"))
            if address is None:
                continue
            country = text_of(dig(host, "location", "country_code"))
            asn = text_of(host.get("asn")) or text_of(dig(host, "autonomous_system", "asn"))
            if asn is not None and asn.isdigit():
                asn = f"AS{asn}"
            if country or asn:
                out[address] = (country, asn)
    return out
