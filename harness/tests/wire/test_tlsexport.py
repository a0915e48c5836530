"""The TLS exporters the AUTHENTICATE check derives TLSSECRETS with (hsprobe.wire.tlsexport):
the TLS 1.2 PRF against the published P_SHA256 test vector, HKDF-Expand-Label against
python-cryptography's HKDF, and the exporter layouts of RFC 5705 and RFC 8446 §7.5.  (Agreement
with GnuTLS on real sessions is in test_recorded.py.)"""

import hashlib
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from hsprobe.wire.tlsexport import (hkdf_expand_label, tls12_exporter, tls12_prf,
                                    tls12_prf_hash, tls13_exporter, tls13_suite_hash)


def test_tls12_prf_sha256_vector():
    # the TLS 1.2 PRF (P_SHA256) test vector circulated on the IETF TLS list
    out = tls12_prf(bytes.fromhex("9bbe436ba940f017b17652849a71db35"), b"test label",
                    bytes.fromhex("a0ba9f936cda311827a6f796ffd5198c"), 100)
    assert out.hex() == (
        "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e"
        "14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5"
        "a72e5a5110fff70187347b66")


def test_tls12_exporter_seed_is_randoms_then_length_prefixed_context():
    ms, cr, sr, ctx = b"m" * 48, b"c" * 32, b"s" * 32, b"x" * 32
    want = tls12_prf(ms, b"LABEL", cr + sr + struct.pack(">H", 32) + ctx, 32, "sha384")
    assert tls12_exporter(ms, cr, sr, b"LABEL", ctx, 32, "sha384") == want
    assert tls12_exporter(ms, cr, sr, b"LABEL", ctx, 32, "sha256") != want


def test_hkdf_expand_label_matches_an_independent_hkdf():
    secret = bytes(range(48))
    for hname, algo in (("sha256", hashes.SHA256()), ("sha384", hashes.SHA384())):
        info = struct.pack(">H", 40) + bytes([6 + 8]) + b"tls13 exporter" + bytes([3]) + b"ctx"
        want = HKDFExpand(algorithm=algo, length=40, info=info).derive(secret)
        assert hkdf_expand_label(hname, secret, b"exporter", b"ctx", 40) == want


def test_tls13_exporter_is_derive_secret_then_expand_label():
    secret, label, ctx = b"e" * 48, b"EXPORTER FOR TOR TLS CLIENT BINDING AUTH0003", b"c" * 32
    derived = hkdf_expand_label("sha384", secret, label, hashlib.sha384(b"").digest(), 48)
    want = hkdf_expand_label("sha384", derived, b"exporter", hashlib.sha384(ctx).digest(), 32)
    assert tls13_exporter(secret, label, ctx, 32, "sha384") == want
    assert tls13_exporter(secret, label, ctx, 32, "sha256") != want


def test_suite_hashes():
    assert tls12_prf_hash(0xC030) == "sha384" and tls12_prf_hash(0xC02F) == "sha256"
    assert tls13_suite_hash(0x1302) == "sha384" and tls13_suite_hash(0x1301) == "sha256"
    assert tls13_suite_hash(0x1303) == "sha256"
