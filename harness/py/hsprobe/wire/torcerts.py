"""The certificates inside a CERTS cell body (tor-link.md §1.7–1.9), parsed from wire bytes.

Parsing never raises on hostile input: a body or certificate that does not parse comes back as
a CertsError / EdCertError value with the reason, so a check can report it.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import Optional, Union

__all__ = ["CertsBody", "CertsError", "EdCert", "EdCertError", "parse_certs_body",
           "parse_ed_cert", "rsa_id_digest"]

EXT_SIGNED_WITH_KEY = 4


@dataclass
class CertsError:
    reason: str


@dataclass
class CertsBody:
    certs: list[tuple[int, bytes]] = field(default_factory=list)   # (type, bytes) in order
    trailing: int = 0

    def first(self, cert_type: int) -> Optional[bytes]:
        return next((c for t, c in self.certs if t == cert_type), None)


def parse_certs_body(body: bytes) -> Union[CertsBody, CertsError]:
    if not body:
        return CertsError("empty CERTS body")
    n, off, out = body[0], 1, CertsBody()
    for i in range(n):
        if off + 3 > len(body):
            return CertsError(f"certificate {i + 1} of {n}: header past the end of the body "
                              f"(offset {off}, body {len(body)} bytes)")
        ctype, clen = body[off], struct.unpack_from(">H", body, off + 1)[0]
        off += 3
        if off + clen > len(body):
            return CertsError(f"certificate {i + 1} of {n} (type {ctype}): CLEN {clen} runs past "
                              f"the end of the body by {off + clen - len(body)} bytes")
        out.certs.append((ctype, body[off:off + clen]))
        off += clen
    out.trailing = len(body) - off
    return out


@dataclass
class EdCertError:
    reason: str


@dataclass
class EdCert:
    version: int
    cert_type: int
    expiration_hours: int
    key_type: int
    certified_key: bytes
    extensions: list[tuple[int, int, bytes]]   # (type, flags, data)
    signature: bytes
    signed: bytes                              # every byte before the signature

    def ext(self, ext_type: int) -> Optional[bytes]:
        return next((d for t, _f, d in self.extensions if t == ext_type), None)

    @property
    def signing_key(self) -> Optional[bytes]:
        return self.ext(EXT_SIGNED_WITH_KEY)


def parse_ed_cert(b: bytes) -> Union[EdCert, EdCertError]:
    if len(b) < 40 + 64:
        return EdCertError(f"{len(b)} bytes: shorter than the 104-byte minimum")
    version, ctype = b[0], b[1]
    if version != 1:
        return EdCertError(f"version {version} (expected 1)")
    exp = struct.unpack_from(">I", b, 2)[0]
    key_type, key, n_ext = b[6], b[7:39], b[39]
    off, exts = 40, []
    for i in range(n_ext):
        if off + 4 > len(b) - 64:
            return EdCertError(f"extension {i + 1} of {n_ext}: header runs into the signature")
        elen, etype, eflags = struct.unpack_from(">HBB", b, off)
        off += 4
        if off + elen > len(b) - 64:
            return EdCertError(f"extension {i + 1} of {n_ext}: {elen} data bytes run into the "
                               "signature")
        exts.append((etype, eflags, b[off:off + elen]))
        off += elen
    if off != len(b) - 64:
        return EdCertError(f"{len(b) - 64 - off} bytes between the extensions and the signature")
    return EdCert(version, ctype, exp, key_type, key, exts, b[off:], b[:off])


def rsa_id_digest(der: bytes) -> Union[bytes, str]:
    """SHA-256 of the DER PKCS#1 RSAPublicKey in an X.509 certificate (tor's CID/SID), or why
    it cannot be computed."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        cert = x509.load_der_x509_certificate(der)
        key = cert.public_key()
    except Exception as e:  # noqa: BLE001 - any parse failure is a reportable fact
        return f"the X.509 certificate does not parse: {e}"
    if not isinstance(key, rsa.RSAPublicKey):
        return f"the certificate's key is {type(key).__name__}, not RSA"
    pkcs1 = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return hashlib.sha256(pkcs1).digest()
