"""Prevalence across organisations: 24 generated inventories (half camaudit stores, half JSON reports), the
figures checked against values worked out by hand from the generation rule."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from camaudit.cli import main
from camaudit.model import Finding, Identity
from camaudit.report.aggregate import Aggregate, load_inventory
from camaudit.report.data import build_report
from camaudit.report.formats import render_json
from camaudit.report.sites import SiteMap
from camaudit.store import open_store
from tests.stores import BACKENDS, fresh_location

ORGS = 24


def _device(n: int, maker: str | None, certainty: str, caps: tuple[str, ...] = ()) -> tuple[Identity, Finding]:
    name = f"10.0.{n // 250}.{n % 250 + 1}"
    identity = Identity(device=name, ids=(f"r{n}",), address=name, manufacturer=maker, brand=None, model=None,
                        firmware=None, device_type="IP Camera", confidence=0.9 if maker else 0.0, evidence=(),
                        capabilities=caps)
    status = "covered" if certainty else ("not-covered" if maker else "undetermined")
    finding = Finding(device=name, kind="restriction", id="us-ndaa-889", status=status,
                      certainty=certainty or "certain", severity="high", title="t", detail="d", evidence=(),
                      sources=())
    return identity, finding


def inventory(i: int) -> list[tuple[Identity, Finding]]:
    """Organisation i: i % 4 Hikvision cameras (face recognition when i % 4 == 2), two Axis cameras (the first
    with audio when i % 3 == 0), a Dahua-labelled unit known only by its label when i % 5 == 0, and an
    unidentified host when i % 6 == 0."""
    devices = [_device(k, "Hikvision", "certain", ("face-recognition",) if i % 4 == 2 else ())
               for k in range(i % 4)]
    devices.append(_device(10, "Axis", "", ("audio",) if i % 3 == 0 else ()))
    devices.append(_device(11, "Axis", ""))
    if i % 5 == 0:
        devices.append(_device(12, "Dahua", "probable"))
    if i % 6 == 0:
        devices.append(_device(13, None, ""))
    return devices


@pytest.fixture(scope="module", params=BACKENDS)
def inputs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Even organisations hand in their store (a SQLite file, or a PostgreSQL database), odd ones a JSON
    report."""
    folder = tmp_path_factory.mktemp("orgs")
    with ExitStack() as stack:
        yield [stack.enter_context(_organisation(i, str(request.param), folder)) for i in range(ORGS)]


@contextmanager
def _organisation(i: int, backend: str, folder: Path) -> Iterator[str]:
    with fresh_location(backend if i % 2 == 0 else "sqlite", folder, f"org{i:02d}") as db:
        store = open_store(db)
        # an older scan with more Hikvision: only the latest scan of each store counts
        old = store.begin_scan("scan", ["10.0.0.0/24"], {}, 256)
        stale = [_device(100 + k, "Hikvision", "certain") for k in range(5)]
        store.add_results(old, [], [d[0] for d in stale], [d[1] for d in stale])
        store.finish_scan(old)
        scan = store.begin_scan("scan", ["10.0.0.0/24"], {}, 256)
        devices = inventory(i)
        store.add_results(scan, [], [d[0] for d in devices], [d[1] for d in devices])
        store.finish_scan(scan)
        if i % 2:  # odd organisations hand in a JSON report instead of their store
            path = folder / f"org{i:02d}.json"
            path.write_text(render_json(build_report(store, scan, site_map=SiteMap(f"Organisation {i}"))),
                            encoding="utf-8")
            store.close()
            Path(db).unlink()
            yield str(path)
        else:
            store.close()
            yield db


def _hashes(inputs: list[str]) -> dict[str, str]:
    return {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in inputs if "://" not in p}


def test_prevalence_matches_hand_computed_figures(inputs: list[str]) -> None:
    before = _hashes(inputs)
    agg = Aggregate.of([load_inventory(p) for p in inputs])
    assert _hashes(inputs) == before  # stores opened read-only
    doc = agg.to_dict()
    # Hikvision: 6 organisations each with 0, 1, 2 and 3 -> 36 devices in 18 organisations; Axis 2 x 24 = 48;
    # Dahua (label only): i = 0, 5, 10, 15, 20 -> 5; unidentified: i = 0, 6, 12, 18 -> 4.  36+48+5+4 = 93
    assert doc["sample"] == {"organisations": 24, "devices": 93}
    # covered: 18 with Hikvision, plus i = 0 and 20 (no Hikvision, but a Dahua label) -> 20 of 24
    assert doc["organisations_with_covered"]["count"] == 20
    assert doc["organisations_with_covered"]["share"] == pytest.approx(20 / 24)
    low, high = doc["organisations_with_covered"]["ci95"]  # Wilson interval for 20/24, worked by hand
    assert low == pytest.approx(0.6415, abs=1e-3) and high == pytest.approx(0.9332, abs=1e-3)
    assert doc["organisations_with_covered_certain"]["count"] == 18
    assert doc["covered_devices"] == {"certain": 36, "probable": 5, "share": pytest.approx(41 / 93)}
    assert doc["by_maker"] == {
        "Axis": {"devices": 48, "organisations": 24},
        "Hikvision": {"devices": 36, "organisations": 18},
        "Dahua": {"devices": 5, "organisations": 5},
        "unknown": {"devices": 4, "organisations": 4},
    }
    # face recognition: i % 4 == 2 (2, 6, 10, 14, 18, 22), two cameras each; audio: i % 3 == 0, one camera each
    assert doc["by_capability"] == {
        "face-recognition": {"devices": 12, "organisations": 6},
        "audio": {"devices": 8, "organisations": 8},
    }
    names = [o["name"] for o in doc["organisations"]]
    # a store is named by its file (or database) name; a JSON report by its organisation
    assert names[0].startswith(("org00", "camaudit_org00_")) and names[1] == "Organisation 1"


def test_aggregate_command(inputs: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--aggregate", *inputs]) == 0
    text = capsys.readouterr().out
    assert "Sample: 24 organisation(s), 93 device(s)." in text
    assert "Organisations with any covered equipment: 20 of 24 (83.3%" in text
    assert "18 of 24" in text and "Hikvision" in text
    out = tmp_path / "agg.json"
    assert main(["report", "--aggregate", *inputs, "--format", "json", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["sample"]["organisations"] == 24
    assert main(["report", "--aggregate", inputs[2], "--format", "md"]) == 0
    assert "| Hikvision |" in capsys.readouterr().out
    bad = tmp_path / "notes.txt"
    bad.write_text("not a report", encoding="utf-8")
    assert main(["report", "--aggregate", str(bad)]) == 2
    assert "not a JSON report" in capsys.readouterr().err
    assert main(["report", "--aggregate", inputs[0], "--format", "xlsx"]) == 2
