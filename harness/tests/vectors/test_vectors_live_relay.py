"""Tor's own bytes: a live relay's CERTS cell (a tor relay started in the run's private network
namespace by the `tor_relay` fixture) decoded and judged by the independent checker (torvec)
and by the engine — its handshake report and `hsprobe vectors --check` on a vector file made
from the cell — and the two must agree."""

import base64
import json
import socket
import ssl
import time

import pytest

import torvec as tv
import vecrules

pytestmark = pytest.mark.e2e


def _tls_cert(host, port) -> bytes:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=5) as raw, ctx.wrap_socket(raw) as t:
        return t.getpeercert(binary_form=True)


def test_live_relay_certs_engine_and_independent_checker_agree(tor_relay, run_hsprobe, write_vectors):
    tls_der = _tls_cert(tor_relay.host, tor_relay.port)
    res = run_hsprobe(["handshake", tor_relay.addr, "--json"], timeout=30)
    assert res.rc == 0, res.describe()
    rep = res.json
    link = rep["link_version"]
    assert link == 5
    assert rep["tls"]["cert"]["sha256"] == tv.sha256(tls_der).hex(), \
        "Python's TLS connection saw another certificate than the engine's (tor rotated it?)"
    recv = [c for c in rep["transcript"] if c["dir"] == "recv" and c["cmd"] == "CERTS"]
    assert len(recv) == 1
    cell_bytes = bytes.fromhex(recv[0]["hex"])

    # The independent reading.
    cell = tv.decode_cell(cell_bytes, link)
    assert (cell.cmd, cell.circ_id, cell.length) == (129, 0, len(cell_bytes))
    entries, trailing = tv.decode_certs(cell.body)
    assert [t for t, _ in entries] == [1, 2, 4, 5, 7], "tor's responder order (tor-link.md 1.7)"
    sizes = {t: len(c) for t, c in entries}
    assert (sizes[4], sizes[5], sizes[7]) == (140, 104, 165)
    assert dict(entries)[1] == tls_der, "type 1 is byte-identical to the TLS certificate"
    now = int(time.time())
    verdict = tv.verify_chain(cell.body, "responder", tls_der, now)
    assert verdict.reason is None and verdict.path == "ed25519"
    assert verdict.rsa_id_sha1.hex().upper() == tor_relay.rsa_fp
    assert base64.b64encode(verdict.ed_id).decode().rstrip("=") == tor_relay.ed25519_id

    # The engine's reading, from its report: the same entries and identity.
    engine = [(c["type"], c["len"], c["sha256"]) for c in rep["certs"]]
    assert engine == [(t, len(c), tv.sha256(c).hex()) for t, c in entries]
    assert rep["identity"]["rsa_fingerprint"] == tor_relay.rsa_fp

    # And through `vectors --check`: a tor-observed vector whose fields are the independent
    # decoder's must be OK to the engine's parser and verifier.
    vec = {
        "id": "live-relay-certs", "command": "CERTS", "cmd": 129,
        "desc": "a live tor relay's CERTS cell", "source": "this test run",
        "link_version": link, "circ_width": cell.width, "circ_id": cell.circ_id, "var": cell.var,
        "body_len": len(cell.body),
        "fields": {"n": len(entries), "trailing": trailing,
                   "certs": [{"type": t, "len": len(c), "sha256": tv.sha256(c).hex(), "ref": None}
                             for t, c in entries]},
        "chain": {"role": "responder", "now": now, "tls_cert_der": tls_der.hex(), "valid": True,
                  "path": verdict.path, "rsa_identity_sha1": verdict.rsa_id_sha1.hex(),
                  "ed25519_identity": verdict.ed_id.hex()},
        "hex": cell_bytes.hex(),
    }
    doc = {"format": vecrules.FORMAT, "family": "tor-observed", "seed": 0, "now": now, "vectors": [vec]}
    d = write_vectors({"tor-observed": doc})
    chk = run_hsprobe(["vectors", "--check", d], timeout=30)
    assert chk.rc == 0, chk.describe()
    assert "OK    tor-observed.json live-relay-certs" in chk.stdout
    # ... and a single changed field is a DIFF to both.
    vec["fields"]["certs"][2]["len"] += 1
    (d / "tor-observed.json").write_text(json.dumps(doc))
    chk = run_hsprobe(["vectors", "--check", d], timeout=30)
    assert chk.rc == 1 and "fields.certs[2].len" in chk.stdout, chk.describe()
    p = vecrules.check_docs({"tor-observed": doc}, vecrules.IDENTITIES)
    assert p.by["tor-observed/live-relay-certs"]
