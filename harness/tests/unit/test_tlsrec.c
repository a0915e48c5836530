/* test_tlsrec.c — raw TLS: the SSLv2-format hello builder, record framing, ServerHello and
 * alert parsing, reassembly, and the reply summary.
 *
 * Known answers: the hello bytes were produced by an independent 8-line Python encoder of
 * RFC 5246 E.2 (struct.pack; see the comments); the server replies are real first flights
 * captured from gnutls-serv and openssl s_server (fixtures/tlsrec/README.md), with the field
 * values read off them by tshark. */
#include "unit.h"

#include "wire_tlsflight.h"
#include "wire_tlsrec.h"

#define FIXTURES "harness/tests/unit/fixtures/tlsrec/"

static uint8_t *load(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), FIXTURES "%s", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open fixture %s (run from the repository root)", path);
    uint8_t *buf = malloc(8192);
    ck_assert_ptr_nonnull(buf);
    *len = fread(buf, 1, 8192, f);
    fclose(f);
    return buf;
}

/* Frames every record of a capture into a flight; returns how many bytes were framed. */
static size_t feed_all(tls_flight_t *f, const uint8_t *p, size_t n)
{
    span_t in = span_of(p, n);
    size_t done = 0;
    tlsflight_init(f);
    for (;;) {
        tlsrec_t rec;
        if (tlsrec_frame(in, &rec) != WIRE_OK)
            return done;
        tlsflight_add(f, &rec);
        ck_assert(span_skip(&in, rec.wire_len));
        done += rec.wire_len;
    }
}

START_TEST(sslv2_hello_matches_independent_encoder)
{
    /* python3: struct.pack(">H", 0x8000|len(body)) + pack(">BHHHH", 1, 0x0301, 9, 0, 16)
     * + 00c02f 00002f 010080 + bytes(range(0xa0, 0xb0)) */
    size_t wl;
    uint8_t *want = unit_hex("8022 01 0301 0009 0000 0010 00c02f 00002f 010080"
                             "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", &wl);
    uint8_t chal[16];
    for (int i = 0; i < 16; i++)
        chal[i] = (uint8_t)(0xa0 + i);
    const uint16_t suites[] = { 0xc02f, 0x002f };
    const uint32_t v2[] = { 0x010080 };
    sslv2_hello_t h = { .version = 0x0301, .suites = suites, .n_suites = 2, .v2_specs = v2,
                        .n_v2_specs = 1, .challenge = span_of(chal, 16) };
    bld_t b;
    bld_init(&b, 1024);
    sslv2_hello_build(&b, &h);
    ck_assert(bld_ok(&b));
    ck_assert_bytes_eq(b.buf, b.len, want, wl);
    bld_free(&b);
    free(want);

    /* python3: the same encoder, version 0x0303, suite c02b, 32 zero bytes of challenge */
    want = unit_hex("802c 01 0303 0003 0000 0020 00c02b"
                    "0000000000000000000000000000000000000000000000000000000000000000", &wl);
    uint8_t zeros[32] = { 0 };
    const uint16_t one[] = { 0xc02b };
    h = (sslv2_hello_t){ .version = 0x0303, .suites = one, .n_suites = 1,
                         .challenge = span_of(zeros, 32) };
    bld_init(&b, 1024);
    sslv2_hello_build(&b, &h);
    ck_assert(bld_ok(&b));
    ck_assert_bytes_eq(b.buf, b.len, want, wl);
    bld_free(&b);
    free(want);
}
END_TEST

START_TEST(sslv2_hello_refuses_bad_challenge_and_empty_specs)
{
    uint8_t chal[40] = { 0 };
    const uint16_t suites[] = { 0xc02f };
    sslv2_hello_t h = { .version = 0x0303, .suites = suites, .n_suites = 1,
                        .challenge = span_of(chal, 15) };
    bld_t b;
    bld_init(&b, 1024);
    sslv2_hello_build(&b, &h);
    ck_assert(!bld_ok(&b));
    bld_reset(&b);
    h.challenge.len = 33;
    sslv2_hello_build(&b, &h);
    ck_assert(!bld_ok(&b));
    bld_reset(&b);
    h.challenge.len = 8; /* a probe may send one on purpose */
    h.any_challenge_len = true;
    sslv2_hello_build(&b, &h);
    ck_assert(bld_ok(&b));
    ck_assert_uint_eq(b.len, 2 + 9 + 3 + 8);
    bld_reset(&b);
    h.challenge.len = 16;
    h.n_suites = 0;
    sslv2_hello_build(&b, &h);
    ck_assert(!bld_ok(&b));
    bld_free(&b);
}
END_TEST

START_TEST(record_framing_need_more_vs_bad)
{
    size_t n;
    uint8_t *alert = unit_hex("15 0303 0002 0228", &n);
    tlsrec_t rec;
    for (size_t k = 0; k < n; k++) /* every proper prefix: need more, never bad */
        ck_assert_int_eq(tlsrec_frame(span_of(alert, k), &rec), WIRE_TRUNCATED);
    ck_assert_int_eq(tlsrec_frame(span_of(alert, n), &rec), WIRE_OK);
    ck_assert_uint_eq(rec.type, TLS_CT_ALERT);
    ck_assert_uint_eq(rec.version, 0x0303);
    ck_assert_uint_eq(rec.wire_len, 7);
    ck_assert_bytes_eq(rec.fragment.p, rec.fragment.len, "\x02\x28", 2);
    free(alert);

    uint8_t *bad = unit_hex("47 4554 2f20", &n); /* "GET / ": not a record */
    ck_assert_int_eq(tlsrec_frame(span_of(bad, n), &rec), WIRE_BAD_VALUE);
    free(bad);
    bad = unit_hex("16 0203 0001 00", &n); /* major version 2 */
    ck_assert_int_eq(tlsrec_frame(span_of(bad, n), &rec), WIRE_BAD_VALUE);
    free(bad);
    bad = unit_hex("17 0303 4801", &n); /* 2^14 + 2048 + 1: over the cap, decided now */
    ck_assert_int_eq(tlsrec_frame(span_of(bad, n), &rec), WIRE_BAD_VALUE);
    free(bad);
    uint8_t *cap = unit_hex("17 0303 4800", &n); /* exactly the cap: waits for the bytes */
    ck_assert_int_eq(tlsrec_frame(span_of(cap, n), &rec), WIRE_TRUNCATED);
    free(cap);
    uint8_t *v2 = unit_hex("8003 04 0001", &n); /* an SSLv2 SERVER-HELLO header */
    ck_assert_int_eq(tlsrec_frame(span_of(v2, n), &rec), WIRE_OK);
    ck_assert(rec.sslv2);
    ck_assert_uint_eq(rec.type, SSLV2_MSG_SERVER_HELLO);
    ck_assert_int_eq(tlsrec_frame(span_of(v2, 4), &rec), WIRE_TRUNCATED);
    free(v2);
}
END_TEST

/* A connection still in clear: an alert record is told from other bytes as soon as a header
 * field rules it out, and a prefix of one waits. */
START_TEST(alert_frame_decides_at_the_first_wrong_field)
{
    size_t n, len = 0;
    uint8_t level = 0, desc = 0;
    uint8_t *alert = unit_hex("15 0301 0002 020a 44", &n); /* fatal unexpected_message, "D" */
    for (size_t k = 0; k < 7; k++) /* every proper prefix, the empty one too: need more */
        ck_assert_int_eq(tlsrec_alert_frame(span_of(alert, k), &level, &desc, &len),
                         WIRE_TRUNCATED);
    ck_assert_int_eq(tlsrec_alert_frame(span_of(alert, n), &level, &desc, &len), WIRE_OK);
    ck_assert_uint_eq(level, 2);
    ck_assert_uint_eq(desc, 10);
    ck_assert_uint_eq(len, 7); /* the byte after it is not part of it */
    free(alert);

    static const char *const not_alerts[] = {
        "44 4154 45",     /* "DATE": text */
        "16 0303 0002",   /* a handshake record */
        "15 02",          /* major version 2, decided on the second byte */
        "15 0303 0003",   /* a 3-byte fragment, decided on the length */
        "15 0303 0002 03", /* level 3 */
        "8002 15 00",     /* an SSLv2-format header */
    };
    for (size_t i = 0; i < sizeof(not_alerts) / sizeof(not_alerts[0]); i++) {
        uint8_t *b = unit_hex(not_alerts[i], &n);
        ck_assert_msg(tlsrec_alert_frame(span_of(b, n), &level, &desc, &len) == WIRE_BAD_VALUE,
                      "'%s' was not refused", not_alerts[i]);
        free(b);
    }
}
END_TEST

START_TEST(gnutls_compat_reply_parses)
{
    size_t n;
    uint8_t *p = load("gnutls-serv-compat-tls12.bin", &n);
    tls_flight_t *f = malloc(sizeof(*f));
    ck_assert_uint_eq(feed_all(f, p, n), n);
    ck_assert_uint_eq(f->n_records, 4);
    ck_assert_uint_eq(f->first_record_version, 0x0303);
    ck_assert(f->have_sh && f->sh_status == WIRE_OK);
    ck_assert_uint_eq(f->sh.legacy_version, 0x0303);
    ck_assert_uint_eq(f->sh.suite, 0xc02f);
    ck_assert_uint_eq(f->sh.session_id_len, 32);
    ck_assert_uint_eq(f->sh.n_exts, 1);
    ck_assert_uint_eq(f->sh.ext_types[0], 0xff01);
    ck_assert(f->sh.ri);
    ck_assert_uint_eq(f->sh.ri_len, 0);
    ck_assert(!f->sh.has_selected_version && !f->sh.hrr);
    ck_assert_int_eq(f->sh.downgrade, TLS_DOWNGRADE_TLS12); /* random ends 444f574e47524401 */
    ck_assert(f->have_done && !f->have_alert);
    ck_assert_uint_eq(f->n_events, 4); /* tshark: handshake types 2, 11, 12, 14 */
    ck_assert_uint_eq(f->ev[1].hs_type, 11);
    ck_assert_uint_eq(f->ev[2].hs_type, 12);
    char s[400];
    tlsflight_summary(f, s, sizeof(s));
    ck_assert_str_eq(s, "ServerHello TLS1.2 suite 0xc02f RI yes DOWNGRD(1.2) exts 65281, "
                        "Certificate, ServerKeyExchange, ServerHelloDone");
    free(f);
    free(p);
}
END_TEST

START_TEST(openssl_tls10_compat_reply_parses)
{
    size_t n;
    uint8_t *p = load("openssl-tls10-compat-tls10.bin", &n);
    tls_flight_t *f = malloc(sizeof(*f));
    ck_assert_uint_eq(feed_all(f, p, n), n);
    ck_assert_uint_eq(tls_server_hello_version(&f->sh), 0x0301);
    ck_assert_uint_eq(f->sh.suite, 0x002f);
    ck_assert(f->sh.ri);
    ck_assert_int_eq(f->sh.downgrade, TLS_DOWNGRADE_TLS11); /* ...444f574e47524400 */
    char s[400];
    tlsflight_summary(f, s, sizeof(s));
    ck_assert_str_eq(s, "ServerHello TLS1.0 suite 0x002f RI yes DOWNGRD(1.1) exts 65281, "
                        "Certificate, ServerHelloDone");
    free(f);
    free(p);
}
END_TEST

START_TEST(openssl_refusal_is_an_alert)
{
    size_t n;
    uint8_t *p = load("openssl-www-compat-tls12.bin", &n);
    tls_flight_t *f = malloc(sizeof(*f));
    ck_assert_uint_eq(feed_all(f, p, n), n);
    ck_assert(!f->have_sh && f->have_alert);
    ck_assert_uint_eq(f->alert_level, 2);
    ck_assert_uint_eq(f->alert_desc, 40);
    char s[200];
    tlsflight_summary(f, s, sizeof(s));
    ck_assert_str_eq(s, "alert fatal 40 handshake_failure");
    free(f);
    free(p);
}
END_TEST

START_TEST(tls13_server_hello_and_encrypted_rest)
{
    size_t n;
    uint8_t *p = load("gnutls-serv-tls13-normal.bin", &n);
    tls_flight_t *f = malloc(sizeof(*f));
    ck_assert_uint_eq(feed_all(f, p, n), n);
    ck_assert(f->sh.has_selected_version);
    ck_assert_uint_eq(f->sh.selected_version, 0x0304);
    ck_assert_uint_eq(f->sh.legacy_version, 0x0303);
    ck_assert_uint_eq(f->sh.suite, 0x1302);
    ck_assert(!f->sh.ri && !f->sh.hrr);
    ck_assert_uint_eq(f->sh.n_exts, 2); /* tshark: 51, 43 */
    ck_assert(f->encrypted);
    char s[400];
    tlsflight_summary(f, s, sizeof(s));
    ck_assert_str_eq(s, "ServerHello TLS1.3 (legacy 0x0303) suite 0x1302 RI no exts 51,43, "
                        "ChangeCipherSpec, 6 encrypted record(s)");
    free(f);
    free(p);
}
END_TEST

START_TEST(reassembly_across_records_and_split_points)
{
    /* The gnutls flight re-cut into 1..40-byte records: the same messages come out. */
    size_t n;
    uint8_t *p = load("gnutls-serv-compat-tls12.bin", &n);
    tls_flight_t *whole = malloc(sizeof(*whole)), *f = malloc(sizeof(*f));
    (void)feed_all(whole, p, n);
    /* the handshake bytes, without record headers */
    uint8_t *hs = malloc(n);
    size_t hs_len = 0;
    span_t in = span_of(p, n);
    tlsrec_t rec;
    while (tlsrec_frame(in, &rec) == WIRE_OK) {
        memcpy(hs + hs_len, rec.fragment.p, rec.fragment.len);
        hs_len += rec.fragment.len;
        ck_assert(span_skip(&in, rec.wire_len));
    }
    for (size_t cut = 1; cut <= 40; cut++) {
        tlsflight_init(f);
        for (size_t off = 0; off < hs_len; off += cut) {
            size_t k = hs_len - off < cut ? hs_len - off : cut;
            tlsrec_t r = { .type = TLS_CT_HANDSHAKE, .version = 0x0303,
                           .fragment = span_of(hs + off, k), .wire_len = 5 + k };
            tlsflight_add(f, &r);
        }
        ck_assert_uint_eq(f->n_events, whole->n_events);
        ck_assert(f->have_sh && f->have_done && f->sh_status == WIRE_OK);
        ck_assert_uint_eq(f->sh.suite, 0xc02f);
        ck_assert_uint_eq(f->hs_len, 0);
    }
    free(hs);
    free(whole);
    free(f);
    free(p);
}
END_TEST

START_TEST(server_hello_malformed_and_hrr)
{
    size_t n;
    /* version, random = the HRR constant, sid 0, suite 1301, comp 0, exts: sv 0304 */
    uint8_t *hrr = unit_hex("0303 cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"
                            "00 1301 00 0006 002b 0002 0304", &n);
    tls_server_hello_t sh;
    ck_assert_int_eq(tls_server_hello_parse(span_of(hrr, n), &sh), WIRE_OK);
    ck_assert(sh.hrr);
    ck_assert_uint_eq(tls_server_hello_version(&sh), 0x0304);
    ck_assert_int_eq(tls_server_hello_parse(span_of(hrr, n - 1), &sh), WIRE_TRUNCATED);
    free(hrr);
    uint8_t *bad_ri = unit_hex("0303 0000000000000000000000000000000000000000000000000000000000000000"
                               "00 c02f 00 0006 ff01 0002 0500", &n); /* RI says 5, holds 1 */
    ck_assert_int_eq(tls_server_hello_parse(span_of(bad_ri, n), &sh), WIRE_BAD_VALUE);
    free(bad_ri);
    uint8_t *sid33 = unit_hex("0303 0000000000000000000000000000000000000000000000000000000000000000"
                              "21 000000000000000000000000000000000000000000000000000000000000000000"
                              "c02f 00", &n);
    ck_assert_int_eq(tls_server_hello_parse(span_of(sid33, n), &sh), WIRE_BAD_VALUE);
    free(sid33);
    uint8_t *trail = unit_hex("0303 0000000000000000000000000000000000000000000000000000000000000000"
                              "00 c02f 00 0000 ff", &n);
    ck_assert_int_eq(tls_server_hello_parse(span_of(trail, n), &sh), WIRE_TRAILING);
    free(trail);
    uint8_t a[3] = { 2, 40, 0 }, level, desc;
    ck_assert_int_eq(tls_alert_parse(span_of(a, 3), &level, &desc), WIRE_TRAILING);
    ck_assert_int_eq(tls_alert_parse(span_of(a, 1), &level, &desc), WIRE_TRUNCATED);
}
END_TEST

START_TEST(summary_is_bounded)
{
    tls_flight_t *f = malloc(sizeof(*f));
    tlsflight_init(f);
    uint8_t alert[2] = { 2, 40 };
    for (int i = 0; i < 100; i++) { /* more events than the cap */
        tlsrec_t r = { .type = TLS_CT_ALERT, .version = 0x0303, .fragment = span_of(alert, 2) };
        tlsflight_add(f, &r);
    }
    ck_assert(f->events_overflow);
    char small[20];
    tlsflight_summary(f, small, sizeof(small));
    ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
    tlsflight_init(f);
    char s[40];
    tlsflight_summary(f, s, sizeof(s));
    ck_assert_str_eq(s, "nothing");
    free(f);
}
END_TEST

Suite *suite_tlsrec(void)
{
    Suite *s = suite_create("tlsrec");
    TCase *t = tcase_create("core");
    tcase_add_test(t, sslv2_hello_matches_independent_encoder);
    tcase_add_test(t, sslv2_hello_refuses_bad_challenge_and_empty_specs);
    tcase_add_test(t, record_framing_need_more_vs_bad);
    tcase_add_test(t, alert_frame_decides_at_the_first_wrong_field);
    tcase_add_test(t, gnutls_compat_reply_parses);
    tcase_add_test(t, openssl_tls10_compat_reply_parses);
    tcase_add_test(t, openssl_refusal_is_an_alert);
    tcase_add_test(t, tls13_server_hello_and_encrypted_rest);
    tcase_add_test(t, reassembly_across_records_and_split_points);
    tcase_add_test(t, server_hello_malformed_and_hrr);
    tcase_add_test(t, summary_is_bounded);
    suite_add_tcase(s, t);
    return s;
}
