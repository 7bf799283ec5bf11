"""Vulnerability findings: which published advisories apply to this device, and how sure we are.

For an identity whose manufacturer is the advisory's vendor:

- ``affected`` / ``certain``: the model matches a published model pattern and the firmware is inside
  that group's published bounds.
- ``possibly-affected`` / ``probable``: the model matches but the firmware is unknown, cannot be parsed,
  or cannot be placed against the bound (e.g. the bound is a build date and the device did not give one),
  or the group has no firmware bound camaudit can apply.
- ``possibly-affected`` / ``unknown``: the vendor's model list is not encoded (``models_listed: false``),
  the device is of a type the advisory covers and its firmware build date does not rule it out.
- ``not-affected`` / ``certain``: the model matches a published model pattern, and the firmware is outside every
  matched group's bounds (at or above a fixed version, above the last affected version, below the first, or built
  after the last affected build date); the reason names the firmware and the bound. Such a finding is not a
  risk: the report counts it apart, the plan gives it no points.
- nothing: another maker, no model, a model that matches no pattern, firmware on another line than the bound
  (the record gives no order between two lines, so it neither includes nor rules out the device), or
  (``models_listed: false``) a device the advisory's build-date bound rules out (a later build does not show
  that the vendor's fix is present).

Model pattern translation (how a published pattern such as ``DS-2CD2xx2F-I`` or ``IPC-HX3XXX`` is
matched against a model name):

1. Both are compared upper-case with hyphens, spaces, underscores and slashes removed (the CVE record for
   CVE-2022-30563 writes ``IPCHDBW2XXX``; devices report ``IPC-HDBW2431R-ZS``). Dahua model names may
   carry the brand prefix ``DH-`` or ``DHI-``, which is dropped first.
2. The leading run of letters of a pattern (``DS``, ``IPC``, ``XVR``, ``NVR``) is literal: the ``X`` of
   ``XVR5xxx`` is part of the product name, not a wildcard.
3. After that, each ``x``/``X`` stands for exactly one letter or digit (Hikvision uses x for digits in
   most series but for letters too: DS-2CD4A26FWD is in the DS-2CD4x2xFWD series), except that in a
   Dahua pattern an ``X`` between a letter and a digit (``IPC-HX3XXX``) stands for the housing code, one
   to three letters (DW, FW, DBW: IPC-HDW3441T, IPC-HFW3249T1, IPC-HDBW3441R).
4. Every other character is literal.
5. ``match: prefix`` (the default: published names are series) lets the model continue after the pattern
   (``DS-2CD2xx2F-I`` covers DS-2CD2132F-IWS); ``match: exact`` requires the whole model.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from camaudit.assess.interface import Assessment
from camaudit.knowledge.firmware import FirmwareVersion, try_parse
from camaudit.knowledge.kev import load_kev
from camaudit.knowledge.vulnerabilities import Advisory, AffectedGroup, Kev, judged_maker, load_vulnerabilities
from camaudit.model import Finding, Identity, Source

#: the statuses of a vulnerability finding that are a risk; ``not-affected`` is evidence, not a risk
RISK_STATUSES = ("affected", "possibly-affected")

SEPARATORS = re.compile(r"[-\s_/]+")
DAHUA_BRAND_PREFIX = re.compile(r"^DHI?-", re.IGNORECASE)


def normalise_label(name: str | None) -> str:
    return "".join(ch for ch in (name or "").lower() if ch.isalnum())


def normalise_model(maker: str, model: str) -> str:
    text = model.strip()
    if maker == "Dahua":
        text = DAHUA_BRAND_PREFIX.sub("", text)
    return SEPARATORS.sub("", text).upper()


@functools.cache  # patterns come from the knowledge files: a bounded set, built once each
def pattern_regex(maker: str, pattern: str, exact: bool = False) -> re.Pattern[str]:
    """The regular expression a published model pattern stands for (rules in the module docstring)."""
    text = pattern.strip().upper()
    lead = 0
    while lead < len(text) and text[lead].isalpha():
        lead += 1
    rest = SEPARATORS.sub("", text[lead:])
    flat = text[:lead] + rest
    parts = [re.escape(text[:lead])]
    for i in range(lead, len(flat)):
        ch = flat[i]
        if ch != "X":
            parts.append(re.escape(ch))
            continue
        before = flat[i - 1] if i > 0 else ""
        after = flat[i + 1] if i + 1 < len(flat) else ""
        if maker == "Dahua" and before.isalpha() and before != "X" and after.isdigit():
            parts.append("[A-Z]{1,3}")
        else:
            parts.append("[A-Z0-9]")
    return re.compile("^" + "".join(parts) + ("$" if exact else ""))


@dataclass(frozen=True)
class ModelMatch:
    group: AffectedGroup
    pattern: str


def match_model(advisory: Advisory, model: str) -> list[ModelMatch]:
    flat = normalise_model(advisory.vendor, model)
    found: list[ModelMatch] = []
    for group in advisory.affected:
        for pattern in group.models:
            if pattern_regex(advisory.vendor, pattern, group.match == "exact").match(flat):
                found.append(ModelMatch(group, pattern))
                break
    return found


@dataclass(frozen=True)
class BoundCheck:
    inside: bool | None
    why: str
    #: False when ``inside`` is False only because the firmware is on another line than the bound
    comparable: bool = True


def check_bounds(group: AffectedGroup, firmware: FirmwareVersion) -> BoundCheck:
    """Is this firmware inside the group's published bounds? None: cannot tell (the reason says why)."""
    reasons: list[str] = []
    undecided: list[str] = []
    for fixed in group.fixed:
        if fixed.family == firmware.family and firmware.compare(fixed) in (0, 1):
            return BoundCheck(False, f"firmware {firmware.text} is at or above {fixed.text}, which the record "
                                     "publishes as not affected")
    for bound, label, wanted in ((group.first, "from", (0, 1)), (group.last, "to", (-1, 0)),
                                 (group.before, "before", (-1,))):
        if bound is None:
            continue
        if bound.family != firmware.family:
            return BoundCheck(False, f"firmware {firmware.text} is not of the line the bound {bound.text} is on",
                              comparable=False)
        order = firmware.compare(bound)
        if order is None and label == "before" and bound.build is None:
            order = 0  # the fixed version is that version, whatever its build date
        if order is None:
            undecided.append(f"{firmware.text} has the same version as the bound {bound.text} but its build "
                             "date is unknown")
        elif order not in wanted:
            side = {"from": "below the first affected version", "to": "above the last affected version",
                    "before": "at or above the first fixed version"}[label]
            return BoundCheck(False, f"firmware {firmware.text} is {side} {bound.text}")
        else:
            reasons.append({"from": "at or above", "to": "at or below", "before": "below the fixed"}[label]
                           + f" {bound.text}")
    if group.fixed and not (group.first or group.last or group.before or group.build_before):
        lines = [f for f in group.fixed if f.family == firmware.family]
        if not lines:
            undecided.append(f"the record's fixed versions ({', '.join(f.text for f in group.fixed)}) are of "
                             f"another firmware line than {firmware.text}")
        else:
            reasons.append("below the fixed " + ", ".join(f.text for f in lines))
    if group.build_before is not None:
        built = firmware.build_before(group.build_before)
        if built is None:
            undecided.append(f"the advisory bounds this group by build date (before {group.build_before}) and "
                             f"firmware {firmware.text} did not give its build date")
        elif not built:
            return BoundCheck(False, f"firmware built {firmware.build}, not before {group.build_before}")
        elif group.build_from is not None and firmware.build is not None and firmware.build < group.build_from:
            return BoundCheck(False, f"firmware built {firmware.build}, before the first affected build "
                                     f"({group.build_from})")
        elif group.build_from is not None:
            reasons.append(f"built {firmware.build}, between {group.build_from} and {group.build_before}")
        else:
            reasons.append(f"built {firmware.build}, before {group.build_before}")
    if undecided:
        return BoundCheck(None, "; ".join(undecided))
    return BoundCheck(True, f"firmware {firmware.text} is " + " and ".join(reasons))


class Vulnerabilities(Assessment):
    kind = "vulnerability"

    def __init__(self, advisories: list[Advisory] | None = None, kev: Mapping[str, Kev] | None = None) -> None:
        self.advisories = advisories if advisories is not None else load_vulnerabilities()
        self.kev = dict(kev) if kev is not None else load_kev()

    def assess(self, identity: Identity) -> list[Finding]:
        maker = judged_maker(identity.manufacturer)
        if maker is None:
            return []
        firmware, fw_reason = try_parse(maker, identity.firmware)
        findings: list[Finding] = []
        for advisory in self.advisories:
            if advisory.vendor != maker:
                continue
            finding = self._judge(identity, advisory, firmware, fw_reason)
            if finding is not None:
                findings.append(finding)
        return findings

    def _judge(self, identity: Identity, advisory: Advisory, firmware: FirmwareVersion | None,
               fw_reason: str) -> Finding | None:
        if advisory.labels and normalise_label(identity.brand) not in {normalise_label(x) for x in advisory.labels}:
            return None  # the record is about a label's own products, and this device does not show it
        if not advisory.models_listed:
            return self._unlisted(identity, advisory, firmware)
        if not identity.model:
            return None
        matches = match_model(advisory, identity.model)
        if not matches:
            return None
        best: tuple[str, str] | None = None
        outside: str | None = None  # why the firmware is outside a matched group's bounds
        unplaced = False
        for m in matches:
            kind = "exact model" if m.group.match == "exact" else "series pattern"
            model_why = (f"Model {identity.model} matches the {kind} {m.pattern} "
                         f"(published as: {m.group.published})")
            if m.group.rule:
                model_why += f" [read by rule {m.group.rule} from {m.group.record or advisory.record}]"
            if not m.group.has_bound:
                note = f" {m.group.bound_note}" if m.group.bound_note else ""
                why = f"{model_why}; the advisory gives no firmware bound camaudit can apply to it.{note}"
                best = best or ("probable", why)
                continue
            if firmware is None:
                best = best or ("probable", f"{model_why}; the firmware cannot be checked: {fw_reason}.")
                continue
            check = check_bounds(m.group, firmware)
            if check.inside is True:
                return self._finding(identity, advisory, "affected", "certain", f"{model_why}; {check.why}.")
            if check.inside is None:
                best = best or ("probable", f"{model_why}; {check.why}.")
            elif not check.comparable:
                unplaced = True  # another firmware line: this group neither includes nor rules out the device
            elif outside is None:
                outside = f"{model_why}; {check.why}, so the record does not count this device as affected."
        if best is not None:
            return self._finding(identity, advisory, "possibly-affected", best[0], best[1])
        if outside is not None and not unplaced:
            return self._finding(identity, advisory, "not-affected", "certain", outside)
        return None

    @staticmethod
    def _facts(advisory: Advisory, kev: Kev | None) -> dict[str, str]:
        facts: dict[str, str] = {"record": advisory.record}
        if kev:
            facts["kev_date"] = kev.date_added
            if kev.due_date:
                facts["kev_due_date"] = kev.due_date
        if advisory.cvss:
            facts["cvss_score"] = f"{advisory.cvss.score:g}"
            facts["cvss_version"] = advisory.cvss.version
            if advisory.cvss.vector:
                facts["cvss_vector"] = advisory.cvss.vector
            facts["cvss_source"] = advisory.cvss.source
        if advisory.epss:
            facts["epss"] = f"{advisory.epss.score:g}"
            if advisory.epss.percentile is not None:
                facts["epss_percentile"] = f"{advisory.epss.percentile:g}"
            facts["epss_date"] = advisory.epss.date
        return facts

    def _unlisted(self, identity: Identity, advisory: Advisory, firmware: FirmwareVersion | None) -> Finding | None:
        if identity.device_type not in advisory.device_types:
            return None
        bound = next((g for g in advisory.affected if g.build_before is not None), None)
        fw = ""
        if bound is not None and bound.build_before is not None:
            built = firmware.build_before(bound.build_before) if firmware is not None else None
            if built is False:
                return None
            fw = (f" Its firmware ({identity.firmware}) was built before {bound.build_before}."
                  if built else f" Its firmware build date is unknown, so a build before {bound.build_before} "
                  "cannot be ruled out.")
            if bound.bound_note:
                fw += f" {bound.bound_note}"
        what = f"model {identity.model}" if identity.model else "an unidentified model"
        read = next((g for g in advisory.affected if g.rule), None)
        if read is not None:
            where = (f"The record ({read.record or advisory.record}) names the affected products only as "
                     f"\"{read.published}\" [rule {read.rule}]")
        else:
            where = (f"{advisory.vendor} lists the affected models only in its own advisory, which camaudit has "
                     "not encoded")
        detail = (f"{where}; this {identity.device_type} ({what}) cannot be ruled out.{fw} Check the model and "
                  "firmware against the vendor's list.")
        return self._finding(identity, advisory, "possibly-affected", "unknown", detail)

    def _finding(self, identity: Identity, advisory: Advisory, status: str, certainty: str, why: str) -> Finding:
        kev = self.kev.get(advisory.id) or advisory.kev
        parts = [why]
        if advisory.summary:
            parts.append(advisory.summary)
        if advisory.cvss:
            vector = f", {advisory.cvss.vector}" if advisory.cvss.vector else ""
            parts.append(f"CVSS {advisory.cvss.score} ({advisory.cvss.severity}{vector}; {advisory.cvss.source}).")
        else:
            parts.append("No CVSS score was found in the checked sources.")
        if advisory.epss:
            pct = (f", percentile {advisory.epss.percentile:g}" if advisory.epss.percentile is not None else "")
            parts.append(f"EPSS {advisory.epss.score:g}{pct} on {advisory.epss.date} ({advisory.epss.source}).")
        if kev:
            due = f", federal due date {kev.due_date}" if kev.due_date else ""
            parts.append(f"In CISA's Known Exploited Vulnerabilities catalogue since {kev.date_added}{due}.")
        if status != "not-affected":
            parts.append(f"Fix: {advisory.fix}")
        evidence = tuple(
            f"{e.record}: {e.rule} ({e.matched})"
            for e in identity.evidence
            if {"manufacturer", "model", "firmware"} & set(e.asserts)
        )
        sources = advisory.sources
        if kev and kev.source.endswith(".yaml") and kev.source != "vulnerabilities.yaml":
            sources = (*sources, Source(url=kev.source, title=f"CISA KEV feed (kev.yaml), added {kev.date_added}"))
        return Finding(
            device=identity.device,
            kind=self.kind,
            id=advisory.id,
            status=status,
            certainty=certainty,
            severity=advisory.severity,
            title=f"{advisory.id}: {advisory.title}",
            detail=" ".join(parts),
            evidence=evidence,
            sources=sources,
            facts=self._facts(advisory, kev),
        )
