"""Identification as one call: group observations by device, collect evidence, merge."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from camaudit.identify.declared.evidence import Declarations
from camaudit.identify.engine import Answer, Memo, answer_of, collect_evidence, evidence_from, format_mac
from camaudit.identify.merge import merge
from camaudit.knowledge.authority import Authority, default_authority
from camaudit.knowledge.brands import BrandBook, load_brandbook
from camaudit.knowledge.cloud import CloudService, load_cloud_services
from camaudit.knowledge.fingerprints import RuleBook, load_rulebook
from camaudit.model import Evidence, Identity, Observation


@dataclass(frozen=True)
class Identifier:
    rulebook: RuleBook
    brands: BrandBook
    clouds: Mapping[str, CloudService] = field(default_factory=dict)
    #: evidence already worked out per distinct answer: bounded, see engine.Memo
    memo: Memo = field(default_factory=Memo, compare=False, repr=False)
    declarations: Declarations | None = None  # the self-description parsers; None: the package's, on these brands
    authority: Authority = field(default_factory=default_authority)

    def __post_init__(self) -> None:
        if self.declarations is None:
            object.__setattr__(self, "declarations", Declarations.default(self.brands))

    @classmethod
    def default(cls) -> Identifier:
        return cls(load_rulebook(), load_brandbook(), load_cloud_services())

    @cached_property
    def model_rules(self) -> frozenset[str]:
        """The model-numbering rules (those that read the ``model`` part): a discovery answer's model is
        consistent with its maker when one of these agrees."""
        return frozenset(rule.id for rule in self.rulebook.rules if rule.part == "model")

    def identify_device(
        self, device: str, observations: Sequence[Observation], open_ports: Sequence[int] = ()
    ) -> Identity:
        return self.conclude(device, observations, self.evidence(observations), open_ports)

    def evidence(self, observations: Sequence[Observation]) -> list[Evidence]:
        """Every rule and registry hit on one device's records (the first half of :meth:`identify_device`)."""
        return collect_evidence(observations, self.rulebook, self.brands, self.clouds, self.memo, self.declarations)

    def answers(self, observations: Sequence[Observation]) -> list[Answer]:
        """Each record's answer (its evidence, from the memo where the same answer was seen before)."""
        rulebook, clouds, memo, declarations = self.rulebook, self.clouds, self.memo, self.declarations
        exact, recent = memo.exact, memo.recent  # emptied in place when full, never replaced
        out = []
        for obs in observations:
            key = (obs.protocol, obs.response)
            known = exact.get(key) or recent.get(key)  # answer_of's first look, without the call
            out.append(known if known is not None else answer_of(obs, rulebook, clouds, memo, declarations))
        return out

    def evidence_of(self, observations: Sequence[Observation], answers: Sequence[Answer]) -> list[Evidence]:
        """What :meth:`evidence` gives, from the records' :meth:`answers`."""
        return evidence_from(observations, answers, self.brands)

    def conclude(self, device: str, observations: Sequence[Observation], evidence: Sequence[Evidence],
                 open_ports: Sequence[int] = ()) -> Identity:
        """The identity that evidence supports (the second half of :meth:`identify_device`)."""
        return merge(device, observations, evidence, self.brands, open_ports, self.authority, self.model_rules)

    def identify_all(
        self, observations: Iterable[Observation], open_ports: Mapping[str, Sequence[int]] | None = None
    ) -> list[Identity]:
        """One identity per device. Records are grouped by their ``device`` key, then groups that name the same
        MAC address or serial number are one device, even when they came from different addresses."""
        groups: dict[str, list[Observation]] = defaultdict(list)
        for obs in observations:
            groups[obs.group_key].append(obs)
        evidence = {key: collect_evidence(obs, self.rulebook, self.brands, self.clouds, declarations=self.declarations)
                    for key, obs in groups.items()}
        clusters = _clusters(list(groups), {key: _hardware_ids(evs) for key, evs in evidence.items()})
        ports = open_ports or {}
        identities = []
        for members in clusters:
            observations_ = [o for key in members for o in groups[key]]
            evs = [e for key in members for e in evidence[key]]
            open_ = sorted({p for key in members for p in ports.get(key, ())})
            identities.append(merge(members[0], observations_, evs, self.brands, open_, self.authority,
                                    self.model_rules))
        return identities


def _hardware_ids(evidence: Sequence[Evidence]) -> set[str]:
    """The MAC addresses and serial numbers a group's evidence names, normalised."""
    out = set()
    for ev in evidence:
        mac = format_mac(ev.asserts.get("mac", "")) if ev.asserts.get("mac") else None
        if mac:
            out.add(f"mac:{mac}")
        serial = ev.asserts.get("serial")
        if serial and len(serial) >= 6:
            out.add(f"serial:{serial.upper()}")
    return out


def _clusters(keys: list[str], ids: Mapping[str, set[str]]) -> list[list[str]]:
    """Groups sharing any hardware id, joined transitively (union-find), in first-seen order."""
    parent = {k: k for k in keys}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    owner: dict[str, str] = {}
    for key in keys:
        for hw in ids.get(key, ()):
            if hw in owner:
                parent[find(key)] = find(owner[hw])
            else:
                owner[hw] = key
    clusters: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        clusters[find(key)].append(key)
    return list(clusters.values())
