"""Dahua DHIP discovery, unicast (UDP 37810): ``DHDiscover.search`` asks a device to describe itself.

No credentials are involved: the answer (``client.notifyDevInfo``) is what Dahua's own ConfigTool
receives. OEM-labelled Dahua units answer it too, with their label in ``Vendor``. The framing is a
32-byte little-endian header (size, the magic "DHIP", session/request ids, the payload length twice)
followed by JSON; devices ignore bare JSON.
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

from camaudit.collect.pacing import within
from camaudit.model import Observation

PORT = 37810
MAGIC = b"DHIP"
HEADER = struct.Struct("<I4sQQQ")  # header size, magic, session+id, length, length again
SEARCH = {"method": "DHDiscover.search", "params": {"mac": "", "uni": 1}}
MAX_DATAGRAM = 64 * 1024


def frame(payload: bytes) -> bytes:
    return HEADER.pack(HEADER.size, MAGIC, 0, len(payload), len(payload)) + payload


def unframe(data: bytes) -> bytes | None:
    """The JSON payload of a DHIP datagram, or None when it is not one."""
    if len(data) < HEADER.size or data[4:8] != MAGIC:
        return None
    size = struct.unpack_from("<I", data)[0]
    if size != HEADER.size:
        return None
    length = struct.unpack_from("<Q", data, 16)[0]
    return data[size : size + min(length, MAX_DATAGRAM)]


def search_request() -> bytes:
    return frame(json.dumps(SEARCH).encode())


class _Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answers: asyncio.Queue[bytes] = asyncio.Queue(maxsize=8)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if not self.answers.full():
            self.answers.put_nowait(data[:MAX_DATAGRAM])


async def probe_dhip(host: str, timeout: float = 1.5, port: int = PORT) -> list[Observation]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(_Client, remote_addr=(host, port))
    try:
        transport.sendto(search_request())
        try:
            data = await within(protocol.answers.get(), timeout)
        except TimeoutError:
            return []
    finally:
        transport.close()
    payload = unframe(data)
    if payload is None:
        return [Observation(id=f"{host}:{port}:dhip", protocol="other", response=data[:2048].decode("latin-1"),
                            address=host, port=port, request="DHDiscover.search (answer was not DHIP)")]
    text = payload.decode("utf-8", "replace").rstrip("\x00\n ")
    return [Observation(id=f"{host}:{port}:dhip", protocol="dhip", response=text, address=host, port=port,
                        request="DHDiscover.search")]
