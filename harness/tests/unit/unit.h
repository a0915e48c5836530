/* unit.h — shared helpers for the libcheck suites: hex in, byte-exact assertions out.
 *
 * ck_assert_bytes_eq prints both sides as hex on mismatch, so a failing codec test shows
 * exactly which byte moved (STYLE.md: "assertions on exact bytes with a hex dump"). */
#ifndef UNIT_H
#define UNIT_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

/* Decodes hex (spaces allowed) into a malloc'd buffer; aborts the test on bad input. */
static inline uint8_t *unit_hex(const char *hex, size_t *len_out)
{
    size_t n = strlen(hex);
    uint8_t *out = malloc(n / 2 + 1);
    size_t o = 0;
    int hi = -1;
    ck_assert_ptr_nonnull(out);
    for (size_t i = 0; i < n; i++) {
        char c = hex[i];
        int v;
        if (c == ' ' || c == '\n' || c == '|')
            continue;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else ck_abort_msg("bad hex char '%c' in test data", c);
        if (hi < 0) hi = v;
        else { out[o++] = (uint8_t)(hi << 4 | v); hi = -1; }
    }
    ck_assert_msg(hi < 0, "odd number of hex digits in test data");
    *len_out = o;
    return out;
}

static inline char *unit_tohex(const uint8_t *p, size_t n)
{
    char *s = malloc(n * 3 + 1);
    s[0] = 0;
    for (size_t i = 0; i < n; i++)
        sprintf(s + 3 * i, "%02x%s", p[i], (i + 1) % 32 ? " " : "\n");
    return s;
}

#define ck_assert_bytes_eq(got, got_len, want, want_len)                                         \
    do {                                                                                         \
        const uint8_t *g_ = (const uint8_t *)(got);                                              \
        const uint8_t *w_ = (const uint8_t *)(want);                                             \
        size_t gl_ = (got_len), wl_ = (want_len);                                                \
        if (gl_ != wl_ || (gl_ && memcmp(g_, w_, gl_) != 0)) {                                   \
            char *gh_ = unit_tohex(g_, gl_), *wh_ = unit_tohex(w_, wl_);                         \
            ck_abort_msg("bytes differ (got %zu, want %zu)\n got: %s\nwant: %s", gl_, wl_, gh_,   \
                         wh_);                                                                   \
        }                                                                                        \
    } while (0)

/* One constructor per module suite; test_main.c runs them all. */
Suite *suite_span(void);
Suite *suite_cell(void);
Suite *suite_payloads(void);
Suite *suite_edcert(void);
Suite *suite_crosscert(void);
Suite *suite_crypto(void);
Suite *suite_certs_verify(void);
Suite *suite_initiator_table(void);
Suite *suite_tls_client(void);
Suite *suite_scen_parse(void);
Suite *suite_scen_build(void);
Suite *suite_scen_certedit(void);
Suite *suite_scen_text(void);
Suite *suite_relay_crypto(void);
Suite *suite_json(void);
Suite *suite_vectors(void);
Suite *suite_tlsrec(void);
Suite *suite_auth_verify(void);
Suite *suite_tlshello(void);

#endif
