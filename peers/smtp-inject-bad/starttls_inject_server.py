#!/usr/bin/python3
"""hsprobe known-bad/fixed twins: a small SMTP / IMAP / POP3 / NNTP / XMPP server with STARTTLS
that keeps (bad) or discards (fixed) plaintext pipelined after the STARTTLS command.

    starttls_inject_server.py --port N --cert C --key K --proto smtp|imap|pop3|nntp|xmpp
                              --mode bad|fixed

The CVE-2011-0411 pattern: the server reads the socket in blocks into its own read-ahead
buffer.  A client (or a man in the middle) writes `STARTTLS\\r\\nRSET\\r\\n` in one segment (XMPP:
`<starttls/>` and an `<iq>` ping); the server answers STARTTLS in clear and starts TLS.
  bad    what is left in the buffer is processed after the handshake, as if it had arrived
         inside TLS, and its reply is sent encrypted: plaintext injected before TLS gets an
         authenticated-looking answer inside TLS (RFC 3207 §4.2 / RFC 2595 §3.1 / RFC 4642
         §2.2.2 / RFC 6120 §5.4.3.3 violated).
  fixed  the buffer is emptied when STARTTLS is accepted; the discarded byte count is logged.
Everything else is the same: a handful of harmless commands (SMTP EHLO/HELO/RSET/NOOP/QUIT,
IMAP CAPABILITY/NOOP/LOGOUT, POP3 CAPA/NOOP/QUIT, NNTP CAPABILITIES/DATE/MODE READER/AUTHINFO/
POST (refused)/QUIT, XMPP stream header/<starttls/>/SASL <auth/>/<iq> ping/</stream:stream>),
one thread per connection, 30 s idle limit, a 64 KiB cap on the read-ahead buffer, bound to 127.0.0.1 only.
Python 3's ssl module (OpenSSL) does the TLS.
"""

import argparse
import itertools
import re
import signal
import socketserver
import ssl
import sys
import time

IDLE_S = 30
BUF_CAP = 64 * 1024  # read-ahead without a complete line / XML unit: the client is flooding


def log(text):
    print(f"{time.time():.3f} {text}", file=sys.stderr, flush=True)


class Overflow(Exception):
    pass


class Conn:
    """I/O over the plain socket or, after STARTTLS, the TLS socket.  `buf` is the server's own
    read-ahead buffer: the object of the bug."""

    def __init__(self, sock, peer):
        self.sock, self.peer, self.buf = sock, peer, b""

    def send(self, text):
        self.sock.sendall(text.encode())

    def send_lines(self, lines):
        self.send("".join(f"{line}\r\n" for line in lines))

    def fill(self):
        """One more block into the buffer; False at the client's close."""
        if len(self.buf) >= BUF_CAP:
            raise Overflow(f"{len(self.buf)} bytes without a complete command")
        chunk = self.sock.recv(4096)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def read_line(self):
        while b"\n" not in self.buf:
            if not self.fill():
                return None
        raw, self.buf = self.buf.split(b"\n", 1)
        return raw.decode("utf-8", "replace").rstrip("\r")

    def start_tls(self, ctx, mode):
        """The TLS boundary, after the go-ahead was sent in clear.  What the buffer still holds
        arrived in clear after the STARTTLS command: fixed drops it, bad keeps it for the
        protected session (the bug)."""
        pending = self.buf
        if mode == "fixed":
            self.buf = b""
            if pending:
                log(f"{self.peer}: discarded {len(pending)} plaintext bytes pipelined after "
                    f"STARTTLS: {pending!r}")
        elif pending:
            log(f"{self.peer}: KEEPING {len(pending)} plaintext bytes pipelined after STARTTLS, "
                f"to be answered inside TLS: {pending!r}")
        self.sock = ctx.wrap_socket(self.sock, server_side=True)
        log(f"{self.peer}: TLS established ({self.sock.version()})")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------
# Line protocols: SMTP, IMAP, POP3, NNTP.

class LineProtocol:
    """Greeting, STARTTLS command/go-ahead and replies for one line protocol (capabilities
    differ before and after TLS: STARTTLS is offered only in clear)."""

    # NNTP greets 200, not 201: gnutls-cli --starttls-proto nntp waits for "200 " and nothing
    # else.  POST is then refused per article (440, RFC 3977 §6.3.1): the twin keeps none.
    GREETING = {"smtp": "220 localhost ESMTP hsprobe-inject-twin",
                "imap": "* OK [CAPABILITY IMAP4rev1 STARTTLS] hsprobe-inject-twin",
                "pop3": "+OK hsprobe-inject-twin",
                "nntp": "200 localhost hsprobe-inject-twin ready"}

    def __init__(self, proto):
        self.proto = proto
        self.greeting = self.GREETING[proto]

    def is_starttls(self, words):
        if self.proto == "imap":
            return words[1:2] == ["STARTTLS"]
        return words[:1] == (["STLS"] if self.proto == "pop3" else ["STARTTLS"])

    def go_ahead(self, words):
        return {"smtp": "220 2.0.0 Ready to start TLS",
                "imap": f"{words[0] if words else '*'} OK Begin TLS negotiation now",
                "pop3": "+OK Begin TLS negotiation",
                "nntp": "382 Continue with TLS negotiation"}[self.proto]

    def reply(self, words, tls):
        """(reply lines, close afterwards)."""
        return getattr(self, f"_{self.proto}")(words, tls)

    @staticmethod
    def _smtp(words, tls):
        verb = words[0] if words else ""
        if verb in ("EHLO", "HELO"):
            caps = ["250-localhost", "250-PIPELINING"] + ([] if tls else ["250-STARTTLS"])
            return caps + ["250 8BITMIME"], False
        if verb in ("RSET", "NOOP"):
            return ["250 2.0.0 Ok"], False
        if verb == "QUIT":
            return ["221 2.0.0 Bye"], True
        if verb == "STARTTLS":
            return ["554 5.5.1 Error: TLS already active"], False
        return ["502 5.5.2 Error: command not recognized"], False

    @staticmethod
    def _imap(words, tls):
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

    @staticmethod
    def _pop3(words, tls):
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

    @staticmethod
    def _nntp(words, tls):
        # RFC 3977 / 4642 / 4643: AUTHINFO USER only under TLS (483 in clear), as INN does.
        verb = words[0] if words else ""
        if verb == "CAPABILITIES":
            caps = ["VERSION 2", "READER"] + (["AUTHINFO USER"] if tls else ["STARTTLS"])
            return ["101 Capability list:"] + caps + ["."], False
        if verb == "DATE":
            return ["111 " + time.strftime("%Y%m%d%H%M%S", time.gmtime())], False
        if verb == "MODE" and words[1:2] == ["READER"]:
            return ["200 Reader mode"], False
        if verb == "POST":
            return ["440 Posting not permitted"], False
        if verb == "AUTHINFO":
            if not tls:
                return ["483 Encryption or stronger authentication required"], False
            if words[1:2] == ["USER"]:
                return ["381 Enter passphrase"], False
            return ["481 Authentication failed"], False
        if verb == "QUIT":
            return ["205 Bye"], True
        if verb == "STARTTLS":
            return ["502 Command unavailable: TLS already active"], False
        return ["500 Unknown command"], False

    def serve(self, conn, srv):
        tls = False
        conn.send_lines([self.greeting])
        while True:
            line = conn.read_line()
            if line is None:
                return
            words = line.split()
            # Commands are case-insensitive; an IMAP tag is not (it is echoed back).
            upper, verb = list(words), 1 if self.proto == "imap" else 0
            for i in range(verb, min(len(upper), verb + 2)):  # the verb and its keyword
                upper[i] = upper[i].upper()
            if not tls and self.is_starttls(upper):
                conn.send_lines([self.go_ahead(words)])
                conn.start_tls(srv.ctx, srv.mode)
                tls = True
                continue
            lines, close = self.reply(upper, tls)
            if tls:
                log(f"{conn.peer}: inside TLS answered {line!r}")
            conn.send_lines(lines)
            if close:
                return


# ---------------------------------------------------------------------------------------------
# XMPP (RFC 6120 c2s, domain "localhost").  XML has no lines: the reader takes one top-level
# unit at a time from the read-ahead buffer — an XML declaration, the stream header (an open
# tag), a complete first-level element, or the stream's end tag — so that, exactly as for the
# line protocols, what follows <starttls/> in the same segment stays in the buffer.

NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
DOMAIN = "localhost"
TAG = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:'[^']*'|\"[^\"]*\"))*)"
                 rb"\s*(/?)>")
ATTR = re.compile(r"([\w.:-]+)\s*=\s*(?:'([^']*)'|\"([^\"]*)\")")
WS = b" \t\r\n"


class NotXml(Exception):
    pass


class XmlUnit:
    def __init__(self, kind, name, attrs, raw):
        self.kind, self.name, self.attrs, self.raw = kind, name, attrs, raw

    @property
    def local(self):
        return self.name.rsplit(":", 1)[-1]


def _attrs(text):
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
            for m in ATTR.finditer(text.decode("utf-8", "replace"))}


def _next_tag(buf, pos):
    """The tag at buf[pos] (which is '<'): a match, None if it is not complete yet."""
    m = TAG.match(buf, pos)
    if m:
        return m
    if b">" not in buf[pos:]:
        return None
    raise NotXml(f"not a tag: {buf[pos:pos + 60]!r}")


def next_xml_unit(buf):
    """(unit, bytes consumed) for the first complete top-level unit of buf, None if more bytes
    are needed.  NotXml for what no XMPP client sends (character data at the stream level, a
    malformed tag)."""
    start = len(buf) - len(buf.lstrip(WS))
    if start == len(buf):
        return None
    if buf.startswith(b"<?", start):
        end = buf.find(b"?>", start)
        return None if end < 0 else (XmlUnit("decl", "", {}, buf[start:end + 2]), end + 2)
    if buf[start:start + 1] != b"<":
        raise NotXml(f"character data at the stream level: {buf[start:start + 60]!r}")
    depth, pos, first = 0, start, None
    while True:
        m = _next_tag(buf, pos)
        if m is None:
            return None
        closing, name, selfclose = m.group(1) == b"/", m.group(2).decode(), m.group(4) == b"/"
        if depth == 0 and not closing and not selfclose and name == "stream:stream":
            return XmlUnit("stream", name, _attrs(m.group(3)), buf[start:m.end()]), m.end()
        if depth == 0 and closing:
            return XmlUnit("end", name, {}, buf[start:m.end()]), m.end()
        first = first or m
        depth += -1 if closing else 0 if selfclose else 1
        if depth == 0:
            return XmlUnit("element", first.group(2).decode(), _attrs(first.group(3)),
                           buf[start:m.end()]), m.end()
        nxt = buf.find(b"<", m.end())
        if nxt < 0:
            return None
        pos = nxt


class XmppProtocol:
    """Stream header -> features (<starttls><required/> in clear, SASL PLAIN inside TLS),
    <starttls/> -> <proceed/>, <auth/> in clear -> <encryption-required/>, <iq> ping ->
    result, </stream:stream> -> the same and a close."""

    proto = "xmpp"
    _stream_ids = itertools.count(1)

    def serve(self, conn, srv):
        tls = False
        while True:
            unit = self._read_unit(conn)
            if unit is None:
                return
            if unit.kind == "decl":
                continue
            if tls:
                log(f"{conn.peer}: inside TLS got {unit.raw[:80]!r}")
            if unit.kind == "stream":
                if not self._open_stream(conn, unit, tls):
                    return
            elif unit.kind == "end":
                conn.send("</stream:stream>")
                return
            elif unit.local == "starttls" and unit.attrs.get("xmlns") == NS_TLS:
                if tls:  # RFC 6120 §5.4.2.2: <failure/>, then the stream ends
                    conn.send(f"<failure xmlns='{NS_TLS}'/></stream:stream>")
                    return
                conn.send(f"<proceed xmlns='{NS_TLS}'/>")
                conn.start_tls(srv.ctx, srv.mode)
                tls = True
            else:
                self._stanza(conn, unit, tls)

    @staticmethod
    def _read_unit(conn):
        while True:
            try:
                got = next_xml_unit(conn.buf)
            except NotXml as e:
                log(f"{conn.peer}: {e}")
                conn.send("<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:"
                          "xmpp-streams'/></stream:error></stream:stream>")
                return None
            if got:
                unit, used = got
                conn.buf = conn.buf[used:]
                return unit
            if not conn.fill():
                return None

    def _open_stream(self, conn, unit, tls):
        sid = f"hsprobe-twin-{next(self._stream_ids)}"
        conn.send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' "
                  f"id='{sid}' from='{DOMAIN}' version='1.0' xml:lang='en'>")
        if unit.attrs.get("to", DOMAIN) != DOMAIN:  # RFC 6120 §4.9.3.6
            conn.send("<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                      "</stream:error></stream:stream>")
            return False
        if tls:
            feats = (f"<mechanisms xmlns='{NS_SASL}'><mechanism>PLAIN</mechanism></mechanisms>")
        else:
            feats = f"<starttls xmlns='{NS_TLS}'><required/></starttls>"
        conn.send(f"<stream:features>{feats}</stream:features>")
        return True

    @staticmethod
    def _stanza(conn, unit, tls):
        if unit.local == "auth" and unit.attrs.get("xmlns") == NS_SASL:
            # RFC 6120 §6.5.4 in clear; inside TLS the twin has no accounts at all.
            why = "<not-authorized/>" if tls else "<encryption-required/>"
            conn.send(f"<failure xmlns='{NS_SASL}'>{why}</failure>")
        elif unit.local == "iq":
            sid = unit.attrs.get("id", "").replace("'", "")
            if b"urn:xmpp:ping" in unit.raw and unit.attrs.get("type") == "get":
                conn.send(f"<iq type='result' id='{sid}' from='{DOMAIN}'/>")
            else:
                conn.send(f"<iq type='error' id='{sid}' from='{DOMAIN}'><error type='cancel'>"
                          "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                          "</error></iq>")
        else:
            log(f"{conn.peer}: ignored {unit.raw[:80]!r}")


# ---------------------------------------------------------------------------------------------

class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        srv = self.server
        self.request.settimeout(IDLE_S)
        conn = Conn(self.request, "%s:%d" % self.client_address)
        try:
            srv.protocol.serve(conn, srv)
        except (OSError, ssl.SSLError, Overflow) as e:
            log(f"{conn.peer}: connection ended: {type(e).__name__}: {e}")
        finally:
            conn.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--proto", choices=["smtp", "imap", "pop3", "nntp", "xmpp"], required=True)
    ap.add_argument("--mode", choices=["bad", "fixed"], required=True)
    args = ap.parse_args(argv)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.protocol = XmppProtocol() if args.proto == "xmpp" else LineProtocol(args.proto)
    srv.mode, srv.ctx = args.mode, ctx
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    log(f"listening on 127.0.0.1:{args.port} proto={args.proto} mode={args.mode}")
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        log("stopping")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
