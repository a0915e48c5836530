"""The responder role against a real tor client (tor-link.md §6 R←C, §7.2).

The engine listens on a fresh loopback port per scenario and starts peers/tor-client/run with
its Bridge line pointing there (hsprobe run --peer-cmd).  The client's own log is the second,
independent witness: it must say it authenticated our chain ("Authenticated it with RSA and
Ed25519") for the good chain and name the reason for a refused one.
"""
import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
SCEN = ROOT / "scenarios" / "tor" / "responder"
PEER_CMD = f"{ROOT}/peers/tor-client/run --run-dir {{dir}} --bridge {{addr}} --fingerprint {{fp}}"


def _type1_sha256(cell: bytes) -> str:
    """SHA-256 of the type-1 certificate in a CERTS cell with a 4-byte circ id header."""
    import hashlib
    body = cell[7:]
    n, off = body[0], 1
    for _ in range(n):
        ctype, clen = body[off], int.from_bytes(body[off + 1:off + 3], "big")
        if ctype == 1:
            return hashlib.sha256(body[off + 3:off + 3 + clen]).hexdigest()
        off += 3 + clen
    raise AssertionError("no type-1 certificate")


def _run(run_hsprobe, tmp_path, names, extra=()):
    res = tmp_path / "r.jsonl"
    r = run_hsprobe(["run", *[SCEN / n for n in names], "--peer-cmd", PEER_CMD, "--peer-dir",
                     tmp_path / "peers", "--results", res, "--quiet", *extra], timeout=60)
    return r, {d["id"]: d for d in map(json.loads, res.read_text().splitlines())}


def test_good_chain_opens_and_the_client_says_why(run_hsprobe, tmp_path):
    r, res = _run(run_hsprobe, tmp_path, ["client-opens-with-good-chain.scn", "type5-expired.scn"])
    assert r.rc == 0, r.describe()
    good = res["tor.responder.client-opens-with-good-chain"]
    assert good["verdict"] == "pass" and good["outcome"]["cmd"] == "CREATE_FAST"
    conn = good["evidence"]["connections"][0]
    assert [c["cmd"] for c in conn["cells"]][:2] == ["VERSIONS", "VERSIONS"]
    # As the TLS server the engine still names the client's hello (never the all-zero random a
    # server sees before reading it) and the certificate it presented: the wire check needs both.
    assert conn["client_randoms"] and all(r != "00" * 32 for r in conn["client_randoms"])
    der = next(bytes.fromhex(c["hex"]) for c in conn["cells"] if c["cmd"] == "CERTS")
    assert "server_cert_sha256" in conn
    assert _type1_sha256(der) == conn["server_cert_sha256"], "CERTS type 1 is not the TLS cert"
    fp = good["identity"]["rsa_sha1"]
    log = (tmp_path / "peers" / good["id"] / "info.log").read_text(errors="replace")
    assert re.search(rf"RSA_ID={fp}: Authenticated it with RSA and Ed25519", log), log[-2000:]
    bad = res["tor.responder.type5-expired"]
    assert bad["verdict"] == "pass" and bad["outcome"]["kind"] == "close"
    log = (tmp_path / "peers" / bad["id"] / "info.log").read_text(errors="replace")
    assert "Received a bad CERTS cell" in log and "At least one certificate expired." in log


# tor-link.md §6.D, R←C: the engine's verdict for each CERTS case and the line the client's own
# info.log must hold for it (the second witness of why it closed or what it accepted).  The two
# "fail" verdicts are tor's known deviations (peers/tor-client/baseline.tsv records them).
GOOD = "Authenticated it with RSA and Ed25519"
CERTS_CASES = {
    "type4-no-signing-key": ("pass", "Received a bad CERTS cell: No Ed25519 signing key"),
    "type5-other-cert": ("pass", "Received a bad CERTS cell: Link certificate does not match TLS "
                                 "certificate"),
    "type7-trailing-byte": ("pass", "Received a bad RSA->Ed25519 crosscert: Unparseable or "
                                    "overlong crosscert"),
    "unknown-cert-types": ("pass", GOOD),
    "type4-cert-type-9": ("fail", GOOD),
    "type5-key-type-1": ("pass", GOOD),
    "edcert-version-2": ("pass", "Received undecodable Ed certificate in CERTS cell"),
    "certs-count-overstated": ("pass", "It couldn't be parsed."),
    "certs-empty-list": ("pass", "Invalid certificate chain!"),
    "certs-no-body": ("pass", "It had no body"),
    "certs-trailing-bytes": ("pass", GOOD),
    "type2-expired-1-day": ("fail", GOOD),
}


def test_certs_cases_and_the_line_the_client_logs(run_hsprobe, tmp_path):
    r, res = _run(run_hsprobe, tmp_path, [f"{n}.scn" for n in CERTS_CASES])
    assert r.rc in (0, 1), r.describe()  # 1: the two deviations fail, as the baseline says
    for name, (verdict, line) in CERTS_CASES.items():
        d = res[f"tor.responder.{name}"]
        assert d["verdict"] == verdict, (name, d["message"])
        log = (tmp_path / "peers" / d["id"] / "info.log").read_text(errors="replace")
        assert line in log, (name, log[-1500:])
        if line == GOOD:
            assert "Received a bad CERTS cell" not in log, name
        else:
            assert GOOD not in log, name


def test_a_client_that_never_connects_is_an_error_with_its_log(run_hsprobe, tmp_path):
    # The Bridge line points at a port nobody listens on: the client never reaches us.
    res = tmp_path / "r.jsonl"
    cmd = f"{ROOT}/peers/tor-client/run --run-dir {{dir}} --bridge 127.0.0.1:9 --fingerprint {{fp}}"
    scen = tmp_path / "s.scn"
    scen.write_text((SCEN / "client-opens-with-good-chain.scn").read_text()
                    .replace("accept within 20s", "accept within 3s"))
    r = run_hsprobe(["run", scen, "--peer-cmd", cmd, "--peer-dir", tmp_path / "p", "--results",
                     res, "--quiet"], timeout=30)
    assert r.rc == 4, r.describe()
    d = json.loads(res.read_text())
    assert d["verdict"] == "error" and d["outcome"]["kind"] == "harness-error"
    assert "never connected" in d["message"] and "launcher.log" in d["message"]
    assert "[notice]" in d["message"], d["message"]  # the client's own log lines are quoted


def test_listen_refuses_a_non_loopback_address(run_hsprobe, tmp_path):
    r = run_hsprobe(["run", SCEN / "client-opens-with-good-chain.scn", "--listen", "10.1.2.3:9000"])
    assert r.rc == 2 and "loopback" in r.stderr, r.describe()


def test_initiator_scenarios_still_need_a_target(run_hsprobe, tmp_path):
    r = run_hsprobe(["run", ROOT / "scenarios/tor/versions/obsolete-only.scn", "--peer-cmd",
                     PEER_CMD, "--peer-dir", tmp_path / "p"])
    assert r.rc == 2 and "needs --target" in r.stderr, r.describe()
    assert not (tmp_path / "p").exists(), "nothing is created for a refused run"
