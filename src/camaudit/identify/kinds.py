"""What kind of device a device's answers say it is, in their own words (``knowledge/kinds.yaml``): a page's
visible text and title, the Server and realm of an HTTP or RTSP head, a telnet greeting, a tool's record of it
(nmap's product and device type). Used only to decide whether a label's brand relationship, which is about the
label's video lines, applies to this device (:func:`camaudit.identify.merge.merge`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from camaudit.identify.declared.banner import PAGE_WINDOW, visible_text
from camaudit.knowledge.kinds import KindBook
from camaudit.model import Observation

#: characters of an answer other than a page read for its words
ANSWER_WINDOW = 65536
#: answers whose words are read, and how each is turned into text
_HEAD_KINDS = frozenset({"http_header", "rtsp"})
_TEXT_KINDS = frozenset({"telnet_banner", "other"})
_HEAD_LINE = re.compile(r"^[ \t]{0,16}(?:server|www-authenticate)[ \t]*:[ \t]*([^\r\n]{1,512})\r?$",
                        re.IGNORECASE | re.MULTILINE)
_TAG = re.compile(r"<[^<>]{0,2048}>")


def answer_words(obs: Observation) -> str:
    """The part of one answer that says in words what the device is ('' for an answer not read)."""
    text = obs.response or ""
    if obs.protocol == "http_body":
        return visible_text(text[:PAGE_WINDOW])
    if obs.protocol in _HEAD_KINDS:
        return "\n".join(m.group(1) for m in _HEAD_LINE.finditer(text[:ANSWER_WINDOW]))
    if obs.protocol in _TEXT_KINDS:
        return _TAG.sub(" ", text[:ANSWER_WINDOW])
    return ""


@dataclass(frozen=True)
class KindWords:
    """The kinds a device's answers name, each with the word that named it, video kinds apart from the rest."""

    video: dict[str, str] = field(default_factory=dict)
    other: dict[str, str] = field(default_factory=dict)

    def said(self) -> str:
        """The non-video kinds and their words, for a reason: "a Router ('WRN 240')"."""
        return " and ".join(f"{'an' if kind[:1] in 'AEIOU' else 'a'} {kind} ({word!r})"
                            for kind, word in self.other.items())


def kind_words(observations: Sequence[Observation], book: KindBook) -> KindWords:
    video: dict[str, str] = {}
    other: dict[str, str] = {}
    for obs in observations:
        text = answer_words(obs)
        if not text.strip():
            continue
        for kind, word in book.read(text).items():
            (video if book.video(kind) else other).setdefault(kind, word)
    return KindWords(video, other)
