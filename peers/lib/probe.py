"""Readiness proofs for the TLS-family peers: the protocol's plaintext dialog up to STARTTLS, then
a real TLS handshake (DESIGN.md "Peers": a bare TCP connect proves nothing).

`handshake(proto, port)` returns facts about the completed handshake; `plain_caps(proto, port)`
returns the capability text of a server that must NOT offer TLS (the TLS-off twins), so their
launchers can prove the server answers and really lacks STARTTLS.  Every socket operation has a
timeout; a failure raises ProbeError (or OSError/ssl.SSLError) and the launcher retries.
"""

import hashlib
import socket
import ssl

HOST = "127.0.0.1"
XMPP_HEADER = ("<?xml version='1.0'?><stream:stream to='localhost' version='1.0' "
               "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")


class ProbeError(RuntimeError):
    pass


class _Lines:
    """Line reader on a plain socket that never reads past what it returns (recv is called only
    when no complete line is buffered), so nothing of the TLS handshake is swallowed."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def line(self) -> str:
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ProbeError("connection closed during the plaintext dialog")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\n", 1)
        return raw.decode("utf-8", "replace").rstrip("\r")

    def until(self, pred) -> list:
        out = []
        while True:
            out.append(self.line())
            if pred(out[-1]):
                return out

    def xml_until(self, marker: bytes) -> str:
        while marker not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ProbeError(f"connection closed before {marker!r}")
            self.buf += chunk
        head, _, self.buf = self.buf.partition(marker)
        return (head + marker).decode("utf-8", "replace")


def _smtp_caps(sock, r):
    r.until(lambda l: l[:4] == "220 ")
    sock.sendall(b"EHLO probe.localhost\r\n")
    return r.until(lambda l: l[:4] == "250 " or (l[:1] in "45" and l[3:4] == " "))


def _dialog(proto, sock, r, want_tls):
    """Plaintext part.  Returns the capability lines seen; with want_tls also sends the
    STARTTLS command and checks the go-ahead reply."""
    if proto == "smtp":
        caps = _smtp_caps(sock, r)
        if want_tls:
            sock.sendall(b"STARTTLS\r\n")
            reply = r.line()
            if not reply.startswith("220"):
                raise ProbeError(f"SMTP STARTTLS answered {reply!r}")
        return caps
    if proto == "imap":
        r.line()  # * OK greeting
        sock.sendall(b"a0 CAPABILITY\r\n")
        caps = r.until(lambda l: l.startswith("a0 "))
        if want_tls:
            sock.sendall(b"a1 STARTTLS\r\n")
            reply = r.until(lambda l: l.startswith("a1 "))[-1]
            if not reply.startswith("a1 OK"):
                raise ProbeError(f"IMAP STARTTLS answered {reply!r}")
        return caps
    if proto == "pop3":
        r.line()  # +OK greeting
        sock.sendall(b"CAPA\r\n")
        caps = r.until(lambda l: l == "." or l.startswith("-ERR"))
        if want_tls:
            sock.sendall(b"STLS\r\n")
            reply = r.line()
            if not reply.startswith("+OK"):
                raise ProbeError(f"POP3 STLS answered {reply!r}")
        return caps
    if proto == "nntp":
        greet = r.line()
        if greet[:3] not in ("200", "201"):
            raise ProbeError(f"NNTP greeting {greet!r}")
        sock.sendall(b"CAPABILITIES\r\n")
        caps = r.until(lambda l: l == "." or l[:1] in "45")
        if want_tls:
            sock.sendall(b"STARTTLS\r\n")
            reply = r.line()
            if not reply.startswith("382"):
                raise ProbeError(f"NNTP STARTTLS answered {reply!r}")
        return caps
    if proto == "xmpp":
        sock.sendall(XMPP_HEADER.encode())
        feats = r.xml_until(b"</stream:features>")
        if want_tls:
            sock.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            reply = r.xml_until(b">")
            if "<proceed" not in reply:
                raise ProbeError(f"XMPP starttls answered {reply!r}")
        return [feats]
    if proto == "tls":
        return []
    raise ProbeError(f"unknown protocol {proto!r}")


def handshake(proto: str, port: int, timeout: float = 2.0) -> dict:
    """STARTTLS dialog (unless proto is "tls") + full TLS handshake.  Returns version, cipher
    and the SHA-256 of the server's certificate as the client saw it."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        r = _Lines(sock)
        _dialog(proto, sock, r, want_tls=True)
        if r.buf:
            raise ProbeError(f"server sent {r.buf[:60]!r} after the STARTTLS go-ahead")
        with ctx.wrap_socket(sock, server_hostname="localhost") as tls:
            der = tls.getpeercert(binary_form=True)
            return {"version": tls.version(), "cipher": tls.cipher()[0],
                    "cert_sha256": hashlib.sha256(der).hexdigest().upper()}


def plain_caps(proto: str, port: int, timeout: float = 2.0) -> str:
    """The capability text of a plaintext server (no STARTTLS command is sent)."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        return "\n".join(_dialog(proto, sock, _Lines(sock), want_tls=False))


def offers_starttls(proto: str, caps: str) -> bool:
    key = {"smtp": "STARTTLS", "imap": "STARTTLS", "pop3": "STLS", "nntp": "STARTTLS",
           "xmpp": "urn:ietf:params:xml:ns:xmpp-tls"}[proto]
    return key.lower() in caps.lower()
