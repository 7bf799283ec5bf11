"""An import's records kept one row per device per batch (``observation_sets``, migration 0006) read back
exactly as they were read: every field, each device's records in the order they arrived, however many
batches the file took, on SQLite and PostgreSQL; hostile text (NUL, lone surrogates, JSON-looking text)
round-trips; counts and device totals see them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from camaudit.collect.imports import runner
from camaudit.collect.imports.runner import import_file
from camaudit.model import Observation
from camaudit.store import open_store
from camaudit.store.core import record_json, records_row
from tests.stores import BACKENDS, fresh_location

HOSTS = 40
ODD = ["a\x00b", "lone \udc80 surrogate", '["x", 1, null]', "\\u0000 literal", "é中\U0001f600", ""]


def _banners(path: Path) -> None:
    """Shodan banners, a host's answers spread through the file (as a download gives them)."""
    lines = []
    for kind in range(3):
        for host in range(HOSTS):
            address = f"10.9.{host // 200}.{host % 200}"
            if kind == 0:
                data = "HTTP/1.1 401 Unauthorized\r\nServer: DNVRS-Webs\r\n\r\n"
                module, port = "http", 80
            elif kind == 1:
                data = "RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: Rtsp Server/3.0\r\n\r\n"
                module, port = "rtsp-tcp", 554
            else:
                data = f"SSH-2.0-dropbear_{host}\r\n"
                module, port = "ssh", 22
            lines.append(json.dumps({"ip_str": address, "port": port, "transport": "tcp", "data": data,
                                     "timestamp": "2024-01-01T00:00:00", "_shodan": {"module": module}}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _row(device: str | None, records: list[Observation]) -> tuple[str | None, int, str]:
    return device, len(records), records_row([record_json(o) for o in records])


def _everything(location: str, scan_id: int) -> tuple[list[tuple[object, ...]], list[str], list[str], dict[str, int]]:
    store = open_store(location)
    try:
        grouped = [(device, [tuple(vars(o).values()) for o in group])
                   for device, group in store.observations_by_device(scan_id)]
        identities = sorted(json.dumps(i.to_dict(), sort_keys=True) for i in store.identities(scan_id))
        findings = sorted(json.dumps(f.to_dict(), sort_keys=True) for f in store.findings(scan_id))
        counts = store.counts(scan_id)
        counts["devices"] = store.devices_observed(scan_id)
        return sorted(grouped, key=lambda g: str(g[0])), identities, findings, counts
    finally:
        store.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_many_batches_read_back_as_one(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same file imported with its records held in memory and spilled to partition files past 7 records:
    the same records per device, in the same order, and the same identities and findings."""
    source = tmp_path / "banners.json"
    _banners(source)
    results = []
    for name, held in (("one", 10**6), ("many", 7)):
        monkeypatch.setattr(runner, "HELD_RECORDS", held)
        with fresh_location(backend, tmp_path, name) as location:
            store = open_store(location)
            result = import_file(store, source, "shodan", progress=False)
            store.close()
            results.append(_everything(location, int(result.scan_id or 0)))
    (one, many) = results
    assert one == many
    grouped, identities, _findings, counts = one
    assert len(grouped) == HOSTS and counts["devices"] == HOSTS
    assert counts["observations"] == 3 * HOSTS
    first = grouped[0][1]
    assert [record[1] for record in first] == ["http_header", "rtsp", "other"]  # the order they arrived in
    assert len(identities) == HOSTS


@pytest.mark.parametrize("backend", BACKENDS)
def test_hostile_text_round_trips(backend: str, tmp_path: Path) -> None:
    """Text no JSON encoder takes as it is (NUL, a lone surrogate) and text that looks like the row's own
    JSON comes back exactly; so do absent fields."""
    made = [Observation.fast(f"r{n}", "other", text, "dev-1", None if n % 2 else "10.0.0.1", None if n % 3 else n,
                             None, text or None, None)
            for n, text in enumerate(ODD)]
    made.append(Observation.fast("r-none", "other", "no device", None, None, None, None, None, None))
    with fresh_location(backend, tmp_path, "odd") as location:
        store = open_store(location)
        try:
            scan_id = store.begin_scan("import", ["x"], {}, None)
            with store.transaction():
                store.add_record_sets(scan_id, [_row("dev-1", made[:3])])
                store.add_record_sets(scan_id, [_row("dev-1", made[3:-1]), _row(None, made[-1:])])
            back = dict(store.observations_by_device(scan_id))
            assert [vars(o) for o in back["dev-1"]] == [vars(o) for o in made[:-1]]
            assert [vars(o) for o in back["None"]] == [vars(o) for o in made[-1:]]
            assert sorted(o.id for o in store.observations(scan_id)) == sorted(o.id for o in made)
            assert store.counts(scan_id)["observations"] == len(made)
            store.forget_scan(scan_id)
            assert store.counts(scan_id)["observations"] == 0
        finally:
            store.close()


def test_no_room_for_the_partitions_is_an_error_that_keeps_nothing(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the memory bound the records need a temporary folder; when there is none to be had the import
    fails saying so (and what to do), and the store is as it was."""
    import tempfile

    source = tmp_path / "banners.json"
    _banners(source)
    monkeypatch.setattr(runner, "HELD_RECORDS", 7)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-folder"))
    store = open_store(str(tmp_path / "s.db"))
    try:
        with pytest.raises(runner.ImportError_, match="TMPDIR"):
            import_file(store, source, "shodan", progress=False)
        assert store.scans() == []
        assert store.counts()["observations"] == 0
    finally:
        store.close()
