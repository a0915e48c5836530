/* test_payloads.c — VERSIONS, CERTS, AUTH_CHALLENGE, AUTHENTICATE, NETINFO and circuit cell
 * bodies: round trips, tor's observed bytes, and refusal of every truncation. */
#include "unit.h"

#include "wire_auth.h"
#include "wire_certs.h"
#include "wire_circ.h"
#include "wire_netinfo.h"
#include "wire_versions.h"

/* Runs parse on a heap copy of every proper prefix of in[0..n) so ASan catches over-reads;
 * every prefix must be refused. */
#define ASSERT_EVERY_PREFIX_REFUSED(in, n, PARSE_CALL)                                          \
    do {                                                                                        \
        for (size_t cut_ = 0; cut_ < (n); cut_++) {                                             \
            uint8_t *p_ = malloc(cut_ ? cut_ : 1);                                              \
            memcpy(p_, (in), cut_);                                                             \
            span_t pre_ = span_of(p_, cut_);                                                    \
            ck_assert_msg(PARSE_CALL != WIRE_OK, "prefix of %zu bytes accepted", cut_);       \
            free(p_);                                                                           \
        }                                                                                       \
    } while (0)

START_TEST(versions_parse_pick_and_odd_length)
{
    versions_cell_t v;
    const uint8_t body[] = { 0, 3, 0, 4, 0, 5 };
    ck_assert_int_eq(versions_parse(span_of(body, 6), &v), WIRE_OK);
    ck_assert_uint_eq(v.n, 3);
    const uint16_t mine[] = { 3, 4 }, none[] = { 1, 2 };
    ck_assert_uint_eq(versions_pick(mine, 2, &v), 4);
    ck_assert_uint_eq(versions_pick(none, 2, &v), 0);
    ck_assert_int_eq(versions_parse(span_of(body, 5), &v), WIRE_TRAILING);
    ck_assert_int_eq(versions_parse(span_of(body, 0), &v), WIRE_OK);
    ck_assert_uint_eq(v.n, 0);
    uint8_t many[2 * (HS_CAP_VERSIONS + 1)] = { 0 };
    ck_assert_int_eq(versions_parse(span_of(many, sizeof(many)), &v), WIRE_TOO_MANY);
}
END_TEST

START_TEST(certs_round_trip_like_tor_layout)
{
    /* tor's responder CERTS: 05 | 01 02 3E <574> | 02 01 B6 <438> | 04 00 8C <140> |
     * 05 00 68 <104> | 07 00 A5 <165>  (body 1437 bytes). */
    static uint8_t blobs[5][600];
    const uint8_t types[5] = { 1, 2, 4, 5, 7 };
    const size_t lens[5] = { 574, 438, 140, 104, 165 };
    certs_entry_t e[5];
    for (int i = 0; i < 5; i++) {
        memset(blobs[i], 0x10 + i, lens[i]);
        e[i].type = types[i];
        e[i].body = span_of(blobs[i], lens[i]);
    }
    bld_t b;
    bld_init(&b, 4096);
    certs_build(&b, e, 5);
    ck_assert(bld_ok(&b));
    ck_assert_uint_eq(b.len, 1437);
    ck_assert_bytes_eq(b.buf, 4, "\x05\x01\x02\x3e", 4);
    certs_cell_t c;
    ck_assert_int_eq(certs_parse(bld_span(&b), &c), WIRE_OK);
    ck_assert_uint_eq(c.n, 5);
    ck_assert_uint_eq(c.trailing, 0);
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_eq(c.e[i].type, types[i]);
        ck_assert_bytes_eq(c.e[i].body.p, c.e[i].body.len, blobs[i], lens[i]);
    }
    ASSERT_EVERY_PREFIX_REFUSED(b.buf, b.len, certs_parse(pre_, &c));
    /* Trailing bytes are counted, not refused (tor ignores them). */
    bld_zeros(&b, 10);
    ck_assert_int_eq(certs_parse(bld_span(&b), &c), WIRE_OK);
    ck_assert_uint_eq(c.trailing, 10);
    bld_free(&b);
}
END_TEST

START_TEST(certs_declared_count_beyond_entries)
{
    /* D26: N=5 but only 4 entries present. */
    const uint8_t body[] = { 5, 1, 0, 1, 0xaa, 2, 0, 1, 0xbb, 4, 0, 0, 5, 0, 0 };
    certs_cell_t c;
    ck_assert_int_eq(certs_parse(span_of(body, sizeof(body)), &c), WIRE_TRUNCATED);
    const uint8_t overlong[] = { 1, 1, 0xff, 0xff, 0 };
    ck_assert_int_eq(certs_parse(span_of(overlong, sizeof(overlong)), &c), WIRE_TRUNCATED);
    const uint8_t zero[] = { 0 };
    ck_assert_int_eq(certs_parse(span_of(zero, 1), &c), WIRE_OK);
    ck_assert_uint_eq(c.n, 0);
}
END_TEST

START_TEST(auth_challenge_like_tor)
{
    /* tor: <32 random> 00 01 00 03. */
    uint8_t ch[32];
    memset(ch, 0x42, 32);
    const uint16_t m[] = { 3 };
    bld_t b;
    bld_init(&b, 64);
    auth_challenge_build(&b, ch, m, 1);
    ck_assert_uint_eq(b.len, 36);
    ck_assert_bytes_eq(b.buf + 32, 4, "\x00\x01\x00\x03", 4);
    auth_challenge_t a;
    ck_assert_int_eq(auth_challenge_parse(bld_span(&b), &a), WIRE_OK);
    ck_assert_uint_eq(a.n_methods, 1);
    ck_assert_uint_eq(a.methods[0], 3);
    ASSERT_EVERY_PREFIX_REFUSED(b.buf, b.len, auth_challenge_parse(pre_, &a));
    /* E05: N_Methods 5, one method present. */
    b.buf[33] = 5;
    ck_assert_int_eq(auth_challenge_parse(bld_span(&b), &a), WIRE_TRUNCATED);
    bld_free(&b);
}
END_TEST

START_TEST(authenticate_lengths)
{
    uint8_t auth[AUTH3_LEN];
    memset(auth, 0x33, sizeof(auth));
    memcpy(auth, "AUTH0003", 8);
    bld_t b;
    bld_init(&b, 1024);
    authenticate_build(&b, 3, span_of(auth, sizeof(auth)));
    ck_assert_uint_eq(b.len, 356);
    ck_assert_bytes_eq(b.buf, 4, "\x00\x03\x01\x60", 4);
    authenticate_t a;
    ck_assert_int_eq(authenticate_parse(bld_span(&b), &a), WIRE_OK);
    ck_assert_uint_eq(a.auth_len, 352);
    auth3_fields_t f;
    ck_assert_int_eq(auth3_parse(a.auth, &f), WIRE_OK);
    ck_assert_bytes_eq(f.type, 8, "AUTH0003", 8);
    bld_t s;
    bld_init(&s, 512);
    auth3_build_signed_part(&s, &f);
    ck_assert_bytes_eq(s.buf, s.len, auth, AUTH3_SIGNED_LEN);
    bld_free(&s);
    ASSERT_EVERY_PREFIX_REFUSED(b.buf, b.len, authenticate_parse(pre_, &a));
    /* F17: 3 bytes after the authenticator are counted, not refused. */
    bld_zeros(&b, 3);
    ck_assert_int_eq(authenticate_parse(bld_span(&b), &a), WIRE_OK);
    ck_assert_uint_eq(a.trailing, 3);
    /* F16: AuthLen 355 is not a type-3 layout. */
    uint8_t longer[355] = { 0 };
    ck_assert_int_eq(auth3_parse(span_of(longer, 355), &f), WIRE_TRAILING);
    ck_assert_int_eq(auth3_parse(span_of(longer, 351), &f), WIRE_TRUNCATED);
    bld_free(&b);
}
END_TEST

START_TEST(auth1_layout)
{
    uint8_t auth[AUTH1_SIGNED_LEN + 128];
    memset(auth, 0x11, sizeof(auth));
    memcpy(auth, "AUTH0001", 8);
    auth1_fields_t f;
    ck_assert_int_eq(auth1_parse(span_of(auth, sizeof(auth)), &f), WIRE_OK);
    ck_assert_uint_eq(f.sig.len, 128);
    bld_t s;
    bld_init(&s, 512);
    auth1_build_signed_part(&s, &f);
    ck_assert_bytes_eq(s.buf, s.len, auth, AUTH1_SIGNED_LEN);
    bld_free(&s);
    ck_assert_int_eq(auth1_parse(span_of(auth, AUTH1_SIGNED_LEN), &f), WIRE_TRUNCATED);
}
END_TEST

START_TEST(netinfo_relay_bytes_from_tor)
{
    /* Observed relay NETINFO body: time 6B013EBB, other 127.0.0.1, 1 × 127.0.0.1. */
    size_t n;
    uint8_t *head = unit_hex("6B 01 3E BB 04 04 7F 00 00 01 01 04 04 7F 00 00 01", &n);
    uint8_t body[509] = { 0 };
    memcpy(body, head, n);
    netinfo_cell_t ni;
    ck_assert_int_eq(netinfo_parse(span_of(body, sizeof(body)), &ni), WIRE_OK);
    ck_assert_uint_eq(ni.time, 0x6B013EBB);
    ck_assert_int_eq(netinfo_addr_kind(&ni.other), NETINFO_ADDR_IPV4);
    ck_assert_uint_eq(ni.n_my, 1);
    char a[64];
    netinfo_addr_format(&ni.my[0], a, sizeof(a));
    ck_assert_str_eq(a, "127.0.0.1");
    ck_assert(!ni.trailing_nonzero);
    bld_t b;
    bld_init(&b, 509);
    netinfo_build(&b, ni.time, &ni.other, ni.my, ni.n_kept);
    ck_assert_bytes_eq(b.buf, b.len, head, n);
    ASSERT_EVERY_PREFIX_REFUSED(head, n, netinfo_parse(pre_, &ni));
    bld_free(&b);
    free(head);
}
END_TEST

START_TEST(netinfo_address_kinds)
{
    /* G03 ALEN 5 for IPv4, G04 type 9, and IPv6. */
    const uint8_t g03[] = { 0, 0, 0, 0, 4, 5, 1, 2, 3, 4, 5, 0 };
    const uint8_t g04[] = { 0, 0, 0, 0, 9, 2, 0xaa, 0xbb, 0 };
    uint8_t v6[4 + 2 + 16 + 1] = { 0, 0, 0, 0, 6, 16 };
    v6[4 + 2 + 15] = 1;
    netinfo_cell_t ni;
    char a[64];
    ck_assert_int_eq(netinfo_parse(span_of(g03, sizeof(g03)), &ni), WIRE_OK);
    ck_assert_int_eq(netinfo_addr_kind(&ni.other), NETINFO_ADDR_BAD_LEN);
    ck_assert_int_eq(netinfo_parse(span_of(g04, sizeof(g04)), &ni), WIRE_OK);
    ck_assert_int_eq(netinfo_addr_kind(&ni.other), NETINFO_ADDR_UNKNOWN);
    netinfo_addr_format(&ni.other, a, sizeof(a));
    ck_assert_str_eq(a, "type9:len2:aabb");
    ck_assert_int_eq(netinfo_parse(span_of(v6, sizeof(v6)), &ni), WIRE_OK);
    netinfo_addr_format(&ni.other, a, sizeof(a));
    ck_assert_str_eq(a, "[::1]");
}
END_TEST

START_TEST(circuit_cells_round_trip)
{
    uint8_t x[20], y[20];
    for (int i = 0; i < 20; i++)
        x[i] = (uint8_t)i, y[i] = (uint8_t)(0xf0 | i);
    bld_t b;
    bld_init(&b, 509);
    create_fast_build(&b, x);
    uint8_t x2[20];
    ck_assert_int_eq(create_fast_parse(bld_span(&b), x2), WIRE_OK);
    ck_assert_bytes_eq(x2, 20, x, 20);
    ASSERT_EVERY_PREFIX_REFUSED(b.buf, b.len, create_fast_parse(pre_, x2));
    created_fast_t cf, cf2;
    memcpy(cf.y, y, 20);
    memcpy(cf.kh, x, 20);
    bld_reset(&b);
    created_fast_build(&b, &cf);
    ck_assert_int_eq(created_fast_parse(bld_span(&b), &cf2), WIRE_OK);
    ck_assert_bytes_eq(&cf2, sizeof(cf2), &cf, sizeof(cf));
    ASSERT_EVERY_PREFIX_REFUSED(b.buf, b.len, created_fast_parse(pre_, &cf2));
    padding_negotiate_t p = { 0, 2, 1500, 9500 }, p2;
    bld_reset(&b);
    padding_negotiate_build(&b, &p);
    ck_assert_bytes_eq(b.buf, b.len, "\x00\x02\x05\xdc\x25\x1c", 6);
    ck_assert_int_eq(padding_negotiate_parse(bld_span(&b), &p2), WIRE_OK);
    ck_assert_uint_eq(p2.ito_high_ms, 9500);
    ASSERT_EVERY_PREFIX_REFUSED(b.buf, b.len, padding_negotiate_parse(pre_, &p2));
    uint8_t reason;
    bld_reset(&b);
    destroy_build(&b, 3);
    ck_assert_int_eq(destroy_parse(bld_span(&b), &reason), WIRE_OK);
    ck_assert_str_eq(destroy_reason_name(reason), "REQUESTED");
    ck_assert_int_eq(destroy_parse(span_of(NULL, 0), &reason), WIRE_TRUNCATED);
    bld_free(&b);
}
END_TEST

Suite *suite_payloads(void)
{
    Suite *s = suite_create("wire_payloads");
    TCase *t = tcase_create("core");
    tcase_add_test(t, versions_parse_pick_and_odd_length);
    tcase_add_test(t, certs_round_trip_like_tor_layout);
    tcase_add_test(t, certs_declared_count_beyond_entries);
    tcase_add_test(t, auth_challenge_like_tor);
    tcase_add_test(t, authenticate_lengths);
    tcase_add_test(t, auth1_layout);
    tcase_add_test(t, netinfo_relay_bytes_from_tor);
    tcase_add_test(t, netinfo_address_kinds);
    tcase_add_test(t, circuit_cells_round_trip);
    suite_add_tcase(s, t);
    return s;
}
