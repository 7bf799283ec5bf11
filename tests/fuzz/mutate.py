"""A small deterministic mutator for the short fuzz run in the test suite (the long run uses atheris).

Each mutation applies one to four edits to a seed: flip a bit, set a byte to a boundary value, insert or
replace with one of the crash-class tokens, delete, duplicate or truncate a span, or splice in a span of
the same seed. With a seeded :class:`random.Random` the sequence is the same on every run.
"""

from __future__ import annotations

import random

from tests.fuzz.targets import TOKENS

BOUNDARY = (0x00, 0x01, 0x09, 0x0A, 0x0D, 0x20, 0x22, 0x26, 0x2C, 0x3C, 0x3E, 0x5B, 0x5C, 0x7B, 0x7F, 0x80, 0xC0,
            0xED, 0xFE, 0xFF)


def mutate(seed: bytes, rng: random.Random) -> bytes:
    data = bytearray(seed)
    for _ in range(rng.randint(1, 4)):
        size = len(data)
        where = rng.randrange(size + 1)
        op = rng.randrange(7)
        if op == 0 and size:
            data[min(where, size - 1)] ^= 1 << rng.randrange(8)
        elif op == 1 and size:
            data[min(where, size - 1)] = rng.choice(BOUNDARY)
        elif op == 2:
            data[where:where] = rng.choice(TOKENS)
        elif op == 3:
            token = rng.choice(TOKENS)
            data[where:where + len(token)] = token
        elif op == 4 and size:
            data[where:where + rng.randint(1, 64)] = b""
        elif op == 5 and size:
            start = rng.randrange(size)
            data[where:where] = data[start:start + rng.randint(1, 256)] * rng.randint(1, 8)
        else:
            del data[where:]
    return bytes(data)
