"""A declared maker name, resolved: through the brand relationships (a label such as "Annke" is made by
someone else) and the maker catalogue (:mod:`camaudit.knowledge.makers`: canonical makers with their aliases,
spellings and legal names). A name neither knows stays unknown, with that as the reason: it is never guessed
from its spelling."""

from __future__ import annotations

import re
from dataclasses import dataclass

from camaudit.knowledge.brands import BrandBook
from camaudit.knowledge.makers import Maker, MakerCatalogue, default_catalogue, name_key, without_legal_form

_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits of any script; everything else separates words
#: a name right after one of these words is a third party the device mentions, not the device's maker
#: ("compatible with", "powered by", "for", "via"...)
_THIRD_PARTY = frozenset({"for", "with", "via", "using", "compatible", "from", "like", "supports", "supporting",
                          "emulating", "emulation", "replaces"})
#: ...and so is one after "powered by", "based on"... ("copyright by" is the device's own maker)
_THIRD_PARTY_PAIRS = frozenset({("powered", "by"), ("driven", "by"), ("based", "on"), ("built", "on"),
                                ("built", "with"), ("hosted", "by"), ("provided", "by"), ("signed", "by")})
MAX_WINDOW = 4  # the longest catalogue name looked for, in words
#: a capitalised part of four letters or more, then another part or an acronym ("AvigilonOnvifNvt", "AsusWRT")
_CAMEL = re.compile(r"^([A-Z][a-z]{3,})(?=[A-Z])")


def _camel_head(word: str) -> str | None:
    """The first part of a CamelCase word ("Avigilon" of "AvigilonOnvifNvt"), or None when it is not one."""
    if len(word) < 5 or not "A" <= word[0] <= "Z":  # what _CAMEL needs at least: a capital, 3 letters, a capital
        return None
    found = _CAMEL.match(word)
    return found.group(1) if found else None


@dataclass(frozen=True)
class Resolution:
    brand: str | None  # the label, as camaudit spells it
    manufacturer: str | None  # set when the label is its maker's own name; labels of others are resolved later
    source: str | None  # the brand relationship or catalogue entry that knew the name
    #: set when the name is one of the maker's product lines, not a name of the maker: the line's name
    product_line: str | None = None


class Resolver:
    def __init__(self, brands: BrandBook, catalogue: MakerCatalogue | None = None) -> None:
        self.brands = brands
        self.catalogue = catalogue if catalogue is not None else default_catalogue()
        self._cache: dict[str, Resolution | None] = {}
        self._within: dict[str, tuple[str, Resolution] | None] = {}  # banners repeat across devices and records
        self._first_words: frozenset[str] | None = None

    def resolve(self, name: str) -> Resolution | None:
        """The label and maker an exact declared name stands for, or None when nothing knows it."""
        if name in self._cache:
            return self._cache[name]
        found = self._resolve(name)
        if len(self._cache) < 65536:
            self._cache[name] = found
        return found

    def _resolve(self, name: str) -> Resolution | None:
        entry = self.brands.brand(name)
        maker = None
        if entry is None:
            maker = self.catalogue.resolve(name)
            if maker is None:
                return self._product_line(name)
            entry = self.brands.brand(maker.name)  # the catalogue knows the spelling; the brands, who makes it
        if entry is not None:
            made_by = entry.manufacturer if entry.relationship == "self" else None
            return Resolution(entry.brand, made_by, entry.sources[0].url if entry.sources else None)
        assert maker is not None
        # a maker of its own products, named as the catalogue spells it
        return Resolution(maker.name, maker.name, maker.sources[0].url if maker.sources else None)

    def _product_line(self, name: str) -> Resolution | None:
        """A product line of one maker's hardware ("NPort 5110" is not one; "NPort" is): the maker, through the
        brand relationships as a maker's own name would go, the line's source the source."""
        found = self.catalogue.product_line(name)
        if found is None:
            return None
        line, maker = found
        entry = self.brands.brand(maker.name)
        if entry is not None:
            made_by = entry.manufacturer if entry.relationship == "self" else None
            return Resolution(entry.brand, made_by, line.source, line.name)
        return Resolution(maker.name, maker.name, line.source, line.name)

    def within(self, text: str) -> tuple[str, Resolution] | None:
        """The one maker a free-text banner names ("Server: ZyXEL-RomPager", "O=Axis Communications AB"): a
        catalogue or brand name as whole words, longest first. A one-word name counts only spelled as the
        catalogue spells it, in capitals or with a capital inside it, or in lower case where it is a field's
        whole value, a domain's label or a product token's prefix (see :meth:`_spelled`); a name may also lead
        a word written in CamelCase ("AvigilonOnvifNvt" names Avigilon, spelled as the catalogue spells it),
        never end or sit inside one; a name after "for",
        "with", "powered by"... is a third party; a chipset maker names the chip, not the device; a banner
        carrying one of a maker's ``not_hardware`` names (software that runs anywhere, a public certificate
        authority) names nothing; two makers in one banner name nothing either."""
        if text in self._within:
            return self._within[text]
        found = self._within_text(text)
        if len(self._within) < 65536 and len(text) <= 1024:  # banners, not a hostile page
            self._within[text] = found
        return found

    def _within_text(self, text: str) -> tuple[str, Resolution] | None:
        words = _WORD.findall(text)
        if not self._may_name(words):
            return None  # no word can begin a name (a certificate naming only an address or a host): no maker
        loose = _own_words(text)
        alone = _whole_fields(text)
        found: dict[str, tuple[str, Resolution]] = {}
        key = name_key(text)
        i = 0
        while i < len(words):
            step = 1
            head = _camel_head(words[i])
            for size in range(min(MAX_WINDOW, len(words) - i), -1, -1):
                if size == 0:  # no name starts here: a name leading a CamelCase word ("AvigilonOnvifNvt")
                    # ...but not an ordinary word leading another company's coined name ("RingCentral",
                    # "SharpSpring", "BuffaloGrove": the maker's common_words)
                    if head is None or self.catalogue.common_word(head) or not self._spelled([head]):
                        break
                    phrase = head
                else:
                    phrase = " ".join(words[i:i + size])
                    if words[i].isdigit() or not self._spelled(words[i:i + size], size == 1 and i in loose,
                                                               size == 1 and i in alone):
                        continue
                resolved = self.resolve(phrase)
                if resolved is None:
                    continue
                step = max(size, 1)
                before = [w.casefold() for w in words[max(0, i - 2):i]]
                if (before and before[-1] in _THIRD_PARTY) or tuple(before) in _THIRD_PARTY_PAIRS:
                    break
                maker = self._maker(phrase, resolved)
                if maker is not None and (set(maker.makes) == {"chipset"}
                                          or any(name_key(n) in key for n in maker.not_hardware)):
                    break
                who = resolved.manufacturer or resolved.brand or phrase
                found.setdefault(name_key(maker.name if maker is not None else who), (phrase, resolved))
                break
            i += step
        if len(found) != 1:
            return None
        return next(iter(found.values()))

    def _may_name(self, words: list[str]) -> bool:
        """Whether some word (or the head of a CamelCase word) is the first word of a name :meth:`_spelled` may
        accept: it compares a phrase word for word (case folded) with the names the catalogue and the brand book
        list, so a banner none of whose words begins one of them names nothing."""
        firsts = self._first_words
        if firsts is None:
            firsts = self._first_words = frozenset(_first_words(self.brands, self.catalogue))
        for word in words:
            if word.casefold() in firsts:
                return True
            head = _camel_head(word)
            if head is not None and head.casefold() in firsts:
                return True
        return False

    def _maker(self, phrase: str, resolved: Resolution) -> Maker | None:
        return (self.catalogue.resolve(phrase) or self.catalogue.resolve(resolved.manufacturer)
                or self.catalogue.resolve(resolved.brand))

    def _spelled(self, words: list[str], loose: bool = False, alone: bool = False) -> bool:
        """Whether these words are one of the names the catalogue or the brand book lists, word for word: the
        catalogue's "TP-Link" is the words TP and LINK, but its "AVTECH" is not the words AV and TECH (another
        company's name may be written so). A one-word name counts only as the catalogue writes it, in capitals,
        or with a capital inside it ("Axis", "AXIS", "GrandStream" for Grandstream; not "axis" in running text),
        or capitalised when the catalogue writes it in capitals ("Avtech" for AVTECH; not "Checkpoint" for
        CheckPoint), and a two-letter one only exactly as written ("HP"). In lower case
        it counts as a domain's label or a product token's prefix (``loose``), or as the whole of a field
        (``alone``: "Server: hikvision", "O=axis"), when the catalogue writes the name in capitals or with a
        capital inside it somewhere (a trademark: "AXIS", "UniFi"). A word the catalogue lists among ``common_words``
        never counts in lower case, in any of these places, nor as the head of a CamelCase word."""
        phrase = " ".join(words)
        if len(phrase) < 2:
            return False
        spellings: set[str] = set()
        maker = self.catalogue.resolve(phrase)
        if maker is not None:
            spellings.update(maker.names)
        entry = self.brands.brand(phrase)
        if entry is not None:
            spellings.update((entry.brand, *entry.aliases))
        line = self.catalogue.product_line(phrase)
        if line is not None:
            spellings.update(line[0].names)
        folded = [w.casefold() for w in words]
        same_words = [s for s in spellings if [w.casefold() for w in _WORD.findall(s)] == folded]
        if len(words) > 1:
            # a name longer than the window of words looked at also counts without the legal form the catalogue
            # writes after it ("Matsushita Electric Industrial" for "Matsushita Electric Industrial Co., Ltd.");
            # a shorter one is looked at whole ("AV TECH CORPORATION": the words AV TECH alone are not it)
            if same_words:
                return True
            longer = ([w.casefold() for w in _WORD.findall(s)] for s in spellings)
            return any(len(whole) > MAX_WINDOW and without_legal_form(whole) == folded for whole in longer)
        word = words[0]
        if word.islower() and self.catalogue.common_word(word):
            return False  # an ordinary word in lower case names no maker, even where the catalogue writes it so
        if word in same_words:
            return True
        if len(word) <= 2 or not same_words:
            return False
        if word.isupper() or any(ch.isupper() for ch in word[1:]):
            return True  # in capitals, or a capital inside the word ("GrandStream"): a name, not running text
        # a trademark: the catalogue writes the name in capitals, or with a capital inside it (a coined name:
        # "UniFi", "LifeSize"), never as a plain word
        in_capitals = any(s.isupper() for s in same_words)
        trademark = in_capitals or any(any(ch.isupper() for ch in s[1:]) for s in same_words)
        if word.istitle() and in_capitals and not self.catalogue.common_word(word):
            return True  # a trademark written in capitals, capitalised ("Avtech" for AVTECH): not "Checkpoint"
        if not word.islower():
            return False
        if loose and trademark:
            # a domain's label or a product token's prefix counts in any case, when the
            # catalogue writes it in capitals somewhere (a trademark, not a word of running text: "ring" no)
            return True
        return alone and len(word) > 3 and trademark  # (a common word in lower case was ruled out above)

    def leading(self, text: str) -> tuple[str, Resolution] | None:
        """The maker a free-text name starts with ("AXIS M1065-LW Network Camera", "HIKVISION DS-2CD..."):
        its first three, two or one words, resolved exactly. Only a leading name counts."""
        words = text.replace("_", " ").split()
        for size in (3, 2, 1):
            if len(words) >= size:
                head = " ".join(words[:size])
                found = self.resolve(head)
                if found is not None:
                    return head, found
        return None


#: a certificate statement's ``KEY=value`` fields (see :func:`camaudit.identify.declared.banner.certificate`)
_DN_SPLIT = re.compile(r"(?:^|,\s*)(?:CN|O|OU)=")


def _whole_fields(text: str) -> set[int]:
    """Indexes of the words of a banner that are the whole of their field: the banner's only word
    ("Server: hikvision"), or the only word of one ``CN=``/``O=``/``OU=`` field of a certificate's name
    ("CN=camera, O=axis"). Version numbers and punctuation around the word do not count as words."""
    markers = list(_DN_SPLIT.finditer(text)) if re.match(r"(?:CN|O|OU)=", text) else []
    fields = [(m.end(), markers[k + 1].start() if k + 1 < len(markers) else len(text))
              for k, m in enumerate(markers)] or [(0, len(text))]
    spans = [m.span() for m in _WORD.finditer(text)]
    out: set[int] = set()
    for start, end in fields:
        inside = [i for i, (a, b) in enumerate(spans) if a >= start and b <= end]
        lettered = [i for i in inside if not text[spans[i][0]:spans[i][1]].isdigit()]
        if len(lettered) == 1:
            out.add(lettered[0])
    return out


def _first_words(brands: BrandBook, catalogue: MakerCatalogue) -> set[str]:
    """The first word (case folded) of every spelling :meth:`Resolver._spelled` may compare a phrase with: the
    makers' names, aliases and registrants, their product lines' names, the brands and their aliases."""
    spellings: list[str] = []
    for maker in catalogue:
        spellings.extend(maker.names)
        for line in maker.product_lines:
            spellings.extend(line.names)
    for brand in brands.brands:
        spellings.extend((brand.brand, *brand.aliases))
    return {words[0].casefold() for s in spellings if (words := _WORD.findall(s))}


#: top-level domains after which a word is a domain's own label ("zte.com", "www.hikvision.com")
_TLDS = frozenset({"com", "net", "org", "cn", "de", "jp", "kr", "tw", "nl", "se", "fr", "it", "uk", "co", "io", "eu"})
_TOKEN_JOINERS = frozenset("-_/")


def _own_words(text: str) -> set[int]:
    """Indexes of the words of a banner that are not running text, so a one-word name counts in any case: a
    domain's label ("cpe@zte.com") or the vendor prefix of the banner's first product token, joined to the rest
    by "-", "_" or "/" ("cisco-IOS/12.1"). A field that is one lower-case word alone is not one of them: an
    SDP "i=samsung" comes from Samsung Techwin cameras, now Hanwha Vision's, so lower case is no licence."""
    spans = [m.span() for m in _WORD.finditer(text)]
    out: set[int] = set()
    if spans and text[:spans[0][0]].strip() == "" and text[spans[0][1]:spans[0][1] + 1] in _TOKEN_JOINERS \
            and len(spans) > 1 and spans[1][0] == spans[0][1] + 1:
        out.add(0)
    for i, (_start, end) in enumerate(spans[:-1]):
        nxt = spans[i + 1]
        if text[end:end + 1] == "." and nxt[0] == end + 1 and text[nxt[0]:nxt[1]].casefold() in _TLDS \
                and (i + 2 >= len(spans) or text[nxt[1]:nxt[1] + 1] != "."):
            out.add(i)
    return out
