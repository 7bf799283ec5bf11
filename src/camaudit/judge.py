"""One device judged: identified and assessed, as store-ready rows, remembering what it has worked out.

Importing internet-scale data means judging tens of millions of devices, and most of them say the same things:
every camera on one firmware fires the same rules with the same matched text, whatever its address, its record
ids or the date in its HTTP head. Identification and assessment are pure functions of what a device showed, so
:class:`DeviceJudge` works a conclusion out once per distinct *evidence signature* and fills the rest in:

- the signature is everything the conclusion reads: each record's protocol, MAC and whether it had an address;
  every piece of evidence (rule, what it asserts, the text it matched, confidence, source) with its record
  given by position; the open ports; and whether the address is globally routable (the exposure assessment
  asks);
- the device key, record ids and address are not in the signature: the conclusion only copies them (and sorts
  the ids: the signature holds the order they sort in, and the tokens sort the same way). They are
  replaced by tokens holding a random per-process nonce (which no device can guess, so no device text can
  imitate one) while the conclusion is worked out, and the real values are put back into the JSON text;
- anything else (records sharing an id, records from different addresses, evidence naming a record outside the
  device) is judged directly, without the memory.

The memory holds at most ``limit`` signatures and is emptied when full, so it stays bounded. The evidence
itself (the rules run on each record, with the prefilter) is always computed; only merging and assessing are
remembered. ``tests/test_judge.py`` checks that rows with and without the memory are identical.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

import orjson

from camaudit import fastjson
from camaudit.assess.interface import assess_all
from camaudit.model import Evidence, Finding, Identity, Observation
from camaudit.pipeline.stages import Stages

#: identity columns of the store and of bulk output, in this order
IDENTITY_COLUMNS = ("device", "address", "manufacturer", "brand", "model", "firmware", "device_type", "confidence",
                    "data")
#: finding columns, in this order
FINDING_COLUMNS = ("device", "kind", "finding_id", "status", "certainty", "severity", "data")

IdentityRow = tuple[str, str | None, str | None, str | None, str | None, str | None, str | None, float, str]
FindingRow = tuple[str, str, str, str, str, str, str]


@dataclass(frozen=True)
class Judged:
    """One device's conclusion as rows, with the figures an import counts."""

    identity: IdentityRow
    findings: tuple[FindingRow, ...]
    manufacturer: str | None
    covered: str  # "certain", "probable" or "" (restriction findings with status covered)
    kev: tuple[str, ...] = ()  # vulnerability findings listed in CISA's KEV catalogue


def _is_public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


def _escaped(value: str) -> str:
    """``value`` as it appears inside a JSON string."""
    try:
        return orjson.dumps(value).decode("utf-8")[1:-1]
    except orjson.JSONEncodeError:  # a lone surrogate: fastjson falls back the same way
        return fastjson.dumps(value)[1:-1]


def _covered(findings: Sequence[Finding]) -> str:
    found = {f.certainty for f in findings if f.kind == "restriction" and f.status == "covered"}
    return "certain" if "certain" in found else ("probable" if found else "")


def _kev(findings: Sequence[Finding]) -> tuple[str, ...]:
    return tuple(sorted({f.id for f in findings if f.kind == "vulnerability" and f.facts.get("kev_date")}))


def rows_of(identity: Identity, findings: Sequence[Finding]) -> Judged:
    """Rows straight from an identity and its findings (no memory)."""
    return Judged(
        (identity.device, identity.address, identity.manufacturer, identity.brand, identity.model, identity.firmware,
         identity.device_type, identity.confidence, fastjson.dumps(identity.to_dict())),
        tuple((f.device, f.kind, f.id, f.status, f.certainty, f.severity, fastjson.dumps(f.to_dict()))
              for f in findings),
        identity.manufacturer, _covered(findings), _kev(findings))


def _ranks(observations: Sequence[Observation]) -> tuple[int, ...]:
    """Each record id's place in the sorted ids. Identification sorts ids (a conflict lists its records in
    order), so the tokens standing for them are numbered to sort the same way, and the signature holds the
    ranks: a conclusion is only reused where the ids sort alike."""
    order = sorted(range(len(observations)), key=lambda i: observations[i].id)
    ranks = [0] * len(order)
    for place, i in enumerate(order):
        ranks[i] = place
    return tuple(ranks)


class _Template:
    """JSON text cut at the tokens: literal pieces and token names, alternately."""

    __slots__ = ("pieces",)

    def __init__(self, text: str, token: re.Pattern[str]) -> None:
        self.pieces = token.split(text)  # [literal, name, literal, name, ..., literal]

    def fill(self, values: dict[str, str]) -> str:
        pieces = self.pieces
        if len(pieces) == 1:
            return pieces[0]
        out = [pieces[0]]
        for i in range(1, len(pieces), 2):
            out.append(values[pieces[i]])
            out.append(pieces[i + 1])
        return "".join(out)


@dataclass(frozen=True)
class _Conclusion:
    identity_columns: tuple[str | None, str | None, str | None, str | None, str | None, float]
    identity_json: _Template
    findings: tuple[tuple[str, str, str, str, str, _Template], ...]
    manufacturer: str | None
    covered: str
    kev: tuple[str, ...]


class DeviceJudge:
    """Identify and assess devices with ``stages``, remembering up to ``limit`` distinct signatures."""

    def __init__(self, stages: Stages, limit: int = 4096) -> None:
        self.stages = stages
        self.limit = limit
        self.memory: dict[tuple[object, ...], _Conclusion] = {}
        self.hits = 0
        self.misses = 0
        nonce = secrets.token_hex(12)
        self._prefix = f"cq{nonce}"
        self._token = re.compile(f"{self._prefix}([DRA][0-9]*)x")
        groups = [nonce[i:i + 4] for i in range(0, 24, 4)]
        # a global (2a00::/12, RIPE space) and a private (fd00::/8, unique local) stand-in for the address;
        # each group gets a leading 1 so none is zero and the text is exactly what ipaddress would print
        self._public = "2a00:" + ":".join("1" + g[:3] for g in groups) + ":1"
        self._private = "fd00:" + ":".join("1" + g[:3] for g in groups) + ":1"
        self._address_token = re.compile(re.escape(self._public) + "|" + re.escape(self._private))

    def judge(self, device: str, observations: Sequence[Observation], open_ports: Sequence[int] = ()) -> Judged:
        identifier = self.stages.identifier
        evidence = identifier.evidence(observations)
        key = self._signature(observations, evidence, open_ports)
        if key is None:
            identity = identifier.conclude(device, observations, evidence, open_ports)
            return rows_of(identity, assess_all([identity], self.stages.assessments))
        found = self.memory.get(key)
        if found is None:
            self.misses += 1
            found = self._work_out(observations, evidence, open_ports)
            if len(self.memory) >= self.limit:
                self.memory.clear()
            self.memory[key] = found
        else:
            self.hits += 1
        return self._fill(found, device, observations)

    # ------------------------------------------------------------------------------------------------
    def _signature(self, observations: Sequence[Observation], evidence: Sequence[Evidence],
                   open_ports: Sequence[int]) -> tuple[object, ...] | None:
        positions: dict[str, int] = {}
        address: str | None = None
        for i, obs in enumerate(observations):
            if obs.id in positions:
                return None
            positions[obs.id] = i
            if obs.address:
                if address is None:
                    address = obs.address
                elif obs.address != address:
                    return None
        evs = []
        for ev in evidence:
            at = positions.get(ev.record)
            if at is None:
                return None
            evs.append((at, ev.rule, tuple(ev.asserts.items()), ev.matched, ev.confidence, ev.source))
        records = tuple((o.protocol, o.mac, bool(o.address)) for o in observations)
        where = None if address is None else _is_public(address)
        return (tuple(open_ports), where, records, tuple(evs), _ranks(observations))

    def _work_out(self, observations: Sequence[Observation], evidence: Sequence[Evidence],
                  open_ports: Sequence[int]) -> _Conclusion:
        prefix = self._prefix
        address = next((o.address for o in observations if o.address), None)
        stand_in = None if address is None else (self._public if _is_public(address) else self._private)
        renamed = {o.id: f"{prefix}R{rank:06d}x" for o, rank in zip(observations, _ranks(observations), strict=True)}
        tokens = [replace(o, id=renamed[o.id], device=f"{prefix}Dx", address=stand_in if o.address else None)
                  for o in observations]
        evs = [replace(e, record=renamed[e.record]) for e in evidence]
        identifier = self.stages.identifier
        identity = identifier.conclude(f"{prefix}Dx", tokens, evs, open_ports)
        findings = assess_all([identity], self.stages.assessments)
        rows = rows_of(identity, findings)
        # the address stand-in becomes a token too, so one template serves every address
        address_token = f"{prefix}Ax"
        return _Conclusion(
            identity_columns=(identity.manufacturer, identity.brand, identity.model, identity.firmware,
                              identity.device_type, identity.confidence),
            identity_json=self._template(rows.identity[8], address_token),
            findings=tuple((kind, fid, status, certainty, severity, self._template(data, address_token))
                           for _device, kind, fid, status, certainty, severity, data in rows.findings),
            manufacturer=identity.manufacturer,
            covered=rows.covered,
            kev=rows.kev,
        )

    def _template(self, text: str, address_token: str) -> _Template:
        text = self._address_token.sub(address_token, text)
        return _Template(text, self._token)

    def _fill(self, found: _Conclusion, device: str, observations: Sequence[Observation]) -> Judged:
        address = next((o.address for o in observations if o.address), None)
        values = {"D": _escaped(device)}
        if address is not None:
            values["A"] = _escaped(address)
        for obs, rank in zip(observations, _ranks(observations), strict=True):
            values[f"R{rank:06d}"] = _escaped(obs.id)
        identity: IdentityRow = (device, address, *found.identity_columns, found.identity_json.fill(values))
        findings = tuple((device, kind, fid, status, certainty, severity, data.fill(values))
                         for kind, fid, status, certainty, severity, data in found.findings)
        return Judged(identity, findings, found.manufacturer, found.covered, found.kev)


__all__ = ["FINDING_COLUMNS", "IDENTITY_COLUMNS", "DeviceJudge", "Judged", "rows_of"]
