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


def test_public_addresses_are_told_as_ipaddress_tells_them() -> None:
    """The once-per-block answer gives what :mod:`ipaddress` gives for every address, on either side of each of
    its special networks' edges and inside the blocks those networks share with others, whichever address of a
    block is asked first; the memory of blocks stays bounded."""
    import ipaddress
    import random

    from camaudit import judge

    constants = ipaddress.IPv4Address._constants  # type: ignore[attr-defined]
    edges = []
    for value in vars(constants).values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, (ipaddress.IPv4Network, ipaddress.IPv4Address)):
                net = ipaddress.IPv4Network(item)
                first, last = int(net.network_address), int(net.broadcast_address)
                edges += [x for x in (first - 1, first, first + 1, last - 1, last, last + 1) if 0 <= x < 2**32]
    pick = random.Random(5)
    addresses = [str(ipaddress.IPv4Address(x)) for x in edges]
    addresses += [f"192.0.0.{i}" for i in range(256)] + [f"255.255.255.{i}" for i in range(256)]
    addresses += [str(ipaddress.IPv4Address(pick.getrandbits(32))) for _ in range(5000)]
    addresses += ["::1", "2a00::1", "fd00::1", "::ffff:8.8.8.8", "010.0.0.1", "1.2.3", "x", "", "8.8.8.8\x00"]
    for order in (addresses, addresses[::-1]):
        judge._BLOCKS.clear()
        for address in order:
            try:
                expected = ipaddress.ip_address(address).is_global
            except ValueError:
                expected = False
            assert judge._is_public(address) == expected, address
    judge._BLOCKS.clear()
    for x in range(judge.BLOCK_LIMIT + 10):
        judge._is_public(str(ipaddress.IPv4Address(x << 8 | 7)))
    assert len(judge._BLOCKS) <= judge.BLOCK_LIMIT


def _filled_back(judged: Judged) -> list[tuple[object, str]]:
    """A ``fill=False`` judgement's documents filled in from their parts and sets, as the store reads them."""
    import json

    rows: list[tuple[object, str]] = []
    heads = [None, *(f[1:6] for f in judged.findings)]
    texts = [judged.identity[8], *(f[6] for f in judged.findings)]
    for head, text, part in zip(heads, texts, judged.parts, strict=True):
        if part is None:
            rows.append((head, text))
            continue
        pieces = json.loads(part[1])
        pieces[1::2] = json.loads(part[2])
        rows.append((head, "".join(pieces)))
    for _digest, body, vals, _covered, _size in judged.sets:
        for *head, pieces in json.loads(body):
            pieces[1::2] = json.loads(vals)
            rows.append((tuple(head), "".join(pieces)))
    return sorted(rows, key=repr)


@pytest.mark.parametrize(("device", "address", "tag"), [
    ("10.1.2.3", "10.1.2.3", "plain"),
    ('dev "q" \\ b\u00e9', "10.1.2.4", 'id"\\\u00e9'),  # what JSON escapes, in the device key and the record ids
    ("no-address", None, "n"),
])
def test_parted_rows_fill_to_the_filled_rows(device: str, address: str | None, tag: str) -> None:
    """The rows kept as parts (the store's form) fill back to exactly the documents written in full, first seen
    and remembered, and for a device of more records than the judge names ahead of time."""
    parted, whole = DeviceJudge(STAGES), DeviceJudge(STAGES)
    many = [o for group in _devices()[:3] for o in group] * 3
    many = [Observation(id=f"m{n}", protocol=o.protocol, response=o.response, port=o.port)
            for n, o in enumerate(many * (300 // len(many) + 1))][:300]
    for group in [*_devices()[:40], many]:
        ports = tuple(sorted({o.port for o in group if o.port}))
        obs = _as(group, device, address, tag)
        for _ in range(2):  # worked out, then remembered
            a = whole.judge(device, obs, ports)
            b = parted.judge(device, obs, ports, fill=False)
            expected = sorted([(None, a.identity[8]), *((f[1:6], f[6]) for f in a.findings)], key=repr)
            assert _filled_back(b) == expected
            assert b.identity[:8] == a.identity[:8]
    assert parted.hits > 0
