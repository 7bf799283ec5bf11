"""Merge the evidence about one device into one identity.

Each field takes the value with the most support (confidences combined as independent signals:
1 - prod(1 - c)). Disagreements are kept as conflicts, never overwritten. The manufacturer is chosen
in order of how directly the evidence speaks for who made the hardware: the device's own firmware or
protocol (``fingerprint``), then the MAC prefix (``oui``), then a known relationship between the label
it shows and its maker (``brand``). Anything not learned is ``None`` with a reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from camaudit.identify.certainty import Grounds, grounds, signals
from camaudit.identify.engine import PLACEHOLDER_MACS, format_mac
from camaudit.identify.kinds import kind_words
from camaudit.knowledge.authority import Authority, default_authority
from camaudit.knowledge.brands import BrandBook, normalise
from camaudit.knowledge.fingerprints import SET_FIELDS
from camaudit.knowledge.kinds import KindBook, default_kind_book
from camaudit.model import Conflict, Evidence, Identity, Observation

FIELDS = ("manufacturer", "brand", "model", "firmware", "device_type", "serial", "mac", "family")
# "register": a model number or label written in an asset register (camaudit import), not the device's own answer
# "tool": another tool's conclusion stored with an import (nmap -sV, Shodan, Censys labels), weaker than the
# device's own answer and than its MAC prefix
BASIS_ORDER = ("fingerprint", "oui", "tool", "register", "brand")


def _basis(ev: Evidence, brands: BrandBook | None = None, protocols: Mapping[str, str] | None = None) -> str:
    if ev.rule.startswith("oui."):
        return "oui"
    if ev.rule.startswith("tool."):
        return "tool"
    if ev.rule.startswith("register."):
        return "register"
    if ev.rule.startswith("brand."):
        # a label that is the maker's own name, declared by the device (ONVIF "Manufacturer: HIKVISION"), is the
        # device speaking for its maker; a label made by someone else is a brand relationship
        return "fingerprint" if brands is not None and _self_label(ev, brands, protocols or {}) else "brand"
    return "fingerprint"


_DEVICE_LABEL = "\x00device-label"  # key in the protocols map: the record whose own answer gave the label


def _self_label(ev: Evidence, brands: BrandBook, protocols: Mapping[str, str]) -> bool:
    """A label that is its maker's own name, read from the device's own answer (not from an asset register)."""
    if not ev.rule.startswith("brand.") or protocols.get(ev.record) in (None, "register"):
        return False
    if protocols.get(_DEVICE_LABEL) != ev.record:  # the label came from a register or another tool's conclusion
        return False
    name = ev.rule.removeprefix("brand.")
    entry = brands.brand(name)
    if entry is None:  # a catalogue maker with no brand entry: its own name is its own label
        return brands.makers.resolve(name) is not None
    return entry.relationship == "self"


def _combined(confidences: Sequence[float]) -> float:
    remaining = 1.0
    for c in confidences:
        remaining *= 1.0 - c
    return round(1.0 - remaining, 3)


def _key(field: str, value: str) -> str:
    return normalise(value) if field in ("manufacturer", "brand", "mac") else value.strip().lower()


class _Votes:
    """The values one field was given, grouped by normalised value."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[tuple[str, Evidence]]] = defaultdict(list)

    def add(self, field: str, value: str, ev: Evidence) -> None:
        self.by_key[_key(field, value)].append((value, ev))

    def ranked(self) -> list[tuple[float, str, list[Evidence]]]:
        out = []
        for items in self.by_key.values():
            evs = [ev for _, ev in items]
            # the spelling given by the most confident evidence stands for the group
            spelling = max(items, key=lambda item: item[1].confidence)[0]
            # one rule firing on several answers (OPTIONS and DESCRIBE, two ports) is one signal, not several, and
            # so are rules that matched the same bytes of one answer: only independent signals combine
            out.append((_combined([max(e.confidence for e in group) for group in signals(evs)]), spelling, evs))
        out.sort(key=lambda t: (-t[0], t[1]))
        return out


#: bases on which the device itself speaks for its maker: two of these naming different makers is a contest
_DEVICE_BASES = ("fingerprint", "oui")


def _group(maker: str, brands: BrandBook) -> str:
    """The catalogue group a maker belongs to (EZVIZ and HIKMICRO to Hikvision's): makers of one group do not
    contest each other."""
    seen: set[str] = set()
    found = brands.makers.resolve(maker)
    while found is not None and found.parent and found.name not in seen:
        seen.add(found.name)
        found = brands.makers.get(found.parent)
    return normalise(found.name if found is not None else maker)


def _contested(ranked: Sequence[tuple[float, str, list[Evidence]]], brands: BrandBook,
               protocols: Mapping[str, str]) -> str | None:
    """Why the maker is undetermined when the device's own answers (rules, parsers, its MAC prefix) name makers
    of different groups, with the evidence for each; None when they do not. Labels resolved through a brand
    relationship, asset registers and other tools' guesses do not contest the device's answers."""
    sides: dict[str, tuple[str, list[Evidence]]] = {}
    for _score, value, evs in ranked:
        own = [e for e in evs if _basis(e, brands, protocols) in _DEVICE_BASES]
        if own:
            group = _group(value, brands)
            held = sides.setdefault(group, (value, []))
            held[1].extend(own)
    if len(sides) < 2:
        return None
    said = "; ".join(
        f"{value}: " + ", ".join(f"{e.rule} ({e.matched[:60]!r})" for e in evs[:3])
        for value, evs in sides.values()
    )
    return (f"its answers name {len(sides)} different makers and camaudit does not pick the stronger side: {said}; "
            "a copied header or session line, or a module bought in, can name the wrong one")


#: the relationships under which a label's video products are another maker's (an OEM's, a reseller's)
_MADE_BY_ANOTHER = frozenset({"oem", "reseller", "former-oem", "disputed", "unknown"})
#: answers only video equipment gives: where one is among a device's records, a router or printer word elsewhere
#: (a camera reached through a router's port forward, a realm naming the router) does not make it a router
#: (WS-Discovery is left out: printers answer it too)
VIDEO_PROTOCOLS = frozenset({"isapi_deviceinfo", "dahua_cgi", "dahua_rpc", "onvif_device_info", "sadp", "dhip",
                             "rtsp"})


def _not_video(brand: str, observations: Sequence[Observation], kinds_stated: Sequence[str], brands: BrandBook,
               book: KindBook) -> str | None:
    """Why this device is not video equipment, so a label's relationship with another maker (brands.yaml's are
    about the label's cameras, recorders and intercoms) does not apply to it; None when its answers show video
    equipment or do not say. The device's own answers decide, strongest first: an answer only video equipment
    gives, then the kinds its rules state (a model grammar, a router realm), then the words of its answers
    (knowledge/kinds.yaml), which count only for a label whose own maker sells equipment of another kind (the
    maker catalogue's ``makes``): an Intelbras page naming a router is Intelbras's own router."""
    entry = brands.brand(brand)
    if entry is None or entry.relationship not in _MADE_BY_ANOTHER:
        return None
    if any(o.protocol in VIDEO_PROTOCOLS for o in observations):
        return None
    if any(book.video(kind) for kind in kinds_stated):
        return None
    if kinds_stated and all(kind in book.not_video for kind in kinds_stated):
        return "its answers say it is a " + " and a ".join(dict.fromkeys(kinds_stated))
    maker = brands.makers.resolve(brand)
    if maker is None or not set(maker.makes) & book.non_video_makes():
        return None
    words = kind_words(observations, book)
    if words.video or not words.other:
        return None
    return f"its answers call it {words.said()} and name no video equipment"


def _brand_evidence(brand: str, brands: BrandBook, record: str, not_video: str | None = None) -> Evidence | None:
    """The maker a label stands for. ``not_video``: why the device's answers say it is not video equipment (a
    router, a printer), so a relationship with another maker (about the label's cameras and recorders) does not
    apply; the label is then its own catalogue maker's, or names none (an Intelbras router is not a Dahua camera)."""
    entry = brands.brand(brand)
    other_lines = ""
    if entry is not None and not_video and entry.relationship in _MADE_BY_ANOTHER:
        if entry.manufacturer:
            other_lines = (f": {not_video}, and the label's non-video lines are not made by {entry.manufacturer} "
                           f"(its {entry.relationship} relationship with {entry.manufacturer} is about the label's "
                           "video lines)")
        entry = None
    if entry is None:
        maker = brands.makers.resolve(brand)
        if maker is None:
            return None
        # a maker the catalogue knows and the brand relationships do not list: its name is its own label
        return Evidence(record=record, rule=f"brand.{normalise(maker.name)}", asserts={"manufacturer": maker.name},
                        matched=f"label {brand!r} is {maker.name}'s own name (maker catalogue)" + other_lines,
                        confidence=0.9, source=maker.sources[0].url if maker.sources else "")
    if entry.manufacturer is None:
        return None
    return Evidence(
        record=record,
        rule=f"brand.{normalise(entry.brand)}",
        asserts={"manufacturer": entry.manufacturer},
        matched=f"label {brand!r} is a {entry.relationship} of {entry.manufacturer} ({entry.strength} evidence)"
        + (f"; not conclusive alone: {entry.caveat()}" if entry.bounded else ""),
        confidence=entry.confidence,
        source=entry.sources[0].url,
    )


def _canonical(field: str, value: str, brands: BrandBook) -> str:
    return brands.canonical(value) if field in ("manufacturer", "brand") else value


def merge(
    device: str,
    observations: Sequence[Observation],
    evidence: Sequence[Evidence],
    brands: BrandBook,
    open_ports: Sequence[int] = (),
    authority: Authority | None = None,
    model_rules: frozenset[str] | None = None,
    kinds: KindBook | None = None,
) -> Identity:
    """``authority`` says what each evidence kind is worth (the package's knowledge when None);
    ``model_rules``: the ids of the model-numbering rules (those whose id starts ``model.`` when None);
    ``kinds``: the words for kinds of device (the package's knowledge/kinds.yaml when None)."""
    protocols = {o.id: o.protocol for o in observations}
    votes: dict[str, _Votes] = {f: _Votes() for f in FIELDS}
    for ev in evidence:
        for field, value in ev.asserts.items():
            if field in votes and value:
                votes[field].add(field, _canonical(field, value, brands), ev)

    chosen: dict[str, str | None] = {}
    conflicts: list[Conflict] = []
    used: list[Evidence] = list(evidence)
    unknown: dict[str, str] = {}

    # The label first: it may add evidence about the maker.
    brand_ranked = votes["brand"].ranked()
    kind_ranked = votes["device_type"].ranked()
    if brand_ranked:
        brand_value = brand_ranked[0][1]
        not_video = _not_video(brand_value, observations, [kind for _, kind, _ in kind_ranked], brands,
                               kinds or default_kind_book())
        brand_ev = _brand_evidence(brand_value, brands, brand_ranked[0][2][0].record, not_video)
        if brand_ev is not None:
            if not any(e.rule.startswith(("tool.", "register.")) for e in brand_ranked[0][2]):
                protocols = {**protocols, _DEVICE_LABEL: brand_ev.record}  # the device's own answers named it
            used.append(brand_ev)
            votes["manufacturer"].add("manufacturer", brand_ev.asserts["manufacturer"], brand_ev)

    facts: dict[str, list[str]] = {f: [] for f in SET_FIELDS}
    for ev in evidence:
        for name in SET_FIELDS:
            fact = ev.asserts.get(name)
            if fact and fact not in facts[name]:
                facts[name].append(fact)

    basis: str | None = None
    manufacturer_conf = 0.0
    disputed = False
    supporting: list[Evidence] = []
    for field in FIELDS:
        ranked = votes[field].ranked()
        if not ranked:
            chosen[field] = None
            continue
        if field == "mac":  # a placeholder (all zeros, all ones) names no device: PLACEHOLDER_MACS
            ranked = [(sc, format_mac(v) or v, evs) for sc, v, evs in ranked
                      if "".join(ch for ch in v.lower() if ch.isalnum()) not in PLACEHOLDER_MACS]
            if not ranked:
                chosen[field] = None
                continue
        if field == "manufacturer":
            # choose by the most direct basis that has any vote, then by support
            def rank_key(item: tuple[float, str, list[Evidence]]) -> tuple[int, float]:
                best = min(BASIS_ORDER.index(_basis(e, brands, protocols)) for e in item[2])
                return (best, -item[0])

            ranked.sort(key=rank_key)
            basis = min((_basis(e, brands, protocols) for e in ranked[0][2]), key=BASIS_ORDER.index)
            manufacturer_conf = ranked[0][0]
            supporting = ranked[0][2]
        _score, value, evs = ranked[0]
        chosen[field] = value
        for _other_score, other, other_evs in ranked[1:]:
            if field == "manufacturer" and any(_basis(e) != "tool" for e in other_evs):
                disputed = True  # another tool's guess alone is shown, but does not dispute the device's answers
            conflicts.append(
                Conflict(
                    field=field,
                    chosen=value,
                    other=other,
                    records=tuple(sorted({e.record for e in evs + other_evs})),
                )
            )
    if disputed and manufacturer_conf:
        manufacturer_conf = round(manufacturer_conf * 0.7, 3)

    contested = _contested(votes["manufacturer"].ranked(), brands, protocols)
    _explain_unknowns(chosen, observations, evidence, unknown)
    if contested is not None:
        # the device's own answers name two makers: neither side is chosen, however much stronger it looks
        chosen["manufacturer"], basis, manufacturer_conf, supporting = None, None, 0.0, []
        unknown["manufacturer"] = contested
    earned = Grounds(None, None)
    if chosen["manufacturer"]:
        earned = _grounds(chosen["manufacturer"], supporting, used, protocols, brands, authority, model_rules)

    oem_sources: tuple[str, ...] = ()
    if chosen["brand"] and chosen["manufacturer"]:
        entry = brands.brand(chosen["brand"])
        if entry is not None and entry.relationship != "self":
            oem_sources = tuple(s.url for s in entry.sources)

    address = next((o.address for o in observations if o.address), None)
    return Identity(
        device=device,
        ids=tuple(o.id for o in observations),
        address=address,
        manufacturer=chosen["manufacturer"],
        brand=chosen["brand"],
        model=chosen["model"],
        firmware=chosen["firmware"],
        device_type=chosen["device_type"],
        confidence=manufacturer_conf,
        evidence=tuple(used),
        unknown=unknown,
        conflicts=tuple(conflicts),
        manufacturer_basis=basis,
        oem_sources=oem_sources,
        open_ports=tuple(sorted(set(open_ports))),
        serial=chosen["serial"],
        mac=chosen["mac"] or next((m for o in observations if o.mac and (m := format_mac(o.mac))), None),
        family=chosen["family"],
        capabilities=tuple(sorted(facts["capability"])),
        cloud=tuple(sorted(facts["cloud"])),
        certain_because=earned.certain_because,
        probable_because=earned.probable_because,
    )


def _grounds(maker: str, supporting: Sequence[Evidence], evidence: Sequence[Evidence],
             protocols: Mapping[str, str], brands: BrandBook, authority: Authority | None,
             model_rules: frozenset[str] | None) -> Grounds:
    def is_model_rule(rule: str) -> bool:
        return rule in model_rules if model_rules is not None else rule.startswith("model.")

    def same_maker(asserts: Mapping[str, str]) -> bool:
        for key in ("manufacturer", "brand"):
            value = asserts.get(key)
            entry = brands.brand(value) if value else None
            named = entry.manufacturer if entry and entry.manufacturer else value
            if named and normalise(named) == normalise(maker):
                return True
        return False

    return grounds(maker, supporting, evidence, protocols, authority or default_authority(), is_model_rule,
                   same_maker, lambda ev: _self_label(ev, brands, protocols))


def _explain_unknowns(
    chosen: dict[str, str | None],
    observations: Sequence[Observation],
    evidence: Sequence[Evidence],
    unknown: dict[str, str],
) -> None:
    protocols = sorted({o.protocol for o in observations})
    if not observations:
        base = "the device gave no response that camaudit could read"
    elif not evidence:
        base = (
            f"no fingerprint rule matched its {len(observations)} response(s) ({', '.join(protocols)}); "
            "camaudit does not guess"
        )
    else:
        base = f"none of the {len(evidence)} rule hit(s) on its responses ({', '.join(protocols)}) states this"
    for field in ("manufacturer", "brand", "model", "firmware", "device_type"):
        if chosen[field] is None:
            unknown[field] = base
    if chosen["manufacturer"] is None and chosen["family"]:
        unknown["manufacturer"] = (
            f"it answers like {chosen['family']}, which names no hardware maker; " + base
        )
    unresolved = [e.matched for e in evidence if not e.asserts and e.rule.startswith(("parser.", "tool."))]
    if chosen["manufacturer"] is None and unresolved:
        # the device named a maker camaudit does not know: say so rather than guess from the spelling
        unknown["manufacturer"] = "it declares " + "; ".join(unresolved[:3])
    if chosen["brand"] is None and chosen["manufacturer"] is not None:
        unknown["brand"] = "no label (brand name) was seen in its responses; the maker's firmware was recognised"
