"""SDP (the body of an RTSP DESCRIBE answer), read line by line into named parts (``sdp:s`` the session
name, ``sdp:i`` its information, ``sdp:o`` the origin, ``sdp:a.tool``...) that fingerprint rules match, and
the session-level lines in which a firmware names itself (:func:`session`), read like a ``Server`` header.

SDP names software more often than hardware, and firmware copies another's session lines (clones write
Hikvision's ``s=Media Presentation``; some Amcrest units name their session after Sony's server), so a
session line is thin evidence: a ``banner`` statement that names a maker only as the maker catalogue allows
(whole words, not a ``not_hardware`` name), never more than probable by itself. Rules decide what the
other lines are worth (see data/fingerprints/rtsp.yaml)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from camaudit.identify.declared.message import from_answer, normalise
from camaudit.identify.declared.reading import MAX_ITEMS, Statement
from camaudit.identify.declared.structured import View

MAX_SDP = 64 * 1024
MAX_SESSION_LINE = 256  # characters of one session line looked at
#: session-level lines in which a firmware may name itself: the session name and information, its URI,
#: the tool that wrote it, and QuickTime's name/author/copyright attributes (LIVE555 writes x-qt-text-nam)
SESSION_KINDS = ("s", "i", "u")
#: ...and the user name of the origin line (``o=<username> <sess-id> ...``, RFC 8866 section 5.2): a login on
#: the originating host, "-" when it has none; streaming servers put their own name there
SESSION_ATTRIBUTES = ("tool", "x-qt-text-nam", "x-qt-text-aut", "x-qt-text-cpy")


def lines(body: str) -> Iterator[tuple[str, str]]:
    """(part name, value) for each ``<type>=<value>`` line; attributes become ``a.<name>``."""
    for count, line in enumerate(body[:MAX_SDP].splitlines()):
        if count >= MAX_ITEMS:
            return
        line = line.strip()
        if len(line) < 2 or line[1] != "=" or not line[0].isalpha():
            continue
        kind, value = line[0], line[2:].strip()
        if kind == "a":
            name, _, rest = value.partition(":")
            if name and len(name) <= 64:
                yield f"sdp:a.{name.lower()}", rest.strip()
        else:
            yield f"sdp:{kind}", value


def body_of(message: str) -> str:
    """The SDP of an RTSP answer (what follows its head, the first answer of a client's transcript: see
    :func:`camaudit.identify.declared.message.from_answer`), or the text itself when it is a bare SDP."""
    text = normalise(message[:MAX_SDP + 16384])
    if text.lstrip().startswith("v=") or text.lstrip().startswith("o="):
        return text
    text = from_answer(text)
    for sep in ("\r\n\r\n", "\n\n"):
        head, found, rest = text.partition(sep)
        if found and head.startswith(("RTSP/", "HTTP/")):
            return rest if _SDP_LINE.match(rest.lstrip("\r\n")) else (_later_sdp(rest) or rest)
    return _later_sdp(text)


#: a line of an SDP (``<type>=<value>``): a body that starts with one is read as it is
_SDP_LINE = re.compile(r"[a-z]=")
#: the first lines of an SDP (RFC 8866 section 5: v=0, then the origin), starting a line of its own
_SDP_ANYWHERE = re.compile(r"^v=0[ \t]*\r?\no=", re.MULTILINE)


def _later_sdp(text: str) -> str:
    """The SDP that starts a line of its own further on: the body of a later answer of a client's transcript (the
    DESCRIBE answer after the OPTIONS one), or one a client printed bare after a note of its own (FFmpeg's
    ``SDP:``). Only a ``v=0`` line followed by the origin line starts one."""
    found = _SDP_ANYWHERE.search(text, 0, MAX_SDP)
    return text[found.start():] if found else ""


def session(view: View) -> list[Statement]:
    """The session-level lines of an answer's SDP in which the firmware may name itself (see
    :data:`SESSION_KINDS`, :data:`SESSION_ATTRIBUTES`) and the origin's user name: everything before the first
    ``m=`` line, once each."""
    out: list[Statement] = []
    seen: set[tuple[str, str]] = set()
    for name, value in lines(body_of(view.text)):
        if name == "sdp:m":
            break
        kind = name.removeprefix("sdp:")
        if kind == "o":  # the origin's user name: the server that wrote the SDP, when it is not "-"
            kind, value = "o.username", (value.split() or [""])[0]
            if value == "-":
                continue
        elif kind not in SESSION_KINDS and not (kind.startswith("a.") and kind[2:] in SESSION_ATTRIBUTES):
            continue
        text = " ".join(value.split())[:MAX_SESSION_LINE]
        if not text or not any(ch.isalpha() for ch in text) or (kind, text) in seen:
            continue
        seen.add((kind, text))
        out.append(Statement("banner", text, f"sdp:{kind}"))
    return out
