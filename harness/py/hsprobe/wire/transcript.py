"""The engine's transcript (cells[] and the stream digests) held against the wire plaintext,
and the diff that says where they part.

A diff names the direction, the first differing offset, the engine cell that holds that offset
(index, command, offset inside the cell), and 16 bytes of context on each side of it from both
the engine's bytes and the wire's.
"""

from __future__ import annotations

from typing import Optional

__all__ = ["engine_bytes", "first_difference", "make_diff", "diff_text", "CONTEXT", "DIR_TEXT"]

CONTEXT = 16
DIR_TEXT = {"sent": "sent (engine → target)", "recv": "recv (target → engine)"}


def engine_bytes(cells: list[dict], direction: str) -> tuple[bytes, list[tuple[int, int, dict]]]:
    """Concatenated hex of the engine's records in one direction, and (start, index, record)
    per record (index into cells[])."""
    out, spans = bytearray(), []
    for i, c in enumerate(cells):
        if c.get("dir") != direction:
            continue
        spans.append((len(out), i, c))
        out += bytes.fromhex(c.get("hex", ""))
    return bytes(out), spans


def first_difference(a: bytes, b: bytes) -> Optional[int]:
    """First offset where a and b differ, counting a length difference; None if equal."""
    n = min(len(a), len(b))
    if a[:n] != b[:n]:
        lo, hi = 0, n    # binary search on prefix equality (cheap for long streams)
        while hi - lo > 64:
            mid = (lo + hi) // 2
            if a[lo:mid] == b[lo:mid]:
                lo = mid
            else:
                hi = mid
        for i in range(lo, hi):
            if a[i] != b[i]:
                return i
    return None if len(a) == len(b) else n


def make_diff(what: str, direction: str, engine: bytes, wire: bytes, offset: int,
              spans: Optional[list[tuple[int, int, dict]]] = None,
              wire_frame: Optional[int] = None) -> dict:
    lo, hi = max(0, offset - CONTEXT), offset + CONTEXT + 1
    cell = None
    for start, idx, rec in spans or ():
        size = len(rec.get("hex", "")) // 2
        if start <= offset < start + size:
            cell = {"index": idx, "cmd": rec.get("cmd"), "offset_in_cell": offset - start,
                    "t_ms": rec.get("t_ms")}
            break
    return {"what": what, "dir": direction, "offset": offset, "context_start": lo,
            "engine": engine[lo:hi].hex(), "wire": wire[lo:hi].hex(),
            "engine_len": len(engine), "wire_len": len(wire), "engine_cell": cell,
            "wire_frame": wire_frame}


def diff_text(d: dict) -> str:
    cell = d.get("engine_cell")
    where = (f"engine cell #{cell['index']} {cell['cmd']} byte {cell['offset_in_cell']}"
             if cell else "past the engine's last cell" if d["offset"] >= d["engine_len"]
             else "no engine cell")
    frame = f", frame {d['wire_frame']} of the scenario's pcapng" if d.get("wire_frame") else ""
    return (f"{DIR_TEXT[d['dir']]}: first difference at offset {d['offset']} ({where}{frame}); "
            f"engine {d['engine_len']} bytes, wire {d['wire_len']} bytes\n"
            f"      engine[{d['context_start']}:] {_spaced(d['engine'])}\n"
            f"      wire  [{d['context_start']}:] {_spaced(d['wire'])}")


def _spaced(h: str) -> str:
    return " ".join(h[i:i + 2] for i in range(0, len(h), 2)) or "(nothing)"
