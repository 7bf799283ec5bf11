"""Decoding input nobody vouches for: the one place JSON text from files and devices becomes Python values.

Every reader of evidence records (``camaudit identify``) and every JSON importer decodes through
:func:`loads_json`, so one set of checks keeps out what would break something further on: JSON that does not
parse, numbers past Python's 4,300-digit conversion limit, ``NaN``/``Infinity`` (not JSON, and no port or
count), nesting deep enough to exhaust the stack, and lone UTF-16 surrogates (``"\\ud800"``: valid JSON
syntax, but no text a store, an XML parser or an output file can encode). Each refusal is an
:class:`InputError` saying what was expected and what was found; the caller adds the file and line.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

#: a \uD800-\uDFFF escape in JSON text: only then can a decoded string hold a surrogate
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class InputError(ValueError):
    """Input that cannot be taken as it is. ``column`` (1-based) is set when the place within the line is known."""

    def __init__(self, expected: str, found: str, column: int | None = None) -> None:
        self.expected = expected
        self.found = found
        self.column = column
        super().__init__(f"expected {expected}; found {found}")


def _reject_constant(name: str) -> Any:
    raise InputError("a JSON number", f"{name} (not JSON)")


def has_lone_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def check_text(value: Any) -> None:
    """Raise :class:`InputError` when any string in ``value`` (keys included, any depth) holds a surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                raise InputError("strings of whole characters",
                                 "a lone UTF-16 surrogate (an escape such as \\ud800: half a character)")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads_json(text: str) -> Any:
    """The value of one JSON text, or :class:`InputError` saying why it cannot be taken."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        near = text[max(0, exc.pos - 20):exc.pos + 20].strip()
        raise InputError("JSON", f"{exc.msg} near {near[:60]!r}", exc.colno) from None
    except RecursionError:
        raise InputError("JSON nested less deeply", "nesting deeper than Python's recursion limit") from None
    except InputError:
        raise
    except ValueError as exc:  # the int conversion limit: "Exceeds the limit (4300 digits)..."
        raise InputError("JSON numbers of at most 4,300 digits", str(exc).split(";")[0]) from None
    if _SURROGATE_ESCAPE.search(text):
        check_text(value)
    return value


#: what :func:`fast_json` returns when the careful path must decide
SLOW: Any = object()
#: texts with this many brackets or more may nest past the standard library's limit: it decides them
DEEP = 512


def fast_json(data: bytes) -> Any:
    """The value of one JSON text that orjson accepts, else :data:`SLOW`.

    orjson refuses everything :func:`loads_json` refuses (bad syntax, ``NaN``, lone surrogates, numbers beyond
    64 bits, a byte-order mark, bytes that are not UTF-8, blank text), and a text with many brackets goes to the
    careful path whatever it holds; so what is accepted here has the same value either way, and the rest goes
    to :func:`loads_json` for the exact error. Import hot paths call this first: it is many times faster."""
    if data.count(b"[") + data.count(b"{") >= DEEP:  # orjson nests to 1024, the standard library less
        return SLOW
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return SLOW


def as_int64(value: int) -> int | None:
    """``value`` when SQLite can store it (a signed 64-bit integer), else None."""
    return value if -(2**63) <= value < 2**63 else None


__all__ = ["SLOW", "InputError", "as_int64", "check_text", "fast_json", "has_lone_surrogate", "loads_json"]
