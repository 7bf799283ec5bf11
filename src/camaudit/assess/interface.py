"""The contract every assessment follows: one identity in, findings out, each finding with evidence."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

from camaudit.model import Finding, Identity


class Assessment(ABC):
    """One kind of judgement about a device (restrictions, vulnerabilities, exposure, capabilities)."""

    kind: str

    @abstractmethod
    def assess(self, identity: Identity) -> list[Finding]:
        """Findings for one device; an empty list means this assessment has nothing to say."""


def assess_all(identities: Iterable[Identity], assessments: Sequence[Assessment]) -> list[Finding]:
    return [f for identity in identities for a in assessments for f in a.assess(identity)]
