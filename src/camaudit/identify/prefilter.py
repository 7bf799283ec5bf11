"""A multi-pattern prefilter: run a record only against the rules whose literal anchors occur in it.

Each rule's regular expression is read (with the standard library's own parser) for its *anchors*: a set of
literal strings at least one of which every match must contain (``Server: (?P<x>App-webs|DNVRS-Webs)`` has
``{"app-webs", "dnvrs-webs"}``; ``^Hikvision`` has ``{"hikvision"}``). Nothing is listed by hand: the anchors
come from the patterns in the data files, so a new rule is prefiltered the day it is added. A rule with no
anchor the analysis can prove (``\\d+`` alone, say) is always run.

All anchors of a book go into one Aho-Corasick automaton (pyahocorasick), which finds every anchor in one
pass over the record's text. A rule is run when one of its anchors is found, or when it has none.

It never changes an answer:

- anchors are lower-cased and looked for in the lower-cased text, so case-insensitive rules are covered;
- only ASCII anchors are used, and a text that is not pure ASCII is run against every rule (Unicode case
  folding maps some non-ASCII letters onto ASCII ones: the Kelvin sign matches ``k`` under ``re.IGNORECASE``);
- the text searched holds every value of every part the rules read, so an anchor inside the value a rule
  matches is inside the text.

``tests/test_prefilter.py`` checks that every rule's examples, and every recording, give the same evidence
with and without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ahocorasick

try:  # the parser the re module itself uses (``sre_parse`` before Python 3.11)
    import re._constants as sre_constants  # type: ignore[import-not-found,unused-ignore]
    import re._parser as sre_parse  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - Python 3.10 and older
    import sre_constants  # type: ignore[no-redef,unused-ignore]
    import sre_parse  # type: ignore[no-redef,unused-ignore]

from camaudit.knowledge.fingerprints import Rule

Anchors = frozenset[str]

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
if hasattr(sre_constants, "POSSESSIVE_REPEAT"):
    _REPEATS.add(sre_constants.POSSESSIVE_REPEAT)
_ATOMIC = getattr(sre_constants, "ATOMIC_GROUP", None)


def _score(anchors: Anchors) -> tuple[int, int]:
    """Better anchors are longer (found less often by chance) and fewer."""
    return (min(len(a) for a in anchors), -len(anchors))


def _best(candidates: Iterable[Anchors]) -> Anchors | None:
    usable = [c for c in candidates if c and all(a.isascii() and a for a in c)]
    return max(usable, key=_score) if usable else None


def _required(items: Sequence[tuple[Any, Any]]) -> Anchors | None:
    """Anchors of a sequence of parsed pattern items: one of them is in every match, or None."""
    candidates: list[Anchors] = []
    run: list[str] = []

    def close_run() -> None:
        text = "".join(run)
        if text and text.isascii():  # checked before lower(): the Kelvin sign lower-cases to "k"
            candidates.append(frozenset([text.lower()]))
        run.clear()

    for op, av in items:
        if op is sre_constants.LITERAL:
            run.append(chr(av))
            continue
        close_run()
        found: Anchors | None = None
        if op is sre_constants.SUBPATTERN:
            found = _required(av[-1])
        elif _ATOMIC is not None and op is _ATOMIC:
            found = _required(av)
        elif op in _REPEATS:
            low, _high, item = av
            if low >= 1:
                found = _required(item)
        elif op is sre_constants.BRANCH:
            alternatives = [_required(alt) for alt in av[1]]
            if alternatives and all(a is not None for a in alternatives):
                found = frozenset().union(*alternatives)  # type: ignore[arg-type]
        if found is not None:
            candidates.append(found)
    close_run()
    return _best(candidates)


def anchors_of(pattern: str, flags: int = 0) -> Anchors | None:
    """The literal anchors of a regular expression (lower-case, ASCII), or None when none can be proved."""
    try:
        parsed = sre_parse.parse(pattern, flags)
    except Exception:
        return None
    return _required(list(parsed))


class Prefilter:
    """Which of a list of rules can possibly fire on a set of part values."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self.parts = tuple(dict.fromkeys(rule.part for rule in self.rules))
        self.always: tuple[int, ...] = ()
        self._automaton: Any = None
        words: dict[str, list[int]] = {}
        always = []
        for index, rule in enumerate(self.rules):
            anchors = anchors_of(rule.pattern.pattern, rule.pattern.flags)
            if anchors is None:
                always.append(index)
                continue
            for anchor in anchors:
                words.setdefault(anchor, []).append(index)
        self.always = tuple(always)
        self.anchored = {rule.id for i, rule in enumerate(self.rules) if i not in set(always)}
        if words:
            automaton = ahocorasick.Automaton()
            for word, indexes in words.items():
                automaton.add_word(word, tuple(indexes))
            automaton.make_automaton()
            self._automaton = automaton

    def candidates(self, parts: Mapping[str, Sequence[str]]) -> Sequence[Rule]:
        """The rules worth running on these parts, in book order."""
        if self._automaton is None:
            return self.rules
        text = "\x00".join([value for part in self.parts for value in parts.get(part, ())])
        if not text.isascii():
            return self.rules
        hits = set(self.always)
        for _end, indexes in self._automaton.iter(text.lower()):
            hits.update(indexes)
        if len(hits) == len(self.rules):
            return self.rules
        return [self.rules[i] for i in sorted(hits)]
