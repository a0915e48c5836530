"""One capture, demultiplexed: every TCP connection with its TLS handshakes and its plaintext
per direction.

Input: the frames of the capture (our pcap reader), the TCP connections built from them, and
the per-frame facts of the single tshark pass (keyed by frame number).  For a TLS connection the
plaintext is the decrypted application data tshark printed, in frame order; for a plain-TCP
connection it is the reassembled TCP payload itself.  Each plaintext byte range remembers the
frame that carried it, so a diff can point at a frame.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Optional

from hsprobe.wire.pcap import Pcap, decode_tcp
from hsprobe.wire.tcp import TcpConn, build_connections
from hsprobe.wire.tshark import TlsFrame

__all__ = ["Handshake", "WireConn", "CaptureView", "build_view"]

HS_CLIENT_HELLO, HS_SERVER_HELLO, HS_CERTIFICATE = 1, 2, 11
CT_CCS = 20
HRR_RANDOM = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"


@dataclass
class Handshake:
    client_random: str
    client_frame: int
    server_random: Optional[str] = None
    server_frame: Optional[int] = None
    suite: Optional[int] = None
    version: Optional[str] = None            # TLS1.2 / TLS1.3 from the ServerHello
    server_cert: Optional[bytes] = None      # leaf of the server's Certificate message
    server_ccs: bool = False                 # a ChangeCipherSpec from the server followed
    client_ccs: bool = False


@dataclass
class Plain:
    data: bytes = b""
    starts: list[int] = field(default_factory=list)   # offsets where a frame's bytes start
    frames: list[int] = field(default_factory=list)   # that frame

    def add(self, chunk: bytes, frame: int) -> None:
        if chunk:
            self.starts.append(len(self.data))
            self.frames.append(frame)
            self.data += chunk

    def frame_at(self, offset: int) -> Optional[int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return self.frames[i] if 0 <= i < len(self.frames) else None


@dataclass
class WireConn:
    tcp: TcpConn
    tls: bool                                     # plaintext from tshark (else TCP payload)
    engine_is_client: bool = True                 # False: the target connected to the engine
    handshakes: list[Handshake] = field(default_factory=list)
    plain: dict[str, Plain] = field(default_factory=dict)
    undecrypted: dict[str, int] = field(default_factory=dict)  # app records without plaintext
    clear_problems: list[str] = field(default_factory=list)    # STARTTLS boundary mismatches

    @property
    def server_cert(self) -> Optional[bytes]:
        return next((h.server_cert for h in self.handshakes if h.server_cert), None)

    @property
    def client_randoms(self) -> list[str]:
        return [h.client_random for h in self.handshakes]

    def flow(self, direction: str):
        """The TCP flow of 'sent' (engine to target) or 'recv'."""
        return self.tcp.flow(direction, self.engine_is_client)


@dataclass
class CaptureView:
    pcap: Pcap
    port: Optional[int]           # the target's port (engine as client); None: any server
    host: Optional[str]
    conns: list[TcpConn]
    tls_frames: dict[int, TlsFrame]
    by_port: dict[int, list[TcpConn]] = field(default_factory=dict)         # client port
    by_server_port: dict[int, list[TcpConn]] = field(default_factory=dict)
    _handshakes: dict[int, list[Handshake]] = field(default_factory=dict)

    def candidates(self, local_port: int, engine_is_client: bool = True) -> list[TcpConn]:
        """Connections where the engine's port is `local_port`: as the client to the target
        (initiator role), or as the server the target connected to (responder role)."""
        if engine_is_client:
            return [c for c in self.by_port.get(local_port, [])
                    if self.port is None or c.server[1] == self.port]
        return self.by_server_port.get(local_port, [])

    def handshakes(self, conn: TcpConn) -> list[Handshake]:
        if conn.index not in self._handshakes:
            self._handshakes[conn.index] = _handshakes(self, conn)
        return self._handshakes[conn.index]

    def wire_conn(self, conn: TcpConn, tls: bool, engine_is_client: bool = True,
                  clear: Optional[dict] = None) -> WireConn:
        """Plaintext per direction; byte ranges remember their capture frame numbers.

        clear (STARTTLS): how many bytes each direction sent in clear before the TLS
        handshake, as the engine claims; they are taken from the TCP payload, and the TLS
        part must start right after them (wc.clear_problems says where it does not)."""
        wc = WireConn(conn, tls, engine_is_client, self.handshakes(conn))
        if not tls or clear:
            for d in ("sent", "recv"):
                flow, p = wc.flow(d), Plain()
                end = len(flow.data) if not tls else min(int(clear.get(d, 0)), len(flow.data))
                bounds = [(o, f) for o, f in flow.chunks if o < end] + [(end, None)]
                for (off, frame), (nxt, _f) in zip(bounds, bounds[1:]):
                    p.add(flow.data[off:nxt], frame)
                wc.plain[d] = p
                wc.undecrypted[d] = 0
                if tls:
                    wc.clear_problems.extend(_clear_boundary(d, flow.data, end, int(clear.get(d, 0))))
            if not tls:
                return wc
        else:
            wc.plain = {"sent": Plain(), "recv": Plain()}
            wc.undecrypted = {"sent": 0, "recv": 0}
        for n in conn.frames:
            tf = self.tls_frames.get(n)
            if tf is None:
                continue
            from_engine = (tf.srcport == conn.client[1]) == engine_is_client
            d = "sent" if from_engine else "recv"
            for chunk in tf.data:
                wc.plain[d].add(chunk, tf.number)
            wc.undecrypted[d] += tf.undecrypted
        return wc


def _clear_boundary(d: str, data: bytes, end: int, claimed: int) -> list[str]:
    """After the clear head of a STARTTLS connection the TCP payload must be TLS records
    (content type 20-23, version 3.x) — or nothing, if that side never sent one."""
    if claimed > len(data):
        return [f"{d}: the engine claims {claimed} bytes in clear; the wire has only {len(data)}"]
    rest = data[end:end + 3]
    if rest and not (20 <= rest[0] <= 23 and len(rest) >= 2 and rest[1] == 3):
        return [f"{d}: after the {claimed} clear bytes the wire carries {rest.hex()}…, not a TLS "
                "record"]
    return []


def _handshakes(view: CaptureView, conn: TcpConn) -> list[Handshake]:
    out: list[Handshake] = []
    for num in conn.frames:
        tf = view.tls_frames.get(num)
        if tf is None:
            continue
        from_server = tf.srcport == conn.server[1]
        randoms = iter(tf.randoms)
        for t in tf.hs_types:
            if t not in (HS_CLIENT_HELLO, HS_SERVER_HELLO):
                if t == HS_CERTIFICATE and from_server and out and out[-1].server_cert is None \
                        and tf.certificates:
                    out[-1].server_cert = tf.certificates[0]
                continue
            rnd = next(randoms, None)
            if rnd is None:
                continue
            if t == HS_CLIENT_HELLO and not from_server:
                if out and out[-1].client_random == rnd and out[-1].server_random == HRR_RANDOM:
                    continue     # the second ClientHello after a HelloRetryRequest
                out.append(Handshake(rnd, num))
            elif t == HS_SERVER_HELLO and from_server and out:
                hs = out[-1]
                hs.server_random, hs.server_frame = rnd, num
                hs.suite = tf.ciphersuites[0] if tf.ciphersuites else None
                hs.version = "TLS1.3" if 0x0304 in tf.versions else "TLS1.2"
        if out and CT_CCS in tf.content_types and out[-1].server_random:
            if from_server:
                out[-1].server_ccs = True
            else:
                out[-1].client_ccs = True
    return out


def build_view(pcap: Pcap, port: Optional[int], host: Optional[str],
               tls_frames: dict[int, TlsFrame]) -> CaptureView:
    segs = (decode_tcp(pcap.linktype, f) for f in pcap.frames)
    conns = build_connections((s for s in segs if s is not None), port,
                              host if port is not None else None)
    view = CaptureView(pcap, port, host, conns, tls_frames)
    for c in conns:
        view.by_port.setdefault(c.client[1], []).append(c)
        view.by_server_port.setdefault(c.server[1], []).append(c)
    return view
