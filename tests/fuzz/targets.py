"""Fuzz targets: one per parser family, each taking the bytes a hostile device or file could hold.

A target runs what camaudit runs on such bytes, up to what it keeps:
- ``identify``: evidence-record lines, read as ``camaudit identify`` reads them, identified, written out;
- ``http``, ``rtsp``: a device's answer on a socket, read with the live scan's bounded reader, turned into
  the observations the probes make, split into the parts fingerprint rules read;
- ``tls``: a DER certificate, described as a live scan, pcap and masscan imports describe one, and split;
- ``sadp``, ``ws_discovery``, ``dhip``, ``ssdp``, ``mdns``: a datagram on the protocol's port, accepted or
  refused as the discovery transport does, and split into parts;
- one per importer (``register_csv``, ``register_xlsx``, ``nmap``, ``zeek``, ``masscan``, ``zgrab2``,
  ``shodan``, ``censys``, ``pcap``): the bytes as a file, format detection, the importer's stream, and the
  store's insert of every record (in a transaction rolled back after each input).

The documented outcomes are not crashes: an importer's :class:`ImportError_` (``MalformedInput``...),
identify's per-line skip message, a certificate's :class:`CertificateError`, a datagram the protocol
refuses. Anything else raised is a crash. Seeds are the project's own fixtures and recordings, plus the
seeds and crash regressions under ``tests/fixtures/fuzz``.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from camaudit.collect import http
from camaudit.collect.dhip import frame as dhip_frame
from camaudit.collect.discovery import dhip_multicast, mdns, sadp, ssdp, wsdiscovery
from camaudit.collect.imports.censys import CensysImporter
from camaudit.collect.imports.interface import Importer, ImportError_, read_head
from camaudit.collect.imports.masscan import MasscanImporter
from camaudit.collect.imports.nmap import NmapImporter
from camaudit.collect.imports.pcap import PcapImporter
from camaudit.collect.imports.register import RegisterImporter
from camaudit.collect.imports.shodan import ShodanImporter
from camaudit.collect.imports.zeek import ZeekImporter
from camaudit.collect.imports.zgrab2 import Zgrab2Importer
from camaudit.collect.limits import Budget, Deadline, read_message
from camaudit.collect.tls import CertificateError, describe_certificate
from camaudit.identify.parts import observation_parts
from camaudit.identify.pipeline import Identifier
from camaudit.identify.records import read_records
from camaudit.model import Identity, Observation
from camaudit.simulate.recordings import load_recordings
from camaudit.store import Store, open_store
from tests.fuzz.families import FAMILIES

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
FUZZ_FIXTURES = FIXTURES / "fuzz"
IMPORT_FIXTURES = FIXTURES / "imports"
BUDGET = Budget()

#: byte strings that reach the crash classes quickly (also given to atheris as its dictionary)
TOKENS: tuple[bytes, ...] = (
    b"\\ud800", b"\\udfff", b"\\ud83d\\ude00", b"9" * 4400, b"1e999", b"-1e999", b"NaN", b"Infinity", b"[" * 1200,
    b"{\"a\":" * 1100, b"<?xml version=\"1.0\" encoding=\"x-no-such\"?>",
    b"<?xml version=\"1.0\" encoding=\"utf-16\"?>",
    b"<!DOCTYPE a [<!ENTITY e \"x\">]>", b"&#0;", b"&#xD800;", b"\\x", b"\\x0", b"#separator \\x", b"\x00",
    b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x1f\x8b\x08\x00", b"PK\x03\x04", b"\r\n\r\n", b"\n\n",
    b"Content-Length: 99999999999999999999\r\n", b"Transfer-Encoding: chunked\r\n", b"ffffffffffffffff\r\n",
    b"\"port\": 18446744073709551616", b"\"port\": 1e400", b"\"port\": -1", b"portid=\"99999999999999999999\"",
    b"\"timestamp\": 1e300", b"\x30\x82\xff\xff", b"\x06\x03\x55\x1d\x11", b"\xc0\x0c", b"\xc0\x00",
)


@dataclass(frozen=True)
class Target:
    name: str
    family: str  # identify, protocol, discovery or importer
    run: Callable[[bytes], None]
    seeds: Callable[[], list[bytes]]


# shared machinery ---------------------------------------------------------------------------------


@cache
def _identifier() -> Identifier:
    return Identifier.default()


@cache
def _loop() -> asyncio.AbstractEventLoop:
    return asyncio.new_event_loop()


@cache
def _workdir() -> Path:
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="camaudit-fuzz-", dir=base))


@cache
def _store() -> tuple[Store, int]:
    store = open_store(":memory:")
    scan_id = store.begin_scan("import", ["fuzz"], {}, None)
    return store, scan_id


def _written(identity: Identity) -> None:
    """What ``camaudit identify`` and the store do with an identity: JSON, encoded as UTF-8."""
    json.dumps(identity.to_dict(), ensure_ascii=False).encode("utf-8")


def _parts(observations: list[Observation]) -> None:
    """What the rules would read from each observation (the rule engine itself is fuzzed by ``identify``)."""
    for obs in observations:
        for values in observation_parts(obs).values():
            for value in values:
                value.encode("utf-8")


def _recordings(*protocols: str) -> list[str]:
    return [r.response for r in load_recordings().values() if r.protocol in protocols]


def _wire(text: str) -> bytes:
    """A recorded HTTP/RTSP/SSDP message as it travels: CRLF line ends, a blank line after the head."""
    head, _, body = text.partition("\n\n")
    return ("\r\n".join(head.strip("\n").split("\n")) + "\r\n\r\n" + body).encode("utf-8")


def _files(*patterns: str) -> list[bytes]:
    out: list[bytes] = []
    for pattern in patterns:
        out.extend(p.read_bytes() for p in sorted(FIXTURES.glob(pattern)) if p.is_file())
    return out


def regression_inputs(target: str) -> list[Path]:
    """The crashing inputs fuzzing found for ``target`` (each now a documented error), kept as fixtures."""
    folder = FUZZ_FIXTURES / "crashes" / target
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".md") if folder.is_dir() else []


def seeds_of(target: Target, regressions: bool = True) -> list[bytes]:
    """The target's seeds: fixtures and recordings, ``seeds/TARGET``, and (unless told not to) its crash inputs."""
    extra = FUZZ_FIXTURES / "seeds" / target.name
    found = target.seeds() + ([p.read_bytes() for p in sorted(extra.iterdir())] if extra.is_dir() else [])
    return found + ([p.read_bytes() for p in regression_inputs(target.name)] if regressions else [])


# identify -----------------------------------------------------------------------------------------


def run_identify(data: bytes) -> None:
    records, _errors = read_records(io.BytesIO(data), "fuzz.jsonl")
    for identity in _identifier().identify_all(records):
        _written(identity)


def seeds_identify() -> list[bytes]:
    out = []
    for r in load_recordings().values():
        record = {"id": r.id, "device": r.id, "address": "192.0.2.10", "port": 80, "protocol": r.protocol,
                  "request": r.request, "response": r.response}
        out.append(json.dumps(record).encode() + b"\n")
    return [*out, b"".join(out[::7])]  # and one file of several devices


# HTTP, RTSP and TLS as a live scan reads them -------------------------------------------------------


async def _read(data: bytes, rtsp: bool) -> tuple[bytes, bytes]:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    msg = await read_message(reader, BUDGET, Deadline(60), body_until_close=not rtsp)
    return msg.head, msg.body


def run_http(data: bytes) -> None:
    head_bytes, body_bytes = _loop().run_until_complete(_read(data, rtsp=False))
    if not head_bytes:
        return
    head, body = http._decode(head_bytes), http._decode(body_bytes)
    location = http._location(head)
    if location:
        http._same_origin_path(location, "192.0.2.10", 80)
    observations = [Observation(id="h", protocol="http_header", response=head, address="192.0.2.10", port=80)]
    if body:
        observations.append(Observation(id="b", protocol="http_body", response=body, address="192.0.2.10", port=80))
    _parts(observations)


def run_rtsp(data: bytes) -> None:
    head_bytes, body_bytes = _loop().run_until_complete(_read(data, rtsp=True))
    if not head_bytes:
        return
    text = head_bytes.decode("latin-1")
    if body_bytes:
        text += "\r\n\r\n" + body_bytes[:4096].decode("latin-1")
    protocol = "rtsp" if text.startswith("RTSP/") else "other"
    _parts([Observation(id="r", protocol=protocol, response=text, address="192.0.2.10", port=554)])


def run_tls(data: bytes) -> None:
    try:
        text = describe_certificate(data)
    except CertificateError:
        return
    _parts([Observation(id="t", protocol="tls_cert", response=text, address="192.0.2.10", port=443)])


# discovery ----------------------------------------------------------------------------------------


def _discovery(module: ModuleType) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        accepted = module.accept(data)
        if accepted is None:
            return
        protocol, text = accepted
        if not isinstance(protocol, str) or not isinstance(text, str):
            raise TypeError(f"{module.__name__}.accept gave {accepted!r}")
        location = ssdp.location(text) if module is ssdp else None
        if location:
            http._same_origin_path(location, "192.0.2.10", 80)
        _parts([Observation(id="d", protocol=protocol, response=text, address="192.0.2.10",
                               port=int(module.PORT))])

    return run


# importers ----------------------------------------------------------------------------------------


def _importer(make: Callable[[], Importer], filename: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        path = _workdir() / filename
        path.write_bytes(data)
        importer = make()
        importer.detect(read_head(path), path)
        store, scan_id = _store()
        batch: list[Observation] = []
        try:
            for obs in importer.read(path, None):
                batch.append(obs)
                if len(batch) >= 500:
                    store.add_rows(scan_id, batch, [], [])
                    batch = []
            store.add_rows(scan_id, batch, [], [])
        except ImportError_:  # MalformedInput and its kin: the one-line message the CLI prints
            pass
        finally:
            store.rollback()

    return run


def _seeds(*patterns: str) -> Callable[[], list[bytes]]:
    return lambda: _files(*patterns)


def _text_seeds(*protocols: str, wire: bool = False) -> Callable[[], list[bytes]]:
    return lambda: [_wire(t) if wire else t.encode("utf-8") for t in _recordings(*protocols)]


def _http_seeds() -> list[bytes]:
    return [_wire(t) for t in _recordings("http_header")] + [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + f"{len(t.encode()):x}\r\n".encode() + t.encode()
        + b"\r\n0\r\n\r\n" for t in _recordings("http_body")[:6]
    ]


def _dhip_seeds() -> list[bytes]:
    return [dhip_frame(t.encode("utf-8")) for t in _recordings("dhip")]


def _target(name: str, run: Callable[[bytes], None], seeds: Callable[[], list[bytes]]) -> Target:
    return Target(name, FAMILIES[name], run, seeds)


TARGETS: dict[str, Target] = {t.name: t for t in (
    _target("identify", run_identify, seeds_identify),
    _target("http", run_http, _http_seeds),
    _target("rtsp", run_rtsp, _text_seeds("rtsp", wire=True)),
    _target("tls", run_tls, list),
    _target("sadp", _discovery(sadp), _text_seeds("sadp")),
    _target("ws_discovery", _discovery(wsdiscovery), _text_seeds("ws_discovery")),
    _target("dhip", _discovery(dhip_multicast), _dhip_seeds),
    _target("ssdp", _discovery(ssdp), _text_seeds("ssdp", wire=True)),
    _target("mdns", _discovery(mdns), list),
    _target("register_csv", _importer(RegisterImporter, "register.csv"),
           _seeds("imports/register/*.csv")),
    _target("register_xlsx", _importer(RegisterImporter, "register.xlsx"), list),
    _target("nmap", _importer(NmapImporter, "scan.xml"), _seeds("imports/nmap/*.xml")),
    _target("zeek", _importer(ZeekImporter, "zeek.log"),
           _seeds("imports/zeek/*.log", "imports/real/zeek-*.log")),
    _target("masscan", _importer(MasscanImporter, "masscan.json"),
           _seeds("imports/masscan/*", "imports/real/masscan-*")),
    _target("zgrab2", _importer(Zgrab2Importer, "zgrab2.json"),
           _seeds("imports/zgrab2/*", "imports/real/zgrab2-*")),
    _target("shodan", _importer(ShodanImporter, "shodan.json"),
           _seeds("imports/shodan/*", "imports/real/shodan-*")),
    _target("censys", _importer(CensysImporter, "censys.json"), _seeds("imports/censys/*")),
    _target("pcap", _importer(PcapImporter, "capture.pcap"), list),
)}
