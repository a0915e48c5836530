"""STARTTLS in the wire check (wireconn._clear_boundary): the engine claims how many bytes of
each direction crossed in clear; the wire must have them, and TLS records right after them."""
from hsprobe.wire.wireconn import _clear_boundary

CLEAR = b"EHLO t\r\nSTARTTLS\r\n"
HELLO = bytes.fromhex("160301") + b"\x00\x05hello"


def test_tls_records_right_after_the_clear_head():
    assert _clear_boundary("sent", CLEAR + HELLO, len(CLEAR), len(CLEAR)) == []
    assert _clear_boundary("recv", CLEAR, len(CLEAR), len(CLEAR)) == []  # no TLS from it


def test_a_claim_longer_than_the_wire_is_reported():
    got = _clear_boundary("sent", CLEAR, len(CLEAR), len(CLEAR) + 5)
    assert got and "only 18" in got[0]


def test_clear_text_where_tls_should_start_is_reported():
    # The engine claims one byte too few: the wire then shows "\n" + a ClientHello, not a record.
    got = _clear_boundary("sent", CLEAR + HELLO, len(CLEAR) - 1, len(CLEAR) - 1)
    assert got and "not a TLS record" in got[0]
