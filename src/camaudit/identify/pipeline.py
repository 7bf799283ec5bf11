"""Identification as one call: group observations by device, collect evidence, merge."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from camaudit.identify.engine import collect_evidence
from camaudit.identify.merge import merge
from camaudit.knowledge.brands import BrandBook, load_brandbook
from camaudit.knowledge.fingerprints import RuleBook, load_rulebook
from camaudit.model import Identity, Observation


@dataclass(frozen=True)
class Identifier:
    rulebook: RuleBook
    brands: BrandBook

    @classmethod
    def default(cls) -> Identifier:
        return cls(load_rulebook(), load_brandbook())

    def identify_device(
        self, device: str, observations: Sequence[Observation], open_ports: Sequence[int] = ()
    ) -> Identity:
        evidence = collect_evidence(observations, self.rulebook, self.brands)
        return merge(device, observations, evidence, self.brands, open_ports)

    def identify_all(
        self, observations: Iterable[Observation], open_ports: Mapping[str, Sequence[int]] | None = None
    ) -> list[Identity]:
        groups: dict[str, list[Observation]] = defaultdict(list)
        for obs in observations:
            groups[obs.group_key].append(obs)
        ports = open_ports or {}
        return [self.identify_device(key, obs, ports.get(key, ())) for key, obs in groups.items()]
