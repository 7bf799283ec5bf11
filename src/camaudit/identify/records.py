"""Evidence records as ``camaudit identify`` reads them: one JSON object per line, each checked on its own.

A line that is not UTF-8, not JSON (or JSON no store could keep: see :mod:`camaudit.untrusted`) or not an
evidence record is reported with its source name and line number and skipped; every other line is kept.
"""

from __future__ import annotations

from collections.abc import Iterable

from camaudit.model import Observation, RecordError
from camaudit.untrusted import InputError, loads_json


def read_records(lines: Iterable[bytes], name: str) -> tuple[list[Observation], list[str]]:
    """The records of ``lines`` (raw bytes, one record a line) and one message per line that was skipped."""
    records: list[Observation] = []
    errors: list[str] = []
    for lineno, raw in enumerate(lines, 1):
        try:
            line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            errors.append(f"{name}:{lineno}: not an evidence record: expected UTF-8 text; found byte "
                          f"0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line")
            continue
        if not line.strip():
            continue
        try:
            records.append(Observation.from_dict(loads_json(line), fallback_id=f"line{lineno}"))
        except InputError as exc:
            column = f" at column {exc.column}" if exc.column else ""
            errors.append(f"{name}:{lineno}: not an evidence record: expected {exc.expected}{column}; "
                          f"found {exc.found}")
        except RecordError as exc:
            errors.append(f"{name}:{lineno}: {exc}")
    return records, errors
