"""AUTHENTICATE type 3 (Ed25519-SHA256-RFC5705, tor-link.md §1.12) recomputed from the wire.

For one AUTHENTICATE cell found on the wire, every authenticator field is derived from what the
capture shows, independently of the engine:

    CID / SID       SHA-256 of the DER PKCS#1 RSAPublicKey in the initiator's / responder's
                    type-2 X.509 cert (their first CERTS cells on the wire)
    CID_ED / SID_ED the signed-with-key extension (type 4) of each side's type-4 Ed25519 cert
    SLOG            SHA-256 of the responder's plaintext from its start through the end of its
                    first AUTH_CHALLENGE cell
    CLOG            SHA-256 of the initiator's plaintext from its start up to (not including)
                    the AUTHENTICATE cell
    SCERT           SHA-256 of the server's TLS leaf certificate (from the captured handshake)
    TLSSECRETS      the TLS exporter, label "EXPORTER FOR TOR TLS CLIENT BINDING AUTH0003",
                    context = the wire CID, 32 bytes (when the key log allows it)
    SIG             Ed25519 over authenticator bytes 0–287 with the key the initiator's type-6
                    cert certifies: valid or not

Then each field is compared with the wire bytes and with the engine's claim (the cell record's
"auth" object): a field the engine says it *computed* must equal the wire-derived value (else the
engine's computation disagrees with the wire: error); fields the scenario forced or the engine
drew at random, mutated authenticators and AUTHENTICATEs without a claim are information — a
scenario that sends a wrong SLOG on purpose shows the mismatch with both values and stays ok.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

from hsprobe.wire.cells import AUTH_CHALLENGE, CERTS, ParsedDirection, WireCell
from hsprobe.wire.torcerts import CertsBody, parse_certs_body, parse_ed_cert, rsa_id_digest

__all__ = ["FIELDS", "EXPORTER_LABEL", "AuthResult", "check_authenticate"]

EXPORTER_LABEL = b"EXPORTER FOR TOR TLS CLIENT BINDING AUTH0003"
# name, offset, length (offsets inside the Authentication field)
FIELDS = (("type", 0, 8), ("cid", 8, 32), ("sid", 40, 32), ("cid_ed", 72, 32),
          ("sid_ed", 104, 32), ("slog", 136, 32), ("clog", 168, 32), ("scert", 200, 32),
          ("tlssecrets", 232, 32), ("rand", 264, 24), ("sig", 288, 64))
AUTH3_LEN = 352

Exporter = Callable[[bytes], Union[bytes, str]]   # context -> 32 bytes, or why not derivable


@dataclass
class AuthResult:
    direction: str
    cell_offset: int
    auth_type: int
    auth_len: int
    fields: dict[str, dict] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)
    claimed: bool = False
    mutated: Optional[bool] = None

    def as_dict(self) -> dict:
        return {"dir": self.direction, "offset": self.cell_offset, "auth_type": self.auth_type,
                "auth_len": self.auth_len, "claimed": self.claimed, "mutated": self.mutated,
                "fields": self.fields}


def _first_certs(parsed: ParsedDirection, before: Optional[int] = None
                 ) -> Union[CertsBody, str]:
    cell = next((c for c in parsed.cells if c.cmd == CERTS
                 and (before is None or c.offset < before)), None)
    if cell is None:
        return "no CERTS cell on the wire"
    got = parse_certs_body(cell.body)
    return got if isinstance(got, CertsBody) else f"its CERTS cell does not parse: {got.reason}"


def _rsa_id(certs: Union[CertsBody, str]) -> Union[bytes, str]:
    if isinstance(certs, str):
        return certs
    der = certs.first(2)
    if der is None:
        return "its CERTS has no type-2 certificate"
    return rsa_id_digest(der)


def _ed_cert(certs: Union[CertsBody, str], cert_type: int):
    if isinstance(certs, str):
        return certs
    raw = certs.first(cert_type)
    if raw is None:
        return f"its CERTS has no type-{cert_type} certificate"
    got = parse_ed_cert(raw)
    return got if not hasattr(got, "reason") else f"its type-{cert_type} cert: {got.reason}"


def _ed_id(certs) -> Union[bytes, str]:
    c = _ed_cert(certs, 4)
    if isinstance(c, str):
        return c
    return c.signing_key if c.signing_key is not None and len(c.signing_key) == 32 else \
        "its type-4 cert has no signed-with-key extension"


def _verify_sig(certs, signed: bytes, sig: bytes) -> tuple[Optional[bool], str]:
    c = _ed_cert(certs, 6)
    if isinstance(c, str):
        return None, c
    if len(sig) != 64:
        return False, f"signature field is {len(sig)} bytes"
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        Ed25519PublicKey.from_public_bytes(c.certified_key).verify(sig, signed)
        return True, "verifies with the type-6 key " + c.certified_key.hex()[:16] + "…"
    except InvalidSignature:
        return False, "does not verify with the type-6 key " + c.certified_key.hex()[:16] + "…"
    except ValueError as e:
        return None, f"type-6 key unusable: {e}"


def check_authenticate(direction: str, cell: WireCell, initiator_plain: bytes,
                       initiator: ParsedDirection, responder_plain: bytes,
                       responder: ParsedDirection, server_cert: Optional[bytes],
                       exporter: Exporter, claim: Optional[dict]) -> AuthResult:
    body = cell.body
    auth_type = struct.unpack_from(">H", body, 0)[0] if len(body) >= 2 else -1
    auth_len = struct.unpack_from(">H", body, 2)[0] if len(body) >= 4 else -1
    res = AuthResult(direction, cell.offset, auth_type, auth_len)
    res.claimed = claim is not None
    res.mutated = claim.get("mutated") if claim else None
    if auth_type != 3:
        res.infos.append(f"AUTHENTICATE type {auth_type}: only type 3 is recomputed")
        return res
    auth = body[4:4 + max(0, auth_len)]
    if len(auth) < AUTH3_LEN:
        res.infos.append(f"authenticator is {len(auth)} bytes (type 3 needs {AUTH3_LEN}); the "
                         "fields present are compared")
    i_certs = _first_certs(initiator, before=cell.offset)
    r_certs = _first_certs(responder)
    cid = _rsa_id(i_certs)
    derived: dict[str, Union[bytes, str]] = {"type": b"AUTH0003", "cid": cid,
                                             "sid": _rsa_id(r_certs),
                                             "cid_ed": _ed_id(i_certs), "sid_ed": _ed_id(r_certs)}
    chal = next((c for c in responder.cells if c.cmd == AUTH_CHALLENGE), None)
    derived["slog"] = hashlib.sha256(responder_plain[:chal.end]).digest() if chal else \
        "the responder sent no AUTH_CHALLENGE on the wire"
    derived["clog"] = hashlib.sha256(initiator_plain[:cell.offset]).digest()
    derived["scert"] = hashlib.sha256(server_cert).digest() if server_cert else \
        "no server certificate in the captured TLS handshake"
    derived["tlssecrets"] = exporter(cid) if isinstance(cid, bytes) else f"needs CID: {cid}"
    derived["rand"] = "random: nothing to derive"
    ok, why = _verify_sig(i_certs, auth[:288], auth[288:352]) if len(auth) >= 352 else \
        (None, "authenticator too short for a signature")
    claims = (claim or {}).get("fields", {})
    mutated = bool(claim and claim.get("mutated"))
    for name, off, ln in FIELDS:
        wire = auth[off:off + ln]
        f: dict = {"wire": wire.hex()}
        c = claims.get(name)
        if c is not None:
            f["claim"], f["source"] = c.get("hex"), c.get("source")
        if name == "sig":
            f["derived"], f["match"], f["note"] = None, ok, why
        else:
            d = derived[name]
            if isinstance(d, bytes):
                f["derived"], f["match"] = d.hex(), d == wire
            else:
                f["derived"], f["match"], f["note"] = None, None, "not derivable: " + d
        if len(wire) < ln:
            f["match"] = None
            f["note"] = (f"absent: the authenticator ends {ln - len(wire)} bytes before this "
                         "field's end")
        res.fields[name] = f
        label = name.upper()
        # What the engine claims it sent must be what it sent, unless it mutated the bytes.
        if c is not None and not mutated and c.get("hex") is not None \
                and c["hex"] != wire.hex() and len(wire) == ln:
            res.errors.append(f"{label}: the engine's claim {c['hex'][:16]}… is not the wire's "
                              f"{wire.hex()[:16]}…")
        computed = c is not None and not mutated and c.get("source") == "computed"
        if f["match"] is False:
            text = (f"{label}: wire {wire.hex()} ≠ wire-derived {f['derived']}"
                    if name != "sig" else f"SIG {why}")
            if computed:
                res.errors.append(text + " — the engine's computation disagrees with the wire")
            else:
                src = c.get("source") if c else ("no claim" if not claim else "mutated")
                res.infos.append(f"{text} ({src if not mutated else 'mutated'})")
        elif f["match"] is None and computed and name != "rand":
            res.infos.append(f"{label}: engine says computed, but {f.get('note', '')}")
    return res
