"""pcapng files with the TLS key log embedded, so Wireshark/tshark decrypt them by themselves.

Layout written (little-endian, pcapng 1.0):

    Section Header Block · Interface Description Block (nanosecond if_tsresol)
    · Decryption Secrets Block (secrets type 0x544c534b "TLSK": NSS key-log lines)
    · Enhanced Packet Block per frame

This is what `editcap --inject-secrets tls,KEYS in.pcap out.pcapng` produces; writing it here
avoids one process per scenario.  `read_pcapng` reads back what we write (tests).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from hsprobe.wire.pcap import Frame

__all__ = ["SECRETS_TLS_KEYLOG", "write_pcapng", "pcapng_bytes", "read_pcapng", "PcapngContents"]

_SHB, _IDB, _EPB, _DSB = 0x0A0D0D0A, 0x00000001, 0x00000006, 0x0000000A
_BOM = 0x1A2B3C4D
SECRETS_TLS_KEYLOG = 0x544C534B
_OPT_END, _IF_TSRESOL = 0, 9


def _pad(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def _block(btype: int, body: bytes) -> bytes:
    body = _pad(body)
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + _pad(value)


def pcapng_bytes(linktype: int, frames: Iterable[Frame], keylog_lines: Iterable[str] = (),
                 snaplen: int = 262144) -> bytes:
    out = bytearray()
    out += _block(_SHB, struct.pack("<IHHq", _BOM, 1, 0, -1))
    opts = _option(_IF_TSRESOL, bytes([9])) + _option(_OPT_END, b"")
    out += _block(_IDB, struct.pack("<HHI", linktype, 0, snaplen) + opts)
    lines = list(keylog_lines)
    if lines:
        secrets = ("\n".join(lines) + "\n").encode("ascii")
        out += _block(_DSB, struct.pack("<II", SECRETS_TLS_KEYLOG, len(secrets)) + secrets)
    for f in frames:
        out += _block(_EPB, struct.pack("<IIIII", 0, f.ts_ns >> 32, f.ts_ns & 0xFFFFFFFF,
                                        len(f.data), f.orig_len) + f.data)
    return bytes(out)


def write_pcapng(path: Path, linktype: int, frames: Iterable[Frame],
                 keylog_lines: Iterable[str] = ()) -> int:
    data = pcapng_bytes(linktype, frames, keylog_lines)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return len(data)


@dataclass
class PcapngContents:
    linktypes: list[int] = field(default_factory=list)
    secrets: list[tuple[int, bytes]] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)


def read_pcapng(path: Path) -> PcapngContents:
    """Read the blocks this module writes (little-endian, one section); other blocks skipped."""
    buf = Path(path).read_bytes()
    out = PcapngContents()
    off, n = 0, 1
    while off + 12 <= len(buf):
        btype, total = struct.unpack_from("<II", buf, off)
        if total < 12 or off + total > len(buf):
            raise ValueError(f"block at {off}: bad length {total}")
        body = buf[off + 8:off + total - 4]
        if struct.unpack_from("<I", buf, off + total - 4)[0] != total:
            raise ValueError(f"block at {off}: trailing length differs")
        if btype == _SHB and struct.unpack_from("<I", body, 0)[0] != _BOM:
            raise ValueError("not a little-endian section")
        if btype == _IDB:
            out.linktypes.append(struct.unpack_from("<H", body, 0)[0])
        elif btype == _DSB:
            stype, slen = struct.unpack_from("<II", body, 0)
            out.secrets.append((stype, body[8:8 + slen]))
        elif btype == _EPB:
            _if, hi, lo, cap, orig = struct.unpack_from("<IIIII", body, 0)
            out.frames.append(Frame(n, (hi << 32) | lo, body[20:20 + cap], orig))
            n += 1
        off += total
    return out
