"""Broken or hostile discovery answers are counted and skipped, never fatal, never expanded."""

from __future__ import annotations

import asyncio

import pytest

from camaudit.collect.dhip import frame
from camaudit.collect.discovery import dhip_multicast, mdns, sadp, ssdp, wsdiscovery
from camaudit.collect.discovery.transport import probe_unicast
from camaudit.identify.pipeline import Identifier
from camaudit.simulate.hostile import XML_BOMB

BAD = {
    "truncated DHIP header": (dhip_multicast, b" \x00\x00\x00DHIP\x00\x00"),
    "DHIP frame of garbage": (dhip_multicast, frame(b"\xff\xfe" * 200)),
    "not SADP": (sadp, b"<html>nope</html>"),
    "invalid WS-Discovery": (wsdiscovery, b"\x00\x01\x02" * 100),
    "SSDP garbage": (ssdp, b"HTTP/9.9 what\r\n"),
    "mDNS compression loop": (mdns, b"\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00\xc0\x0c"),
    "mDNS truncated": (mdns, b"\x00\x00\x84\x00\x00\x00\x00\x05"),
}


class _Echo(asyncio.DatagramProtocol):
    """A fake 'device' that answers any datagram with a fixed, broken payload."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:  # type: ignore[override]
        assert self.transport is not None
        self.transport.sendto(self.payload, addr)


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_broken_answers_are_counted_and_skipped(case: str) -> None:
    module, payload = BAD[case]

    async def go() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        host = "127.93.0.1"
        transport, _ = await loop.create_datagram_endpoint(lambda: _Echo(payload), local_addr=(host, module.PORT))
        try:
            gathered = await probe_unicast(host, 0.5, (module,))
        finally:
            transport.close()
        return len(gathered.observations), gathered.rejected

    kept, rejected = asyncio.run(go())
    assert (kept, rejected) == (0, 1)


def test_entity_expansion_in_a_sadp_answer_is_not_expanded() -> None:
    bomb = XML_BOMB.replace("<DeviceInfo>", "<ProbeMatch><Types>inquiry</Types>").replace("</DeviceInfo>",
                                                                                          "</ProbeMatch>")
    accepted = sadp.accept(bomb.encode())
    assert accepted is not None  # it looks like SADP...
    from camaudit.model import Observation

    identity = Identifier.default().identify_device("b", [Observation(id="b", protocol="sadp", response=accepted[1])])
    assert identity.model is None  # ...but nothing inside the DTD is read or expanded


def test_oversized_answer_is_cut_at_the_datagram_cap() -> None:
    big = b"<ProbeMatch><Types>inquiry</Types>" + b"A" * 60000 + b"</ProbeMatch>"

    async def go() -> int:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Echo(big), local_addr=("127.93.0.2", sadp.PORT))
        try:
            gathered = await probe_unicast("127.93.0.2", 0.5, (sadp,))
        finally:
            transport.close()
        return max((len(o.response) for o in gathered.observations), default=0)

    assert asyncio.run(go()) <= 64 * 1024
