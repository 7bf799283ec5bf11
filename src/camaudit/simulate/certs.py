"""Self-signed certificates for emulated HTTPS services, named as the recorded device's certificate was."""

from __future__ import annotations

import datetime
import ssl
import tempfile
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

_CERT_DIR = Path(tempfile.mkdtemp(prefix="camaudit-sim-certs-"))


def _name(dn: str) -> x509.Name:
    try:
        return x509.Name.from_rfc4514_string(dn)
    except ValueError:
        return x509.Name.from_rfc4514_string("CN=camaudit-emulated")


def _fields(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        out[key.strip().lower()] = value.strip()
    return out


@lru_cache(maxsize=64)
def server_context(cert_text: str) -> ssl.SSLContext:
    """A TLS server context whose certificate carries the recorded subject and issuer names."""
    fields = _fields(cert_text)
    subject = _name(fields.get("subject", "CN=camaudit-emulated"))
    issuer = _name(fields.get("issuer", fields.get("subject", "CN=camaudit-emulated")))
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    serial = int(fields["serial"], 16) if fields.get("serial", "").isalnum() else x509.random_serial_number()
    try:
        builder = x509.CertificateBuilder().serial_number(serial)
    except ValueError:
        builder = x509.CertificateBuilder().serial_number(x509.random_serial_number())
    cert = (
        builder.subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    stem = _CERT_DIR / f"c{abs(hash(cert_text))}"
    cert_path, key_path = stem.with_suffix(".crt"), stem.with_suffix(".key")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context
