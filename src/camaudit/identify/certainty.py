"""Whether the evidence for a device's maker earns ``certain``, and why (or why not).

``certain`` needs the device's own authoritative self-description (ISAPI deviceInfo, magicBox, ONVIF
GetDeviceInformation; SADP or DHIP only with a model the maker's numbering recognises) or two independent
kinds of evidence. What each kind is worth is data (``knowledge/authority.yaml``), not code. Rules that
matched the same bytes of one answer are one signal (see :func:`signals`), a MAC-prefix lookup of a MAC that
a rule read out of the bytes it matched is that answer's kind (see :func:`repeated_mac`), and a label resolved
through a brand relationship is derived from other evidence, never a kind of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from camaudit.knowledge.authority import DERIVED, SELF_DESCRIPTION, WITH_MODEL, Authority
from camaudit.model import Evidence

#: evidence that is not a kind of its own: labels resolved through brand relationships, asset registers,
#: vendor-cloud names, other tools' conclusions kept with an import (nmap -sV, Shodan, Censys labels)
_NOT_A_KIND = ("brand.", "register.", "cloud.", "tool.")


#: two matches of one answer that share this many characters are the same bytes
SAME_BYTES = 16


def same_bytes(a: Evidence, b: Evidence) -> bool:
    """Whether two rules matched the same bytes of one answer: one match holds the other, or they overlap by
    at least ``SAME_BYTES`` characters (two rules keyed on one Date header, say)."""
    if a.record != b.record or not a.matched or not b.matched:
        return False
    if a.matched in b.matched or b.matched in a.matched:
        return True
    match = SequenceMatcher(None, a.matched, b.matched, autojunk=False).find_longest_match()
    return match.size >= SAME_BYTES


@dataclass(frozen=True)
class Grounds:
    certain_because: str | None  # set when certain is earned
    probable_because: str | None  # set when it is not, saying what is missing


def _plain(text: str) -> str:
    """Matched text lower-cased without the separators MAC addresses are written with."""
    return text.lower().replace(":", "").replace("-", "").replace(".", "")


#: what a MAC-prefix lookup's ``matched`` says, before the rule's name, when a rule read the MAC out of the
#: answer's text (camaudit.identify.engine.oui_evidence)
READ_FROM = "; the MAC as read by "


def repeated_mac(ev: Evidence, others: Sequence[Evidence]) -> bool:
    """Whether ``ev``, a MAC-prefix lookup, only repeats the bytes of another piece of evidence: a rule read the
    MAC out of an answer's text, and another rule's match on the same answer holds the MAC (a realm
    ``AXIS_ACCC8E...`` names Axis once, however many lookups follow from it). A MAC that came with the record (a
    capture's link layer, an ARP or DHCP table), or that an answer gave in a field of its own, away from the
    bytes that name a maker, is looked up independently."""
    mac = ev.asserts.get("mac")
    if not isinstance(mac, str) or not ev.rule.startswith("oui.") or READ_FROM not in ev.matched:
        return False
    digits = mac.replace(":", "")  # a lookup's MAC is written aa:bb:cc:dd:ee:ff (engine.format_mac)
    return any(o.record == ev.record and not o.rule.startswith("oui.") and o.matched and digits in _plain(o.matched)
               for o in others)


def kind_of(ev: Evidence, protocols: Mapping[str, str],
            self_label: Callable[[Evidence], bool] | None = None) -> str | None:
    """The kind of evidence ``ev`` is (its answer's protocol, or ``oui``), or None when it is not a kind of its
    own. A label that is the maker's own name (``self_label``), read from the device's answer, is that answer's
    kind: an ONVIF answer declaring "HIKVISION" is the device's word, not a brand relationship."""
    if ev.rule.startswith("brand.") and self_label is not None and self_label(ev):
        return protocols.get(ev.record)
    if ev.rule.startswith(_NOT_A_KIND):
        return None
    if ev.rule.startswith("oui."):
        return "oui"
    return protocols.get(ev.record)


def signals(evidence: Sequence[Evidence]) -> list[list[Evidence]]:
    """Evidence grouped into independent signals: one rule firing on several answers is one signal, and so are
    rules that matched the same bytes of one answer (:func:`same_bytes`)."""
    parent = list(range(len(evidence)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # One rule is one signal, whatever it fired on. Only evidence from one answer can share bytes, and a repeat
    # of a rule's match is already in its rule's signal, so each new (rule, match) of an answer is compared with
    # the distinct ones before it: the work does not grow with repeated answers or repeated records.
    first_of_rule: dict[str, int] = {}
    of_record: dict[str, dict[tuple[str, str], int]] = {}
    for i, a in enumerate(evidence):
        j = first_of_rule.setdefault(a.rule, i)
        if j != i:
            parent[find(i)] = find(j)
        distinct = of_record.setdefault(a.record, {})
        if (a.rule, a.matched) in distinct:
            continue
        for j in distinct.values():
            if find(i) != find(j) and same_bytes(a, evidence[j]):
                parent[find(i)] = find(j)
        distinct[(a.rule, a.matched)] = i
    groups: dict[int, list[Evidence]] = {}
    for i, ev in enumerate(evidence):
        groups.setdefault(find(i), []).append(ev)
    return list(groups.values())


def grounds(
    maker: str,
    supporting: Sequence[Evidence],
    all_evidence: Sequence[Evidence],
    protocols: Mapping[str, str],
    authority: Authority,
    is_model_rule: Callable[[str], bool],
    same_maker: Callable[[Mapping[str, str]], bool],
    self_label: Callable[[Evidence], bool] | None = None,
) -> Grounds:
    """Why the evidence naming ``maker`` does or does not make it certain.

    ``supporting``: the evidence that voted for ``maker``; ``all_evidence``: everything found for the device
    (a model-numbering rule on the same answer is what makes a discovery answer's model consistent);
    ``same_maker(asserts)``: whether a model rule's assertion resolves to ``maker``."""
    kinds: dict[str, list[Evidence]] = {}
    for ev in supporting:
        kind = kind_of(ev, protocols, self_label)
        if kind == "oui" and repeated_mac(ev, supporting):
            kind = protocols.get(ev.record)  # the same bytes as the rule that read the MAC: that answer's kind
        if kind is not None and authority.of(kind) != DERIVED:
            kinds.setdefault(kind, []).append(ev)
    for kind, evs in kinds.items():
        level = authority.of(kind)
        if level == SELF_DESCRIPTION:
            return Grounds(f"its own {kind} answer names {maker} ({evs[0].rule})", None)
        if level == WITH_MODEL:
            records = {e.record for e in evs}
            agreeing = [e for e in all_evidence if e.record in records and is_model_rule(e.rule)
                        and same_maker(e.asserts)]
            if agreeing:
                return Grounds(f"its own {kind} answer names {maker} with a {maker} model number "
                               f"({evs[0].rule}, {agreeing[0].rule})", None)
    if len(kinds) >= 2:
        listed = ", ".join(f"{k} ({sorted({e.rule for e in evs})[0]})" for k, evs in sorted(kinds.items()))
        return Grounds(f"{len(kinds)} independent kinds of evidence name {maker}: {listed}", None)
    if not kinds:
        return Grounds(None, f"no evidence from the device itself names {maker}, only a label or a register entry")
    ((kind, evs),) = kinds.items()
    rules = ", ".join(sorted({e.rule for e in evs}))
    level = authority.of(kind)
    if level == WITH_MODEL:
        why = (f"only its {kind} answer names {maker} ({rules}), and no model it gives is one of {maker}'s model "
               "numbers; any unit speaking that protocol can give such an answer")
    else:
        many = len(signals(evs)) > 1
        why = (f"only one kind of evidence names {maker}: {kind} ({rules}"
               + ("; several rules on one kind of answer" if many else "") + "), which copies and shared "
               "firmware can reproduce")
    return Grounds(None, why + "; certain needs the device's own self-description or two independent kinds")
