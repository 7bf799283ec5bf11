"""Restriction verdicts: for each regime, is this device's maker covered, and how sure are we?

- ``covered`` / ``certain``: the manufacturer was identified from the device itself and the identification
  earned it: the device's own self-description (ISAPI deviceInfo, magicBox, ONVIF GetDeviceInformation, SADP
  or DHIP with a model of that maker) or two independent kinds of evidence (``Identity.certain_because``).
  One kind alone (a copied SDP line, a realm, a MAC prefix) is ``probable``, with what is missing.
- ``covered`` / ``probable``: only the label was seen, and the label is known (with a public source)
  to be sourced from a covered maker; the model was not confirmed.
- ``not-covered`` / ``certain``: the manufacturer was identified and the regime does not name it.
- ``undetermined``: no manufacturer could be identified; the reason says why. Never a guess.
"""

from __future__ import annotations

from camaudit.assess.interface import Assessment
from camaudit.knowledge.brands import BrandBook, load_brandbook
from camaudit.knowledge.regimes import Regime, check_brands, load_regimes
from camaudit.model import Finding, Identity, Source

CERTAIN_BASES = ("fingerprint", "oui")
#: Below this combined confidence (or when other evidence names another maker) a verdict is at most probable.
CERTAIN_CONFIDENCE = 0.8


class Restrictions(Assessment):
    kind = "restriction"

    def __init__(self, regimes: list[Regime] | None = None, brands: BrandBook | None = None) -> None:
        self.regimes = regimes if regimes is not None else load_regimes()
        self.brands = brands if brands is not None else load_brandbook()
        check_brands(self.brands.brands, self.regimes)  # brands.yaml's covered: must agree with the regimes

    def assess(self, identity: Identity) -> list[Finding]:
        return [self._verdict(identity, regime) for regime in self.regimes]

    def _verdict(self, identity: Identity, regime: Regime) -> Finding:
        maker = identity.manufacturer
        evidence = tuple(
            f"{e.record}: {e.rule} ({e.matched})" for e in identity.evidence if "manufacturer" in e.asserts
        )
        sources = regime.sources
        label = f" sold as {identity.brand}" if identity.brand and identity.brand != maker else ""
        if maker is None:
            reason = identity.unknown.get("manufacturer", "no manufacturer identified")
            # "cannot tell" rests on what was examined: every rule that did fire, else every answer read
            evidence = tuple(f"{e.record}: {e.rule} ({e.matched})" for e in identity.evidence) or tuple(
                f"{record}: examined; no fingerprint rule matched" for record in identity.ids
            ) or ("no answer the device gave could be read",)
            return self._finding(
                identity, regime, "undetermined", "unknown", "info",
                f"{regime.name}: cannot tell",
                f"The manufacturer is unknown ({reason}), so camaudit does not say whether {regime.name} applies.",
                evidence, sources,
            )
        basis = identity.manufacturer_basis
        disputed = [c.other for c in identity.conflicts if c.field == "manufacturer"]
        weak = identity.confidence < CERTAIN_CONFIDENCE
        # identities made before camaudit judged the grounds carry neither reason: the older rule applies
        unearned = identity.certain_because is None and identity.probable_because is not None
        entry = self.brands.brand(identity.brand) if identity.brand else None
        if entry is not None and entry.manufacturer == maker and regime.excludes_affiliate(maker, entry.relationship):
            named = regime.entry_for(maker)
            return self._finding(
                identity, regime, "not-covered", "probable", "info",
                f"{regime.name}: not covered ({entry.brand} is a {entry.relationship} of {maker})",
                f"The device is sold as {entry.brand}, a {entry.relationship} of {maker}; {regime.name} names "
                f"{named.legal_name if named else maker} itself and not its subsidiaries or affiliates, so it does "
                "not reach this unit. Other regimes that include affiliates may.",
                evidence, sources + entry.sources,
            )
        if not regime.covers_maker(maker):
            covered_rivals = [m for m in disputed if regime.covers_maker(m)]
            if covered_rivals:
                return self._finding(
                    identity, regime, "undetermined", "unknown", "medium",
                    f"{regime.name}: cannot tell (conflicting evidence)",
                    f"The evidence names {maker}{label}, but other evidence names {', '.join(covered_rivals)}, which "
                    f"{regime.name} covers; camaudit does not choose between them. Check the device.",
                    evidence, sources,
                )
            sure = basis in CERTAIN_BASES and not disputed and not weak and not unearned
            return self._finding(
                identity, regime, "not-covered", "certain" if sure else "probable", "info",
                f"{regime.name}: not covered",
                f"Identified manufacturer {maker}{label} is not named by {regime.name}.",
                evidence, sources,
            )
        if basis in CERTAIN_BASES and (disputed or weak):
            certainty = "probable"
            why = (f"The device's own answers point to {maker}{label}, but "
                   + (f"other evidence names {', '.join(disputed)}" if disputed else
                      f"only weakly (combined confidence {identity.confidence:.2f})")
                   + "; confirm before acting")
        elif basis in CERTAIN_BASES and unearned:
            certainty = "probable"
            why = (f"The device's own answers point to {maker}{label}, but {identity.probable_because}; confirm "
                   "before acting")
        elif basis in CERTAIN_BASES:
            certainty = "certain"
            why = (
                f"The device identifies as made by {maker}{label} from its own responses"
                if basis == "fingerprint"
                else f"The device's network card carries a MAC prefix registered to {maker}{label}"
            )
            if identity.certain_because:
                why += f" ({identity.certain_because})"
        elif basis == "tool":
            certainty = "probable"
            why = (
                f"Another tool's conclusion kept with the import (nmap -sV, Shodan or Censys labels) names {maker}"
                f"{label}; no answer of the device's own that camaudit read confirms it"
            )
        elif basis == "register":
            certainty = "probable"
            why = (
                f"An asset register records it as model {identity.model or '(not given)'}, a {maker} model "
                "number; the device itself was not checked"
            )
        else:
            certainty = "probable"
            why = (
                f"The device shows the label {identity.brand}, which public sources tie to {maker}; the model "
                "itself was not confirmed as made by it"
            )
            if entry is not None and entry.bounded:
                why += f" (and the label alone is not conclusive: {entry.caveat()})"
        oem = tuple(Source(url=u, title="brand relationship") for u in identity.oem_sources)
        detail = f"{why}. {regime.name} covers {maker}: {regime.scope}"
        if regime.caveat:
            detail += f" Caveat: {regime.caveat}"
        if regime.effect:
            detail += f" What follows: {regime.effect}"
        return self._finding(
            identity, regime, "covered", certainty, "high" if certainty == "certain" else "medium",
            f"{regime.name}: {maker} equipment ({certainty})", detail, evidence, sources + oem,
        )

    @staticmethod
    def _finding(
        identity: Identity,
        regime: Regime,
        status: str,
        certainty: str,
        severity: str,
        title: str,
        detail: str,
        evidence: tuple[str, ...],
        sources: tuple[Source, ...],
    ) -> Finding:
        return Finding(
            device=identity.device,
            kind="restriction",
            id=regime.id,
            status=status,
            certainty=certainty,
            severity=severity,
            title=title,
            detail=detail,
            evidence=evidence,
            sources=sources,
        )
