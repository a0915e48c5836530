"""Tests of the tor-relay peer launcher (peers/tor-relay/run) itself: its READY facts, its torrc
safety lines, its refusal to run outside a private network namespace, its role handling, its
start/stop behaviour."""

import base64
import hashlib
import os
import re
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hsprobe import netns
from hsprobe.peers import ManagedPeer, PeerError, free_port, peer_launcher

pytestmark = pytest.mark.e2e

LAUNCHER = peer_launcher("tor-relay")


def _data(facts) -> Path:
    return facts.run_dir / "data"


def _tor_pid(run_dir: Path) -> int:
    return int((run_dir / "tor.pid").read_text().split()[0])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes; tor is reaped by the launcher, so expect none.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _tor_processes_using(run_dir: Path) -> list[int]:
    """PIDs of tor processes whose command line mentions run_dir (started with -f DIR/torrc)."""
    found = []
    needle = str(run_dir).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        argv = cmd.split(b"\0")
        if needle in cmd and os.path.basename(argv[0]) == b"tor":
            found.append(int(entry.name))
    return found


def _tls_leaf(port: int, version: ssl.TLSVersion) -> tuple[bytes, str]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = version
    ctx.maximum_version = version
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw) as tls:
            return tls.getpeercert(binary_form=True), tls.version()


# ---------------------------------------------------------------------------------------------
# READY facts of the session relay
def test_ready_line_shape(tor_relay):
    assert tor_relay.host == "127.0.0.1"
    assert 0 < tor_relay.port < 65536
    assert re.fullmatch(r"[0-9A-F]{40}", tor_relay.rsa_fp)
    assert re.fullmatch(r"[A-Za-z0-9+/]{43}", tor_relay.ed25519_id)
    assert base64.b64decode(tor_relay.ed25519_id + "=").__len__() == 32


def test_ready_facts_match_data_files(tor_relay):
    nick, fp = (_data(tor_relay) / "fingerprint").read_text().split()
    nick2, ed = (_data(tor_relay) / "fingerprint-ed25519").read_text().split()
    assert nick == nick2 == f"hsprobe{tor_relay.port}"
    assert fp == tor_relay.rsa_fp
    assert ed == tor_relay.ed25519_id


def test_rsa_fingerprint_is_sha1_of_pkcs1_identity_key(tor_relay):
    pem = (_data(tor_relay) / "keys" / "secret_id_key").read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 1024
    assert key.public_key().public_numbers().e == 65537
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.PKCS1)
    assert hashlib.sha1(der).hexdigest().upper() == tor_relay.rsa_fp


def test_ed25519_id_is_the_signer_in_the_type4_cert(tor_relay):
    # keys/ed25519_signing_cert = 32-byte text header + 140-byte type-4 cert whose
    # signed-with-key extension (00 20 04 00 + 32 bytes at cert offset 40) is the identity key.
    blob = (_data(tor_relay) / "keys" / "ed25519_signing_cert").read_bytes()
    assert blob[:32].rstrip(b"\0") == b"== ed25519v1-cert: type4 =="
    cert = blob[32:]
    assert len(cert) == 140
    assert cert[0] == 1 and cert[1] == 4 and cert[39] == 1
    assert cert[40:44] == b"\x00\x20\x04\x00"
    ident = cert[44:76]
    assert base64.b64encode(ident).decode().rstrip("=") == tor_relay.ed25519_id


def test_data_dir_private(tor_relay):
    assert (_data(tor_relay).stat().st_mode & 0o777) == 0o700
    assert ((_data(tor_relay) / "keys" / "secret_id_key").stat().st_mode & 0o077) == 0


def test_torrc_has_safety_lines(tor_relay):
    lines = {ln.strip() for ln in (tor_relay.run_dir / "torrc").read_text().splitlines()}
    for required in (f"ORPort 127.0.0.1:{tor_relay.port}", "Address 127.0.0.1",
                     "FetchServerDescriptors 0", "PublishServerDescriptor 0",
                     "UseDefaultFallbackDirs 0", "SocksPort 0", "DirPort 0", "ControlPort 0",
                     "ExitRelay 0", "GeoIPFile /dev/null", "ProtocolWarnings 1", "SafeLogging 0",
                     "LogTimeGranularity 1", "KeepalivePeriod 10",
                     f"DataDirectory {tor_relay.run_dir}/data",
                     f"ServerDNSResolvConfFile {tor_relay.run_dir}/resolv.conf",
                     f"Log info file {tor_relay.run_dir}/info.log"):
        assert required in lines, required
    auth = [ln for ln in lines if ln.startswith("DirAuthority ")]
    assert len(auth) == 1 and " 127.0.0.1:" in auth[0]
    assert not any(re.search(r"@[A-Z_]+@", ln) for ln in lines)
    assert (tor_relay.run_dir / "resolv.conf").read_text() == "nameserver 127.0.0.1\n"


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3],
                         ids=["tls1.2", "tls1.3"])
def test_orport_speaks_tls_with_rsa2048_link_cert(tor_relay, version):
    der, got = _tls_leaf(tor_relay.port, version)
    assert got == {"TLSv1_2": "TLSv1.2", "TLSv1_3": "TLSv1.3"}[version.name]
    cert = x509.load_der_x509_certificate(der)
    assert isinstance(cert.public_key(), rsa.RSAPublicKey)
    assert cert.public_key().key_size == 2048
    assert len(cert.extensions) == 0
    assert re.fullmatch(r"CN=www\.[a-z2-7]+\.net", cert.subject.rfc4514_string())
    assert re.fullmatch(r"CN=www\.[a-z2-7]+\.com", cert.issuer.rfc4514_string())


def test_no_tor_reaches_outside(tor_relay):
    # The relay shares this namespace; there is no route out of it.
    netns.assert_private_netns()
    assert netns.connect_outside_errno() != 0


# ---------------------------------------------------------------------------------------------
# Launcher behaviour (each test starts its own launcher)
def test_refuses_outside_private_netns(tmp_path):
    """Inside a nested namespace that has an extra interface the launcher must refuse (exit 3)
    before writing anything or starting tor.  The nested namespace is itself isolated, so even a
    launcher that wrongly started tor could not reach anything."""
    run_dir = tmp_path / "refused"
    port = free_port()
    script = ('ip link set lo up && '
              '{ ip link add hsx0 type dummy 2>/dev/null || ip link add hsx0 type ifb 2>/dev/null '
              '|| ip link add hsx0 type bridge 2>/dev/null || exit 99; } && '
              'exec "$@"')
    proc = subprocess.run(["unshare", "-n", "--", "/bin/sh", "-c", script, "sh", str(LAUNCHER),
                           "--run-dir", str(run_dir), "--port", str(port)],
                          capture_output=True, text=True, timeout=20)
    if proc.returncode == 99:
        pytest.fail("could not create an extra interface (dummy/ifb/bridge) in a nested netns")
    assert proc.returncode == 3, proc.stderr
    assert "private network namespace" in proc.stderr
    assert "hsx0" in proc.stderr
    assert proc.stdout == ""
    assert not (run_dir / "torrc").exists()
    assert not (run_dir / "data").exists()
    assert _tor_processes_using(run_dir) == []


@pytest.mark.parametrize("role", ["client", "authenticating-initiator", ""])
def test_unsupported_role_exits_127(tmp_path, role):
    run_dir = tmp_path / "role"
    proc = subprocess.run([str(LAUNCHER), "--run-dir", str(run_dir), "--port", str(free_port()),
                           "--role", role], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 127, proc.stderr
    assert "role" in proc.stderr and "responder" in proc.stderr
    assert proc.stdout == ""
    assert not (run_dir / "torrc").exists()


def test_missing_arguments_is_usage_error(tmp_path):
    proc = subprocess.run([str(LAUNCHER), "--run-dir", str(tmp_path)], capture_output=True,
                          text=True, timeout=20)
    assert proc.returncode == 2
    assert "--port" in proc.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stops_within_2s_and_leaves_no_tor(tmp_path, sig):
    run_dir = tmp_path / "relay"
    peer = ManagedPeer(LAUNCHER, run_dir, ready_timeout=30)
    facts = peer.start()
    try:
        tor_pid = _tor_pid(run_dir)
        assert _pid_alive(tor_pid)
        assert _tor_processes_using(run_dir) == [tor_pid]
        t0 = time.monotonic()
        peer.proc.send_signal(sig)
        rc = peer.proc.wait(timeout=10)
        took = time.monotonic() - t0
    finally:
        peer.stop()
    assert rc == 0, peer.log_tail()
    assert took < 2.0, f"launcher took {took:.3f} s to stop"
    assert not _pid_alive(tor_pid)
    assert _tor_processes_using(run_dir) == []
    with pytest.raises(OSError):
        socket.create_connection((facts.host, facts.port), timeout=1).close()


def test_reused_run_dir_keeps_identity(tmp_path):
    run_dir = tmp_path / "relay"
    with ManagedPeer(LAUNCHER, run_dir) as first:
        pass
    with ManagedPeer(LAUNCHER, run_dir) as second:  # new port, same DataDirectory
        pass
    assert second.port != first.port
    assert (second.rsa_fp, second.ed25519_id) == (first.rsa_fp, first.ed25519_id)


def test_fresh_run_dirs_get_fresh_identities(tmp_path):
    with ManagedPeer(LAUNCHER, tmp_path / "a") as a:
        with ManagedPeer(LAUNCHER, tmp_path / "b") as b:
            assert a.port != b.port
            assert a.rsa_fp != b.rsa_fp and a.ed25519_id != b.ed25519_id


def test_tor_dying_early_fails_with_log_tail(tmp_path):
    """Port already taken: tor cannot open its ORPort and exits; the launcher must exit non-zero
    (not hang until the deadline) and show tor's log on stderr."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        run_dir = tmp_path / "busy"
        t0 = time.monotonic()
        proc = subprocess.run([str(LAUNCHER), "--run-dir", str(run_dir), "--port", str(port),
                               "--timeout", "15"], capture_output=True, text=True, timeout=30)
        took = time.monotonic() - t0
    assert proc.returncode not in (0, 127), proc.stderr
    assert proc.stdout == ""
    assert took < 10, f"took {took:.1f} s: the launcher waited for the deadline"
    assert "tor exited" in proc.stderr
    assert "notice.log" in proc.stderr or "tor.stdout" in proc.stderr
    assert str(port) in proc.stderr  # tor's complaint about the port is in the tail
    assert _tor_processes_using(run_dir) == []


def test_managed_peer_reports_failure(tmp_path):
    peer = ManagedPeer(LAUNCHER, tmp_path / "bad", role="client", ready_timeout=10)
    with pytest.raises(PeerError, match="exited with status 127"):
        peer.start()
    assert not peer.alive()
