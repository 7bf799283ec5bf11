"""``camaudit bulk`` on Dask gives the answers ``camaudit import`` gives, resumes, and reports bad partitions.

The Dask cluster here runs in this process (``processes=False``) on 127.0.0.1: no traffic leaves loopback.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from camaudit.bulk import synthetic
from camaudit.bulk.run import run_bulk
from camaudit.cli import main
from camaudit.collect.imports.runner import import_file
from camaudit.store import open_store


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with Client(cluster) as c:
        yield c
    cluster.close()


def _single(path: Path, tmp: Path, fmt: str) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    store = open_store(str(tmp / f"{path.name}.db"))
    result = import_file(store, path, fmt, progress=False)
    assert result.scan_id is not None
    identities = {i.device: i.to_dict() for i in store.identities(result.scan_id)}
    findings: dict[str, list[dict[str, Any]]] = {}
    for f in store.findings(result.scan_id):
        findings.setdefault(f.device, []).append(f.to_dict())
    store.close()
    return identities, findings


def _bulk(out: Path) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    identities = {row["device"]: json.loads(row["data"])
                  for row in pq.read_table(out / "identities").to_pylist()}
    findings: dict[str, list[dict[str, Any]]] = {}
    for row in pq.read_table(out / "findings").to_pylist():
        findings.setdefault(row["device"], []).append(json.loads(row["data"]))
    return identities, findings


def _renamed(value: Any, names: dict[str, str]) -> Any:
    """``value`` with every record id (alone or leading an evidence line) replaced by its name in ``names``."""
    if isinstance(value, str):
        head, sep, rest = value.partition(": ")
        if value in names:
            return names[value]
        if sep and head in names:
            return names[head] + sep + rest
        return value
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    return value


def _assert_same(single: tuple[dict[str, Any], dict[str, Any]], bulk: tuple[dict[str, Any], dict[str, Any]]) -> None:
    s_ids, s_found = single
    b_ids, b_found = bulk
    assert set(s_ids) == set(b_ids)
    for device, mine in s_ids.items():
        theirs = b_ids[device]
        # the same records in the same reading order: pair their ids (bulk ids name the partition too)
        assert len(mine["ids"]) == len(theirs["ids"]), device
        names = dict(zip(theirs["ids"], mine["ids"], strict=True))
        assert _renamed(theirs, names) == mine, device
        key = lambda f: (f["kind"], f["id"])  # noqa: E731
        assert sorted(_renamed(b_found.get(device, []), names), key=key) == sorted(s_found.get(device, []), key=key)


@pytest.mark.parametrize("layout", ["shodan", "zgrab2"])
def test_dask_gives_what_the_single_process_import_gives(tmp_path: Path, client: Any, layout: str) -> None:
    whole = tmp_path / f"{layout}.jsonl"
    synthetic.write(str(whole), 1500, layout)
    single = _single(whole, tmp_path, layout)
    assert sum(1 for i in single[0].values() if i["manufacturer"]) > 100

    # the same records split into three partitions (one gzip), so devices span partitions
    lines = whole.read_bytes().splitlines(keepends=True)
    parts = tmp_path / "parts"
    parts.mkdir()
    third = len(lines) // 3
    (parts / "a.jsonl").write_bytes(b"".join(lines[:third]))
    (parts / "b.jsonl.gz").write_bytes(gzip.compress(b"".join(lines[third:2 * third])))
    (parts / "c.jsonl").write_bytes(b"".join(lines[2 * third:]))
    result = run_bulk([str(parts)], str(tmp_path / "out"), layout, buckets=3, client=client)
    assert not result.bad
    assert result.devices == len(single[0])
    _assert_same(single, _bulk(tmp_path / "out"))

    evidence = pq.read_table(tmp_path / "out" / "evidence").to_pylist()
    assert {e["device"] for e in evidence} == {d for d, i in single[0].items() if i["evidence"]}


def test_a_bad_partition_is_reported_and_skipped_and_a_rerun_resumes(tmp_path: Path, client: Any) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    synthetic.write(str(parts / "good.jsonl"), 300)
    bad = parts / "bad.jsonl"
    bad.write_bytes(b"".join(synthetic.lines(20)) + b'{"ip_str": "10.9.9.9", "data": \n')
    out = tmp_path / "out"
    first = run_bulk([str(parts)], str(out), buckets=2, client=client)
    assert [p["url"] for p in first.bad] == [str(bad)]
    assert "line 21" in first.bad[0]["error"] and str(bad) in first.bad[0]["error"]
    # nothing of the bad partition reached the output; the good one is all there
    devices = {row["address"] for row in pq.read_table(out / "identities").to_pylist()}
    assert "10.9.9.9" not in devices and len(devices) == 100
    report = (out / "prevalence.txt").read_text(encoding="utf-8")
    assert "1 partition(s) were skipped as malformed" in report and str(bad) in report
    assert json.loads((out / "prevalence.json").read_text())["sample"]["devices"] == 100

    again = run_bulk([str(parts)], str(out), client=client)
    assert all(p.get("resumed") for p in again.partitions if p["status"] == "done")
    assert all(b.get("resumed") for b in again.buckets)
    assert again.report == first.report


def test_prevalence_has_sample_sizes_and_intervals(tmp_path: Path, client: Any) -> None:
    synthetic.write(str(tmp_path / "in.jsonl"), 600)
    result = run_bulk([str(tmp_path / "in.jsonl")], str(tmp_path / "out"), buckets=2, client=client)
    doc = result.report
    assert doc["sample"]["devices"] == result.devices == 200
    countries = doc["by"]["country"]
    assert sum(r["devices"] for r in countries) == 200
    for row in countries + doc["by"]["maker"]:
        low, high = row["ci95"]
        assert low <= row["share"] <= high
    md = (tmp_path / "out" / "prevalence.md").read_text(encoding="utf-8")
    assert md.startswith("# Prevalence") and "| by maker (who made it) | devices |" in md


def test_cli_refuses_a_resume_over_other_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    synthetic.write(str(tmp_path / "a.jsonl"), 30)
    synthetic.write(str(tmp_path / "b.jsonl"), 30, seed=1)
    out = tmp_path / "out"
    (out / "_work").mkdir(parents=True)
    (out / "_work" / "plan.json").write_text(json.dumps({"partitions": [str(tmp_path / "a.jsonl")],
                                                          "format": "auto", "buckets": 1}))
    assert main(["bulk", str(tmp_path / "b.jsonl"), "-o", str(out), "-q"]) == 2
    assert "holds a run over other inputs" in capsys.readouterr().err
