"""An independent reading of the Tor link formats, for checking hsprobe's test vectors.

Written from the spec (the project's spec/tor-link.md, tor-spec, cert-spec), sharing nothing
with the engine: it imports neither hsprobe's C code nor harness/py/hsprobe (whose wire package
has its own cell parser).  Cryptography comes from Python's `cryptography` package, except the
raw RSA operations tor uses (PKCS#1 v1.5 type-1 padding of a bare digest, no DigestInfo), which
are done here with pow() on the key's numbers so that the padding is checked byte by byte.

Every decoder raises Malformed(reason) with a word from the negative-vector vocabulary
(vectors/README.md): truncated, trailing, odd-length, bad-version, bad-extension-length, ...
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

CELL_BODY_LEN = 509
CMD = {"PADDING": 0, "VERSIONS": 7, "NETINFO": 8, "VPADDING": 128, "CERTS": 129,
       "AUTH_CHALLENGE": 130, "AUTHENTICATE": 131, "AUTHORIZE": 132}
CMD_NAME = {v: k for k, v in CMD.items()}
CROSSCERT_PREFIX = b"Tor TLS RSA/Ed25519 cross-certificate"
AUTH1_HMAC_SUFFIX = b"Tor V3 handshake TLS cross-certification\x00"
AUTH3_EXPORTER_LABEL = "EXPORTER FOR TOR TLS CLIENT BINDING AUTH0003"
X509_FUTURE_SLOP = 30 * 24 * 3600
X509_PAST_SLOP = 2 * 24 * 3600
SHA256_DIGESTINFO = bytes.fromhex("3031300d060960864801650304020105000420")


class Malformed(Exception):
    """The bytes cannot be what they claim; .reason is the vocabulary word."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def sha256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def drbg(seed: int, label: str, n: int) -> bytes:
    """hsprobe's seeded generator, as vectors/README.md states it: key = SHA-256(u64be(seed) ||
    label), block i = SHA-256(key || u64be(i)), output = the blocks concatenated."""
    key = sha256(struct.pack(">Q", seed) + label.encode()[:256])
    out = b""
    i = 0
    while len(out) < n:
        out += sha256(key + struct.pack(">Q", i))
        i += 1
    return out[:n]


class Reader:
    """Bounded reads: running past the end raises Malformed('truncated')."""

    def __init__(self, b: bytes):
        self.b, self.i = b, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.i + n > len(self.b):
            raise Malformed("truncated", f"need {n} bytes at {self.i}, have {len(self.b) - self.i}")
        out = self.b[self.i:self.i + n]
        self.i += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def rest(self) -> bytes:
        return self.take(len(self.b) - self.i)

    def left(self) -> int:
        return len(self.b) - self.i


# ---- cells -------------------------------------------------------------------------------------

def circ_width(link: int) -> int:
    return 4 if link >= 4 else 2


def is_var(link: int, cmd: int) -> bool:
    # tor-spec: before negotiation and from link 3 on, VERSIONS and every command >= 128.
    if link == 1:
        return False
    if link == 2:
        return cmd == 7
    return cmd == 7 or cmd >= 128


@dataclass
class Cell:
    circ_id: int
    cmd: int
    var: bool
    width: int
    body: bytes
    length: int


def decode_cell(b: bytes, link: int) -> Cell:
    """One cell from the front of b (the caller decides whether leftovers are allowed)."""
    r = Reader(b)
    w = circ_width(link)
    circ = r.u32() if w == 4 else r.u16()
    cmd = r.u8()
    var = is_var(link, cmd)
    body = r.take(r.u16()) if var else r.take(CELL_BODY_LEN)
    return Cell(circ, cmd, var, w, body, r.i)


def decode_versions(body: bytes) -> list[int]:
    if len(body) % 2:
        raise Malformed("odd-length", f"{len(body)} bytes")
    return [int.from_bytes(body[i:i + 2], "big") for i in range(0, len(body), 2)]


def decode_certs(body: bytes) -> tuple[list[tuple[int, bytes]], int]:
    r = Reader(body)
    n = r.u8()
    out = []
    for _ in range(n):
        t = r.u8()
        out.append((t, r.take(r.u16())))
    return out, r.left()


def decode_auth_challenge(body: bytes) -> tuple[bytes, list[int], int]:
    r = Reader(body)
    ch = r.take(32)
    methods = [r.u16() for _ in range(r.u16())]
    return ch, methods, r.left()


@dataclass
class Addr:
    atype: int
    value: bytes

    @property
    def kind(self) -> str:
        want = {4: 4, 6: 16}.get(self.atype)
        if want is None:
            return "unknown"
        return ("ipv4" if self.atype == 4 else "ipv6") if len(self.value) == want else "bad-length"


def decode_netinfo(body: bytes) -> tuple[int, Addr, list[Addr], int, bool]:
    r = Reader(body)
    t = r.u32()

    def addr() -> Addr:
        at = r.u8()
        return Addr(at, r.take(r.u8()))

    other = addr()
    mine = [addr() for _ in range(r.u8())]
    rest = r.rest()
    return t, other, mine, len(body) - len(rest), any(rest)


def decode_authenticate(body: bytes) -> tuple[int, bytes, int]:
    r = Reader(body)
    typ = r.u16()
    auth = r.take(r.u16())
    return typ, auth, r.left()


AUTH3_LAYOUT = [("type", 8), ("cid", 32), ("sid", 32), ("cid_ed", 32), ("sid_ed", 32),
                ("slog", 32), ("clog", 32), ("scert", 32), ("tlssecrets", 32), ("rand", 24),
                ("sig", 64)]
AUTH1_LAYOUT = [("type", 8), ("cid", 32), ("sid", 32), ("slog", 32), ("clog", 32), ("scert", 32),
                ("tlssecrets", 32), ("rand", 24), ("sig", None)]


def split_auth(auth: bytes, typ: int) -> dict[str, bytes]:
    layout = AUTH3_LAYOUT if typ == 3 else AUTH1_LAYOUT
    if typ == 3 and len(auth) != 352:
        raise Malformed("bad-length", f"{len(auth)} bytes, a type-3 authenticator is 352")
    r = Reader(auth)
    out = {name: (r.take(n) if n is not None else r.rest()) for name, n in layout}
    if typ == 1 and not out["sig"]:
        raise Malformed("truncated", "no signature")
    return out


# ---- Ed25519 certificates and the cross-certificate ------------------------------------------

@dataclass
class EdCert:
    version: int
    cert_type: int
    exp_hours: int
    key_type: int
    certified_key: bytes
    extensions: list[tuple[int, int, bytes]]
    signature: bytes
    signed: bytes
    signing_key_ext: bytes | None = None
    unknown_critical: bool = False
    duplicate_signing_key: bool = False

    def expired(self, now: int) -> bool:
        return self.exp_hours * 3600 < now


def decode_edcert(b: bytes) -> EdCert:
    """cert-spec 2.1.  Raises only for what cannot be laid out; the flags that forbid accepting
    a cert (unknown AFFECTS_VALIDATION extension, second signed-with-key) are reported on the
    object, as the spec words them as validation rules."""
    r = Reader(b)
    version = r.u8()
    if version != 1:
        raise Malformed("bad-version", f"VERSION {version}")
    cert_type, exp, key_type = r.u8(), r.u32(), r.u8()
    key = r.take(32)
    exts = []
    signing_key = None
    unknown_critical = dup = False
    for _ in range(r.u8()):
        n, et, flags = r.u16(), r.u8(), r.u8()
        data = r.take(n)
        if et == 4:
            if n != 32:
                raise Malformed("bad-extension-length", f"signed-with-key extension of {n} bytes")
            if signing_key is None:
                signing_key = data
            else:
                dup = True
        elif flags & 1:
            unknown_critical = True
        exts.append((et, flags, data))
    signed = b[:r.i]
    sig = r.take(64)
    if r.left():
        raise Malformed("trailing", f"{r.left()} bytes after the signature")
    return EdCert(version, cert_type, exp, key_type, key, exts, sig, signed, signing_key,
                  unknown_critical, dup)


def ed_verify(pub: bytes, msg: bytes, sig: bytes) -> bool:
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


@dataclass
class CrossCert:
    ed_key: bytes
    exp_hours: int
    signature: bytes
    signed: bytes

    def digest(self) -> bytes:
        return sha256(CROSSCERT_PREFIX + self.signed)

    def expired(self, now: int) -> bool:
        return self.exp_hours * 3600 < now


def decode_crosscert(b: bytes) -> CrossCert:
    r = Reader(b)
    key, exp = r.take(32), r.u32()
    sig = r.take(r.u8())
    if r.left():
        raise Malformed("trailing", f"{r.left()} bytes after the signature")
    return CrossCert(key, exp, sig, b[:36])


# ---- RSA, by hand where tor is unusual ------------------------------------------------------

def _der_tlv(b: bytes, i: int, tag: int) -> tuple[bytes, int]:
    if i >= len(b) or b[i] != tag:
        raise Malformed("bad-der", f"expected tag {tag:#x} at {i}")
    i += 1
    n = b[i]
    i += 1
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    if i + n > len(b):
        raise Malformed("bad-der", "length past the end")
    return b[i:i + n], i + n


def rsa_numbers_from_pkcs1(der: bytes) -> tuple[int, int]:
    """(n, e) from DER RSAPublicKey ::= SEQUENCE { INTEGER n, INTEGER e }."""
    seq, end = _der_tlv(der, 0, 0x30)
    if end != len(der):
        raise Malformed("bad-der", "bytes after the key")
    n, i = _der_tlv(seq, 0, 0x02)
    e, i = _der_tlv(seq, i, 0x02)
    if i != len(seq):
        raise Malformed("bad-der", "bytes after the exponent")
    return int.from_bytes(n, "big"), int.from_bytes(e, "big")


def pkcs1_of(pub: rsa.RSAPublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization
    return pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


def rsa_recover(pkcs1: bytes, sig: bytes) -> bytes:
    """sig^e mod n as a k-byte block (the encoded message a verifier unpads)."""
    n, e = rsa_numbers_from_pkcs1(pkcs1)
    k = (n.bit_length() + 7) // 8
    s = int.from_bytes(sig, "big")
    if len(sig) != k or s >= n:
        raise Malformed("bad-signature", "signature length or value out of range")
    return pow(s, e, n).to_bytes(k, "big")


def type1_block(k: int, payload: bytes) -> bytes:
    return b"\x00\x01" + b"\xff" * (k - 3 - len(payload)) + b"\x00" + payload


def rsa_raw_kind(pkcs1: bytes, digest: bytes, sig: bytes) -> str:
    """'raw' if sig is PKCS#1 v1.5 type-1 padding of the bare digest (what tor signs),
    'digestinfo' if it is a standard SHA-256 signature of it, else 'bad'."""
    try:
        em = rsa_recover(pkcs1, sig)
    except Malformed:
        return "bad"
    if em == type1_block(len(em), digest):
        return "raw"
    if em == type1_block(len(em), SHA256_DIGESTINFO + digest):
        return "digestinfo"
    return "bad"


def rsa_raw_sign(priv: rsa.RSAPrivateKey, digest: bytes) -> bytes:
    """tor's raw signature, from the private numbers (used to re-sign independently)."""
    nums = priv.private_numbers()
    n = nums.public_numbers.n
    k = (n.bit_length() + 7) // 8
    m = int.from_bytes(type1_block(k, digest), "big")
    return pow(m, nums.d, n).to_bytes(k, "big")


# ---- X.509 --------------------------------------------------------------------------------

def load_x509(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as e:
        raise Malformed("undecodable", str(e)) from e


def x509_cn(name: x509.Name) -> str:
    attrs = list(name)
    return attrs[0].value if len(attrs) == 1 and attrs[0].oid == x509.NameOID.COMMON_NAME else "?"


def x509_signed_by(cert: x509.Certificate, issuer_pkcs1: bytes) -> bool:
    n, e = rsa_numbers_from_pkcs1(issuer_pkcs1)
    key = rsa.RSAPublicNumbers(e, n).public_key()
    try:
        key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                   cert.signature_hash_algorithm)
        return True
    except InvalidSignature:
        return False


def x509_times(cert: x509.Certificate) -> tuple[int, int]:
    import calendar
    return (calendar.timegm(cert.not_valid_before.utctimetuple()),
            calendar.timegm(cert.not_valid_after.utctimetuple()))


def x509_key_pkcs1(cert: x509.Certificate) -> bytes:
    return pkcs1_of(cert.public_key())


# ---- CERTS chains, in tor's order of checks (spec/tor-link.md 5.2) -------------------------

@dataclass
class ChainResult:
    reason: str | None  # None: valid
    path: str
    rsa_id_sha1: bytes | None = None
    ed_id: bytes | None = None
    ed_link_auth: bytes | None = None
    rsa_id_sha256: bytes | None = None
    notes: list[str] = field(default_factory=list)


def _try(fn, b):
    try:
        return fn(b)
    except Malformed:
        return None


def _x509_dates_ok(cert: x509.Certificate, now: int) -> bool:
    nb, na = x509_times(cert)
    return nb <= now + X509_FUTURE_SLOP and na >= now - X509_PAST_SLOP


def verify_chain(body: bytes, role: str, tls_der: bytes | None, now: int) -> ChainResult:
    try:
        entries, _ = decode_certs(body)
    except Malformed as e:
        return ChainResult(e.reason, "?")
    counts: dict[int, int] = {}
    for t, _ in entries:
        counts[t] = counts.get(t, 0) + 1
    by = {t: c for t, c in reversed(entries)}  # the first of each type
    ed_path = 4 in by
    res = ChainResult(None, "ed25519" if ed_path else "rsa")
    if any(counts.get(t, 0) > 1 for t in range(1, 8)):
        res.reason = "duplicate-certificate"
        return res
    idc = _try(load_x509, by[2]) if 2 in by else None
    if idc is not None:
        pk = x509_key_pkcs1(idc)
        res.rsa_id_sha1 = hashlib.sha1(pk).digest()
        res.rsa_id_sha256 = sha256(pk)
    responder = role == "responder"
    if ed_path:
        e4 = _try(decode_edcert, by[4])
        if e4 is not None and (e4.unknown_critical or e4.duplicate_signing_key):
            e4 = None
        leaf_t = 5 if responder else 6
        leaf = _try(decode_edcert, by[leaf_t]) if leaf_t in by else None
        if leaf is not None and (leaf.unknown_critical or leaf.duplicate_signing_key):
            leaf = None
        if e4 is not None and e4.signing_key_ext is not None:
            res.ed_id = e4.signing_key_ext
        if not responder and leaf is not None:
            res.ed_link_auth = leaf.certified_key
        if e4 is None or e4.signing_key_ext is None:
            res.reason = "missing-signing-key"
        elif leaf is None:
            res.reason = "missing-link-cert" if responder else "missing-auth-cert"
        elif responder and (tls_der is None or leaf.certified_key != sha256(tls_der)):
            res.reason = "tls-link-mismatch"
        elif e4.expired(now) or leaf.expired(now):
            res.reason = "expired"
        elif idc is None:
            res.reason = "missing-rsa-id"
        elif not (x509_signed_by(idc, x509_key_pkcs1(idc)) and idc.public_key().key_size == 1024):
            res.reason = "rsa-id-invalid"
        elif not _x509_dates_ok(idc, now):
            res.reason = "x509-dates"
        elif 7 not in by:
            res.reason = "missing-crosscert"
        else:
            cc = _try(decode_crosscert, by[7])
            if cc is None:
                res.reason = "crosscert-unparseable"
            elif cc.ed_key != e4.signing_key_ext:
                res.reason = "crosscert-key-mismatch"
            elif cc.expired(now):
                res.reason = "expired"
            elif rsa_raw_kind(x509_key_pkcs1(idc), cc.digest(), cc.signature) != "raw":
                res.reason = "crosscert-bad-signature"
            elif not (ed_verify(e4.signing_key_ext, e4.signed, e4.signature)
                      and ed_verify(e4.certified_key, leaf.signed, leaf.signature)):
                res.reason = "bad-ed-signature"
        return res
    # RSA-only path.
    other_t = 1 if responder else 3
    oc = _try(load_x509, by[other_t]) if other_t in by else None
    if idc is None or oc is None:
        res.reason = "missing-certs"
    elif responder and (tls_der is None or x509_key_pkcs1(oc) != x509_key_pkcs1(load_x509(tls_der))):
        res.reason = "tls-link-mismatch"
    elif not x509_signed_by(oc, x509_key_pkcs1(idc)):
        res.reason = "link-cert-invalid" if responder else "auth-cert-invalid"
    elif not _x509_dates_ok(oc, now) or not _x509_dates_ok(idc, now):
        res.reason = "x509-dates"
    elif not x509_signed_by(idc, x509_key_pkcs1(idc)) or idc.public_key().key_size != 1024:
        res.reason = "rsa-id-invalid"
    elif not responder and oc.public_key().key_size != 1024:
        res.reason = "auth-cert-invalid"
    return res
