"""What "kept apart" means for the evaluation corpus: no distinctive line in common.

A *line* is one line of a text (real line breaks, or the escaped ``\\r\\n``/``\\n`` of a string in source
code), and for a ``Name: value`` or ``name=value`` line also its value alone (a rule example holds the value
of a header, a recording the whole header line). It is normalised: whitespace collapsed, case folded.

A line is *distinctive* when it is at least ``MIN_LENGTH`` characters long and is not generic boilerplate:
the headers every HTTP or RTSP server sends (``Content-Type``, ``Date``, ``CSeq``...), SDP lines that every
stream has (``m=video 0 RTP/AVP 96``, ``a=rtpmap:96 H264/90000``), XML declarations, namespace attributes
and closing tags. A distinctive line shared by an evaluation item and any material identification is
built from means the item was seen while the rules were written, and the figure would flatter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

MIN_LENGTH = 20

_GENERIC_HEADERS = (
    "content-type", "content-length", "date", "connection", "cache-control", "pragma", "expires", "cseq",
    "accept-ranges", "last-modified", "etag", "transfer-encoding", "keep-alive", "x-frame-options",
    "x-xss-protection", "x-content-type-options", "content-security-policy", "strict-transport-security",
    "public", "allow", "vary", "content-encoding", "content-language", "referrer-policy",
)
_GENERIC = [
    re.compile(rf"^(?:{'|'.join(re.escape(h) for h in _GENERIC_HEADERS)})\s*:"),
    re.compile(r"^(?:rtsp|http)/\d\.\d \d{3}\b"),                   # status lines
    re.compile(r"^m=(?:video|audio|application|text)\s+\d+\s+rtp/avp(?:\s+\d+)*$"),
    re.compile(r"^a=rtpmap:\d+ [\w.-]+/\d+(?:/\d+)?$"),
    re.compile(r"^(?:c=in ip4 0\.0\.0\.0|a=control:\*|a=range:npt=[\w.-]*|a=(?:recvonly|sendonly|sendrecv)|b=as:\d+)$"),
    re.compile(r"^<\?xml\b.*\?>$"),                                 # declarations
    re.compile(r"^(?:\S+\s+)?xmlns(?::\w+)?=\"[^\"]*\"\s*/?>?$"),  # a namespace attribute on its own line
    re.compile(r"^</[\w:.-]+>$"),                                   # closing tags
    re.compile(r"^<[\w:.-]+(?:\s+[\w:.-]+=\"[^\"]*\")*\s*/?>$"),    # an opening tag with attributes only
]


# Lines that every device of one firmware family sends, whatever the unit: sharing one says the rule and the
# item are of the same family, not that the item was seen. Each is listed with what it is; keep this short.
FAMILY_LINES = {
    "s=media presentation": "Hikvision RTSP session name",
    "a=x-dimensions:1920,1080": "Hikvision SDP frame size attribute, 1080p",
    '"http://www.isapi.org/ver20/xmlschema">': "ISAPI namespace attribute",
    "a=packetization-supported:dh": "Dahua SDP attribute",
    "a=rtppayload-supported:dh": "Dahua SDP attribute",
    "x-accept-dynamic-rate: 1": "RTSP header of Dahua and LIVE555-derived servers",
    "options, describe, announce, setup, play, record, pause, teardown, set_parameter, get_parameter":
        "Dahua RTSP Public method list",
    "server: rtsp server/3.0": "Dahua RTSP Server header",
    "s=vcp ipc realtime stream": "Uniview RTSP session name (also on its OEM units)",
    "a=fmtp:107 decodertag=h3c-v3 rtcp=0": "Uniview metadata track parameters",
}
_FAMILY_PATTERNS = [
    # Hikvision-SDK media header: a hex encoding of codec settings, the same on every unit with those settings
    re.compile(r"^a=media_header:mediainfo=[0-9a-f]{40,80};?$"),
]


def normalise(line: str) -> str:
    return " ".join(line.split()).lower()


def is_distinctive(line: str) -> bool:
    return (len(line) >= MIN_LENGTH and line not in FAMILY_LINES
            and not any(p.search(line) for p in (*_GENERIC, *_FAMILY_PATTERNS)))


_ESCAPED_BREAK = re.compile(r"\\r\\n|\\n|\\r")
_HEADER = re.compile(r"^([A-Za-z][\w.-]{1,40})\s*[:=]\s*(.+)$")  # not SDP's one-letter "a="


def lines_of(text: str) -> Iterator[str]:
    for raw in _ESCAPED_BREAK.sub("\n", text).splitlines():
        line = normalise(raw)
        if not line:
            continue
        yield line
        header = _HEADER.match(line)
        if header:
            yield header.group(2).strip()


def distinctive_lines(texts: Iterable[str]) -> set[str]:
    return {line for text in texts for line in lines_of(text) if is_distinctive(line)}
