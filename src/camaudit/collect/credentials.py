"""Owner-supplied credentials: from a file, environment variables or the system keyring.

Never on the command line in clear, never logged, never written to the store or a report. A
:class:`Credential` prints as its label (``creds.yaml#1``), never its password.

File format (YAML), one entry per credential set::

    - scope: 10.20.0.0/24            # or a list of addresses, CIDRs, ranges
      username: auditor
      password_env: CAM_AUDIT_PASS   # read from this environment variable, or
      # password_keyring: camaudit   # from the system keyring (service name; the username is the key), or
      # password: ...                # in the file itself (keep it readable only by you: chmod 600)
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from camaudit.scope import IPNetwork, ScopeError, parse_target


class CredentialError(ValueError):
    """A credentials file or reference that cannot be used (the message never contains a password)."""


@dataclass(frozen=True)
class Credential:
    label: str
    username: str
    password: str = field(repr=False)
    scope: tuple[IPNetwork, ...] = ()

    def covers(self, address: str) -> bool:
        import ipaddress

        ip = ipaddress.ip_address(address)
        return any(ip in net for net in self.scope)

    def __str__(self) -> str:
        return f"credential set {self.label}"  # no username either: notes are stored and reported


def _keyring_password(service: str, username: str, where: str) -> str:
    try:
        import keyring  # type: ignore[import-not-found]
    except ImportError as exc:
        raise CredentialError(f"{where}: password_keyring needs the 'keyring' package (pip install keyring)") from exc
    value = keyring.get_password(service, username)
    if value is None:
        raise CredentialError(f"{where}: no password for user {username!r} in keyring service {service!r}")
    return str(value)


def _password(entry: Mapping[str, Any], where: str, file_is_private: bool) -> str:
    if "password_env" in entry:
        name = str(entry["password_env"])
        value = os.environ.get(name)
        if value is None:
            raise CredentialError(f"{where}: environment variable {name} is not set")
        return value
    if "password_keyring" in entry:
        return _keyring_password(str(entry["password_keyring"]), str(entry["username"]), where)
    if "password" in entry:
        if not file_is_private:
            raise CredentialError(
                f"{where}: the file holds a password but other users can read it; chmod 600 it, or use "
                "password_env or password_keyring"
            )
        return str(entry["password"])
    raise CredentialError(f"{where}: give password_env, password_keyring or password")


def _scope(raw: Any, where: str) -> tuple[IPNetwork, ...]:
    items = raw if isinstance(raw, list) else [raw]
    try:
        return tuple(net for item in items for net in parse_target(str(item)))
    except ScopeError as exc:
        raise CredentialError(f"{where}: {exc}") from exc


def load_credentials(path: str) -> list[Credential]:
    file = Path(path)
    try:
        mode = file.stat().st_mode
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CredentialError(f"cannot read credentials file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise CredentialError(f"credentials file {path} is not valid YAML (line {getattr(exc, 'problem_mark', '?')})"
                              ) from None
    private = not (mode & (stat.S_IRGRP | stat.S_IROTH))
    if not isinstance(doc, list):
        raise CredentialError(f"credentials file {path}: expected a list of entries with scope and username")
    out = []
    for i, entry in enumerate(doc, 1):
        where = f"{file.name}#{i}"
        if not isinstance(entry, Mapping) or "username" not in entry or "scope" not in entry:
            raise CredentialError(f"{where}: each entry needs 'scope' and 'username'")
        out.append(Credential(label=where, username=str(entry["username"]),
                              password=_password(entry, where, private), scope=_scope(entry["scope"], where)))
    return out


def from_environment() -> list[Credential]:
    """``CAMAUDIT_USERNAME`` / ``CAMAUDIT_PASSWORD`` with ``CAMAUDIT_CREDENTIAL_SCOPE`` (addresses/CIDRs)."""
    user, password = os.environ.get("CAMAUDIT_USERNAME"), os.environ.get("CAMAUDIT_PASSWORD")
    scope = os.environ.get("CAMAUDIT_CREDENTIAL_SCOPE")
    if not (user and password):
        return []
    if not scope:
        raise CredentialError("CAMAUDIT_USERNAME/CAMAUDIT_PASSWORD are set: CAMAUDIT_CREDENTIAL_SCOPE must say "
                              "which addresses they are for")
    return [Credential(label="environment", username=user, password=password,
                       scope=_scope(scope.replace(",", " ").split(), "CAMAUDIT_CREDENTIAL_SCOPE"))]


@dataclass(frozen=True)
class CredentialBook:
    credentials: tuple[Credential, ...] = ()

    @classmethod
    def load(cls, files: Iterable[str] = (), use_environment: bool = True) -> CredentialBook:
        creds = [c for f in files for c in load_credentials(f)]
        if use_environment:
            creds += from_environment()
        return cls(tuple(creds))

    def for_address(self, address: str) -> list[Credential]:
        return [c for c in self.credentials if c.covers(address)]

    def __len__(self) -> int:
        return len(self.credentials)

    def secrets(self) -> list[str]:
        """The passwords, for the tests that prove they appear nowhere."""
        return [c.password for c in self.credentials]
