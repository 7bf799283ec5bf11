"""TLS: connect without verifying (devices use self-signed certificates) and record who the certificate names."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
import warnings

from cryptography import x509
from cryptography.x509.oid import ExtensionOID


@functools.cache
def client_context() -> ssl.SSLContext:
    """One context for every probe (making one costs more than a handshake); never changed after this."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():  # old cameras still speak TLS 1.0; we only read their certificate
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
    with contextlib.suppress(ssl.SSLError):
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


class CertificateError(ValueError):
    """A certificate that cannot be read (cryptography raises several kinds, some on valid-looking DER)."""


def describe_certificate(der: bytes) -> str:
    """The text form used in ``tls_cert`` evidence: subject, issuer, serial and SAN lines.

    Raises :class:`CertificateError`, and only that, when the bytes are not a certificate it can read.
    """
    try:
        cert = x509.load_der_x509_certificate(der)
        lines = [f"subject: {cert.subject.rfc4514_string()}", f"issuer: {cert.issuer.rfc4514_string()}"]
        lines.append(f"serial: {cert.serial_number:x}")
        try:
            san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
            names = [str(n.value) for n in san]  # type: ignore[attr-defined]
            if names:
                lines.append("san: " + ", ".join(names))
        except x509.ExtensionNotFound:
            pass
    except Exception as exc:  # ValueError, TypeError, x509.DuplicateExtension, UnsupportedGeneralNameType...
        raise CertificateError(f"not a readable X.509 certificate ({type(exc).__name__}: {exc})") from None
    return "\n".join(lines)


def certificate_text(writer: asyncio.StreamWriter) -> str | None:
    sslobj = writer.get_extra_info("ssl_object")
    if sslobj is None:
        return None
    der = sslobj.getpeercert(binary_form=True)
    if not der:
        return None
    try:
        return describe_certificate(der)
    except CertificateError:  # a malformed certificate: no evidence, not a crash
        return None
