"""Dahua DHIP discovery on the multicast group 239.255.255.251 (the unicast form is in collect/dhip.py)."""

from __future__ import annotations

from camaudit.collect.dhip import PORT, search_request, unframe

GROUP = "239.255.255.251"
PROTOCOL = "dhip"


def request() -> bytes:
    return search_request()


def accept(data: bytes) -> tuple[str, str] | None:
    payload = unframe(data)
    if payload is None or b"notifyDevInfo" not in payload:
        return None  # our own looped-back search, or not DHIP
    return PROTOCOL, payload.decode("utf-8", "replace").rstrip("\x00\n ")


__all__ = ["GROUP", "PORT", "PROTOCOL", "accept", "request"]
