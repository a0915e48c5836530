"""The rules vectors/README.md states for each vector family, checked with torvec's decoders
(no engine code).  check_dir(path) returns every vector id it looked at and, per id, what is
wrong with it; an empty problem list means the vector is right.

Beyond what `hsprobe vectors --check` verifies, this checker also holds the vectors to how they
were made: public keys must be those of the committed identity files, Ed25519 and RSA
signatures are recomputed from the private keys and must be byte-identical, and every value the
README says comes from the seeded generator is recomputed from (seed, label).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

import torvec as tv
from torvec import Malformed

REPO = Path(__file__).resolve().parents[3]
VECTORS = REPO / "vectors"
IDENTITIES = VECTORS / "identities"
FAMILIES = ["certs", "cells", "tor-observed", "handshake", "authenticate", "negative"]
FORMAT = "hsprobe-vectors/1"


def h(b: bytes) -> str:
    return b.hex()


def short(v) -> str:
    s = v.hex() if isinstance(v, (bytes, bytearray)) else repr(v)
    return s if len(s) <= 72 else f"{s[:64]}... ({len(s)} chars)"


class Problems:
    def __init__(self):
        self.by: dict[str, list[str]] = {}
        self.ids: dict[str, list[str]] = {}

    def seen(self, fam: str, vid: str):
        self.ids.setdefault(fam, []).append(vid)
        self.by.setdefault(f"{fam}/{vid}", [])

    def add(self, fam: str, vid: str, msg: str):
        self.by.setdefault(f"{fam}/{vid}", []).append(msg)

    def eq(self, fam, vid, what, stated, recomputed):
        if stated == recomputed:
            return
        a, b = (x.hex() if isinstance(x, (bytes, bytearray)) else x for x in (stated, recomputed))
        if isinstance(a, str) and isinstance(b, str) and len(a) > 72:
            # Long strings that share a prefix: say where they part.
            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            self.add(fam, vid, f"{what}: differs from character {at} (of {len(a)} / {len(b)}): the file "
                               f"says ...{a[max(0, at - 8):at + 24]}, recomputed ...{b[max(0, at - 8):at + 24]}")
            return
        self.add(fam, vid, f"{what}: the file says {short(stated)}, recomputed {short(recomputed)}")


def hexf(o: dict, key: str) -> bytes:
    return bytes.fromhex(o[key])


# ---- the identities on disk --------------------------------------------------------------------

class Identity:
    """A committed identity read with `cryptography` (not with hsprobe's loader)."""

    def __init__(self, d: Path):
        def pem(name):
            return serialization.load_pem_private_key((d / name).read_bytes(), password=None)

        self.rsa_id, self.rsa_link, self.rsa_auth = (pem("rsa-identity.pem"), pem("rsa-link.pem"),
                                                     pem("rsa-auth.pem"))
        seeds = dict(line.split() for line in (d / "ed25519.keys").read_text().splitlines() if line)
        self.ed = {k: ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(v))
                   for k, v in seeds.items()}
        self.names = dict(line.split() for line in (d / "names").read_text().splitlines() if line)
        self.fingerprints = dict(line.split() for line in (d / "fingerprints").read_text().splitlines()
                                 if line)

    def ed_pub(self, which: str) -> bytes:
        return self.ed[which].public_key().public_bytes(serialization.Encoding.Raw,
                                                        serialization.PublicFormat.Raw)

    def ed_priv_by_pub(self, pub: bytes):
        for k in self.ed:
            if self.ed_pub(k) == pub:
                return self.ed[k]
        return None


# ---- certs.json ----------------------------------------------------------------------------

def check_certs(doc, docs, idents, p: Problems):
    F = "certs"
    now, seed = doc["now"], doc["seed"]
    ins = doc["inputs"]
    ids = ins["identities"]
    for name, i in ids.items():
        vid = f"identity-{name}"
        p.seen(F, vid)
        pk = hexf(i, "rsa_identity_pkcs1")
        p.eq(F, vid, "rsa_identity_sha1", hexf(i, "rsa_identity_sha1"), hashlib.sha1(pk).digest())
        p.eq(F, vid, "rsa_identity_sha256", hexf(i, "rsa_identity_sha256"), tv.sha256(pk))
        disk = idents.get(name)
        if disk is None:
            p.add(F, vid, f"no identity directory {name}")
            continue
        p.eq(F, vid, "rsa_identity_pkcs1 (the identity's key file)", pk,
             tv.pkcs1_of(disk.rsa_id.public_key()))
        p.eq(F, vid, "rsa_link_pkcs1", hexf(i, "rsa_link_pkcs1"), tv.pkcs1_of(disk.rsa_link.public_key()))
        p.eq(F, vid, "rsa_auth_pkcs1", hexf(i, "rsa_auth_pkcs1"), tv.pkcs1_of(disk.rsa_auth.public_key()))
        for k, w in (("ed25519_identity", "identity"), ("ed25519_signing", "signing"),
                     ("ed25519_link_auth", "link-auth")):
            p.eq(F, vid, k, hexf(i, k), disk.ed_pub(w))
        p.eq(F, vid, "rsa_identity_sha1 (the fingerprints file)",
             i["rsa_identity_sha1"].upper(), disk.fingerprints["rsa-sha1"])
        for k, w in (("id_cn", "id-cn"), ("link_cn", "link-cn"), ("auth_cn", "auth-cn")):
            p.eq(F, vid, k, i[k], disk.names[w])
    exp = ins["expiration_hours"]
    for want, life in (("type4", 30), ("type5", 2), ("type6", 2), ("crosscert", 180)):
        p.seen(F, "inputs")
        p.eq(F, "inputs", f"expiration_hours.{want}", exp[want], (now + life * 86400 + 3599) // 3600)
    p.eq(F, "inputs", "x509_not_before", ins["x509_not_before"], now - 86400)
    p.eq(F, "inputs", "x509_not_after", ins["x509_not_after"], now + 365 * 86400)
    by_id = {v["id"]: v for v in doc["vectors"]}
    for v in doc["vectors"]:
        vid, fam_ident = v["id"], ids.get(v["identity"], {})
        p.seen(F, vid)
        try:
            if v["kind"] == "x509":
                _x509(v, fam_ident, ins, seed, idents.get(v["identity"]), p)
            elif v["kind"] == "ed25519":
                _ed(v, fam_ident, by_id, now, idents.get(v["identity"]), p)
            elif v["kind"] == "crosscert":
                _cross(v, fam_ident, now, idents.get(v["identity"]), p)
            else:
                p.add(F, vid, f"unknown kind {v['kind']}")
        except (Malformed, KeyError, ValueError) as e:
            p.add(F, vid, f"{type(e).__name__}: {e}")


def _x509(v, ident, ins, seed, disk, p):
    F, vid, f = "certs", v["id"], v["fields"]
    der = hexf(v, "der")
    p.eq(F, vid, "sha256", hexf(v, "sha256"), tv.sha256(der))
    cert = tv.load_x509(der)
    p.eq(F, vid, "fields.version", f["version"], cert.version.value + 1)
    serial = cert.serial_number.to_bytes((cert.serial_number.bit_length() + 8) // 8, "big")
    p.eq(F, vid, "fields.serial", hexf(f, "serial"), serial)
    p.eq(F, vid, "fields.signature_algorithm", f["signature_algorithm"],
         "sha256WithRSAEncryption" if cert.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.11"
         else cert.signature_algorithm_oid.dotted_string)
    p.eq(F, vid, "fields.issuer_cn", f["issuer_cn"], tv.x509_cn(cert.issuer))
    p.eq(F, vid, "fields.subject_cn", f["subject_cn"], tv.x509_cn(cert.subject))
    nb, na = tv.x509_times(cert)
    p.eq(F, vid, "fields.not_before", f["not_before"], nb)
    p.eq(F, vid, "fields.not_after", f["not_after"], na)
    p.eq(F, vid, "fields.not_before (inputs)", f["not_before"], ins["x509_not_before"])
    p.eq(F, vid, "fields.not_after (inputs)", f["not_after"], ins["x509_not_after"])
    p.eq(F, vid, "fields.subject_key_pkcs1", hexf(f, "subject_key_pkcs1"), tv.x509_key_pkcs1(cert))
    p.eq(F, vid, "fields.subject_key_bits", f["subject_key_bits"], cert.public_key().key_size)
    p.eq(F, vid, "fields.extensions", f["extensions"], len(cert.extensions))
    if not tv.x509_signed_by(cert, hexf(v, "issuer_key_pkcs1")):
        p.add(F, vid, "signature: does not verify with issuer_key_pkcs1")
    t = v["cert_type"]
    role_key = {1: "rsa_link_pkcs1", 2: "rsa_identity_pkcs1", 3: "rsa_auth_pkcs1"}[t]
    p.eq(F, vid, f"rule: certifies the identity's {role_key}", hexf(ident, role_key),
         tv.x509_key_pkcs1(cert))
    p.eq(F, vid, "rule: issued by the identity's RSA key", hexf(ident, "rsa_identity_pkcs1"),
         hexf(v, "issuer_key_pkcs1"))
    cn_key = {1: "link_cn", 2: "id_cn", 3: "auth_cn"}[t]
    p.eq(F, vid, "rule: subject name", ident[cn_key], f["subject_cn"])
    p.eq(F, vid, "rule: issuer name", ident["id_cn"], f["issuer_cn"])
    # The serial: 8 DRBG bytes, top bit cleared and 0x40 set; an issued cert's builder first
    # spends 8 bytes on a throwaway issuer template.
    raw = bytearray(tv.drbg(seed, v["drbg_label"], 16)[0:8] if t == 2 else tv.drbg(seed, v["drbg_label"], 16)[8:16])
    raw[0] = (raw[0] & 0x7F) | 0x40
    p.eq(F, vid, "fields.serial (from the DRBG)", hexf(f, "serial"), bytes(raw))


def _ed(v, ident, by_id, now, disk, p):
    F, vid, f = "certs", v["id"], v["fields"]
    b = hexf(v, "hex")
    c = tv.decode_edcert(b)
    if c.unknown_critical or c.duplicate_signing_key:
        p.add(F, vid, "carries an extension that forbids accepting it")
    p.eq(F, vid, "fields.version", f["version"], c.version)
    p.eq(F, vid, "fields.cert_type", f["cert_type"], c.cert_type)
    p.eq(F, vid, "cert_type", v["cert_type"], c.cert_type)
    p.eq(F, vid, "fields.expiration_hours", f["expiration_hours"], c.exp_hours)
    p.eq(F, vid, "fields.key_type", f["key_type"], c.key_type)
    p.eq(F, vid, "fields.certified_key", hexf(f, "certified_key"), c.certified_key)
    p.eq(F, vid, "fields.extensions", [(e["type"], e["flags"], bytes.fromhex(e["data"])) for e in f["extensions"]],
         c.extensions)
    p.eq(F, vid, "fields.signature", hexf(f, "signature"), c.signature)
    p.eq(F, vid, "signed_len", v["signed_len"], len(c.signed))
    p.eq(F, vid, "expired_at_now", v["expired_at_now"], c.expired(now))
    key = hexf(v, "signing_key")
    if not tv.ed_verify(key, c.signed, c.signature):
        p.add(F, vid, "signature: does not verify with signing_key")
    if c.signing_key_ext is not None:
        p.eq(F, vid, "rule: the signed-with-key extension names the signer", key, c.signing_key_ext)
    t = v["cert_type"]
    p.eq(F, vid, "rule: signing key", hexf(ident, "ed25519_identity" if t == 4 else "ed25519_signing"), key)
    if t == 4:
        p.eq(F, vid, "rule: certifies the signing key", hexf(ident, "ed25519_signing"), c.certified_key)
    elif t == 6:
        p.eq(F, vid, "rule: certifies the link-auth key", hexf(ident, "ed25519_link_auth"), c.certified_key)
    elif t == 5:
        link = by_id.get(f"x509-link-{v['identity']}")
        p.eq(F, vid, "rule: certifies SHA-256 of the TLS link cert",
             tv.sha256(hexf(link, "der")) if link else None, c.certified_key)
        p.eq(F, vid, "rule: key type 3", 3, c.key_type)
    # Ed25519 is deterministic: the identity's private key must give the same signature.
    priv = disk.ed_priv_by_pub(key) if disk else None
    if priv is None:
        p.add(F, vid, "signing_key is none of the identity's Ed25519 keys")
    else:
        p.eq(F, vid, "signature (re-signed with the identity's key)", c.signature, priv.sign(c.signed))


def _cross(v, ident, now, disk, p):
    F, vid, f = "certs", v["id"], v["fields"]
    c = tv.decode_crosscert(hexf(v, "hex"))
    p.eq(F, vid, "fields.ed25519_key", hexf(f, "ed25519_key"), c.ed_key)
    p.eq(F, vid, "fields.expiration_hours", f["expiration_hours"], c.exp_hours)
    p.eq(F, vid, "fields.signature", hexf(f, "signature"), c.signature)
    p.eq(F, vid, "signed_digest", hexf(v, "signed_digest"), c.digest())
    p.eq(F, vid, "expired_at_now", v["expired_at_now"], c.expired(now))
    kind = tv.rsa_raw_kind(hexf(v, "signing_key_pkcs1"), c.digest(), c.signature)
    if kind != "raw":
        p.add(F, vid, f"signature: expected a raw PKCS#1 v1.5 signature of the digest, got {kind}")
    p.eq(F, vid, "rule: certifies the Ed25519 identity", hexf(ident, "ed25519_identity"), c.ed_key)
    p.eq(F, vid, "rule: signed by the RSA identity key", hexf(ident, "rsa_identity_pkcs1"),
         hexf(v, "signing_key_pkcs1"))
    if disk:
        p.eq(F, vid, "signature (re-signed with the identity's RSA key)", c.signature,
             tv.rsa_raw_sign(disk.rsa_id, c.digest()))


# ---- cells.json and tor-observed.json -----------------------------------------------------

def _addr_obj(a: tv.Addr) -> dict:
    return {"atype": a.atype, "alen": len(a.value), "value": h(a.value), "kind": a.kind}


def check_cells(doc, docs, idents, p: Problems, F="cells"):
    certs = {v["id"]: v for v in docs.get("certs", {}).get("vectors", [])}
    seed = doc["seed"]
    for v in doc["vectors"]:
        vid = v["id"]
        p.seen(F, vid)
        try:
            _cell(v, certs, seed, p, F)
        except (Malformed, KeyError, ValueError) as e:
            p.add(F, vid, f"{type(e).__name__}: {e}")


def _cell(v, certs, seed, p, F):
    vid = v["id"]
    b = hexf(v, "hex")
    c = tv.decode_cell(b, v["link_version"])
    if c.length != len(b):
        p.add(F, vid, f"{len(b) - c.length} bytes after the cell")
    for k, got in (("cmd", c.cmd), ("circ_width", c.width), ("circ_id", c.circ_id), ("var", c.var),
                   ("body_len", len(c.body))):
        p.eq(F, vid, k, v[k], got)
    p.eq(F, vid, "command", v["command"], tv.CMD_NAME.get(c.cmd, "?"))
    f = v["fields"]
    if c.cmd == 7:
        p.eq(F, vid, "fields.versions", f["versions"], tv.decode_versions(c.body))
    elif c.cmd == 129:
        entries, trailing = tv.decode_certs(c.body)
        p.eq(F, vid, "fields.n", f["n"], len(entries))
        p.eq(F, vid, "fields.trailing", f["trailing"], trailing)
        stated = [(e["type"], e["len"], e["sha256"]) for e in f["certs"]]
        p.eq(F, vid, "fields.certs", stated, [(t, len(x), h(tv.sha256(x))) for t, x in entries])
        for i, e in enumerate(f["certs"]):
            ref = e.get("ref")
            if ref and certs:
                r = certs.get(ref)
                rb = hexf(r, "der") if r and "der" in r else hexf(r, "hex") if r else b""
                p.eq(F, vid, f"fields.certs[{i}].ref {ref}", h(tv.sha256(rb)) if r else None,
                     h(tv.sha256(entries[i][1])) if i < len(entries) else None)
        ch = v.get("chain")
        if ch:
            tls = hexf(ch, "tls_cert_der") if "tls_cert_der" in ch else None
            r = tv.verify_chain(c.body, ch["role"], tls, ch["now"])
            p.eq(F, vid, "chain.valid", ch["valid"], r.reason is None)
            if r.reason:
                p.add(F, vid, f"chain: {r.reason}")
            p.eq(F, vid, "chain.path", ch["path"], r.path)
            p.eq(F, vid, "chain.rsa_identity_sha1", ch["rsa_identity_sha1"],
                 h(r.rsa_id_sha1) if r.rsa_id_sha1 else None)
            p.eq(F, vid, "chain.ed25519_identity", ch["ed25519_identity"],
                 h(r.ed_id) if r.ed_id and r.path == "ed25519" else None)
    elif c.cmd == 130:
        ch, methods, trailing = tv.decode_auth_challenge(c.body)
        p.eq(F, vid, "fields.challenge", f["challenge"], h(ch))
        p.eq(F, vid, "fields.methods", f["methods"], methods)
        p.eq(F, vid, "fields.trailing", f["trailing"], trailing)
        if "drbg_label" in v:
            p.eq(F, vid, "challenge (from the DRBG)", ch, tv.drbg(seed, v["drbg_label"], 32))
    elif c.cmd == 8:
        t, other, mine, used, nonzero = tv.decode_netinfo(c.body)
        p.eq(F, vid, "fields.time", f["time"], t)
        p.eq(F, vid, "fields.other", f["other"], _addr_obj(other))
        p.eq(F, vid, "fields.my", f["my"], [_addr_obj(a) for a in mine])
        p.eq(F, vid, "fields.encoded_len", f["encoded_len"], used)
        if nonzero:
            p.add(F, vid, "the padding after the addresses is not all zero")
    elif c.cmd in (0, 128):
        p.eq(F, vid, "fields.body", f["body"], h(c.body))
        if "drbg_label" in v:
            p.eq(F, vid, "body (from the DRBG)", c.body, tv.drbg(seed, v["drbg_label"], len(c.body)))
    else:
        p.add(F, vid, f"no rules for command {c.cmd}")


# ---- handshake.json ----------------------------------------------------------------------------

class Transcript:
    """A handshake vector rebuilt from its cells, with what the rules need."""

    def __init__(self, v):
        self.link = v["link_version"]
        self.streams = {"initiator": b"", "responder": b""}
        self.problems: list[str] = []
        self.first: dict[tuple[str, int], bytes] = {}  # (side, cmd) -> first body
        self.slog_len = self.clog_len = None
        sent_versions = {"initiator": False, "responder": False}
        for i, c in enumerate(v["cells"]):
            side = c["from"]
            b = hexf(c, "hex")
            frame_link = self.link if sent_versions[side] else 0
            try:
                cell = tv.decode_cell(b, frame_link)
            except Malformed as e:
                self.problems.append(f"cells[{i}]: {e}")
                continue
            if cell.length != len(b):
                self.problems.append(f"cells[{i}]: bytes after the cell")
            want_w = tv.circ_width(frame_link)
            for k, want, got in (("offset", c["offset"], len(self.streams[side])), ("len", c["len"], len(b)),
                                 ("cmd", c["cmd"], cell.cmd), ("circ_width", c["circ_width"], cell.width),
                                 ("width rule", want_w, cell.width), ("circ_id", 0, cell.circ_id)):
                if want != got:
                    self.problems.append(f"cells[{i}].{k}: the file says {want}, recomputed {got}")
            if side == "initiator" and cell.cmd == 131 and self.clog_len is None:
                self.clog_len = len(self.streams[side])
            self.first.setdefault((side, cell.cmd), cell.body)
            self.streams[side] += b
            if side == "responder" and cell.cmd == 130 and self.slog_len is None:
                self.slog_len = len(self.streams[side])
            if cell.cmd == 7:
                sent_versions[side] = True


def check_handshake(doc, docs, idents, p: Problems):
    F = "handshake"
    now, seed = doc["now"], doc["seed"]
    for v in doc["vectors"]:
        vid = v["id"]
        p.seen(F, vid)
        try:
            _handshake(v, now, seed, docs, p)
        except (Malformed, KeyError, ValueError) as e:
            p.add(F, vid, f"{type(e).__name__}: {e}")


def _handshake(v, now, seed, docs, p):
    F, vid = "handshake", v["id"]
    t = Transcript(v)
    for msg in t.problems:
        p.add(F, vid, msg)
    iv = tv.decode_versions(t.first[("initiator", 7)])
    rv = tv.decode_versions(t.first[("responder", 7)])
    p.eq(F, vid, "initiator_versions", v["initiator_versions"], iv)
    p.eq(F, vid, "responder_versions", v["responder_versions"], rv)
    p.eq(F, vid, "link_version (highest common)", v["link_version"], max(set(iv) & set(rv), default=0))
    for side in ("initiator", "responder"):
        s = t.streams[side]
        p.eq(F, vid, f"{side}_stream", v[f"{side}_stream"], {"len": len(s), "sha256": h(tv.sha256(s))})
    tls = v["tls"]
    der = hexf(tls, "server_cert_der")
    certs = {x["id"]: x for x in docs.get("certs", {}).get("vectors", [])}
    if certs:
        p.eq(F, vid, "tls.server_cert_der (certs.json)", hexf(certs[tls["server_cert"]], "der"), der)
    r = tv.verify_chain(t.first[("responder", 129)], "responder", der, now)
    if r.reason:
        p.add(F, vid, f"the responder's CERTS: {r.reason}")
    if ("initiator", 129) in t.first:
        r = tv.verify_chain(t.first[("initiator", 129)], "initiator", None, now)
        if r.reason:
            p.add(F, vid, f"the initiator's CERTS: {r.reason}")
    if v["auth_type"]:
        rs, is_ = t.streams["responder"], t.streams["initiator"]
        p.eq(F, vid, "slog", v["slog"], {"len": t.slog_len, "sha256": h(tv.sha256(rs[:t.slog_len or 0]))})
        p.eq(F, vid, "clog", v["clog"], {"len": t.clog_len, "sha256": h(tv.sha256(is_[:t.clog_len or 0]))})
    # The random values and the fixed TLS inputs come from the DRBG under their labels.
    label = f"vectors/handshake/{vid}/"
    ch, _, _ = tv.decode_auth_challenge(t.first[("responder", 130)])
    p.eq(F, vid, "challenge (from the DRBG)", ch, tv.drbg(seed, v["challenge_drbg_label"], 32))
    p.eq(F, vid, "challenge_drbg_label", v["challenge_drbg_label"], label + "challenge")
    if v["auth_type"] == 3:
        p.eq(F, vid, "tls.exporter_output (from the DRBG)", hexf(tls, "exporter_output"),
             tv.drbg(seed, label + "tls-exporter", 32))
    elif v["auth_type"] == 1:
        for k, n in (("client_random", 32), ("server_random", 32), ("master_secret", 48)):
            p.eq(F, vid, f"tls.{k} (from the DRBG)", hexf(tls, k),
                 tv.drbg(seed, label + "tls-" + k.replace("_", "-"), n))
    pad = t.first.get(("initiator", 128))
    if pad:
        p.eq(F, vid, "VPADDING body (from the DRBG)", pad, tv.drbg(seed, label + "vpadding", len(pad)))


# ---- authenticate.json -----------------------------------------------------------------------

def check_authenticate(doc, docs, idents, p: Problems):
    F = "authenticate"
    hs = {v["id"]: v for v in docs.get("handshake", {}).get("vectors", [])}
    for v in doc["vectors"]:
        vid = v["id"]
        p.seen(F, vid)
        try:
            _auth(v, hs, doc["seed"], idents, p)
        except (Malformed, KeyError, ValueError) as e:
            p.add(F, vid, f"{type(e).__name__}: {e}")


def _auth(v, hs, seed, idents, p):
    F, vid, typ = "authenticate", v["id"], v["auth_type"]
    ins, fields = v["inputs"], v["fields"]
    tr = hs[v["transcript"]]
    t = Transcript(tr)
    cell_b = hexf(v["cell"], "hex")
    off = v["cell"]["offset"]
    p.eq(F, vid, "cell.hex (the transcript's bytes at cell.offset)",
         t.streams["initiator"][off:off + len(cell_b)], cell_b)
    p.eq(F, vid, "cell.offset (CLOG stops where AUTHENTICATE starts)", off, t.clog_len)
    c = tv.decode_cell(cell_b, v["cell"]["link_version"])
    p.eq(F, vid, "cell command", 131, c.cmd)
    atype, auth, trailing = tv.decode_authenticate(c.body)
    p.eq(F, vid, "auth_type", typ, atype)
    p.eq(F, vid, "auth_len", v["auth_len"], len(auth))
    p.eq(F, vid, "authentication", hexf(v, "authentication"), auth)
    p.eq(F, vid, "bytes after the Authentication field", 0, trailing)
    parts = tv.split_auth(auth, typ)
    p.eq(F, vid, "fields.type", fields["type"], parts["type"].decode("ascii", "replace"))
    p.eq(F, vid, "TYPE", b"AUTH0003" if typ == 3 else b"AUTH0001", parts["type"])
    for k, val in parts.items():
        if k != "type":
            p.eq(F, vid, f"fields.{k}", hexf(fields, k), val)
    signed_len = 288 if typ == 3 else 224
    p.eq(F, vid, "signed_len", v["signed_len"], signed_len)
    p.eq(F, vid, "signed_part", hexf(v, "signed_part"), auth[:signed_len])
    # Every field from its inputs.
    want = {
        "cid": tv.sha256(hexf(ins, "initiator_rsa_identity_pkcs1")),
        "sid": tv.sha256(hexf(ins, "responder_rsa_identity_pkcs1")),
        "scert": tv.sha256(hexf(ins, "tls_server_cert_der")),
        "rand": tv.drbg(seed, ins["rand_drbg_label"], 24),
    }
    p.eq(F, vid, "inputs.tls_server_cert_der (the transcript's)", hexf(tr["tls"], "server_cert_der"),
         hexf(ins, "tls_server_cert_der"))
    for key, stream, rule_len in (("slog_over", "responder", t.slog_len), ("clog_over", "initiator", t.clog_len)):
        o = ins[key]
        p.eq(F, vid, f"inputs.{key}", (o["transcript"], o["stream"], o["len"]), (v["transcript"], stream, rule_len))
        want[key[:4]] = tv.sha256(t.streams[stream][:o["len"]])
    if typ == 3:
        want["cid_ed"] = hexf(ins, "initiator_ed25519_identity")
        want["sid_ed"] = hexf(ins, "responder_ed25519_identity")
        ex = ins["exporter"]
        p.eq(F, vid, "inputs.exporter", (ex["label"], ex["context"], ex["length"]),
             (tv.AUTH3_EXPORTER_LABEL, "cid", 32))
        want["tlssecrets"] = hexf(ex, "output")
        p.eq(F, vid, "inputs.exporter.output (the transcript's)", hexf(tr["tls"], "exporter_output"),
             want["tlssecrets"])
    else:
        for k in ("client_random", "server_random", "master_secret"):
            p.eq(F, vid, f"inputs.{k} (the transcript's)", hexf(tr["tls"], k), hexf(ins, k))
        p.eq(F, vid, "inputs.hmac_suffix", tv.AUTH1_HMAC_SUFFIX, hexf(ins, "hmac_suffix"))
        msg = hexf(ins, "client_random") + hexf(ins, "server_random") + tv.AUTH1_HMAC_SUFFIX
        want["tlssecrets"] = hmac.new(hexf(ins, "master_secret"), msg, hashlib.sha256).digest()
    for k, w in want.items():
        p.eq(F, vid, f"{k} (recomputed from the inputs)", parts[k], w)
    # ... and from what the transcript's CERTS prove.
    icerts, rcerts = t.first[("initiator", 129)], t.first[("responder", 129)]
    ir = tv.verify_chain(icerts, "initiator", None, 0)
    rr = tv.verify_chain(rcerts, "responder", None, 0)
    p.eq(F, vid, "cid (the initiator's type-2 key)", parts["cid"], ir.rsa_id_sha256)
    p.eq(F, vid, "sid (the responder's type-2 key)", parts["sid"], rr.rsa_id_sha256)
    signed = auth[:signed_len]
    ini = idents.get(tr["initiator"])
    if typ == 3:
        p.eq(F, vid, "cid_ed (the initiator's type-4 signer)", parts["cid_ed"], ir.ed_id)
        p.eq(F, vid, "sid_ed (the responder's type-4 signer)", parts["sid_ed"], rr.ed_id)
        key = hexf(ins, "signing_key")
        p.eq(F, vid, "inputs.signing_key (the initiator's type-6 key)", ir.ed_link_auth, key)
        if not tv.ed_verify(key, signed, parts["sig"]):
            p.add(F, vid, "sig: does not verify with inputs.signing_key")
        if ini:
            p.eq(F, vid, "sig (re-signed with the identity's link-auth key)", parts["sig"],
                 ini.ed["link-auth"].sign(signed))
    else:
        digest = tv.sha256(signed)
        p.eq(F, vid, "signed_digest", hexf(v, "signed_digest"), digest)
        key = hexf(ins, "signing_key_pkcs1")
        auth_cert = dict((tt, x) for tt, x in reversed(tv.decode_certs(icerts)[0])).get(3)
        p.eq(F, vid, "inputs.signing_key_pkcs1 (the initiator's type-3 key)",
             tv.x509_key_pkcs1(tv.load_x509(auth_cert)) if auth_cert else None, key)
        kind = tv.rsa_raw_kind(key, digest, parts["sig"])
        if kind != "raw":
            p.add(F, vid, f"sig: expected a raw PKCS#1 v1.5 signature of signed_digest, got {kind}")
        if ini:
            p.eq(F, vid, "sig (re-signed with the identity's RSA auth key)", parts["sig"],
                 tv.rsa_raw_sign(ini.rsa_auth, digest))


# ---- negative.json ---------------------------------------------------------------------------

def reason_of(v) -> str:
    """Runs the object through this checker's decoders and verifiers (structure, forbidding
    flags, signature, expiry; chains in tor's order); returns the first reason or 'accepted'."""
    b, obj = hexf(v, "hex"), v["object"]
    try:
        if obj == "cell":
            c = tv.decode_cell(b, v["link_version"])
            return "trailing" if c.length != len(b) else "accepted"
        if obj == "versions-body":
            tv.decode_versions(b)
        elif obj == "certs-body":
            tv.decode_certs(b)
        elif obj == "auth-challenge-body":
            tv.decode_auth_challenge(b)
        elif obj == "authenticate-body":
            tv.decode_authenticate(b)
        elif obj == "netinfo-body":
            tv.decode_netinfo(b)
        elif obj == "ed25519-cert":
            c = tv.decode_edcert(b)
            if c.unknown_critical:
                return "unknown-critical-extension"
            if c.duplicate_signing_key:
                return "duplicate-signed-with-key"
            if "signing_key" in v and not tv.ed_verify(hexf(v, "signing_key"), c.signed, c.signature):
                return "bad-signature"
            if "now" in v and c.expired(v["now"]):
                return "expired"
        elif obj == "crosscert":
            c = tv.decode_crosscert(b)
            if "signing_key_pkcs1" in v:
                kind = tv.rsa_raw_kind(hexf(v, "signing_key_pkcs1"), c.digest(), c.signature)
                if kind != "raw":
                    return "digestinfo-signature" if kind == "digestinfo" else "bad-signature"
            if "now" in v and c.expired(v["now"]):
                return "expired"
        elif obj == "auth3":
            parts = tv.split_auth(b, 3)
            if "signing_key" in v and not tv.ed_verify(hexf(v, "signing_key"), b[:288], parts["sig"]):
                return "bad-signature"
        elif obj == "x509":
            tv.load_x509(b)
        elif obj == "certs-chain":
            tls = hexf(v, "tls_cert_der") if "tls_cert_der" in v else None
            r = tv.verify_chain(b, v["role"], tls, v["now"])
            return r.reason or "accepted"
        else:
            return f"(unknown object {obj})"
    except Malformed as e:
        return e.reason
    return "accepted"


def check_negative(doc, docs, idents, p: Problems):
    F = "negative"
    for v in doc["vectors"]:
        p.seen(F, v["id"])
        if v["reject"] == "accepted":
            p.add(F, v["id"], "a negative vector must name a reason")
        p.eq(F, v["id"], "reject", v["reject"], reason_of(v))


CHECKS = {"certs": check_certs, "cells": check_cells,
          "tor-observed": lambda d, ds, i, p: check_cells(d, ds, i, p, F="tor-observed"),
          "handshake": check_handshake, "authenticate": check_authenticate,
          "negative": check_negative}


def load_dir(vdir: Path) -> dict:
    docs = {}
    for fam in FAMILIES:
        f = vdir / f"{fam}.json"
        if f.exists():
            docs[fam] = json.loads(f.read_text())
    return docs


def check_docs(docs: dict, identities_dir: Path) -> Problems:
    idents = {d.name: Identity(d) for d in sorted(identities_dir.iterdir()) if d.is_dir()}
    p = Problems()
    for fam, doc in docs.items():
        if doc.get("format") != FORMAT or doc.get("family") != fam:
            p.add(fam, "(header)", f"format/family: {doc.get('format')!r}/{doc.get('family')!r}")
        CHECKS[fam](doc, docs, idents, p)
    return p


def check_dir(vdir: Path, identities_dir: Path | None = None) -> Problems:
    return check_docs(load_dir(vdir), identities_dir or vdir / "identities")
