"""Nmap's service fingerprint (``servicefp``, the ``SF-Port...`` block nmap prints for a service it could
not match): the answers its probes got, in nmap's escaped string form, decoded so that camaudit reads them
like live answers.

Layout (nmap's ``servicescan.cc``): continuation lines start ``SF:``; fields are ``%``-separated; each
answer is ``r(<probe>,<hex length>,"<escaped bytes>")``. In the escaped bytes, ``\\xHH`` is a byte, ``\\r``
``\\n`` ``\\t`` ``\\0`` are control characters and a backslash before any other character stands for that
character (nmap escapes ``.``, ``"``, ``\\`` and other regex metacharacters this way).
"""

from __future__ import annotations

MAX_FINGERPRINT = 256 * 1024
MAX_ANSWERS = 64
_CONTROL = {"r": "\r", "n": "\n", "t": "\t", "0": "\x00"}
_HEX = "0123456789abcdefABCDEF"


def unwrap(fingerprint: str) -> str:
    """The fingerprint as one string: line breaks and the ``SF:`` that starts each continuation removed."""
    lines = fingerprint[:MAX_FINGERPRINT].replace("\r", "").split("\n")
    return lines[0] + "".join(line[3:] if line.startswith("SF:") else line for line in lines[1:])


def _unescape(text: str, start: int) -> tuple[str, int] | None:
    """Decode an escaped string whose opening quote is at ``start - 1``; (text, index after the closing quote)."""
    out: list[str] = []
    i, end = start, len(text)
    while i < end:
        ch = text[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= end:
            return None
        nxt = text[i + 1]
        if nxt == "x" and i + 3 < end and text[i + 2] in _HEX and text[i + 3] in _HEX:
            out.append(chr(int(text[i + 2:i + 4], 16)))
            i += 4
        else:
            out.append(_CONTROL.get(nxt, nxt))
            i += 2
    return None


def answers(fingerprint: str) -> list[tuple[str, str]]:
    """(probe name, decoded answer) for each ``r(...)`` entry, in order; malformed entries end the reading."""
    text = unwrap(fingerprint)
    out: list[tuple[str, str]] = []
    position = 0
    while len(out) < MAX_ANSWERS:
        start = text.find("r(", position)
        if start < 0:
            break
        if start > 0 and text[start - 1] not in "%:":
            position = start + 2
            continue
        probe_end = text.find(",", start + 2)
        length_end = text.find(",", probe_end + 1) if probe_end > 0 else -1
        if probe_end < 0 or length_end < 0 or length_end + 1 >= len(text) or text[length_end + 1] != '"':
            break
        probe = text[start + 2:probe_end]
        decoded = _unescape(text, length_end + 2)
        if decoded is None or not probe.isalnum():
            break
        value, position = decoded
        try:
            declared = int(text[probe_end + 1:length_end], 16)
        except ValueError:
            declared = len(value)
        out.append((probe, value[:declared] if 0 < declared < len(value) else value))
    return out
