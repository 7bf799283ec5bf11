"""SDP (the body of an RTSP DESCRIBE answer), read line by line into named parts (``sdp:s`` the session
name, ``sdp:i`` its information, ``sdp:o`` the origin, ``sdp:a.tool``...) that fingerprint rules match. SDP
names software more often than hardware, so it declares nothing by itself; rules decide what a line is
worth (see data/fingerprints/rtsp.yaml)."""

from __future__ import annotations

from collections.abc import Iterator

from camaudit.identify.declared.reading import MAX_ITEMS

MAX_SDP = 64 * 1024


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
