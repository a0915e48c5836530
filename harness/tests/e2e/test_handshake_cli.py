"""End-to-end tests of `hsprobe handshake` (the C engine's CLI) against a real tor relay and
against small misbehaving listeners.

CLI contract: hsprobe handshake HOST:PORT [--tls 1.2|1.3] [--versions 3,4,5] [--keylog FILE]
[--timeout MS] [--json]; exit 0 conformant, 1 target deviated, 2 usage error, 3 unreachable or
timed out, 4 harness error.  `make valgrind` selects test_handshake_matrix with -k.
"""

import calendar
import hashlib
import re
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509

from hsprobe.peers import free_port

pytestmark = pytest.mark.e2e

LINK_VERSIONS = [3, 4, 5]
TLS_VERSIONS = ["1.2", "1.3"]
TIMING_KEYS = ["tcp_connect", "tls_handshake", "versions", "certs", "auth_challenge", "netinfo",
               "create_fast", "total"]
# Tor's responder CERTS cell: types in this order; types 4, 5, 7 have fixed sizes (spec §1.7, §1.9).
CERT_TYPES = [1, 2, 4, 5, 7]
FIXED_CERT_LEN = {4: 140, 5: 104, 7: 165}
NSS_13_LABELS = {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                 "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"}
NSS_LABELS = NSS_13_LABELS | {"CLIENT_RANDOM", "EXPORTER_SECRET", "CLIENT_EARLY_TRAFFIC_SECRET",
                              "EARLY_EXPORTER_SECRET"}


# ---------------------------------------------------------------------------------------------
# Helpers
@pytest.fixture(scope="session")
def relay_tls_cert(tor_relay):
    """The relay's TLS certificate as seen by Python's ssl (stable: tor rotates it every 2 h)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((tor_relay.host, tor_relay.port), timeout=5) as raw:
        with ctx.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
    return der, x509.load_der_x509_certificate(der)


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def assert_conformant_report(obj, facts, tls, link, cert_der, cert, run):
    now = time.time()
    ctx = run.describe()
    assert obj["exit_code"] == 0, ctx
    assert obj["verdict"] == "conformant", ctx
    assert isinstance(obj["summary"], str) and obj["summary"], ctx
    assert obj["target"] == facts.addr
    assert obj["link_version"] == link
    assert obj["versions_offered"] == [link]
    assert obj["versions_received"] == [3, 4, 5]  # tor 0.4.9.11 sends exactly 3,4,5

    # TLS
    t = obj["tls"]
    assert t["version"] == f"TLS{tls}"
    assert isinstance(t["cipher"], str) and t["cipher"]
    assert isinstance(t["kx"], str) and t["kx"]
    assert t["group"] is None or isinstance(t["group"], str)
    c = t["cert"]
    assert c["sha256"].lower() == hashlib.sha256(cert_der).hexdigest()
    assert re.search(r"www\.[a-z2-7]+\.net", c["subject"]), c["subject"]
    assert re.search(r"www\.[a-z2-7]+\.com", c["issuer"]), c["issuer"]
    assert c["key_alg"] == "RSA" and c["key_bits"] == 2048
    assert c["extensions"] == 0
    assert c["not_before"] == calendar.timegm(cert.not_valid_before.utctimetuple())
    assert c["not_after"] == calendar.timegm(cert.not_valid_after.utctimetuple())
    assert c["not_before"] % 86400 == 0  # rounded down to midnight UTC (spec §1.8)
    assert c["not_before"] <= now < c["not_after"]

    # CERTS
    certs = obj["certs"]
    assert [e["type"] for e in certs] == CERT_TYPES
    for e in certs:
        assert e["decoded"] is True, e
        assert e["expired"] is False, e
        assert _int(e["len"]) and e["len"] > 0
        assert e["expires"] is None or (_int(e["expires"]) and e["expires"] > now), e
        assert isinstance(e["note"], str)
        if e["type"] in FIXED_CERT_LEN:
            assert e["len"] == FIXED_CERT_LEN[e["type"]], e
            assert _int(e["expires"]), e
    type1 = certs[0]
    assert type1["len"] == len(cert_der), "type-1 cert must be byte-identical to the TLS cert"
    # CERTS type 1 is byte-identical to the TLS certificate (tor-link.md §1.7).
    assert type1["sha256"].lower() == c["sha256"].lower()
    certs_cell = [e for e in obj["transcript"] if e["dir"] == "recv" and e["cmd"] == "CERTS"]
    assert len(certs_cell) == 1
    if "hex" in certs_cell[0]:  # raw cell bytes (beyond the documented contract): parse them
        raw = bytes.fromhex(certs_cell[0]["hex"])
        width = certs_cell[0].get("circ_width", 2 if link == 3 else 4)
        body = raw[width + 3:width + 3 + int.from_bytes(raw[width + 1:width + 3], "big")]
        found, off = {}, 1
        for _ in range(body[0]):
            ctype, clen = body[off], int.from_bytes(body[off + 1:off + 3], "big")
            found[ctype] = body[off + 3:off + 3 + clen]
            off += 3 + clen
        assert sorted(found) == CERT_TYPES
        assert found[1] == cert_der, "type-1 cert is not byte-identical to the TLS certificate"
        assert hashlib.sha256(found[1]).hexdigest() == c["sha256"].lower()

    # identity
    assert obj["identity"]["rsa_fingerprint"] == facts.rsa_fp
    assert obj["identity"]["ed25519"] == facts.ed25519_id

    # AUTH_CHALLENGE
    ac = obj["auth_challenge"]
    assert re.fullmatch(r"[0-9a-fA-F]{64}", ac["challenge"])
    assert ac["methods"] == [3]

    # NETINFO
    ni = obj["netinfo"]
    assert ni["other_addr"] == "127.0.0.1"
    assert _int(ni["time"]) and abs(ni["time"] - now) < 30
    assert _int(ni["skew_seconds"]) and abs(ni["skew_seconds"]) <= 5
    assert isinstance(ni["my_addrs"], list) and set(ni["my_addrs"]) <= {"127.0.0.1"}

    # checks
    checks = obj["checks"]
    assert checks, "no checks reported"
    bad = [ch for ch in checks if ch["ok"] is not True]
    assert not bad, f"failed checks: {bad}"
    for ch in checks:
        assert isinstance(ch["id"], str) and ch["id"] and isinstance(ch["detail"], str)

    # channel open (CREATE_FAST / CREATED_FAST)
    co = obj["channel_open"]
    assert co is not None, ctx
    assert co["created_fast"] is True and co["kh_ok"] is True
    assert _int(co["circ_id"]) and co["circ_id"] != 0
    if link == 3:
        assert co["circ_id"] < 1 << 16
    else:
        assert co["circ_id"] >> 31 == 1, "initiator sets the circ id MSB for link >= 4"
    if obj["close"] is not None:
        assert obj["close"]["kind"] in ("FIN", "RST")

    # timings
    tm = obj["timings_ms"]
    for k in TIMING_KEYS:
        assert _num(tm[k]) and tm[k] >= 0, (k, tm)
        assert tm[k] <= tm["total"] + 1e-6, (k, tm)

    # transcript
    tr = obj["transcript"]
    assert tr[0]["dir"] == "sent" and tr[0]["cmd"] == "VERSIONS" and tr[0]["circ_id"] == 0
    recv = [e["cmd"] for e in tr if e["dir"] == "recv"]
    sent = [e["cmd"] for e in tr if e["dir"] == "sent"]
    assert recv[:4] == ["VERSIONS", "CERTS", "AUTH_CHALLENGE", "NETINFO"], tr
    assert "CREATED_FAST" in recv
    assert sent[:3] == ["VERSIONS", "NETINFO", "CREATE_FAST"], tr
    cf = [e for e in tr if e["cmd"] == "CREATE_FAST"]
    assert cf[0]["circ_id"] == co["circ_id"]
    ts = [e["t_ms"] for e in tr]
    assert all(_num(x) for x in ts) and ts == sorted(ts)
    for e in tr:
        assert e["dir"] in ("sent", "recv") and _int(e["len"]) and e["len"] >= 0


class Listener:
    """A loopback TCP listener running `handler(conn)` for every connection in a thread."""

    def __init__(self, handler):
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.addr = f"127.0.0.1:{self.port}"
        self.conns = []
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            self.handler(conn)
        except OSError:
            pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(2)
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        self.sock.close()


def _silent(conn):
    conn.settimeout(10)
    while conn.recv(4096):  # read whatever arrives, never answer
        pass


def _http_400(conn):
    conn.settimeout(2)
    try:
        conn.recv(4096)  # the ClientHello
    except socket.timeout:
        pass
    conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
    conn.shutdown(socket.SHUT_WR)
    conn.close()


def _combined(run):
    return (run.stdout + run.stderr).lower()


# ---------------------------------------------------------------------------------------------
# Against the real relay
@pytest.mark.parametrize("link", LINK_VERSIONS, ids=lambda v: f"link{v}")
@pytest.mark.parametrize("tls", TLS_VERSIONS, ids=lambda v: f"tls{v}")
def test_handshake_matrix(run_hsprobe, tor_relay, relay_tls_cert, tls, link):
    der, cert = relay_tls_cert
    run = run_hsprobe(["handshake", tor_relay.addr, "--tls", tls, "--versions", str(link),
                       "--timeout", "5000", "--json"], timeout=20)
    assert run.rc == 0, run.describe()
    assert_conformant_report(run.json, tor_relay, tls, link, der, cert, run)


def test_default_offers_3_4_5_and_negotiates_5(run_hsprobe, tor_relay):
    run = run_hsprobe(["handshake", tor_relay.addr, "--json"], timeout=20)
    assert run.rc == 0, run.describe()
    obj = run.json
    assert obj["versions_offered"] == [3, 4, 5]
    assert obj["link_version"] == 5
    assert obj["tls"]["version"] == "TLS1.3"  # tor on OpenSSL 3.0 prefers 1.3 when offered
    assert all(ch["ok"] for ch in obj["checks"])


def test_text_report(run_hsprobe, tor_relay):
    run = run_hsprobe(["handshake", tor_relay.addr], timeout=20)
    assert run.rc == 0, run.describe()
    assert tor_relay.rsa_fp in run.stdout
    assert tor_relay.ed25519_id in run.stdout
    assert run.json is None


def test_auth_challenge_is_fresh(run_hsprobe, tor_relay):
    a = run_hsprobe(["handshake", tor_relay.addr, "--json"], timeout=20)
    b = run_hsprobe(["handshake", tor_relay.addr, "--json"], timeout=20)
    assert a.rc == 0 and b.rc == 0, a.describe() + "\n" + b.describe()
    assert a.json["auth_challenge"]["challenge"] != b.json["auth_challenge"]["challenge"]


@pytest.mark.parametrize("tls", TLS_VERSIONS, ids=lambda v: f"tls{v}")
def test_no_common_version_means_close(run_hsprobe, tor_relay, tls):
    run = run_hsprobe(["handshake", tor_relay.addr, "--tls", tls, "--versions", "1,2",
                       "--timeout", "5000", "--json"], timeout=20)
    assert run.rc == 0, run.describe()
    obj = run.json
    assert obj["verdict"] == "conformant"
    assert obj["versions_offered"] == [1, 2]
    assert obj["link_version"] is None
    assert obj["close"] is not None, run.describe()
    assert obj["close"]["kind"] in ("FIN", "RST")
    assert _num(obj["close"]["after_ms"]) and 0 <= obj["close"]["after_ms"] < 5000
    assert obj["channel_open"] is None


@pytest.mark.parametrize("tls", TLS_VERSIONS, ids=lambda v: f"tls{v}")
def test_keylog_nss_format(run_hsprobe, tor_relay, tmp_path, tls):
    keylog = tmp_path / "keys.log"
    run = run_hsprobe(["handshake", tor_relay.addr, "--tls", tls, "--keylog", keylog, "--json"],
                      timeout=20)
    assert run.rc == 0, run.describe()
    lines = [ln for ln in keylog.read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines, "keylog is empty"
    entries = []
    for ln in lines:
        m = re.fullmatch(r"([A-Z_0-9]+) ([0-9a-fA-F]{64}) ([0-9a-fA-F]+)", ln)
        assert m, f"not an NSS key log line: {ln!r}"
        assert m.group(1) in NSS_LABELS, ln
        assert len(m.group(3)) in (64, 96), ln
        entries.append(m.groups())
    labels = {e[0] for e in entries}
    randoms = {e[1].lower() for e in entries}
    assert len(randoms) == 1, "one handshake, one client random"
    if tls == "1.2":
        assert "CLIENT_RANDOM" in labels
        assert all(len(e[2]) == 96 for e in entries if e[0] == "CLIENT_RANDOM")  # master secret
    else:
        assert NSS_13_LABELS <= labels, labels
        assert "CLIENT_RANDOM" not in labels

    # a second run appends (help: "append the TLS secrets")
    run2 = run_hsprobe(["handshake", tor_relay.addr, "--tls", tls, "--keylog", keylog],
                       timeout=20)
    assert run2.rc == 0, run2.describe()
    randoms2 = {ln.split()[1].lower() for ln in keylog.read_text().splitlines()
                if ln and not ln.startswith("#")}
    assert len(randoms2) == 2 and randoms < randoms2


# ---------------------------------------------------------------------------------------------
# Usage errors and help (no target needed)
@pytest.mark.parametrize("args", [
    [],
    ["handshake"],
    ["handshake", "--json"],
    ["handshake", "@ADDR", "--tls", "1.1"],
    ["handshake", "@ADDR", "--tls", "tls13"],
    ["handshake", "@ADDR", "--tls"],
    ["handshake", "@ADDR", "--versions", "abc"],
    ["handshake", "@ADDR", "--versions", "3,x"],
    ["handshake", "@ADDR", "--versions", "70000"],
    ["handshake", "@ADDR", "--versions", ""],
    ["handshake", "@ADDR", "--timeout", "abc"],
    ["handshake", "@ADDR", "--bogus"],
    ["no-such-command"],
], ids=lambda a: " ".join(a) or "(no args)")
def test_usage_errors_exit_2(run_hsprobe, args):
    addr = f"127.0.0.1:{free_port()}"  # closed: a parser that wrongly accepts gives 3, not 2
    args = [addr if a == "@ADDR" else a for a in args]
    run = run_hsprobe(args, timeout=10)
    assert run.rc == 2, run.describe()
    assert run.stderr.strip(), "usage error without a message on stderr"


@pytest.mark.parametrize("args", [["--help"], ["help"], ["handshake", "--help"]],
                         ids=lambda a: " ".join(a))
def test_help(run_hsprobe, args):
    run = run_hsprobe(args, timeout=10)
    assert run.rc == 0, run.describe()
    text = run.stdout
    assert "handshake" in text
    for code, word in [(0, "conformant"), (1, "deviat"), (2, "usage"), (3, "unreachable"),
                       (4, "harness")]:
        assert re.search(rf"(?m)^\s*{code}\b.*{word}", text, re.I), f"exit code {code} ({word})"
    if args[0] == "handshake":
        for opt in ("--tls", "--versions", "--keylog", "--timeout", "--json"):
            assert opt in text, opt


# ---------------------------------------------------------------------------------------------
# Unreachable, silent and non-TLS targets
def test_closed_port_is_unreachable(run_hsprobe):
    addr = f"127.0.0.1:{free_port()}"
    run = run_hsprobe(["handshake", addr, "--timeout", "2000", "--json"], timeout=10)
    assert run.rc == 3, run.describe()
    assert run.json["verdict"] == "unreachable"
    assert run.json["target"] == addr
    assert run.json["link_version"] is None
    assert run.elapsed < 2.0
    text = run_hsprobe(["handshake", addr, "--timeout", "2000"], timeout=10)
    assert text.rc == 3
    assert re.search(r"refused|unreachable", _combined(text)), text.describe()


def test_silent_listener_times_out(run_hsprobe):
    with Listener(_silent) as lst:
        run = run_hsprobe(["handshake", lst.addr, "--timeout", "500"], timeout=10)
        assert run.rc == 3, run.describe()
        assert run.elapsed < 3.0, run.describe()
        assert "timed out" in _combined(run), run.describe()
        js = run_hsprobe(["handshake", lst.addr, "--timeout", "500", "--json"], timeout=10)
        assert js.rc == 3, js.describe()
        assert js.json["verdict"] == "timeout"
        assert js.elapsed < 3.0
        assert lst.accepted == 2


def _tls_silent_factory(tmp_path):
    """A TLS server (throwaway self-signed RSA cert) that completes TLS, then never answers."""
    import datetime
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "www.silent.net")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    kf, cf = tmp_path / "k.pem", tmp_path / "c.pem"
    kf.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.TraditionalOpenSSL,
                                     serialization.NoEncryption()))
    kf.chmod(0o600)
    cf.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cf, kf)

    def handler(conn):
        conn.settimeout(10)
        with ctx.wrap_socket(conn, server_side=True) as tls:
            while tls.recv(4096):
                pass
    return handler


def test_tls_ok_but_no_versions_times_out(run_hsprobe, tmp_path):
    with Listener(_tls_silent_factory(tmp_path)) as lst:
        run = run_hsprobe(["handshake", lst.addr, "--timeout", "500", "--json"], timeout=10)
    assert run.rc == 3, run.describe()
    assert run.json["verdict"] == "timeout"
    assert run.json["tls"] is not None and run.json["tls"]["cert"]["key_alg"] == "RSA"
    assert run.elapsed < 3.0


def test_non_tls_listener_is_deviation(run_hsprobe):
    with Listener(_http_400) as lst:
        run = run_hsprobe(["handshake", lst.addr, "--timeout", "2000", "--json"], timeout=10)
        assert run.rc == 1, run.describe()
        assert run.json["verdict"] == "deviated"
        assert run.json["link_version"] is None
        assert run.json["channel_open"] is None
        text = run_hsprobe(["handshake", lst.addr, "--timeout", "2000"], timeout=10)
        assert text.rc == 1, text.describe()
        assert "tls" in _combined(text)


def test_bad_priority_is_a_harness_error_not_a_crash(run_hsprobe, tor_relay):
    """A priority string GnuTLS refuses is our fault (exit 4), reported clearly; it once crashed
    in tls_conn_close on the half-built session."""
    run = run_hsprobe(["handshake", tor_relay.addr, "--priority", "NONE:+BOGUS", "--json"],
                      timeout=20)
    assert run.rc == 4, run.describe()
    assert run.json["verdict"] == "harness-error"
    assert "priority" in run.json["summary"]
    assert run.json["transcript"] == []  # nothing was sent to the target
