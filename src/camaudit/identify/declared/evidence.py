"""Statements become evidence the way rule hits do: one :class:`Evidence` per statement, its ``rule``
naming the parser and the field (``parser.isapi-device-info:DeviceInfo/model``; another tool's
conclusion is ``tool.nmap-service:nmap.product``), ``matched`` quoting the value, ``source`` the document
that describes the format. A declared maker goes through the :class:`Resolver`; one it does not know is
kept as evidence asserting nothing, so the verdict can say what the device claimed and why it was not
taken."""

from __future__ import annotations

from dataclasses import dataclass, field

from camaudit.identify.declared import Parser, Statement, headers_read, reads_kind, statements
from camaudit.identify.declared.book import ParserEntry, load_parser_book
from camaudit.identify.declared.resolve import Resolution, Resolver
from camaudit.knowledge.brands import BrandBook
from camaudit.model import Evidence, Observation

UNKNOWN_MAKER = "not in the maker catalogue or the brand relationships; the maker is left unknown"
IDENTITY_FIELD = {"model": "model", "firmware": "firmware", "serial": "serial", "mac": "mac"}


def rule_id(parser: Parser, statement: Statement) -> str:
    return f"{'tool' if parser.tool else 'parser'}.{parser.id}:{statement.path}"


@dataclass
class Declarations:
    """The parsers' worth (from data) and the name resolver, ready to turn answers into evidence."""

    book: dict[str, ParserEntry]
    resolver: Resolver
    _skipped: set[str] = field(default_factory=set)

    @classmethod
    def default(cls, brands: BrandBook) -> Declarations:
        return cls(load_parser_book(), Resolver(brands))

    @staticmethod
    def may_read(protocol: str) -> bool:
        """Whether any parser may read answers of this evidence kind."""
        return reads_kind(protocol)

    @staticmethod
    def headers_read(protocol: str) -> tuple[frozenset[str], int] | None:
        """The only headers (and the window) the parsers of a message kind read, or None (see the parsers)."""
        return headers_read(protocol)

    def evidence(self, obs: Observation) -> list[Evidence]:
        return self.read(obs)[0]

    def read(self, obs: Observation) -> tuple[list[Evidence], list[tuple[Parser, Statement]]]:
        """The answer's evidence, and the statements it came from (for :meth:`banner_models`, so the parsers read
        the answer once)."""
        out: list[Evidence] = []
        stated = statements(obs)
        for parser, statement in stated:
            entry = self.book[parser.id]
            found = self._one(obs.id, parser, entry, statement)
            if found is not None:
                out.append(found)
        return out, stated

    def banner_models(self, obs: Observation, stated: list[tuple[Parser, Statement]] | None = None) -> list[str]:
        """Words of the answer's banners (Server, realm, title, greeting...) that could be model numbers
        (``stated``: the answer's statements, when :meth:`read` gave them already)."""
        from camaudit.identify.declared.banner import model_candidates

        if stated is None:
            stated = statements(obs)
        out: list[str] = []
        last: tuple[str, list[str]] | None = None  # a self-signed certificate's subject and issuer: read once
        for _parser, st in stated:
            if st.field == "banner":
                if last is None or last[0] != st.value:
                    last = (st.value, model_candidates(st.value))
                out += last[1]
        return out

    def _one(self, record: str, parser: Parser, entry: ParserEntry, st: Statement) -> Evidence | None:
        confidence = entry.confidence.get(st.field)
        if confidence is None:
            return None
        named = None
        if st.field == "banner":  # most banners name no maker: asked first, so they cost nothing more
            named = self.resolver.within(st.value)
            if named is None:
                return None  # most banners name server software, not a maker: they say nothing here
        rule = rule_id(parser, st)

        def make(asserts: dict[str, str], matched: str, source: str = entry.source) -> Evidence:
            return Evidence(record=record, rule=rule, asserts=asserts, matched=matched[:200],
                            confidence=confidence, source=source)

        if st.field in IDENTITY_FIELD:
            maker = self.resolver.resolve(st.value) if st.field == "model" else None
            if maker is not None:  # a "model" that is a maker's name (hardware/Dahua) is the maker
                return make(_maker_asserts(maker), f"{st.path} = {st.value!r} (a maker's name)")
            return make({IDENTITY_FIELD[st.field]: st.value}, f"{st.path} = {st.value!r}")
        if st.field in ("maker", "manufacturer"):
            resolved = self.resolver.resolve(st.value)
            if resolved is None:
                return make({}, f"{st.path} = {st.value!r}: {UNKNOWN_MAKER}")
            asserts = _maker_asserts(resolved)
            if st.field == "manufacturer":  # who made it, not its label: the brand is left to the label's evidence
                asserts = {"manufacturer": asserts["manufacturer"]} if "manufacturer" in asserts else {}
            return make(asserts, f"{st.path} = {st.value!r}")
        if st.field == "name":
            lead = self.resolver.leading(st.value)
            if lead is None:
                return None  # names are often the owner's; one that names no known maker says nothing
            head, resolved = lead
            return make(_maker_asserts(resolved), f"{st.path} = {st.value!r} (starts with {head!r})")
        if named is not None:  # a banner naming a maker
            phrase, resolved = named
            if resolved.product_line is not None:
                return make(_maker_asserts(resolved), f"{st.path} = {st.value!r} (names {phrase!r}, a product line"
                            f" of {resolved.manufacturer or resolved.brand})", resolved.source or entry.source)
            return make(_maker_asserts(resolved), f"{st.path} = {st.value!r} (names {phrase!r})")
        return None


def _maker_asserts(resolved: Resolution) -> dict[str, str]:
    asserts: dict[str, str] = {}
    if resolved.brand:
        asserts["brand"] = resolved.brand
    if resolved.manufacturer:
        asserts["manufacturer"] = resolved.manufacturer
    return asserts
