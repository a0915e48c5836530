/* test_cell.c — cell framing and building, against the bytes tor 0.4.9.11 really sent
 * (tor-link.md §1.15). */
#include "unit.h"

#include "wire_cell.h"

/* C→S VERSIONS [3,4,5] as tor sends it: 2-byte circ id. */
static const char *const TOR_VERSIONS = "00 00 07 00 06 00 03 00 04 00 05";

START_TEST(versions_built_exactly_like_tor)
{
    bld_t b;
    bld_init(&b, 64);
    const uint8_t body[] = { 0, 3, 0, 4, 0, 5 };
    cell_build_var(&b, cell_circ_width(0), 0, CELL_VERSIONS, span_of(body, sizeof(body)));
    size_t n;
    uint8_t *want = unit_hex(TOR_VERSIONS, &n);
    ck_assert_bytes_eq(b.buf, b.len, want, n);
    free(want);
    bld_free(&b);
}
END_TEST

START_TEST(versions_framed_at_link0)
{
    size_t n, used;
    uint8_t *in = unit_hex(TOR_VERSIONS, &n);
    cell_t c;
    ck_assert_int_eq(cell_frame(span_of(in, n), 0, &c, &used), WIRE_OK);
    ck_assert_uint_eq(used, 11);
    ck_assert_uint_eq(c.cmd, CELL_VERSIONS);
    ck_assert(c.var);
    ck_assert_uint_eq(c.circ_width, 2);
    ck_assert_bytes_eq(c.body.p, c.body.len, "\x00\x03\x00\x04\x00\x05", 6);
    free(in);
}
END_TEST

START_TEST(client_netinfo_built_exactly_like_tor)
{
    /* tor client NETINFO at link 5: 4-byte circ id, TIME 0, OTHERADDR 127.0.0.1, no MYADDR. */
    const uint8_t body[] = { 0, 0, 0, 0, 4, 4, 127, 0, 0, 1, 0 };
    bld_t b;
    bld_init(&b, 1024);
    cell_build_fixed(&b, cell_circ_width(5), 0, CELL_NETINFO, span_of(body, sizeof(body)));
    ck_assert_uint_eq(b.len, 514);
    size_t n;
    uint8_t *want = unit_hex("00 00 00 00 08 00 00 00 00 04 04 7F 00 00 01 00 00", &n);
    ck_assert_bytes_eq(b.buf, n, want, n);
    for (size_t i = n; i < b.len; i++)
        ck_assert_uint_eq(b.buf[i], 0);
    free(want);
    bld_free(&b);
}
END_TEST

START_TEST(certs_header_at_link5)
{
    /* "00 00 00 00 81 05 9D": CERTS, 4-byte circ id, body length 1437. */
    bld_t b;
    bld_init(&b, 4096);
    uint8_t body[1437];
    memset(body, 0xab, sizeof(body));
    body[0] = 5;
    cell_build_var(&b, 4, 0, CELL_CERTS, span_of(body, sizeof(body)));
    ck_assert_bytes_eq(b.buf, 8, "\x00\x00\x00\x00\x81\x05\x9d\x05", 8);
    cell_t c;
    size_t used;
    ck_assert_int_eq(cell_frame(bld_span(&b), 5, &c, &used), WIRE_OK);
    ck_assert_uint_eq(c.body.len, 1437);
    ck_assert_uint_eq(used, 7 + 1437);
    bld_free(&b);
}
END_TEST

START_TEST(every_prefix_of_a_cell_is_truncated)
{
    bld_t b;
    bld_init(&b, 4096);
    uint8_t body[40];
    memset(body, 0x5a, sizeof(body));
    cell_build_var(&b, 4, 0, CELL_AUTH_CHALLENGE, span_of(body, sizeof(body)));
    cell_build_fixed(&b, 4, 7, CELL_CREATE_FAST, span_of(body, 20));
    size_t first = 7 + 40;
    for (size_t cut = 0; cut < first; cut++) {
        /* A heap copy of exactly `cut` bytes so ASan sees any over-read. */
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, b.buf, cut);
        cell_t c;
        size_t used;
        ck_assert_int_eq(cell_frame(span_of(p, cut), 5, &c, &used), WIRE_TRUNCATED);
        free(p);
    }
    for (size_t cut = first; cut < b.len; cut++) {
        cell_t c;
        size_t used;
        span_t rest = span_of(b.buf + first, cut - first);
        ck_assert_int_eq(cell_frame(rest, 5, &c, &used), WIRE_TRUNCATED);
    }
    cell_t c;
    size_t used;
    ck_assert_int_eq(cell_frame(span_of(b.buf + first, b.len - first), 5, &c, &used), WIRE_OK);
    ck_assert_uint_eq(c.circ_id, 7);
    ck_assert_uint_eq(used, 514);
    bld_free(&b);
}
END_TEST

START_TEST(var_rules_follow_link_version)
{
    ck_assert(cell_cmd_is_var(0, CELL_VERSIONS));
    ck_assert(cell_cmd_is_var(0, CELL_VPADDING));
    ck_assert(!cell_cmd_is_var(0, CELL_NETINFO));
    ck_assert(!cell_cmd_is_var(1, CELL_VERSIONS));
    ck_assert(cell_cmd_is_var(2, CELL_VERSIONS));
    ck_assert(!cell_cmd_is_var(2, CELL_CERTS));
    ck_assert(cell_cmd_is_var(3, 200));
    ck_assert(cell_cmd_is_var(5, 255));
    ck_assert(!cell_cmd_is_var(5, 127));
    ck_assert_uint_eq(cell_circ_width(0), 2);
    ck_assert_uint_eq(cell_circ_width(3), 2);
    ck_assert_uint_eq(cell_circ_width(4), 4);
    ck_assert_uint_eq(cell_circ_width(5), 4);
}
END_TEST

START_TEST(pipelined_versions_then_vpadding_misframes_like_tor)
{
    /* B11: VERSIONS and VPADDING both with 2-byte headers; after v5 is chosen the receiver
     * reads the VPADDING's 5 bytes as the start of a 7-byte header and must wait. */
    bld_t b;
    bld_init(&b, 64);
    const uint8_t v[] = { 0, 5 };
    cell_build_var(&b, 2, 0, CELL_VERSIONS, span_of(v, 2));
    cell_build_var(&b, 2, 0, CELL_VPADDING, span_of(NULL, 0));
    cell_t c;
    size_t used;
    ck_assert_int_eq(cell_frame(bld_span(&b), 0, &c, &used), WIRE_OK);
    ck_assert_int_eq(cell_frame(span_of(b.buf + used, b.len - used), 5, &c, &used),
                     WIRE_TRUNCATED);
    bld_free(&b);
}
END_TEST

START_TEST(builders_refuse_what_cannot_be_encoded)
{
    bld_t b;
    bld_init(&b, 4096);
    uint8_t big[510] = { 0 };
    cell_build_fixed(&b, 4, 0, CELL_NETINFO, span_of(big, sizeof(big)));
    ck_assert(!bld_ok(&b));
    bld_reset(&b);
    cell_build_fixed(&b, 2, 0x10000, CELL_PADDING, span_of(NULL, 0));
    ck_assert(!bld_ok(&b));
    bld_reset(&b);
    cell_build_var(&b, 3, 0, CELL_VPADDING, span_of(NULL, 0));
    ck_assert(!bld_ok(&b));
    bld_free(&b);
}
END_TEST

START_TEST(names_round_trip)
{
    for (int cmd = 0; cmd < 256; cmd++) {
        const char *n = cell_cmd_name((uint8_t)cmd);
        if (strncmp(n, "UNKNOWN", 7) != 0)
            ck_assert_int_eq(cell_cmd_from_name(n), cmd);
    }
    ck_assert_int_eq(cell_cmd_from_name("auth_challenge"), CELL_AUTH_CHALLENGE);
    ck_assert_int_eq(cell_cmd_from_name("NOPE"), -1);
}
END_TEST

Suite *suite_cell(void)
{
    Suite *s = suite_create("wire_cell");
    TCase *t = tcase_create("core");
    tcase_add_test(t, versions_built_exactly_like_tor);
    tcase_add_test(t, versions_framed_at_link0);
    tcase_add_test(t, client_netinfo_built_exactly_like_tor);
    tcase_add_test(t, certs_header_at_link5);
    tcase_add_test(t, every_prefix_of_a_cell_is_truncated);
    tcase_add_test(t, var_rules_follow_link_version);
    tcase_add_test(t, pipelined_versions_then_vpadding_misframes_like_tor);
    tcase_add_test(t, builders_refuse_what_cannot_be_encoded);
    tcase_add_test(t, names_round_trip);
    suite_add_tcase(s, t);
    return s;
}
