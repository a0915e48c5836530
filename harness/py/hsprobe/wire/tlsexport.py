"""TLS keying-material exporters computed from key-log secrets (hashlib/hmac only).

* TLS 1.2, RFC 5705 §4: PRF(master_secret, label, client_random ‖ server_random
  ‖ u16 len(context) ‖ context), the TLS 1.2 PRF being P_<hash> of RFC 5246 §5 with the
  suite's PRF hash (SHA-384 for the *_SHA384 suites, else SHA-256).  The master secret is the
  key log's CLIENT_RANDOM line.
* TLS 1.3, RFC 8446 §7.5: HKDF-Expand-Label(Derive-Secret(exporter_master_secret, label, ""),
  "exporter", Hash(context), length), with the suite's hash.  The exporter master secret is the
  key log's EXPORTER_SECRET line (GnuTLS writes it; not every library does).
"""

from __future__ import annotations

import hashlib
import hmac
import struct

__all__ = ["tls12_prf", "tls12_exporter", "hkdf_expand_label", "tls13_exporter",
           "tls12_prf_hash", "tls13_suite_hash"]

# TLS 1.2 suites whose PRF hash is SHA-384 (IANA registry: every *_SHA384 suite).
_SHA384_TLS12 = {0x009D, 0x009F, 0x00A1, 0x00A3, 0x00A5, 0x00A7, 0x00A9, 0x00AB, 0x00AD, 0x00AF,
                 0x00B1, 0x00B3, 0x00B5, 0x00B7, 0x00B9, 0xC024, 0xC028, 0xC02C, 0xC030, 0xC026,
                 0xC02A, 0xC02E, 0xC032, 0xC038, 0xC03B, 0xC0A1, 0xC0A3, 0xC0A5, 0xC0A7, 0xC0AB,
                 0xC0AF, 0xCCAE, 0xD002}


def tls12_prf_hash(suite: int) -> str:
    return "sha384" if suite in _SHA384_TLS12 else "sha256"


def tls13_suite_hash(suite: int) -> str:
    return "sha384" if suite == 0x1302 else "sha256"


def _p_hash(hname: str, secret: bytes, seed: bytes, n: int) -> bytes:
    out, a = b"", seed
    while len(out) < n:
        a = hmac.new(secret, a, hname).digest()
        out += hmac.new(secret, a + seed, hname).digest()
    return out[:n]


def tls12_prf(secret: bytes, label: bytes, seed: bytes, n: int, hname: str = "sha256") -> bytes:
    return _p_hash(hname, secret, label + seed, n)


def tls12_exporter(master: bytes, client_random: bytes, server_random: bytes, label: bytes,
                   context: bytes, n: int, hname: str = "sha256") -> bytes:
    seed = client_random + server_random + struct.pack(">H", len(context)) + context
    return tls12_prf(master, label, seed, n, hname)


def _hkdf_expand(hname: str, prk: bytes, info: bytes, n: int) -> bytes:
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hname).digest()
        out += t
        i += 1
    return out[:n]


def hkdf_expand_label(hname: str, secret: bytes, label: bytes, context: bytes, n: int) -> bytes:
    full = b"tls13 " + label
    info = struct.pack(">H", n) + bytes([len(full)]) + full + bytes([len(context)]) + context
    return _hkdf_expand(hname, secret, info, n)


def tls13_exporter(exporter_secret: bytes, label: bytes, context: bytes, n: int,
                   hname: str = "sha256") -> bytes:
    h = hashlib.new(hname)
    derived = hkdf_expand_label(hname, exporter_secret, label, hashlib.new(hname, b"").digest(),
                                h.digest_size)
    return hkdf_expand_label(hname, derived, b"exporter", hashlib.new(hname, context).digest(), n)
