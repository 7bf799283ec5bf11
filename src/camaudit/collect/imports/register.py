"""Asset registers: CSV and XLSX sheets with one device per row.

Headers are matched case-, space- and punctuation-insensitively against the names people really use
(``Make``, ``Manufacturer``, ``Brand``, ``Vendor``; ``Model``; ``Serial Number``; ``MAC address``;
``IP address``; ``Location``/``Site``; ``Install date``...), and ``--map COLUMN=FIELD`` overrides them.
Each row becomes one evidence record with protocol ``register``: ``key=value`` lines the register
fingerprint rules read (``kv:brand``, ``kv:model``...). The device key is the serial number, else the MAC
address, else the IP address, else the asset tag, else the row number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress
import itertools
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, cast
from xml.etree import ElementTree

from camaudit.collect.imports.common import Records, kv_text
from camaudit.collect.imports.interface import BadOption, Importer, MalformedInput, open_input, snippet
from camaudit.identify.engine import format_mac
from camaudit.model import Observation
from camaudit.progress import Progress
from camaudit.untrusted import has_lone_surrogate

#: canonical field -> header spellings (normalised: lower case, letters and digits only)
ALIASES: dict[str, tuple[str, ...]] = {
    "brand": ("make", "manufacturer", "brand", "vendor", "maker", "mfr", "mfg", "manufacturerbrand", "makebrand",
              "brandname", "cameramake", "cameramanufacturer", "camerabrand", "oem", "supplier"),
    "model": ("model", "modelnumber", "modelno", "modelnum", "modelname", "cameramodel", "productmodel",
              "modelpartnumber", "partnumber", "product", "productname"),
    "serial": ("serial", "serialnumber", "serialno", "serialnum", "sn", "sno", "serialnr"),
    "mac": ("mac", "macaddress", "macaddr", "hardwareaddress", "ethernetaddress", "physicaladdress", "macid"),
    "address": ("ip", "ipaddress", "ipaddr", "address", "ipv4", "ipv4address", "hostip", "networkaddress", "ipadd"),
    "location": ("location", "site", "building", "room", "area", "position", "locationdescription", "sitename",
                 "installationlocation", "floor", "zone"),
    "install_date": ("installdate", "installed", "installationdate", "dateinstalled", "installedon",
                     "commissioned", "commissioningdate", "dateofinstallation", "purchasedate"),
    "firmware": ("firmware", "firmwareversion", "fw", "fwversion", "softwareversion", "firmwarerev"),
    "device_type": ("type", "devicetype", "assettype", "category", "equipmenttype", "cameratype", "kind"),
    "asset": ("asset", "assetid", "assettag", "assetnumber", "assetno", "tag", "name", "devicename", "cameraname",
              "cameraid", "hostname"),
}
FIELDS = (*ALIASES, "ignore")
#: at least one of these must be found for a sheet to be a register
IDENTIFYING = ("brand", "model", "serial", "mac", "address")
KV_ORDER = ("brand", "model", "serial", "firmware", "device_type", "mac", "address", "asset", "location",
            "install_date")
COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: encrypted OOXML, or a legacy .xls
#: what zipfile, zlib, the XML parser and openpyxl raise on a damaged workbook (openpyxl also raises TypeError,
#: IndexError and NotImplementedError on sheets whose XML is well formed but not what it expects)
XLSX_FAULTS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ElementTree.ParseError, KeyError, IndexError,
    ValueError, TypeError, AttributeError, NotImplementedError, OSError, EOFError, RecursionError,
    RuntimeError,  # zipfile: a member flagged as encrypted ("password required for extraction")
)
BLOCK_BYTES = 1024 * 1024
ENCODING_HINT = "UTF-8 text (in Excel: Save As 'CSV UTF-8', or import the .xlsx itself)"


def normalise_header(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def parse_column_map(items: Iterable[str]) -> dict[str, str]:
    """``["Camera Make=brand", ...]`` -> ``{"cameramake": "brand"}``; bad items raise :class:`BadOption`."""
    out: dict[str, str] = {}
    for item in items:
        column, sep, field = item.partition("=")
        field = field.strip().lower()
        if not sep or not column.strip():
            raise BadOption(f"--map {item!r}: expected COLUMN=FIELD, e.g. --map 'Camera Make=brand'")
        if field not in FIELDS:
            raise BadOption(f"--map {item!r}: FIELD must be one of {', '.join(FIELDS)}")
        out[normalise_header(column)] = field
    return out


def map_headers(headers: list[str], column_map: Mapping[str, str]) -> dict[int, str]:
    """Column index -> field, the first column for each field winning."""
    by_alias = {alias: field for field, aliases in ALIASES.items() for alias in aliases}
    out: dict[int, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        key = normalise_header(header)
        field = column_map.get(key) or by_alias.get(key)
        if field is None or field == "ignore" or field in taken:
            continue
        out[index] = field
        taken.add(field)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


class RegisterImporter(Importer):
    name = "register"
    description = "asset register: CSV (UTF-8) or Excel .xlsx, one device per row, a header row"

    def __init__(self, column_map: Mapping[str, str] | None = None, site: str | None = None) -> None:
        self.column_map = dict(column_map or {})
        self.site = site

    def detect(self, head: bytes, path: Path) -> bool:
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            return True
        if head.startswith(b"PK\x03\x04") and b"xl/" in head:
            return True
        if suffix == ".csv":
            return True  # a .csv is a register; a header naming nothing useful gets its own clear error
        if suffix in (".tsv", ".txt"):
            line = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace")
            headers = next(csv.reader([line], _dialect(line)), [])
            return any(f in IDENTIFYING for f in map_headers(headers, self.column_map).values())
        return False

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Observation]:
        if path.suffix.lower() in (".xlsx", ".xlsm") or _is_zip(path):
            yield from self._rows_to_records(path, self._xlsx_rows(path, progress))
        else:
            yield from self._rows_to_records(path, self._csv_rows(path, progress))

    # ---------------------------------------------------------------------------------------------
    def _csv_rows(self, path: Path, progress: Progress | None) -> Iterator[tuple[str, int, list[str]]]:
        with open_input(path, progress) as stream:
            lines = itertools.chain.from_iterable(_line_blocks(stream, path))
            head: list[str] = []
            for line in lines:
                head.append(line)
                if line.strip():
                    break
            else:
                raise MalformedInput(path, "line 1", "a header row naming the columns", "an empty file")
            reader = csv.reader(itertools.chain(head, lines), _dialect(head[-1]))
            try:
                for row in reader:
                    yield "line {}", reader.line_num, row
            except csv.Error as exc:
                raise MalformedInput(path, f"line {reader.line_num}", "CSV rows (quotes closed on each row)",
                                     str(exc)) from None

    def _xlsx_rows(self, path: Path, progress: Progress | None) -> Iterator[tuple[str, int, list[str]]]:
        from openpyxl import load_workbook  # type: ignore[import-untyped]  # only registers need it

        stream = cast(io.BufferedReader, open_input(path, progress))
        try:
            if stream.peek(8)[:8] == COMPOUND_FILE:
                raise MalformedInput(path, "byte 1", "an Excel .xlsx workbook (a zip of sheets)",
                                     "an OLE compound file: an encrypted workbook or an old .xls; save it "
                                     "unencrypted as .xlsx or CSV UTF-8")
            try:
                book = load_workbook(stream, read_only=True, data_only=True)
            except XLSX_FAULTS as exc:
                raise MalformedInput(path, "byte 1", "an Excel .xlsx workbook (a zip of sheets)",
                                     _fault(exc)) from None
            try:
                sheet = book.active
                if sheet is None:
                    raise MalformedInput(path, "workbook", "at least one worksheet", "none")
                title = getattr(sheet, "title", "sheet")
                where = f"sheet {str(title).replace('{', '{{').replace('}', '}}')!r} row {{}}"
                try:
                    for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
                        cells = [_cell(v) for v in values]
                        if any(has_lone_surrogate(c) for c in cells):  # OOXML's _xD800_ escape names one
                            raise MalformedInput(path, where.format(number), "cells of whole characters",
                                                 "a lone UTF-16 surrogate (an _xD800_-style escape)")
                        yield where, number, cells
                except XLSX_FAULTS as exc:
                    raise MalformedInput(path, f"sheet {title!r}", "a readable worksheet", _fault(exc)) from None
            finally:
                book.close()
        finally:
            stream.close()

    def _rows_to_records(self, path: Path, rows: Iterator[tuple[str, int, list[str]]]) -> Iterator[Observation]:
        """Records from (place template, row number, cells); the place is formatted only when it is used."""
        records = Records("reg")
        columns: dict[int, str] | None = None
        header_count = 0
        for template, number, row in rows:
            if not any(row):
                continue
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            where = template.format(number)
            if columns is None:
                columns = map_headers(cells, self.column_map)
                if not any(f in IDENTIFYING for f in columns.values()):
                    raise MalformedInput(
                        path, where,
                        "a header row naming at least one of make/manufacturer/brand/vendor, model, serial, "
                        "MAC address or IP address (or --map COLUMN=FIELD)",
                        "columns " + ", ".join(snippet(c, 30) for c in cells[:8] if c) or "no column names")
                header_count = max(i for i, c in enumerate(cells) if c) + 1
                continue
            last = max(i for i, c in enumerate(cells) if c) + 1
            if last > header_count:
                raise MalformedInput(path, where, f"at most {header_count} cells, as in the header row",
                                     f"{last} cells (a value under no column: {snippet(cells[last - 1], 30)})")
            values = {field: cells[i] for i, field in columns.items() if i < len(cells) and cells[i]}
            yield self._record(records, path, where, values)
        if columns is None:
            raise MalformedInput(path, "line 1", "a header row naming the columns", "no rows")

    def _record(self, records: Records, path: Path, where: str, values: dict[str, str]) -> Observation:
        mac = format_mac(values["mac"]) if "mac" in values else None
        address = _address(values["address"]) if "address" in values else None
        if "serial" in values:
            device = f"serial:{values['serial']}"
        elif mac:
            device = f"mac:{mac}"
        elif address:
            device = address
        elif "asset" in values:
            device = f"asset:{values['asset']}"
        else:
            device = f"{path.name}:{where}"
        pairs: list[tuple[str, Any]] = [(key, values.get(key)) for key in KV_ORDER]
        if self.site:
            pairs.append(("site", self.site))
        return records.make("register", kv_text(pairs), device, address=address, mac=mac,
                            request=f"{where} of {path.name}")


def _line_blocks(stream: IO[bytes], path: Path) -> Iterator[list[str]]:
    """The file's lines (each ending in a newline), a block of them at a time, decoded as UTF-8 in one go per
    block; the first line that is not UTF-8 is named exactly."""
    number = 0  # lines before this block
    carry = b""
    while True:
        block = stream.read(BLOCK_BYTES)
        data = carry + block
        cut = len(data) if not block else data.rfind(b"\n") + 1
        if block and cut == 0:
            carry = data  # no line end yet: one long line
            continue
        chunk, carry = data[:cut], data[cut:]
        if not chunk:
            return
        try:
            text = chunk.decode("utf-8-sig" if number == 0 else "utf-8")
        except UnicodeDecodeError:
            for offset, raw in enumerate(chunk.split(b"\n"), number + 1):
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise MalformedInput(path, f"line {offset}, byte {exc.start + 1} of the line",
                                         ENCODING_HINT, f"byte 0x{raw[exc.start]:02x}") from None
            raise
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        number += len(lines)
        yield [line + "\n" for line in lines]
        if not block:
            return


def _fault(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:120]
    return type(exc).__name__ + (f": {text}" if text else "")


def _dialect(line: str) -> type[csv.Dialect]:
    counts = {sep: line.count(sep) for sep in (",", ";", "\t")}
    sep = max(counts, key=lambda k: counts[k])

    class Sheet(csv.excel):
        delimiter = sep if counts[sep] else ","

    return Sheet


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"
