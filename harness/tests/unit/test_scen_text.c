/* test_scen_text.c — the text-protocol syntax (STARTTLS family, TLS probes) parses into the
 * steps the interpreter needs, every mistake is reported at its line:column, and the
 * ServerHello reader that backs `expect tls ri=` (tls_conn's hook) reads what was sent. */
#include "unit.h"

#include "scen_parse.h"
#include "tls_conn.h"
#include "wire_tlsrec.h"

#define HDR(proto)                                                                                \
    "id: starttls.test.case\n"                                                                    \
    "title: a test\n"                                                                             \
    "role: initiator\n"                                                                           \
    "protocol: " proto "\n"                                                                       \
    "peers: postfix\n"                                                                            \
    "spec: RFC 3207 §4.2\n"                                                                       \
    "level: MUST\n"                                                                               \
    "requirement: the target does what it must.\n" /* line 8 */

static int parse(const char *text, scenario_t *s, sc_diags_t *d)
{
    return scen_parse_text("t.scn", text, strlen(text), s, d);
}

static void expect_error(const char *text, int line, int col, const char *want)
{
    scenario_t s;
    sc_diags_t d;
    int rc = parse(text, &s, &d);
    ck_assert_msg(rc == -1, "accepted:\n%s", text);
    ck_assert_msg(d.d[0].line == line && d.d[0].col == col, "diagnostic at %d:%d (%s), expected "
                  "%d:%d", d.d[0].line, d.d[0].col, d.d[0].msg, line, col);
    ck_assert_msg(strstr(d.d[0].msg, want), "message '%s' lacks '%s'", d.d[0].msg, want);
    scen_free(&s);
}

START_TEST(test_starttls_file)
{
    scenario_t s;
    sc_diags_t d;
    const char *text = HDR("smtp-starttls")
        "connect\n"                                                       /* 9 */
        "expect line \"220 *\"\n"                                         /* 10 */
        "send line \"EHLO a\"\n"                                          /* 11 */
        "expect reply \"250 *\" has=\"STARTTLS\" lacks=\"AUTH\" within 1s\n" /* 12 */
        "send raw \"STARTTLS\\r\\nRSET\\r\\n\"\n"                         /* 13 */
        "expect line \"220 *\"\n"                                         /* 14 */
        "starttls tls=1.2 settle=300ms observe=1s reneg=unsafe\n"         /* 15 */
        "expect injection class=1,2\n"                                    /* 16 */
        "expect text \"</x>\"\n"                                          /* 17 */
        "renegotiate\n"                                                   /* 18 */
        "expect renegotiation refused-kept-open,refused-closed within 500ms\n";
    ck_assert_msg(parse(text, &s, &d) == 0, "%d:%d %s", d.d[0].line, d.d[0].col, d.d[0].msg);
    ck_assert_int_eq(s.steps[0].tls.version, -1); /* STARTTLS protocols begin in clear */
    ck_assert_int_eq(s.steps[1].kind, ST_EXPECT_LINE);
    ck_assert_str_eq(s.steps[1].texp.pat, "220 *");
    ck_assert_int_eq(s.steps[2].kind, ST_SEND_RAW);
    ck_assert_uint_eq(s.steps[2].raw.len, 8);
    ck_assert_mem_eq(s.steps[2].raw.p, "EHLO a\r\n", 8);
    ck_assert_int_eq(s.steps[3].kind, ST_EXPECT_REPLY);
    ck_assert_uint_eq(s.steps[3].texp.n_has, 1);
    ck_assert_str_eq(s.steps[3].texp.lacks[0], "AUTH");
    ck_assert_int_eq(s.steps[3].within_ms, 1000);
    const sc_step_t *st = &s.steps[6];
    ck_assert_int_eq(st->kind, ST_STARTTLS);
    ck_assert_int_eq(st->tls.version, 12);
    ck_assert_int_eq(st->tls.reneg, TLS_RENEG_UNSAFE);
    ck_assert_int_eq(st->settle_ms, 300);
    ck_assert_int_eq(st->observe_ms, 1000);
    ck_assert_uint_eq(s.steps[7].accept_mask, (1u << 1) | (1u << 2));
    ck_assert_int_eq(s.steps[8].kind, ST_EXPECT_TEXT);
    ck_assert_uint_eq(s.steps[10].accept_mask,
                      (1u << RENEG_REFUSED_KEPT_OPEN) | (1u << RENEG_REFUSED_CLOSED));
    scen_free(&s);
}
END_TEST

START_TEST(test_tls_options)
{
    scenario_t s;
    sc_diags_t d;
    const char *text = HDR("tls") "connect tls=1.1 scsv=yes\n"
                                  "expect tls-failure alert=inappropriate_fallback\n"
                                  "connect tls=1.2 reneg=none as b\n"
                                  "expect tls version=TLS1.2 ri=no\n";
    ck_assert_msg(parse(text, &s, &d) == 0, "%d:%d %s", d.d[0].line, d.d[0].col, d.d[0].msg);
    ck_assert_int_eq(s.steps[0].tls.version, 11);
    ck_assert(s.steps[0].tls.scsv);
    ck_assert_int_eq(s.steps[1].alert_desc, 86);
    ck_assert_int_eq(s.steps[2].tls.reneg, TLS_RENEG_NONE);
    ck_assert_int_eq(s.steps[3].tls_ri, 0);
    scen_free(&s);
}
END_TEST

START_TEST(test_text_errors)
{
    expect_error(HDR("smtp-starttls") "connect\nexpect line 220\n", 10, 8, "expected 'expect line");
    expect_error(HDR("smtp-starttls") "connect\nexpect reply \"250 *\" has=STARTTLS\n", 10, 26,
                 "quoted string");
    expect_error(HDR("smtp-starttls") "connect\nexpect injection class=1\n", 10, 8,
                 "there is none before it");
    expect_error(HDR("smtp-starttls") "connect\nstarttls\nexpect injection class=5\n", 11, 24,
                 "1, 2, 3 or 4");
    expect_error(HDR("smtp-starttls") "connect\nstarttls\nstarttls\n", 11, 1,
                 "already ran starttls");
    expect_error(HDR("tls") "connect\nstarttls\n", 10, 1, "still in clear");
    expect_error(HDR("smtp-starttls") "connect\nstarttls settle=soon\n", 10, 17, "duration");
    expect_error(HDR("tls") "connect tls=1.2 scsv=maybe\n", 9, 22, "scsv is yes or no");
    expect_error(HDR("tls") "connect\nrenegotiate\nexpect renegotiation maybe\n", 11, 22,
                 "accepted, refused-kept-open");
    expect_error(HDR("tls") "connect\nexpect text \"\"\n", 10, 13, "must not be empty");
    expect_error(HDR("smtp") "connect\n", 4, 11, "protocol is one of tor-link, tls, smtp-starttls");
}
END_TEST

/* ServerHello bodies built by hand: legacy_version 0303, random, empty session id, suite
 * c02f, compression 0, then the extension block. */
static size_t hello(uint8_t *out, const uint8_t *exts, size_t n_exts, bool with_block)
{
    size_t o = 0;
    out[o++] = 0x03, out[o++] = 0x03;
    memset(out + o, 0xab, 32), o += 32;
    out[o++] = 0;
    out[o++] = 0xc0, out[o++] = 0x2f;
    out[o++] = 0;
    if (with_block) {
        out[o++] = (uint8_t)(n_exts >> 8), out[o++] = (uint8_t)n_exts;
        memcpy(out + o, exts, n_exts), o += n_exts;
    }
    return o;
}

START_TEST(test_server_hello_exts)
{
    uint8_t b[128];
    tls_server_hello_t h;
    const uint8_t ri[] = { 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x17, 0x00, 0x00 };
    size_t n = hello(b, ri, sizeof(ri), true);
    ck_assert_int_eq(tls_server_hello_parse(span_of(b, n), &h), WIRE_OK);
    ck_assert_uint_eq(h.suite, 0xc02f);
    ck_assert_uint_eq(h.n_exts, 2);
    ck_assert(h.ri);
    /* No extension block at all: a legacy server, no RI. */
    n = hello(b, NULL, 0, false);
    ck_assert_int_eq(tls_server_hello_parse(span_of(b, n), &h), WIRE_OK);
    ck_assert(!h.ri);
    /* An extension whose length runs past the block, and a block with bytes after it. */
    const uint8_t bad[] = { 0xff, 0x01, 0x00, 0x05, 0x00 };
    n = hello(b, bad, sizeof(bad), true);
    ck_assert_int_eq(tls_server_hello_parse(span_of(b, n), &h), WIRE_TRUNCATED);
    n = hello(b, ri, sizeof(ri), true);
    b[n++] = 0x99;
    ck_assert_int_eq(tls_server_hello_parse(span_of(b, n), &h), WIRE_TRAILING);
    ck_assert_int_eq(tls_server_hello_parse(span_of(b, 20), &h), WIRE_TRUNCATED);
}
END_TEST

Suite *suite_scen_text(void)
{
    Suite *s = suite_create("scen_text");
    TCase *tc = tcase_create("text");
    tcase_add_test(tc, test_starttls_file);
    tcase_add_test(tc, test_tls_options);
    tcase_add_test(tc, test_text_errors);
    tcase_add_test(tc, test_server_hello_exts);
    suite_add_tcase(s, tc);
    return s;
}
