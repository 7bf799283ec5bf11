"""HTTP authentication for owner-authorised reads: Digest (RFC 7616, MD5 and SHA-256, qop=auth), Basic only
over TLS, and the WS-Security UsernameToken digest that ONVIF uses. Nothing here retries or guesses."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from camaudit.collect.credentials import Credential

_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "digest" or "basic"
    params: dict[str, str]


def parse_challenges(values: list[str]) -> list[Challenge]:
    out = []
    for value in values:
        scheme, _, rest = value.strip().partition(" ")
        params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
                  for m in _PARAM.finditer(rest)}
        out.append(Challenge(scheme.lower(), params))
    return out


def _hash(algorithm: str, text: str) -> str:
    name = "sha256" if algorithm.upper().startswith("SHA-256") else "md5"
    return hashlib.new(name, text.encode("utf-8")).hexdigest()


def digest_authorization(challenge: Challenge, cred: Credential, method: str, uri: str, nc: int = 1,
                         cnonce: str | None = None) -> str:
    p = challenge.params
    realm, nonce = p.get("realm", ""), p.get("nonce", "")
    algorithm = p.get("algorithm", "MD5")
    ha1 = _hash(algorithm, f"{cred.username}:{realm}:{cred.password}")
    if algorithm.upper().endswith("-SESS"):
        cnonce = cnonce or os.urandom(8).hex()
        ha1 = _hash(algorithm, f"{ha1}:{nonce}:{cnonce}")
    ha2 = _hash(algorithm, f"{method}:{uri}")
    qops = [q.strip() for q in p.get("qop", "").split(",") if q.strip()]
    parts = [f'username="{cred.username}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if "auth" in qops:
        cnonce = cnonce or os.urandom(8).hex()
        ncs = f"{nc:08x}"
        response = _hash(algorithm, f"{ha1}:{nonce}:{ncs}:{cnonce}:auth:{ha2}")
        parts += ["qop=auth", f"nc={ncs}", f'cnonce="{cnonce}"']
    else:
        response = _hash(algorithm, f"{ha1}:{nonce}:{ha2}")
    parts.append(f'response="{response}"')
    if "opaque" in p:
        parts.append(f'opaque="{p["opaque"]}"')
    if "algorithm" in p:
        parts.append(f"algorithm={algorithm}")
    return "Digest " + ", ".join(parts)


def verify_digest(header: str, username: str, password: str, method: str) -> bool:
    """Check a Digest Authorization header (used by the emulated devices)."""
    if not header.lower().startswith("digest "):
        return False
    p = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
         for m in _PARAM.finditer(header[7:])}
    if p.get("username") != username:
        return False
    algorithm = p.get("algorithm", "MD5")
    ha1 = _hash(algorithm, f"{username}:{p.get('realm', '')}:{password}")
    ha2 = _hash(algorithm, f"{method}:{p.get('uri', '')}")
    if p.get("qop") == "auth":
        expected = _hash(algorithm, f"{ha1}:{p.get('nonce')}:{p.get('nc')}:{p.get('cnonce')}:auth:{ha2}")
    else:
        expected = _hash(algorithm, f"{ha1}:{p.get('nonce')}:{ha2}")
    return p.get("response") == expected


SUPPORTED_DIGESTS = ("MD5", "MD5-SESS", "SHA-256", "SHA-256-SESS")


def authorization(challenges: list[Challenge], cred: Credential, method: str, uri: str, tls: bool) -> str | None:
    """The header to answer a challenge with, or None when camaudit will not answer it: Basic (the password would
    travel recoverable, and device certificates are not verified), or a Digest algorithm camaudit does not
    implement (a wrong answer would count as a failed login against the account)."""
    for ch in challenges:
        if ch.scheme == "digest" and ch.params.get("algorithm", "MD5").upper() in SUPPORTED_DIGESTS:
            return digest_authorization(ch, cred, method, uri)
    return None


def ws_username_token(cred: Credential, nonce: bytes | None = None, created: str | None = None) -> str:
    """A WS-Security UsernameToken with PasswordDigest = base64(sha1(nonce + created + password))."""
    nonce = nonce or os.urandom(16)
    created = created or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + cred.password.encode()).digest()).decode()
    return (
        '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" '
        'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">'
        f"<wsse:UsernameToken><wsse:Username>{_xml_escape(cred.username)}</wsse:Username>"
        '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0'
        f'#PasswordDigest">{digest}</wsse:Password>'
        '<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-soap-message-security-1.0'
        f'#Base64Binary">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
        f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"
    )


_WSSE = {name: re.compile(rf"<(?:\w+:)?{name}\b[^>]*>([^<]*)</(?:\w+:)?{name}>")
         for name in ("Username", "Password", "Nonce", "Created")}


def verify_ws_username_token(envelope: str, username: str, password: str) -> bool:
    """Check a WS-Security UsernameToken PasswordDigest (used by the emulated devices)."""
    found = {name: pattern.search(envelope) for name, pattern in _WSSE.items()}
    if not all(found.values()):
        return False
    values = {name: m.group(1).strip() for name, m in found.items() if m is not None}
    if values["Username"] != username:
        return False
    try:
        nonce = base64.b64decode(values["Nonce"], validate=True)
    except ValueError:
        return False
    expected = base64.b64encode(hashlib.sha1(nonce + values["Created"].encode() + password.encode()).digest())
    return expected.decode() == values["Password"]


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
