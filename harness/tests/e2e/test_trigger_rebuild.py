"""The responder role's trigger circuit against a scripted relay in this process.

tor's idle-circuit reaper closes a client's circuit that has no next hop yet when the client's
channel has "never transmitted" (DESTROY reason FINISHED; seen once in a CI run against tor
0.4.9.11, relay info log "Closing circ_id 2147483649 (empty 1795260701 secs ago)").  That says
nothing about the behaviour under test, so the engine rebuilds the trigger circuit — at most
twice — and records it in the result.  A real relay does this too rarely to test on demand;
this relay does exactly that and nothing else wrong, so each path is seen on its own: a
rebuild that then succeeds, the bound on rebuilds, and any other refusal ending the wait."""

import hashlib
import json
import os
import socket
import ssl
import struct
import subprocess
import threading

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

pytestmark = pytest.mark.e2e

SCENARIO = """id: tor.test.trigger-rebuild
title: a test
role: responder
protocol: tor-link
peers: tor-relay
spec: tor-spec §5.1.2
level: MUST
requirement: what the test says.

listen tls=any
connect tls=any as trigger
send VERSIONS
expect VERSIONS
expect CERTS
expect AUTH_CHALLENGE
expect NETINFO
send NETINFO
send CREATE_FAST
expect CREATED_FAST kh=ok
send EXTEND2
accept within 5s
send VERSIONS
"""

CELL_LEN = 514          # link 4+: 4-byte circ id, command, 509-byte body
FINISHED, TORPROTOCOL = 9, 1


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        b = conn.recv(n - len(buf))
        if not b:
            raise ConnectionError("closed")
        buf += b
    return buf


def fixed(circ, cmd, body):
    return struct.pack(">IB", circ, cmd) + body.ljust(509, b"\0")


def var(circ, cmd, body):
    return struct.pack(">IBH", circ, cmd, len(body)) + body


def kdf_tor(k0, n):
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha1(k0 + bytes([i])).digest()
        i += 1
    return out[:n]


class Relay:
    """Plays a relay for one trigger connection: the link handshake, then per circuit
    CREATE_FAST → CREATED_FAST, EXTEND2 → `answer(round, circ, port)` (a reason for DESTROY,
    or None: connect to the harness's listener as the extending relay would)."""

    def __init__(self, tmp_path, answer):
        cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", cert, "-days", "2", "-subj", "/CN=www.example.net"],
                       check=True, capture_output=True, timeout=30)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.circs = []          # circ ids of the CREATE_FAST cells received
        self.extend_ports = []   # the listener port each EXTEND2 named
        self.dialed = False
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(15)
        try:
            raw, _ = self.sock.accept()
            raw.settimeout(10)
            with self.ctx.wrap_socket(raw, server_side=True) as conn:
                self._serve(conn)
        except Exception as e:  # noqa: BLE001 — kept for the test's assertion message
            self.error = repr(e)

    def _serve(self, conn):
        hdr = recv_exact(conn, 5)                       # VERSIONS, 2-byte circ id
        recv_exact(conn, struct.unpack(">H", hdr[3:5])[0])
        conn.sendall(struct.pack(">HBH", 0, 7, 2) + struct.pack(">H", 5))
        conn.sendall(var(0, 129, b"\x00"))              # CERTS with no certificates
        conn.sendall(var(0, 130, os.urandom(32) + struct.pack(">HH", 1, 3)))
        me = bytes([4, 4, 127, 0, 0, 1])
        conn.sendall(fixed(0, 8, struct.pack(">I", 0) + me + b"\x01" + me))
        recv_exact(conn, CELL_LEN)                      # NETINFO
        rnd = 0
        while True:
            try:
                cell = recv_exact(conn, CELL_LEN)
            except (ConnectionError, OSError):
                return
            circ, cmd = struct.unpack(">IB", cell[:5])
            if cmd != 5:                                # only CREATE_FAST opens a round
                continue
            self.circs.append(circ)
            x, y = cell[5:25], os.urandom(20)
            keys = kdf_tor(x + y, 20 + 20 + 20 + 16 + 16)
            conn.sendall(fixed(circ, 6, y + keys[:20]))  # CREATED_FAST: Y | KH
            ext = recv_exact(conn, CELL_LEN)
            assert ext[4] == 9, f"expected RELAY_EARLY, got command {ext[4]}"
            kf = keys[60:76]
            plain = Cipher(algorithms.AES(kf), modes.CTR(b"\0" * 16)).decryptor() \
                .update(ext[5:])
            assert plain[0] == 14, "expected a relay EXTEND2"
            data, port = plain[11:], None
            off = 1
            for _ in range(data[0]):
                t, n = data[off], data[off + 1]
                if t == 0:
                    port = struct.unpack(">H", data[off + 6:off + 8])[0]
                off += 2 + n
            self.extend_ports.append(port)
            reason = self.answer(rnd, circ, port)
            rnd += 1
            if reason is not None:
                conn.sendall(fixed(circ, 4, bytes([reason])))   # DESTROY
                continue
            cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            cctx.check_hostname = False
            cctx.verify_mode = ssl.CERT_NONE
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s, \
                    cctx.wrap_socket(s) as out:
                self.dialed = True
                out.sendall(struct.pack(">HBH", 0, 7, 4) + struct.pack(">HH", 4, 5))
                out.recv(64)                            # its VERSIONS: the scenario's last step

    def close(self):
        self.thread.join(20)
        self.sock.close()


def run(run_hsprobe, tmp_path, relay):
    f, out = tmp_path / "rebuild.scn", tmp_path / "rebuild.jsonl"
    f.write_text(SCENARIO)
    r = run_hsprobe(["run", f, "--target", f"127.0.0.1:{relay.port}", "--results", out],
                    timeout=40, check=False)
    relay.close()
    return r, json.loads(out.read_text().splitlines()[-1])


def test_reaped_trigger_is_rebuilt_and_the_scenario_goes_on(run_hsprobe, tmp_path):
    relay = Relay(tmp_path, lambda rnd, circ, port: FINISHED if rnd == 0 else None)
    r, res = run(run_hsprobe, tmp_path, relay)
    assert relay.error is None, relay.error
    assert res["verdict"] == "pass", r.describe()
    assert relay.dialed
    # A fresh circuit id for the rebuilt circuit, and the same listener named both times.
    assert relay.circs == [0x80000001, 0x80000002]
    assert len(set(relay.extend_ports)) == 1
    assert "reason 9 (FINISHED)" in res["rebuilt_trigger"]
    assert "rebuilt from line 18" in res["rebuilt_trigger"], res["rebuilt_trigger"]


def test_rebuilds_are_bounded(run_hsprobe, tmp_path):
    relay = Relay(tmp_path, lambda rnd, circ, port: FINISHED)
    r, res = run(run_hsprobe, tmp_path, relay)
    assert relay.error is None, relay.error
    assert res["verdict"] == "fail", r.describe()
    assert len(relay.circs) == 3, relay.circs            # the first and two rebuilds
    assert res["rebuilt_trigger"].count("rebuilt from line") == 2
    assert "never connected" in res["message"] and "circuit 2147483651, reason 9" in \
        res["message"], res["message"]


def test_any_other_refusal_ends_the_wait_with_its_reason(run_hsprobe, tmp_path):
    relay = Relay(tmp_path, lambda rnd, circ, port: TORPROTOCOL)
    r, res = run(run_hsprobe, tmp_path, relay)
    assert relay.error is None, relay.error
    assert res["verdict"] == "fail", r.describe()
    assert len(relay.circs) == 1
    assert "rebuilt_trigger" not in res
    assert "reason 1 (PROTOCOL)" in res["message"], res["message"]
