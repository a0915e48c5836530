/* scen_hello.c — see scen_hello.h. */
#include "scen_hello.h"

#include "wire_tlshello.h"

#include <errno.h>
#include <stdarg.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *key;
    sc_ch_field_t f;
    bool list;
} keys[] = {
    { "record-version", CH_RECORD_VERSION, false }, { "version", CH_VERSION, false },
    { "len", CH_LEN, false }, { "session-id-len", CH_SESSION_ID_LEN, false },
    { "suites", CH_SUITES, true }, { "exts", CH_EXTS, true }, { "groups", CH_GROUPS, true },
    { "key-shares", CH_KEY_SHARES, true }, { "versions", CH_VERSIONS, true },
    { "sni", CH_SNI, false },
};

static const char *field_key(sc_ch_field_t f)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(keys); i++)
        if (keys[i].f == f)
            return keys[i].key;
    return "?";
}

/* ---------------------------------------------------------------------------------------- */
/* Parsing. */

typedef struct pctx {
    sc_diag_fn diag;
    void *ctx;
} pctx_t;

static void say(const pctx_t *p, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(const pctx_t *p, int col, const char *fmt, ...)
{
    char msg[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    p->diag(p->ctx, col, msg);
}

/* A number 0..65535: decimal or 0x hex. */
static bool u16_of(const char *s, size_t n, uint16_t *out)
{
    char buf[12];
    if (!n || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    unsigned long v = strtoul(buf, &end, 0);
    if (*end || errno || v > 0xffff || buf[0] == '-' ||
        (buf[0] == '0' && n > 1 && buf[1] != 'x'))
        return false;
    *out = (uint16_t)v;
    return true;
}

/* VALUE of a check: a comma list (or one number), or for sni a quoted glob. */
static bool value_of(const pctx_t *p, sc_ch_check_t *c, bool list, const char *v, size_t vl,
                     int col)
{
    if (c->field == CH_SNI) {
        if (vl < 2 || v[0] != '"' || v[vl - 1] != '"' || vl - 2 >= SC_CH_CAP_GLOB ||
            memchr(v + 1, '\\', vl - 2) || memchr(v + 1, '"', vl - 2)) {
            say(p, col, "sni is a quoted glob without escapes, e.g. sni=\"www.*.com\"");
            return false;
        }
        memcpy(c->glob, v + 1, vl - 2);
        c->glob[vl - 2] = 0;
        return true;
    }
    for (size_t a = 0; a <= vl;) {
        size_t b = a;
        while (b < vl && v[b] != ',')
            b++;
        if (!list && c->n == 1) {
            say(p, col, "%s takes one number", field_key(c->field));
            return false;
        }
        if (c->n == SC_CH_CAP_LIST) {
            say(p, col, "at most %u values", SC_CH_CAP_LIST);
            return false;
        }
        if (!u16_of(v + a, b - a, &c->v[c->n++])) {
            say(p, col + (int)a, "expected a number 0-65535 (42 or 0x2a), got '%.*s'",
                (int)(b - a), v + a);
            return false;
        }
        a = b + 1;
    }
    return true;
}

/* One check from w[*i] ("KEY=V", "KEY!=V", or "KEY has V" over three words). */
static bool check_of(const pctx_t *p, const sc_word_t *w, size_t n, size_t *i, sc_ch_check_t *c)
{
    const sc_word_t *t = &w[*i];
    const char *eq = memchr(t->s, '=', t->len);
    size_t kl = eq ? (size_t)(eq - t->s) : t->len;
    c->op = CH_OP_EQ;
    if (eq && kl && t->s[kl - 1] == '!') {
        c->op = CH_OP_NE;
        kl--;
    }
    const char *v = NULL;
    size_t vl = 0;
    int vcol = 0;
    if (eq) {
        v = eq + 1;
        vl = t->len - (size_t)(v - t->s);
        vcol = t->col + (int)(v - t->s);
    } else if (*i + 2 < n && w[*i + 1].len == 3 && !memcmp(w[*i + 1].s, "has", 3)) {
        c->op = CH_OP_HAS;
        *i += 2;
        v = w[*i].s;
        vl = w[*i].len;
        vcol = w[*i].col;
    }
    for (size_t k = 0; k < HS_ARRAY_LEN(keys); k++) {
        if (strlen(keys[k].key) != kl || memcmp(keys[k].key, t->s, kl))
            continue;
        c->field = keys[k].f;
        if (!v) {
            say(p, t->col, "expected %s=VALUE, %s!=VALUE or '%s has N'", keys[k].key,
                keys[k].key, keys[k].key);
            return false;
        }
        if (c->op == CH_OP_HAS && !keys[k].list) {
            say(p, t->col, "'has' applies to lists (suites, exts, groups, key-shares, versions)");
            return false;
        }
        return value_of(p, c, keys[k].list, v, vl, vcol);
    }
    say(p, t->col, "unknown client-hello field '%.*s' (expected record-version, version, len, "
        "session-id-len, suites, exts, groups, key-shares, versions or sni)", (int)kl, t->s);
    return false;
}

void scen_hello_parse(sc_hello_args_t *a, const sc_word_t *w, size_t n, sc_diag_fn diag,
                      void *ctx)
{
    pctx_t p = { diag, ctx };
    memset(a, 0, sizeof(*a));
    for (size_t i = 2; i < n; i++) {
        if (a->n == SC_CH_CAP_CHECKS) {
            say(&p, w[i].col, "at most %u checks per expect client-hello (split them over "
                "several steps)", SC_CH_CAP_CHECKS);
            return;
        }
        if (!check_of(&p, w, n, &i, &a->c[a->n]))
            return;
        a->n++;
    }
    if (!a->n)
        say(&p, w[1].col, "expected at least one check, e.g. sni=\"www.*.com\"");
}

/* ---------------------------------------------------------------------------------------- */
/* Running. */

/* The field's value in the hello: its list (or one number) in out, or its string. */
static size_t actual(const tls_client_hello_t *h, sc_ch_field_t f, uint16_t *out)
{
    const uint16_t *src = NULL;
    size_t n = 1;
    switch (f) {
    case CH_RECORD_VERSION: out[0] = h->record_version; return 1;
    case CH_VERSION: out[0] = h->legacy_version; return 1;
    case CH_LEN: out[0] = h->body_len > 0xffff ? 0xffff : (uint16_t)h->body_len; return 1;
    case CH_SESSION_ID_LEN: out[0] = h->session_id_len; return 1;
    case CH_SUITES: src = h->suites; n = h->n_suites; break;
    case CH_EXTS: src = h->ext_types; n = h->n_exts; break;
    case CH_GROUPS: src = h->groups; n = h->n_groups; break;
    case CH_KEY_SHARES: src = h->key_shares; n = h->n_key_shares; break;
    case CH_VERSIONS: src = h->versions; n = h->n_versions; break;
    case CH_SNI:
    case CH_COUNT: return 0;
    }
    memcpy(out, src, n * sizeof(*out));
    return n;
}

static bool holds(const tls_client_hello_t *h, const sc_ch_check_t *c)
{
    if (c->field == CH_SNI) {
        bool m = h->has_sni && fnmatch(c->glob, h->sni, 0) == 0;
        return c->op == CH_OP_NE ? !m : m;
    }
    uint16_t got[TLS_CAP_CH_SUITES];
    size_t n = actual(h, c->field, got);
    if (c->op == CH_OP_HAS) {
        for (size_t i = 0; i < n; i++)
            if (got[i] == c->v[0])
                return true;
        return false;
    }
    bool eq = n == c->n && !memcmp(got, c->v, n * sizeof(got[0]));
    return c->op == CH_OP_NE ? !eq : eq;
}

static void describe(const sc_ch_check_t *c, char *buf, size_t cap)
{
    const char *op = c->op == CH_OP_EQ ? "=" : c->op == CH_OP_NE ? "!=" : " has ";
    snprintf(buf, cap, "%s%s", field_key(c->field), op);
    if (c->field == CH_SNI) {
        size_t u = strlen(buf);
        snprintf(buf + u, cap - u, "\"%s\"", c->glob);
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        size_t u = strlen(buf);
        snprintf(buf + u, cap - u, "%s0x%04x", i ? "," : "", c->v[i]);
    }
}

sc_step_rc_t scen_hello_expect(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    span_t flight = tls_conn_client_flight(&c->ch.tls);
    if (!c->accepted || !c->tls) {
        scen_outcome(x, SO_HARNESS, "expect client-hello needs a TLS connection the target "
                     "opened to us");
        return STEP_ERROR;
    }
    tls_client_hello_t *h = calloc(1, sizeof(*h));
    if (!h) {
        scen_outcome(x, SO_HARNESS, "out of memory");
        return STEP_ERROR;
    }
    sc_step_rc_t rc = STEP_OK;
    wire_status_t ws = tls_client_hello_from_stream(flight, h);
    char sum[900];
    if (ws != WIRE_OK) {
        scen_outcome(x, SO_OTHER_REPLY, "the client's first %zu bytes%s are not a well-formed "
                     "ClientHello: %s", flight.len, c->ch.tls.client_flight_cut ? " (cut at the "
                     "cap)" : "", wire_status_str(ws));
        rc = STEP_MISMATCH;
    }
    tls_client_hello_summary(h, sum, sizeof(sum));
    for (size_t i = 0; rc == STEP_OK && i < st->hello->n; i++) {
        if (holds(h, &st->hello->c[i]))
            continue;
        char want[420];
        describe(&st->hello->c[i], want, sizeof(want));
        scen_outcome(x, SO_OTHER_REPLY, "%s; expected %s", sum, want);
        rc = STEP_MISMATCH;
    }
    if (rc == STEP_OK)
        scen_outcome(x, SO_EXPECTED, "%s", sum);
    free(h);
    return rc;
}
