"""Identify and assess: pure functions of observations and knowledge (no network, no store).

Everything here can run in a worker process: :class:`Stages` is built from the knowledge files once per
process and each call takes and returns plain frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from camaudit.assess.capabilities import Capabilities
from camaudit.assess.exposure import Exposure
from camaudit.assess.interface import Assessment, assess_all
from camaudit.assess.restrictions import Restrictions
from camaudit.assess.vulnerabilities import Vulnerabilities
from camaudit.identify.pipeline import Identifier
from camaudit.knowledge.cache import cached
from camaudit.knowledge.firmware import FirmwareBook, firmware_book
from camaudit.knowledge.kinds import KindBook, default_kind_book
from camaudit.knowledge.makers import MakerCatalogue, default_catalogue
from camaudit.model import Evidence, Finding, HostResult, Identity, Observation

#: marks the request of every observation read with owner credentials
AUTHENTICATED = " (authenticated)"

#: device types owner credentials are never sent to
NOT_VIDEO = ("Web Server", "Printer", "Router", "Media Server")


@dataclass
class Stages:
    identifier: Identifier
    assessments: Sequence[Assessment]

    @classmethod
    def default(cls) -> Stages:
        """The stages of the package's knowledge and the user's (``CAMAUDIT_KB``): from the knowledge cache
        (:mod:`camaudit.knowledge.cache`) when the same files built them before, else loaded from the files."""
        loaded = cached("stages", _Loaded, _load)
        default_catalogue.adopt(loaded.catalogue)
        firmware_book.adopt(loaded.firmware)
        default_kind_book.adopt(loaded.kinds)
        return loaded.stages

    @classmethod
    def load(cls) -> Stages:
        """The stages, read from the knowledge files (no cache)."""
        identifier = Identifier.default()
        # the restriction verdicts read the same brands and makers as identification: loaded once
        return cls(identifier, [Restrictions(brands=identifier.brands), Vulnerabilities(), Exposure(), Capabilities()])


@dataclass(frozen=True)
class _Loaded:
    """What loading the stages loads, cached as one: the stages, and the knowledge this process keeps once that
    they were built with (the maker catalogue and the firmware grammars, shared with them) or that identifying
    with them reads (the kinds of device)."""

    stages: Stages
    catalogue: MakerCatalogue
    firmware: FirmwareBook
    kinds: KindBook


def _load() -> _Loaded:
    stages = Stages.load()
    return _Loaded(stages, default_catalogue(), firmware_book(), default_kind_book())


@dataclass(frozen=True)
class Analysis:
    """What identification and assessment made of one host or device."""

    identities: tuple[Identity, ...]
    findings: tuple[Finding, ...]

    @property
    def identified(self) -> int:
        return sum(1 for i in self.identities if i.manufacturer)


def evidence_of(stages: Stages, observations: Sequence[Observation]) -> list[Evidence]:
    """The rules, registries and cloud endpoints that fire on ``observations`` (the costly part, run once)."""
    return stages.identifier.evidence(observations)


def _drawn(stages: Stages, result: HostResult) -> list[Evidence]:
    """Evidence for all of a host's observations, reusing what was already drawn from the first ones."""
    fresh = evidence_of(stages, result.observations[result.evidence_for:])
    if not result.evidence:
        return fresh
    seen = {(e.rule, e.record, tuple(sorted(e.asserts.items()))) for e in result.evidence}
    oui_known = {e.asserts.get("mac") for e in result.evidence if e.rule.startswith("oui.")}
    extra = [e for e in fresh if (e.rule, e.record, tuple(sorted(e.asserts.items()))) not in seen
             and not (e.rule.startswith("oui.") and e.asserts.get("mac") in oui_known)]
    return [*result.evidence, *extra]


def conclude(stages: Stages, device: str, observations: Sequence[Observation], evidence: Sequence[Evidence],
             open_ports: Sequence[int] = ()) -> Identity:
    """The identity the evidence supports (merging votes: cheap, no rule is run again)."""
    return stages.identifier.conclude(device, observations, evidence, open_ports)


def identify_host(stages: Stages, result: HostResult) -> list[Identity]:
    """One identity per host that answered anything (a host with no open port is not a device we saw)."""
    if not result.open_ports and not result.observations:
        return []
    identity = conclude(stages, result.address, result.observations, _drawn(stages, result), result.open_ports)
    return [say_what_credentials_would_add(identity, result.observations)]


def say_what_credentials_would_add(identity: Identity, observations: Iterable[Observation]) -> Identity:
    """Where a known maker's model or firmware stayed unknown and nothing was read with the owner's
    credentials, the reason says so: an owner can close that gap."""
    if identity.manufacturer is None or any(AUTHENTICATED in (o.request or "") for o in observations):
        return identity
    hint = ("nothing was read with owner credentials (--credentials); the device showed no more without logging "
            "in")
    unknown = {field: f"{why}; {hint}" if field in ("model", "firmware") else why
               for field, why in identity.unknown.items()}
    return replace(identity, unknown=unknown)


def looks_like_video_device(identity: Identity, open_ports: Sequence[int]) -> bool:
    """Owner credentials go only to what looks like a camera, recorder or intercom."""
    if identity.device_type in NOT_VIDEO:
        return False
    return identity.manufacturer is not None or 554 in open_ports


def analyse_host(stages: Stages, result: HostResult) -> Analysis:
    """Identify and assess one scanned host."""
    identities = identify_host(stages, result)
    return Analysis(tuple(identities), tuple(assess_all(identities, stages.assessments)))


def analyse_device(stages: Stages, device: str, observations: Sequence[Observation],
                   open_ports: Sequence[int] = ()) -> Analysis:
    """Identify and assess one device known only by its observations (an import, a listen, a Dask partition)."""
    identity = stages.identifier.identify_device(device, observations, open_ports)
    return Analysis((identity,), tuple(assess_all([identity], stages.assessments)))
