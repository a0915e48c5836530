"""Classic libpcap files: read, write, and decode each frame down to its TCP segment.

tcpdump writes this format (not pcapng) with `-w`.  The reader accepts both byte orders and both
timestamp resolutions (micro- and nanosecond magic), and the link types a loopback capture can
have: EN10MB (what Linux `lo` reports), LINUX_SLL / LINUX_SLL2 (`-i any`), raw IPv4/IPv6 and
BSD loopback (NULL/LOOP).  A record cut short at the end of the file (tcpdump killed while
writing) is reported, not raised; anything else malformed raises PcapError.

Nothing here knows about TLS or Tor: the output is frames and TCP segments.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Optional

__all__ = ["PcapError", "Frame", "Pcap", "Segment", "read_pcap", "parse_pcap", "iter_frames",
           "write_pcap", "pcap_header", "HEADER_SIZE",
           "decode_tcp", "LINKTYPE_NULL", "LINKTYPE_EN10MB", "LINKTYPE_RAW", "LINKTYPE_LOOP",
           "LINKTYPE_LINUX_SLL", "LINKTYPE_IPV4", "LINKTYPE_IPV6", "LINKTYPE_LINUX_SLL2",
           "TCP_FIN", "TCP_SYN", "TCP_RST", "TCP_PSH", "TCP_ACK"]

LINKTYPE_NULL = 0
LINKTYPE_EN10MB = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276

_MAGIC_US = 0xA1B2C3D4
_MAGIC_NS = 0xA1B23C4D
_GLOBAL = struct.Struct("IHHiIII")   # magic, major, minor, thiszone, sigfigs, snaplen, network
_RECORD = struct.Struct("IIII")      # ts_sec, ts_frac, incl_len, orig_len
HEADER_SIZE = _GLOBAL.size

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10

_ETH_IPV4, _ETH_IPV6, _ETH_VLAN, _ETH_QINQ = 0x0800, 0x86DD, 0x8100, 0x88A8


class PcapError(ValueError):
    """The file is not a readable classic pcap file."""


@dataclass
class Frame:
    number: int          # 1-based position in the file (tshark's frame.number)
    ts_ns: int           # capture time, nanoseconds since the epoch
    data: bytes          # the captured bytes (may be shorter than orig_len)
    orig_len: int

    @property
    def ts(self) -> float:
        return self.ts_ns / 1e9


@dataclass
class Pcap:
    linktype: int
    snaplen: int
    nanosecond: bool
    frames: list[Frame] = field(default_factory=list)
    truncated_tail: int = 0   # bytes of an incomplete last record (0 = file ends cleanly)


def pcap_header(buf: bytes) -> tuple[str, bool, int, int]:
    """(struct byte order, nanosecond?, snaplen, link type) of a classic pcap file."""
    if len(buf) < _GLOBAL.size:
        raise PcapError(f"{len(buf)} bytes: too short for a pcap file header")
    for endian in ("<", ">"):
        magic = struct.unpack(endian + "I", buf[:4])[0]
        if magic in (_MAGIC_US, _MAGIC_NS):
            _m, major, _minor, _tz, _sf, snaplen, network = struct.unpack(
                endian + _GLOBAL.format, buf[:_GLOBAL.size])
            if major != 2:
                raise PcapError(f"pcap major version {major} (expected 2)")
            return endian, magic == _MAGIC_NS, snaplen, network & 0x0FFFFFFF
    if buf[:4] == b"\x0a\x0d\x0d\x0a":
        raise PcapError("this is a pcapng file; a classic pcap file was expected")
    raise PcapError(f"not a pcap file (magic {buf[:4].hex()})")


def iter_frames(buf: bytes, start: int = _GLOBAL.size, number: int = 1,
                endian: str = "<", nanosecond: bool = False) -> Iterator[tuple[int, Frame]]:
    """Records from byte offset `start`; yields (offset after the record, frame).  Stops at the
    first incomplete record (the caller sees where it stopped)."""
    rec = struct.Struct(endian + _RECORD.format)
    off, n = start, number
    scale = 1 if nanosecond else 1000
    while off + rec.size <= len(buf):
        sec, frac, incl, orig = rec.unpack_from(buf, off)
        end = off + rec.size + incl
        if end > len(buf):
            return
        yield end, Frame(n, sec * 1_000_000_000 + frac * scale, bytes(buf[off + rec.size:end]),
                         orig)
        off, n = end, n + 1


def parse_pcap(buf: bytes) -> Pcap:
    endian, ns, snaplen, linktype = pcap_header(buf)
    cap = Pcap(linktype, snaplen, ns)
    end = _GLOBAL.size
    for end, frame in iter_frames(buf, _GLOBAL.size, 1, endian, ns):
        cap.frames.append(frame)
    cap.truncated_tail = len(buf) - end
    return cap


def read_pcap(path: Path) -> Pcap:
    try:
        buf = Path(path).read_bytes()
    except OSError as e:
        raise PcapError(f"{path}: {e.strerror}") from None
    try:
        return parse_pcap(buf)
    except PcapError as e:
        raise PcapError(f"{path}: {e}") from None


def write_pcap(path_or_file: Path | BinaryIO, linktype: int, frames: Iterable[Frame],
               snaplen: int = 262144, nanosecond: bool = True) -> None:
    """Write a little-endian classic pcap file (tests use it to cut packets out of a capture)."""
    out = bytearray(struct.pack("<" + _GLOBAL.format, _MAGIC_NS if nanosecond else _MAGIC_US,
                                2, 4, 0, 0, snaplen, linktype))
    for f in frames:
        sec, rest = divmod(f.ts_ns, 1_000_000_000)
        frac = rest if nanosecond else rest // 1000
        out += struct.pack("<IIII", sec, frac, len(f.data), f.orig_len) + f.data
    if hasattr(path_or_file, "write"):
        path_or_file.write(out)
    else:
        Path(path_or_file).write_bytes(out)


# -- decoding ------------------------------------------------------------------------------------
@dataclass
class Segment:
    """One TCP segment as captured."""
    frame: int
    ts_ns: int
    src: str
    sport: int
    dst: str
    dport: int
    seq: int
    ack: int
    flags: int
    payload: bytes
    missing: int = 0     # payload bytes the capture did not keep (snaplen cut)

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)


def _network(linktype: int, d: bytes) -> tuple[Optional[int], int]:
    """(ethertype-ish protocol: 4 or 6, offset of the IP header) or (None, 0)."""
    if linktype == LINKTYPE_EN10MB:
        if len(d) < 14:
            return None, 0
        off, etype = 14, struct.unpack_from(">H", d, 12)[0]
        while etype in (_ETH_VLAN, _ETH_QINQ) and len(d) >= off + 4:
            etype = struct.unpack_from(">H", d, off + 2)[0]
            off += 4
    elif linktype == LINKTYPE_LINUX_SLL:
        if len(d) < 16:
            return None, 0
        off, etype = 16, struct.unpack_from(">H", d, 14)[0]
    elif linktype == LINKTYPE_LINUX_SLL2:
        if len(d) < 20:
            return None, 0
        off, etype = 20, struct.unpack_from(">H", d, 0)[0]
    elif linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        if not d:
            return None, 0
        return {4: 4, 6: 6}.get(d[0] >> 4), 0
    elif linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        if len(d) < 4:
            return None, 0
        fam = struct.unpack_from(">I" if linktype == LINKTYPE_LOOP else "=I", d, 0)[0]
        if fam not in (2, 10, 24, 28, 30):
            fam = struct.unpack_from("<I", d, 0)[0]
        return (4 if fam == 2 else 6 if fam in (10, 24, 28, 30) else None), 4
    else:
        return None, 0
    return {_ETH_IPV4: 4, _ETH_IPV6: 6}.get(etype), off


def decode_tcp(linktype: int, frame: Frame) -> Optional[Segment]:
    """The TCP segment in `frame`, or None when the frame carries no (whole-header) TCP."""
    d = frame.data
    ver, off = _network(linktype, d)
    if ver == 4:
        if len(d) < off + 20:
            return None
        ihl = (d[off] & 0x0F) * 4
        total = struct.unpack_from(">H", d, off + 2)[0]
        frag = struct.unpack_from(">H", d, off + 6)[0]
        if d[off + 9] != 6 or frag & 0x3FFF:   # not TCP, or a fragment
            return None
        src = str(ipaddress.IPv4Address(d[off + 12:off + 16]))
        dst = str(ipaddress.IPv4Address(d[off + 16:off + 20]))
        ip_end_claimed = off + total   # Ethernet may pad short frames
        tcp = off + ihl
    elif ver == 6:
        if len(d) < off + 40:
            return None
        plen = struct.unpack_from(">H", d, off + 4)[0]
        nxt = d[off + 6]
        src = str(ipaddress.IPv6Address(d[off + 8:off + 24]))
        dst = str(ipaddress.IPv6Address(d[off + 24:off + 40]))
        ip_end_claimed = off + 40 + plen
        tcp = off + 40
        while nxt in (0, 43, 60) and len(d) >= tcp + 8:   # hop-by-hop, routing, dest options
            nxt, tcp = d[tcp], tcp + (d[tcp + 1] + 1) * 8
        if nxt != 6:
            return None
    else:
        return None
    if len(d) < tcp + 20:
        return None
    sport, dport, seq, ack, doff_flags = struct.unpack_from(">HHIIH", d, tcp)
    hlen = (doff_flags >> 12) * 4
    flags = doff_flags & 0x3F
    if len(d) < tcp + hlen:
        return None
    # The IP length says how much payload was sent; the capture may hold less (snaplen).
    end = min(ip_end_claimed, len(d)) if ip_end_claimed >= tcp + hlen else len(d)
    payload = d[tcp + hlen:end]
    missing = max(0, ip_end_claimed - (tcp + hlen) - len(payload))
    return Segment(frame.number, frame.ts_ns, src, sport, dst, dport, seq, ack, flags, payload,
                   missing)
