"""Hand-built frames for the wire tests: Ethernet/SLL/SLL2/raw + IPv4/IPv6 + TCP, and a tiny
TCP conversation generator that numbers sequence/ack fields like a real stack."""

from __future__ import annotations

import ipaddress
import struct
from typing import Optional

from hsprobe.wire.pcap import (LINKTYPE_EN10MB, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
                               LINKTYPE_RAW, Frame, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN)


def tcp_segment(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack(">HHIIHHHH", sport, dport, seq, ack, (5 << 12) | flags, 65535, 0, 0) \
        + payload


def ipv4(src, dst, tcp):
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0,
                      ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    return hdr + tcp


def ipv6(src, dst, tcp):
    return struct.pack(">IHBB16s16s", 6 << 28, len(tcp), 6, 64, ipaddress.IPv6Address(src).packed,
                       ipaddress.IPv6Address(dst).packed) + tcp


def link(linktype, ip, v6=False):
    etype = 0x86DD if v6 else 0x0800
    if linktype == LINKTYPE_EN10MB:
        return b"\0" * 12 + struct.pack(">H", etype) + ip
    if linktype == LINKTYPE_LINUX_SLL:
        return struct.pack(">HHH8sH", 0, 772, 6, b"\0" * 8, etype) + ip
    if linktype == LINKTYPE_LINUX_SLL2:
        return struct.pack(">HHIHBB8s", etype, 0, 1, 772, 0, 6, b"\0" * 8) + ip
    if linktype == LINKTYPE_RAW:
        return ip
    raise ValueError(linktype)


class Conversation:
    """A client (engine) and a server; `send` appends one frame with correct seq/ack numbers."""

    def __init__(self, cport=40000, sport=9001, chost="127.0.0.1", shost="127.0.0.1",
                 linktype=LINKTYPE_EN10MB, cisn=1000, sisn=5000, t0=1_700_000_000_000_000_000):
        self.c, self.s = (chost, cport), (shost, sport)
        self.linktype = linktype
        self.seq = {"c": cisn, "s": sisn}
        self.frames: list[Frame] = []
        self.t = t0

    def _frame(self, who, flags, payload=b"", seq=None, ack=None) -> Frame:
        src, dst = (self.c, self.s) if who == "c" else (self.s, self.c)
        other = "s" if who == "c" else "c"
        seg = tcp_segment(src[1], dst[1], self.seq[who] if seq is None else seq,
                          self.seq[other] if ack is None else ack, flags, payload)
        v6 = ":" in src[0]
        ip = ipv6(src[0], dst[0], seg) if v6 else ipv4(src[0], dst[0], seg)
        data = link(self.linktype, ip, v6)
        self.t += 1000
        f = Frame(len(self.frames) + 1, self.t, data, len(data))
        self.frames.append(f)
        return f

    def handshake(self):
        self._frame("c", TCP_SYN, ack=0)
        self.seq["c"] += 1
        self._frame("s", TCP_SYN | TCP_ACK)
        self.seq["s"] += 1
        self._frame("c", TCP_ACK)
        return self

    def send(self, who, payload, seq: Optional[int] = None):
        f = self._frame(who, TCP_ACK | TCP_PSH, payload, seq=seq)
        if seq is None:
            self.seq[who] += len(payload)
        return f

    def ack(self, who):
        return self._frame(who, TCP_ACK)

    def fin(self, who):
        f = self._frame(who, TCP_ACK | TCP_FIN)
        self.seq[who] += 1
        return f
