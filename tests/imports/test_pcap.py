"""camaudit import of packet captures: discovery, DHCP, DNS, HTTP, RTSP and TLS seen on the wire identify a
device as a live scan would; pcap and pcapng, each link type, a cut-off capture and a large one.

The captures are built here: synthetic Ethernet/IP/UDP/TCP framing written by these helpers around payloads
RECORDED from real devices (src/camaudit/simulate/recordings/*.yaml, each with its public source). See
tests/fixtures/imports/SOURCES.md ("synthetic packets, recorded payloads").
"""

from __future__ import annotations

import datetime
import functools
import gzip
import re
import struct
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from camaudit.collect.dhip import frame as dhip_frame
from camaudit.collect.imports import pcap as pcap_module
from camaudit.collect.imports.interface import ImportError_, MalformedInput
from camaudit.collect.imports.pcap import PcapImporter
from camaudit.collect.imports.runner import import_file
from camaudit.model import Identity, Observation
from camaudit.simulate.recordings import load_recordings
from camaudit.store import Store

TABLES = ("scans", "hosts", "observations", "identities", "findings")
CLIENT = "192.168.1.10"
CLIENT_MAC = "02:00:00:00:00:0a"
T0 = 1_700_000_000


# --- packet building: synthetic framing -------------------------------------------------------------

def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", "").replace("-", ""))


def _addr(text: str) -> bytes:
    return bytes(int(part) for part in text.split("."))


def ethernet(src: str, payload: bytes, dst: str = "01:00:5e:7f:ff:fa", vlans: Sequence[int] = (),
             ethertype: int = 0x0800) -> bytes:
    tags = b"".join(struct.pack("!HH", 0x8100, vid) for vid in vlans)
    return _mac(dst) + _mac(src) + tags + struct.pack("!H", ethertype) + payload


def ipv4(src: str, dst: str, proto: int, payload: bytes, ident: int = 1, fragment: int = 0) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, fragment, 64, proto, 0, _addr(src),
                       _addr(dst)) + payload


def udp(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport: int, dport: int, seq: int, payload: bytes = b"", flags: int = 0x18, ack: int = 0) -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack, 5 << 4, flags, 65535, 0, 0) + payload


class Packet:
    """One frame as the device (or its peer) sent it, kept as network-layer bytes plus the MACs."""

    def __init__(self, src_mac: str, dst_mac: str, ip: bytes) -> None:
        self.src_mac, self.dst_mac, self.ip = src_mac, dst_mac, ip

    def frame(self, link: str) -> bytes:
        if link == "ethernet":
            return ethernet(self.src_mac, self.ip, self.dst_mac)
        if link == "vlan":
            return ethernet(self.src_mac, self.ip, self.dst_mac, vlans=(100, 20))
        if link == "sll":
            return struct.pack("!HHH", 0, 1, 6) + _mac(self.src_mac) + b"\x00\x00" + struct.pack("!H", 0x0800) + \
                self.ip
        if link == "sll2":
            return struct.pack("!HHIHBB", 0x0800, 0, 2, 1, 0, 6) + _mac(self.src_mac) + b"\x00\x00" + self.ip
        assert link == "raw"
        return self.ip


LINKTYPES = {"ethernet": 1, "vlan": 1, "sll": 113, "sll2": 276, "raw": 101}


def udp_packets(src: str, src_mac: str, dst: str, sport: int, dport: int, payload: bytes,
                mtu: int = 1500) -> list[Packet]:
    """A UDP datagram, split into IPv4 fragments when it does not fit the MTU."""
    datagram = udp(sport, dport, payload)
    step = (mtu - 20) // 8 * 8
    out = []
    for start in range(0, len(datagram), step):
        more = 0x2000 if start + step < len(datagram) else 0
        out.append(Packet(src_mac, "01:00:5e:7f:ff:fa",
                          ipv4(src, dst, 17, datagram[start : start + step], ident=7, fragment=more | start // 8)))
    return out


def tcp_exchange(client: str, server: str, server_mac: str, port: int, request: bytes, answer: bytes,
                 segment: int = 700, reorder: bool = True) -> list[Packet]:
    """A whole TCP connection: handshake, one request, the answer in segments (two of them swapped), FIN."""
    cport, cseq, sseq = 50000 + port % 1000, 1000, 900_000

    def c(payload: bytes = b"", flags: int = 0x18, seq: int = 0) -> Packet:
        return Packet(CLIENT_MAC, server_mac, ipv4(client, server, 6, tcp(cport, port, seq, payload, flags)))

    def s(payload: bytes = b"", flags: int = 0x18, seq: int = 0) -> Packet:
        return Packet(server_mac, CLIENT_MAC, ipv4(server, client, 6, tcp(port, cport, seq, payload, flags)))

    out = [c(flags=0x02, seq=cseq), s(flags=0x12, seq=sseq), c(flags=0x10, seq=cseq + 1)]
    if request:
        out.append(c(request, seq=cseq + 1))
    pieces = [s(answer[i : i + segment], seq=sseq + 1 + i) for i in range(0, len(answer), segment)]
    if reorder and len(pieces) >= 3:
        pieces[1], pieces[2] = pieces[2], pieces[1]
    out.extend(pieces)
    out.append(s(answer[:10], seq=sseq + 1))  # a retransmission
    out.append(s(flags=0x11, seq=sseq + 1 + len(answer)))
    out.append(c(flags=0x11, seq=cseq + 1 + len(request)))
    return out


def pcap_bytes(frames: Iterable[bytes], linktype: int = 1, order: str = "<", nano: bool = False) -> bytes:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)]
    for i, data in enumerate(frames):
        fraction = i * (1000 if nano else 1)
        out.append(struct.pack(order + "IIII", T0 + i, fraction, len(data), len(data)) + data)
    return b"".join(out)


def _block(kind: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def pcapng_bytes(frames: Iterable[bytes], linktype: int = 1) -> bytes:
    shb = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    tsresol = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)  # nanoseconds, then opt_endofopt
    idb = _block(1, struct.pack("<HHI", linktype, 0, 262144) + tsresol)
    comment = _block(0x00000BAD, b"a custom block the reader must skip")
    out = [shb, idb, comment]
    for i, data in enumerate(frames):
        ticks = (T0 + i) * 1_000_000_000
        out.append(_block(6, struct.pack("<IIIII", 0, ticks >> 32, ticks & 0xFFFFFFFF, len(data), len(data)) + data))
    out.append(_block(5, b"\x00" * 8))  # an Interface Statistics Block, skipped
    return b"".join(out)


# --- recorded payloads ---------------------------------------------------------------------------------

def recorded(name: str) -> str:
    return load_recordings()[name].response


def wire(text: str) -> bytes:
    """A recorded HTTP/RTSP/SSDP message as it travels: CRLF line ends, a blank line after the head."""
    head, _, body = text.partition("\n\n")
    lines = head.strip("\n").split("\n")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def _dns_name(name: str) -> bytes:
    return b"".join(bytes([len(label.encode())]) + label.encode() for label in name.split(".")) + b"\x00"


def mdns_answer(lines: str) -> bytes:
    """A DNS response carrying the recorded records (camaudit's text layout turned back into the wire form)."""
    records = []
    for line in lines.strip().splitlines():
        kind, rest = line.split(" ", 1)
        if kind == "A":
            name, address = rest.rsplit(" ", 1)
            records.append(_dns_name(name) + struct.pack("!HHIH", 1, 0x8001, 120, 4) + _addr(address))
        elif kind == "PTR":
            name, target = rest.split(" ", 1)
            data = _dns_name(target)
            records.append(_dns_name(name) + struct.pack("!HHIH", 12, 1, 4500, len(data)) + data)
        elif kind == "TXT":
            name, item = rest.rsplit(" ", 1)
            data = bytes([len(item)]) + item.encode()
            records.append(_dns_name(name) + struct.pack("!HHIH", 16, 0x8001, 4500, len(data)) + data)
        elif kind == "SRV":
            name, target = rest.rsplit(" ", 1)
            host, port = target.rsplit(":", 1)
            data = struct.pack("!HHH", 0, 0, int(port)) + _dns_name(host)
            records.append(_dns_name(name) + struct.pack("!HHIH", 33, 0x8001, 120, len(data)) + data)
    return struct.pack("!HHHHHH", 0, 0x8400, 0, 1, 0, len(records) - 1) + b"".join(records)


def dns_query(name: str) -> bytes:
    return struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + _dns_name(name) + struct.pack("!HH", 1, 1)


def dhcp_request(mac: str, hostname: str, vendor_class: str, requested: str) -> bytes:
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x3903F326, 0, 0, bytes(4), bytes(4), bytes(4),
                        bytes(4), _mac(mac), b"", b"")
    options = bytes([53, 1, 3]) + bytes([50, 4]) + _addr(requested) + bytes([12, len(hostname)]) + \
        hostname.encode() + bytes([60, len(vendor_class)]) + vendor_class.encode() + bytes([55, 4, 1, 3, 6, 15, 255])
    return fixed + b"\x63\x82\x53\x63" + options


@functools.lru_cache(maxsize=1)
def dahua_certificate() -> bytes:
    """A certificate carrying the RECORDED Dahua subject and issuer names (dahua.yaml#dahua-nvr-ca-tls-cert); the
    key, serial and validity are made up here, as the recording gives only the names."""
    nbsp = "\u00a0"
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "192.168.2.70"),
                         x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")])
    issuer = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"Dahua{nbsp}Device{nbsp}NVR{nbsp}CA"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Zhejiang{nbsp}Dahua{nbsp}Technology{nbsp}Co.,Ltd."),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Zhejiang"),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "Hangzhou"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
    ])
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(0x5DA1).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.DER)


def _handshake(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + len(body).to_bytes(3, "big") + body


def _records(handshakes: bytes, size: int = 500) -> bytes:
    return b"".join(b"\x16\x03\x03" + len(handshakes[i : i + size]).to_bytes(2, "big") + handshakes[i : i + size]
                    for i in range(0, len(handshakes), size))


def server_flight(der: bytes) -> bytes:
    hello = b"\x03\x03" + bytes(32) + b"\x00" + b"\xc0\x2f" + b"\x00" + b"\x00\x00"
    chain = len(der).to_bytes(3, "big") + der
    certificate = len(chain).to_bytes(3, "big") + chain
    return _records(_handshake(2, hello) + _handshake(11, certificate) + _handshake(14, b""))


def client_hello(server_name: str) -> bytes:
    name = server_name.encode()
    sni = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    extensions = struct.pack("!HH", 0, len(sni)) + sni
    body = b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\xc0\x2f" + b"\x01\x00" + \
        struct.pack("!H", len(extensions)) + extensions
    return _records(_handshake(1, body))


HIK_SADP_MAC = "58:50:ed:1f:e3:85"
DAHUA_TLS = "192.168.2.70"
DHCP_MAC = "44:19:b6:00:00:07"


def capture() -> list[Packet]:
    """One of each kind of evidence, in the order a capture might hold them."""
    out: list[Packet] = []
    # SADP ProbeMatch (1.7 KB: it travels as two IPv4 fragments)
    out += udp_packets("192.168.124.40", HIK_SADP_MAC, "239.255.255.250", 37020, 37020,
                       recorded("hik-ds2cd2385g1-i-sadp-probematch").encode())
    # ONVIF WS-Discovery Hello from a Dahua camera
    out += udp_packets("192.168.1.45", "02:00:00:00:01:45", "239.255.255.250", 3702, 3702,
                       recorded("dahua-ipc-hfw2228m-i1-v2-ws-discovery-hello").encode())
    # DHIP client.notifyDevInfo (the recording's JSON in the 32-byte DHIP framing)
    out += udp_packets("218.5.136.140", "4c:11:bf:c2:0b:9d", CLIENT, 37810, 52000,
                       dhip_frame(recorded("dahua-ipc-hdw5421s-dhip-notifydevinfo").encode()))
    # SSDP M-SEARCH answer from an Axis camera
    out += udp_packets("192.168.1.102", "ac:cc:8e:27:0a:d8", CLIENT, 1900, 52001,
                       wire(recorded("axis-m1014-ssdp-msearch-response")))
    # mDNS answer from a Hikvision camera
    out += udp_packets("10.0.1.164", "02:00:00:01:01:64", "224.0.0.251", 5353, 5353,
                       mdns_answer(recorded("hik-ds2cd2722fwd-izs-mdns-cgi-tcp")))
    # DHCPREQUEST from a host with a Hikvision MAC prefix (host name and vendor class made up)
    out += udp_packets("0.0.0.0", DHCP_MAC, "255.255.255.255", 68, 67,
                       dhcp_request(DHCP_MAC, "gate-cam", "udhcp 1.19.4", "192.168.1.77"))
    # its DNS query for its maker's cloud (name from discovery.yaml#hik-ds-k1a340fwx-isapi-network-ezviz)
    out += udp_packets("192.168.1.77", DHCP_MAC, "192.168.1.1", 40000, 53, dns_query("litedev.hik-connect.com"))
    # RTSP 401 from a Dahua camera (realm "Login to <serial>")
    out += tcp_exchange(CLIENT, "115.236.15.165", "02:00:00:00:02:65", 554,
                        b"OPTIONS rtsp://115.236.15.165:554/cam/realmonitor?channel=1&subtype=0 RTSP/1.0\r\n"
                        b"CSeq: 2\r\n\r\n", wire(recorded("dahua-4m0747-rtsp-options-401")))
    # HTTP 401 head and body from a Hikvision recorder (Server: DNVRS-Webs)
    http = wire(recorded("hik-eri-k104-p4-isapi-status-401-header")).rstrip(b"\r\n") + b"\r\n\r\n" + \
        recorded("hik-eri-k104-p4-isapi-status-401-body").replace("\n", "\r\n").encode()
    out += tcp_exchange(CLIENT, "192.168.1.64", "02:00:00:00:00:64", 80,
                        b"GET /ISAPI/System/status HTTP/1.1\r\nHost: 192.168.1.64\r\n\r\n", http, segment=100)
    # TLS 1.2 server flight with the Dahua device CA as issuer
    out += tcp_exchange(CLIENT, DAHUA_TLS, "02:00:00:00:02:70", 443, client_hello("nvr.example"),
                        server_flight(dahua_certificate()), segment=300)
    # a TLS ClientHello from the DHCP host to its cloud
    out += tcp_exchange("192.168.1.77", "203.0.113.9", "02:00:00:00:00:01", 443,
                        client_hello("litedev.hik-connect.com"), b"\x15\x03\x03\x00\x02\x02\x28")
    for packet in out[-9:]:
        if packet.ip[12:16] == _addr("192.168.1.77"):
            packet.src_mac = DHCP_MAC
    return out


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def identities(store: Store, scan_id: int) -> dict[str, Identity]:
    return {i.device: i for i in store.identities(scan_id)}


def by_mac(found: dict[str, Identity], mac: str) -> Identity:
    return next(i for i in found.values() if i.mac == mac)


def counts(store: Store) -> dict[str, int]:
    found = store.counts()
    return {t: found[t] for t in TABLES}


def read_all(path: Path) -> list[Observation]:
    return list(PcapImporter().read(path))


# --- each protocol identifies as a live scan would ------------------------------------------------------

@pytest.fixture()
def classic(tmp_path: Path) -> Path:
    return write(tmp_path, "capture.pcap", pcap_bytes(p.frame("ethernet") for p in capture()))


def test_pcap_identifies_each_protocol(store: Store, classic: Path) -> None:
    result = import_file(store, classic, progress=False)
    assert result.format == "pcap"
    found = identities(store, result.scan_id or 0)

    hik = found["192.168.124.40"]  # SADP ProbeMatch: maker, model, serial and MAC
    assert (hik.manufacturer, hik.model, hik.manufacturer_basis) == ("Hikvision", "DS-2CD2385G1-I", "fingerprint")
    assert hik.serial == "DS-2CD2385G1-I20200414AAWRE33842150" and hik.mac == HIK_SADP_MAC
    assert 37020 in hik.open_ports

    assert found["192.168.1.45"].manufacturer == "Dahua"  # WS-Discovery Hello
    dhip = found["218.5.136.140"]  # DHIP notifyDevInfo
    assert (dhip.manufacturer, dhip.model) == ("Dahua", "IPC-HDW5421S")
    assert found["192.168.1.102"].manufacturer == "Axis"  # SSDP
    assert found["10.0.1.164"].manufacturer == "Hikvision"  # mDNS _CGI._tcp
    rtsp = found["115.236.15.165"]  # RTSP 401 realm "Login to <serial>"
    assert rtsp.manufacturer == "Dahua" and rtsp.open_ports == (554,)
    http = found["192.168.1.64"]  # HTTP Server: DNVRS-Webs
    assert http.manufacturer == "Hikvision" and any(e.rule == "http.server.hikvision-dnvrs-webs"
                                                    for e in http.evidence)
    tls = found[DAHUA_TLS]  # TLS certificate issued by the Dahua device CA
    assert tls.manufacturer == "Dahua" and any(e.rule == "tls.dahua.issuer" for e in tls.evidence)
    dhcp_host = by_mac(found, DHCP_MAC)  # DHCP, DNS and SNI of one host: its MAC prefix is Hikvision's
    assert (dhcp_host.manufacturer, dhcp_host.manufacturer_basis) == ("Hikvision", "oui")

    observations = {(o.address, o.protocol): o for o in store.observations(result.scan_id or 0)}
    cert = observations[(DAHUA_TLS, "tls_cert")]
    assert cert.response.startswith("subject: C=CN,CN=192.168.2.70\nissuer: C=CN,L=Hangzhou,ST=Zhejiang,"
                                    "O=Zhejiang\u00a0Dahua\u00a0Technology\u00a0Co.\\,Ltd.,CN=Dahua\u00a0Device")
    assert cert.response.endswith("\nserial: 5da1")
    assert cert.port == 443 and cert.mac == "02:00:00:00:02:70"
    header = observations[("192.168.1.64", "http_header")]
    assert header.response.startswith("HTTP/1.1 401 Unauthorized\r\nDate:") and header.response.endswith("\r\n\r\n")
    assert "GET /ISAPI/System/status HTTP/1.1" in (header.request or "")
    body = observations[("192.168.1.64", "http_body")]
    assert "<statusString>Unauthorized</statusString>" in body.response
    assert observations[("115.236.15.165", "rtsp")].response.startswith("RTSP/1.0 401 Unauthorized\r\nCSeq: 2")
    dhcp = observations[("192.168.1.77", "dhcp")]
    assert dhcp.response.splitlines() == ["hostname=gate-cam", "vendor_class=udhcp 1.19.4", "param_list=1,3,6,15",
                                          f"client_mac={DHCP_MAC}"]
    assert dhcp.mac == DHCP_MAC
    others = {o.response for o in store.observations(result.scan_id or 0) if o.protocol == "other"}
    assert others == {"dns_query=litedev.hik-connect.com", "tls_sni=litedev.hik-connect.com", "tls_sni=nvr.example"}
    assert all(o.observed_at and o.observed_at.startswith("2023-11-14T") for o in observations.values())


def test_pcap_records_once_and_with_addresses(classic: Path) -> None:
    observations = read_all(classic)
    keys = [(o.device, o.protocol, o.response) for o in observations]
    assert len(keys) == len(set(keys))  # the retransmitted segments and repeated packets add nothing
    sadp = next(o for o in observations if o.protocol == "sadp")
    assert (sadp.address, sadp.port, sadp.mac) == ("192.168.124.40", 37020, HIK_SADP_MAC)
    # two IPv4 fragments: the second one completes the datagram
    assert sadp.request == "pcap packet 2: UDP 192.168.124.40:37020 -> 239.255.255.250:37020"


def test_a_mac_sending_for_several_addresses_is_left_out(tmp_path: Path) -> None:
    """Behind a router every frame carries the router's MAC: it must not tie the hosts together."""
    router = "02:00:00:00:0f:01"
    packets = [Packet(router, CLIENT_MAC, ipv4(source, CLIENT, 17, udp(1900, 52001, wire(recorded(name)))))
               for source, name in (("203.0.113.5", "axis-m1014-ssdp-msearch-response"),
                                    ("203.0.113.6", "axis-m1014-ssdp-notify-byebye"))]
    found = read_all(write(tmp_path, "routed.pcap", pcap_bytes(p.frame("ethernet") for p in packets)))
    assert [(o.address, o.mac) for o in found] == [("203.0.113.5", router), ("203.0.113.6", None)]


# --- containers and link types -------------------------------------------------------------------------

def _summary(observations: list[Observation]) -> list[tuple[str | None, str, str | None, str]]:
    out = []
    for o in observations:
        response = o.response if o.protocol != "tls_cert" else o.response.split("\nserial:")[0]
        out.append((o.address, o.protocol, o.mac, response))
    return sorted(out)


@pytest.mark.parametrize(("name", "build"), [
    ("pcapng", lambda frames: pcapng_bytes(frames)),
    ("big-endian", lambda frames: pcap_bytes(frames, order=">")),
    ("nanosecond", lambda frames: pcap_bytes(frames, nano=True)),
    ("gzip", lambda frames: gzip.compress(pcap_bytes(frames))),
])
def test_containers_give_the_same_evidence(tmp_path: Path, classic: Path, name: str, build) -> None:  # type: ignore[no-untyped-def]
    packets = capture()
    path = write(tmp_path, f"c-{name}", build([p.frame("ethernet") for p in packets]))
    assert _summary(read_all(path)) == _summary(read_all(classic))


@pytest.mark.parametrize("link", ["vlan", "sll", "sll2", "raw"])
def test_link_types(tmp_path: Path, classic: Path, link: str) -> None:
    packets = capture()
    path = write(tmp_path, f"{link}.pcapng", pcapng_bytes((p.frame(link) for p in packets), LINKTYPES[link]))
    got = _summary(read_all(path))
    expected = _summary(read_all(classic))
    if link == "raw":  # no link layer, so no MAC but the one DHCP names itself
        expected = [(a, p, m if p == "dhcp" else None, r) for a, p, m, r in expected]
    assert got == expected


def test_auto_detection_and_format_name(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "capture.bin", pcapng_bytes(p.frame("ethernet") for p in capture()))
    result = import_file(store, path, progress=False)
    assert result.format == "pcap" and result.identified >= 9
    again = write(tmp_path, "capture2.cap", pcap_bytes(p.frame("ethernet") for p in capture()[:2]))
    assert import_file(store, again, "pcap", progress=False).identified == 1


def test_ipv6_with_an_extension_header(store: Store, tmp_path: Path) -> None:
    import socket

    src, dst = "fe80::aecc:8eff:fe27:ad8", "fe80::1"  # the Axis MAC's EUI-64 link-local address
    datagram = udp(1900, 52001, wire(recorded("axis-m1014-ssdp-msearch-response")))
    hop_by_hop = bytes([17, 0]) + bytes(6)  # next header UDP, 8 bytes of padding options
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(hop_by_hop) + len(datagram), 0, 1,
                     socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst))
    frame = ethernet("ac:cc:8e:27:0a:d8", ip + hop_by_hop + datagram, "02:00:00:00:00:0a", ethertype=0x86DD)
    result = import_file(store, write(tmp_path, "v6.pcap", pcap_bytes([frame])), progress=False)
    axis = identities(store, result.scan_id or 0)[src]
    assert axis.manufacturer == "Axis" and axis.address == src


# --- broken captures: one clear error, store unchanged ---------------------------------------------------

def _cut_pcap(tmp_path: Path) -> tuple[Path, int]:
    data = pcap_bytes(p.frame("ethernet") for p in capture())
    last = len(capture()[-1].frame("ethernet")) + 16
    return write(tmp_path, "cut.pcap", data[:-5]), len(data) - last


def _cut_pcap_header(tmp_path: Path) -> tuple[Path, int]:
    data = pcap_bytes(p.frame("ethernet") for p in capture())
    last = len(capture()[-1].frame("ethernet")) + 16
    return write(tmp_path, "cut.pcap", data[: len(data) - last + 9]), len(data) - last


def _cut_pcapng(tmp_path: Path) -> tuple[Path, int]:
    data = pcapng_bytes(p.frame("ethernet") for p in capture())
    stats = 12 + 8
    last = 12 + 20 + len(capture()[-1].frame("ethernet")) + (-len(capture()[-1].frame("ethernet")) % 4)
    return write(tmp_path, "cut.pcapng", data[: -stats - 3]), len(data) - stats - last


def _bad_block_length(tmp_path: Path) -> tuple[Path, int]:
    data = bytearray(pcapng_bytes(p.frame("ethernet") for p in capture()))
    at = 28 + 32 + 48  # SHB, IDB with its options, the custom block: the first packet block
    data[at + 4 : at + 8] = struct.pack("<I", 13)
    return write(tmp_path, "bad.pcapng", bytes(data)), at


@pytest.mark.parametrize(("make", "expected"), [
    (_cut_pcap, "bytes of packet data"),
    (_cut_pcap_header, "a 16-byte pcap packet record header"),
    (_cut_pcapng, "more bytes of a"),
    (_bad_block_length, "a block total length that is a multiple of 4"),
])
def test_broken_capture_one_error_store_unchanged(store: Store, tmp_path: Path, make, expected: str) -> None:  # type: ignore[no-untyped-def]
    import_file(store, write(tmp_path, "good.pcap", pcap_bytes(p.frame("ethernet") for p in capture()[:2])),
                progress=False)
    before = counts(store)
    path, offset = make(tmp_path)
    with pytest.raises(MalformedInput) as caught:
        import_file(store, path, progress=False)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: byte {offset} "), message
    assert re.search(rf"expected (\d+ )?{expected}", message), message
    assert counts(store) == before


def test_not_a_capture_and_unread_link_type(store: Store, tmp_path: Path) -> None:
    with pytest.raises(MalformedInput, match="byte 0: expected a pcap magic"):
        list(PcapImporter().read(write(tmp_path, "x.pcap", b"GIF89a" + bytes(40))))
    radiotap = write(tmp_path, "wifi.pcap", pcap_bytes([b"\x00" * 40], linktype=127))
    with pytest.raises(ImportError_, match="link type 127 is not read"):
        import_file(store, radiotap, "pcap", progress=False)
    assert counts(store)["scans"] == 0


# --- bounded memory on a large capture -------------------------------------------------------------------

def large_capture(path: Path, packets: int) -> None:
    """Many TCP connections that never finish (each direction sends a head start and stops), interleaved with
    discovery announcements, so the reader has to drop flows to stay within its bounds."""
    sadp_payload = ipv4("192.168.124.40", "239.255.255.250", 17,
                        udp(37020, 37020, b"<ProbeMatch><DeviceSN>X</DeviceSN></ProbeMatch>"))
    sadp_frame = ethernet(HIK_SADP_MAC, sadp_payload)
    head = b"HTTP/1.1 200 OK\r\nServer: DNVRS-Webs\r\nContent-Length: 100000\r\n\r\n<html>"
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i in range(packets):
            if i % 100 == 0:
                data = sadp_frame
            else:
                server = f"10.{(i >> 16) & 0xFF}.{(i >> 8) & 0xFF}.{i & 0xFF}"
                data = ethernet("02:00:00:00:00:01", ipv4(server, CLIENT, 6, tcp(80, 40000 + i % 20000, i, head)))
            out.write(struct.pack("<IIII", T0 + i // 1000, i % 1000, len(data), len(data)) + data)


def test_large_capture_keeps_flows_bounded(tmp_path: Path) -> None:
    path = tmp_path / "large.pcap"
    large_capture(path, 200_000)
    importer = PcapImporter()
    records: Counter[str] = Counter(o.protocol for o in importer.read(path))
    state = importer.last
    assert state is not None and state.packets == 200_000
    assert state.peak_flows <= pcap_module.MAX_FLOWS  # never more flows held than the bound
    assert state.evicted >= 190_000 - pcap_module.MAX_FLOWS  # the rest were finished early and dropped
    assert not state.flows and len(state.done) <= pcap_module.DONE_CAP
    assert set(records) == {"sadp", "http_header", "http_body"}
    assert records["http_header"] == records["http_body"] == 198_000  # each server's answer, once
    # the announcement is written once per SEEN_CAP records (the memory of what was written is bounded too)
    assert records["sadp"] <= 1 + sum(records.values()) // pcap_module.SEEN_CAP


# --- TR-069: a device's Inform to its configuration server ------------------------------------------------

def _inform_post() -> bytes:
    """The Inform of the cwmp-inform parser's ZyXEL example (data/knowledge/parsers.yaml, from
    Fullrate/cwmp_ex's parser test), POSTed as a device posts it to its ACS."""
    from camaudit.identify.declared.book import load_parser_book

    (example, _sagemcom) = load_parser_book()["cwmp-inform"].examples
    assert example.value is not None
    body = example.value.encode()
    head = (b"POST /cwmp HTTP/1.1\r\nHost: acs.example:7547\r\nContent-Type: text/xml; charset=utf-8\r\n"
            b"SOAPAction: \"\"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    return head + body


def test_a_devices_cwmp_inform_is_read_as_its_own_self_description(tmp_path: Path) -> None:
    # the device (192.168.1.1) is the client here: its POST carries the Inform, the server only says 200
    packets = tcp_exchange("192.168.1.1", "198.51.100.20", "02:00:00:00:00:02", 7547, _inform_post(),
                           b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    path = write(tmp_path, "cwmp.pcap", pcap_bytes(p.frame("ethernet") for p in packets))
    records = [o for o in read_all(path) if o.protocol == "other"]
    assert len(records) == 1
    (inform,) = records
    assert inform.address == "192.168.1.1" and inform.mac == CLIENT_MAC
    assert "<Manufacturer>ZyXEL</Manufacturer>" in inform.response
    assert "CWMP message the device sent" in (inform.request or "")
    from camaudit.audit import Stages

    (identity,) = Stages.default().identifier.identify_all(records)
    assert (identity.manufacturer, identity.model, identity.serial) == ("Zyxel", "P-2601HN-F1", "EC43F69AF408")


def test_a_post_that_is_not_cwmp_is_not_kept(tmp_path: Path) -> None:
    body = b"user=admin&password=x"
    request = b"POST /login HTTP/1.1\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    packets = tcp_exchange("192.168.1.9", "192.168.1.64", "02:00:00:00:00:03", 80, request,
                           b"HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n")
    path = write(tmp_path, "login.pcap", pcap_bytes(p.frame("ethernet") for p in packets))
    assert not [o for o in read_all(path) if o.protocol == "other"]
