"""Tor cells framed out of one direction's plaintext, as a receiver would frame them.

Written from the spec (tor-link.md §1.1–1.5), independently of the engine:

* Each direction starts with 2-byte circuit ids and the "not yet negotiated" rule for which
  commands are variable-length (7 and ≥ 128).  The direction's first VERSIONS cell always has a
  2-byte circ id (so does anything before it: tor accepts VPADDING/AUTHORIZE first).
* After that first VERSIONS the direction is framed at the negotiated link: the highest version
  in both sides' first VERSIONS.  If the other side's VERSIONS never appears (or the two share
  no version) the sender's own highest version is used.  Width: 4 bytes if link ≥ 4, else 2.
  Variable-length commands: link 1 none, link 2 only 7, link ≥ 3 (and unnegotiated) 7 or ≥ 128.
* Fixed cells have a 509-byte body; var cells `circ · cmd · u16 length · body`.
* Bytes left at the end that do not make a whole cell are a *partial* cell (the sender stopped
  or the connection closed mid-cell): reported with how many bytes there are and are needed.
* Data that is not a cell stream stops the parse and is reported as *garbage*: a first
  VERSIONS with an odd body (no link can be derived from it, tor closes), or, before any
  VERSIONS, a fixed cell whose command is unassigned (13–127) — that is what text, a TLS record
  or random bytes look like, and tor closes on it too.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Optional

__all__ = ["CELL_BODY_LEN", "COMMANDS", "WireCell", "Partial", "Garbage", "ParsedDirection",
           "command_name", "is_var", "first_versions", "parse_direction", "parse_pair"]

CELL_BODY_LEN = 509
COMMANDS = {0: "PADDING", 1: "CREATE", 2: "CREATED", 3: "RELAY", 4: "DESTROY", 5: "CREATE_FAST",
            6: "CREATED_FAST", 7: "VERSIONS", 8: "NETINFO", 9: "RELAY_EARLY", 10: "CREATE2",
            11: "CREATED2", 12: "PADDING_NEGOTIATE", 128: "VPADDING", 129: "CERTS",
            130: "AUTH_CHALLENGE", 131: "AUTHENTICATE", 132: "AUTHORIZE"}
VERSIONS, VPADDING, CERTS, AUTH_CHALLENGE, AUTHENTICATE = 7, 128, 129, 130, 131


def command_name(cmd: int) -> str:
    return COMMANDS.get(cmd, f"UNKNOWN({cmd})")


def is_var(cmd: int, link: int) -> bool:
    """link 0 = not negotiated yet (tor's link_proto 0)."""
    if link == 1:
        return False
    if link == 2:
        return cmd == VERSIONS
    return cmd == VERSIONS or cmd >= 128


def width_for(link: int) -> int:
    return 4 if link >= 4 else 2


@dataclass
class WireCell:
    offset: int          # of the cell's first byte in the direction's plaintext
    width: int
    circ_id: int
    cmd: int
    var: bool
    body: bytes
    size: int            # bytes on the wire (header + body)

    @property
    def name(self) -> str:
        return command_name(self.cmd)

    @property
    def end(self) -> int:
        return self.offset + self.size

    def summary(self, direction: str) -> dict:
        return {"dir": direction, "cmd": self.name, "circ_id": self.circ_id, "width": self.width,
                "len": len(self.body), "offset": self.offset}


@dataclass
class Partial:
    offset: int
    have: int
    need: Optional[int]   # None when even the header is incomplete

    def text(self) -> str:
        need = f" of {self.need}" if self.need is not None else " (header incomplete)"
        return f"partial cell at offset {self.offset}: {self.have} bytes{need}"


@dataclass
class Garbage:
    offset: int
    size: int
    reason: str

    def text(self) -> str:
        return f"not a cell stream from offset {self.offset} ({self.size} bytes): {self.reason}"


@dataclass
class ParsedDirection:
    cells: list[WireCell] = field(default_factory=list)
    partial: Optional[Partial] = None
    garbage: Optional[Garbage] = None
    link: Optional[int] = None           # link the direction was framed at after its VERSIONS
    versions: Optional[list[int]] = None  # its first VERSIONS list

    def first(self, cmd: int) -> Optional[WireCell]:
        return next((c for c in self.cells if c.cmd == cmd), None)

    def problems(self) -> list[str]:
        return [p.text() for p in (self.partial, self.garbage) if p is not None]


def _versions_list(body: bytes) -> list[int]:
    return [struct.unpack_from(">H", body, i)[0] for i in range(0, len(body) - 1, 2)]


def _frame(data: bytes, link_after: Optional[int],
           stop_after_versions: bool = False) -> ParsedDirection:
    """Frame `data`; link_after = link to use after the first VERSIONS, or None meaning
    'derive it from this direction's own VERSIONS'."""
    out = ParsedDirection()
    off, link, seen_versions = 0, 0, False
    n = len(data)
    while off < n:
        width = width_for(link) if seen_versions else 2
        if n - off < width + 1:
            out.partial = Partial(off, n - off, None)
            break
        circ = int.from_bytes(data[off:off + width], "big")
        cmd = data[off + width]
        var = is_var(cmd, link)
        if var:
            if n - off < width + 3:
                out.partial = Partial(off, n - off, None)
                break
            blen = struct.unpack_from(">H", data, off + width + 1)[0]
            hdr = width + 3
        else:
            if not seen_versions and 13 <= cmd <= 127:
                out.garbage = Garbage(off, n - off, f"unassigned fixed command {cmd} before any "
                                                    "VERSIONS")
                break
            blen, hdr = CELL_BODY_LEN, width + 1
        size = hdr + blen
        if n - off < size:
            out.partial = Partial(off, n - off, size)
            break
        cell = WireCell(off, width, circ, cmd, var, bytes(data[off + hdr:off + size]), size)
        out.cells.append(cell)
        off += size
        if cmd == VERSIONS and not seen_versions:
            seen_versions = True
            out.versions = _versions_list(cell.body)
            if len(cell.body) % 2:
                if off < n:
                    out.garbage = Garbage(off, n - off, "the first VERSIONS body has odd length "
                                                        f"{len(cell.body)}: no link follows")
                break
            if stop_after_versions:
                break
            link = link_after if link_after is not None else max(out.versions, default=0)
            out.link = link
    return out


def first_versions(data: bytes) -> Optional[list[int]]:
    """The version list of the direction's first VERSIONS cell (framed at width 2), or None."""
    return _frame(data, None, stop_after_versions=True).versions


def negotiated(own: Optional[list[int]], other: Optional[list[int]]) -> Optional[int]:
    if own is None:
        return None
    common = set(own) & set(other or ())
    if other is not None and common:
        return max(common)
    return max(own, default=0)


def parse_direction(data: bytes, other_versions: Optional[list[int]]) -> ParsedDirection:
    """Frame one direction; other_versions = the other side's first VERSIONS list (or None)."""
    own = first_versions(data)
    return _frame(data, negotiated(own, other_versions) if own is not None else None)


def parse_pair(sent: bytes, recv: bytes) -> tuple[ParsedDirection, ParsedDirection]:
    vs, vr = first_versions(sent), first_versions(recv)
    return parse_direction(sent, vr), parse_direction(recv, vs)
