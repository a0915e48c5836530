"""The committed vectors (vectors/*.json) verified by an implementation that shares nothing
with the engine (torvec + vecrules: own decoders, Python `cryptography`, raw RSA by hand), and
held to the coverage the vector issue asks for.

One test item per vector, so a failure names the vector and every rule it breaks."""

import json

import pytest

import torvec as tv
import vecrules
from vecrules import VECTORS


def _ids():
    out = []
    for fam in vecrules.FAMILIES:
        doc = json.loads((VECTORS / f"{fam}.json").read_text())
        out += [f"{fam}/{v['id']}" for v in doc["vectors"]]
    out += [f"certs/identity-{n}" for n in
            json.loads((VECTORS / "certs.json").read_text())["inputs"]["identities"]]
    return out


@pytest.mark.parametrize("key", _ids())
def test_vector(independent_check, key):
    problems = independent_check.by.get(key)
    assert problems is not None, f"{key} was never checked"
    assert problems == [], f"{key}:\n  " + "\n  ".join(problems)


def test_nothing_else_has_problems(independent_check):
    bad = {k: v for k, v in independent_check.by.items() if v}
    assert not bad, json.dumps(bad, indent=1)


def test_every_family_is_there(committed_docs):
    assert sorted(committed_docs) == sorted(vecrules.FAMILIES)
    for fam, doc in committed_docs.items():
        assert doc["format"] == vecrules.FORMAT and doc["family"] == fam
        assert isinstance(doc["seed"], int) and isinstance(doc["now"], int)
        ids = [v["id"] for v in doc["vectors"]]
        assert len(ids) == len(set(ids)), f"{fam}: duplicate ids"


def _cells(docs, cmd):
    return [v for v in docs["cells"]["vectors"] if v["cmd"] == cmd]


def test_cells_cover_what_the_issue_lists(committed_docs):
    versions = _cells(committed_docs, 7)
    assert {v["circ_width"] for v in versions} == {2, 4}
    assert len({tuple(v["fields"]["versions"]) for v in versions}) >= 5
    certs = _cells(committed_docs, 129)
    assert {v["circ_width"] for v in certs} == {2, 4}
    types = {e["type"] for v in certs for e in v["fields"]["certs"]}
    assert set(range(1, 8)) <= types, "every certificate type appears in some CERTS cell"
    orders = {tuple(e["type"] for e in v["fields"]["certs"]) for v in certs}
    assert (1, 2, 4, 5, 7) in orders and (3, 2, 4, 6, 7) in orders and (7, 5, 4, 2, 1) in orders
    assert {v["chain"]["role"] for v in certs} == {"responder", "initiator"}
    assert {v["chain"]["path"] for v in certs} == {"ed25519", "rsa"}
    assert _cells(committed_docs, 130), "AUTH_CHALLENGE"
    kinds = {a["kind"] for v in _cells(committed_docs, 8)
             for a in [v["fields"]["other"], *v["fields"]["my"]]}
    assert {"ipv4", "ipv6", "unknown"} <= kinds
    assert {v["circ_width"] for v in _cells(committed_docs, 8)} == {2, 4}
    assert _cells(committed_docs, 0) and _cells(committed_docs, 128), "PADDING and VPADDING"


def test_certs_cover_what_the_issue_lists(committed_docs):
    vs = committed_docs["certs"]["vectors"]
    assert {v["cert_type"] for v in vs if v["kind"] == "x509"} == {1, 2, 3}
    ed = [v for v in vs if v["kind"] == "ed25519"]
    assert {v["cert_type"] for v in ed} == {4, 5, 6}
    for t in (4, 5, 6):
        exts = [v["fields"]["extensions"] for v in ed if v["cert_type"] == t]
        assert any(not e for e in exts) or t == 4, f"type {t} without extensions"
        assert any(e for e in exts), f"type {t} with extensions"
    flags = {x["flags"] for v in ed for x in v["fields"]["extensions"]}
    assert flags == {0, 1}, "extension flags set and unset"
    assert [v for v in vs if v["kind"] == "crosscert"]


def test_authenticate_covers_every_field(committed_docs):
    vs = {v["auth_type"]: v for v in committed_docs["authenticate"]["vectors"]}
    assert set(vs) == {1, 3}
    assert set(vs[3]["fields"]) == {"type", "cid", "sid", "cid_ed", "sid_ed", "slog", "clog", "scert",
                                    "tlssecrets", "rand", "sig"}
    assert set(vs[1]["fields"]) == {"type", "cid", "sid", "slog", "clog", "scert", "tlssecrets", "rand",
                                    "sig"}
    assert "exporter" in vs[3]["inputs"] and "signed_part" in vs[3]
    assert {"client_random", "server_random", "master_secret"} <= set(vs[1]["inputs"])
    assert "signed_digest" in vs[1]


def test_handshakes_and_negatives(committed_docs):
    hs = committed_docs["handshake"]["vectors"]
    assert any(v["auth_type"] == 3 for v in hs) and any(v["auth_type"] == 1 for v in hs)
    assert all("slog" in v and "clog" in v for v in hs if v["auth_type"])
    neg = committed_docs["negative"]["vectors"]
    objects = {v["object"] for v in neg}
    assert {"cell", "versions-body", "certs-body", "ed25519-cert", "crosscert", "auth-challenge-body",
            "authenticate-body", "auth3", "netinfo-body", "x509", "certs-chain"} <= objects
    assert all(v["reject"] != "accepted" and v["why"] for v in neg)


def test_tor_observed_is_tors_bytes(committed_docs):
    """The transcription of tor-link.md 1.15 (not generated): VERSIONS and both NETINFOs."""
    vs = {v["id"]: v for v in committed_docs["tor-observed"]["vectors"]}
    assert vs["tor-versions"]["hex"] == "0000070006000300040005"
    relay = bytes.fromhex(vs["tor-netinfo-relay"]["hex"])
    assert relay[:22] == bytes.fromhex("00000000086b013ebb04047f0000010104047f000001")
    assert len(relay) == 514 and not any(relay[22:])
    c = tv.decode_cell(relay, 5)
    t, other, mine, _, _ = tv.decode_netinfo(c.body)
    assert (t, other.value, [a.value for a in mine]) == (0x6B013EBB, b"\x7f\0\0\x01", [b"\x7f\0\0\x01"])


def test_the_checker_itself_rejects(committed_docs):
    """The independent checker is not vacuous: a handful of its negatives, directly."""
    neg = {v["id"]: v for v in committed_docs["negative"]["vectors"]}
    for vid, reason in (("ed-bad-signature", "bad-signature"), ("cross-digestinfo", "digestinfo-signature"),
                        ("chain-foreign-crosscert", "crosscert-key-mismatch"), ("x509-trailing-byte", "undecodable")):
        assert vecrules.reason_of(neg[vid]) == reason
    good = committed_docs["cells"]["vectors"]
    body = tv.decode_cell(bytes.fromhex(next(v for v in good if v["id"] == "certs-responder-w4")["hex"]), 5).body
    tls = bytes.fromhex(next(v for v in good if v["id"] == "certs-responder-w4")["chain"]["tls_cert_der"])
    now = committed_docs["cells"]["now"]
    assert tv.verify_chain(body, "responder", tls, now).reason is None
    assert tv.verify_chain(body, "responder", tls, now + 3 * 86400).reason == "expired"
    assert tv.verify_chain(body, "responder", tls[:-1] + b"\0", now).reason == "tls-link-mismatch"
