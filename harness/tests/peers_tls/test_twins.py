"""The project's known-bad/fixed twins, each checked with clients that share no code with them:
the bad twin must misbehave and the fixed twin must not (spec/tls-downgrade.md §3, last
paragraph).  Evidence is the clients' own output; failures print it."""

import pytest

from tls_clients import (XMPP_HEADER, Interactive, gnutls_cli_argv, run, s_client_argv,
                         starttls_injection)

pytestmark = pytest.mark.e2e

# -----------------------------------------------------------------------------------------
# CVE-2011-0411 class: plaintext pipelined after STARTTLS answered inside TLS.
INJECTED_REPLY = {"smtp": "250 ", "imap": "a2 OK", "pop3": "+OK", "nntp": "111 ",
                  "xmpp": "<iq type='result' id='inj'"}
GO_AHEAD = {"smtp": "220 ", "imap": "a1 OK", "pop3": "+OK", "nntp": "382 ", "xmpp": "<proceed"}
INJECT_PROTOS = ["smtp", "imap", "pop3", "nntp", "xmpp"]


@pytest.mark.parametrize("peer", [f"{p}-inject-bad" for p in INJECT_PROTOS], indirect=True)
def test_inject_bad_twin_answers_injected_command_inside_tls(peer):
    proto = peer.desc.name.split("-")[0]
    got = starttls_injection(peer.facts.port, proto)
    assert got["go_ahead"].startswith(GO_AHEAD[proto]), got
    assert got["unsolicited"].startswith(INJECTED_REPLY[proto]), got


@pytest.mark.parametrize("peer", [f"{p}-inject-fixed" for p in INJECT_PROTOS], indirect=True)
def test_inject_fixed_twin_discards_pipelined_plaintext(peer):
    proto = peer.desc.name.split("-")[0]
    got = starttls_injection(peer.facts.port, proto)
    assert got["go_ahead"].startswith(GO_AHEAD[proto]), got
    assert got["unsolicited"] == "" and not got["closed"], got


# -----------------------------------------------------------------------------------------
# RFC 7507 TLS_FALLBACK_SCSV.  gnutls-cli's %FALLBACK_SCSV adds 0x5600 to the ClientHello.
GNUTLS_FALLBACK_12 = "NORMAL:-VERS-TLS1.3:%FALLBACK_SCSV"
GNUTLS_FALLBACK_11 = "NORMAL:-VERS-TLS1.3:-VERS-TLS1.2:%FALLBACK_SCSV"


@pytest.mark.parametrize("peer,priority,version", [
    ("scsv-ignored", GNUTLS_FALLBACK_12, "TLS1.2"),
    ("scsv-ignored-tls12", GNUTLS_FALLBACK_11, "TLS1.1")], indirect=["peer"])
def test_scsv_bad_twin_completes_fallback_handshake(peer, priority, version):
    rc, out = run(gnutls_cli_argv(peer.facts.port, "tls", "--priority", priority), timeout=10)
    assert "- Handshake was completed" in out and f"({version}-" in out, out


@pytest.mark.parametrize("peer,priority", [
    ("scsv-enforced", GNUTLS_FALLBACK_12),
    ("scsv-enforced-tls12", GNUTLS_FALLBACK_11)], indirect=["peer"])
def test_scsv_fixed_twin_sends_alert_86(peer, priority):
    rc, out = run(gnutls_cli_argv(peer.facts.port, "tls", "--priority", priority), timeout=10)
    assert "Received alert [86]" in out and "Handshake was completed" not in out, out


OPENSSL_TLS11_FALLBACK = ("-tls1_1", "-fallback_scsv", "-cipher", "DEFAULT:@SECLEVEL=0")


def test_scsv_bad_tls12_twin_with_openssl_client(tls_peers):
    port = tls_peers["scsv-ignored-tls12"].facts.port
    rc, out = run(s_client_argv(port, "tls", *OPENSSL_TLS11_FALLBACK), timeout=10)
    # (s_client names the cipher's version on its "New," line; the session block has the real one)
    assert "Protocol  : TLSv1.1" in out and "alert number 86" not in out, out


def test_scsv_fixed_tls12_twin_with_openssl_client(tls_peers):
    port = tls_peers["scsv-enforced-tls12"].facts.port
    rc, out = run(s_client_argv(port, "tls", *OPENSSL_TLS11_FALLBACK), timeout=10)
    assert "alert inappropriate fallback" in out and "SSL alert number 86" in out, out


def test_scsv_bad_tls13_twin_is_caught_by_openssl_downgrade_sentinel(tls_peers):
    """The TLS 1.3-capable bad twin keeps RFC 8446's DOWNGRD sentinel in its random: an OpenSSL
    client that could do 1.3 aborts by itself (no alert 86 from the server)."""
    port = tls_peers["scsv-ignored"].facts.port
    rc, out = run(s_client_argv(port, "tls", "-tls1_2", "-fallback_scsv"), timeout=10)
    assert "ssl_choose_client_version:inappropriate fallback" in out, out
    assert "alert number 86" not in out, out


# -----------------------------------------------------------------------------------------
# RFC 6120 §5.3.5: a renegotiation attempt ends the XMPP stream (TCP close, no alert).
PING = "<iq type='get' id='after-reneg' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>\n"


def _s_client_renegotiate(port):
    """openssl s_client: STARTTLS, TLS 1.2, new stream header, `R` (client renegotiation),
    then a ping.  Returns the client's full output."""
    c = Interactive(s_client_argv(port, "xmpp-starttls", "-tls1_2", "-msg"))
    try:
        assert c.expect(r"Verify return code|Verification error", 5), c.text
        c.send(XMPP_HEADER + "\n")
        assert c.expect(r"stream:features", 5), c.text
        c.send("R\n")
        c.expect(r"RENEGOTIATING", 3)
        # Either the second handshake finishes or the server reacts; then ping.
        c.expect(r"ServerHelloDone[\s\S]*Finished[\s\S]*Finished|unexpected eof|Alert", 3)
        c.send(PING)
        c.expect(r"id='after-reneg'|unexpected eof|errno", 3)
    finally:
        out = c.finish()
    return out


def test_xmpp_reneg_bad_twin_keeps_the_stream(tls_peers):
    out = _s_client_renegotiate(tls_peers["xmpp-reneg-accept"].facts.port)
    assert "RENEGOTIATING" in out
    assert "type='result' id='after-reneg'" in out, out


def test_xmpp_reneg_fixed_twin_closes_tcp_without_alert(tls_peers):
    out = _s_client_renegotiate(tls_peers["xmpp-reneg-close"].facts.port)
    assert "RENEGOTIATING" in out
    assert "id='after-reneg'" not in out, out
    assert "unexpected eof" in out, out
    assert "<<< TLS 1.2, Alert" not in out, f"the server sent an alert instead of closing:\n{out}"


@pytest.mark.parametrize("peer,completed", [("xmpp-reneg-accept", True),
                                            ("xmpp-reneg-close", False)], indirect=["peer"])
def test_xmpp_reneg_twins_with_gnutls_cli(peer, completed):
    c = Interactive(gnutls_cli_argv(peer.facts.port, "xmpp-starttls", "--rehandshake",
                                    "--priority", "NORMAL:-VERS-TLS1.3"))
    try:
        m = c.expect(r"ReHandshake (was completed|has failed)", 5)
        assert m, c.text
        if completed:
            c.send(XMPP_HEADER + "\n")
            c.expect(r"stream:features", 3)
            c.send(PING)
            assert c.expect(r"id='after-reneg'", 3), c.text
    finally:
        out = c.finish()
    assert ("ReHandshake was completed" in out) == completed, out
    if not completed:
        assert "non-properly terminated" in out, out


@pytest.mark.parametrize("peer", ["scsv-bare-close"], indirect=True)
def test_scsv_bare_close_twin_refuses_without_alert(peer):
    """The deviation between the twins: the fallback handshake is refused, but by a TCP close
    with no alert 86 (gnutls-cli sees the peer vanish; openssl s_client an unexpected EOF)."""
    rc, out = run(gnutls_cli_argv(peer.facts.port, "tls", "--priority", GNUTLS_FALLBACK_12),
                  timeout=10)
    assert "Handshake was completed" not in out and "Received alert" not in out, out
    assert "terminated" in out.lower(), out
    rc, out = run(s_client_argv(peer.facts.port, "tls", "-tls1_2", "-fallback_scsv"), timeout=10)
    assert "alert" not in out.lower() and "unexpected eof" in out, out
