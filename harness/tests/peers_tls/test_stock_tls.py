"""The stock TLS targets of spec/tls-downgrade.md §3's table do what the table says, observed with
openssl s_client (these facts are the "truth" column of harness/py/compare_tools.py)."""

import pytest

from tls_clients import Interactive, run, s_client_argv

pytestmark = pytest.mark.e2e


def _client_renegotiation(port):
    """s_client -tls1_2 -msg, then `R`: returns the output after the server's reaction."""
    c = Interactive(s_client_argv(port, "tls", "-tls1_2", "-msg"))
    try:
        assert c.expect(r"Verify return code|Verification error", 5), c.text
        c.send("R\n")
        c.expect(r"RENEGOTIATING", 3)
        c.expect(r"RENEGOTIATING[\s\S]*(<<< TLS 1.2, Handshake \[length [0-9a-f]+\], Finished"
                 r"|Alert|unexpected eof)", 3)
    finally:
        out = c.finish()
    return out


@pytest.mark.parametrize("peer", ["openssl-www", "openssl-tls10"], indirect=True)
def test_refuses_client_renegotiation_with_warning_100(peer):
    out = _client_renegotiation(peer.facts.port)
    assert "<<< TLS 1.2, Alert [length 0002], warning no_renegotiation" in out, out


@pytest.mark.parametrize("peer", ["openssl-client-reneg", "openssl-legacy-reneg", "gnutls-serv"],
                         indirect=True)
def test_accepts_client_renegotiation(peer):
    out = _client_renegotiation(peer.facts.port)
    after = out.split("RENEGOTIATING", 1)[1]
    # ">>>" lines are the client's (its own close_notify at the end); "<<<" the server's.
    assert "<<< TLS 1.2, Handshake" in after and "ServerHello" in after, out
    assert "<<< TLS 1.2, Alert" not in after, out


@pytest.mark.parametrize("peer,supported", [
    ("openssl-www", True), ("openssl-client-reneg", True), ("openssl-legacy-reneg", True),
    ("openssl-tls10", True), ("gnutls-serv", True), ("gnutls-serv-tls12", True),
    ("scsv-ignored", True), ("scsv-enforced", True), ("scsv-bare-close", True),
    ("gnutls-serv-unsafe-reneg", False)], indirect=["peer"])
def test_rfc5746_advertised(peer, supported):
    rc, out = run(s_client_argv(peer.facts.port, "tls", "-tls1_2"), timeout=10)
    word = "IS supported" if supported else "IS NOT supported"
    assert f"Secure Renegotiation {word}" in out, out


def test_server_initiated_renegotiation_via_fifo(tls_peers):
    facts = tls_peers["openssl-server-reneg"].facts
    c = Interactive(s_client_argv(facts.port, "tls", "-msg"))
    try:
        assert c.expect(r"Verify return code|Verification error", 5), c.text
        with open(facts.extra["fifo"], "w") as fifo:
            fifo.write("r\n")
        m = c.expect(r"HelloRequest[\s\S]*ClientHello[\s\S]*<<< TLS 1.2, Handshake \[length "
                     r"[0-9a-f]+\], Finished", 5)
    finally:
        out = c.finish()
    assert m, out


def test_tls10_variant_speaks_tls10(tls_peers):
    port = tls_peers["openssl-tls10"].facts.port
    rc, out = run(s_client_argv(port, "tls", "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"), timeout=10)
    assert "Protocol  : TLSv1\n" in out, out


def test_tls12_variant_treats_12_plus_scsv_as_normal(tls_peers):
    port = tls_peers["gnutls-serv-tls12"].facts.port
    rc, out = run(s_client_argv(port, "tls", "-tls1_2", "-fallback_scsv"), timeout=10)
    assert "Protocol  : TLSv1.2" in out and "alert" not in out.lower(), out
    rc, out = run(s_client_argv(port, "tls", "-tls1_1", "-fallback_scsv", "-cipher",
                                "DEFAULT:@SECLEVEL=0"), timeout=10)
    assert "SSL alert number 86" in out, out


@pytest.mark.parametrize("peer", ["gnutls-serv", "gnutls-serv-unsafe-reneg", "openssl-www",
                                  "openssl-tls10", "openssl-client-reneg", "openssl-legacy-reneg"],
                         indirect=True)
def test_tls13_servers_answer_12_plus_scsv_with_alert_86(peer):
    rc, out = run(s_client_argv(peer.facts.port, "tls", "-tls1_2", "-fallback_scsv"), timeout=10)
    assert "SSL alert number 86" in out, out


@pytest.mark.parametrize("peer", ["gnutls-serv-tls12", "gnutls-serv-unsafe-reneg"], indirect=True)
def test_gnutls_tls12_and_legacy_variants_accept_client_renegotiation(peer):
    """gnutls-serv-unsafe-reneg has no RFC 5746, so the client must allow legacy renegotiation."""
    c = Interactive(s_client_argv(peer.facts.port, "tls", "-tls1_2", "-msg",
                                  "-legacy_renegotiation"))
    try:
        assert c.expect(r"Verify return code|Verification error", 5), c.text
        c.send("R\n")
        c.expect(r"RENEGOTIATING[\s\S]*(<<< TLS 1.2, Handshake \[length [0-9a-f]+\], Finished"
                 r"|Alert|unexpected eof)", 4)
    finally:
        out = c.finish()
    after = out.split("RENEGOTIATING", 1)[1]
    assert "ServerHello" in after and "<<< TLS 1.2, Alert" not in after, out
