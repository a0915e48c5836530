/* scen_rawtls.c — see scen_rawtls.h. */
#include "scen_rawtls.h"

#include "hs_clock.h"
#include "hs_rand.h"
#include "wire_tls_alert.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A modern TLS 1.2 client's offer (ECDHE/DHE AEAD first, then CBC, then the RFC 5746 SCSV,
 * which is how a hello without extensions asks for secure renegotiation). */
static const uint16_t default_suites[] = {
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0x009e, 0x009f,
    0xc013, 0xc014, 0x002f, 0x0035, 0x00ff,
};

/* After the ServerHello decided the step, the rest of the server's flight is read for the
 * evidence until ServerHelloDone, an alert, encryption, or this much quiet. */
#define RAWTLS_FLIGHT_GRACE_MS 250

/* ---------------------------------------------------------------------------------------- */
/* Parsing. */

typedef struct pctx {
    sc_diag_fn diag;
    void *ctx;
    bool bad;
} pctx_t;

static void perr(pctx_t *p, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(pctx_t *p, int col, const char *fmt, ...)
{
    char msg[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    p->bad = true;
    p->diag(p->ctx, col, msg);
}

static bool word_is(const sc_word_t *w, const char *s)
{
    return w->len == strlen(s) && !memcmp(w->s, s, w->len);
}

static bool num(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    char buf[32];
    if (!n || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    if (buf[0] == '0' && n > 1 && buf[1] != 'x' && buf[1] != 'X')
        return false; /* no octal surprises */
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 0);
    if (*end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool version_value(pctx_t *p, int col, const char *s, size_t n, uint16_t *out)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "%.*s", (int)(n < 15 ? n : 15), s);
    uint16_t v = tls_version_from_name(buf);
    int64_t raw;
    if (!v && num(s, n, 0, 0xffff, &raw) && n > 2 && s[1] == 'x')
        v = (uint16_t)raw;
    if (!v) {
        perr(p, col, "version is TLS1.0, TLS1.1, TLS1.2, TLS1.3, SSL3.0 or 0xNNNN; got '%.*s'",
             (int)n, s);
        return false;
    }
    *out = v;
    return true;
}

static bool duration(pctx_t *p, int col, const sc_word_t *w, int64_t *ms)
{
    int64_t v;
    if (w->len > 2 && !memcmp(w->s + w->len - 2, "ms", 2) && num(w->s, w->len - 2, 1, 600000, &v)) {
        *ms = v;
        return true;
    }
    if (w->len > 1 && w->s[w->len - 1] == 's' && num(w->s, w->len - 1, 1, 600, &v)) {
        *ms = v * 1000;
        return true;
    }
    perr(p, col, "expected a duration between 1ms and 600s, e.g. 500ms or 2s; got '%.*s'",
         (int)w->len, w->s);
    return false;
}

static int hexdig(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* hex:… / zeros:N / random:N into a fixed buffer of cap bytes. */
static bool bytes_value(pctx_t *p, int col, const char *s, size_t n, uint8_t *out, size_t cap,
                        size_t *len, bool *random)
{
    int64_t k;
    *random = false;
    if (n > 4 && !memcmp(s, "hex:", 4)) {
        if ((n - 4) % 2 || (n - 4) / 2 > cap) {
            perr(p, col, "hex: needs an even number of digits, at most %zu bytes", cap);
            return false;
        }
        for (size_t i = 0; i < (n - 4) / 2; i++) {
            int hi = hexdig(s[4 + 2 * i]), lo = hexdig(s[5 + 2 * i]);
            if (hi < 0 || lo < 0) {
                perr(p, col + 4 + (int)(2 * i), "not a hex digit");
                return false;
            }
            out[i] = (uint8_t)(hi << 4 | lo);
        }
        *len = (n - 4) / 2;
        return true;
    }
    bool z = n > 6 && !memcmp(s, "zeros:", 6), r = n > 7 && !memcmp(s, "random:", 7);
    if ((z || r) && num(s + (z ? 6 : 7), n - (z ? 6 : 7), 0, (int64_t)cap, &k)) {
        memset(out, 0, cap);
        *len = (size_t)k;
        *random = r;
        return true;
    }
    perr(p, col, "expected bytes: hex:…, zeros:N or random:N (at most %zu bytes); got '%.*s'",
         cap, (int)n, s);
    return false;
}

static bool list_value(pctx_t *p, int col, const char *s, size_t n, int64_t hi, int64_t *out,
                       size_t cap, size_t *count)
{
    *count = 0;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != ',')
            j++;
        if (*count == cap) {
            perr(p, col, "at most %zu values", cap);
            return false;
        }
        if (!num(s + i, j - i, 0, hi, &out[*count])) {
            perr(p, col + (int)i, "expected a number 0..0x%llx (e.g. 0xc02f); got '%.*s'",
                 (long long)hi, (int)(j - i), s + i);
            return false;
        }
        (*count)++;
        i = j + 1;
    }
    return true;
}

static void parse_send(pctx_t *p, sc_step_t *st, const sc_word_t *w, size_t n)
{
    sc_rawtls_args_t *a = &st->rawtls;
    a->version = 0x0303;
    a->challenge_random = true;
    a->challenge_len = 32;
    a->truncate = -1;
    a->n_suites = HS_ARRAY_LEN(default_suites);
    memcpy(a->suites, default_suites, sizeof(default_suites));
    bool suites_given = false;
    int chal_col = 0;
    size_t i = 2;
    for (; i < n && !word_is(&w[i], "|"); i++) {
        const sc_word_t *t = &w[i];
        const char *eq = memchr(t->s, '=', t->len);
        if (word_is(t, "unchecked")) {
            a->unchecked = true;
            continue;
        }
        if (!eq) {
            perr(p, t->col, "expected version=, suites=, v2specs=, challenge=, unchecked or "
                 "'| MUTATION'; got '%.*s'", (int)t->len, t->s);
            return;
        }
        size_t kl = (size_t)(eq - t->s), vl = t->len - kl - 1;
        const char *v = eq + 1;
        int vc = t->col + (int)kl + 1;
        int64_t vals[SC_RAWTLS_CAP_SUITES];
        size_t cnt;
        if (kl == 7 && !memcmp(t->s, "version", 7)) {
            if (!version_value(p, vc, v, vl, &a->version))
                return;
        } else if (kl == 6 && !memcmp(t->s, "suites", 6)) {
            if (vl == 4 && !memcmp(v, "none", 4)) {
                a->n_suites = 0;
            } else {
                if (!list_value(p, vc, v, vl, 0xffff, vals, SC_RAWTLS_CAP_SUITES, &cnt))
                    return;
                for (size_t k = 0; k < cnt; k++)
                    a->suites[k] = (uint16_t)vals[k];
                a->n_suites = cnt;
            }
            suites_given = true;
        } else if (kl == 7 && !memcmp(t->s, "v2specs", 7)) {
            if (!list_value(p, vc, v, vl, 0xffffff, vals, SC_RAWTLS_CAP_V2, &cnt))
                return;
            for (size_t k = 0; k < cnt; k++)
                a->v2[k] = (uint32_t)vals[k];
            a->n_v2 = cnt;
        } else if (kl == 9 && !memcmp(t->s, "challenge", 9)) {
            if (!bytes_value(p, vc, v, vl, a->challenge, SC_RAWTLS_CAP_CHALLENGE,
                             &a->challenge_len, &a->challenge_random))
                return;
            chal_col = vc;
        } else {
            perr(p, t->col, "unknown sslv2-hello field '%.*s' (expected version, suites, "
                 "v2specs, challenge)", (int)kl, t->s);
            return;
        }
    }
    (void)suites_given;
    if (a->n_suites + a->n_v2 == 0)
        perr(p, w[1].col, "an SSLv2-format hello needs at least one cipher spec (suites= or "
             "v2specs=)");
    if (!a->unchecked && (a->challenge_len < 16 || a->challenge_len > 32))
        perr(p, chal_col ? chal_col : w[1].col, "the challenge is 16..32 bytes (RFC 5246 E.2); "
             "add 'unchecked' to send a %zu-byte one on purpose", a->challenge_len);
    /* mutations on the encoded record: | truncate N | poke OFFSET hex:… */
    while (i < n) {
        if (i + 1 >= n) {
            perr(p, w[i].col, "expected a mutation after '|': truncate N or poke OFFSET BYTES");
            return;
        }
        const sc_word_t *m = &w[i + 1];
        int64_t v;
        if (word_is(m, "truncate") && i + 2 < n && num(w[i + 2].s, w[i + 2].len, 0, 0xffff, &v)) {
            a->truncate = v;
            i += 3;
        } else if (word_is(m, "poke") && i + 3 < n &&
                   num(w[i + 2].s, w[i + 2].len, 0, 0xffff, &v)) {
            if (a->n_pokes == SC_RAWTLS_CAP_POKES) {
                perr(p, m->col, "at most %u pokes", SC_RAWTLS_CAP_POKES);
                return;
            }
            sc_rawtls_poke_t *pk = &a->pokes[a->n_pokes++];
            bool rnd;
            pk->off = (size_t)v;
            if (!bytes_value(p, w[i + 3].col, w[i + 3].s, w[i + 3].len, pk->b,
                             SC_RAWTLS_CAP_POKE_LEN, &pk->len, &rnd))
                return;
            if (rnd) {
                perr(p, w[i + 3].col, "poke takes literal bytes (hex: or zeros:)");
                return;
            }
            i += 4;
        } else {
            perr(p, m->col, "expected 'truncate N' or 'poke OFFSET BYTES' after '|'");
            return;
        }
        if (i < n && !word_is(&w[i], "|")) {
            perr(p, w[i].col, "expected '|' before the next mutation");
            return;
        }
    }
}

static void parse_expect(pctx_t *p, sc_step_t *st, const sc_word_t *w, size_t n, bool hello)
{
    sc_rawtls_args_t *a = &st->rawtls;
    a->want_suite = -1;
    a->want_ri = -1;
    for (size_t i = 2; i < n; i++) {
        const sc_word_t *t = &w[i];
        if (word_is(t, "within")) {
            if (i + 1 >= n) {
                perr(p, t->col, "expected a duration after 'within', e.g. within 1s");
                return;
            }
            if (!duration(p, w[i + 1].col, &w[i + 1], &st->within_ms))
                return;
            i++;
            continue;
        }
        const char *eq = memchr(t->s, '=', t->len);
        size_t kl = eq ? (size_t)(eq - t->s) : t->len, vl = eq ? t->len - kl - 1 : 0;
        const char *v = eq ? eq + 1 : "";
        int vc = t->col + (int)kl + 1;
        int64_t x;
        char val[48];
        snprintf(val, sizeof(val), "%.*s", (int)(vl < 47 ? vl : 47), v);
        if (!eq) {
            perr(p, t->col, "expected KEY=VALUE or 'within DUR', got '%.*s'", (int)t->len, t->s);
            return;
        }
        if (hello && kl == 7 && !memcmp(t->s, "version", 7)) {
            if (!version_value(p, vc, v, vl, &a->want_version))
                return;
        } else if (hello && kl == 5 && !memcmp(t->s, "suite", 5)) {
            if (!num(v, vl, 0, 0xffff, &x)) {
                perr(p, vc, "suite is a number such as 0xc02f; got '%s'", val);
                return;
            }
            a->want_suite = (int)x;
        } else if (hello && kl == 2 && !memcmp(t->s, "ri", 2)) {
            if (!strcmp(val, "yes") || !strcmp(val, "no"))
                a->want_ri = !strcmp(val, "yes");
            else {
                perr(p, vc, "ri is yes or no; got '%s'", val);
                return;
            }
        } else if (!hello && kl == 5 && !memcmp(t->s, "level", 5)) {
            if (!strcmp(val, "warning") || !strcmp(val, "fatal"))
                st->alert_level = !strcmp(val, "warning") ? 1 : 2;
            else {
                perr(p, vc, "level is warning or fatal; got '%s'", val);
                return;
            }
        } else if (!hello && kl == 4 && !memcmp(t->s, "desc", 4)) {
            st->alert_desc = tls_alert_from_name(val);
            if (st->alert_desc < 0 && num(v, vl, 0, 255, &x))
                st->alert_desc = (int)x;
            if (st->alert_desc < 0) {
                perr(p, vc, "unknown alert '%s' (use the RFC name, e.g. handshake_failure, or "
                     "a number)", val);
                return;
            }
        } else {
            perr(p, t->col, "unknown key '%.*s' (expected %s)", (int)kl, t->s,
                 hello ? "version=, suite=, ri=, within DUR" : "level=, desc=, within DUR");
            return;
        }
    }
}

void scen_rawtls_parse(sc_step_t *st, const sc_word_t *w, size_t n, sc_diag_fn diag, void *ctx)
{
    pctx_t p = { .diag = diag, .ctx = ctx };
    if (st->kind == ST_SEND_SSLV2_HELLO)
        parse_send(&p, st, w, n);
    else
        parse_expect(&p, st, w, n, st->kind == ST_EXPECT_SERVER_HELLO);
}

/* ---------------------------------------------------------------------------------------- */
/* Running. */


bool scen_rawtls_owns(const sc_ctx_t *x, const sc_step_t *st)
{
    if (st->kind == ST_SEND_SSLV2_HELLO || st->kind == ST_EXPECT_SERVER_HELLO ||
        st->kind == ST_EXPECT_ALERT_RECORD)
        return true;
    if (st->conn < 0 || !x->run->conns[st->conn].rawtls)
        return false;
    return st->kind == ST_EXPECT_CLOSE || st->kind == ST_EXPECT_SILENCE;
}

static sc_rawtls_rt_t *rt_of(sc_ctx_t *x, sc_conn_rt_t *c)
{
    if (!c->rawtls) {
        c->rawtls = malloc(sizeof(*c->rawtls));
        if (!c->rawtls) {
            scen_outcome(x, SO_HARNESS, "out of memory");
            return NULL;
        }
        tlsflight_init(&c->rawtls->flight);
        c->rawtls->seen_events = 0;
    }
    return c->rawtls;
}

static sc_raw_rc_t do_send(sc_ctx_t *x, const sc_step_t *st, sc_conn_rt_t *c)
{
    const sc_rawtls_args_t *a = &st->rawtls;
    if (!rt_of(x, c))
        return SC_RAW_ERROR;
    uint8_t chal[SC_RAWTLS_CAP_CHALLENGE];
    memcpy(chal, a->challenge, sizeof(chal));
    if (a->challenge_random && hs_rand_bytes(chal, a->challenge_len) != 0) {
        scen_outcome(x, SO_HARNESS, "no random bytes for the challenge");
        return SC_RAW_ERROR;
    }
    sslv2_hello_t h = { .version = a->version, .suites = a->suites, .n_suites = a->n_suites,
                        .v2_specs = a->v2, .n_v2_specs = a->n_v2,
                        .challenge = span_of(chal, a->challenge_len),
                        .any_challenge_len = a->unchecked };
    bld_t b;
    bld_init(&b, SSLV2_CAP_RECORD + 2);
    sslv2_hello_build(&b, &h);
    for (size_t k = 0; k < a->n_pokes && bld_ok(&b); k++) {
        const sc_rawtls_poke_t *pk = &a->pokes[k];
        if (pk->off > b.len || b.len - pk->off < pk->len)
            bld_fail(&b, "poke beyond the end of the hello");
        else
            memcpy(b.buf + pk->off, pk->b, pk->len);
    }
    if (bld_ok(&b) && a->truncate >= 0) {
        if ((size_t)a->truncate > b.len)
            bld_fail(&b, "truncate beyond the end of the hello");
        else
            b.len = (size_t)a->truncate;
    }
    if (!bld_ok(&b)) {
        scen_outcome(x, SO_HARNESS, "cannot build the SSLv2-format hello: %s", b.why);
        bld_free(&b);
        return SC_RAW_ERROR;
    }
    link_io_t io = link_chan_send_raw(&c->ch, bld_span(&b),
                                      hs_deadline_in_ms(scen_within(x, st)));
    bld_free(&b);
    if (io == LINK_HARNESS) {
        scen_outcome(x, SO_HARNESS, "%s", c->ch.err);
        return SC_RAW_ERROR;
    }
    if (io != LINK_OK)
        c->write_failed = true; /* the next expectation sees the close when it reads */
    return SC_RAW_OK;
}

/* Reads and frames records into the flight until stop() holds, the connection ends or the
 * deadline passes.  Returns LINK_OK when stop() held. */
typedef bool (*stop_fn)(const tls_flight_t *f, size_t from);

static link_io_t read_until(sc_conn_rt_t *c, sc_rawtls_rt_t *rt, stop_fn stop, hs_ns_t deadline)
{
    for (;;) {
        if (stop && stop(&rt->flight, rt->seen_events))
            return LINK_OK;
        tlsrec_t rec;
        wire_status_t ws = tlsrec_frame(span_of(c->ch.rx, c->ch.rx_len), &rec);
        if (ws == WIRE_OK) {
            span_t bytes = link_chan_take(&c->ch, rec.wire_len);
            if (tlsrec_frame(bytes, &rec) == WIRE_OK) /* re-pointed at the stable copy */
                tlsflight_add(&rt->flight, &rec);
            continue;
        }
        if (ws == WIRE_BAD_VALUE) {
            char why[96];
            uint8_t b0 = 0;
            span_t pend = span_of(c->ch.rx, c->ch.rx_len);
            if (!span_peek_u8(&pend, 0, &b0))
                b0 = 0; /* cannot happen: BAD_VALUE needs a first byte */
            snprintf(why, sizeof(why), "%zu bytes that are not a TLS record (first byte 0x%02x)",
                     c->ch.rx_len, b0);
            (void)link_chan_take(&c->ch, c->ch.rx_len);
            if (!rt->flight.bad)
                snprintf(rt->flight.bad_why, sizeof(rt->flight.bad_why), "%s", why);
            rt->flight.bad = true;
            return LINK_OK;
        }
        link_io_t io = link_chan_fill(&c->ch, deadline);
        if (io != LINK_OK)
            return io;
    }
}

static bool any_new(const tls_flight_t *f, size_t from) { return f->n_events > from || f->bad; }
static bool sh_or_alert(const tls_flight_t *f, size_t from)
{
    (void)from;
    return f->have_sh || f->have_alert || f->bad;
}
static bool flight_end(const tls_flight_t *f, size_t from)
{
    (void)from;
    return f->have_done || f->have_alert || f->encrypted || f->bad;
}

/* What the connection's read ended with, as the outcome; the summary is the evidence. */
static sc_raw_rc_t end_outcome(sc_ctx_t *x, sc_conn_rt_t *c, link_io_t io, int64_t ms,
                               const char *summary)
{
    sc_run_t *r = x->run;
    switch (io) {
    case LINK_CLOSED:
    case LINK_RESET:
        scen_note_close(x, c, io == LINK_RESET);
        scen_outcome(x, SO_CLOSE, "the target closed the connection (%s) %.1f ms after it opened; "
                    "received: %s%s", io == LINK_RESET ? "RST" : "FIN", r->close_ms, summary,
                    c->ch.rx_len ? " (and a partial record)" : "");
        return SC_RAW_MISMATCH;
    case LINK_TIMEOUT:
        r->pending_bytes = c->ch.rx_len;
        scen_outcome(x, c->ch.rx_len ? SO_STALL : SO_SILENCE, "nothing more for %lld ms; "
                    "received: %s%s", (long long)ms, summary,
                    c->ch.rx_len ? " (and a partial record)" : "");
        return SC_RAW_MISMATCH;
    case LINK_HARNESS:
        scen_outcome(x, SO_HARNESS, "%s", c->ch.err[0] ? c->ch.err : c->ch.tls.err);
        return SC_RAW_ERROR;
    default:
        scen_outcome(x, SO_TLS_FAILURE, "%s; received: %s", link_io_str(io), summary);
        return SC_RAW_MISMATCH;
    }
}

static void note_alert(sc_ctx_t *x, const tls_flight_t *f)
{
    x->run->alert_level = f->alert_level;
    x->run->alert_desc = f->alert_desc;
    snprintf(x->run->outcome_cmd, sizeof(x->run->outcome_cmd), "alert");
}

static sc_raw_rc_t expect_server_hello(sc_ctx_t *x, const sc_step_t *st, sc_conn_rt_t *c,
                                       sc_rawtls_rt_t *rt)
{
    int64_t ms = scen_within(x, st);
    hs_ns_t deadline = hs_deadline_in_ms(ms);
    tls_flight_t *f = &rt->flight;
    char sum[sizeof(x->run->detail) - 200];
    link_io_t io = read_until(c, rt, sh_or_alert, deadline);
    if (io == LINK_OK && f->have_sh && !flight_end(f, 0)) {
        /* Decided; the rest of the flight is evidence, read while it keeps coming. */
        hs_ns_t grace = hs_deadline_in_ms(RAWTLS_FLIGHT_GRACE_MS);
        (void)read_until(c, rt, flight_end, grace < deadline ? grace : deadline);
    }
    tlsflight_summary(f, sum, sizeof(sum));
    rt->seen_events = f->n_events;
    if (io != LINK_OK)
        return end_outcome(x, c, io, ms, sum);
    if (!f->have_sh) {
        if (f->have_alert) {
            note_alert(x, f);
            scen_outcome(x, SO_ALERT, "no ServerHello; received: %s", sum);
        } else {
            scen_outcome(x, SO_OTHER_REPLY, "no ServerHello; received: %s", sum);
        }
        return SC_RAW_MISMATCH;
    }
    snprintf(x->run->outcome_cmd, sizeof(x->run->outcome_cmd), "ServerHello");
    if (f->sh_status != WIRE_OK) {
        scen_outcome(x, SO_OTHER_REPLY, "a malformed ServerHello (%s); received: %s",
                    wire_status_str(f->sh_status), sum);
        return SC_RAW_MISMATCH;
    }
    const sc_rawtls_args_t *a = &st->rawtls;
    uint16_t v = tls_server_hello_version(&f->sh);
    char why[120] = "";
    if (a->want_version && v != a->want_version)
        snprintf(why, sizeof(why), "version 0x%04x, expected 0x%04x (%s)", v, a->want_version,
                 tls_version_name(a->want_version) ? tls_version_name(a->want_version) : "?");
    else if (a->want_suite >= 0 && f->sh.suite != a->want_suite)
        snprintf(why, sizeof(why), "suite 0x%04x, expected 0x%04x", f->sh.suite,
                 (unsigned)a->want_suite);
    else if (a->want_ri >= 0 && f->sh.ri != (a->want_ri == 1))
        snprintf(why, sizeof(why), "renegotiation_info %s, expected %s", f->sh.ri ? "yes" : "no",
                 a->want_ri ? "yes" : "no");
    if (why[0]) {
        scen_outcome(x, SO_OTHER_REPLY, "ServerHello with %s; received: %s", why, sum);
        return SC_RAW_MISMATCH;
    }
    scen_outcome(x, SO_EXPECTED, "received: %s", sum);
    return SC_RAW_OK;
}

static sc_raw_rc_t expect_alert_record(sc_ctx_t *x, const sc_step_t *st, sc_conn_rt_t *c,
                                       sc_rawtls_rt_t *rt)
{
    int64_t ms = scen_within(x, st);
    hs_ns_t deadline = hs_deadline_in_ms(ms);
    tls_flight_t *f = &rt->flight;
    char sum[sizeof(x->run->detail) - 200];
    size_t from = rt->seen_events;
    link_io_t io = read_until(c, rt, any_new, deadline);
    if (io == LINK_OK && f->have_sh && !flight_end(f, 0)) {
        hs_ns_t grace = hs_deadline_in_ms(RAWTLS_FLIGHT_GRACE_MS);
        (void)read_until(c, rt, flight_end, grace < deadline ? grace : deadline);
    }
    tlsflight_summary(f, sum, sizeof(sum));
    if (io != LINK_OK) {
        rt->seen_events = f->n_events;
        return end_outcome(x, c, io, ms, sum);
    }
    const tls_event_t *e = from < f->n_events ? &f->ev[from] : NULL;
    rt->seen_events = f->n_events;
    if (!e || e->kind != TEV_ALERT) {
        scen_outcome(x, SO_OTHER_REPLY, "no alert; received: %s", sum);
        return SC_RAW_MISMATCH;
    }
    x->run->alert_level = e->level;
    x->run->alert_desc = e->desc;
    snprintf(x->run->outcome_cmd, sizeof(x->run->outcome_cmd), "alert");
    scen_outcome(x, SO_ALERT, "received: %s", sum);
    bool ok = (st->alert_level < 0 || st->alert_level == e->level) &&
              (st->alert_desc < 0 || st->alert_desc == e->desc);
    if (ok)
        x->run->outcome = SO_EXPECTED;
    return ok ? SC_RAW_OK : SC_RAW_MISMATCH;
}

/* expect close / expect silence on a raw connection: a record arriving is the other reply. */
static sc_raw_rc_t expect_end(sc_ctx_t *x, const sc_step_t *st, sc_conn_rt_t *c,
                              sc_rawtls_rt_t *rt)
{
    bool silence = st->kind == ST_EXPECT_SILENCE;
    int64_t ms = silence ? st->within_ms : scen_within(x, st);
    tls_flight_t *f = &rt->flight;
    char sum[sizeof(x->run->detail) - 200];
    link_io_t io = read_until(c, rt, any_new, hs_deadline_in_ms(ms));
    tlsflight_summary(f, sum, sizeof(sum));
    rt->seen_events = f->n_events;
    if (io == LINK_OK) {
        if (f->have_alert)
            note_alert(x, f);
        scen_outcome(x, SO_OTHER_REPLY, "a record instead of %s; received: %s",
                    silence ? "silence" : "a close", sum);
        return SC_RAW_MISMATCH;
    }
    sc_raw_rc_t rc = end_outcome(x, c, io, ms, sum);
    if (rc == SC_RAW_ERROR)
        return rc;
    if (silence)
        return io == LINK_TIMEOUT && !c->ch.rx_len ? SC_RAW_OK : SC_RAW_MISMATCH;
    if (io != LINK_CLOSED && io != LINK_RESET)
        return SC_RAW_MISMATCH;
    if ((st->close_kind == 1 && io != LINK_CLOSED) || (st->close_kind == 2 && io != LINK_RESET))
        return SC_RAW_MISMATCH;
    return SC_RAW_OK;
}

sc_raw_rc_t scen_rawtls_step(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    if (!c->started || !c->ch.tls.plain) {
        scen_outcome(x, SO_HARNESS, "raw TLS steps need an open 'connect tls=none' connection");
        return SC_RAW_ERROR;
    }
    if (st->kind == ST_SEND_SSLV2_HELLO)
        return do_send(x, st, c);
    sc_rawtls_rt_t *rt = rt_of(x, c);
    if (!rt)
        return SC_RAW_ERROR;
    switch (st->kind) {
    case ST_EXPECT_SERVER_HELLO: return expect_server_hello(x, st, c, rt);
    case ST_EXPECT_ALERT_RECORD: return expect_alert_record(x, st, c, rt);
    default: return expect_end(x, st, c, rt);
    }
}
