"""One device judged: identified and assessed, as store-ready rows, remembering what it has worked out.

Importing internet-scale data means judging tens of millions of devices, and most of them say the same things:
every camera on one firmware fires the same rules with the same matched text, whatever its address, its record
ids or the date in its HTTP head. Identification and assessment are pure functions of what a device showed, so
:class:`DeviceJudge` works a conclusion out once per distinct *evidence signature* and fills the rest in:

- the signature is everything the conclusion reads: each record's protocol, MAC and whether it had an address,
  and its answer's evidence (rule, what it asserts, the text it matched, confidence, source) given by the
  answer's token from the evidence memo (:class:`camaudit.identify.engine.Memo`: equal tokens, equal evidence),
  so a device seen before costs no evidence objects at all; the order its record ids sort in; the open ports;
  and whether the address is globally routable (the exposure assessment asks);
- the device key, record ids and address are not in the signature: the conclusion only copies them (and sorts
  the ids: the signature holds the order they sort in, and the tokens sort the same way). They are
  replaced by tokens holding a random per-process nonce (which no device can guess, so no device text can
  imitate one) while the conclusion is worked out, and the real values are put back into the JSON text;
- anything else (records sharing an id, records from different addresses) is judged directly, without the
  memory.

The memory holds at most ``limit`` signatures and is emptied when full, so it stays bounded. Each record's
answer is always looked up (the evidence memo works the rules out once per distinct answer); merging and
assessing are remembered here. ``tests/test_judge.py`` checks that rows with and without the memory are identical.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass, replace

import orjson

from camaudit import fastjson
from camaudit.assess.interface import assess_all
from camaudit.assess.vulnerabilities import RISK_STATUSES
from camaudit.identify.engine import Answer
from camaudit.model import Evidence, Finding, Identity, Observation
from camaudit.pipeline.stages import Stages

#: identity columns of the store and of bulk output, in this order
IDENTITY_COLUMNS = ("device", "address", "manufacturer", "brand", "model", "firmware", "device_type", "confidence",
                    "data")
#: finding columns, in this order
FINDING_COLUMNS = ("device", "kind", "finding_id", "status", "certainty", "severity", "data")

IdentityRow = tuple[str, str | None, str | None, str | None, str | None, str | None, str | None, float, str]
FindingRow = tuple[str, str, str, str, str, str, str]
EvidenceRow = tuple[str, str, str, str, float, str]
#: a document kept as a content-addressed body: (SHA-256 of the body, the body, the device's values as JSON)
Part = tuple[str, str, str]
#: findings kept as one row: (SHA-256 of the set's body, the body, the device's values as JSON, 1 when one of them is a
#: covered restriction finding else 0, how many findings)
FindingSet = tuple[str, str, str, int, int]

_new = object.__new__


@dataclass(frozen=True)
class Judged:
    """One device's conclusion as rows, with the figures an import counts."""

    identity: IdentityRow
    findings: tuple[FindingRow, ...]
    manufacturer: str | None
    covered: str  # "certain", "probable" or "" (restriction findings with status covered)
    kev: tuple[str, ...] = ()  # vulnerability findings listed in CISA's KEV catalogue
    family: str | None = None
    capabilities: tuple[str, ...] = ()
    #: the identity's evidence as (record, rule, asserts as JSON, matched, confidence, source): what bulk output
    #: lists per device, without reading the identity's JSON back
    evidence: tuple[EvidenceRow, ...] = ()
    #: with ``judge(..., fill=False)``: the identity's and then each finding's document as a :data:`Part`
    #: (their ``data`` columns are then ""), or None for a document given in full; ``evidence`` is then left
    #: empty (the store keeps it inside the identity's document)
    parts: tuple[Part | None, ...] = ()
    #: with ``fill=False``: the findings that share their values, each group as one :data:`FindingSet` (they are
    #: then left out of ``findings`` and ``parts``)
    sets: tuple[FindingSet, ...] = ()


#: how many /24 blocks :func:`_is_public` remembers (bounded: addresses come from files and networks)
BLOCK_LIMIT = 65536
_BLOCKS: dict[bytes, bool] = {}  # an IPv4 /24 block (its first three bytes) -> whether its addresses are global
_MIXED: list[frozenset[bytes] | None] = []  # the blocks whose addresses may differ, once worked out


def _mixed_blocks() -> frozenset[bytes] | None:
    """The IPv4 /24 blocks inside which :mod:`ipaddress` may call one address global and another not: those holding
    a network (or address) of its IPv4 constants smaller than a /24 (192.0.0.0/29, 255.255.255.255/32...). Its
    ``is_global`` asks whether an address is in those networks, and every larger network is made of whole /24
    blocks, so within any other block every address gets the same answer. None (no block is taken as uniform)
    when the constants are not where this version of :mod:`ipaddress` keeps them."""
    constants = getattr(ipaddress.IPv4Address, "_constants", None)
    if constants is None:
        return None
    mixed = set()
    for value in vars(constants).values():
        for item in value if isinstance(value, (list, tuple, set, frozenset)) else (value,):
            if isinstance(item, ipaddress.IPv4Address):
                item = ipaddress.IPv4Network(item)
            if isinstance(item, ipaddress.IPv4Network) and item.prefixlen > 24:
                mixed.add(item.network_address.packed[:3])
    return frozenset(mixed)


def _is_public(address: str) -> bool:
    """Whether :mod:`ipaddress` calls the address global (an IPv4 address in the one spelling ipaddress accepts is
    read by the C library first, and answered once per /24 block where every address of the block gets the same
    answer (:func:`_mixed_blocks`): parsing it in Python was most of the cost)."""
    try:
        packed = socket.inet_pton(socket.AF_INET, address)
    except (OSError, ValueError):
        packed = None
    try:
        if packed is not None and socket.inet_ntop(socket.AF_INET, packed) == address:
            block = packed[:3]
            found = _BLOCKS.get(block)
            if found is None:
                found = ipaddress.IPv4Address(packed).is_global
                if not _MIXED:
                    _MIXED.append(_mixed_blocks())
                mixed = _MIXED[0]
                if mixed is not None and block not in mixed:
                    if len(_BLOCKS) >= BLOCK_LIMIT:
                        _BLOCKS.clear()
                    _BLOCKS[block] = found
            return found
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


def _escaped(value: str) -> str:
    """``value`` as it appears inside a JSON string."""
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return value  # nothing JSON escapes (printable ASCII, no quote or backslash)
    try:
        return orjson.dumps(value).decode("utf-8")[1:-1]
    except orjson.JSONEncodeError:  # a lone surrogate: fastjson falls back the same way
        return fastjson.dumps(value)[1:-1]


def _covered(findings: Sequence[Finding]) -> str:
    found = {f.certainty for f in findings if f.kind == "restriction" and f.status == "covered"}
    return "certain" if "certain" in found else ("probable" if found else "")


def _kev(findings: Sequence[Finding]) -> tuple[str, ...]:
    return tuple(sorted({f.id for f in findings if f.kind == "vulnerability" and f.facts.get("kev_date")
                         and f.status in RISK_STATUSES}))


def _evidence_rows(evidence: Sequence[Evidence]) -> tuple[EvidenceRow, ...]:
    return tuple((e.record, e.rule, fastjson.dumps(dict(e.asserts)), e.matched, float(e.confidence or 0.0), e.source)
                 for e in evidence)


def rows_of(identity: Identity, findings: Sequence[Finding]) -> Judged:
    """Rows straight from an identity and its findings (no memory)."""
    return Judged(
        (identity.device, identity.address, identity.manufacturer, identity.brand, identity.model, identity.firmware,
         identity.device_type, identity.confidence, fastjson.dumps(identity.to_dict())),
        tuple((f.device, f.kind, f.id, f.status, f.certainty, f.severity, fastjson.dumps(f.to_dict()))
              for f in findings),
        identity.manufacturer, _covered(findings), _kev(findings), identity.family, tuple(identity.capabilities),
        _evidence_rows(identity.evidence))


def _ranks(observations: Sequence[Observation]) -> tuple[int, ...]:
    """Each record id's place in the sorted ids. Identification sorts ids (a conflict lists its records in
    order), so the tokens standing for them are numbered to sort the same way, and the signature holds the
    ranks: a conclusion is only reused where the ids sort alike."""
    ids = [o.id for o in observations]
    order = sorted(range(len(ids)), key=ids.__getitem__)
    ranks = [0] * len(order)
    for place, i in enumerate(order):
        ranks[i] = place
    return tuple(ranks)


class _Template:
    """JSON text cut at the tokens: the literal pieces, and the token names that go between them."""

    __slots__ = ("body", "hash", "key", "names", "pieces", "text")

    def __init__(self, text: str, token: re.Pattern[str]) -> None:
        cut = token.split(text)  # [literal, name, literal, name, ..., literal]
        self.text = text if len(cut) == 1 else None
        self.names = cut[1::2]
        self.key = tuple(self.names)  # templates with the same names share their values' JSON
        self.pieces = cut  # filling in copies them and puts the values in the names' places
        # the canonical body the store keeps once (the pieces and names, free of this process's nonce)
        try:
            self.body: str | None = orjson.dumps(cut).decode("utf-8")
        except orjson.JSONEncodeError:  # a lone surrogate in the text: kept in full instead
            self.body = None
        self.hash = None if self.body is None else hashlib.sha256(self.body.encode("utf-8")).hexdigest()

    def fill(self, values: dict[str, str]) -> str:
        if self.text is not None:
            return self.text
        out = self.pieces.copy()
        out[1::2] = [values[name] for name in self.names]
        return "".join(out)


@dataclass(frozen=True)
class _Conclusion:
    identity_columns: tuple[str | None, str | None, str | None, str | None, str | None, float]
    identity_json: _Template
    findings: tuple[tuple[str, str, str, str, str, _Template], ...]
    manufacturer: str | None
    covered: str
    kev: tuple[str, ...]
    family: str | None
    capabilities: tuple[str, ...]
    evidence: tuple[EvidenceRow, ...]  # the record given by its token's name (R000001)
    #: for ``fill=False``: the findings kept together, one set per list of names (whose values' JSON they share),
    #: as (names, hash, body, covered, size); and the findings whose document has no body (kept in full), by place
    sets: tuple[tuple[tuple[str, ...], str, str, int, int], ...] = ()
    loose: tuple[int, ...] = ()


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

    def judge(self, device: str, observations: Sequence[Observation], open_ports: Sequence[int] = (),
              fill: bool = True) -> Judged:
        """The device's rows. ``fill=False`` leaves remembered documents as :attr:`Judged.parts` (for the
        store, which keeps each body once) instead of filling their text in."""
        identifier = self.stages.identifier
        answers = identifier.answers(observations)
        ranks = _ranks(observations)
        signed = self._signature(observations, answers, open_ports, ranks)
        if signed is None:
            evidence = identifier.evidence_of(observations, answers)
            identity = identifier.conclude(device, observations, evidence, open_ports)
            return rows_of(identity, assess_all([identity], self.stages.assessments))
        key, address = signed
        found = self.memory.get(key)
        if found is None:
            self.misses += 1
            found = self._work_out(observations, identifier.evidence_of(observations, answers), open_ports)
            if len(self.memory) >= self.limit:
                self.memory.clear()
            self.memory[key] = found
        else:
            self.hits += 1
        if not fill:
            return self._parted(found, device, address, observations, ranks)
        return self._fill(found, device, address, observations, ranks)

    # ------------------------------------------------------------------------------------------------
    def _signature(self, observations: Sequence[Observation], answers: Sequence[Answer],
                   open_ports: Sequence[int], ranks: tuple[int, ...]
                   ) -> tuple[tuple[object, ...], str | None] | None:
        """Everything the conclusion reads, and the device's address (its records' one address, if any); or None
        when the device is to be judged directly. Each record's evidence (rule hits, declarations, cloud names)
        is given by its answer's token, which only answers with the same evidence share; MAC-prefix evidence
        follows from the records' MACs and that evidence."""
        if len({o.id for o in observations}) != len(observations):
            return None
        address: str | None = None
        for obs in observations:
            if obs.address:
                if address is None:
                    address = obs.address
                elif obs.address != address:
                    return None
        records = tuple([(o.protocol, o.mac, bool(o.address), a.token)
                         for o, a in zip(observations, answers, strict=True)])
        where = None if address is None else _is_public(address)
        return (tuple(open_ports), where, records, ranks), address

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
        identity_json = self._template(rows.identity[8], address_token)
        found = tuple((kind, fid, status, certainty, severity, self._template(data, address_token))
                      for _device, kind, fid, status, certainty, severity, data in rows.findings)
        sets, loose = _sets(found)
        return _Conclusion(
            identity_columns=(identity.manufacturer, identity.brand, identity.model, identity.firmware,
                              identity.device_type, identity.confidence),
            identity_json=identity_json,
            findings=found,
            sets=sets,
            loose=loose,
            manufacturer=identity.manufacturer,
            covered=rows.covered,
            kev=rows.kev,
            family=identity.family,
            capabilities=tuple(identity.capabilities),
            evidence=tuple((self._name(r), rule, asserts, matched, confidence, source)
                           for r, rule, asserts, matched, confidence, source in rows.evidence),
        )

    def _name(self, record: str) -> str:
        match = self._token.fullmatch(record)
        assert match is not None, "evidence names a record of the device"  # as the signature guarantees
        return match.group(1)

    def _template(self, text: str, address_token: str) -> _Template:
        text = self._address_token.sub(address_token, text)
        return _Template(text, self._token)

    def _fill(self, found: _Conclusion, device: str, address: str | None, observations: Sequence[Observation],
              ranks: tuple[int, ...]) -> Judged:
        values = {"D": _escaped(device)}
        if address is not None:
            values["A"] = _escaped(address)
        ids = {}
        for obs, rank in zip(observations, ranks, strict=True):
            name = _RANK_NAMES[rank] if rank < len(_RANK_NAMES) else f"R{rank:06d}"
            ids[name] = obs.id
            values[name] = _escaped(obs.id)
        evidence = tuple((ids[name], rule, asserts, matched, confidence, source)
                         for name, rule, asserts, matched, confidence, source in found.evidence)
        identity = (device, address, *found.identity_columns, found.identity_json.fill(values))
        findings = tuple((device, kind, fid, status, certainty, severity, data.fill(values))
                         for kind, fid, status, certainty, severity, data in found.findings)
        return Judged(identity, findings, found.manufacturer, found.covered, found.kev, found.family,
                      found.capabilities, evidence)

    @staticmethod
    def _parted(found: _Conclusion, device: str, address: str | None, observations: Sequence[Observation],
                ranks: tuple[int, ...]) -> Judged:
        """The rows with their documents as parts: the identity's as a body and its values, the findings in their
        sets (each list of names' values serialised once), any finding without a body in full."""
        values = {"D": device}
        if address is not None:
            values["A"] = address
        for obs, rank in zip(observations, ranks, strict=True):
            values[_RANK_NAMES[rank] if rank < len(_RANK_NAMES) else f"R{rank:06d}"] = obs.id
        every = "".join(values.values())  # the values as JSON strings hold them: as they are, when all are plain
        if not (every.isascii() and every.isprintable() and '"' not in every and "\\" not in every):
            values = {name: _escaped(value) for name, value in values.items()}
        vals: dict[tuple[str, ...], str] = {}  # each list of names' values as JSON, serialised once
        template = found.identity_json
        part: Part | None = None
        if template.hash is not None and template.body is not None:
            text = vals[template.key] = orjson.dumps(list(map(values.__getitem__, template.key))).decode("utf-8")
            part = (template.hash, template.body, text)
        identity: IdentityRow = (device, address, *found.identity_columns,
                                 "" if part is not None else template.fill(values))
        findings = tuple((device, *found.findings[n][:5], found.findings[n][5].fill(values)) for n in found.loose)
        made_sets = []
        for names, digest, body, covered, size in found.sets:
            known = vals.get(names)
            if known is None:
                known = vals[names] = orjson.dumps(list(map(values.__getitem__, names))).decode("utf-8")
            made_sets.append((digest, body, known, covered, size))
        sets = tuple(made_sets)
        made = _new(Judged)  # as Judged(...) makes it, every field given, without the frozen dataclass's __init__
        fields = made.__dict__
        fields["identity"] = identity
        fields["findings"] = findings
        fields["manufacturer"] = found.manufacturer
        fields["covered"] = found.covered
        fields["kev"] = found.kev
        fields["family"] = found.family
        fields["capabilities"] = found.capabilities
        fields["evidence"] = ()
        fields["parts"] = (part,) + (None,) * len(findings)
        fields["sets"] = sets
        return made


def _sets(found: Sequence[tuple[str, str, str, str, str, _Template]]
          ) -> tuple[tuple[tuple[tuple[str, ...], str, str, int, int], ...], tuple[int, ...]]:
    """The findings grouped by their list of names, each group's body the JSON array of its findings,
    [kind, finding_id, status, certainty, severity, pieces] each (pieces: as in a body of their own); and the
    places of the findings that have no body (a lone surrogate in their text), which are kept in full."""
    groups: dict[tuple[str, ...], list[list[object]]] = {}
    loose = []
    for n, (kind, fid, status, certainty, severity, template) in enumerate(found):
        if template.body is None:
            loose.append(n)
        else:
            groups.setdefault(template.key, []).append([kind, fid, status, certainty, severity, template.pieces])
    sets = []
    for names, members in groups.items():
        body = orjson.dumps(members).decode("utf-8")
        covered = int(any(m[0] == "restriction" and m[2] == "covered" for m in members))
        sets.append((names, hashlib.sha256(body.encode("utf-8")).hexdigest(), body, covered, len(members)))
    return tuple(sets), tuple(loose)


#: the names of the first records' tokens, made once
_RANK_NAMES = tuple(f"R{rank:06d}" for rank in range(256))

__all__ = ["FINDING_COLUMNS", "IDENTITY_COLUMNS", "DeviceJudge", "FindingSet", "Judged", "Part", "rows_of"]
