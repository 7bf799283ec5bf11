"""Apply fingerprint rules and MAC prefixes to observations: each hit becomes one piece of evidence."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence

from camaudit.identify.certainty import READ_FROM
from camaudit.identify.declared import Parser, Statement
from camaudit.identify.declared.evidence import Declarations
from camaudit.identify.declared.message import split_head
from camaudit.identify.parts import MESSAGE_KINDS, Parts, header_feeds, observation_parts, raw_texts
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


#: the part holding only the banner words with a hyphen among the model part's values, where those came from banners:
#: the model grammars with ``plain_words: false`` read it instead (no rule can name it: it is no valid part)
HYPHENED_MODELS = "model:hyphened"


def rule_evidence(obs: Observation, rulebook: RuleBook, prefilter: bool = True,
                  declared_models: Sequence[str] = (), banner_words: bool = False) -> list[Evidence]:
    """Every rule of the observation's kind that fires on it, in book order. ``prefilter=False`` runs every
    rule of the kind (the prefilter only skips rules that cannot fire; the tests compare both).
    ``declared_models``: the models the self-description parsers read from the same answer (a deviceInfo kept
    as xmltodict JSON, a Reolink JSON answer...): the model-numbering rules read them when the answer's own
    parts name no model; ``banner_words``: they are the model-like words of the answer's banners instead."""
    parts = observation_parts(obs)
    _add_models(parts, declared_models, banner_words)
    if prefilter:
        rules: Sequence[Rule] = prefilter_for(rulebook, obs.protocol).candidates(parts)
    else:
        rules = rulebook.for_kind(obs.protocol)
    return _run(obs, rules, parts)


#: values devices and tools write where they have no address (unset, broadcast): never a device's own MAC
PLACEHOLDER_MACS = frozenset({"000000000000", "ffffffffffff"})


def format_mac(mac: str) -> str | None:
    """``aa:bb:cc:dd:ee:ff`` from any common spelling, or None when it is not a MAC address or is a placeholder
    (all zeros, all ones)."""
    digits = "".join(ch for ch in mac.lower() if ch in "0123456789abcdef")
    if len(digits) != 12 or digits in PLACEHOLDER_MACS:
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def oui_evidence(record: str, mac: str | None, brands: BrandBook, read_by: str | None = None) -> list[Evidence]:
    """What the IEEE registrant of a MAC prefix says. A prefix registered to a label (Amcrest, say) is
    evidence of the label, which the brand relationships then resolve; one registered to a maker is
    evidence of the maker. ``read_by``: the rule that read the MAC out of the answer's text (None when the MAC
    came with the record), said in the evidence so that certainty can tell a lookup repeating that rule's bytes
    (:func:`camaudit.identify.certainty.repeated_mac`)."""
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
            matched=f"{clean[:8]} registered to {block.registrant or block.manufacturer}"
                    + (f"{READ_FROM}{read_by}" if read_by else ""),
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
#: headers that change from one answer to the next of the same firmware (the time, cookies, cache tags). Where
#: no rule of an evidence kind reads them (checked per kind, from the rules' parts), answers that differ only in
#: their values share one memo entry: internet exports hold millions of the same head with another Date.
VOLATILE_HEADERS = frozenset({"date", "expires", "last-modified", "set-cookie", "etag", "age", "content-length"})

_tokens = itertools.count(1)


class Answer:
    """What one distinct answer shows: its cloud evidence and rule hits (with what it declares), naming
    ``record``, and a token that is the same for two answers only when their evidence is the same apart from
    the record it names (a judge compares devices by tokens instead of by their evidence)."""

    __slots__ = ("cloud", "record", "rules", "token")

    def __init__(self, cloud: list[Evidence], rules: list[Evidence], record: str, token: int) -> None:
        self.cloud = cloud
        self.rules = rules
        self.record = record
        self.token = token

    def for_record(self, record: str) -> tuple[list[Evidence], list[Evidence]]:
        if record == self.record:
            return self.cloud, self.rules
        return [e.for_record(record) for e in self.cloud], [e.for_record(record) for e in self.rules]


def _content(evidence: Sequence[Evidence]) -> tuple[object, ...]:
    return tuple((e.rule, tuple(e.asserts.items()), e.matched, e.confidence, e.source) for e in evidence)


class Memo:
    """Evidence per distinct answer, bounded (emptied when it holds ``limit`` answers).

    Two levels: the exact answer (protocol and text), and for HTTP and RTSP heads the answer with the values of
    :data:`VOLATILE_HEADERS` left out, where that is provably the same evidence: the parts those kinds are
    split into are a function of the status line, the headers and the body (:func:`split_head`), a volatile
    header's value only feeds parts of its own (:func:`header_feeds`), and no rule of the kind reads those
    parts. The rules that read the whole text (``raw``) are run on each answer anyway, and their hits put in
    book order among the remembered ones. Self-description parsers of the kind must say which headers they
    read, within how many characters (``Parser.headers``, ``window``): those headers are kept, and a longer
    answer is only remembered exactly, as are kinds that other parsers or cloud names read.
    ``tests/test_evidence_memo.py`` checks the answers are the ones worked out afresh."""

    def __init__(self, limit: int = MEMO_LIMIT) -> None:
        self.limit = limit
        self.exact: dict[tuple[str, str], Answer] = {}
        self.recent: dict[tuple[str, str], Answer] = {}  # message answers, exactly (apart: they churn)
        self.stable: dict[tuple[object, ...], tuple[list[Evidence], list[Evidence], str, int]] = {}
        self.content: dict[tuple[object, ...], int] = {}
        self.kinds: dict[str, _StablePlan | None] = {}

    def token(self, cloud: Sequence[Evidence], rules: Sequence[Evidence]) -> int:
        key = (_content(cloud), _content(rules))
        found = self.content.get(key)
        if found is None:
            if len(self.content) >= self.limit * 4:
                self.content.clear()  # new tokens from here on: a judge's memory only misses more
            found = self.content[key] = next(_tokens)
        return found

    def __len__(self) -> int:
        return len(self.exact)


class _StablePlan:
    """How one message kind's answers are remembered without their volatile headers."""

    __slots__ = ("declared", "ignored", "order", "raw", "stable", "window")

    def __init__(self, rules: Sequence[Rule], parsed: frozenset[str], window: int, declared: bool) -> None:
        parts = {rule.part for rule in rules}
        self.ignored = frozenset(name for name in VOLATILE_HEADERS
                                 if name not in parsed and not parts.intersection(header_feeds(name)))
        self.order = {rule.id: i for i, rule in enumerate(rules)}
        self.stable = Prefilter([r for r in rules if r.part != "raw"])
        self.raw = Prefilter([r for r in rules if r.part == "raw"])
        self.window = window  # only answers this short (the parsers read no further): 0, any length
        self.declared = declared  # whether parsers read the kind


def _plan(memo: Memo, protocol: str, rulebook: RuleBook, declarations: Declarations | None,
          clouds: Mapping[str, CloudService]) -> _StablePlan | None:
    if protocol in memo.kinds:
        return memo.kinds[protocol]
    plan = None
    rules = rulebook.for_kind(protocol)
    parsed: tuple[frozenset[str], int] | None = (frozenset(), 0)
    if declarations is not None and declarations.may_read(protocol):
        parsed = declarations.headers_read(protocol)
    if (protocol in MESSAGE_KINDS and parsed is not None and not (clouds and protocol == "other")
            and len({r.id for r in rules}) == len(rules)):
        plan = _StablePlan(rules, parsed[0], parsed[1], declarations is not None and declarations.may_read(protocol))
        if not plan.ignored:
            plan = None
    memo.kinds[protocol] = plan
    return plan


def _add_models(parts: Parts, models: Sequence[str], banner_words: bool) -> None:
    """The model part from the declared models or banner words, where the answer's own parts name no model."""
    if models and not parts.get("model"):
        parts["model"] = list(models[:2])
        if banner_words:
            parts[HYPHENED_MODELS] = [word for word in parts["model"] if "-" in word]


def _run(obs: Observation, rules: Sequence[Rule], parts: Parts) -> list[Evidence]:
    found: list[Evidence] = []
    for rule in rules:
        values = parts.get(rule.part, ())
        if not rule.plain_words:  # a title's "ASH21" is not read as a model number; a declared ASH21 is
            values = parts.get(HYPHENED_MODELS, values)
        for value in values:
            value = value[:MAX_VALUE]
            yielded = rule.match(value)
            if yielded is None:
                continue
            found.append(Evidence(record=obs.id, rule=rule.id, asserts=yielded, matched=rule.matched_text(value),
                                  confidence=rule.confidence, source=rule.source))
            break  # one hit per rule per observation is enough evidence
    return found


def _stable_answer(obs: Observation, plan: _StablePlan, memo: Memo,
                   declarations: Declarations | None) -> Answer | None:
    """The answer through the memo of answers without their volatile headers; None when this answer is too long
    for it (its parsers' window)."""
    if plan.window and len(obs.response) > plan.window:
        return None
    status, headers, body = split_head(obs.response)
    ignored = plan.ignored
    key = (obs.protocol, status, tuple((n, "") if n in ignored else (n, v) for n, v in headers), body)
    raw_parts: Parts = {"raw": raw_texts(obs)}
    raw = _run(obs, plan.raw.candidates(raw_parts), raw_parts) if plan.raw.rules else []
    known = memo.stable.get(key)
    if known is None:
        declared, stated = declarations.read(obs) if declarations is not None and plan.declared else ([], None)
        models, banner_words = _declared_models(obs, declared, declarations if plan.declared else None, stated)
        parts = observation_parts(obs)
        _add_models(parts, models, banner_words)  # as rule_evidence reads a declared model
        stable = _run(obs, plan.stable.candidates(parts), parts)
        token = memo.token((), stable + declared)
        if len(memo.stable) >= memo.limit:
            memo.stable.clear()
        memo.stable[key] = (stable, declared, obs.id, token)
    else:
        remembered, declared, record, token = known
        if record != obs.id:
            stable = [e.for_record(obs.id) for e in remembered]
            declared = [e.for_record(obs.id) for e in declared]
        else:
            stable = remembered
    if not raw:
        return Answer([], stable + declared, obs.id, token)
    rules = sorted(stable + raw, key=lambda e: plan.order[e.rule]) + declared
    return Answer([], rules, obs.id, memo.token((), rules))


def _declared_and_rules(obs: Observation, rulebook: RuleBook, declarations: Declarations | None) -> list[Evidence]:
    """Rule hits, then what the answer declares (the model-numbering rules also read a declared model)."""
    declared, stated = declarations.read(obs) if declarations is not None else ([], None)
    models, banner_words = _declared_models(obs, declared, declarations, stated)
    found = rule_evidence(obs, rulebook, declared_models=models, banner_words=banner_words)
    found.extend(declared)
    return found


def _declared_models(obs: Observation, declared: Sequence[Evidence], declarations: Declarations | None,
                     stated: list[tuple[Parser, Statement]] | None = None) -> tuple[list[str], bool]:
    """The models the answer declares, else the model-like words of its banners (and True): the model grammars
    read them (``stated``: the answer's statements, when they were read already)."""
    models = [e.asserts["model"] for e in declared if e.asserts.get("model") and not e.rule.startswith("tool.")]
    # a serial number that starts with its model ("DS-2CD2142FWD-I20170101AAWR..."): the grammars, anchored at the
    # start of a model, read its head after the declared model; the serial is never taken as the model itself
    serials = [e.asserts["serial"] for e in declared
               if _model_led(e.asserts.get("serial", "")) and not e.rule.startswith("tool.")]
    if models or serials:
        return models[:1] + serials[:1], False
    if declarations is not None:
        models = declarations.banner_models(obs, stated)  # "Basic realm=\"DS-2CD2032-I\"": the model grammars read it
    return models, bool(models)


def _model_led(serial: str) -> bool:
    """Whether a serial number may begin with a model number: letters, digits and a hyphen, as model numbers
    are written (a bare run of digits or hex, as most serials are, is not)."""
    head = serial.split("-", 1)[0]
    return ("-" in serial and 0 < len(head) <= 8 and head.isalnum() and any(ch.isalpha() for ch in head)
            and any(ch.isdigit() for ch in serial))


def answer_of(obs: Observation, rulebook: RuleBook, clouds: Mapping[str, CloudService], memo: Memo,
              declarations: Declarations | None = None) -> Answer:
    """The evidence of one record's answer, from the memo where the same answer was seen before."""
    key = (obs.protocol, obs.response)
    known = memo.exact.get(key) or memo.recent.get(key)
    if known is not None:
        return known
    plan = _plan(memo, obs.protocol, rulebook, declarations, clouds)
    if plan is not None:
        answer = _stable_answer(obs, plan, memo, declarations)
        if answer is not None:
            if len(memo.recent) >= memo.limit:
                memo.recent.clear()
            memo.recent[key] = answer
            return answer
    found = _declared_and_rules(obs, rulebook, declarations)
    cloud = cloud_evidence(obs, clouds)
    answer = Answer(cloud, found, obs.id, memo.token(cloud, found))
    if len(memo.exact) >= memo.limit:
        memo.exact.clear()
    memo.exact[key] = answer
    return answer


def answer_evidence(obs: Observation, rulebook: RuleBook, clouds: Mapping[str, CloudService],
                    memo: Memo | None = None,
                    declarations: Declarations | None = None) -> tuple[list[Evidence], list[Evidence]]:
    """Cloud evidence, and rule hits with what the answer declares (self-description parsers), for one record: a
    pure function of its protocol and response, so a memo (the same answer from many devices, as internet-wide
    data has) gives the same evidence, re-addressed to this record."""
    if memo is None:
        return cloud_evidence(obs, clouds), _declared_and_rules(obs, rulebook, declarations)
    return answer_of(obs, rulebook, clouds, memo, declarations).for_record(obs.id)


def evidence_from(observations: Iterable[Observation], answers: Iterable[Answer], brands: BrandBook) -> list[Evidence]:
    """A device's evidence from its records' answers: cloud names, rule hits and declarations, MAC prefixes."""
    evidence: list[Evidence] = []
    macs_seen: set[str] = set()
    for obs, answer in zip(observations, answers, strict=True):
        cloud, found = answer.for_record(obs.id)
        evidence.extend(cloud)
        evidence.extend(found)
        _oui_of(obs, found, brands, macs_seen, evidence)
    return evidence


def _oui_of(obs: Observation, found: Sequence[Evidence], brands: BrandBook, macs_seen: set[str],
            evidence: list[Evidence]) -> None:
    # a MAC the device gave away (in a realm, a discovery answer...) is looked up like a captured one
    for mac, record, read_by in [(obs.mac, obs.id, None)] + [(e.asserts.get("mac"), e.record, e.rule) for e in found]:
        clean = format_mac(mac) if mac else None
        if clean and clean not in macs_seen:
            macs_seen.add(clean)
            evidence.extend(oui_evidence(record, clean, brands, read_by))


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
        _oui_of(obs, found, brands, macs_seen, evidence)
    return evidence
