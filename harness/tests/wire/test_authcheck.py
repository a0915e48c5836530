"""AUTHENTICATE type 3 recomputed from a hand-assembled transcript (hsprobe.wire.authcheck):
real RSA-1024 / Ed25519 keys and certificates built here, a known SLOG and CLOG, a signature by
the type-6 key, and the claim rules (computed must match; scenario/random/mutated/no claim are
information)."""

import datetime
import hashlib
import struct

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import NameOID

from hsprobe.wire.authcheck import check_authenticate
from hsprobe.wire.cells import AUTHENTICATE, parse_pair


def var(cmd, body, width):
    return (0).to_bytes(width, "big") + bytes([cmd]) + struct.pack(">H", len(body)) + body


def fixed(cmd, body, width):
    return (0).to_bytes(width, "big") + bytes([cmd]) + body.ljust(509, b"\0")


def rsa_cert(cn):
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime(2026, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    pkcs1 = key.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.PKCS1)
    return cert.public_bytes(serialization.Encoding.DER), hashlib.sha256(pkcs1).digest()


def raw(pub):
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def ed_cert(cert_type, certified, signer, signer_ext=None):
    exts = b""
    if signer_ext is not None:
        exts = struct.pack(">HBB", 32, 4, 0) + signer_ext
    body = bytes([1, cert_type]) + struct.pack(">I", 500000) + bytes([1]) + certified \
        + bytes([1 if signer_ext is not None else 0]) + exts
    return body + signer.sign(body)


def certs_body(certs):
    out = bytes([len(certs)])
    for t, c in certs:
        out += bytes([t]) + struct.pack(">H", len(c)) + c
    return out


class Side:
    def __init__(self, cn):
        self.x509, self.rsa_id = rsa_cert(cn)
        self.ed_id = ed25519.Ed25519PrivateKey.generate()
        self.ed_sign = ed25519.Ed25519PrivateKey.generate()
        self.type4 = ed_cert(4, raw(self.ed_sign.public_key()), self.ed_id,
                             raw(self.ed_id.public_key()))


TLSSECRETS = bytes(range(32))
SERVER_CERT = b"\x30\x82" + b"tls leaf certificate bytes"


@pytest.fixture(scope="module")
def world():
    ini, resp = Side("www.initiator.net"), Side("www.responder.net")
    auth_key = ed25519.Ed25519PrivateKey.generate()
    type6 = ed_cert(6, raw(auth_key.public_key()), ini.ed_sign)
    v = struct.pack(">HHH", 3, 4, 5)
    responder = (var(7, v, 2) + var(129, certs_body([(2, resp.x509), (4, resp.type4)]), 4)
                 + var(130, b"\x5a" * 32 + struct.pack(">HH", 1, 3), 4))
    known_slog = hashlib.sha256(responder).digest()   # through the end of AUTH_CHALLENGE
    responder += fixed(8, b"\x00" * 8, 4)             # NETINFO: after SLOG's coverage
    initiator = var(7, v, 2) + var(128, b"pad", 4) \
        + var(129, certs_body([(2, ini.x509), (4, ini.type4), (6, type6)]), 4)
    known_clog = hashlib.sha256(initiator).digest()
    return {"ini": ini, "resp": resp, "auth_key": auth_key, "responder": responder,
            "initiator_prefix": initiator, "slog": known_slog, "clog": known_clog}


def authenticator(w, **override):
    f = {"type": b"AUTH0003", "cid": w["ini"].rsa_id, "sid": w["resp"].rsa_id,
         "cid_ed": raw(w["ini"].ed_id.public_key()), "sid_ed": raw(w["resp"].ed_id.public_key()),
         "slog": w["slog"], "clog": w["clog"], "scert": hashlib.sha256(SERVER_CERT).digest(),
         "tlssecrets": TLSSECRETS, "rand": b"\x11" * 24}
    f.update(override)
    signed = b"".join(f[k] for k in ("type", "cid", "sid", "cid_ed", "sid_ed", "slog", "clog",
                                     "scert", "tlssecrets", "rand"))
    assert len(signed) == 288
    return f, signed + w["auth_key"].sign(signed)


def run(w, auth: bytes, claim=None):
    initiator = w["initiator_prefix"] + var(131, struct.pack(">HH", 3, len(auth)) + auth, 4) \
        + fixed(8, b"", 4)
    ps, pr = parse_pair(initiator, w["responder"])
    [cell] = [c for c in ps.cells if c.cmd == AUTHENTICATE]
    assert cell.offset == len(w["initiator_prefix"])

    def exporter(context):
        return TLSSECRETS if context == w["ini"].rsa_id else b"\xee" * 32
    return check_authenticate("sent", cell, initiator, ps, w["responder"], pr, SERVER_CERT,
                              exporter, claim)


def claim_for(fields, sources, mutated=False, sig=None):
    out = {"type": 3, "mutated": mutated,
           "fields": {k: {"hex": v.hex(), "source": sources.get(k, "computed")}
                      for k, v in fields.items() if k != "type"}}
    if sig is not None:
        out["fields"]["sig"] = {"hex": sig.hex(), "source": sources.get("sig", "computed")}
    return out


def test_every_field_is_recomputed_from_the_wire(world):
    fields, auth = authenticator(world)
    res = run(world, auth, claim_for(fields, {"rand": "random"}, sig=auth[288:]))
    assert res.errors == [], res.errors
    got = {k: f["match"] for k, f in res.fields.items()}
    assert got == {"type": True, "cid": True, "sid": True, "cid_ed": True, "sid_ed": True,
                   "slog": True, "clog": True, "scert": True, "tlssecrets": True, "rand": None,
                   "sig": True}
    assert res.fields["slog"]["derived"] == world["slog"].hex()   # the known SLOG
    assert res.fields["clog"]["derived"] == world["clog"].hex()


def test_a_deliberately_wrong_slog_is_shown_with_both_values_not_an_error(world):
    fields, auth = authenticator(world, slog=b"\0" * 32)
    res = run(world, auth, claim_for(fields, {"slog": "scenario", "rand": "random"}))
    assert res.errors == []
    assert res.fields["slog"]["match"] is False
    assert res.fields["slog"]["wire"] == "00" * 32
    assert res.fields["slog"]["derived"] == world["slog"].hex()
    [info] = [i for i in res.infos if i.startswith("SLOG")]
    assert "00" * 32 in info and world["slog"].hex() in info and "(scenario)" in info
    assert res.fields["sig"]["match"] is True   # signed over what was sent


def test_a_computed_field_that_disagrees_with_the_wire_is_an_error(world):
    wrong = hashlib.sha256(b"not the responder's bytes").digest()
    fields, auth = authenticator(world, slog=wrong)
    res = run(world, auth, claim_for(fields, {"rand": "random"}))   # slog claimed "computed"
    assert len(res.errors) == 1 and res.errors[0].startswith("SLOG")
    assert "the engine's computation disagrees with the wire" in res.errors[0]


def test_a_wrong_clog_tlssecrets_or_cid_are_each_caught(world):
    for name in ("clog", "tlssecrets", "cid", "sid_ed", "scert"):
        fields, auth = authenticator(world, **{name: b"\x42" * 32})
        res = run(world, auth, claim_for(fields, {"rand": "random"}))
        assert [e.split(":")[0] for e in res.errors] == [name.upper()], (name, res.errors)


def test_a_claim_describing_other_bytes_than_the_wire_is_an_error(world):
    fields, auth = authenticator(world)
    claim = claim_for(fields, {"rand": "random"})
    claim["fields"]["rand"]["hex"] = "22" * 24
    res = run(world, auth, claim)
    assert res.errors and "RAND: the engine's claim" in res.errors[0]


def test_a_bad_signature_is_an_error_only_when_claimed_computed(world):
    fields, auth = authenticator(world)
    bad = auth[:-1] + bytes([auth[-1] ^ 1])
    res = run(world, bad, claim_for(fields, {"rand": "random"}, sig=bad[288:]))
    assert res.fields["sig"]["match"] is False
    assert [e.split(" — ")[0] for e in res.errors] == [
        "SIG does not verify with the type-6 key "
        + raw(world["auth_key"].public_key()).hex()[:16] + "…"]
    res = run(world, bad, None)
    assert res.errors == [] and any(i.startswith("SIG") for i in res.infos)
    res = run(world, bad, claim_for(fields, {"rand": "random"}, mutated=True))
    assert res.errors == []


def test_without_a_claim_everything_is_information(world):
    fields, auth = authenticator(world, slog=b"\1" * 32, cid=b"\2" * 32)
    res = run(world, auth, None)
    assert res.errors == [] and not res.claimed
    assert res.fields["cid"]["match"] is False and res.fields["slog"]["match"] is False


def test_a_short_authenticator_marks_the_missing_fields_absent(world):
    _fields, auth = authenticator(world)
    res = run(world, auth[:100], None)          # TYPE, CID, SID whole; CID_ED cut
    assert res.auth_len == 100
    assert [res.fields[k]["match"] for k in ("type", "cid", "sid")] == [True, True, True]
    for k in ("cid_ed", "sid_ed", "slog", "sig"):
        assert res.fields[k]["match"] is None and "absent" in res.fields[k]["note"], k
