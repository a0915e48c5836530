/* scen_match.c — reads a field out of a received (or captured) cell and compares it with an
 * expectation's constraint.
 *
 * Both sides of a comparison become an "actual" value first (a literal in the file, a field of
 * a captured cell, or a field of the cell just received), so `challenge!=$ch.challenge` and
 * `versions=3,4,5` go through one comparison.  A field that cannot be read because the cell
 * is malformed is reported as such: that is evidence against the target, not a harness error. */
#include "scen_match.h"
#include "wire_relay.h"

#include "bytes_encode.h"
#include "crypto_digest.h"
#include "hs_clock.h"
#include "link_certs_verify.h"
#include "scen_build.h"
#include "wire_auth.h"
#include "wire_certs.h"
#include "wire_circ.h"
#include "wire_versions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void list_from(sc_actual_t *a, const uint16_t *v, size_t n)
{
    a->kind = V_LIST;
    a->n = n < SC_CAP_LIST ? n : SC_CAP_LIST;
    for (size_t i = 0; i < a->n; i++)
        a->list[i] = v[i];
}

static bool unreadable(sc_actual_t *a, const char *field, const char *why)
{
    a->ok = false;
    snprintf(a->why, sizeof(a->why), "%s: %s", field, why);
    return false;
}

bool scen_extract(const cell_t *c, sc_field_t f, sc_conn_rt_t *conn, const sc_env_t *env,
                  sc_actual_t *a)
{
    /* env: our identity, for judging an initiator's AUTHENTICATE */
    memset(a, 0, sizeof(*a));
    a->ok = true;
    a->kind = V_INT;
    switch (f) {
    case F_CIRC: a->i = c->circ_id; return true;
    case F_WIDTH: a->i = c->circ_width; return true;
    case F_LEN: a->i = (int64_t)c->body.len; return true;
    case F_BODY:
        a->kind = V_BYTES;
        a->bytes = c->body;
        return true;
    case F_VERSIONS: {
        versions_cell_t v;
        if (versions_parse(c->body, &v) != WIRE_OK)
            return unreadable(a, "versions", "odd-length VERSIONS body");
        list_from(a, v.v, v.n);
        return true;
    }
    case F_TIME:
    case F_SKEW:
    case F_OTHER:
    case F_MY: {
        netinfo_cell_t n;
        if (netinfo_parse(c->body, &n) != WIRE_OK)
            return unreadable(a, sc_field_name(f), "NETINFO body is truncated");
        if (f == F_TIME) {
            a->i = n.time;
        } else if (f == F_SKEW) {
            int64_t d = hs_wall_s() - (int64_t)n.time;
            a->i = d < 0 ? -d : d;
        } else if (f == F_OTHER) {
            a->kind = V_ADDR;
            a->addrs[0] = n.other;
            a->n = 1;
        } else {
            a->kind = V_ADDRS;
            a->n = n.n_kept;
            memcpy(a->addrs, n.my, n.n_kept * sizeof(n.my[0]));
        }
        return true;
    }
    case F_TYPES:
    case F_VALID:
    case F_FAILURE: {
        certs_cell_t cc;
        if (certs_parse(c->body, &cc) != WIRE_OK)
            return unreadable(a, sc_field_name(f), "CERTS body does not parse");
        if (f == F_TYPES) {
            a->kind = V_LIST;
            a->n = cc.n;
            for (size_t i = 0; i < cc.n; i++)
                a->list[i] = cc.e[i].type;
            return true;
        }
        span_t der = span_of(NULL, 0);
        if (!conn->ch.tls.s || tls_conn_peer_cert(&conn->ch.tls, &der) != 0)
            der = span_of(NULL, 0);
        certs_verdict_t *v = calloc(1, sizeof(*v));
        /* On a connection the target opened to us, its CERTS is an initiator's chain. */
        certs_peer_role_t role = conn->accepted ? CERTS_PEER_INITIATOR : CERTS_PEER_RESPONDER;
        if (conn->accepted)
            der = span_of(NULL, 0);
        if (!v || certs_verify(&cc, role, der, hs_wall_s(), v) != 0) {
            free(v);
            a->ok = false;
            a->harness = true;
            snprintf(a->why, sizeof(a->why), "certificate verification failed to run");
            return false;
        }
        a->kind = V_WORD;
        if (f == F_VALID)
            snprintf(a->word, sizeof(a->word), "%s", v->ok ? "yes" : "no");
        else
            snprintf(a->word, sizeof(a->word), "%s",
                     v->first_failure_id ? v->first_failure_id : "none");
        snprintf(a->why, sizeof(a->why), "%s", v->first_failure);
        free(v);
        return true;
    }
    case F_CHALLENGE:
    case F_METHODS: {
        auth_challenge_t ch;
        if (auth_challenge_parse(c->body, &ch) != WIRE_OK)
            return unreadable(a, sc_field_name(f), "AUTH_CHALLENGE is not well-formed");
        if (f == F_CHALLENGE) {
            a->kind = V_BYTES;
            a->bytes = span_of(c->body.p, 32); /* the first 32 bytes of the body */
        } else {
            list_from(a, ch.methods, ch.n_methods);
        }
        return true;
    }
    case F_AUTH_TYPE:
    case F_AUTHLEN: {
        uint16_t v;
        if (!span_peek_u16(&c->body, f == F_AUTH_TYPE ? 0 : 2, &v))
            return unreadable(a, sc_field_name(f), "AUTHENTICATE body too short");
        a->i = v;
        return true;
    }
    case F_KH: {
        created_fast_t cf;
        if (created_fast_parse(c->body, &cf) != WIRE_OK)
            return unreadable(a, "kh", "CREATED_FAST truncated");
        const uint8_t *x = NULL;
        for (size_t i = 0; i < conn->n_circs; i++)
            if (conn->circ_ids[i] == c->circ_id)
                x = conn->circ_keys[i];
        a->kind = V_WORD;
        if (!x) {
            snprintf(a->word, sizeof(a->word), "bad");
            snprintf(a->why, sizeof(a->why), "no CREATE_FAST was sent on circuit %u",
                     c->circ_id);
            return true;
        }
        uint8_t kh[HS_SHA1_LEN];
        if (crypto_kdf_tor_kh(x, cf.y, kh) != 0) {
            a->ok = false;
            a->harness = true;
            return false;
        }
        snprintf(a->word, sizeof(a->word), "%s", memcmp(kh, cf.kh, HS_SHA1_LEN) ? "bad" : "ok");
        return true;
    }
    case F_RCMD:
        a->kind = V_WORD;
        if (!conn->relay_ok) {
            snprintf(a->word, sizeof(a->word), "unrecognized");
            snprintf(a->why, sizeof(a->why), "not a recognised relay cell on a circuit we keyed");
            return true;
        }
        snprintf(a->word, sizeof(a->word), "%s", relay_cmd_name(conn->relay_plain[0]));
        return true;
    case F_HTYPE:
    case F_HDATA: {
        uint16_t htype;
        span_t hdata;
        if (create2_parse(c->body, &htype, &hdata) != WIRE_OK)
            return unreadable(a, sc_field_name(f), "CREATE2 body truncated");
        if (f == F_HTYPE) {
            a->i = htype;
        } else {
            a->kind = V_BYTES;
            a->bytes = hdata;
        }
        return true;
    }
    case F_VERIFIED:
    case F_MISMATCH: {
        if (!conn->peer_auth)
            conn->peer_auth = calloc(1, sizeof(*conn->peer_auth));
        char err[200];
        if (!conn->peer_auth ||
            link_auth_verify(&conn->ch, env->identity, bld_span(&conn->server_cert), c->body,
                             hs_wall_s(), conn->peer_auth, err, sizeof(err)) != 0) {
            a->ok = false;
            a->harness = true;
            snprintf(a->why, sizeof(a->why), "%s",
                     conn->peer_auth ? err : "out of memory");
            return false;
        }
        a->kind = V_WORD;
        if (f == F_VERIFIED)
            snprintf(a->word, sizeof(a->word), "%s", conn->peer_auth->ok ? "yes" : "no");
        else
            snprintf(a->word, sizeof(a->word), "%s", conn->peer_auth->mismatch);
        snprintf(a->why, sizeof(a->why), "%.190s", conn->peer_auth->why);
        return true;
    }
    case F_REASON: {
        uint8_t r;
        if (c->cmd == CELL_RELAY || c->cmd == CELL_RELAY_EARLY) {
            relay_msg_t m;
            if (!conn->relay_ok ||
                relay_payload_parse(span_of(conn->relay_plain, RELAY_PAYLOAD_LEN), &m) != WIRE_OK ||
                m.data.len < 1)
                return unreadable(a, "reason", "not a recognised relay message with a reason");
            a->i = m.data.p[0]; /* TRUNCATED / END: the reason is the first data byte */
            return true;
        }
        if (destroy_parse(c->body, &r) != WIRE_OK)
            return unreadable(a, "reason", "DESTROY body empty");
        a->i = r;
        return true;
    }
    case F_PN_VERSION:
    case F_PN_COMMAND:
    case F_PN_LOW:
    case F_PN_HIGH: {
        padding_negotiate_t pn;
        if (padding_negotiate_parse(c->body, &pn) != WIRE_OK)
            return unreadable(a, sc_field_name(f), "PADDING_NEGOTIATE malformed");
        a->i = f == F_PN_VERSION ? pn.version : f == F_PN_COMMAND ? pn.command
               : f == F_PN_LOW   ? pn.ito_low_ms
                                 : pn.ito_high_ms;
        return true;
    }
    default: break;
    }
    a->ok = false;
    a->harness = true;
    snprintf(a->why, sizeof(a->why), "field %s cannot be read from a received cell",
             sc_field_name(f));
    return false;
}

static void addr_to(const sc_addr_t *s, const sc_env_t *env, netinfo_addr_t *out)
{
    if (!s->target) {
        *out = s->a;
        return;
    }
    uint8_t ip[16];
    size_t len;
    scen_target_ip(&env->target, ip, &len);
    memset(out, 0, sizeof(*out));
    out->atype = len == 16 ? 6 : 4;
    out->alen = (uint8_t)len;
    memcpy(out->val, ip, len);
}

void scen_literal(const sc_value_t *v, const sc_env_t *env, sc_actual_t *a)
{
    memset(a, 0, sizeof(*a));
    a->ok = true;
    a->kind = v->kind;
    switch (v->kind) {
    case V_INT: a->i = v->i; break;
    case V_TIME:
        a->kind = V_INT;
        a->i = v->time_rel ? hs_wall_s() + v->i : v->i;
        break;
    case V_LIST:
        a->n = v->n;
        memcpy(a->list, v->list, v->n * sizeof(v->list[0]));
        break;
    case V_BYTES: a->bytes = span_of(v->bytes.p, v->bytes.len); break;
    case V_ADDR:
        a->n = 1;
        addr_to(v->addrs, env, &a->addrs[0]);
        break;
    case V_ADDRS:
        a->n = v->n;
        for (size_t i = 0; i < v->n; i++)
            addr_to(&v->addrs[i], env, &a->addrs[i]);
        break;
    case V_WORD: snprintf(a->word, sizeof(a->word), "%s", v->word); break;
    case V_VARREF: a->ok = false; break;
    }
}

static bool addr_eq(const netinfo_addr_t *x, const netinfo_addr_t *y)
{
    return x->atype == y->atype && x->alen == y->alen && !memcmp(x->val, y->val, x->alen);
}

bool scen_compare(const sc_actual_t *got, sc_op_t op, const sc_actual_t *want)
{
    if (op == OP_HAS) {
        for (size_t i = 0; i < got->n; i++) {
            if (got->kind == V_LIST && want->kind == V_INT && got->list[i] == want->i)
                return true;
            if (got->kind == V_ADDRS && addr_eq(&got->addrs[i], &want->addrs[0]))
                return true;
        }
        return false;
    }
    bool eq;
    switch (got->kind) {
    case V_INT:
        if (op == OP_LE)
            return got->i <= want->i;
        if (op == OP_GE)
            return got->i >= want->i;
        eq = got->i == want->i;
        break;
    case V_LIST:
        eq = got->n == want->n && !memcmp(got->list, want->list, got->n * sizeof(got->list[0]));
        break;
    case V_BYTES:
        eq = got->bytes.len == want->bytes.len &&
             (!got->bytes.len || !memcmp(got->bytes.p, want->bytes.p, got->bytes.len));
        break;
    case V_ADDR:
    case V_ADDRS:
        eq = got->n == want->n;
        for (size_t i = 0; eq && i < got->n; i++)
            eq = addr_eq(&got->addrs[i], &want->addrs[i]);
        break;
    case V_WORD: eq = !strcmp(got->word, want->word); break;
    default: eq = false;
    }
    return op == OP_NE ? !eq : eq;
}

void scen_format(const sc_actual_t *a, char *buf, size_t cap)
{
    buf[0] = 0;
    if (!a->ok) {
        snprintf(buf, cap, "(unreadable: %s)", a->why);
        return;
    }
    size_t used = 0;
    switch (a->kind) {
    case V_INT: snprintf(buf, cap, "%lld", (long long)a->i); return;
    case V_LIST:
        for (size_t i = 0; i < a->n && used + 8 < cap; i++)
            used += (size_t)snprintf(buf + used, cap - used, "%s%lld", i ? "," : "",
                                     (long long)a->list[i]);
        if (!a->n)
            snprintf(buf, cap, "(empty)");
        return;
    case V_BYTES: {
        size_t n = a->bytes.len;
        size_t show = n * 2 + 1 <= cap - 16 ? n : (cap - 16) / 2;
        char *hex = malloc(show * 2 + 1);
        if (!hex)
            return;
        hex_encode_upper(a->bytes.p, show, hex);
        snprintf(buf, cap, "hex:%s%s", hex, show < n ? "…" : "");
        free(hex);
        return;
    }
    case V_ADDR:
    case V_ADDRS:
        for (size_t i = 0; i < a->n && used + 70 < cap; i++) {
            char one[64];
            netinfo_addr_format(&a->addrs[i], one, sizeof(one));
            used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "," : "", one);
        }
        if (!a->n)
            snprintf(buf, cap, "none");
        return;
    case V_WORD:
        if (a->why[0])
            snprintf(buf, cap, "%s (%s)", a->word, a->why);
        else
            snprintf(buf, cap, "%s", a->word);
        return;
    default: return;
    }
}
