"""The head of an HTTP-, RTSP- or SSDP-style message as people keep it: the message itself, a header block
whose status line was left out, or a ``curl -v`` transcript (``< HTTP/1.1 401 ...``, ``< Server: ...``, with
curl's ``*`` notes and the ``>`` request lines around it). One splitter for the rules' parts and the banner
parser, so both read the same headers."""

from __future__ import annotations

import re

_STATUS = re.compile(r"^(?:HTTP|RTSP)/\d(?:\.\d)?\s")
_HEADER = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}\s*:")
_CURL_NOTES = ("* ", "> ", "{ ", "} ")
MAX_TRANSCRIPT = 256 * 1024  # characters of a transcript unwrapped


def unwrap_transcript(text: str) -> str:
    """The response inside a ``curl -v`` transcript (the ``< `` lines, then the body), or the text itself."""
    if not (text.startswith("< ") or text.find("\n< ", 0, MAX_TRANSCRIPT) >= 0):  # no copy of the text
        return text
    out: list[str] = []
    started = in_body = False
    for line in text[:MAX_TRANSCRIPT].split("\n"):
        bare = line.rstrip("\r")
        if not started:
            if bare.startswith("< ") and _STATUS.match(bare[2:]):
                started = True
                out.append(bare[2:])
            continue
        if in_body:
            if not bare.startswith(_CURL_NOTES):
                out.append(bare)
        elif bare == "<":
            out.append("")
            in_body = True
        elif bare.startswith("< "):
            out.append(bare[2:])
        elif not bare.startswith(_CURL_NOTES):
            out += ["", bare]
            in_body = True
    return "\n".join(out) if started else text


def split_head(text: str) -> tuple[str, list[tuple[str, str]], str]:
    """Status line, (lower-case name, value) headers and whatever follows the blank line. A head that starts
    with a header line has no status line: the status is empty and that line is a header."""
    normalised = unwrap_transcript(text.replace("\r\n", "\n"))
    head, _, body = normalised.partition("\n\n")
    lines = head.split("\n")
    first = lines[0].strip() if lines else ""
    if first and not _STATUS.match(first + " ") and _HEADER.match(first):
        status, rest = "", lines
    else:
        status, rest = first, lines[1:]
    headers: list[tuple[str, str]] = []
    for line in rest:
        if ":" in line:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
    return status, headers, body
