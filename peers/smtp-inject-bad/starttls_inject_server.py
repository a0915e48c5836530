#!/usr/bin/python3
"""hsprobe known-bad/fixed twins: a small SMTP / IMAP / POP3 server with STARTTLS that keeps
(bad) or discards (fixed) plaintext pipelined after the STARTTLS command.

    starttls_inject_server.py --port N --cert C --key K --proto smtp|imap|pop3 --mode bad|fixed

The CVE-2011-0411 pattern: the server reads the socket in blocks into its own line buffer.  A
client (or a man in the middle) writes `STARTTLS\\r\\nRSET\\r\\n` in one segment; the server
answers STARTTLS in clear and starts TLS.
  bad    the buffered `RSET` is processed after the handshake, as if it had arrived inside TLS,
         and its reply is sent encrypted: plaintext injected before TLS gets an authenticated-
         looking answer inside TLS (RFC 3207 §4.2 / RFC 2595 §3.1 violated).
  fixed  the buffer is emptied when STARTTLS is accepted; the discarded byte count is logged.
Everything else is the same: a handful of harmless commands (SMTP EHLO/HELO/RSET/NOOP/QUIT,
IMAP CAPABILITY/NOOP/LOGOUT, POP3 CAPA/NOOP/QUIT), one thread per connection, 30 s idle limit,
bound to 127.0.0.1 only.  Python 3's ssl module (OpenSSL) does the TLS.
"""

import argparse
import signal
import socket
import socketserver
import ssl
import sys
import time

IDLE_S = 30


def log(text):
    print(f"{time.time():.3f} {text}", file=sys.stderr, flush=True)


class Protocol:
    """Greeting, STARTTLS command/go-ahead and replies for one protocol (capabilities differ
    before and after TLS: STARTTLS is offered only in clear)."""

    def __init__(self, proto):
        self.proto = proto
        self.greeting = {"smtp": "220 localhost ESMTP hsprobe-inject-twin",
                         "imap": "* OK [CAPABILITY IMAP4rev1 STARTTLS] hsprobe-inject-twin",
                         "pop3": "+OK hsprobe-inject-twin"}[proto]

    def is_starttls(self, words):
        if self.proto == "smtp":
            return words[:1] == ["STARTTLS"]
        if self.proto == "imap":
            return words[1:2] == ["STARTTLS"]
        return words[:1] == ["STLS"]

    def go_ahead(self, words):
        return {"smtp": "220 2.0.0 Ready to start TLS",
                "imap": f"{words[0] if words else '*'} OK Begin TLS negotiation now",
                "pop3": "+OK Begin TLS negotiation"}[self.proto]

    def reply(self, words, tls):
        """(reply lines, close afterwards)."""
        if self.proto == "smtp":
            verb = words[0] if words else ""
            if verb in ("EHLO", "HELO"):
                caps = ["250-localhost", "250-PIPELINING"] + ([] if tls else ["250-STARTTLS"])
                return caps + ["250 8BITMIME"], False
            if verb == "RSET":
                return ["250 2.0.0 Ok"], False
            if verb == "NOOP":
                return ["250 2.0.0 Ok"], False
            if verb == "QUIT":
                return ["221 2.0.0 Bye"], True
            if verb == "STARTTLS":
                return ["554 5.5.1 Error: TLS already active"], False
            return ["502 5.5.2 Error: command not recognized"], False
        if self.proto == "imap":
            tag = words[0] if words else "*"
            cmd = words[1] if len(words) > 1 else ""
            if cmd == "CAPABILITY":
                caps = "IMAP4rev1" + ("" if tls else " STARTTLS")
                return [f"* CAPABILITY {caps}", f"{tag} OK CAPABILITY completed"], False
            if cmd == "NOOP":
                return [f"{tag} OK NOOP completed"], False
            if cmd == "LOGOUT":
                return ["* BYE logging out", f"{tag} OK LOGOUT completed"], True
            if cmd == "STARTTLS":
                return [f"{tag} BAD TLS already active"], False
            return [f"{tag} BAD unknown command"], False
        verb = words[0] if words else ""
        if verb == "CAPA":
            return ["+OK", "TOP", "UIDL"] + ([] if tls else ["STLS"]) + ["."], False
        if verb == "NOOP":
            return ["+OK"], False
        if verb == "QUIT":
            return ["+OK bye"], True
        if verb == "STLS":
            return ["-ERR TLS already active"], False
        return ["-ERR unknown command"], False


class Conn:
    """Line I/O over the plain socket or, after STARTTLS, the TLS socket.  `buf` is the
    server's own read-ahead buffer: the object of the bug."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def send_lines(self, lines):
        self.sock.sendall("".join(f"{line}\r\n" for line in lines).encode())

    def read_line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\n", 1)
        return raw.decode("utf-8", "replace").rstrip("\r")


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        srv = self.server
        proto, conn = srv.protocol, Conn(self.request)
        self.request.settimeout(IDLE_S)
        peer = "%s:%d" % self.client_address
        tls = False
        try:
            conn.send_lines([proto.greeting])
            while True:
                line = conn.read_line()
                if line is None:
                    return
                words = line.split()
                # Commands are case-insensitive; an IMAP tag is not (it is echoed back).
                upper, verb = list(words), 1 if proto.proto == "imap" else 0
                if len(upper) > verb:
                    upper[verb] = upper[verb].upper()
                if not tls and proto.is_starttls(upper):
                    conn.send_lines([proto.go_ahead(words)])
                    pending = conn.buf
                    if srv.mode == "fixed":
                        conn.buf = b""
                        if pending:
                            log(f"{peer}: discarded {len(pending)} plaintext bytes pipelined "
                                f"after STARTTLS: {pending!r}")
                    elif pending:
                        log(f"{peer}: KEEPING {len(pending)} plaintext bytes pipelined after "
                            f"STARTTLS, to be answered inside TLS: {pending!r}")
                    conn.sock = srv.ctx.wrap_socket(self.request, server_side=True)
                    tls = True
                    log(f"{peer}: TLS established ({conn.sock.version()})")
                    continue
                lines, close = proto.reply(upper, tls)
                if tls:
                    log(f"{peer}: inside TLS answered {line!r}")
                conn.send_lines(lines)
                if close:
                    return
        except (OSError, ssl.SSLError) as e:
            log(f"{peer}: connection ended: {type(e).__name__}: {e}")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--proto", choices=["smtp", "imap", "pop3"], required=True)
    ap.add_argument("--mode", choices=["bad", "fixed"], required=True)
    args = ap.parse_args(argv)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.protocol, srv.mode, srv.ctx = Protocol(args.proto), args.mode, ctx
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    log(f"listening on 127.0.0.1:{args.port} proto={args.proto} mode={args.mode}")
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        log("stopping")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
