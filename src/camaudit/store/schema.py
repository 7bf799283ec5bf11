"""The store's tables, as SQLAlchemy Core metadata: one description for SQLite and PostgreSQL.

The migrations in ``store/migrations/versions`` create exactly these tables (a test compares the two), and
every query in :mod:`camaudit.store.core` is built from them.

Column types that differ by database:

* documents we write ourselves (a scan's targets and options, a host's ports and errors) are ``JSON`` on
  SQLite (text) and ``JSONB`` on PostgreSQL;
* identity and finding documents are JSON text built on the write path (the judge fills templates, so they
  are never parsed there). On PostgreSQL they are ``json``, not ``jsonb``: they quote what devices sent,
  which may hold ``\\u0000``, and ``jsonb`` refuses that escape while ``json`` keeps the text exactly;
* text a device sent may hold NUL characters, which PostgreSQL text cannot; :class:`DeviceText` stores
  those losslessly escaped there (SQLite keeps them as they are).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator, TypeEngine

from camaudit import fastjson

# PostgreSQL text cannot hold U+0000. A value holding it (or starting with the mark) is stored as the mark
# followed by the value with \x01 doubled and NUL written as \x01 + "0": reversible, and free for the rest.
NUL_MARK = "\x01camaudit:escaped\x01"


def escape_nul(value: str | None) -> str | None:
    if value is None or ("\x00" not in value and not value.startswith(NUL_MARK)):
        return value
    return NUL_MARK + value.replace("\x01", "\x01\x01").replace("\x00", "\x010")


def unescape_nul(value: str | None) -> str | None:
    if value is None or not value.startswith(NUL_MARK):
        return value
    out: list[str] = []
    body = value[len(NUL_MARK):]
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\x01" and i + 1 < len(body):
            out.append("\x00" if body[i + 1] == "0" else "\x01")
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class DeviceText(TypeDecorator[str]):
    """Text that may have come from a device: as is on SQLite, NUL-escaped on PostgreSQL."""

    impl = Text
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        return escape_nul if dialect.name == "postgresql" else None

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        return unescape_nul if dialect.name == "postgresql" else None


class JSONText(TypeDecorator[str]):
    """A JSON document handed over as JSON text (already serialised on the write path). Reads give the
    parsed document on every database."""

    impl = Text
    cache_ok = True

    def __init__(self, binary: bool = False) -> None:
        super().__init__()
        self.binary = binary

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSONB() if self.binary else postgresql.JSON())
        return dialect.type_descriptor(Text())

    def bind_processor(self, dialect: Dialect) -> Any:
        return None  # the text goes as it is; PostgreSQL casts it (the dialect renders ::JSON / ::JSONB)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        return _document


def _document(value: Any) -> Any:
    return fastjson.loads(value) if isinstance(value, (str, bytes)) else value


Document = JSON().with_variant(postgresql.JSONB(), "postgresql")

metadata = MetaData()

scans = Table(
    "scans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("targets", Document, nullable=False),
    Column("options", Document, nullable=False),
    Column("source", Text),
    Column("source_hash", Text),
    Column("hosts_total", Integer),
    Index("scans_by_source_hash", "source_hash"),
)

hosts = Table(
    "hosts", metadata,
    Column("scan_id", Integer, ForeignKey("scans.id"), nullable=False),
    Column("address", Text, nullable=False),
    Column("open_ports", JSONText(binary=True), nullable=False),
    Column("errors", JSONText(binary=True), nullable=False),
    Column("truncated", Integer, nullable=False, server_default="0"),
    Column("scanned_at", Text, nullable=False),
    # a host the scanner could not check fully for want of its own resources: resume probes it again
    Column("incomplete", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("scan_id", "address"),
)

observations = Table(
    "observations", metadata,
    Column("scan_id", Integer, ForeignKey("scans.id"), nullable=False),
    Column("id", DeviceText, nullable=False),
    Column("device", DeviceText),
    Column("address", Text),
    Column("port", Integer),
    Column("mac", DeviceText),
    Column("protocol", Text, nullable=False),
    Column("request", DeviceText),
    Column("response", DeviceText, nullable=False),
    Column("observed_at", Text),
    # the order records arrived in, within the scan (an import groups them by device in this order)
    Column("seq", Integer),
    PrimaryKeyConstraint("scan_id", "id"),
    Index("observations_by_device", "scan_id", "device", "seq"),
)

# An import's records one device at a time: each row holds, in the order they arrived, the records of one
# device that one batch of the import read (``records``: a JSON array of [id, protocol, response, address,
# port, mac, request, observed_at] arrays; ``size`` how many). ``seq`` numbers the rows within the scan in
# the order they were written, so a device's rows read back in ``seq`` order give its records in arrival
# order. One row per device per batch instead of one per record: the per-row B-tree work of 150,000 record
# rows was most of an import's store time. Live scans write ``observations``; both are read.
observation_sets = Table(
    "observation_sets", metadata,
    Column("scan_id", Integer, ForeignKey("scans.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("device", DeviceText),
    Column("size", Integer, nullable=False),
    Column("records", Text, nullable=False),
    PrimaryKeyConstraint("scan_id", "seq"),
    Index("observation_sets_by_device", "scan_id", "device", "seq"),
)

identities = Table(
    "identities", metadata,
    Column("scan_id", Integer, ForeignKey("scans.id"), nullable=False),
    Column("device", DeviceText, nullable=False),
    Column("address", Text),
    Column("manufacturer", DeviceText),
    Column("brand", DeviceText),
    Column("model", DeviceText),
    Column("firmware", DeviceText),
    Column("device_type", Text),
    Column("confidence", Float, nullable=False),
    # the document in full, or NULL when it is kept as a body (see ``bodies``) filled with ``vals``
    Column("data", JSONText),
    Column("body", Text),
    Column("vals", Text),
    PrimaryKeyConstraint("scan_id", "device"),
    Index("identities_by_address", "scan_id", "address"),
)

findings = Table(
    "findings", metadata,
    Column("scan_id", Integer, ForeignKey("scans.id"), nullable=False),
    Column("device", DeviceText, nullable=False),
    Column("kind", Text, nullable=False),
    Column("finding_id", DeviceText, nullable=False),
    Column("status", Text, nullable=False),
    Column("certainty", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("data", JSONText),
    Column("body", Text),
    Column("vals", Text),
    PrimaryKeyConstraint("scan_id", "device", "kind", "finding_id"),
    Index("findings_by_status", "scan_id", "kind", "status"),
    # the burn-down reads covered restriction findings of every scan at once
    Index("findings_by_kind_status", "kind", "status", "scan_id", "device"),
)

# Each distinct conclusion's document once, content-addressed: ``text`` is the JSON array of the document's
# literal pieces and the names of the per-device values between them ([piece, name, piece, ..., piece]),
# ``hash`` its SHA-256 (hex). An identity or finding row names its body and holds the values (device key,
# address, record ids, as they appear inside JSON strings) as a JSON array in the body's order of names.
bodies = Table(
    "bodies", metadata,
    Column("hash", Text, primary_key=True),
    Column("text", DeviceText, nullable=False),
)

# A device's findings that share their values (an import's restriction verdicts: one per regime, each quoting
# the same records) as ONE row: ``body`` names a body whose text is the JSON array of the findings, each as
# [kind, finding_id, status, certainty, severity, pieces] (pieces as in a finding's own body), all filled with
# ``vals``. ``covered`` is 1 when one of them is a restriction finding with status covered; ``size`` is how
# many findings the row holds. Eight rows per device were most of an import's writes.
finding_sets = Table(
    "finding_sets", metadata,
    Column("scan_id", Integer, ForeignKey("scans.id"), nullable=False),
    Column("device", DeviceText, nullable=False),
    Column("body", Text, nullable=False),
    Column("vals", Text, nullable=False),
    Column("covered", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    PrimaryKeyConstraint("scan_id", "device", "body"),
    Index("finding_sets_by_covered", "covered", "scan_id", "device"),
)

TABLES = ("scans", "hosts", "observations", "identities", "findings")
