"""`hsprobe vectors`: --out regenerates the committed vectors byte for byte (on a clean tree
`git diff` stays empty), and --check verifies a directory of vectors — OK on ours, and a DIFF
naming the vector and the field for every mutation, which the independent checker (vecrules)
must flag too."""

import copy
import json
import os
import re
import subprocess

import pytest

import torvec as tv
import vecrules
from vecrules import IDENTITIES, REPO, VECTORS

pytestmark = pytest.mark.e2e

FILES = sorted(f"{fam}.json" for fam in vecrules.FAMILIES)


def generate(run_hsprobe, out, *extra):
    res = run_hsprobe(["vectors", "--out", out, "--identities", IDENTITIES, *extra], timeout=60)
    assert res.rc == 0, res.describe()
    return res


def check(run_hsprobe, d):
    res = run_hsprobe(["vectors", "--check", d], timeout=60)
    assert res.rc in (0, 1), res.describe()
    lines = res.stdout.splitlines()
    status = {}
    for i, line in enumerate(lines):
        m = re.match(r"(OK|DIFF)\s+(\S+)\.json (\S+)$", line)
        if m:
            detail = []
            for nxt in lines[i + 1:]:
                if not nxt.startswith("        "):
                    break
                detail.append(nxt.strip())
            status[f"{m.group(2)}/{m.group(3)}"] = (m.group(1), detail)
    return res, status


# ---- --out ---------------------------------------------------------------------------------------

def test_committed_vectors_are_what_out_regenerates(run_hsprobe, tmp_path):
    generate(run_hsprobe, tmp_path / "v")
    made = sorted(p.name for p in (tmp_path / "v").iterdir())
    assert made == FILES
    committed = sorted(p.name for p in VECTORS.glob("*.json"))
    assert committed == FILES, "vectors/ holds exactly the generated families"
    for f in FILES:
        a, b = (VECTORS / f).read_bytes(), (tmp_path / "v" / f).read_bytes()
        assert a == b, f"{f}: committed and regenerated differ (regenerate with " \
                       f"`build/hsprobe vectors --out vectors` and review the diff)"


def test_output_depends_on_nothing_but_inputs(run_hsprobe, hsprobe_bin, tmp_path):
    """Another time zone, another working directory, a second run: the same bytes.  (The
    generator never reads the clock: the static test below holds it to that.)"""
    generate(run_hsprobe, tmp_path / "a")
    b = tmp_path / "b"
    res = subprocess.run([str(hsprobe_bin), "vectors", "--out", str(b), "--identities", str(IDENTITIES)],
                         cwd=tmp_path, env={**os.environ, "TZ": "Pacific/Kiritimati", "LC_ALL": "C"},
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    for f in FILES:
        assert (tmp_path / "a" / f).read_bytes() == (b / f).read_bytes(), f


def test_no_clock_in_the_generator():
    """Times are inputs: no vector generator may read the wall clock or an unseeded source."""
    src = REPO / "harness" / "src"
    files = sorted(src.glob("out_vec*.c"))
    assert len(files) >= 7
    for f in files:
        text = f.read_text()
        for banned in ("hs_wall_s", "time(", "gettimeofday", "clock_gettime", "gnutls_rnd", "getrandom"):
            assert banned not in text, f"{f.name} uses {banned}"


def test_another_seed_changes_only_drawn_values(run_hsprobe, tmp_path):
    generate(run_hsprobe, tmp_path / "s2", "--seed", "2")
    docs = vecrules.load_dir(tmp_path / "s2")
    # Still correct by every rule, DRBG values recomputed with seed 2.
    p = vecrules.check_docs(docs, IDENTITIES)
    bad = {k: v for k, v in p.by.items() if v}
    assert not bad, json.dumps(bad, indent=1)
    base = vecrules.load_dir(VECTORS)
    assert docs["cells"]["seed"] == 2
    # Types 4, 6 and the cross-cert depend on keys and times only; type 5 hashes the link
    # certificate, whose serial number is drawn.
    fixed = lambda d: {v["id"]: v["hex"] for v in d["certs"]["vectors"]  # noqa: E731
                       if v["kind"] == "crosscert" or v.get("cert_type") in (4, 6)}
    assert fixed(docs) == fixed(base)
    t5 = lambda d: {v["id"]: v["hex"] for v in d["certs"]["vectors"] if v.get("cert_type") == 5}  # noqa: E731
    assert all(t5(docs)[k] != t5(base)[k] for k in t5(base))
    ch = lambda d: next(v for v in d["cells"]["vectors"] if v["id"] == "auth-challenge-w4")["fields"]["challenge"]  # noqa: E731
    assert ch(docs) != ch(base), "the challenge comes from the seeded generator"


# ---- --check ------------------------------------------------------------------------------------

def test_check_finds_the_committed_vectors_ok(run_hsprobe, independent_check):
    res, status = check(run_hsprobe, VECTORS)
    assert res.rc == 0, res.describe()
    assert status and all(s == "OK" for s, _ in status.values()), res.stdout
    # The engine and the independent checker look at the same vectors.
    engine = set(status)
    independent = {k for k in independent_check.by if k != "certs/inputs"}
    assert engine == independent, (engine ^ independent)
    assert re.search(rf"vectors: {len(status)} checked, {len(status)} OK, 0 DIFF; 6 of 6", res.stdout)


def _v(docs, fam, vid):
    return next(v for v in docs[fam]["vectors"] if v["id"] == vid)


def _flip(h, pos=-1):
    b = bytearray(bytes.fromhex(h))
    b[pos] ^= 0x01
    return b.hex()


def _set(fam, vid, path, fn):
    """A mutation: vector vid of fam, value at path (keys) replaced by fn(old)."""
    def mutate(docs):
        o = _v(docs, fam, vid)
        for k in path[:-1]:
            o = o[k]
        o[path[-1]] = fn(o[path[-1]])
    return mutate


def _full_chain(docs):
    """chain-no-crosscert's CERTS body with harness-b's cross-cert put back: a valid chain."""
    neg = _v(docs, "negative", "chain-no-crosscert")
    entries, _ = tv.decode_certs(bytes.fromhex(neg["hex"]))
    entries.append((7, bytes.fromhex(_v(docs, "certs", "crosscert-harness-b")["hex"])))
    body = bytes([len(entries)]) + b"".join(bytes([t]) + len(c).to_bytes(2, "big") + c for t, c in entries)
    neg["hex"] = body.hex()


# (name, mutation, the vector that must be reported, a word the engine's DIFF must contain)
MUTATIONS = [
    ("ed25519 signature byte", _set("certs", "ed-type6-harness-a", ["hex"], _flip),
     "certs/ed-type6-harness-a", "signature"),
    ("X.509 signature byte", _set("certs", "x509-auth-harness-b", ["der"], _flip),
     "certs/x509-auth-harness-b", "signature"),
    ("X.509 stated validity", _set("certs", "x509-id-harness-a", ["fields", "not_after"], lambda x: x + 1),
     "certs/x509-id-harness-a", "fields.not_after"),
    ("cross-cert digest", _set("certs", "crosscert-harness-a", ["signed_digest"], lambda h: _flip(h, 0)),
     "certs/crosscert-harness-a", "signed_digest"),
    ("identity fingerprint", lambda d: d["certs"]["inputs"]["identities"]["harness-b"].__setitem__(
        "rsa_identity_sha1", "00" * 20), "certs/identity-harness-b", "rsa_identity_sha1"),
    ("VERSIONS list", _set("cells", "versions-3-w2", ["fields", "versions"], lambda _: [4]),
     "cells/versions-3-w2", "fields.versions"),
    ("circ id width", _set("cells", "padding-w4", ["circ_width"], lambda _: 2),
     "cells/padding-w4", "circ_width"),
    ("CERTS entry length", _set("cells", "certs-initiator-w4", ["fields", "certs"],
                                lambda cs: [dict(c, len=c["len"] + 1) if i == 1 else c for i, c in enumerate(cs)]),
     "cells/certs-initiator-w4", "fields.certs[1].len"),
    ("chain verdict", _set("cells", "certs-responder-rsa-only-w4", ["chain", "now"], lambda n: n + 400 * 86400),
     "cells/certs-responder-rsa-only-w4", "chain.valid"),
    ("NETINFO address", _set("cells", "netinfo-ipv6-w4", ["hex"], lambda h: h[:20] + "ff" + h[22:]),
     "cells/netinfo-ipv6-w4", "fields.other"),
    ("tor's NETINFO time", _set("tor-observed", "tor-netinfo-relay", ["fields", "time"], lambda t: t + 1),
     "tor-observed/tor-netinfo-relay", "fields.time"),
    ("transcript byte", _set("handshake", "link5-auth3", ["cells"],
                             lambda cs: [dict(c, hex=_flip(c["hex"])) if i == 3 else c for i, c in enumerate(cs)]),
     "handshake/link5-auth3", "responder_stream"),
    ("CLOG coverage", _set("handshake", "link3-auth1", ["clog", "len"], lambda n: n - 1),
     "handshake/link3-auth1", "clog.len"),
    ("AUTHENTICATE exporter", _set("authenticate", "authenticate-link5-auth3", ["inputs", "exporter", "output"], _flip),
     "authenticate/authenticate-link5-auth3", "tlssecrets"),
    ("AUTHENTICATE SLOG range", _set("authenticate", "authenticate-link5-auth3", ["inputs", "slog_over", "len"],
                                     lambda n: n - 43),
     "authenticate/authenticate-link5-auth3", "slog"),
    ("AUTHENTICATE type-1 signature", _set("authenticate", "authenticate-link3-auth1", ["fields", "sig"], _flip),
     "authenticate/authenticate-link3-auth1", "fields.sig"),
    ("AUTHENTICATE type-1 master secret", _set("authenticate", "authenticate-link3-auth1",
                                               ["inputs", "master_secret"], _flip),
     "authenticate/authenticate-link3-auth1", "master_secret"),
    ("negative reason", _set("negative", "cross-expired", ["reject"], lambda _: "bad-signature"),
     "negative/cross-expired", "reject"),
    ("negative made valid", _set("negative", "ed-trailing", ["hex"], lambda h: h[:-2]),
     "negative/ed-trailing", "got accepted"),
    ("negative chain made valid", _full_chain, "negative/chain-no-crosscert", "got accepted"),
]


@pytest.mark.parametrize("name,mutate,target,word", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_each_mutation_is_reported_by_both_checkers(run_hsprobe, write_vectors, committed_docs,
                                                    name, mutate, target, word):
    docs = copy.deepcopy(committed_docs)
    mutate(docs)
    # The independent checker.
    p = vecrules.check_docs(docs, IDENTITIES)
    assert p.by.get(target), f"{name}: vecrules did not flag {target}"
    # The engine's checker, on the same files.
    d = write_vectors(docs)
    res, status = check(run_hsprobe, d)
    assert res.rc == 1, res.describe()
    assert status[target][0] == "DIFF", f"{name}: {target} not reported\n{res.stdout}"
    assert any(word in line for line in status[target][1]), f"{name}: no '{word}' in {status[target][1]}"
    assert re.search(r"vectors: \d+ checked, \d+ OK, [1-9]\d* DIFF", res.stdout)


def test_check_reports_unreadable_and_missing_files(run_hsprobe, write_vectors, committed_docs, tmp_path):
    # Only authenticate.json: it needs handshake.json to recompute SLOG/CLOG.
    d = write_vectors({"authenticate": committed_docs["authenticate"]}, "only-auth")
    res, status = check(run_hsprobe, d)
    assert res.rc == 1, res.describe()
    assert "SKIP  handshake.json: not present" in res.stdout
    assert all(s == "DIFF" and any("handshake.json" in x for x in det) for s, det in status.values())
    # Only cells.json: checked on its own (references to certs.json are skipped), all OK.
    d = write_vectors({"cells": committed_docs["cells"]}, "only-cells")
    res, status = check(run_hsprobe, d)
    assert res.rc == 0 and status and all(s == "OK" for s, _ in status.values()), res.stdout
    # Not JSON, and the wrong family.
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "cells.json").write_text('{"format": "hsprobe-vectors/1", "vectors": [1,]}')
    (bad / "negative.json").write_text(json.dumps(dict(committed_docs["negative"], family="cells")))
    res, status = check(run_hsprobe, bad)
    assert res.rc == 1
    assert status["cells/(file)"][0] == "DIFF" and "line 1" in status["cells/(file)"][1][0]
    assert status["negative/(header)"][0] == "DIFF"


def test_usage(run_hsprobe, tmp_path):
    for args in (["vectors"], ["vectors", "--out", tmp_path, "--check", tmp_path], ["vectors", "--bogus"],
                 ["vectors", "--out", tmp_path / "x", "--seed", "-1"], ["vectors", "--check", tmp_path / "none"],
                 ["vectors", "--check", tmp_path]):
        res = run_hsprobe(args)
        assert res.rc == 2, res.describe()
    res = run_hsprobe(["vectors", "--out", tmp_path / "y", "--identities", tmp_path])
    assert res.rc == 2 and "identity" in res.stderr
    helptext = run_hsprobe(["vectors", "--help"]).stdout
    for word in ("--out DIR", "--check DIR", "--seed", "--identities", "OK or DIFF"):
        assert word in helptext
    assert "vectors" in run_hsprobe(["--help"]).stdout
    assert run_hsprobe(["help", "vectors"]).stdout == helptext
