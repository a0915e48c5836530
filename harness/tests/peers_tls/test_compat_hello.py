"""The SSLv2-format compatible ClientHello probe (scenarios/tls/compat-hello, scen_rawtls.c)
against the real servers of spec/tls-downgrade.md §3, inside this run's private network
namespace: each verdict and the reply it rests on are what these servers were seen to send;
the check can fail (--negate-last-expect); the refusal's reason is in the server's own log; and
tshark, decoding a capture independently, sees an SSLv2 Client Hello carrying the TLS version
the scenario put in it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

import pytest

from hsprobe.wire.capture import Capture

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[3]
SCN = REPO / "scenarios" / "tls" / "compat-hello"

# id suffix -> (verdict, a substring of the outcome detail: the server's reply as summarised)
GNUTLS = {
    "accept-tls12": ("pass", "ServerHello TLS1.2 suite 0xc02f RI yes"),
    "accept-tls10": ("pass", "ServerHello TLS1.0 suite 0xc013 RI yes"),
    "accept-tls11": ("pass", "ServerHello TLS1.1 suite 0xc013"),
    "no-tls13": ("pass", "ServerHello TLS1.2 suite 0xc02f"),
    "sslv2-specs-only": ("pass", "alert fatal 40 handshake_failure"),
    "challenge-too-short": ("pass", "alert fatal 70 protocol_version"),
    "truncated": ("pass", "received: nothing"),
    "spec-length-overrun": ("pass", "alert fatal 50 decode_error"),
    "fallback-scsv": ("pass", "alert fatal 86 inappropriate_fallback"),
}
OPENSSL_TLS10 = {
    "accept-tls12": ("pass", "ServerHello TLS1.2 suite 0x009e RI yes"),
    "accept-tls10": ("pass", "ServerHello TLS1.0 suite 0x002f RI yes"),
    "accept-tls11": ("pass", "ServerHello TLS1.1 suite 0x002f"),
    "no-tls13": ("pass", "ServerHello TLS1.2 suite 0x009e"),
    "sslv2-specs-only": ("pass", "alert fatal 40 handshake_failure"),
    "challenge-too-short": ("fail", "ServerHello TLS1.2 suite 0x009e"),
    "truncated": ("pass", "received: nothing"),
    "spec-length-overrun": ("pass", "alert fatal 50 decode_error"),
    "fallback-scsv": ("pass", "alert fatal 86 inappropriate_fallback"),
}
OPENSSL_WWW = {
    "accept-tls12": ("fail", "alert fatal 40 handshake_failure"),
    "sslv2-specs-only": ("pass", "alert fatal 40 handshake_failure"),
    "challenge-too-short": ("pass", "alert fatal 40 handshake_failure"),
    "truncated": ("pass", "received: nothing"),
    "spec-length-overrun": ("pass", "alert fatal 50 decode_error"),
    "fallback-scsv": ("pass", "alert fatal 86 inappropriate_fallback"),
}


def run_scenarios(hsprobe_bin, port, files, *extra):
    # Behind $HSPROBE_WRAP (valgrind in `make valgrind`), like the run_hsprobe fixture.
    wrap = shlex.split(os.environ.get("HSPROBE_WRAP", ""))
    with tempfile.TemporaryDirectory(prefix="tlswire-") as d:
        out = Path(d) / "results.jsonl"
        p = subprocess.run([*wrap, str(hsprobe_bin), "run", *map(str, files), "--target",
                            f"127.0.0.1:{port}", "--results", str(out), "--jobs", "1", *extra],
                           capture_output=True, text=True, timeout=60 * (20 if wrap else 1))
        assert p.returncode in (0, 1), p.stderr
        return {r["id"].rsplit(".", 1)[1]: r for r in map(json.loads, out.read_text().splitlines())}


@pytest.mark.parametrize("peer,expected", [("gnutls-serv", GNUTLS),
                                           ("openssl-tls10", OPENSSL_TLS10),
                                           ("openssl-www", OPENSSL_WWW)],
                         indirect=["peer"])
def test_verdicts_and_evidence(peer, expected, hsprobe_bin):
    files = [SCN / f"{name}.scn" for name in expected]
    got = run_scenarios(hsprobe_bin, peer.facts.port, files)
    assert set(got) == set(expected)
    for name, (verdict, reply) in expected.items():
        r = got[name]
        assert r["verdict"] == verdict, (name, r["message"])
        assert reply in r["outcome"]["detail"], (name, r["outcome"]["detail"])
        conn = r["evidence"]["connections"][0]
        sent = [c for c in conn["cells"] if c["dir"] == "sent"]
        assert sent and sent[0]["hex"][:2] == "80", (name, sent)   # the SSLv2 2-byte header
        if "alert fatal" in reply and verdict == "pass":
            code = int(reply.split()[2])
            assert r["outcome"]["alert"]["code"] == code, r["outcome"]
            recv = "".join(c["hex"] for c in conn["cells"] if c["dir"] == "recv")
            assert recv.startswith("15") and recv[10:14] == f"02{code:02x}", recv


def test_negated_expectation_fails(tls_peers, hsprobe_bin):
    """The same accepted hello, with the last expectation negated, must fail: the check can."""
    port = tls_peers["gnutls-serv"].facts.port
    got = run_scenarios(hsprobe_bin, port, [SCN / "accept-tls12.scn"], "--negate-last-expect")
    r = got["accept-tls12"]
    assert r["verdict"] == "fail" and r["negated"] is True
    assert "negated" in r["message"] and "ServerHello TLS1.2" in r["message"]
    got = run_scenarios(hsprobe_bin, port, [SCN / "fallback-scsv.scn"], "--negate-last-expect")
    assert got["fallback-scsv"]["verdict"] == "fail"


def test_openssl_www_says_why_it_refused(tls_peers, hsprobe_bin):
    """spec §2: record *why*. The alert the harness sees (40) and the reason s_server logs."""
    started = tls_peers["openssl-www"]
    log = started.facts.run_dir / "s_server.log"
    before = log.read_text(errors="replace") if log.exists() else ""
    got = run_scenarios(hsprobe_bin, started.facts.port, [SCN / "accept-tls12.scn"])
    r = got["accept-tls12"]
    assert r["verdict"] == "fail" and r["outcome"]["alert"]["name"] == "handshake_failure"
    new = log.read_text(errors="replace")[len(before):]
    assert "no suitable signature algorithm" in new, new


def test_tshark_decodes_our_compat_hello(tls_peers, hsprobe_bin, tmp_path):
    """An independent decoder: on the wire it is an SSLv2 Client Hello with our TLS version."""
    port = tls_peers["gnutls-serv"].facts.port
    cap = Capture(tmp_path / "compat.pcap", port)
    assert cap.start(), cap.stats.error
    try:
        got = run_scenarios(hsprobe_bin, port, [SCN / "accept-tls11.scn",
                                                SCN / "sslv2-specs-only.scn"])
    finally:
        cap.stop()
    assert got["accept-tls11"]["verdict"] == "pass"
    # -d: the port is not 443, and tshark's heuristics miss a first packet in SSLv2 format
    decode_as = ["-d", f"tcp.port=={port},tls"]
    p = subprocess.run(["tshark", "-r", str(tmp_path / "compat.pcap"), *decode_as, "-Y",
                        "tls.record.version == 0x0002", "-T", "fields",
                        "-e", "tls.handshake.type", "-e", "tls.handshake.version",
                        "-e", "tls.handshake.challenge_length",
                        "-e", "tls.handshake.cipherspec"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    rows = [line.split("\t") for line in p.stdout.splitlines() if line.strip()]
    assert len(rows) == 2, p.stdout
    by_version = {row[1]: row for row in rows}
    tls11 = by_version["0x0302"]            # accept-tls11: version=TLS1.1, challenge=random:16
    assert tls11[0] == "1" and tls11[2] == "16"
    assert "0x00c02f" in tls11[3] and "0x0000ff" in tls11[3]
    v2only = by_version["0x0303"]           # sslv2-specs-only: SSL 2.0 kinds, no TLS suite
    assert v2only[2] == "32"
    assert v2only[3].split(",")[0] == "0x010080" and "0x00c02f" not in v2only[3]
    # and the server's ServerHello to the TLS 1.1 hello, decoded by tshark too
    p = subprocess.run(["tshark", "-r", str(tmp_path / "compat.pcap"), *decode_as, "-Y",
                        "tls.handshake.type == 2", "-T", "fields", "-e", "tls.handshake.version",
                        "-e", "tls.handshake.ciphersuite"],
                       capture_output=True, text=True, timeout=60)
    assert p.stdout.split() == ["0x0302", "0xc013"], p.stdout
