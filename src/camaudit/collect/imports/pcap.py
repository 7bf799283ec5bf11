"""Packet captures, classic pcap and pcapng, read passively one packet at a time (no capture library).

Containers: classic pcap in either byte order with microsecond or nanosecond timestamps, and pcapng
(Section Header, Interface Description, Enhanced, Simple and obsolete Packet blocks; any other block is
skipped by its length). Link types: Ethernet (802.1Q/802.1ad VLAN tags), Linux cooked capture (SLL and
SLL2), raw IP and BSD loopback. Network layers: IPv4 (UDP datagrams split into fragments are put back
together, within bounds), IPv6, UDP and TCP.

What becomes evidence (the device is the host that sent the evidence, its MAC the Ethernet source of the
frame when the frame came from it; a source MAC seen sending for more than one IP address is a router's, or
a capture taken beyond one, and is then left out rather than tie unrelated hosts together):
- UDP discovery answers and announcements (SADP 37020, WS-Discovery 3702, DHIP 37810, SSDP 1900, mDNS
  5353), turned into text by the same ``accept()`` functions a live scan uses;
- DHCP client messages (UDP 67/68): host name (option 12), vendor class (60), client FQDN (81), the
  parameter request list (55) and the client hardware address, as ``dhcp`` ``key=value`` lines;
- DNS (UDP 53): each name a host looks up, once per host, as ``other`` ``dns_query=<name>`` (a vendor
  cloud says who a device phones);
- TCP: HTTP responses (head as ``http_header``, the start of the body as ``http_body``), RTSP responses
  (``rtsp``), the server certificate of a TLS 1.0-1.2 handshake (``tls_cert``, the same text a live scan
  records) and the server name a TLS client asks for (``other`` ``tls_sni=<name>``); and the body of a
  device's HTTP POST that is a TR-069 (CWMP) message, as ``other`` of the device that sent it (its Inform
  names its maker, product class, serial and firmware).

Bounded whatever the file size: only the first :data:`FLOW_CAP` bytes of each direction of each TCP
connection are put back in sequence order, at most :data:`MAX_FLOWS` directions are followed at once
(the least recently active is finished early and dropped), identical evidence is written once, and every
record is yielded as soon as it is complete. A capture cut off mid-write fails on its broken block with
the byte offset and what was expected there (the runner then rolls the whole file back).
"""

from __future__ import annotations

import hashlib
import socket
import struct
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from camaudit.collect.discovery import dhip_multicast, mdns, sadp, ssdp, wsdiscovery
from camaudit.collect.imports.common import Records, kv_text
from camaudit.collect.imports.interface import Importer, ImportError_, MalformedInput, open_input
from camaudit.collect.limits import dechunk
from camaudit.collect.tls import CertificateError, describe_certificate
from camaudit.model import Observation
from camaudit.progress import Progress

PCAP_MAGIC = {  # first four bytes -> (struct byte order, timestamp fraction per second)
    b"\xd4\xc3\xb2\xa1": ("<", 1_000_000),
    b"\xa1\xb2\xc3\xd4": (">", 1_000_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1_000_000_000),
    b"\xa1\xb2\x3c\x4d": (">", 1_000_000_000),
}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
BYTE_ORDER_MAGIC = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}
IDB, OPB, SPB, EPB = 1, 2, 3, 6

MAX_PACKET = 1024 * 1024  # a packet record claiming more than this is broken, not a packet
MAX_BLOCK = 256 * 1024 * 1024  # a pcapng block claiming more than this is broken
SKIP_CHUNK = 1024 * 1024

FLOW_CAP = 32 * 1024  # bytes of each TCP direction put back together (headers, a certificate chain)
MAX_FLOWS = 1024  # TCP directions followed at once; the least recently active one is finished first
MAX_PENDING = 64  # out-of-order segments held per direction
DONE_CAP = 65_536  # finished directions remembered, so that their later segments are ignored
REQUESTS_CAP = 4096  # request lines remembered for the answers that follow them
MAX_FRAGMENTED = 256  # IPv4 datagrams being put back together at once
MAC_CAP = 65_536  # source MACs remembered with the one IP address each sends from
SEEN_CAP = 100_000  # digests of evidence already written (repeated announcements are written once)
BODY_CAP = 16 * 1024  # characters of an HTTP body kept as evidence
RTSP_BODY_CAP = 4096  # as a live scan keeps

ETHERNET, NULL, RAW, RAW_OPENBSD, LINUX_SLL, LOOP, RAW_ALT, IPV4, IPV6, LINUX_SLL2 = \
    1, 0, 101, 14, 113, 108, 12, 228, 229, 276
VLAN_TYPES = (0x8100, 0x88A8, 0x9100)
ETH_IPV4, ETH_IPV6 = 0x0800, 0x86DD
TCP, UDP = 6, 17
FIN, SYN, RST = 0x01, 0x02, 0x04

DISCOVERY: dict[int, Callable[[bytes], tuple[str, str] | None]] = {
    sadp.PORT: sadp.accept,
    wsdiscovery.PORT: wsdiscovery.accept,
    dhip_multicast.PORT: dhip_multicast.accept,
    ssdp.PORT: ssdp.accept,
    mdns.PORT: mdns.accept,
}
DHCP_PORTS = (67, 68)
DHCP_COOKIE = b"\x63\x82\x53\x63"
DNS_PORT = 53
REQUEST_METHODS = (b"GET ", b"POST ", b"HEAD ", b"PUT ", b"OPTIONS ", b"DESCRIBE ", b"SETUP ", b"PLAY ",
                   b"GET_PARAMETER ", b"SET_PARAMETER ", b"TEARDOWN ", b"ANNOUNCE ")
NO_BODY = (204, 304)
CWMP_MARK = b"urn:dslforum-org:cwmp-"  # the namespace of a TR-069 (CWMP) SOAP message

Frame = tuple[int, bytes, float | None, int]  # link type, bytes, timestamp (s), packet number
FlowKey = tuple[bytes, int, bytes, int]  # source address, source port, destination address, destination port


_last_second: list[tuple[int, str | None]] = [(-1, None)]  # packets come in bursts: format each second once


def _when(ts: float | None) -> str | None:
    if ts is None:
        return None
    second = int(ts)
    if _last_second[0][0] == second:
        return _last_second[0][1]
    try:
        text: str | None = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        text = None
    _last_second[0] = (second, text)
    return text


def _ip(raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def _mac(raw: bytes | None) -> str | None:
    if raw is None or len(raw) != 6 or raw == b"\x00" * 6 or raw[0] & 1:
        return None
    return raw.hex(":")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class _Input:
    """The capture's bytes with the offset of what has been read, failing clearly on a short read."""

    def __init__(self, stream: IO[bytes], path: Path) -> None:
        self.stream = stream
        self.path = path
        self.offset = 0

    def read(self, count: int) -> bytes:
        data = self.stream.read(count)
        self.offset += len(data)
        return data

    def take(self, count: int, where: str, expected: str) -> bytes:
        data = self.read(count)
        if len(data) < count:
            raise MalformedInput(self.path, where, expected, f"{len(data)} of {count} bytes before the end of the file")
        return data

    def skip(self, count: int, where: str, expected: str) -> None:
        while count > 0:
            count -= len(self.take(min(count, SKIP_CHUNK), where, expected))


def _pcap_frames(source: _Input, magic: bytes) -> Iterator[Frame]:
    order, per_second = PCAP_MAGIC[magic]
    header = magic + source.take(20, "byte 0", "a 24-byte pcap file header")
    link = struct.unpack(order + "I", header[20:24])[0] & 0xFFFF
    record = struct.Struct(order + "IIII")
    number = 0
    while True:
        at = source.offset
        where = f"byte {at} (packet {number + 1})"
        head = source.read(16)
        if not head:
            return
        if len(head) < 16:
            raise MalformedInput(source.path, where, "a 16-byte pcap packet record header",
                                 f"{len(head)} bytes before the end of the file")
        seconds, fraction, captured, _original = record.unpack(head)
        if captured > MAX_PACKET:
            raise MalformedInput(source.path, where, f"a captured length of at most {MAX_PACKET} bytes",
                                 f"{captured}")
        data = source.take(captured, where, f"{captured} bytes of packet data (the record header's captured length)")
        number += 1
        yield link, data, seconds + fraction / per_second, number


def _options(body: bytes, order: str) -> Iterator[tuple[int, bytes]]:
    pos = 0
    while pos + 4 <= len(body):
        code, length = struct.unpack_from(order + "HH", body, pos)
        if code == 0:
            return
        yield code, body[pos + 4 : pos + 4 + length]
        pos += 4 + length + (-length % 4)


def _pcapng_frames(source: _Input, magic: bytes) -> Iterator[Frame]:
    order: str | None = None
    interfaces: list[tuple[int, float, float, int]] = []  # link type, seconds per tick, offset, snap length
    number = 0
    block = 0
    first: bytes | None = magic
    while True:
        at = source.offset - (4 if first is not None else 0)
        block += 1
        where = f"byte {at} (block {block})"
        kind = first if first is not None else source.read(4)
        first = None
        if not kind:
            return
        if len(kind) < 4:
            raise MalformedInput(source.path, where, "an 8-byte pcapng block header",
                                 f"{len(kind)} bytes before the end of the file")
        raw_length = source.take(4, where, "an 8-byte pcapng block header")
        if kind == PCAPNG_SHB:
            magic_bytes = source.take(4, where, "a Section Header Block byte-order magic")
            if magic_bytes not in BYTE_ORDER_MAGIC:
                raise MalformedInput(source.path, where, "the byte-order magic 0x1A2B3C4D", magic_bytes.hex())
            order = BYTE_ORDER_MAGIC[magic_bytes]
            interfaces = []
            length = struct.unpack(order + "I", raw_length)[0]
            _check_length(source, where, length, 28)
            rest = source.take(length - 12, where, f"{length - 12} more bytes of a {length}-byte Section Header "
                               "Block (its total length)")
            _check_trailer(source, where, rest[-4:], raw_length)
            continue
        if order is None:
            raise MalformedInput(source.path, where, "a pcapng Section Header Block first", f"block type {kind.hex()}")
        code = struct.unpack(order + "I", kind)[0]
        length = struct.unpack(order + "I", raw_length)[0]
        _check_length(source, where, length, 12)
        if code not in (IDB, OPB, SPB, EPB):
            source.skip(length - 12, where, f"{length - 12} more bytes of a {length}-byte pcapng block (its total "
                        "length)")
            _check_trailer(source, where, source.take(4, where, "the block's trailing total length"), raw_length)
            continue
        rest = source.take(length - 8, where, f"{length - 8} more bytes of a {length}-byte pcapng block (its total "
                           "length)")
        _check_trailer(source, where, rest[-4:], raw_length)
        body = rest[:-4]
        if code == IDB:
            if len(body) < 8:
                raise MalformedInput(source.path, where, "an Interface Description Block of at least 20 bytes")
            link, _reserved, snap = struct.unpack_from(order + "HHI", body)
            tick, offset = 1e-6, 0.0
            for option, value in _options(body[8:], order):
                if option == 9 and value:  # if_tsresol
                    tick = 2.0 ** -(value[0] & 0x7F) if value[0] & 0x80 else 10.0 ** -value[0]
                elif option == 14 and len(value) == 8:  # if_tsoffset
                    offset = float(struct.unpack(order + "q", value)[0])
            interfaces.append((link, tick, offset, snap))
            continue
        if code == SPB:
            if not interfaces or len(body) < 4:
                raise MalformedInput(source.path, where, "a Simple Packet Block after an Interface Description Block")
            link, _tick, _offset, snap = interfaces[0]
            original = struct.unpack_from(order + "I", body)[0]
            captured = min(original, snap or original, len(body) - 4)
            number += 1
            yield link, body[4 : 4 + captured], None, number
            continue
        fixed = 20  # the fixed fields before the packet bytes, in both packet block kinds
        if code == EPB:
            if len(body) < fixed:
                raise MalformedInput(source.path, where, "an Enhanced Packet Block of at least 32 bytes")
            interface, high, low, captured, _original = struct.unpack_from(order + "IIIII", body)
        else:  # OPB, the obsolete Packet Block
            if len(body) < fixed:
                raise MalformedInput(source.path, where, "a Packet Block of at least 32 bytes")
            interface, _drops, high, low, captured, _original = struct.unpack_from(order + "HHIIII", body)
        if interface >= len(interfaces):
            raise MalformedInput(source.path, where, f"an interface id below {len(interfaces)} (the interfaces "
                                 "described so far)", str(interface))
        if fixed + captured > len(body):
            raise MalformedInput(source.path, where, "a captured length that fits in the block", str(captured))
        link, tick, offset, _snap = interfaces[interface]
        number += 1
        yield link, body[fixed : fixed + captured], ((high << 32) | low) * tick + offset, number


def _check_length(source: _Input, where: str, length: int, least: int) -> None:
    if length < least or length % 4 or length > MAX_BLOCK:
        raise MalformedInput(source.path, where, f"a block total length that is a multiple of 4 from {least} to "
                             f"{MAX_BLOCK}", str(length))


def _check_trailer(source: _Input, where: str, trailer: bytes, raw_length: bytes) -> None:
    if trailer != raw_length:
        raise MalformedInput(source.path, where, "the block's total length repeated at its end",
                             f"{trailer.hex()} instead of {raw_length.hex()}")


def _network(link: int, data: bytes) -> tuple[bytes | None, int, int] | None:
    """(source MAC, ethertype, offset of the network header) for the link types read, else None."""
    if link == ETHERNET:
        if len(data) < 14:
            return None
        mac: bytes | None = data[6:12]
        ethertype, offset = (data[12] << 8) | data[13], 14
    elif link == LINUX_SLL:
        if len(data) < 16:
            return None
        _kind, hardware, size = struct.unpack_from("!HHH", data)
        mac = data[6:12] if hardware == 1 and size == 6 else None
        ethertype, offset = (data[14] << 8) | data[15], 16
    elif link == LINUX_SLL2:
        if len(data) < 20:
            return None
        ethertype = (data[0] << 8) | data[1]
        mac = data[12:18] if data[8:10] == b"\x00\x01" and data[11] == 6 else None
        offset = 20
    elif link in (RAW, RAW_ALT, RAW_OPENBSD, IPV4, IPV6):
        if not data:
            return None
        version = data[0] >> 4
        return None, ETH_IPV4 if version == 4 else ETH_IPV6 if version == 6 else 0, 0
    elif link in (NULL, LOOP):
        if len(data) < 4:
            return None
        family = min(struct.unpack_from("<I", data)[0], struct.unpack_from(">I", data)[0])
        return None, ETH_IPV4 if family == 2 else ETH_IPV6 if family in (10, 24, 28, 30) else 0, 4
    else:
        return None
    while ethertype in VLAN_TYPES and len(data) >= offset + 4:
        ethertype = (data[offset + 2] << 8) | data[offset + 3]
        offset += 4
    return mac, ethertype, offset


class _Half:
    """One direction of one TCP connection: its first bytes in sequence order, and what they turned out to be."""

    __slots__ = ("base", "buf", "handshake", "handshake_pos", "kind", "mac", "number", "pending", "pos", "ts")

    def __init__(self, base: int, mac: bytes | None, ts: float | None, number: int) -> None:
        self.base = base
        self.buf = bytearray()
        self.pending: dict[int, bytes] = {}
        self.kind: str | None = None
        self.mac = mac
        self.ts = ts
        self.number = number
        self.pos = 0
        self.handshake = bytearray()
        self.handshake_pos = 0

    def add(self, seq: int, payload: bytes) -> bool:
        """Put a segment in place; whether the contiguous bytes grew."""
        rel = (seq - self.base) & 0xFFFFFFFF
        if rel >= 1 << 31:  # starts before the first byte followed: keep what lies after it
            before = (1 << 32) - rel
            if before >= len(payload):
                return False
            payload, rel = payload[before:], 0
        end = len(self.buf)
        if rel > end:
            if rel < FLOW_CAP and len(self.pending) < MAX_PENDING:
                self.pending[rel] = payload[: FLOW_CAP - rel]
            return False
        if rel + len(payload) <= end or end >= FLOW_CAP:
            return False
        self.buf += payload[end - rel : FLOW_CAP - rel]
        while self.pending:
            grew = False
            for start in sorted(self.pending):
                if start > len(self.buf):
                    break
                piece = self.pending.pop(start)
                if start + len(piece) > len(self.buf):
                    self.buf += piece[len(self.buf) - start : FLOW_CAP - start]
                    grew = True
            if not grew:
                break
        return True

    @property
    def full(self) -> bool:
        return len(self.buf) >= FLOW_CAP


def _content_length(head: bytes) -> tuple[int | None, bool]:
    length: int | None = None
    chunked = False
    for line in head.split(b"\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            try:
                length = max(0, int(value.strip()))
            except ValueError:
                length = None
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    return length, chunked


def _status(head: bytes) -> int:
    parts = head.split(b" ", 2)
    try:
        return int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return 0


def _client_hello_sni(body: bytes) -> str | None:
    try:
        pos = 2 + 32
        pos += 1 + body[pos]
        pos += 2 + int.from_bytes(body[pos : pos + 2], "big")
        pos += 1 + body[pos]
        end = pos + 2 + int.from_bytes(body[pos : pos + 2], "big")
        pos += 2
        while pos + 4 <= min(end, len(body)):
            kind = int.from_bytes(body[pos : pos + 2], "big")
            size = int.from_bytes(body[pos + 2 : pos + 4], "big")
            data = body[pos + 4 : pos + 4 + size]
            if kind == 0 and len(data) >= 5 and data[2] == 0:
                name_length = int.from_bytes(data[3:5], "big")
                name = data[5 : 5 + name_length].decode("ascii", "replace")
                return name.lower().rstrip(".") or None
            pos += 4 + size
    except IndexError:
        return None
    return None


def _is_tls13(server_hello: bytes) -> bool:
    try:
        pos = 2 + 32
        pos += 1 + server_hello[pos]
        pos += 3  # cipher suite and compression method
        end = pos + 2 + int.from_bytes(server_hello[pos : pos + 2], "big")
        pos += 2
        while pos + 4 <= min(end, len(server_hello)):
            kind = int.from_bytes(server_hello[pos : pos + 2], "big")
            size = int.from_bytes(server_hello[pos + 2 : pos + 4], "big")
            if kind == 43 and server_hello[pos + 4 : pos + 6] == b"\x03\x04":
                return True
            pos += 4 + size
    except IndexError:
        return False
    return False


def _leaf_certificate(body: bytes) -> bytes | None:
    if len(body) < 6:
        return None
    size = int.from_bytes(body[3:6], "big")
    der = body[6 : 6 + size]
    return der if len(der) == size and size else None


def _dns_question(data: bytes) -> tuple[bool, str] | None:
    """(is a response, the first question's name) of a DNS message, or None."""
    if len(data) < 17:
        return None
    flags, questions = struct.unpack_from("!HH", data, 2)
    if questions == 0 or flags & 0x7800:  # no question, or not a standard query
        return None
    labels: list[str] = []
    pos = 12
    while pos < len(data):
        size = data[pos]
        if size == 0:
            break
        if size & 0xC0 or len(labels) > 64:
            return None
        labels.append(data[pos + 1 : pos + 1 + size].decode("ascii", "replace"))
        pos += 1 + size
    else:
        return None
    name = ".".join(labels).lower()
    return (bool(flags & 0x8000), name) if name else None


def _dhcp(data: bytes) -> tuple[list[tuple[str, str]], str | None, str | None] | None:
    """(key=value pairs, client MAC, client address) of a DHCP client message naming the client, or None."""
    if len(data) < 240 or data[0] != 1 or data[236:240] != DHCP_COOKIE:
        return None
    hardware, size = data[1], data[2]
    mac = _mac(data[28:34]) if hardware == 1 and size == 6 else None
    address = _ip(data[12:16]) if data[12:16] != b"\x00\x00\x00\x00" else None
    options: dict[int, bytes] = {}
    pos = 240
    while pos < len(data):
        code = data[pos]
        if code == 255:
            break
        if code == 0:
            pos += 1
            continue
        if pos + 1 >= len(data):
            break
        length = data[pos + 1]
        options.setdefault(code, data[pos + 2 : pos + 2 + length])
        pos += 2 + length
    if address is None and len(options.get(50, b"")) == 4:
        address = _ip(options[50])

    def printable(raw: bytes) -> str:
        return "".join(c if c.isprintable() else "?" for c in raw.decode("utf-8", "replace")).strip()

    fqdn = options.get(81, b"")
    pairs = [
        ("hostname", printable(options.get(12, b""))),
        ("vendor_class", printable(options.get(60, b""))),
        ("client_fqdn", printable(fqdn[3:]) if len(fqdn) > 3 and not fqdn[0] & 0x04 else ""),
    ]
    if not any(value for _, value in pairs):
        return None
    pairs.append(("param_list", ",".join(str(b) for b in options.get(55, b""))))
    pairs.append(("client_mac", mac or ""))
    return pairs, mac, address


class _Reader:
    """The state of one capture being read: TCP directions, fragments, evidence already written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records = Records("pcap")
        self.flows: OrderedDict[FlowKey, _Half] = OrderedDict()
        self.done: OrderedDict[FlowKey, None] = OrderedDict()
        self.requests: OrderedDict[FlowKey, str] = OrderedDict()
        self.fragments: OrderedDict[tuple[bytes, bytes, int], tuple[list[tuple[int, bytes]], list[int]]] = \
            OrderedDict()
        self.seen: set[bytes] = set()
        self.mac_owner: dict[bytes, bytes] = {}  # source MAC -> the IP address it sends from (or b"" if several)
        self.peak_flows = 0
        self.evicted = 0
        self.packets = 0
        self.decoded = 0
        self.unsupported: set[int] = set()

    # --- evidence ----------------------------------------------------------------------------------

    def _make(self, protocol: str, response: str, address: str | None, port: int | None, mac: bytes | str | None,
              ts: float | None, request: str, device: str | None = None) -> Iterator[Observation]:
        mac_text = mac if isinstance(mac, str) or mac is None else _mac(mac)
        device = device or address or (f"mac:{mac_text}" if mac_text else "pcap")
        digest = hashlib.blake2b(f"{device}\0{protocol}\0{port}\0{mac_text}\0{response}".encode(),
                                 digest_size=16).digest()
        if digest in self.seen:
            return
        if len(self.seen) >= SEEN_CAP:
            self.seen.clear()
        self.seen.add(digest)
        yield self.records.make(protocol, response, device, address=address, port=port, mac=mac_text,
                                request=request, observed_at=_when(ts))

    # --- packets -----------------------------------------------------------------------------------

    def packet(self, frame: Frame) -> Iterator[Observation]:
        link, data, ts, number = frame
        self.packets += 1
        found = _network(link, data)
        if found is None:
            if link not in (ETHERNET, LINUX_SLL, LINUX_SLL2, RAW, RAW_ALT, RAW_OPENBSD, IPV4, IPV6, NULL, LOOP):
                self.unsupported.add(link)
            return
        self.decoded += 1
        mac, ethertype, offset = found
        if ethertype == ETH_IPV4:
            ip = data[offset:]
            if len(ip) < 20 or ip[0] >> 4 != 4:
                return
            header = (ip[0] & 0x0F) * 4
            total = min((ip[2] << 8) | ip[3], len(ip))
            if total < header:
                return
            protocol, src, dst = ip[9], ip[12:16], ip[16:20]
            payload = ip[header:total]
            fragment = ((ip[6] << 8) | ip[7]) & 0x3FFF
            if fragment:
                if protocol != UDP:
                    return
                whole = self._defragment(src, dst, (ip[4] << 8) | ip[5], fragment, payload)
                if whole is None:
                    return
                payload = whole
        elif ethertype == ETH_IPV6:
            ip = data[offset:]
            if len(ip) < 40 or ip[0] >> 4 != 6:
                return
            protocol, src, dst = ip[6], ip[8:24], ip[24:40]
            end = min(40 + ((ip[4] << 8) | ip[5]), len(ip))
            pos = 40
            while protocol in (0, 43, 60, 51) and pos + 8 <= end:
                step = (ip[pos + 1] + 2) * 4 if protocol == 51 else (ip[pos + 1] + 1) * 8
                protocol = ip[pos]
                pos += step
            if protocol not in (TCP, UDP):
                return  # fragments (44) and anything else
            payload = ip[pos:end]
        else:
            return
        if mac is not None and src != b"\x00\x00\x00\x00":
            owner = self.mac_owner.get(mac)
            if owner is None:
                if len(self.mac_owner) < MAC_CAP:
                    self.mac_owner[mac] = src
                else:
                    mac = None  # past the bound nothing can be checked: leave MACs out
            elif owner != src:
                self.mac_owner[mac] = b""
                mac = None
        if protocol == UDP:
            yield from self._udp(payload, src, dst, mac, ts, number)
        elif protocol == TCP:
            yield from self._tcp(payload, src, dst, mac, ts, number)

    def _defragment(self, src: bytes, dst: bytes, ident: int, fragment: int, payload: bytes) -> bytes | None:
        key = (src, dst, ident)
        pieces, final = self.fragments.get(key) or ([], [])
        if key not in self.fragments:
            if len(self.fragments) >= MAX_FRAGMENTED:
                self.fragments.popitem(last=False)
            self.fragments[key] = (pieces, final)
        start = (fragment & 0x1FFF) * 8
        if start + len(payload) > 65_535 or len(pieces) >= 64:
            del self.fragments[key]
            return None
        pieces.append((start, payload))
        if not fragment & 0x2000:
            final.append(start + len(payload))
        if not final:
            return None
        whole = bytearray(final[0])
        covered = 0
        for begin, piece in sorted(pieces):
            if begin > covered:
                return None
            whole[begin : begin + len(piece)] = piece
            covered = max(covered, begin + len(piece))
        if covered < final[0]:
            return None
        del self.fragments[key]
        return bytes(whole[: final[0]])

    def _udp(self, segment: bytes, src: bytes, dst: bytes, mac: bytes | None, ts: float | None,
             number: int) -> Iterator[Observation]:
        if len(segment) < 8:
            return
        sport, dport, length = struct.unpack_from("!HHH", segment)
        payload = segment[8:length] if length >= 8 else segment[8:]
        if not payload:
            return
        where = f"pcap packet {number}: UDP {_ip(src)}:{sport} -> {_ip(dst)}:{dport}"
        for port in (sport, dport):
            accept = DISCOVERY.get(port)
            if accept is None:
                continue
            got = accept(payload)
            if got is not None:
                yield from self._make(got[0], got[1], _ip(src), sport, mac, ts, where)
                return
        if sport in DHCP_PORTS and dport in DHCP_PORTS:
            dhcp = _dhcp(payload)
            if dhcp is not None:
                pairs, client_mac, address = dhcp
                address = address or (_ip(src) if src != b"\x00\x00\x00\x00" else None)
                if address or client_mac:
                    yield from self._make("dhcp", kv_text(pairs), address, None, client_mac or mac, ts,
                                          where + " (DHCP client message)")
            return
        if DNS_PORT in (sport, dport):
            question = _dns_question(payload)
            if question is None:
                return
            is_response, name = question
            if name.endswith(".arpa"):
                return
            client, sender = (dst, None) if is_response else (src, mac)  # an answer's frame did not come from it
            yield from self._make("other", f"dns_query={name}", _ip(client), None, sender, ts,
                                  where + " (a name this host looked up)")

    def _tcp(self, segment: bytes, src: bytes, dst: bytes, mac: bytes | None, ts: float | None,
             number: int) -> Iterator[Observation]:
        if len(segment) < 20:
            return
        sport, dport, seq = struct.unpack_from("!HHI", segment)
        header = (segment[12] >> 4) * 4
        flags = segment[13]
        payload = segment[header:]
        key = (src, sport, dst, dport)
        if flags & SYN:
            self.done.pop(key, None)
            old = self.flows.pop(key, None)
            if old is not None:
                yield from self._finish(key, old)
            yield from self._track(key, _Half((seq + 1) & 0xFFFFFFFF, mac, ts, number))
        half = self.flows.get(key)
        if payload:
            if half is None:
                if key in self.done:
                    return
                half = _Half(seq, mac, ts, number)
                yield from self._track(key, half)
            else:
                self.flows.move_to_end(key)
            if half.add(seq, payload):
                yield from self._progress(key, half)
        if flags & (FIN | RST):
            for each in ((key, (dst, dport, src, sport)) if flags & RST else (key,)):
                ended = self.flows.pop(each, None)
                if ended is not None:
                    yield from self._finish(each, ended)

    def _track(self, key: FlowKey, half: _Half) -> Iterator[Observation]:
        self.flows[key] = half
        if len(self.flows) > MAX_FLOWS:
            oldest, evicted = self.flows.popitem(last=False)
            self.evicted += 1
            yield from self._finish(oldest, evicted)
        self.peak_flows = max(self.peak_flows, len(self.flows))

    def _retire(self, key: FlowKey) -> None:
        self.flows.pop(key, None)
        self.done[key] = None
        if len(self.done) > DONE_CAP:
            self.done.popitem(last=False)

    def _finish(self, key: FlowKey, half: _Half) -> Iterator[Observation]:
        yield from self._parse(key, half, final=True)
        self._retire(key)

    def _progress(self, key: FlowKey, half: _Half) -> Iterator[Observation]:
        yield from self._parse(key, half, final=half.full)
        if half.kind == "skip" or half.full:
            self._retire(key)

    # --- TCP payloads --------------------------------------------------------------------------------

    def _parse(self, key: FlowKey, half: _Half, final: bool) -> Iterator[Observation]:
        buf = half.buf
        if half.kind is None:
            if len(buf) < 5 and not final:
                return
            if buf.startswith(b"HTTP/"):
                half.kind = "http"
            elif buf.startswith(b"RTSP/"):
                half.kind = "rtsp"
            elif len(buf) >= 2 and buf[0] == 0x16 and buf[1] == 3:
                half.kind = "tls"
            elif buf.startswith(REQUEST_METHODS):
                end = buf.find(b"\r\n")
                if end < 0 and not final and len(buf) < 512:
                    return
                line = bytes(buf[: end if 0 <= end < 512 else 512]).decode("latin-1")
                reverse = (key[2], key[3], key[0], key[1])
                self.requests[reverse] = line
                if len(self.requests) > REQUESTS_CAP:
                    self.requests.popitem(last=False)
                # a POST may be a device's TR-069 Inform to its configuration server: read on for its body
                half.kind = "post" if buf.startswith(b"POST ") else "skip"
                if half.kind == "skip":
                    return
            else:
                half.kind = "skip"
                return
        if half.kind == "post":
            yield from self._post(key, half, final)
        elif half.kind in ("http", "rtsp"):
            yield from self._messages(key, half, final)
        elif half.kind == "tls":
            yield from self._tls(key, half)

    def _where(self, key: FlowKey, half: _Half, what: str) -> str:
        request = self.requests.get(key)  # filed under the answering direction's key
        base = f"pcap packet {half.number}: TCP {_ip(key[0])}:{key[1]} -> {_ip(key[2])}:{key[3]}"
        return f"{base}, {what}" + (f" answering {request!r}" if request else "")

    def _messages(self, key: FlowKey, half: _Half, final: bool) -> Iterator[Observation]:
        buf = half.buf
        rtsp = half.kind == "rtsp"
        final = final or half.full
        while half.pos < len(buf):
            pos = half.pos
            if rtsp and buf[pos] == 0x24:  # '$': interleaved RTP/RTCP data
                if pos + 4 > len(buf):
                    return
                step = 4 + ((buf[pos + 2] << 8) | buf[pos + 3])
                if pos + step > len(buf):
                    return
                half.pos += step
                continue
            if not buf.startswith((b"HTTP/", b"RTSP/"), pos):
                half.kind = "skip"  # not a message where one should start: stop reading this direction
                return
            end = buf.find(b"\r\n\r\n", pos)
            if end < 0:
                if not final:
                    return
                head, body, half.pos = bytes(buf[pos:]), b"", len(buf)
            else:
                head = bytes(buf[pos:end])
                start = end + 4
                length, chunked = _content_length(head)
                code = _status(head)
                if 100 <= code < 200 or code in NO_BODY or (rtsp and length is None):
                    length = 0
                if length is not None and not chunked:
                    if start + length > len(buf) and not final:
                        return
                    body = bytes(buf[start : start + length])
                    half.pos = min(start + length, len(buf))
                else:
                    if not final:
                        return
                    body = dechunk(bytes(buf[start:])) if chunked else bytes(buf[start:])
                    half.pos = len(buf)
            yield from self._message(key, half, head, body, rtsp)

    def _post(self, key: FlowKey, half: _Half, final: bool) -> Iterator[Observation]:
        """The first request of a client direction that is a POST: kept as an ``other`` record of the client
        (the device) when its body is a CWMP (TR-069) message, a device's own description of itself."""
        buf = half.buf
        final = final or half.full
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if final:
                half.kind = "skip"
            return
        length, chunked = _content_length(bytes(buf[:end]))
        start = end + 4
        if length is not None and not chunked:
            if start + length > len(buf) and not final:
                return
            body = bytes(buf[start : start + length])
        else:
            if not final:
                return
            body = dechunk(bytes(buf[start:])) if chunked else bytes(buf[start:])
        half.kind = "skip"
        if CWMP_MARK in body[:4096] and b"Inform" in body:
            where = (f"pcap packet {half.number}: TCP {_ip(key[0])}:{key[1]} -> {_ip(key[2])}:{key[3]}, "
                     "CWMP message the device sent")
            yield from self._make("other", _text(body[: BODY_CAP * 4])[:BODY_CAP], _ip(key[0]), None, half.mac,
                                  half.ts, where)

    def _message(self, key: FlowKey, half: _Half, head: bytes, body: bytes, rtsp: bool) -> Iterator[Observation]:
        address, port = _ip(key[0]), key[1]
        if rtsp:
            text = head.decode("latin-1")
            if body:
                text += "\r\n\r\n" + body[:RTSP_BODY_CAP].decode("latin-1")
            yield from self._make("rtsp", text, address, port, half.mac, half.ts, self._where(key, half, "RTSP answer"))
            return
        where = self._where(key, half, "HTTP answer")
        yield from self._make("http_header", _text(head) + "\r\n\r\n", address, port, half.mac, half.ts, where)
        if body.strip():
            yield from self._make("http_body", _text(body[: BODY_CAP * 4])[:BODY_CAP], address, port, half.mac,
                                  half.ts, where)

    def _tls(self, key: FlowKey, half: _Half) -> Iterator[Observation]:
        buf = half.buf
        while half.pos + 5 <= len(buf):
            pos = half.pos
            kind = buf[pos]
            size = (buf[pos + 3] << 8) | buf[pos + 4]
            if kind != 22:  # anything but a handshake record: the plaintext part is over
                half.kind = "skip"
                return
            if pos + 5 + size > len(buf):
                return
            half.handshake += buf[pos + 5 : pos + 5 + size]
            half.pos += 5 + size
            hs = half.handshake
            while half.handshake_pos + 4 <= len(hs):
                at = half.handshake_pos
                message = hs[at]
                length = int.from_bytes(hs[at + 1 : at + 4], "big")
                if at + 4 + length > len(hs):
                    break
                body = bytes(hs[at + 4 : at + 4 + length])
                half.handshake_pos += 4 + length
                if message == 1:  # ClientHello
                    half.kind = "skip"
                    name = _client_hello_sni(body)
                    if name:
                        yield from self._make("other", f"tls_sni={name}", _ip(key[0]), None, half.mac, half.ts,
                                              self._where(key, half, "TLS ClientHello server name"))
                    return
                if message == 2 and _is_tls13(body):
                    half.kind = "skip"  # TLS 1.3: the certificate is encrypted
                    return
                if message == 11:  # Certificate
                    half.kind = "skip"
                    der = _leaf_certificate(body)
                    if der is None:
                        return
                    try:
                        text = describe_certificate(der)
                    except CertificateError:
                        return
                    yield from self._make("tls_cert", text, _ip(key[0]), key[1], half.mac, half.ts,
                                          self._where(key, half, "TLS server certificate"))
                    return
                if message == 14:  # ServerHelloDone without a certificate
                    half.kind = "skip"
                    return

    def flush(self) -> Iterator[Observation]:
        while self.flows:
            key, half = self.flows.popitem(last=False)
            yield from self._finish(key, half)


class PcapImporter(Importer):
    name = "pcap"
    description = "packet captures (pcap, pcapng): discovery, DHCP, DNS, HTTP, RTSP and TLS seen on the wire"

    def __init__(self) -> None:
        self.last: _Reader | None = None  # the state of the last read (flows kept, evictions), for tests

    def detect(self, head: bytes, path: Path) -> bool:
        return head[:4] in PCAP_MAGIC or head[:4] == PCAPNG_SHB

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Observation]:
        reader = _Reader(path)
        self.last = reader
        with open_input(path, progress) as stream:
            source = _Input(stream, path)
            magic = source.take(4, "byte 0", "a pcap or pcapng file header")
            if magic in PCAP_MAGIC:
                frames = _pcap_frames(source, magic)
            elif magic == PCAPNG_SHB:
                frames = _pcapng_frames(source, magic)
            else:
                raise MalformedInput(path, "byte 0", "a pcap magic (a1b2c3d4 or a1b23c4d, either byte order) or a "
                                     "pcapng Section Header Block (0a0d0d0a)", magic.hex())
            for frame in frames:
                yield from reader.packet(frame)
            yield from reader.flush()
        if reader.packets and not reader.decoded and reader.unsupported:
            kinds = ", ".join(str(k) for k in sorted(reader.unsupported))
            raise ImportError_(f"{path}: link type {kinds} is not read (Ethernet, Linux cooked SLL/SLL2, raw IP and "
                               "BSD loopback are); nothing of this file was kept")
