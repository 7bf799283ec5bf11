"""Passwords, session ids, API tokens, roles and the login rate limit.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended profile); session
ids and API tokens are 32 random bytes, so SHA-256 of them is enough at rest. Each role's permissions are one
table, checked in one place (:func:`allowed`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_PREFIX = "cat_"
_hasher = PasswordHasher()

# what each role may do; "read" is device detail of its own organisation, "aggregate" prevalence figures only
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "auditor": frozenset({"read", "scan", "import", "plan", "push"}),
    "admin": frozenset({"read", "scan", "import", "plan", "push", "admin"}),
    "reviewer": frozenset({"aggregate"}),
}


def allowed(role: str, action: str) -> bool:
    """Whether ``role`` may do ``action`` ("any": every known role may, e.g. sign out)."""
    if action == "any":
        return role in PERMISSIONS
    return action in PERMISSIONS.get(role, frozenset())


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


# a fixed hash to verify against when the user does not exist, so timing does not tell which names exist
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


def check_unknown_user(password: str) -> None:
    check_password(_DUMMY, password)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def new_password() -> str:
    """A one-time password for a new account: 20 characters from a 57-symbol alphabet (~117 bits)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(20))


class LoginLimiter:
    """At most ``attempts`` failed logins in ``window`` seconds per key: the caller passes one key per user
    name *and* client (so nobody elsewhere can lock an account out) and one per client with a larger allowance
    (``per_client``: guessing many names from one place). Keys past their window are forgotten."""

    def __init__(self, attempts: int = 5, window: float = 300.0, per_client: int = 30) -> None:
        self.attempts = attempts
        self.window = window
        self.per_client = per_client
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, at: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and at - q[0] > self.window:
            q.popleft()
        return q

    def _limit(self, key: str) -> int:
        return self.per_client if key.startswith("client:") else self.attempts

    def blocked(self, *keys: str) -> float:
        """Seconds until a login may be tried again (0 when it may now)."""
        at = time.monotonic()
        with self._lock:
            waits = [self.window - (at - q[0]) for k in keys
                     if len(q := self._recent(k, at)) >= self._limit(k)]
        return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        at = time.monotonic()
        with self._lock:
            for k in keys:
                self._recent(k, at).append(at)
            for stale in [k for k, q in self._failures.items() if not q or at - q[-1] > self.window]:
                del self._failures[stale]

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)
