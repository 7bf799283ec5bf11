"""DeviceJudge's memory never changes an answer: rows with it equal rows worked out directly, whatever the
device key, record ids and address (public or private) of the device that first showed the same evidence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pytest

from camaudit.assess.interface import assess_all
from camaudit.audit import Stages
from camaudit.judge import DeviceJudge, Judged, rows_of
from camaudit.model import Observation
from camaudit.simulate.recordings import load_recordings

STAGES = Stages.default()


def _direct(device: str, group: Sequence[Observation], ports: Sequence[int]) -> Judged:
    identity = STAGES.identifier.identify_device(device, group, ports)
    return rows_of(identity, assess_all([identity], STAGES.assessments))


def _devices() -> list[list[Observation]]:
    """One device per recorded model (its recordings together), and one per recording."""
    by_model: dict[str, list[Observation]] = defaultdict(list)
    singles = []
    for n, rec in enumerate(load_recordings().values()):
        obs = Observation(id=f"x{n}", protocol=rec.protocol, response=rec.response, port=80 + n % 3)
        by_model[f"{rec.manufacturer}|{rec.model}"].append(obs)
        singles.append([obs])
    return list(by_model.values()) + singles


def _as(group: Sequence[Observation], device: str, address: str | None, tag: str) -> list[Observation]:
    return [Observation(id=f"{tag}-{o.id}", protocol=o.protocol, response=o.response, device=device, address=address,
                        port=o.port, mac=o.mac) for o in group]


@pytest.mark.parametrize(("first", "second"), [
    ("10.1.2.3", "10.9.8.7"),          # private, twice
    ("8.8.4.4", "1.1.1.1"),            # public, twice (exposure says so, naming the address)
    (None, None),                      # no address: the device key stands in
    ("8.8.4.4", "10.0.0.1"),           # public then private: different signatures
])
def test_remembered_rows_equal_rows_worked_out_directly(first: str | None, second: str | None) -> None:
    judge = DeviceJudge(STAGES)
    for i, group in enumerate(_devices()):
        ports = tuple(sorted({o.port for o in group if o.port}))
        for device, address, tag in ((f"dev-{i}-a", first, "a"), (f'dev "{i}" b\u00e9', second, "b")):
            obs = _as(group, device, address, tag)
            assert judge.judge(device, obs, ports) == _direct(device, obs, ports), (device, [o.id for o in group])
    assert judge.hits > 0


def test_records_sharing_an_id_are_judged_directly() -> None:
    rec = next(iter(load_recordings().values()))
    group = [Observation(id="same", protocol=rec.protocol, response=rec.response, device="d", address="10.0.0.1")] * 2
    judge = DeviceJudge(STAGES)
    assert judge.judge("d", group) == _direct("d", group, ())
    assert judge.hits == judge.misses == 0


def test_memory_is_bounded() -> None:
    judge = DeviceJudge(STAGES, limit=3)
    for i, group in enumerate(_devices()[:10]):
        judge.judge(f"d{i}", _as(group, f"d{i}", "10.0.0.1", "t"))
    assert len(judge.memory) <= 3
