"""Apply fingerprint rules and MAC prefixes to observations: each hit becomes one piece of evidence."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from camaudit.identify.declared.evidence import Declarations
from camaudit.identify.parts import observation_parts
from camaudit.identify.prefilter import Prefilter
from camaudit.knowledge.brands import BrandBook
from camaudit.knowledge.cloud import CloudService, service_for_name
from camaudit.knowledge.fingerprints import Rule, RuleBook
from camaudit.model import Evidence, Observation

MAX_VALUE = 512 * 1024  # a rule never scans more of one part than this


def prefilter_for(rulebook: RuleBook, kind: str) -> Prefilter:
    found = rulebook.prefilters.get(kind)
    if found is None:
        found = rulebook.prefilters[kind] = Prefilter(rulebook.for_kind(kind))
    return found


def rule_evidence(obs: Observation, rulebook: RuleBook, prefilter: bool = True,
                  declared_models: Sequence[str] = ()) -> list[Evidence]:
    """Every rule of the observation's kind that fires on it, in book order. ``prefilter=False`` runs every
    rule of the kind (the prefilter only skips rules that cannot fire; the tests compare both).
    ``declared_models``: the models the self-description parsers read from the same answer (a deviceInfo kept
    as xmltodict JSON, a Reolink JSON answer...): the model-numbering rules read them when the answer's own
    parts name no model."""
    parts = observation_parts(obs)
    if declared_models and not parts.get("model"):
        parts["model"] = list(declared_models)
    if prefilter:
        rules: Sequence[Rule] = prefilter_for(rulebook, obs.protocol).candidates(parts)
    else:
        rules = rulebook.for_kind(obs.protocol)
    found: list[Evidence] = []
    for rule in rules:
        for value in parts.get(rule.part, ()):
            value = value[:MAX_VALUE]
            yielded = rule.match(value)
            if yielded is None:
                continue
            found.append(
                Evidence(
                    record=obs.id,
                    rule=rule.id,
                    asserts=yielded,
                    matched=rule.matched_text(value),
                    confidence=rule.confidence,
                    source=rule.source,
                )
            )
            break  # one hit per rule per observation is enough evidence
    return found


def format_mac(mac: str) -> str | None:
    """``aa:bb:cc:dd:ee:ff`` from any common spelling, or None when it is not a MAC address."""
    digits = "".join(ch for ch in mac.lower() if ch in "0123456789abcdef")
    if len(digits) != 12:
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def oui_evidence(record: str, mac: str | None, brands: BrandBook) -> list[Evidence]:
    """What the IEEE registrant of a MAC prefix says. A prefix registered to a label (Amcrest, say) is
    evidence of the label, which the brand relationships then resolve; one registered to a maker is
    evidence of the maker."""
    clean = format_mac(mac) if mac else None
    block = brands.oui(clean)
    if block is None or clean is None:
        return []
    label = brands.brand(block.manufacturer)
    is_label = label is not None and label.relationship != "self"
    asserts = {"brand" if is_label else "manufacturer": block.manufacturer, "mac": clean}
    return [
        Evidence(
            record=record,
            rule=f"oui.{block.manufacturer.lower().replace(' ', '-')}",
            asserts=asserts,
            matched=f"{clean[:8]} registered to {block.registrant or block.manufacturer}",
            confidence=0.85,
            source=block.sources[0].url,
        )
    ]


_NAME_LINE = re.compile(r"^(dns_query|tls_sni)=(\S{1,253})$", re.MULTILINE)


def cloud_evidence(obs: Observation, clouds: Mapping[str, CloudService]) -> list[Evidence]:
    """A DNS query or TLS server name (from a capture or a log) that belongs to a vendor cloud service."""
    if not clouds or obs.protocol != "other" or "=" not in obs.response[:64]:
        return []
    found = []
    for kind, name in _NAME_LINE.findall(obs.response[:65536]):
        service = service_for_name(name, clouds)
        if service is not None:
            found.append(Evidence(
                record=obs.id, rule=f"cloud.{service.id}", asserts={"cloud": service.id},
                matched=f"{'DNS query for' if kind == 'dns_query' else 'TLS connection to'} {name}",
                confidence=0.8, source=service.sources[0].url,
            ))
    return found


#: how many distinct answers an evidence memo keeps before it starts again (bounded memory)
MEMO_LIMIT = 16_384

Memo = dict[tuple[str, str], tuple[tuple[list[Evidence], list[Evidence]], str]]


def answer_evidence(obs: Observation, rulebook: RuleBook, clouds: Mapping[str, CloudService],
                    memo: Memo | None = None,
                    declarations: Declarations | None = None) -> tuple[list[Evidence], list[Evidence]]:
    """Cloud evidence, and rule hits with what the answer declares (self-description parsers), for one record: a
    pure function of its protocol and response, so a memo keyed by them (the same answer from many devices, as
    internet-wide data has) gives the same evidence, re-addressed to this record."""
    def work() -> tuple[list[Evidence], list[Evidence]]:
        declared = declarations.evidence(obs) if declarations is not None else []
        models = [e.asserts["model"] for e in declared if e.asserts.get("model") and not e.rule.startswith("tool.")]
        if not models and declarations is not None:
            models = declarations.banner_models(obs)  # "Basic realm=\"DS-2CD2032-I\"": the model grammars read it
        found = rule_evidence(obs, rulebook, declared_models=models)
        found.extend(declared)
        return cloud_evidence(obs, clouds), found

    if memo is None:
        return work()
    key = (obs.protocol, obs.response)
    known = memo.get(key)
    if known is None:
        found = work()
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        memo[key] = (found, obs.id)
        return found
    (cloud, rules), record = known
    if record == obs.id:
        return cloud, rules
    return ([replace(e, record=obs.id) for e in cloud], [replace(e, record=obs.id) for e in rules])


def collect_evidence(observations: Iterable[Observation], rulebook: RuleBook, brands: BrandBook,
                     clouds: Mapping[str, CloudService] | None = None, memo: Memo | None = None,
                     declarations: Declarations | None = None) -> list[Evidence]:
    """Rule hits, what the answers declare (self-description parsers), MAC prefixes and cloud names."""
    evidence: list[Evidence] = []
    macs_seen: set[str] = set()
    for obs in observations:
        cloud, found = answer_evidence(obs, rulebook, clouds or {}, memo, declarations)
        evidence.extend(cloud)
        evidence.extend(found)
        # a MAC the device gave away (in a realm, a discovery answer...) is looked up like a captured one
        for mac, record in [(obs.mac, obs.id)] + [(e.asserts.get("mac"), e.record) for e in found]:
            clean = format_mac(mac) if mac else None
            if clean and clean not in macs_seen:
                macs_seen.add(clean)
                evidence.extend(oui_evidence(record, clean, brands))
    return evidence
