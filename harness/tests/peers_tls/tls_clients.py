"""Independent clients for the TLS-family peer tests: openssl s_client, gnutls-cli, curl, swaks,
and raw Python sockets + ssl for what no stock client does (pipelined STARTTLS injection).

Nothing here shares code with the launchers' readiness probes (peers/lib/probe.py): a test that
agreed with the launcher only because both used the same code would prove nothing.  Every call
has a timeout; `Interactive` drives a client through pipes and waits for expected output instead
of sleeping.
"""

from __future__ import annotations

import hashlib
import os
import re
import selectors
import socket
import ssl
import subprocess
import time

HOST = "127.0.0.1"

# openssl s_client / gnutls-cli names of each peer protocol's STARTTLS dialog.
OPENSSL_STARTTLS = {"smtp-starttls": "smtp", "imap-starttls": "imap", "pop3-starttls": "pop3",
                    "nntp-starttls": "nntp", "xmpp-starttls": "xmpp", "tls": None}
XMPP_HEADER = ("<stream:stream to='localhost' version='1.0' xmlns='jabber:client' "
               "xmlns:stream='http://etherx.jabber.org/streams'>")


def run(argv, timeout=10.0, stdin_text=None) -> tuple[int | None, str]:
    """(exit status, stdout+stderr) of one client run; stdin is /dev/null unless text given.
    A client still running at the timeout is killed and reported with status None (a client
    waiting for a STARTTLS offer that never comes does exactly that)."""
    try:
        proc = subprocess.run(argv, input=stdin_text.encode() if stdin_text is not None else None,
                              stdin=None if stdin_text is not None else subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return None, (e.output or b"").decode("utf-8", "replace")
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def s_client_argv(port, proto, *extra):
    argv = ["openssl", "s_client", "-connect", f"{HOST}:{port}"]
    st = OPENSSL_STARTTLS[proto]
    if st:
        argv += ["-starttls", st]
        if st == "xmpp":
            argv += ["-xmpphost", "localhost"]
    return [*argv, *extra]


def gnutls_cli_argv(port, proto, *extra):
    st = OPENSSL_STARTTLS[proto]
    # gnutls-cli addresses the XMPP stream to the host it connects to; prosody only knows
    # "localhost" (the twins ignore it).
    host = "localhost" if st == "xmpp" else HOST
    argv = ["gnutls-cli", "--insecure", "-p", str(port), host]
    if st:
        argv += ["--starttls-proto", st]
    return [*argv, *extra]


def pem_sha256(text: str) -> str | None:
    """SHA-256 (hex, upper) of the first PEM certificate in a client's output."""
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S)
    if not m:
        return None
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(m.group(0))).hexdigest().upper()


class Interactive:
    """A client process on pipes: send() lines, expect() regexes on its merged output."""

    def __init__(self, argv):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.out = b""
        os.set_blocking(self.proc.stdout.fileno(), False)

    def _pump(self, until: float):
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            left = until - time.monotonic()
            if left > 0 and sel.select(timeout=left):
                chunk = self.proc.stdout.read()
                if chunk:
                    self.out += chunk
                    return True
                return None  # EOF
        return False

    def expect(self, pattern, timeout=5.0):
        """The match once the output contains pattern; None after timeout or EOF."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.out)
            if m:
                return m
            if time.monotonic() >= deadline or self._pump(deadline) is None:
                return rx.search(self.out)

    def send(self, text):
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass

    def finish(self, timeout=3.0) -> str:
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            if self._pump(deadline) is None:
                break
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        while self._pump(time.monotonic() + 0.05):
            pass
        return self.text

    @property
    def text(self):
        return self.out.decode("utf-8", "replace")


# ---------------------------------------------------------------------------------------------
# Pipelined STARTTLS injection (spec/tls-downgrade.md §2): raw socket for the plaintext part,
# Python's ssl for the handshake, then a bounded wait for anything the server says unasked.
def _line_reply(d):
    return b"\n" in d


def _smtp_reply(d):
    return re.search(rb"(^|\n)\d{3} [^\n]*\n", d)


def _xmpp_until(marker):
    return lambda d: marker in d


XMPP_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
INJECTION = {
    # proto: (what the server says unasked first (a greeting) or None, [(client bytes, when the
    # server's answer is complete)] up to STARTTLS, STARTTLS + the harmless injected command in
    # one segment, when its go-ahead is complete)
    "smtp": (_smtp_reply, [("EHLO probe.localhost\r\n", _smtp_reply)], "STARTTLS\r\nRSET\r\n",
             _smtp_reply),
    "imap": (_line_reply, [], "a1 STARTTLS\r\na2 NOOP\r\n", _line_reply),
    "pop3": (_line_reply, [], "STLS\r\nCAPA\r\n", _line_reply),
    "nntp": (_line_reply, [], "STARTTLS\r\nDATE\r\n", _line_reply),
    "xmpp": (None, [(XMPP_HEADER, _xmpp_until(b"</stream:features>"))],
             f"<starttls xmlns='{XMPP_TLS}'/><iq type='get' id='inj'><ping xmlns='urn:xmpp:ping'/>"
             "</iq>", _xmpp_until(b"/>")),
}


def _read_reply(sock, done, timeout=3.0) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while not done(data):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def starttls_injection(port, proto, wait=0.5) -> dict:
    """Send STARTTLS and the injected command in ONE send(); complete TLS; report what came
    back in clear and what the server sent inside TLS before we said anything."""
    greeting, before, injection, go_ahead_done = INJECTION[proto]
    with socket.create_connection((HOST, port), timeout=3) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if greeting:
            _read_reply(sock, greeting)
        for text, done in before:
            sock.sendall(text.encode())
            _read_reply(sock, done)
        sock.sendall(injection.encode())  # one segment
        go_ahead = _read_reply(sock, go_ahead_done)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        with ctx.wrap_socket(sock) as tls:
            tls.settimeout(wait)
            try:
                unsolicited = tls.recv(4096)
                closed = unsolicited == b""
            except (socket.timeout, TimeoutError):
                unsolicited, closed = b"", False
            return {"go_ahead": go_ahead.decode("utf-8", "replace"), "tls": tls.version(),
                    "unsolicited": unsolicited.decode("utf-8", "replace"), "closed": closed}
