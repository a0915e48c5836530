"""The wire check's own cell framer (hsprobe.wire.cells) on hand-built byte strings: circ-id
widths before and after VERSIONS, the negotiated link, fixed/var commands, partial trailing
cells and data that is not a cell stream."""

import struct

from hsprobe.wire.cells import first_versions, is_var, parse_direction, parse_pair


def var(cmd, body, width=2, circ=0):
    return circ.to_bytes(width, "big") + bytes([cmd]) + struct.pack(">H", len(body)) + body


def fixed(cmd, body=b"", width=2, circ=0):
    return circ.to_bytes(width, "big") + bytes([cmd]) + body.ljust(509, b"\0")


def versions(*vs, width=2):
    return var(7, b"".join(struct.pack(">H", v) for v in vs), width)


def test_link5_switches_to_4_byte_circ_ids_after_versions():
    sent = versions(3, 4, 5) + fixed(8, b"\x01\x02", width=4) + fixed(5, width=4, circ=0x80000001)
    recv = versions(3, 4, 5) + var(129, b"\x00" * 40, width=4) + var(130, b"\xaa" * 36, width=4)
    s, r = parse_pair(sent, recv)
    assert [c.name for c in s.cells] == ["VERSIONS", "NETINFO", "CREATE_FAST"]
    assert [c.width for c in s.cells] == [2, 4, 4]
    assert [c.offset for c in s.cells] == [0, 11, 11 + 514]
    assert s.cells[2].circ_id == 0x80000001 and s.cells[2].size == 514
    assert s.link == 5 and s.partial is None and s.garbage is None
    assert [(c.name, c.width, len(c.body)) for c in r.cells] == [
        ("VERSIONS", 2, 6), ("CERTS", 4, 40), ("AUTH_CHALLENGE", 4, 36)]


def test_link3_keeps_2_byte_circ_ids():
    sent = versions(3) + fixed(8) + var(128, b"xyz")
    recv = versions(3, 4, 5) + var(129, b"\x00", width=2) + fixed(8)
    s, r = parse_pair(sent, recv)
    assert s.link == 3 and r.link == 3
    assert [(c.name, c.width, c.size) for c in s.cells] == [
        ("VERSIONS", 2, 7), ("NETINFO", 2, 512), ("VPADDING", 2, 8)]
    assert [(c.name, c.width) for c in r.cells] == [("VERSIONS", 2), ("CERTS", 2), ("NETINFO", 2)]


def test_highest_common_version_not_each_sides_highest():
    # initiator offers 3,4; responder 3,4,5 -> link 4 (4-byte ids) for both directions
    s, r = parse_pair(versions(3, 4) + fixed(8, width=4), versions(3, 4, 5) + fixed(8, width=4))
    assert s.link == r.link == 4
    assert [c.width for c in s.cells] == [2, 4] and [c.width for c in r.cells] == [2, 4]


def test_without_the_other_versions_the_senders_own_highest_is_used():
    s = parse_direction(versions(3, 4, 5) + fixed(8, width=4), None)
    assert s.link == 5 and [c.width for c in s.cells] == [2, 4]
    s = parse_direction(versions(3) + fixed(8, width=2), None)
    assert s.link == 3 and [c.size for c in s.cells] == [7, 512]


def test_cells_before_the_first_versions_use_2_bytes():
    data = var(128, b"pad") + var(132, b"") + versions(3, 4, 5) + var(128, b"p", width=4)
    s = parse_direction(data, [3, 4, 5])
    assert [(c.name, c.width) for c in s.cells] == [
        ("VPADDING", 2), ("AUTHORIZE", 2), ("VERSIONS", 2), ("VPADDING", 4)]


def test_a_later_versions_uses_the_negotiated_width():
    data = versions(3, 4, 5) + versions(3, width=4)
    s = parse_direction(data, [4, 5])
    assert [(c.name, c.width, c.body) for c in s.cells] == [
        ("VERSIONS", 2, bytes.fromhex("000300040005")), ("VERSIONS", 4, bytes.fromhex("0003"))]


def test_a_2_byte_cell_pipelined_after_versions_is_framed_as_the_receiver_frames_it():
    """tor frames everything after the initiator's VERSIONS at the negotiated width, so a
    2-byte VPADDING there is misframed: 00 00 80 00 -> circ 0x00008000, cmd 0x02 (fixed)."""
    data = versions(3, 4, 5) + var(128, b"ab")
    s = parse_direction(data, [3, 4, 5])
    assert [c.name for c in s.cells] == ["VERSIONS"]
    assert s.partial is not None and s.partial.offset == 11 and s.partial.have == 7
    assert s.partial.need == 4 + 1 + 509


def test_partial_trailing_var_cell_reports_have_and_need():
    data = versions(3, 4, 5) + var(129, b"\x01" * 100, width=4)[:50]
    s = parse_direction(data, [3, 4, 5])
    assert len(s.cells) == 1
    assert (s.partial.offset, s.partial.have, s.partial.need) == (11, 50, 7 + 100)
    assert "partial cell at offset 11: 50 bytes of 107" in s.problems()[0]


def test_partial_header():
    s = parse_direction(versions(3, 4, 5) + b"\x00\x00", [3, 4, 5])
    assert (s.partial.offset, s.partial.have, s.partial.need) == (11, 2, None)


def test_text_instead_of_cells_is_garbage_and_stops_the_parse():
    s = parse_direction(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n", None)
    assert s.cells == [] and s.partial is None
    assert s.garbage.offset == 0 and s.garbage.size == 27
    assert "unassigned fixed command 84" in s.garbage.reason


def test_odd_first_versions_stops_the_parse():
    data = var(7, b"\x00\x03\x00") + fixed(8)
    s = parse_direction(data, [3, 4, 5])
    assert [c.name for c in s.cells] == ["VERSIONS"]
    assert s.garbage.offset == 8 and s.garbage.size == 512 and "odd length 3" in s.garbage.reason


def test_unknown_commands_are_framed_not_fatal_after_versions():
    data = versions(3, 4, 5) + var(200, b"zz", width=4) + fixed(77, width=4)
    s = parse_direction(data, [5])
    assert [c.name for c in s.cells] == ["VERSIONS", "UNKNOWN(200)", "UNKNOWN(77)"]
    assert s.garbage is None and s.partial is None


def test_var_rule_per_link():
    assert is_var(7, 0) and is_var(128, 0) and is_var(255, 3) and not is_var(8, 5)
    assert is_var(7, 2) and not is_var(129, 2)
    assert not is_var(7, 1)


def test_first_versions_and_empty_input():
    assert first_versions(b"") is None
    assert first_versions(var(128, b"") + versions(4, 5)) == [4, 5]
    assert parse_direction(b"", None).cells == []


def test_summary_names_offsets_and_circ_ids():
    s = parse_direction(versions(4) + fixed(5, width=4, circ=0x80000002), None)
    assert [c.summary("sent") for c in s.cells] == [
        {"dir": "sent", "cmd": "VERSIONS", "circ_id": 0, "width": 2, "len": 2, "offset": 0},
        {"dir": "sent", "cmd": "CREATE_FAST", "circ_id": 0x80000002, "width": 4, "len": 509,
         "offset": 7}]
