"""The wire check's own libpcap reader/writer and TCP reassembly: round trips, every link type a
loopback capture can have, truncated files, and the gaps, retransmissions and port reuse the
checks rely on."""

import io
import struct

import pytest

from hsprobe.wire.pcap import (LINKTYPE_EN10MB, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
                               LINKTYPE_RAW, Frame, PcapError, decode_tcp, parse_pcap, read_pcap,
                               write_pcap)
from hsprobe.wire.tcp import build_connections

from wirebuild import Conversation


def conns(conv, port=9001):
    segs = [decode_tcp(conv.linktype, f) for f in conv.frames]
    return build_connections([s for s in segs if s], port)


def test_write_then_read_round_trips_every_field(tmp_path):
    conv = Conversation().handshake()
    conv.send("c", b"hello")
    conv.send("s", b"world!")
    p = tmp_path / "x.pcap"
    write_pcap(p, LINKTYPE_EN10MB, conv.frames)
    back = read_pcap(p)
    assert back.linktype == LINKTYPE_EN10MB and back.nanosecond and back.truncated_tail == 0
    assert [(f.number, f.ts_ns, f.data, f.orig_len) for f in back.frames] == \
        [(f.number, f.ts_ns, f.data, f.orig_len) for f in conv.frames]
    seg = decode_tcp(back.linktype, back.frames[3])
    assert (seg.src, seg.sport, seg.dst, seg.dport) == ("127.0.0.1", 40000, "127.0.0.1", 9001)
    assert seg.seq == 1001 and seg.payload == b"hello"


def test_microsecond_big_endian_files_are_read(tmp_path):
    conv = Conversation().handshake()
    conv.send("c", b"abc")
    buf = struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_EN10MB)
    for f in conv.frames:
        sec, ns = divmod(f.ts_ns, 10**9)
        buf += struct.pack(">IIII", sec, ns // 1000, len(f.data), len(f.data)) + f.data
    cap = parse_pcap(buf)
    assert not cap.nanosecond and len(cap.frames) == 4
    assert cap.frames[0].ts_ns == conv.frames[0].ts_ns // 1000 * 1000
    assert decode_tcp(cap.linktype, cap.frames[3]).payload == b"abc"


@pytest.mark.parametrize("linktype", [LINKTYPE_EN10MB, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
                                      LINKTYPE_RAW])
@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_every_loopback_link_type_and_both_ip_versions(linktype, host, tmp_path):
    conv = Conversation(linktype=linktype, chost=host, shost=host).handshake()
    conv.send("c", b"x" * 10)
    out = io.BytesIO()
    write_pcap(out, linktype, conv.frames)
    cap = parse_pcap(out.getvalue())
    seg = decode_tcp(cap.linktype, cap.frames[-1])
    assert seg is not None and seg.payload == b"x" * 10 and seg.src == host
    [c] = conns(conv)
    assert c.c2s.data == b"x" * 10 and c.c2s.gaps == []


def test_a_record_cut_at_the_end_is_reported_not_raised(tmp_path):
    conv = Conversation().handshake()
    out = io.BytesIO()
    write_pcap(out, LINKTYPE_EN10MB, conv.frames)
    cap = parse_pcap(out.getvalue()[:-10])
    assert len(cap.frames) == 2 and cap.truncated_tail > 0


def test_not_a_pcap_file(tmp_path):
    with pytest.raises(PcapError, match="not a pcap file"):
        parse_pcap(b"\x00" * 40)
    with pytest.raises(PcapError, match="pcapng"):
        parse_pcap(b"\x0a\x0d\x0d\x0a" + b"\x00" * 40)


def test_reassembly_in_order_both_directions():
    conv = Conversation().handshake()
    conv.send("c", b"AAAA")
    conv.send("s", b"1111")
    conv.send("c", b"BBBB")
    conv.send("s", b"2222")
    conv.fin("c")
    conv.fin("s")
    [c] = conns(conv)
    assert c.c2s.data == b"AAAABBBB" and c.s2c.data == b"11112222"
    assert c.c2s.gaps == [] and c.s2c.gaps == [] and c.closed
    assert c.flow("sent") is c.c2s and c.local_port == 40000


def test_out_of_order_and_duplicate_segments_are_reassembled_once():
    conv = Conversation().handshake()
    base = conv.seq["c"]
    conv.send("c", b"BBBB", seq=base + 4)
    conv.send("c", b"AAAA", seq=base)
    conv.send("c", b"AAAA", seq=base)          # retransmission
    conv.send("c", b"AABB", seq=base + 2)      # overlapping, same bytes
    [c] = conns(conv)
    assert c.c2s.data == b"AAAABBBB" and c.c2s.gaps == [] and c.c2s.conflicts == []


def test_a_retransmission_with_other_bytes_is_a_conflict():
    conv = Conversation().handshake()
    base = conv.seq["c"]
    conv.send("c", b"AAAA", seq=base)
    conv.send("c", b"AXAA", seq=base)
    [c] = conns(conv)
    assert c.c2s.conflicts == [0]


def test_a_missing_segment_in_the_middle_is_a_gap_with_offset_and_size():
    conv = Conversation().handshake()
    conv.send("c", b"A" * 100)
    lost = conv.send("c", b"B" * 50)
    conv.send("c", b"C" * 10)
    conv.frames.remove(lost)
    [c] = conns(conv)
    [g] = c.c2s.gaps
    assert (g.offset, g.size) == (100, 50)


def test_a_missing_last_segment_is_found_through_the_peers_ack():
    conv = Conversation().handshake()
    conv.send("s", b"A" * 100)
    lost = conv.send("s", b"B" * 30)
    conv.ack("c")                                  # acknowledges all 130 bytes
    conv.frames.remove(lost)
    [c] = conns(conv)
    [g] = c.s2c.gaps
    assert (g.offset, g.size) == (100, 30) and "acknowledged" in g.why


def test_a_lost_fin_alone_is_not_a_data_gap():
    conv = Conversation().handshake()
    conv.send("c", b"A" * 10)
    fin = conv.fin("c")
    conv.ack("s")
    conv.frames.remove(fin)
    [c] = conns(conv)
    assert c.c2s.gaps == [] and c.c2s.data == b"A" * 10


def test_snaplen_cut_payload_is_a_gap():
    conv = Conversation().handshake()
    f = conv.send("c", b"Z" * 100)
    f.data = f.data[:-40]            # captured 60 of 100 payload bytes
    [c] = conns(conv)
    [g] = c.c2s.gaps
    assert (g.offset, g.size) == (60, 40) and "snaplen" in g.why


def test_port_reuse_makes_two_connections():
    a = Conversation(cisn=1000).handshake()
    a.send("c", b"first")
    a.fin("c")
    a.fin("s")
    b = Conversation(cisn=900000, t0=a.t + 10).handshake()
    b.send("c", b"second")
    frames = a.frames + b.frames
    for i, f in enumerate(frames, 1):
        f.number = i
    segs = [decode_tcp(LINKTYPE_EN10MB, f) for f in frames]
    got = build_connections(segs, 9001)
    assert [c.c2s.data for c in got] == [b"first", b"second"]
    assert [c.local_port for c in got] == [40000, 40000]
    assert got[1].frames[0] == len(a.frames) + 1


def test_segments_of_other_hosts_are_ignored_when_the_server_host_is_given():
    conv = Conversation(shost="127.0.0.2").handshake()
    conv.send("c", b"sentinel")
    segs = [decode_tcp(LINKTYPE_EN10MB, f) for f in conv.frames]
    assert build_connections(segs, 9001, "127.0.0.1") == []
    assert len(build_connections(segs, 9001)) == 1


def test_frames_without_tcp_decode_to_none():
    assert decode_tcp(LINKTYPE_EN10MB, Frame(1, 0, b"\0" * 12 + b"\x08\x06" + b"\0" * 28, 42)) \
        is None
    assert decode_tcp(999, Frame(1, 0, b"\0" * 60, 60)) is None


def test_an_overlapping_retransmission_with_other_bytes_is_a_conflict():
    conv = Conversation().handshake()
    base = conv.seq["c"]
    conv.send("c", b"AAAA", seq=base)
    conv.send("c", b"AXAAB", seq=base)       # overlaps 4 bytes (one differs) and extends
    [c] = conns(conv)
    assert c.c2s.conflicts == [0] and c.c2s.data == b"AAAAB"
