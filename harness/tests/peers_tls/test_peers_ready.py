"""Every TLS-family peer: its launcher's READY line and a real TLS handshake made by independent
clients (openssl s_client and gnutls-cli, each doing the protocol's STARTTLS dialog itself);
the TLS-off twins must answer in clear and refuse to start TLS."""

import hashlib
import ssl

import pytest

from tls_peer_set import tls_peer_names
from tls_clients import gnutls_cli_argv, pem_sha256, run, s_client_argv

pytestmark = pytest.mark.e2e

NAMES = tls_peer_names()
NOTLS = [n for n in NAMES if n.endswith("-notls")]
WITH_TLS = [n for n in NAMES if n not in NOTLS]


@pytest.mark.parametrize("peer", NAMES, indirect=True)
def test_ready_line(peer):
    f = peer.facts
    assert f.host == "127.0.0.1"
    assert f.extra.get("proto") in peer.desc.protocols, f.extra
    assert int(f.extra["pid"]) > 0
    if f.extra["tls"] == "none":
        assert peer.desc.dir.name.endswith("-notls")
        return
    assert f.extra["tls"] in ("TLSv1.2", "TLSv1.3")
    cert = (f.run_dir / "cert.pem").read_text()
    assert f.extra["cert_sha256"] == hashlib.sha256(
        ssl.PEM_cert_to_DER_cert(cert)).hexdigest().upper()


@pytest.mark.parametrize("peer", WITH_TLS, indirect=True)
def test_openssl_s_client_handshake(peer):
    f = peer.facts
    rc, out = run(s_client_argv(f.port, f.extra["proto"]), timeout=10)
    assert "New, TLSv1." in out, f"no TLS session:\n{out}"
    assert pem_sha256(out) == f.extra["cert_sha256"], out


@pytest.mark.parametrize("peer", WITH_TLS, indirect=True)
def test_gnutls_cli_handshake(peer):
    f = peer.facts
    rc, out = run(gnutls_cli_argv(f.port, f.extra["proto"]), timeout=10)
    assert "- Handshake was completed" in out, out


@pytest.mark.parametrize("peer", NOTLS, indirect=True)
def test_notls_twin_refuses_starttls(peer):
    """openssl s_client asks for STARTTLS and cannot get a TLS session."""
    f = peer.facts
    # s_client waits for an XMPP <starttls/> offer that never comes: bounded at 3 s.
    rc, out = run(s_client_argv(f.port, f.extra["proto"]), timeout=3)
    assert rc != 0, f"s_client succeeded against a TLS-off server:\n{out}"
    assert "New, TLSv1." not in out and "BEGIN CERTIFICATE" not in out, out
