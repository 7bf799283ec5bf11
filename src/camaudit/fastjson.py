"""JSON on the hot paths: orjson where it can, the standard library where orjson refuses.

orjson is many times faster than :mod:`json`, but it refuses some things the standard library accepts (lone
surrogates in strings, integers beyond 64 bits, ``NaN``, a byte-order mark). Every call here tries orjson
first and falls back to :mod:`json` on refusal, so the answer (or the error) is exactly what :mod:`json`
gives: speed changes, results do not.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(data: bytes | str) -> Any:
    """Parse one JSON document; errors are the standard library's (:class:`json.JSONDecodeError`)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text)


def dumps(value: Any) -> str:
    """Compact JSON text (non-ASCII kept as is)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps_storable(value: Any) -> str:
    """Compact JSON text that any text column and file can hold: orjson's, or, where it refuses (a lone
    surrogate a device sent), the standard library's with ASCII escapes, which read back to the very same
    strings. The text is new (orjson's bytes keep an over-sized buffer, about 4 KiB each)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, separators=(",", ":"))


def dumps_storable_items(items: list[Any]) -> str:
    """The items' :func:`dumps_storable` texts joined by commas, in one orjson call where it can (orjson writes a
    list as its items' texts joined by commas); where it refuses one, each item as :func:`dumps_storable` has
    it, so one bad item changes no other's text."""
    try:
        return orjson.dumps(items).decode("utf-8")[1:-1]
    except (TypeError, orjson.JSONEncodeError):
        return ",".join(dumps_storable(item) for item in items)
