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
from camaudit.bulk.compare import Answers, differences, from_bulk, from_store
from camaudit.bulk.run import inproc_on_loopback, run_bulk
from camaudit.cli import main
from camaudit.collect.imports.runner import import_file
from camaudit.store import open_store


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    inproc_on_loopback()  # the in-process addresses' label: loopback, not the route to a public address
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with Client(cluster) as c:
        yield c
    cluster.close()


def _single(path: Path, tmp: Path, fmt: str) -> Answers:
    store = open_store(str(tmp / f"{path.name}.db"))
    result = import_file(store, path, fmt, progress=False)
    assert result.scan_id is not None
    answers = from_store(store, [result.scan_id])
    store.close()
    return answers


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
    assert differences(single, from_bulk(tmp_path / "out")) == []

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


def test_the_comparison_sees_a_difference(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    synthetic.write(str(path), 60)
    single = _single(path, tmp_path, "shodan")
    device = next(d for d, i in single[0].items() if i["manufacturer"])
    changed = {d: dict(i, manufacturer="Other") if d == device else i for d, i in single[0].items()}
    assert differences(single, (changed, single[1])) == [f"{device}: identities differ"]
