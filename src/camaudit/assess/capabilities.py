"""Capability findings: what a device can do to the people in front of it, and what that means in law.

- ``supported`` / ``certain``: the device's own capability document says so (``identity.capabilities``, from
  the rules in ``data/fingerprints/capabilities.yaml``).
- ``reported`` / ``probable``: a public source reports the capability for the device's model
  (``data/knowledge/capabilities.yaml``); the device itself did not say.

The meaning of each capability (GDPR Article 9, EU AI Act Article 5(1)(g)...) comes from the knowledge file
with its sources; camaudit says what the sources say and gives no legal advice beyond it.
"""

from __future__ import annotations

from camaudit.assess.interface import Assessment
from camaudit.assess.vulnerabilities import normalise_model, pattern_regex
from camaudit.knowledge.capabilities import CapabilityBook, ModelReport, load_capability_book
from camaudit.knowledge.firmware import maker_key
from camaudit.model import Finding, Identity, Source


def model_reports(book: CapabilityBook, maker: str | None, model: str | None) -> list[tuple[ModelReport, str]]:
    """The knowledge entries whose model patterns match this device's model, with the pattern that matched."""
    vendor = maker_key(maker)
    if vendor is None or not model:
        return []
    flat = normalise_model(vendor, model)
    found = []
    for report in book.models:
        if report.vendor != vendor:
            continue
        for pattern in report.models:
            if pattern_regex(vendor, pattern, report.match == "exact").match(flat):
                found.append((report, pattern))
                break
    return found


class Capabilities(Assessment):
    kind = "capability"

    def __init__(self, book: CapabilityBook | None = None) -> None:
        self.book = book if book is not None else load_capability_book()

    def assess(self, identity: Identity) -> list[Finding]:
        findings: list[Finding] = []
        for capability in identity.capabilities:
            evidence = tuple(f"{e.record}: {e.rule} ({e.matched})" for e in identity.evidence
                             if e.asserts.get("capability") == capability)
            findings.append(self._finding(identity, capability, "supported", "certain",
                                          "The device's own capability document says it supports this.", evidence,
                                          ()))
        seen = set(identity.capabilities)
        for report, pattern in model_reports(self.book, identity.manufacturer, identity.model):
            for capability in report.capabilities:
                if capability in seen:
                    continue
                seen.add(capability)
                why = (f"Model {identity.model} matches {pattern} (published as {report.published}), which public "
                       f"sources report with this capability: {report.quote}")
                if report.note:
                    why += f" {report.note}"
                why += " The device itself did not say so; check its settings."
                evidence = tuple(f"{e.record}: {e.rule} ({e.matched})" for e in identity.evidence
                                 if {"model", "manufacturer"} & set(e.asserts))
                findings.append(self._finding(identity, capability, "reported", "probable", why, evidence,
                                              report.sources))
        return findings

    def _finding(self, identity: Identity, capability: str, status: str, certainty: str, why: str,
                 evidence: tuple[str, ...], extra: tuple[Source, ...]) -> Finding:
        meaning = self.book.meanings.get(capability)
        title = meaning.title if meaning else capability
        detail = f"{why} What it means: {meaning.meaning}" if meaning else why
        sources = (*extra, *(meaning.sources if meaning else ()))
        basis = "device says" if certainty == "certain" else "model reported"
        return Finding(device=identity.device, kind=self.kind, id=capability, status=status, certainty=certainty,
                       severity=meaning.severity if meaning else "medium",
                       title=f"{title[:1].upper()}{title[1:]} ({basis})",
                       detail=detail, evidence=evidence, sources=sources)
