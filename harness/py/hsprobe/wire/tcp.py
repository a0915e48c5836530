"""TCP connections out of a capture: which frames belong to which connection, and each
direction's payload reassembled in sequence order with its gaps.

A capture of one batch holds every connection the engine made to one target port.  Ephemeral
ports can come back within a run, so a connection is a 4-tuple *and* a SYN: a new SYN (another
ISN) on a 4-tuple that was seen before starts a new connection.

Reassembly is by sequence number, not by frame order: retransmitted bytes are taken once (and a
retransmission carrying different bytes is recorded as a conflict), and every hole is a gap
with its offset and size.  A hole can be inside the stream (a later segment starts past the
bytes we have), at its end (the other side acknowledged, or a FIN sits at, a sequence number
past our last byte), or inside a segment whose payload the capture cut short (snaplen).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

from hsprobe.wire.pcap import TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, Segment

__all__ = ["Gap", "Flow", "TcpConn", "build_connections"]

_MOD = 1 << 32


def _rel(seq: int, base: int) -> int:
    return (seq - base) % _MOD


@dataclass(frozen=True)
class Gap:
    offset: int          # first missing byte, relative to the direction's first data byte
    size: int
    why: str

    def as_dict(self) -> dict:
        return {"offset": self.offset, "size": self.size, "why": self.why}


@dataclass
class Flow:
    """One direction of a connection."""
    isn: Optional[int] = None
    segs: list[Segment] = field(default_factory=list)
    fin_seq: Optional[int] = None        # sequence number the FIN occupies
    rst: bool = False
    acked: list[int] = field(default_factory=list)   # ACK numbers the other side sent
    # filled by finish():
    data: bytes = b""
    chunks: list[tuple[int, int]] = field(default_factory=list)  # (offset, frame) in order
    gaps: list[Gap] = field(default_factory=list)
    conflicts: list[int] = field(default_factory=list)           # offsets of differing retx
    notes: list[str] = field(default_factory=list)

    def finish(self) -> None:
        data = bytearray()
        if self.isn is None:
            with_data = [s for s in self.segs if s.payload or s.missing]
            if not with_data:
                return
            base = with_data[0].seq
            self.notes.append("no SYN in the capture: the stream's start is unknown")
            self.gaps.append(Gap(0, 0, "the connection's SYN is not in the capture, so bytes "
                                       "before the first captured segment may be missing"))
        else:
            base = (self.isn + 1) % _MOD
        pieces = []
        for s in self.segs:
            if s.has(TCP_RST) or not (s.payload or s.missing):
                continue
            rel = _rel(s.seq, base)
            if rel >= _MOD // 2:     # before the stream's start (e.g. data on a SYN): ignore
                self.notes.append(f"frame {s.frame}: data before the stream start ignored")
                continue
            pieces.append((rel, s))
        pieces.sort(key=lambda p: (p[0], p[1].frame))
        for rel, s in pieces:
            have = len(data)
            end = rel + len(s.payload)
            if rel > have:
                self.gaps.append(Gap(have, rel - have, f"bytes {have}..{rel - 1} are not in the "
                                                      f"capture (next segment: frame {s.frame})"))
                data.extend(b"\0" * (rel - have))   # placeholder; the gap makes it untrusted
                have = rel
            if end > have:
                overlap = have - rel
                if overlap and bytes(data[rel:have]) != s.payload[:overlap]:
                    self.conflicts.append(rel)
                self.chunks.append((have, s.frame))
                data.extend(s.payload[overlap:])
            elif bytes(data[rel:end]) != s.payload:
                self.conflicts.append(rel)
            if s.missing:
                self.gaps.append(Gap(end, s.missing, f"frame {s.frame} was captured without its "
                                                     f"last {s.missing} payload bytes (snaplen)"))
                if end + s.missing > len(data):
                    data.extend(b"\0" * (end + s.missing - len(data)))
        claimed_end = len(data)
        fin_rel = None
        if self.fin_seq is not None and self.isn is not None:
            fin_rel = _rel(self.fin_seq, base)
            if fin_rel < _MOD // 2:
                claimed_end = max(claimed_end, fin_rel)
        if self.isn is not None:
            for a in self.acked:
                r = _rel(a, base)
                if r >= _MOD // 2:
                    continue
                if fin_rel is not None and r == fin_rel + 1:
                    r = fin_rel
                claimed_end = max(claimed_end, r)
        if claimed_end > len(data):
            missing = claimed_end - len(data)
            if fin_rel is None and missing == 1:
                self.notes.append("the peer acknowledged one sequence number past the data: a "
                                  "FIN that is not in the capture")
            else:
                self.gaps.append(Gap(len(data), missing,
                                     f"the last {missing} bytes were acknowledged by the peer "
                                     "(or precede its FIN) but are not in the capture"))
        self.data = bytes(data)


@dataclass
class TcpConn:
    index: int                    # order of first appearance in the capture (0-based)
    client: tuple[str, int]       # the side that sent the SYN
    server: tuple[str, int]
    first_ns: int
    last_ns: int = 0
    frames: list[int] = field(default_factory=list)   # every frame of this connection, in order
    c2s: Flow = field(default_factory=Flow)
    s2c: Flow = field(default_factory=Flow)
    syn_seen: bool = False
    closed: bool = False          # both FINs or an RST seen: a new SYN starts a new connection

    @property
    def local_port(self) -> int:
        """The client's port (the engine's, when the engine connected)."""
        return self.client[1]

    def flow(self, direction: str, engine_is_client: bool = True) -> Flow:
        """'sent' = what the engine sent, 'recv' = what it received."""
        if not engine_is_client:
            direction = "recv" if direction == "sent" else "sent"
        return self.c2s if direction == "sent" else self.s2c


def _orient(s: Segment, server_port: Optional[int], server_host: Optional[str]):
    """(client endpoint, server endpoint, segment goes to the server?) or None to skip."""
    a, b = (s.src, s.sport), (s.dst, s.dport)
    if server_port is not None:
        if s.dport == server_port and (server_host is None or s.dst == server_host):
            return a, b, True
        if s.sport == server_port and (server_host is None or s.src == server_host):
            return b, a, False
        return None
    if s.has(TCP_SYN) and not s.has(TCP_ACK):
        return a, b, True
    if s.has(TCP_SYN):
        return b, a, False
    return None      # decided by the connection's SYN (see build_connections)


def build_connections(segments: Iterable[Segment], server_port: Optional[int] = None,
                      server_host: Optional[str] = None) -> list[TcpConn]:
    """Group segments into connections and reassemble both directions.

    With `server_port` (and optionally `server_host`) only connections to that server are kept
    and it is the server side.  Without, every connection is kept and the side that sent the
    SYN is the client (segments of a connection whose SYN was not captured: the lower port is
    taken as the server)."""
    conns: list[TcpConn] = []
    current: dict[tuple, TcpConn] = {}
    for s in segments:
        o = _orient(s, server_port, server_host)
        if o is None and server_port is None:
            known = current.get(((s.src, s.sport), (s.dst, s.dport))) or \
                current.get(((s.dst, s.dport), (s.src, s.sport)))
            if known is not None:
                to_server = (s.dst, s.dport) == known.server
                o = (known.client, known.server, to_server)
            else:
                low = s.sport < s.dport
                o = ((s.dst, s.dport), (s.src, s.sport), False) if low else \
                    ((s.src, s.sport), (s.dst, s.dport), True)
        if o is None:
            continue
        client, server, to_server = o
        key = (client, server)
        conn = current.get(key)
        fresh_syn = to_server and s.has(TCP_SYN) and not s.has(TCP_ACK)
        if conn is not None and fresh_syn and (conn.closed or (conn.c2s.isn is not None
                                                               and conn.c2s.isn != s.seq)):
            conn = None
        if conn is None:
            conn = TcpConn(len(conns), client, server, s.ts_ns)
            conns.append(conn)
            current[key] = conn
        conn.frames.append(s.frame)
        conn.last_ns = s.ts_ns
        mine, other = (conn.c2s, conn.s2c) if to_server else (conn.s2c, conn.c2s)
        if s.has(TCP_SYN):
            mine.isn = s.seq
            conn.syn_seen = conn.syn_seen or to_server
        mine.segs.append(s)
        if s.has(TCP_FIN):
            mine.fin_seq = (s.seq + len(s.payload) + s.missing + (1 if s.has(TCP_SYN) else 0)) \
                % _MOD
        if s.has(TCP_RST):
            mine.rst = True
        if s.has(TCP_ACK) and not s.has(TCP_RST):
            other.acked.append(s.ack)
        if mine.rst or (conn.c2s.fin_seq is not None and conn.s2c.fin_seq is not None):
            conn.closed = True
    for c in conns:
        c.c2s.finish()
        c.s2c.finish()
    return conns
