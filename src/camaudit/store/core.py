"""The store on SQLAlchemy Core: a SQLite file (the default) or a PostgreSQL database (``postgresql://``,
through psycopg 3), behind the same :class:`Store` methods.

SQLite runs in WAL mode with NORMAL synchronisation. Finished hosts are committed in batches, each batch one
transaction, so a scan killed at any moment (even ``kill -9``) keeps every batch committed before it, the
database stays whole, and ``--resume`` carries on from the rest. The schema is kept up to date by Alembic
(:mod:`camaudit.store.migrate`) each time a store is opened.

Transactions: each write method commits on its own, except ``add_rows``, ``add_rows_raw`` and ``add_hosts``,
which write without committing; :meth:`Store.transaction` holds one transaction over many calls (an import
is all-or-nothing per file) and nests (an inner one joins the outer).

The write path is executemany: each table's insert (an upsert, keyed by its primary key) is built once per
store and executed with a list of rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    Table,
    create_engine,
    delete,
    event,
    func,
    null,
    select,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.types import Integer, NullType, Text, TypeDecorator

from camaudit import fastjson
from camaudit.model import Finding, HostResult, Identity, Observation
from camaudit.store import migrate
from camaudit.store.schema import (
    TABLES,
    DeviceText,
    bodies,
    finding_sets,
    findings,
    hosts,
    identities,
    metadata,
    observation_sets,
    observations,
    scans,
)

if TYPE_CHECKING:
    from camaudit.pipeline.stages import Analysis

DEFAULT_DB = "camaudit.db"
STREAM = 2000  # rows fetched at a time when a result is streamed
PAGE_SIZE = 16384  # bytes per page of a new SQLite store (see _sqlite_engine)


class StoreError(RuntimeError):
    """The store cannot be opened or used as asked."""


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dumps(value: Any) -> str:
    return fastjson.dumps(value)


def _loads(value: str | bytes) -> Any:
    return fastjson.loads(value)


class Store:
    """Every scan, host, observation, identity and finding, over time."""

    def __init__(self, engine: Engine, where: str, readonly: bool = False) -> None:
        self.engine = engine
        self.where = where
        self.dialect = engine.dialect.name
        self.conn: Connection = engine.connect()
        self._depth = 0
        self._dirty = False
        self._seq: dict[tuple[str, int], int] = {}  # (table, scan) -> the next seq to hand out
        self._upserts: dict[str, Any] = {}
        self._writers: dict[str, _Writer] = {}
        # hashes of the bodies known to be in the database or written in the open transaction (bodies are
        # never deleted; a rollback forgets what it undid)
        self._bodies: set[str] = set()
        if not readonly:
            migrate.upgrade(self.conn)

    def close(self) -> None:
        self.conn.close()
        if self.engine.pool.__class__ is NullPool:
            self.engine.dispose()

    # transactions -----------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction over everything inside: committed at the end, rolled back on any exception."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.rollback()
            raise
        self._depth = 0
        self.commit()

    def commit(self) -> None:
        self.conn.commit()
        self._dirty = False

    def rollback(self) -> None:
        self.conn.rollback()
        self._dirty = False
        self._seq.clear()
        self._bodies.clear()

    def _wrote(self) -> None:
        if not self._depth:
            self._dirty = True

    def _done_reading(self) -> None:
        """Outside a transaction, a read ends its own (no snapshot or lock held while idle)."""
        if not self._depth and not self._dirty:
            self.conn.commit()

    def _all(self, stmt: Any) -> list[Any]:
        rows = list(self.conn.execute(stmt).all())
        self._done_reading()
        return rows

    def _upsert(self, table: Table) -> Any:
        """INSERT ... ON CONFLICT (primary key) DO UPDATE, in this database's dialect; built once."""
        stmt = self._upserts.get(table.name)
        if stmt is None:
            insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
            base = insert(table)
            keys = [c.name for c in table.primary_key]
            if table is bodies:  # content-addressed: a body already there is the same body
                stmt = base.on_conflict_do_nothing(index_elements=keys)
                self._upserts[table.name] = stmt
                return stmt
            stmt = base.on_conflict_do_update(index_elements=keys, set_={c.name: base.excluded[c.name]
                                                                          for c in table.c if c.name not in keys})
            self._upserts[table.name] = stmt
        return stmt

    def _writer(self, table: Table) -> _Writer:
        writer = self._writers.get(table.name)
        if writer is None:
            writer = self._writers[table.name] = _Writer(self._upsert(table), table, self.engine.dialect)
        return writer

    def _put(self, table: Table, rows: Iterable[tuple[Any, ...]]) -> None:
        """Upsert rows given in the table's column order, in one executemany (a later row for the same key
        replaces an earlier one)."""
        params = self._writer(table).params(rows)
        if params:
            self.conn.exec_driver_sql(self._writer(table).sql, params)
            self._wrote()

    # scans -----------------------------------------------------------------------------------------
    def begin_scan(self, kind: str, targets: Sequence[str], options: dict[str, Any], hosts_total: int | None,
                   source: str | None = None, source_hash: str | None = None) -> int:
        with self.transaction():
            result = self.conn.execute(
                scans.insert().returning(scans.c.id),
                {"kind": kind, "status": "running", "started_at": now(), "targets": list(targets),
                 "options": options, "source": source, "source_hash": source_hash, "hosts_total": hosts_total})
            scan_id = int(result.scalar_one())
        return scan_id

    def mark_scan(self, scan_id: int, status: str) -> None:
        with self.transaction():
            self.conn.execute(update(scans).where(scans.c.id == scan_id).values(status=status, finished_at=None))

    def finish_scan(self, scan_id: int, status: str = "complete", hosts_total: int | None = None) -> None:
        values: dict[str, Any] = {"status": status, "finished_at": now()}
        if hosts_total is not None:
            values["hosts_total"] = hosts_total
        with self.transaction():
            self.conn.execute(update(scans).where(scans.c.id == scan_id).values(**values))

    def scan(self, scan_id: int) -> dict[str, Any]:
        rows = self._all(select(scans).where(scans.c.id == scan_id))
        if not rows:
            raise StoreError(f"no scan {scan_id} in {self.where}")
        return dict(rows[0]._mapping)

    def scans(self) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in self._all(select(scans).order_by(scans.c.id))]

    def latest_scan(self) -> int:
        rows = self._all(select(func.max(scans.c.id)))
        if not rows or rows[0][0] is None:
            raise StoreError(f"{self.where} holds no scans yet: run 'camaudit scan' or 'camaudit demo' first")
        return int(rows[0][0])

    def import_of(self, source_hash: str, complete: bool = True) -> list[int]:
        """Import scans of the file with this SHA-256: the complete ones, or (``complete=False``) those that
        never completed (killed mid-way)."""
        done = scans.c.status == "complete"
        stmt = (select(scans.c.id).where(scans.c.kind == "import", scans.c.source_hash == source_hash,
                                         done if complete else ~done).order_by(scans.c.id))
        return [int(r[0]) for r in self._all(stmt)]

    def forget_scan(self, scan_id: int) -> None:
        """Remove a scan and everything stored under it (a failed import)."""
        with self.transaction():
            for table in (finding_sets, findings, identities, observation_sets, observations, hosts):
                self.conn.execute(delete(table).where(table.c.scan_id == scan_id))
            self.conn.execute(delete(scans).where(scans.c.id == scan_id))
        for table in (observations, observation_sets):
            self._seq.pop((table.name, scan_id), None)

    def forget_hosts(self, scan_id: int, addresses: Iterable[str]) -> None:
        """Drop host rows, so a resume probes those addresses again."""
        with self.transaction():
            self.conn.execute(delete(hosts).where(hosts.c.scan_id == scan_id, hosts.c.address.in_(list(addresses))))

    def scanned_addresses(self, scan_id: int) -> set[str]:
        """Addresses of the scan that are done: a host the scanner could not check fully is not (resume
        probes it again)."""
        return {r[0] for r in self._all(select(hosts.c.address).where(hosts.c.scan_id == scan_id,
                                                                       hosts.c.incomplete == 0))}

    def counts(self, scan_id: int | None = None) -> dict[str, int]:
        """Rows per table (of one scan, or of all)."""
        out = {}
        for name in TABLES:
            table = metadata.tables[name]
            stmt = select(func.count()).select_from(table)
            if scan_id is not None:
                stmt = stmt.where((table.c.id if name == "scans" else table.c.scan_id) == scan_id)
            out[name] = int(self._all(stmt)[0][0])
        # findings kept together count one each
        grouped = select(func.coalesce(func.sum(finding_sets.c.size), 0))
        if scan_id is not None:
            grouped = grouped.where(finding_sets.c.scan_id == scan_id)
        out["findings"] += int(self._all(grouped)[0][0])
        # records kept a device at a time count one each
        kept = select(func.coalesce(func.sum(observation_sets.c.size), 0))
        if scan_id is not None:
            kept = kept.where(observation_sets.c.scan_id == scan_id)
        out["observations"] += int(self._all(kept)[0][0])
        return out

    def devices_observed(self, scan_id: int) -> int:
        """Distinct devices among the scan's observations."""
        devices = union(select(observations.c.device).where(observations.c.scan_id == scan_id),
                        select(observation_sets.c.device).where(observation_sets.c.scan_id == scan_id)).subquery()
        return int(self._all(select(func.count(devices.c.device)))[0][0])

    # results ---------------------------------------------------------------------------------------
    def commit_host(self, scan_id: int, result: HostResult, identities: Sequence[Identity],
                    findings: Sequence[Finding]) -> None:
        """One host, all it yielded, in one transaction."""
        with self.transaction():
            self.add_hosts(scan_id, [result])
            self.add_rows(scan_id, result.observations, identities, findings)

    def commit_hosts(self, scan_id: int, batch: Sequence[tuple[HostResult, Analysis]]) -> None:
        """Many finished hosts, with what identification and assessment made of them, in one transaction."""
        with self.transaction():
            self.add_hosts(scan_id, [result for result, _ in batch])
            self.add_rows(scan_id, [o for result, _ in batch for o in result.observations],
                          [i for _, analysis in batch for i in analysis.identities],
                          [f for _, analysis in batch for f in analysis.findings])

    def add_hosts(self, scan_id: int, results: Sequence[HostResult]) -> None:
        """Host rows without committing."""
        stamp = now()
        self._put(hosts, ((scan_id, r.address, _dumps(list(r.open_ports)), _dumps(list(r.errors)), int(r.truncated),
                           stamp, int(r.incomplete)) for r in results))

    def add_host_rows(self, scan_id: int, rows: Iterable[tuple[str, Sequence[int]]]) -> None:
        """Host rows (address, open ports) of an import, without committing."""
        stamp = now()
        self._put(hosts, ((scan_id, address, _dumps(list(ports)), "[]", 0, stamp, 0) for address, ports in rows))

    def add_results(self, scan_id: int, observations: Sequence[Observation], identities: Sequence[Identity],
                    findings: Sequence[Finding]) -> None:
        with self.transaction():
            self.add_rows(scan_id, observations, identities, findings)

    def _next_seq(self, table: Table, scan_id: int, count: int) -> int:
        """The first of ``count`` row numbers for the scan's rows of ``table`` (records or record sets), after
        every one written before."""
        key = (table.name, scan_id)
        first = self._seq.get(key)
        if first is None:
            rows = self.conn.execute(select(func.max(table.c.seq)).where(table.c.scan_id == scan_id))
            first = int(rows.scalar() or 0) + 1
        self._seq[key] = first + count
        return first

    def add_rows(self, scan_id: int, observations: Sequence[Observation], identities: Sequence[Identity],
                 findings: Sequence[Finding]) -> None:
        """Write rows without committing: for callers that hold one transaction over many batches
        (an import is all-or-nothing per file)."""
        if observations:
            stamp = now()
            seq = self._next_seq(_observations, scan_id, len(observations))
            self._put(_observations, [(scan_id, o.id, o.device, o.address, o.port, o.mac, o.protocol, o.request,
                                       o.response, o.observed_at or stamp, n)
                                      for n, o in enumerate(observations, seq)])
        self.add_rows_raw(
            [(scan_id, i.device, i.address, i.manufacturer, i.brand, i.model, i.firmware, i.device_type,
              i.confidence, fastjson.dumps(i.to_dict()), None, None) for i in identities],
            [(scan_id, f.device, f.kind, f.id, f.status, f.certainty, f.severity, fastjson.dumps(f.to_dict()), None,
              None) for f in findings])

    def add_rows_raw(self, identities: Sequence[tuple[object, ...]], findings: Sequence[tuple[object, ...]],
                     new_bodies: Mapping[str, str] | None = None,
                     sets: Sequence[tuple[object, ...]] = ()) -> None:
        """Identity and finding rows already in the table's column order (the scan id, then as camaudit.judge
        gives them), without committing. Each row ends in (data, body, vals): the document as JSON text with body
        and vals None, or data None, the SHA-256 of a body in ``new_bodies`` (or already stored) and the row's
        values as a JSON array. ``sets`` are ``finding_sets`` rows (scan id, device, body's SHA-256, vals,
        covered, size), their bodies in ``new_bodies`` too."""
        if new_bodies:
            fresh = [(h, text) for h, text in new_bodies.items() if h not in self._bodies]
            self._put(bodies, fresh)
            self._bodies.update(h for h, _ in fresh)
        self._put(_identities, identities)
        self._put(_findings, findings)
        self._put(finding_sets, sets)

    def add_record_sets(self, scan_id: int, rows: Iterable[tuple[str | None, int, str]]) -> None:
        """An import's records one device at a time (``observation_sets``), without committing: each row is
        (device, how many records, their text as :func:`records_row` joined them, in the order they arrived).
        Rows are numbered after every earlier one of the scan, so later rows of the same devices read back
        after the earlier ones."""
        rows = list(rows)
        if not rows:
            return
        first = self._next_seq(observation_sets, scan_id, len(rows))
        self._put(observation_sets, [(scan_id, n, device, size, text)
                                     for n, (device, size, text) in enumerate(rows, first)])

    def hosts(self, scan_id: int) -> list[dict[str, Any]]:
        rows = self._all(select(hosts).where(hosts.c.scan_id == scan_id).order_by(hosts.c.address))
        return [dict(r._mapping) for r in rows]

    def identities(self, scan_id: int) -> list[Identity]:
        rows = self._all(select(identities.c.data, bodies.c.text, identities.c.vals)
                         .outerjoin(bodies, bodies.c.hash == identities.c.body)
                         .where(identities.c.scan_id == scan_id)
                         .order_by(identities.c.address, identities.c.device))
        return [Identity.from_dict(_document_of(r)) for r in rows]

    def findings(self, scan_id: int) -> list[Finding]:
        """The scan's findings, by device, kind and id (code-point order on every database)."""
        rows = self._all(select(findings.c.data, bodies.c.text, findings.c.vals)
                         .outerjoin(bodies, bodies.c.hash == findings.c.body)
                         .where(findings.c.scan_id == scan_id))
        out = [Finding.from_dict(_document_of(r)) for r in rows]
        grouped = self._all(select(bodies.c.text, finding_sets.c.vals)
                            .join(bodies, bodies.c.hash == finding_sets.c.body)
                            .where(finding_sets.c.scan_id == scan_id))
        for text, vals in grouped:
            out.extend(Finding.from_dict(doc) for doc in _set_documents(text, vals))
        out.sort(key=lambda f: (f.device, f.kind, f.id))
        return out

    def covered_devices(self) -> list[tuple[int, str, str | None]]:
        """(scan, device, address) of every device a restriction regime covers, in every scan."""
        single = (select(identities.c.scan_id, identities.c.device, identities.c.address)
                  .join(findings, (findings.c.scan_id == identities.c.scan_id)
                        & (findings.c.device == identities.c.device))
                  .where(findings.c.kind == "restriction", findings.c.status == "covered"))
        grouped = (select(identities.c.scan_id, identities.c.device, identities.c.address)
                   .join(finding_sets, (finding_sets.c.scan_id == identities.c.scan_id)
                         & (finding_sets.c.device == identities.c.device))
                   .where(finding_sets.c.covered == 1))
        return [(int(r[0]), r[1], r[2]) for r in self._all(union(single, grouped))]

    def observations(self, scan_id: int) -> Iterator[Observation]:
        """Every record of the scan, by address, port and id."""
        stmt = (select(observations).where(observations.c.scan_id == scan_id)
                .order_by(observations.c.address, observations.c.port, observations.c.id))
        for r in self._all(stmt):
            yield _observation(r)
        kept = [o for _, group in self._record_sets(scan_id, judging=False) for o in group]
        # SQLite's order: NULL first
        kept.sort(key=lambda o: (o.address is not None, o.address or "", o.port is not None, o.port or 0, o.id))
        yield from kept

    def observations_by_device(self, scan_id: int, judging: bool = False,
                               seq_unique: bool = False) -> Iterator[tuple[str, list[Observation]]]:
        """The scan's records one device at a time, each device's in the order they arrived; streamed, so
        memory holds about one device. Use inside :meth:`transaction` when writing meanwhile. ``judging``
        leaves out what identification and assessment never read (each record's request and time: None).
        ``seq_unique``: the caller knows no two of the scan's records share a ``seq`` (all were numbered by
        :meth:`add_rows`, as an import's are), so the record id is not needed to break ties (SQLite then reads the
        index's order without sorting each device's records again)."""
        yield from self._record_rows(scan_id, judging, seq_unique)
        yield from self._record_sets(scan_id, judging)

    def _record_sets(self, scan_id: int, judging: bool) -> Iterator[tuple[str, list[Observation]]]:
        """The scan's ``observation_sets`` one device at a time (its rows joined in ``seq`` order)."""
        s = observation_sets.c
        stmt = select(s.device, s.records).where(s.scan_id == scan_id).order_by(s.device, s.seq)
        parts, close = self._stream(stmt)
        key: str | None = None
        group: list[Observation] = []
        started = False
        try:
            for part in parts:
                for device, text in part:
                    if not started or device != key:
                        if started:
                            yield str(key), group
                            group = []
                        key, started = device, True
                    group.extend(records_of(device, text, judging))
            if started:
                yield str(key), group
        finally:
            close()
        self._done_reading()

    def _record_rows(self, scan_id: int, judging: bool,
                     seq_unique: bool) -> Iterator[tuple[str, list[Observation]]]:
        o = observations.c
        order = (o.device, o.seq) if seq_unique else (o.device, o.seq, o.id)
        stmt = (select(o.id, o.protocol, o.response, o.device, o.address, o.port, o.mac,
                       *((null(), null()) if judging else (o.request, o.observed_at)))
                .where(o.scan_id == scan_id).order_by(*order))
        parts, close = self._stream(stmt)
        make = Observation.fast
        key: str | None = None
        group: list[Observation] = []
        try:
            # rows unpacked as tuples, a part at a time: reading a Row's fields by name was most of the cost
            for part in parts:
                for rid, protocol, response, device, address, port, mac, request, observed_at in part:
                    if device != key:
                        if group:
                            yield str(key), group
                            group = []
                        key = device
                    group.append(make(rid, protocol, response, device, address, port, mac, request, observed_at))
            if group:
                yield str(key), group
        finally:
            close()
        self._done_reading()

    def _stream(self, stmt: Any) -> tuple[Iterator[Sequence[Any]], Callable[[], None]]:
        """A query's rows as plain tuples, ``STREAM`` at a time, and what closes the query. On SQLite the
        selected columns have no result processing (text, integers, NULL), so the driver's own cursor gives the
        very values SQLAlchemy's rows would, without a Row object per row; PostgreSQL goes through SQLAlchemy (its
        device text is un-escaped there)."""
        if self.dialect == "sqlite" and all(_plain(c.type) for c in stmt.selected_columns):
            compiled = stmt.compile(dialect=self.engine.dialect)
            params = tuple(compiled.params[name] for name in compiled.positiontup or ())
            cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(str(compiled), params)

            def fetched() -> Iterator[Sequence[Any]]:
                while part := cursor.fetchmany(STREAM):
                    yield part

            return fetched(), cursor.close
        result = self.conn.execute(stmt, execution_options={"stream_results": True, "yield_per": STREAM})
        return iter(result.partitions()), result.close


def _plain(kind: Any) -> bool:
    """Whether SQLite hands a column of this type over as stored: text, integers, or a NULL literal."""
    return type(kind) in (NullType, Integer, Text, DeviceText)  # DeviceText: as stored on SQLite


_body_cache: dict[str, Any] = {}


def _parsed_body(text: str) -> Any:
    """A body's text parsed, each distinct body once (a bounded cache: most rows share a few bodies)."""
    parsed = _body_cache.get(text)
    if parsed is None:
        if len(_body_cache) >= 4096:
            _body_cache.clear()
        parsed = _body_cache[text] = fastjson.loads(text)
    return parsed


def _filled(pieces: list[str], vals: str, values: list[str] | None = None) -> Any:
    """The document of a body's ``pieces`` with the row's values put in the names' places (``values``: ``vals``
    parsed already), exactly the JSON text the judge would have written in full, parsed."""
    if len(pieces) == 1:
        return fastjson.loads(pieces[0])
    out = list(pieces)
    out[1::2] = fastjson.loads(vals) if values is None else values
    return fastjson.loads("".join(out))


def _document_of(row: Any) -> Any:
    """An identity's or finding's document from its row: ``data`` as stored, or its body filled with its
    values."""
    data, body, vals = row
    if body is None:
        if data is None:
            raise StoreError("a stored document has neither its text nor a body (the store is damaged)")
        return data
    return _filled(_parsed_body(body), vals)


def _set_documents(text: str, vals: str) -> Iterator[Any]:
    """The documents of one ``finding_sets`` row: each finding's pieces filled with the row's values."""
    values = fastjson.loads(vals)
    for *_head, pieces in _parsed_body(text):
        yield _filled(pieces, vals, values)


def record_json(o: Observation) -> str:
    """One record as an element of an ``observation_sets`` row (its device is the row's)."""
    return fastjson.dumps_storable((o.id, o.protocol, o.response, o.address, o.port, o.mac, o.request,
                                    o.observed_at))


def records_row(items: Sequence[str]) -> str:
    """The ``records`` text of an ``observation_sets`` row from its records' :func:`record_json` texts."""
    return "[" + ",".join(items) + "]"


def records_of(device: str | None, text: str, judging: bool = False) -> list[Observation]:
    """The records of one ``observation_sets`` row (``judging``: without what identification never reads,
    each record's request and time)."""
    make = Observation.fast
    if judging:
        return [make(rid, protocol, response, device, address, port, mac, None, None)
                for rid, protocol, response, address, port, mac, _request, _when in fastjson.loads(text)]
    return [make(rid, protocol, response, device, address, port, mac, request, observed_at)
            for rid, protocol, response, address, port, mac, request, observed_at in fastjson.loads(text)]


def _observation(r: Any) -> Observation:
    return Observation(id=r.id, protocol=r.protocol, response=r.response, device=r.device, address=r.address,
                       port=r.port, mac=r.mac, request=r.request, observed_at=r.observed_at)


class _Writer:
    """One table's upsert compiled once for a dialect, executed as executemany with plain rows: SQLite takes
    the rows as they are (positional); PostgreSQL takes them by name, through the columns' own bind
    processors (NUL escaping of device text)."""

    def __init__(self, stmt: Any, table: Table, dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = str(compiled)
        names = list(table.c.keys())
        order = list(compiled.positiontup or [])
        self.positional = bool(order)
        if self.positional and order != names:
            raise StoreError(f"the compiled insert of {table.name} binds {order}, not {names}")
        self.names = names
        # our own column types' processors only (the rows carry Python ints, floats and str already)
        self.processors = [(n, proc) for n, c in enumerate(table.c) if isinstance(c.type, TypeDecorator)
                           and (proc := c.type.dialect_impl(dialect).bind_processor(dialect)) is not None]

    def params(self, rows: Iterable[tuple[Any, ...]]) -> list[Any]:
        if self.positional and not self.processors:
            return rows if isinstance(rows, list) else list(rows)
        out: list[Any] = []
        for row in rows:
            values = list(row)
            for n, proc in self.processors:
                values[n] = proc(values[n])
            out.append(tuple(values) if self.positional else dict(zip(self.names, values, strict=True)))
        return out


_observations, _identities, _findings = observations, identities, findings

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _pg_engine(url: str) -> Engine:
    """One pooled engine per PostgreSQL URL in this process (a server opens a store per request)."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine(url, pool_pre_ping=True, json_serializer=_dumps, json_deserializer=_loads)
            _engines[url] = engine
        return engine


def dispose(location: str) -> None:
    """Close the pooled connections this process holds to a PostgreSQL store (tests drop the database)."""
    url = sqlalchemy_url(location)
    with _engines_lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def sqlalchemy_url(location: str) -> str:
    """The SQLAlchemy URL for a store location: a file path, ``sqlite:///path`` or ``postgresql://...``."""
    if location.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + location.split("://", 1)[1]
    if location.startswith("postgresql+psycopg://"):
        return location
    if location.startswith("sqlite:///"):
        return location
    return f"sqlite:///{location}"


def shown(location: str) -> str:
    """A location fit for messages: a URL's password hidden."""
    if "://" not in location:
        return location
    try:
        url = make_url(location)
    except ArgumentError:
        return location
    return url.render_as_string(hide_password=True) if url.password else location


def _sqlite_engine(path: str, readonly: bool) -> Engine:
    target = f"file:{Path(path).resolve().as_posix()}?mode=ro&uri=true" if readonly else path
    engine = create_engine(f"sqlite:///{target}", poolclass=NullPool, json_serializer=_dumps,
                           json_deserializer=_loads, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if path != ":memory:" and not readonly:
            # 16 KiB pages for a new store (an existing one keeps its own: the size of a database with content
            # only changes by VACUUM): an import writes tens of megabytes of rows a few hundred bytes to a few
            # kilobytes long, and four times fewer pages is about a quarter less of SQLite's work for it (B-tree
            # pages filled and split, WAL frames written and checkpointed); a small transaction's WAL frames are
            # whole pages, still a few hundred KiB at most
            cursor.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            # WAL: readers never block the scan's writer, a commit is one append (no journal file to create
            # each time, which is what failed when file descriptors ran out), and NORMAL synchronisation
            # keeps every committed transaction through a killed process (only a power cut may lose the last
            # few)
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    return engine


def open_store(location: str | None, readonly: bool = False) -> Store:
    """A store from a file path or ``sqlite:///path`` (SQLite), or a ``postgresql://`` URL (psycopg 3).
    ``readonly`` opens it without migrating or writing (SQLite: read-only mode)."""
    where = location or DEFAULT_DB
    if where.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        try:
            return Store(_pg_engine(sqlalchemy_url(where)), shown(where), readonly)
        except (NoSuchModuleError, ImportError) as exc:
            raise StoreError(f"PostgreSQL stores need psycopg 3 (pip install 'psycopg[binary]'): {exc}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open {shown(where)}: {_reason(exc)}") from exc
    if where.startswith("sqlite:///"):
        where = where[len("sqlite:///"):]
    elif "://" in where:
        raise StoreError(f"unknown database URL {shown(where)!r}: give a file path, sqlite:///path or "
                         "postgresql://...")
    path = Path(where)
    if path.parent and not path.parent.exists():
        raise StoreError(f"cannot create {where}: folder {path.parent} does not exist")
    if readonly and not path.is_file():
        raise StoreError(f"{where}: no such store")
    try:
        return Store(_sqlite_engine(where, readonly), where, readonly)
    except DBAPIError as exc:
        raise StoreError(f"{where} is not a camaudit database ({_reason(exc)})") from exc


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0]
