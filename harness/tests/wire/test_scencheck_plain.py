"""check_scenario on synthetic plain-TCP captures (no relay, no tshark): connections found by
local port and, when a port was reused, by time; transcripts byte for byte with diffs; digests;
wire-sha256; gaps; connections the engine never opened."""

import hashlib
import time

from hsprobe.wire.pcap import LINKTYPE_EN10MB, Pcap, Frame
from hsprobe.wire.scencheck import check_scenario
from hsprobe.wire.wireconn import build_view

from wirebuild import Conversation

T0 = 1_790_000_000                       # seconds; the two connections are 10 s apart
REQ, RESP = b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.0 400 Bad Request\r\n\r\n"


def capture(*convs):
    frames = []
    for c in convs:
        frames += c.frames
    frames.sort(key=lambda f: f.ts_ns)
    return Pcap(LINKTYPE_EN10MB, 262144, True,
                [Frame(i, f.ts_ns, f.data, f.orig_len) for i, f in enumerate(frames, 1)])


def conv(req, resp, start_s, cisn):
    c = Conversation(cport=40000, sport=9001, cisn=cisn, t0=start_s * 10**9).handshake()
    c.send("c", req)
    c.send("s", resp)
    c.fin("s")
    c.fin("c")
    return c


def result(sid, req, resp, start_s, **conn_extra):
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start_s))
    conn = {"name": "main", "local_port": 40000, "client_randoms": [], "tls": None,
            "close": None, "overflow": False,
            "cells": [{"dir": "sent", "cmd": "raw", "len": len(req), "t_ms": 0.1, "hex": req.hex()},
                      {"dir": "recv", "cmd": "raw", "len": len(resp), "t_ms": 0.2,
                       "hex": resp.hex()}],
            "stream": {"sent": {"bytes": len(req), "sha256": hashlib.sha256(req).hexdigest()},
                       "recv": {"bytes": len(resp), "sha256": hashlib.sha256(resp).hexdigest()}}}
    conn.update(conn_extra)
    return {"id": sid, "started": started, "timings_ms": {"total": 5.0},
            "evidence": {"connections": [conn]}}


def check(results, *convs, batch_errors=()):
    view = build_view(capture(*convs), 9001, "127.0.0.1", {})
    used: set[int] = set()
    return [check_scenario(r, view, None, "no key log", list(batch_errors), used)
            for r in results]


def failed(sc):
    return {c["name"]: c["detail"] for c in sc.errors}


def test_a_reused_port_is_told_apart_by_time():
    a, b = conv(REQ, RESP, T0, 1000), conv(b"HEAD /\r\n\r\n", RESP[:9], T0 + 10, 777777)
    ra, rb = result("a", REQ, RESP, T0), result("b", b"HEAD /\r\n\r\n", RESP[:9], T0 + 10)
    sb, sa = check([rb, ra], a, b)          # the later result first: time must decide
    assert (sa.status, sb.status) == ("ok", "ok"), (failed(sa), failed(sb))
    assert [c["stream"] for c in sa.connections] == [0]
    assert [c["stream"] for c in sb.connections] == [1]
    assert sa.connections[0]["bytes"] == {"sent": len(REQ), "recv": len(RESP)}


def test_one_changed_recorded_byte_gives_the_offset_and_context():
    bad = REQ[:4] + b"X" + REQ[5:]
    r = result("a", REQ, RESP, T0)
    r["evidence"]["connections"][0]["cells"][0]["hex"] = bad.hex()
    [sc] = check([r], conv(REQ, RESP, T0, 1000))
    assert list(failed(sc)) == ["main.cells.sent"]
    [d] = sc.diffs
    assert (d["dir"], d["offset"], d["context_start"]) == ("sent", 4, 0)
    assert bytes.fromhex(d["engine"]) == bad[:21] and bytes.fromhex(d["wire"]) == REQ[:21]
    assert d["engine_cell"] == {"index": 0, "cmd": "raw", "offset_in_cell": 4, "t_ms": 0.1}
    assert d["wire_frame"] == 4        # SYN, SYN-ACK, ACK, then the request


def test_recv_may_stop_early_but_not_differ():
    r = result("a", REQ, RESP[:10], T0)           # the engine read only 10 bytes
    [sc] = check([r], conv(REQ, RESP, T0, 1000))
    assert sc.status == "ok"
    [extra] = [c for c in sc.checks if c["name"] == "main.recv.extra"]
    assert extra["level"] == "info" and f"{len(RESP) - 10} more bytes" in extra["detail"]
    r = result("a", REQ, RESP, T0)
    r["evidence"]["connections"][0]["stream"]["recv"]["bytes"] = len(RESP) + 5
    [sc] = check([r], conv(REQ, RESP, T0, 1000))
    assert "5 bytes fewer on the wire than the engine claims" in failed(sc)["main.recv"]


def test_wire_expect_digest_checked_against_the_plaintext():
    r = result("a", REQ, RESP, T0)
    r["wire_expect"] = [{"conn": "main", "dir": "recv", "sha256": hashlib.sha256(RESP).hexdigest(),
                         "line": 9},
                        {"conn": "main", "dir": "sent", "sha256": "00" * 32, "line": 9},
                        {"conn": "other", "dir": "sent", "sha256": "00" * 32, "line": 10}]
    [sc] = check([r], conv(REQ, RESP, T0, 1000))
    assert set(failed(sc)) == {"expect.main.sent", "expect.other.sent"}
    assert "is not on the wire" in failed(sc)["expect.other.sent"]


def test_a_connection_missing_from_the_capture_is_an_error():
    r = result("a", REQ, RESP, T0, local_port=41111)
    [sc] = check([r], conv(REQ, RESP, T0, 1000))
    assert "no TCP connection from port 41111" in failed(sc)["main.capture"]


def test_a_connection_the_engine_never_opened_is_information():
    r = result("a", REQ, RESP, T0)
    r["evidence"]["connections"] = [{"name": "main", "stream": {}, "tls": None, "close": None,
                                     "cells": [], "overflow": False}]
    [sc] = check([r], conv(REQ, RESP, T0, 1000))
    assert sc.status == "ok" and sc.checks[0]["level"] == "info"
    r["evidence"]["connections"][0]["cells"] = result("x", REQ, RESP, T0)[
        "evidence"]["connections"][0]["cells"]
    [sc] = check([r], conv(REQ, RESP, T0, 1000))
    assert "no local_port" in failed(sc)["main.capture"]


def test_a_lost_segment_is_a_tcp_error_and_a_transcript_error():
    c = conv(REQ, RESP, T0, 1000)
    c.frames = [f for f in c.frames if f.number != 5]       # the response
    [sc] = check([result("a", REQ, RESP, T0)], c)
    f = failed(sc)
    assert f"gap at TCP payload offset 0, {len(RESP)} bytes missing" in f["main.tcp"]
    assert "main.recv" in f


def test_batch_problems_error_every_scenario():
    [sc] = check([result("a", REQ, RESP, T0)], conv(REQ, RESP, T0, 1000),
                 batch_errors=["capture: tcpdump reports 2 packets dropped by kernel"])
    assert list(failed(sc)) == ["batch"]


def test_a_cell_recorded_as_sent_that_never_crossed_is_an_error_that_says_so():
    """Seen against tor: the target closed, the engine's write of CREATE_FAST failed, its stream
    digest (successful writes only) matches the wire, but cells[] still lists the cell."""
    r = result("a", REQ, RESP, T0)
    r["evidence"]["connections"][0]["cells"].append(
        {"dir": "sent", "cmd": "CREATE_FAST", "len": 509, "t_ms": 0.3, "hex": "80" * 514})
    [sc] = check([r], conv(REQ, RESP, T0, 1000))
    f = failed(sc)
    assert list(f) == ["main.cells.sent"]
    assert f["main.cells.sent"].startswith(
        f"sent (engine → target): the engine's cells[] list 514 bytes after the {len(REQ)} that "
        "crossed the wire (#2 CREATE_FAST); its own stream digest agrees with the wire")
