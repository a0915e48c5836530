"""Every wire check of one scenario result against one demultiplexed capture.

Per evidence connection (result.evidence.connections[i]), check names are CONN.<name>:

  capture     the connection is in the capture: found by local_port, told apart from an
              earlier/later connection on the same port by its first client random (TLS) or by
              time (plain TCP)
  tcp         both directions are complete: no sequence gap (bytes missing from the capture)
              and no retransmission that carried different bytes
  randoms     the client randoms the engine reports are the ClientHellos on the wire
  keylog      each TLS handshake that completed has its secrets in the key log (TLS 1.2:
              CLIENT_RANDOM; TLS 1.3: the four handshake/traffic secrets).  The first handshake
              counts as completed when the engine reports a TLS session; a renegotiation when
              both sides' ChangeCipherSpec follow its ClientHello on the wire
  decrypt     tshark decrypted every application-data record
  sent, recv  the wire plaintext against the engine's stream digests (sent: all of it; recv:
              the first stream.recv.bytes bytes; extra wire bytes are `recv.extra`, information)
  cells.sent, cells.recv
              the concatenation of the engine's cells[] against the wire plaintext (sent
              exactly, recv a prefix; with overflow only the recorded prefix), with a diff
  tls-cert    the server's TLS leaf on the wire hashes to the engine's server_cert_sha256
  certs-cell  the target's CERTS cell: type-1 cert = TLS leaf, type-5 cert certifies its
              SHA-256 (information: a target that does not bind is the scenario's business,
              judged by its verdict, not a fault of the harness)
  auth[DIR#k] each AUTHENTICATE recomputed from the wire (hsprobe.wire.authcheck); an error
              when a field the engine claims it computed disagrees; deliberate or unclaimed
              mismatches are listed in auth[DIR#k].info
Per scenario:
  expect      each wire-sha256 digest the scenario declares matches that connection's plaintext
  batch       problems of the whole capture (tcpdump drops, no capture, tshark failed)

A check is {"name", "ok", "level", "detail"}; the scenario's wire status is "error" when any
check with level "error" is not ok.  Checks with level "info" never change the status.
"""

from __future__ import annotations

import calendar
import hashlib
import time
from dataclasses import dataclass, field
from typing import Optional

from hsprobe.wire.authcheck import EXPORTER_LABEL, check_authenticate
from hsprobe.wire.cells import AUTHENTICATE, CERTS, parse_pair
from hsprobe.wire.keylog import KeyLog, missing_secrets
from hsprobe.wire.tcp import TcpConn
from hsprobe.wire.tlsexport import (tls12_exporter, tls12_prf_hash, tls13_exporter,
                                    tls13_suite_hash)
from hsprobe.wire.torcerts import CertsBody, parse_certs_body, parse_ed_cert
from hsprobe.wire.transcript import (DIR_TEXT, diff_text, engine_bytes, first_difference,
                                     make_diff)
from hsprobe.wire.wireconn import CaptureView, Handshake, WireConn

__all__ = ["ScenarioCheck", "check_scenario", "DIR_TEXT"]



@dataclass
class ScenarioCheck:
    checks: list[dict] = field(default_factory=list)
    connections: list[dict] = field(default_factory=list)
    tcp: list[TcpConn] = field(default_factory=list)        # matched, for the pcapng
    randoms: list[str] = field(default_factory=list)        # key log lines to embed
    diffs: list[dict] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)         # capture frames of the pcapng

    def add(self, name: str, ok: bool, detail: str, level: str = "error") -> None:
        self.checks.append({"name": name, "ok": bool(ok), "level": level, "detail": detail})

    @property
    def errors(self) -> list[dict]:
        return [c for c in self.checks if not c["ok"] and c["level"] == "error"]

    @property
    def status(self) -> str:
        return "error" if self.errors else "ok"


def _started_s(result: dict) -> Optional[float]:
    try:
        return float(calendar.timegm(time.strptime((result.get("started") or "")[:19],
                                                   "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return None


def engine_is_client(result: dict, conn: Optional[dict] = None) -> bool:
    """The engine opened the TCP connection unless the target connected to the engine's
    listening port (which is then what local_port names).  Results say so per connection
    (`accepted`): a responder may also open a side connection of its own, e.g. the one that
    makes a relay extend a circuit to it.  Older results without the flag: by role."""
    if conn is not None and "accepted" in conn:
        return not conn["accepted"]
    return result.get("role") != "responder"


def _match(view: CaptureView, conn: dict, result: dict, used: set[int]
           ) -> tuple[Optional[TcpConn], str]:
    port = conn.get("local_port")
    client = engine_is_client(result, conn)
    every = view.candidates(port, client)
    cands = [c for c in every if c.index not in used]
    if not cands:
        taken = len(every) - len(cands)
        where = (f"from port {port} to {view.host or '*'}:{view.port or '*'}" if client
                 else f"to the engine's listening port {port}")
        return None, (f"no TCP connection {where} in the capture"
                      + (f" ({taken} already belong to other results)" if taken else ""))
    randoms = conn.get("client_randoms") or []
    if randoms:
        by_rnd = [c for c in cands if view.handshakes(c)
                  and view.handshakes(c)[0].client_random == randoms[0]]
        if len(by_rnd) == 1:
            return by_rnd[0], f"stream {by_rnd[0].index} (port {port}, client random)"
        if len(cands) == 1 and not view.handshakes(cands[0]):
            return cands[0], f"stream {cands[0].index} (port {port}; no ClientHello on the wire)"
        if len(cands) == 1:
            return cands[0], f"stream {cands[0].index} (port {port}; its client random differs)"
        if not by_rnd:
            return None, (f"{len(cands)} connections from port {port}, none with client random "
                          f"{randoms[0][:16]}…")
        cands = by_rnd
    if len(cands) == 1:
        return cands[0], f"stream {cands[0].index} (port {port})"
    start = _started_s(result)
    total = (result.get("timings_ms") or {}).get("total", 0) / 1000
    if start is not None:
        near = [c for c in cands if start - 1.5 <= c.first_ns / 1e9 <= start + total + 1.5]
        if near:
            return near[0], (f"stream {near[0].index} (port {port}, by time: {len(cands)} "
                             "connections used this port)")
    return cands[0], f"stream {cands[0].index} (port {port}, first of {len(cands)}: ambiguous)"


def _keylog_checks(sc: ScenarioCheck, name: str, conn: dict, wc: WireConn,
                   keylog: Optional[KeyLog], keylog_error: Optional[str]) -> None:
    claimed = [r.lower() for r in conn.get("client_randoms") or []]
    wire = wc.client_randoms
    if claimed != wire:
        missing = [r for r in claimed if r not in wire]
        extra = [r for r in wire if r not in claimed]
        what = []
        if missing:
            what.append("claimed but not on the wire: "
                        + ", ".join(r[:16] + "…" for r in missing))
        if extra:
            what.append(f"on the wire but not claimed: {', '.join(r[:16] + '…' for r in extra)}")
        if not what:
            what.append("same randoms in another order")
        sc.add(f"{name}.randoms", False, "client randoms differ: " + "; ".join(what))
    else:
        sc.add(f"{name}.randoms", True, f"{len(wire)} ClientHello(s), randoms as claimed")
    tls = conn.get("tls")
    need: list[tuple[str, str]] = []
    for i, r in enumerate(claimed):
        hs = wc.handshakes[wire.index(r)] if r in wire else None
        if i == 0 and tls:
            need.append((r, tls.get("version", "TLS1.2")))
        elif i > 0 and hs is not None and hs.server_ccs and hs.client_ccs:
            need.append((r, hs.version or "TLS1.2"))
    if not need:
        return
    if keylog is None:
        sc.add(f"{name}.keylog", False, f"key log unusable: {keylog_error}")
        return
    problems = []
    for r, ver in need:
        miss = missing_secrets(keylog, r, ver)
        if miss:
            problems.append(f"{ver} handshake {r[:16]}… lacks {', '.join(miss)}")
    sc.add(f"{name}.keylog", not problems,
           "; ".join(problems) if problems else
           f"secrets present for {len(need)} completed handshake(s)")


def _stream_checks(sc: ScenarioCheck, name: str, conn: dict, wc: WireConn, out: dict,
                   renumber: dict[int, int]) -> None:
    cells = conn.get("cells") or []
    overflow = bool(conn.get("overflow"))
    stream = conn.get("stream") or {}
    for d in ("sent", "recv"):
        wire = wc.plain[d].data
        eng, spans = engine_bytes(cells, d)
        claim = stream.get(d)
        def frame_at(offset: int, _p=wc.plain[d]) -> Optional[int]:
            n = _p.frame_at(offset)
            return renumber.get(n) if n is not None else None
        if claim is None:
            sc.add(f"{name}.{d}", False, f"{DIR_TEXT[d]}: the engine reports no stream digest "
                                         f"({len(wire)} bytes on the wire)")
        else:
            n, digest = claim["bytes"], claim["sha256"]
            head = wire[:n] if d == "recv" else wire
            head_sha = hashlib.sha256(head).hexdigest()
            if len(head) == n and head_sha == digest:
                sc.add(f"{name}.{d}", True, f"{DIR_TEXT[d]}: {n} bytes, SHA-256 as claimed")
                if len(wire) > n:
                    sc.add(f"{name}.{d}.extra", True,
                           f"{len(wire) - n} more bytes on the wire after the {n} the engine "
                           "read (the target kept sending)", level="info")
            else:
                why = (f"{DIR_TEXT[d]}: the engine's stream is {n} bytes, sha256 {digest[:16]}…; "
                       f"the wire has {len(wire)} bytes"
                       + (f", its first {n} hash to {head_sha[:16]}…" if d == "recv"
                          and len(wire) > n else f", sha256 {head_sha[:16]}…"))
                if len(wire) < n:
                    why += f" — {n - len(wire)} bytes fewer on the wire than the engine claims"
                if not overflow:
                    agree = first_difference(eng, head if d == "sent" else head[:len(eng)])
                    why += ("; the engine's cells agree with the wire, only its stream digest "
                            "does not" if agree is None else
                            f"; the engine's cells first differ from the wire at offset {agree}")
                sc.add(f"{name}.{d}", False, why)
        # cells[] against the wire
        if not eng and not cells:
            continue
        exact = d == "sent" and not overflow
        target = wire if exact else wire[:len(eng)]
        off = first_difference(eng, target)
        if off is None:
            sc.add(f"{name}.cells.{d}", True,
                   f"{DIR_TEXT[d]}: the engine's {sum(1 for c in cells if c['dir'] == d)} "
                   f"records ({len(eng)} bytes) are {'exactly' if exact else 'a prefix of'} "
                   f"the wire{' (overflow: recording stopped early)' if overflow else ''}")
        else:
            diff = make_diff("cells", d, eng, wire, off, spans, frame_at(off))
            out.setdefault("diffs", []).append(diff)
            sc.diffs.append(diff)
            text = diff_text(diff)
            if d == "sent" and off == len(wire) and eng.startswith(wire) and claim \
                    and claim["bytes"] == len(wire):
                unsent = [f"#{i} {r.get('cmd')}" for start, i, r in spans if start >= off]
                text = (f"{DIR_TEXT[d]}: the engine's cells[] list {len(eng) - len(wire)} bytes "
                        f"after the {len(wire)} that crossed the wire ({', '.join(unsent)}); "
                        "its own stream digest agrees with the wire: they were recorded as sent "
                        "although their write failed\n" + text)
            sc.add(f"{name}.cells.{d}", False, text)


def _tcp_checks(sc: ScenarioCheck, name: str, wc: WireConn) -> None:
    problems = []
    for d in ("sent", "recv"):
        flow = wc.flow(d)
        for g in flow.gaps:
            problems.append(f"{DIR_TEXT[d]}: gap at TCP payload offset {g.offset}, {g.size} bytes "
                            f"missing — {g.why}")
        for off in flow.conflicts:
            problems.append(f"{DIR_TEXT[d]}: a retransmission at TCP payload offset {off} "
                            "carries different bytes")
    sc.add(f"{name}.tcp", not problems, "; ".join(problems) if problems else
           f"no gaps ({len(wc.tcp.c2s.data)} / {len(wc.tcp.s2c.data)} TCP payload bytes "
           "sent / received)")


def _certs_binding(sc: ScenarioCheck, name: str, conn: dict, wc: WireConn, parsed_recv) -> None:
    leaf = wc.server_cert
    claim = conn.get("server_cert_sha256")
    if wc.tls:
        if claim:
            if leaf is None:
                sc.add(f"{name}.tls-cert", False, "the engine claims a server certificate "
                       f"(sha256 {claim[:16]}…) but none is in the captured handshake")
            else:
                got = hashlib.sha256(leaf).hexdigest()
                sc.add(f"{name}.tls-cert", got == claim,
                       f"server TLS leaf on the wire: sha256 {got[:16]}…"
                       + ("" if got == claim else f", engine claims {claim[:16]}…"))
        elif conn.get("tls") and wc.engine_is_client:
            sc.add(f"{name}.tls-cert", False, "the TLS handshake completed but the engine "
                                              "reports no server_cert_sha256")
        elif conn.get("tls"):   # the engine was the TLS server: the certificate is its own
            sc.add(f"{name}.tls-cert", False, "the engine (TLS server) does not report the "
                   "certificate it presented (no server_cert_sha256); the wire's is sha256 "
                   + (hashlib.sha256(leaf).hexdigest()[:16] + "…" if leaf else "unknown"),
                   level="info")
    if parsed_recv is None:      # the target is the TLS client: its CERTS binds no TLS cert
        return
    cell = next((c for c in parsed_recv.cells if c.cmd == CERTS), None)
    if cell is None:
        return
    body = parse_certs_body(cell.body)
    if not isinstance(body, CertsBody):
        sc.add(f"{name}.certs-cell", False, f"the target's CERTS cell at offset {cell.offset} "
               f"does not parse: {body.reason}", level="info")
        return
    if leaf is None:
        sc.add(f"{name}.certs-cell", True, f"CERTS with types {[t for t, _ in body.certs]}; no "
               "TLS leaf on the wire to bind it to", level="info")
        return
    notes, bad = [], []
    t1 = body.first(1)
    if t1 is None:
        notes.append("no type-1 cert")
    elif t1 == leaf:
        notes.append("type-1 cert = TLS leaf")
    else:
        bad.append(f"type-1 cert ({len(t1)} bytes) differs from the TLS leaf ({len(leaf)} bytes)")
    t5 = body.first(5)
    if t5 is None:
        notes.append("no type-5 cert")
    else:
        ed = parse_ed_cert(t5)
        if hasattr(ed, "reason"):
            bad.append(f"type-5 cert does not parse: {ed.reason}")
        elif ed.certified_key != hashlib.sha256(leaf).digest() or ed.key_type != 3:
            bad.append(f"type-5 cert certifies {ed.certified_key.hex()[:16]}… (key type "
                       f"{ed.key_type}), not SHA-256 of the TLS leaf "
                       f"{hashlib.sha256(leaf).hexdigest()[:16]}…")
        else:
            notes.append("type-5 cert certifies SHA-256(TLS leaf)")
    sc.add(f"{name}.certs-cell", not bad, "; ".join(bad + notes), level="info")


def _exporter_for(wc: WireConn, keylog: Optional[KeyLog], before_frame: Optional[int]):
    """context -> TLSSECRETS bytes, or why it cannot be derived from the key log."""
    hss = [h for h in wc.handshakes if h.server_random
           and (before_frame is None or (h.server_frame or 0) <= before_frame)]
    done = [h for h in hss if h is hss[0] or (h.server_ccs and h.client_ccs)]

    def export(context: bytes):
        if not done:
            return "no completed TLS handshake on the wire"
        hs: Handshake = done[-1]
        if keylog is None:
            return "no key log"
        if hs.suite is None:
            return "cipher suite unknown"
        if hs.version == "TLS1.3":
            secret = keylog.secret(hs.client_random, "EXPORTER_SECRET")
            if secret is None:
                return "the key log has no EXPORTER_SECRET for this TLS 1.3 session"
            return tls13_exporter(secret, EXPORTER_LABEL, context, 32,
                                  tls13_suite_hash(hs.suite))
        master = keylog.secret(hs.client_random, "CLIENT_RANDOM")
        if master is None:
            return "the key log has no CLIENT_RANDOM (master secret) for this session"
        return tls12_exporter(master, bytes.fromhex(hs.client_random),
                              bytes.fromhex(hs.server_random), EXPORTER_LABEL, context, 32,
                              tls12_prf_hash(hs.suite))
    return export


def _auth_checks(sc: ScenarioCheck, name: str, conn: dict, wc: WireConn, parsed: dict,
                 keylog: Optional[KeyLog], out: dict) -> None:
    records = {d: [c for c in conn.get("cells") or [] if c.get("dir") == d
                   and c.get("cmd") == "AUTHENTICATE"] for d in ("sent", "recv")}
    for d, other in (("sent", "recv"), ("recv", "sent")):
        auths = [c for c in parsed[d].cells if c.cmd == AUTHENTICATE]
        for k, cell in enumerate(auths):
            rec = records[d][k] if k < len(records[d]) else None
            claim = rec.get("auth") if rec else None
            frame = wc.plain[d].frame_at(cell.offset)
            res = check_authenticate(d, cell, wc.plain[d].data, parsed[d], wc.plain[other].data,
                                     parsed[other], wc.server_cert,
                                     _exporter_for(wc, keylog, frame), claim)
            out.setdefault("authenticate", []).append(res.as_dict())
            label = f"{name}.auth[{d}#{k}]"
            claimed = bool(claim and not claim.get("mutated"))
            if res.errors:
                sc.add(label, False, "; ".join(res.errors))
            else:
                what = "the engine's claim agrees with the wire" if claimed else \
                    "no claim from the engine" if not claim else "mutated by the scenario"
                matched = [n for n, f in res.fields.items() if f.get("match") is True]
                sc.add(label, True, f"AUTHENTICATE type {res.auth_type} at offset "
                       f"{cell.offset}: {what}; fields equal to their wire-derived value: "
                       f"{', '.join(matched) or 'none'}",
                       level="error" if claimed else "info")
            if res.infos:   # deliberate or unclaimed mismatches: shown, never an error
                sc.add(f"{label}.info", False, "; ".join(res.infos), level="info")


def check_scenario(result: dict, view: Optional[CaptureView], keylog: Optional[KeyLog],
                   keylog_error: Optional[str], batch_errors: list[str],
                   used: set[int]) -> ScenarioCheck:
    sc = ScenarioCheck()
    for e in batch_errors:
        sc.add("batch", False, e)
    conns = (result.get("evidence") or {}).get("connections") or []
    plain_by_name: dict[str, dict[str, bytes]] = {}
    matched: list[tuple[dict, dict, TcpConn]] = []
    for conn in conns:
        name = conn.get("name", "?")
        out: dict = {"name": name, "stream": None, "local_port": conn.get("local_port"),
                     "bytes": None, "cells": [], "parse": []}
        sc.connections.append(out)
        port = conn.get("local_port")
        if port is None:
            if conn.get("cells") or conn.get("tls") or (conn.get("stream") or {}).get("sent"):
                sc.add(f"{name}.capture", False, "the engine reports traffic on this connection "
                                                 "but no local_port to find it by")
            else:
                sc.add(f"{name}.capture", True, "the engine never opened this TCP connection "
                       "(no local_port): nothing to find", level="info")
            continue
        if view is None:
            sc.add(f"{name}.capture", False, "no usable capture")
            continue
        tcp, how = _match(view, conn, result, used)
        if tcp is None:
            sc.add(f"{name}.capture", False, how)
            continue
        used.add(tcp.index)
        sc.tcp.append(tcp)
        sc.add(f"{name}.capture", True, f"found: {how}")
        matched.append((conn, out, tcp))
    # frame numbers as they will be in this scenario's pcapng (its connections only)
    sc.frames = sorted({n for c in sc.tcp for n in c.frames})
    pcapng_frame = {n: i + 1 for i, n in enumerate(sc.frames)}
    for conn, out, tcp in matched:
        name = conn.get("name", "?")
        is_tls = bool(conn.get("client_randoms"))
        clear = (conn.get("stream") or {}).get("clear")
        wc = view.wire_conn(tcp, is_tls, engine_is_client(result, conn), clear)
        if clear:
            sc.add(f"{name}.starttls", not wc.clear_problems,
                   "; ".join(wc.clear_problems) or f"STARTTLS: {clear.get('sent', 0)} bytes sent "
                   f"and {clear.get('recv', 0)} received in clear, then TLS records both ways")
        out["stream"] = tcp.index
        out["bytes"] = {d: len(wc.plain[d].data) for d in ("sent", "recv")}
        sc.randoms.extend(wc.client_randoms)
        sc.randoms.extend(r.lower() for r in conn.get("client_randoms") or [])
        _tcp_checks(sc, name, wc)
        if is_tls:
            _keylog_checks(sc, name, conn, wc, keylog, keylog_error)
            und = {d: n for d, n in wc.undecrypted.items() if n}
            if und:
                sc.add(f"{name}.decrypt", False, "tshark could not decrypt " + ", ".join(
                    f"{n} application-data record(s) {DIR_TEXT[d]}" for d, n in und.items()))
        elif wc.handshakes:
            sc.add(f"{name}.plain", True, "the engine reports no TLS here, yet a ClientHello is on"
                   " the wire; its TCP payload is compared as plaintext", level="info")
        _stream_checks(sc, name, conn, wc, out, pcapng_frame)
        sent, recv = wc.plain["sent"].data, wc.plain["recv"].data
        plain_by_name[name] = {"sent": sent, "recv": recv}
        ps, pr = parse_pair(sent, recv)
        parsed = {"sent": ps, "recv": pr}
        out["cells"] = sorted([c.summary("sent") for c in ps.cells]
                              + [c.summary("recv") for c in pr.cells],
                              key=lambda c: (wc.plain[c["dir"]].frame_at(c["offset"]) or 0,
                                             c["dir"] == "sent", c["offset"]))
        out["parse"] = [f"{DIR_TEXT[d]}: {p}" for d in ("sent", "recv")
                        for p in parsed[d].problems()]
        _certs_binding(sc, name, conn, wc, pr if wc.engine_is_client else None)
        _auth_checks(sc, name, conn, wc, parsed, keylog, out)
    for exp in result.get("wire_expect") or []:
        label = f"expect.{exp['conn']}.{exp['dir']}"
        got = plain_by_name.get(exp["conn"])
        if got is None:
            sc.add(label, False, f"wire-sha256 (scenario line {exp['line']}): connection "
                                 f"{exp['conn']!r} is not on the wire")
            continue
        h = hashlib.sha256(got[exp["dir"]]).hexdigest()
        sc.add(label, h == exp["sha256"],
               f"wire-sha256 (scenario line {exp['line']}) {exp['conn']}.{exp['dir']}: declared "
               f"{exp['sha256'][:16]}…, wire {h[:16]}… ({len(got[exp['dir']])} bytes)")
    return sc
