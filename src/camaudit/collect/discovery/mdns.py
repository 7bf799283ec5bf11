"""mDNS / DNS-SD (UDP 5353, multicast 224.0.0.251): which services a device announces, and their TXT records.

A one-shot query for the DNS-SD service list (``_services._dns-sd._udp.local`` PTR) plus the camera
service types; answers are decoded into text lines (``PTR``, ``SRV``, ``TXT``, ``A`` records), which the
fingerprint rules read. The DNS decoder is bounded: compression loops, bad lengths and oversized
messages end the decoding, never the scan.
"""

from __future__ import annotations

import struct

PORT = 5353
GROUP = "224.0.0.251"
PROTOCOL = "mdns"
QUESTIONS = ("_services._dns-sd._udp.local", "_rtsp._tcp.local", "_onvif._tcp.local", "_http._tcp.local",
             "_axis-video._tcp.local")
TYPES = {1: "A", 12: "PTR", 16: "TXT", 28: "AAAA", 33: "SRV"}


def _name(labels: str) -> bytes:
    out = b""
    for label in labels.strip(".").split("."):
        raw = label.encode()
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def request() -> bytes:
    header = struct.pack("!HHHHHH", 0, 0, len(QUESTIONS), 0, 0, 0)
    return header + b"".join(_name(q) + struct.pack("!HH", 12, 1) for q in QUESTIONS)


class DnsError(ValueError):
    pass


def _read_name(data: bytes, offset: int) -> tuple[str, int]:
    labels: list[str] = []
    jumps = 0
    end = None
    while True:
        if offset >= len(data):
            raise DnsError("name runs past the end")
        length = data[offset]
        if length == 0:
            offset += 1
            break
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(data):
                raise DnsError("truncated pointer")
            jumps += 1
            if jumps > 16:
                raise DnsError("compression loop")
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | data[offset + 1]
            continue
        offset += 1
        labels.append(data[offset : offset + length].decode("utf-8", "replace"))
        offset += length
        if len(labels) > 64:
            raise DnsError("too many labels")
    return ".".join(labels), (end if end is not None else offset)


def decode(data: bytes) -> list[str]:
    """Answer, authority and additional records as text lines; raises DnsError on a broken message."""
    if len(data) < 12 or len(data) > 9000:
        raise DnsError("not a DNS message")
    _id, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", data[:12])
    if not flags & 0x8000:
        raise DnsError("a query, not a response")
    offset = 12
    for _ in range(qd):
        _q, offset = _read_name(data, offset)
        offset += 4
    lines = []
    for _ in range(min(an + ns + ar, 256)):
        name, offset = _read_name(data, offset)
        if offset + 10 > len(data):
            raise DnsError("truncated record")
        rtype, _cls, _ttl, length = struct.unpack("!HHIH", data[offset : offset + 10])
        offset += 10
        rdata = data[offset : offset + length]
        kind = TYPES.get(rtype)
        if kind == "PTR":
            lines.append(f"PTR {name} {_read_name(data, offset)[0]}")
        elif kind == "SRV" and len(rdata) >= 6:
            port = struct.unpack("!H", rdata[4:6])[0]
            lines.append(f"SRV {name} {_read_name(data, offset + 6)[0]}:{port}")
        elif kind == "TXT":
            pos, items = 0, []
            while pos < len(rdata):
                size = rdata[pos]
                items.append(rdata[pos + 1 : pos + 1 + size].decode("utf-8", "replace"))
                pos += 1 + size
            lines.append(f"TXT {name} " + " ".join(items))
        elif kind == "A" and len(rdata) == 4:
            lines.append(f"A {name} {'.'.join(str(b) for b in rdata)}")
        offset += length
    return lines


def accept(data: bytes) -> tuple[str, str] | None:
    try:
        lines = decode(data)
    except (DnsError, struct.error, IndexError):
        return None
    return (PROTOCOL, "\n".join(lines)) if lines else None
