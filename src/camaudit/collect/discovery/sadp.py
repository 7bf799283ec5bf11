"""Hikvision SADP (UDP 37020, multicast 239.255.255.250): the "inquiry" that Hikvision's SADP tool sends.

Only the inquiry is ever sent: the protocol's other message types (activation, password reset, network
changes) change a device and are out of scope. OEM-labelled Hikvision units answer the same inquiry.
"""

from __future__ import annotations

import uuid

PORT = 37020
GROUP = "239.255.255.250"
PROTOCOL = "sadp"

RUN_ID = str(uuid.uuid4()).upper()  # one UUID per run, so our own looped-back probe is recognisable


def request(run_id: str = RUN_ID) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><Probe><Uuid>{run_id}</Uuid>'
            "<Types>inquiry</Types></Probe>").encode()


def accept(data: bytes) -> tuple[str, str] | None:
    text = data.decode("utf-8", "replace")
    if "<ProbeMatch" in text or "<Hello" in text:
        return PROTOCOL, text
    return None
