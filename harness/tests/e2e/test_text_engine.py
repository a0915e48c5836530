"""The text-protocol engine (scen_text.c) against small scripted servers in this process: the
fault paths issue 7 names (a server that never sends its banner, answers STARTTLS with garbage,
closes mid-handshake; a line longer than the cap), the injection classes, and that nothing is
written in clear after a failed STARTTLS.  The real servers and their twins are in the gate;
these servers do exactly one wrong thing each, so each check is seen to fail on its own."""

import json
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

HEADER = """id: starttls.test.{id}
title: a test
role: initiator
protocol: smtp-starttls
peers: postfix
spec: RFC 3207 §4.2
level: MUST
requirement: what the test says.
"""

DIALOG = """connect
expect line "220 *" within 1s
send line "EHLO t"
expect reply "250 *" has="STARTTLS"
send raw "STARTTLS\\r\\nRSET\\r\\n"
expect line "220 *"
"""


def cert_pair(tmp_path):
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


class Server:
    """One connection, served by `script(conn, self)`; every byte received is kept."""

    def __init__(self, script):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.received = bytearray()
        self.script = script
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(10)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        conn.settimeout(5)
        try:
            self.script(conn, self)
        except OSError:
            pass
        finally:
            conn.close()

    def line(self, conn) -> bytes:
        buf = b""
        while not buf.endswith(b"\n"):
            b = conn.recv(1)
            if not b:
                break
            buf += b
        self.received += buf
        return buf

    def drain(self, conn, seconds):
        conn.settimeout(seconds)
        try:
            while True:
                b = conn.recv(4096)
                if not b:
                    return
                self.received += b
        except OSError:
            return

    def close(self):
        self.thread.join(10)
        self.sock.close()


def ehlo_then_starttls(conn, srv, ok=b"220 go ahead\r\n"):
    conn.sendall(b"220 test ESMTP\r\n")
    srv.line(conn)                                       # EHLO
    conn.sendall(b"250-test\r\n250 STARTTLS\r\n")
    srv.line(conn)                                       # STARTTLS (RSET pipelined behind it)
    conn.sendall(ok)


def run(run_hsprobe, tmp_path, name, steps, port, negate=False):
    f = tmp_path / f"{name}.scn"
    f.write_text(HEADER.format(id=name) + steps)
    args = ["run", f, "--target", f"127.0.0.1:{port}", "--results", tmp_path / f"{name}.jsonl"]
    if negate:
        args.append("--negate-last-expect")
    r = run_hsprobe(args, timeout=20)
    return r, json.loads((tmp_path / f"{name}.jsonl").read_text().splitlines()[-1])


def test_banner_never_sent_is_a_fail_within_its_bound(run_hsprobe, tmp_path):
    srv = Server(lambda conn, s: s.drain(conn, 3))
    t0 = time.monotonic()
    r, res = run(run_hsprobe, tmp_path, "no-banner", DIALOG, srv.port)
    srv.close()
    assert res["verdict"] == "fail", r.describe()
    assert res["outcome"]["kind"] == "silence"
    assert "nothing received for 1000 ms" in res["message"]
    assert time.monotonic() - t0 < 5


def test_garbage_answer_to_starttls_is_quoted(run_hsprobe, tmp_path):
    srv = Server(lambda conn, s: ehlo_then_starttls(conn, s, ok=b"\x16\x03garbage\r\n"))
    r, res = run(run_hsprobe, tmp_path, "garbage", DIALOG, srv.port)
    srv.close()
    assert res["verdict"] == "fail", r.describe()
    assert "\\x16\\x03garbage" in res["message"] and "220 *" in res["message"]


def test_long_line_is_cut_and_reported(run_hsprobe, tmp_path):
    def script(conn, s):
        conn.sendall(b"220 " + b"A" * 3000 + b"\r\n250 next\r\n")
        s.drain(conn, 2)
    srv = Server(script)
    steps = 'connect\nexpect line "220 A*"\n'
    r, res = run(run_hsprobe, tmp_path, "long-line", steps, srv.port)
    srv.close()
    assert res["verdict"] == "pass", r.describe()
    assert "longer than 2048 bytes was cut" in res["message"]
    # The rest of the cut line is dropped: the next line read is the one after it.
    srv = Server(script)
    r, res = run(run_hsprobe, tmp_path, "long-line-2",
                 'connect\nexpect line "220 A*"\nexpect line "250 next"\n', srv.port)
    srv.close()
    assert res["verdict"] == "pass", r.describe()


def test_close_mid_handshake_is_class_2_and_nothing_goes_out_in_clear(run_hsprobe, tmp_path):
    def script(conn, s):
        ehlo_then_starttls(conn, s)
        s.drain(conn, 0.3)          # takes (part of) the ClientHello, then closes
    srv = Server(script)
    steps = DIALOG + 'starttls settle=200ms\nexpect injection class=2\nsend line "MAIL FROM:<x>"\n' \
                     'expect line "250 *"\n'
    r, res = run(run_hsprobe, tmp_path, "closed-mid-handshake", steps, srv.port)
    srv.close()
    assert res["verdict"] == "fail", r.describe()
    assert res["failed_step"]["text"] == 'send line "MAIL FROM:<x>"', r.describe()
    assert "nothing more is sent" in res["message"]
    assert b"MAIL FROM" not in bytes(srv.received)
    # The class and its evidence come from the handshake itself, not an earlier step.
    srv = Server(script)
    r, res = run(run_hsprobe, tmp_path, "closed-mid-handshake-2",
                 DIALOG + "starttls settle=200ms\nexpect injection class=1\n", srv.port)
    srv.close()
    assert res["verdict"] == "fail", r.describe()
    assert "injection class 2" in res["message"]
    assert "the TLS handshake failed (closed" in res["message"], r.describe()


def test_command_answered_inside_tls_is_class_4(run_hsprobe, tmp_path):
    cert, key = cert_pair(tmp_path)

    def script(conn, s):
        ehlo_then_starttls(conn, s)
        s.line(conn)                # the pipelined RSET, read in clear (the classic bug) ...
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        tls = ctx.wrap_socket(conn, server_side=True)
        tls.sendall(b"250 2.0.0 Ok (the pipelined RSET, answered inside TLS)\r\n")
        time.sleep(1.5)
        tls.close()
    srv = Server(script)
    steps = DIALOG + "starttls observe=500ms\nexpect injection class=1,2\n"
    r, res = run(run_hsprobe, tmp_path, "class4", steps, srv.port)
    srv.close()
    assert res["verdict"] == "fail", r.describe()
    assert "injection class 4 (answered inside TLS)" in res["message"]
    assert "250 2.0.0 Ok" in res["message"]
    conn = res["evidence"]["connections"][0]
    assert conn["stream"]["clear"]["sent"] == len(b"EHLO t\r\nSTARTTLS\r\nRSET\r\n")


# -----------------------------------------------------------------------------------------
# `expect close` on a connection still in clear: a TLS alert record then the close is a
# close (a server that read garbage where its ClientHello belonged ends the handshake that
# way); any other byte, before or after such a record, is still "data instead of a close".
GARBAGE = """connect
expect line "220 *" within 1s
send line "EHLO t"
expect reply "250 *" has="STARTTLS"
send line "STARTTLS"
expect line "220 *"
send raw "RSET\\r\\n"                    # not a ClientHello
expect close within 2s
"""
FATAL_UNEXPECTED = b"\x15\x03\x03\x00\x02\x02\x0a"   # alert fatal 10 unexpected_message


def answers_garbage_with(*chunks):
    """A server that grants STARTTLS, reads the garbage line, writes each chunk as its own
    segment, then closes."""
    def script(conn, s):
        conn.sendall(b"220 test ESMTP\r\n")
        s.line(conn)                                     # EHLO
        conn.sendall(b"250-test\r\n250 STARTTLS\r\n")
        s.line(conn)                                     # STARTTLS
        conn.sendall(b"220 go ahead\r\n")
        s.line(conn)                                     # RSET, where the ClientHello belongs
        for chunk in chunks:
            conn.sendall(chunk)
            time.sleep(0.05)
    return script


@pytest.mark.parametrize("chunks", [
    (FATAL_UNEXPECTED,),
    (FATAL_UNEXPECTED[:3], FATAL_UNEXPECTED[3:]),        # the record split across segments
], ids=["one-segment", "split-record"])
def test_alert_record_then_close_is_a_close(run_hsprobe, tmp_path, chunks):
    srv = Server(answers_garbage_with(*chunks))
    r, res = run(run_hsprobe, tmp_path, "alert-close", GARBAGE, srv.port)
    srv.close()
    assert res["verdict"] == "pass", r.describe()
    out = res["outcome"]
    assert out["kind"] == "close" and out["close"] == "fin", out
    assert out["alert"] == {"level": "fatal", "code": 10, "name": "unexpected_message"}, out
    assert out["detail"].startswith("TLS alert record in clear: fatal 10 (unexpected_message), "
                                    "then the target closed the connection (FIN)"), out


def test_two_alert_records_then_close_are_a_close(run_hsprobe, tmp_path):
    warning = b"\x15\x03\x03\x00\x02\x01\x00"             # warning close_notify
    srv = Server(answers_garbage_with(warning + FATAL_UNEXPECTED))
    r, res = run(run_hsprobe, tmp_path, "alerts-close", GARBAGE, srv.port)
    srv.close()
    assert res["verdict"] == "pass", r.describe()
    assert "records in clear: warning 0 (close_notify), fatal 10 (unexpected_message)" in \
        res["outcome"]["detail"], res["outcome"]


def test_alert_record_then_text_is_not_a_close(run_hsprobe, tmp_path):
    srv = Server(answers_garbage_with(FATAL_UNEXPECTED, b"554 5.5.1 bye\r\n"))
    r, res = run(run_hsprobe, tmp_path, "alert-text", GARBAGE, srv.port)
    srv.close()
    assert res["verdict"] == "fail", r.describe()
    assert res["outcome"]["kind"] == "other-reply"
    assert "'554 5.5.1 bye\\r\\n' instead of a close, after the TLS alert record(s) in clear: " \
           "fatal 10 (unexpected_message)" in res["message"], res["message"]


def test_text_instead_of_a_close_still_fails(run_hsprobe, tmp_path):
    srv = Server(answers_garbage_with(b"502 5.5.2 Error: command not recognized\r\n"))
    r, res = run(run_hsprobe, tmp_path, "text-close", GARBAGE, srv.port)
    srv.close()
    assert res["verdict"] == "fail", r.describe()
    assert res["outcome"]["kind"] == "other-reply" and "alert" not in res["outcome"]
    assert "'502 5.5.2 Error: command not recognized\\r\\n' instead of a close" in res["message"]


def test_incomplete_alert_record_then_close_is_not_a_close(run_hsprobe, tmp_path):
    srv = Server(answers_garbage_with(FATAL_UNEXPECTED[:4]))
    r, res = run(run_hsprobe, tmp_path, "partial-alert", GARBAGE, srv.port)
    srv.close()
    assert res["verdict"] == "fail", r.describe()
    assert "instead of a close (an incomplete TLS record); then the target closed" in \
        res["message"], res["message"]


def test_alert_record_is_not_silence(run_hsprobe, tmp_path):
    srv = Server(answers_garbage_with(FATAL_UNEXPECTED))
    steps = GARBAGE.replace("expect close within 2s", "expect silence 500ms")
    r, res = run(run_hsprobe, tmp_path, "alert-silence", steps, srv.port)
    srv.close()
    assert res["verdict"] == "fail", r.describe()
    assert "instead of silence" in res["message"], res["message"]
