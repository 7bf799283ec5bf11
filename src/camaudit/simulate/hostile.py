"""Hostile and broken devices: what a scan must survive without crashing, hanging or bloating.

These behaviours are not recordings of real devices; they are deliberately broken peers.
"""

from __future__ import annotations

import asyncio
import os

# The classic "billion laughs" entity expansion: 10 levels of 10x expansion, about 3 GB if expanded.
XML_BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10)
    )
    + "]>\n<DeviceInfo><model>&lol9;</model></DeviceInfo>\n"
)

BEHAVIOURS = ("garbage", "slow", "endless", "huge-header", "xmlbomb", "silent")


async def _send(writer: asyncio.StreamWriter, data: bytes) -> bool:
    try:
        writer.write(data)
        await writer.drain()
        return True
    except (ConnectionError, OSError):
        return False


async def serve_hostile(behaviour: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        stop: asyncio.Event) -> None:
    """Misbehave in one of :data:`BEHAVIOURS` until the client goes away or the fleet stops."""
    try:
        if behaviour != "silent":
            await asyncio.wait_for(reader.read(4096), 5)
    except (TimeoutError, ConnectionError, OSError):
        pass
    if behaviour == "garbage":
        await _send(writer, os.urandom(64 * 1024))
    elif behaviour == "slow":
        await _send(writer, b"HTTP/1.1 200 OK\r\n")
        while not stop.is_set() and await _send(writer, b"X"):
            await asyncio.sleep(1.0)
    elif behaviour == "endless":
        await _send(writer, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
        block = b"<p>" + b"A" * 65533 + b"\n"
        sent = 0
        while not stop.is_set() and sent < 2 * 1024**3 and await _send(writer, block):
            sent += len(block)
    elif behaviour == "huge-header":
        await _send(writer, b"HTTP/1.1 200 OK\r\nX-Filler: ")
        block = b"B" * 65536
        sent = 0
        while not stop.is_set() and sent < 2 * 1024**3 and await _send(writer, block):
            sent += len(block)
    elif behaviour == "xmlbomb":
        body = XML_BOMB.encode()
        await _send(writer, b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: "
                    + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    elif behaviour == "silent":
        await stop.wait()
