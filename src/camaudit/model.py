"""The records that flow through the pipeline: observations in, identities and findings out.

Every type here is a frozen dataclass with a plain-dict form (``to_dict``) that is the JSON contract
documented in the README. Nothing is dropped silently: a value that could not be learned is ``None``
and carries a reason in ``unknown``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

PROTOCOLS = frozenset(
    {
        "http_header",
        "http_body",
        "isapi_deviceinfo",
        "dahua_cgi",
        "dahua_rpc",
        "onvif_device_info",
        "ws_discovery",
        "sadp",
        "dhip",
        "rtsp",
        "ssdp",
        "mdns",
        "telnet_banner",
        "tls_cert",
        "dhcp",
        "register",
        "other",
    }
)

IDENTITY_FIELDS = ("manufacturer", "brand", "model", "firmware", "device_type", "serial", "mac", "family")


_new = object.__new__


class RecordError(ValueError):
    """An evidence record that does not follow the contract."""


@dataclass(frozen=True)
class Observation:
    """One piece of raw evidence: what a device said, where and when."""

    id: str
    protocol: str
    response: str
    device: str | None = None
    address: str | None = None
    port: int | None = None
    mac: str | None = None
    request: str | None = None
    observed_at: str | None = None

    @classmethod
    def fast(cls, id: str, protocol: str, response: str, device: str | None, address: str | None,
             port: int | None, mac: str | None, request: str | None, observed_at: str | None) -> Observation:
        """An observation from already checked values, every field given: the same object the dataclass
        ``__init__`` makes, in a third of its time (importers make one per record read, and again per record
        read back)."""
        made = _new(cls)
        fields = made.__dict__  # filled in the fields' order, item by item (faster than update with keywords)
        fields["id"] = id
        fields["protocol"] = protocol
        fields["response"] = response
        fields["device"] = device
        fields["address"] = address
        fields["port"] = port
        fields["mac"] = mac
        fields["request"] = request
        fields["observed_at"] = observed_at
        return made

    @property
    def group_key(self) -> str:
        """Records with the same key describe one device; a record without one is its own device."""
        return self.device or self.id

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], fallback_id: str) -> Observation:
        if not isinstance(raw, Mapping):
            raise RecordError("an evidence record must be a JSON object")
        protocol = raw.get("protocol")
        response = raw.get("response")
        if not isinstance(protocol, str) or protocol not in PROTOCOLS:
            raise RecordError(f"'protocol' must be one of: {', '.join(sorted(PROTOCOLS))}; got {protocol!r}")
        if not isinstance(response, str):
            raise RecordError("'response' is required and must be a string")
        port = raw.get("port")
        if port is not None and (not isinstance(port, int) or not 0 < port < 65536):
            raise RecordError(f"'port' must be an integer from 1 to 65535; got {port!r}")
        optional: dict[str, str | None] = {}
        for key in ("device", "address", "mac", "request", "observed_at"):
            value = raw.get(key)
            if value is not None and not isinstance(value, str):
                raise RecordError(f"'{key}' must be a string; got {type(value).__name__}")
            optional[key] = value
        record_id = raw.get("id")
        return cls(
            id=str(record_id) if record_id is not None else fallback_id,
            protocol=protocol,
            response=response,
            port=port,
            **optional,
        )


@dataclass(frozen=True)
class Evidence:
    """One rule (or knowledge entry) that fired on one record, and what it asserts."""

    record: str
    rule: str
    asserts: Mapping[str, str]
    matched: str
    confidence: float
    source: str

    def for_record(self, record: str) -> Evidence:
        """The same evidence naming another record (the same answer seen in another record). Built without the
        dataclass ``__init__`` (a third of its cost on the import hot path); the fields are the same."""
        if record == self.record:
            return self
        made = _new(Evidence)
        made.__dict__.update(self.__dict__)
        made.__dict__["record"] = record
        return made

    def to_dict(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "rule": self.rule,
            "asserts": dict(self.asserts),
            "matched": self.matched,
            "confidence": self.confidence,
            "source": self.source,
        }


@dataclass(frozen=True)
class Conflict:
    """Two sources disagree on a field: kept and shown, never overwritten."""

    field: str
    chosen: str
    other: str
    records: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "chosen": self.chosen, "other": self.other, "records": list(self.records)}


@dataclass(frozen=True)
class Identity:
    """Who made a device and what it is, with the evidence chain behind each value."""

    device: str
    ids: tuple[str, ...]
    address: str | None
    manufacturer: str | None
    brand: str | None
    model: str | None
    firmware: str | None
    device_type: str | None
    confidence: float
    evidence: tuple[Evidence, ...]
    unknown: Mapping[str, str] = field(default_factory=dict)
    conflicts: tuple[Conflict, ...] = ()
    manufacturer_basis: str | None = None
    oem_sources: tuple[str, ...] = ()
    open_ports: tuple[int, ...] = ()
    serial: str | None = None
    mac: str | None = None
    family: str | None = None
    capabilities: tuple[str, ...] = ()  # what the device says it can do (face-recognition, anpr, audio...)
    cloud: tuple[str, ...] = ()  # vendor cloud/P2P services it is configured for or seen talking to
    # why the maker is certain (its own self-description, or two independent kinds of evidence), or, when it is
    # not, what is missing; both None for identities made before camaudit said so
    certain_because: str | None = None
    probable_because: str | None = None

    @property
    def unidentified_reason(self) -> str | None:
        return self.unknown.get("manufacturer")

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "ids": list(self.ids),
            "address": self.address,
            "manufacturer": self.manufacturer,
            "brand": self.brand,
            "model": self.model,
            "firmware": self.firmware,
            "device_type": self.device_type,
            "serial": self.serial,
            "mac": self.mac,
            "family": self.family,
            "capabilities": list(self.capabilities),
            "cloud": list(self.cloud),
            "confidence": self.confidence,
            "manufacturer_basis": self.manufacturer_basis,
            "oem_sources": list(self.oem_sources),
            "open_ports": list(self.open_ports),
            "evidence": [e.to_dict() for e in self.evidence],
            "conflicts": [c.to_dict() for c in self.conflicts],
            "unknown": dict(self.unknown),
            "unidentified_reason": self.unidentified_reason,
            "certain_because": self.certain_because,
            "probable_because": self.probable_because,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Identity:
        return cls(
            device=raw["device"],
            ids=tuple(raw.get("ids", ())),
            address=raw.get("address"),
            manufacturer=raw.get("manufacturer"),
            brand=raw.get("brand"),
            model=raw.get("model"),
            firmware=raw.get("firmware"),
            device_type=raw.get("device_type"),
            confidence=float(raw.get("confidence", 0.0)),
            evidence=tuple(
                Evidence(
                    record=e["record"],
                    rule=e["rule"],
                    asserts=e.get("asserts", {}),
                    matched=e.get("matched", ""),
                    confidence=float(e.get("confidence", 0.0)),
                    source=e.get("source", ""),
                )
                for e in raw.get("evidence", ())
            ),
            unknown=dict(raw.get("unknown", {})),
            conflicts=tuple(
                Conflict(c["field"], c["chosen"], c["other"], tuple(c.get("records", ())))
                for c in raw.get("conflicts", ())
            ),
            manufacturer_basis=raw.get("manufacturer_basis"),
            oem_sources=tuple(raw.get("oem_sources", ())),
            open_ports=tuple(raw.get("open_ports", ())),
            serial=raw.get("serial"),
            mac=raw.get("mac"),
            family=raw.get("family"),
            capabilities=tuple(raw.get("capabilities", ())),
            cloud=tuple(raw.get("cloud", ())),
            certain_because=raw.get("certain_because"),
            probable_because=raw.get("probable_because"),
        )


@dataclass(frozen=True)
class Source:
    url: str
    title: str | None = None
    date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"url": self.url}  # written out: asdict() was a third of an import's time
        if self.title is not None:
            out["title"] = self.title
        if self.date is not None:
            out["date"] = self.date
        return out


@dataclass(frozen=True)
class Finding:
    """A conclusion about a device: a restriction verdict, a vulnerability, an exposure, a capability."""

    device: str
    kind: str
    id: str
    status: str
    certainty: str
    severity: str
    title: str
    detail: str
    evidence: tuple[str, ...]
    sources: tuple[Source, ...]
    facts: Mapping[str, str] = field(default_factory=dict)  # structured values a report needs (kev_date...)

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "kind": self.kind,
            "id": self.id,
            "status": self.status,
            "certainty": self.certainty,
            "severity": self.severity,
            "title": self.title,
            "detail": self.detail,
            "evidence": list(self.evidence),
            "sources": [s.to_dict() for s in self.sources],
            "facts": dict(self.facts),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Finding:
        return cls(
            device=raw["device"],
            kind=raw["kind"],
            id=raw["id"],
            status=raw["status"],
            certainty=raw["certainty"],
            severity=raw["severity"],
            title=raw["title"],
            detail=raw["detail"],
            evidence=tuple(raw.get("evidence", ())),
            sources=tuple(Source(**s) for s in raw.get("sources", ())),
            facts=dict(raw.get("facts", {})),
        )


@dataclass(frozen=True)
class HostResult:
    """Everything one scan learned about one address, committed to the store as one unit."""

    address: str
    open_ports: tuple[int, ...]
    observations: tuple[Observation, ...]
    errors: tuple[str, ...] = ()
    truncated: bool = False
    #: the scan ran short of its own resources (open files, buffers, local ports) for this host: the errors say
    #: what was not checked, and ``--resume`` probes the host again
    incomplete: bool = False
    #: evidence already drawn from the first ``evidence_for`` observations (so no rule runs twice on them)
    evidence: tuple[Evidence, ...] = ()
    evidence_for: int = 0


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=False)
