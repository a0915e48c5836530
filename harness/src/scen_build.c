/* scen_build.c — turns a `send` step into the exact bytes that go on the wire.
 *
 * Two stages, as STYLE.md asks: a well-formed cell is encoded first by the wire_ builders
 * (fields the step did not give take the defaults documented in scenarios/README.md), then the
 * mutation operators rewrite the encoded bytes.  Certificate-list operators (drop, duplicate,
 * reorder, corrupt) act on the list before encoding, because "drop type 6" is a statement
 * about entries, not offsets. */
#include "scen_build.h"

#include "scen_certedit.h"

#include "hs_clock.h"
#include "hs_rand.h"
#include "wire_auth.h"
#include "wire_cell.h"
#include "wire_certs.h"
#include "wire_circ.h"
#include "wire_netinfo.h"
#include "wire_relay.h"
#include "crypto_rsa.h"
#include "link_auth.h"
#include "wire_versions.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUILD_CAP (7u + HS_CAP_CELL_BODY + 4096u)

static const sc_setting_t *field(const sc_step_t *st, sc_field_t f)
{
    for (size_t i = 0; i < st->n_fields; i++)
        if (st->fields[i].field == f)
            return &st->fields[i];
    return NULL;
}

/* Literal bytes, or fresh random ones (from the seeded DRBG when --seed is given). */
static int bytes_of(const sc_bytes_t *b, uint8_t *out)
{
    if (b->random)
        return hs_rand_bytes(out, b->len);
    if (b->len)
        memcpy(out, b->p, b->len);
    return 0;
}

static int bld_sc_bytes(bld_t *b, const sc_bytes_t *v)
{
    uint8_t *dst = bld_reserve(b, v->len);
    if (!dst && v->len)
        return -1;
    return v->len ? bytes_of(v, dst) : 0;
}

static void to_netinfo(const sc_addr_t *a, const uint8_t *target_ip, size_t ip_len,
                       netinfo_addr_t *out)
{
    if (!a->target) {
        *out = a->a;
        return;
    }
    memset(out, 0, sizeof(*out));
    out->atype = ip_len == 16 ? NETINFO_ATYPE_IPV6 : NETINFO_ATYPE_IPV4;
    out->alen = (uint8_t)ip_len;
    memcpy(out->val, target_ip, ip_len);
}

void scen_target_ip(const net_addr_t *t, uint8_t ip[16], size_t *len)
{
    if (t->ss.ss_family == AF_INET6) {
        memcpy(ip, &((const struct sockaddr_in6 *)&t->ss)->sin6_addr, 16);
        *len = 16;
    } else {
        memcpy(ip, &((const struct sockaddr_in *)&t->ss)->sin_addr, 4);
        *len = 4;
    }
}

/* The validity a certificate of the list gets: valid for a year, or (`expired=`) already
 * expired beyond tor's 2-day X.509 slop, with an Ed25519 expiry an hour in the past. */
static sc_cert_dates_t cert_dates(bool expired, int64_t now)
{
    sc_cert_dates_t d = { .not_before = now - 86400, .not_after = now + 365 * 86400,
                          .exp_hours = identity_exp_hours(now, 30 * 86400), .expired = expired };
    if (expired) {
        d.not_before = now - 40 * 86400;
        d.not_after = now - 10 * 86400;
        d.exp_hours = (uint32_t)(now / 3600 - 1);
    }
    return d;
}

/* One certificate of the harness's identity, valid or already expired.  tls_cert is the
 * certificate we presented as the TLS server (responder role), or empty: types 1 and 5 then
 * describe a link certificate made for the occasion (an initiator has no TLS certificate). */
static int build_cert(const relay_identity_t *id, int type, bool expired, int64_t now,
                      span_t tls_cert, bld_t *out)
{
    sc_cert_dates_t d = cert_dates(expired, now);
    int64_t nb = d.not_before, na = d.not_after;
    uint32_t exp = d.exp_hours;
    if (tls_cert.len && !expired && type == CERT_TYPE_X509_LINK) {
        bld_bytes(out, tls_cert.p, tls_cert.len);
        return 0;
    }
    if (tls_cert.len && type == CERT_TYPE_ED_TLS_LINK)
        return identity_build_tls_link_cert(id, tls_cert, exp, out);
    switch (type) {
    case CERT_TYPE_X509_LINK: return identity_build_link_cert(id, nb, na, out);
    case CERT_TYPE_X509_ID: return identity_build_id_cert(id, nb, na, out);
    case CERT_TYPE_X509_AUTH: return identity_build_auth_cert(id, nb, na, out);
    case CERT_TYPE_ED_SIGNING: return identity_build_signing_cert(id, exp, out);
    case CERT_TYPE_ED_TLS_LINK: {
        /* The initiator has no TLS certificate of its own: bind type 5 to our link cert. */
        bld_t link;
        bld_init(&link, 4096);
        int rc = identity_build_link_cert(id, nb, na, &link);
        if (rc == 0 && bld_ok(&link))
            rc = identity_build_tls_link_cert(id, bld_span(&link), exp, out);
        bld_free(&link);
        return rc;
    }
    case CERT_TYPE_ED_AUTH: return identity_build_link_auth_cert(id, exp, out);
    case CERT_TYPE_RSA_ED_CROSS: return identity_build_crosscert(id, exp, out);
    }
    return -1;
}

/* The certificate-list operators of muts, in order, on items[0..*n_items) (a built list, or
 * a CERTS cell relayed by the MITM).  Entries dropped here are freed. */
int scen_certs_mutate(const sc_mut_t *muts, size_t n, sc_cert_item_t *items, size_t *n_items,
                      char *err, size_t errlen)
{
    int rc = 0;
    size_t ni = *n_items;
    for (size_t m = 0; rc == 0 && m < n; m++) {
        const sc_mut_t *mu = &muts[m];
        if (mu->kind == M_DROP_CERT) {
            size_t o = 0;
            for (size_t i = 0; i < ni; i++) {
                if (items[i].type == mu->a)
                    bld_free(&items[i].b);
                else
                    items[o++] = items[i];
            }
            if (o == ni) {
                snprintf(err, errlen, "drop-cert %lld: no such certificate in the list",
                         (long long)mu->a);
                rc = -1;
            }
            ni = o;
        } else if (mu->kind == M_DUP_CERT) {
            size_t at = ni;
            for (size_t i = 0; i < ni; i++)
                if (items[i].type == mu->a)
                    at = i;
            if (at == ni || ni == HS_CAP_CERTS_ENTRIES) {
                snprintf(err, errlen, "dup-cert %lld: no such certificate in the list",
                         (long long)mu->a);
                rc = -1;
                break;
            }
            items[ni].type = items[at].type;
            bld_init(&items[ni].b, 8192);
            bld_bytes(&items[ni].b, items[at].b.buf, items[at].b.len);
            ni++;
        } else if (mu->kind == M_ORDER_CERTS) {
            sc_cert_item_t sorted[HS_CAP_CERTS_ENTRIES];
            bool used[HS_CAP_CERTS_ENTRIES] = { 0 };
            size_t o = 0;
            for (size_t k = 0; k < mu->n; k++)
                for (size_t i = 0; i < ni; i++)
                    if (!used[i] && items[i].type == mu->list[k]) {
                        used[i] = true;
                        sorted[o++] = items[i];
                        break;
                    }
            if (o != ni) {
                snprintf(err, errlen, "order-certs must list every certificate type present");
                rc = -1;
                break;
            }
            memcpy(items, sorted, ni * sizeof(items[0]));
        } else if (mu->kind == M_ADD_CERT) {
            if (ni == HS_CAP_CERTS_ENTRIES) {
                snprintf(err, errlen, "add-cert %lld: the list is full (%u entries)",
                         (long long)mu->a, HS_CAP_CERTS_ENTRIES);
                rc = -1;
                break;
            }
            items[ni].type = (uint8_t)mu->a;
            bld_init(&items[ni].b, mu->bytes.len + 1);
            ni++;
            if (bld_sc_bytes(&items[ni - 1].b, &mu->bytes) != 0 || !bld_ok(&items[ni - 1].b)) {
                snprintf(err, errlen, "add-cert %lld: cannot make its bytes", (long long)mu->a);
                rc = -1;
            }
        } else if (mu->kind == M_CORRUPT_CERT) {
            bool hit = false;
            for (size_t i = 0; i < ni; i++)
                if (items[i].type == mu->a && items[i].b.len) {
                    items[i].b.buf[items[i].b.len - 1] ^= 0x01; /* the signature's last byte */
                    hit = true;
                }
            if (!hit) {
                snprintf(err, errlen, "corrupt-cert %lld: no such certificate in the list",
                         (long long)mu->a);
                rc = -1;
            }
        }
    }
    *n_items = ni;
    return rc;
}

static bool cert_expired(const sc_setting_t *ex, int64_t type)
{
    for (size_t k = 0; ex && k < ex->v.n; k++)
        if (ex->v.list[k] == type)
            return true;
    return false;
}

/* The second pass over a built list: every certificate a cert-edit names, built with its
 * edits (scen_certedit.h).  An edit of a type the list does not hold is an error. */
static int build_edited_certs(const sc_step_t *st, const relay_identity_t *id,
                              const sc_setting_t *ex, int64_t now, span_t tls_cert,
                              sc_cert_item_t *items, size_t ni, char *err, size_t errlen)
{
    for (size_t m = 0; m < st->n_muts; m++) {
        const sc_mut_t *mu = &st->muts[m];
        bool found = false;
        for (size_t i = 0; mu->kind == M_CERT_EDIT && i < ni; i++)
            found = found || items[i].type == mu->a;
        if (mu->kind == M_CERT_EDIT && !found) {
            snprintf(err, errlen, "cert-edit %lld: no such certificate in the list",
                     (long long)mu->a);
            return -1;
        }
    }
    for (size_t i = 0; i < ni; i++) {
        if (!scen_certedit_wanted(st->muts, st->n_muts, items[i].type))
            continue;
        sc_cert_dates_t base = cert_dates(cert_expired(ex, items[i].type), now);
        if (scen_certedit_build(id, items[i].type, st->muts, st->n_muts, &base, now, tls_cert,
                                items, ni, &items[i].b, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int build_certs_body(const sc_step_t *st, const sc_env_t *env, const sc_conn_rt_t *c,
                            bld_t *body, char *err, size_t errlen)
{
    span_t tls_cert = c->accepted ? bld_span(&c->server_cert) : (span_t){ 0 };
    static const int64_t dflt[] = { 2, 4, 6, 7 };
    const sc_setting_t *f = field(st, F_CERTS);
    const sc_setting_t *ex = field(st, F_EXPIRED);
    const int64_t *types = f ? f->v.list : dflt;
    size_t n = f ? f->v.n : HS_ARRAY_LEN(dflt);
    if (!env->identity) {
        snprintf(err, errlen, "no identity loaded for CERTS");
        return -1;
    }
    sc_cert_item_t items[HS_CAP_CERTS_ENTRIES];
    size_t ni = 0;
    int rc = 0;
    int64_t now = hs_wall_s();
    /* Unedited certificates first, so that an edit's key=sha256:T finds its source. */
    for (size_t i = 0; i < n && ni < HS_CAP_CERTS_ENTRIES; i++) {
        items[ni].type = (uint8_t)types[i];
        bld_init(&items[ni].b, 8192);
        ni++;
        if (rc != 0 || scen_certedit_wanted(st->muts, st->n_muts, (int)types[i]))
            continue;
        if (build_cert(env->identity, (int)types[i], cert_expired(ex, types[i]), now, tls_cert,
                       &items[ni - 1].b) != 0 || !bld_ok(&items[ni - 1].b)) {
            snprintf(err, errlen, "cannot build a type-%lld certificate", (long long)types[i]);
            rc = -1;
        }
    }
    if (rc == 0)
        rc = build_edited_certs(st, env->identity, ex, now, tls_cert, items, ni, err, errlen);
    if (rc == 0)
        rc = scen_certs_mutate(st->muts, st->n_muts, items, &ni, err, errlen);
    if (rc == 0) {
        certs_entry_t e[HS_CAP_CERTS_ENTRIES];
        for (size_t i = 0; i < ni; i++) {
            e[i].type = items[i].type;
            e[i].body = bld_span(&items[i].b);
        }
        certs_build(body, e, ni);
    }
    for (size_t i = 0; i < ni; i++)
        bld_free(&items[i].b);
    return rc;
}

static int64_t int_or(const sc_step_t *st, sc_field_t f, int64_t dflt)
{
    const sc_setting_t *s = field(st, f);
    return s ? s->v.i : dflt;
}

#define SC_CAP_EXPORTER_CONTEXT 256u

/* context=: TLSSECRETS from the TLS exporter with another context than the CID tor uses —
 * our Ed25519 identity (`ed`: what proposal 244 and the old tor-spec said, catalogue F02), the
 * CID itself (`cid`: the same as the default, spelled out), or literal bytes.  The value is
 * the scenario's choice, so the claim says so (the wire check recomputes only the CID one). */
static int exporter_context(const sc_setting_t *f, const sc_env_t *env, sc_conn_rt_t *c,
                            auth_claim_t *claim, char *err, size_t errlen)
{
    uint8_t ctx[SC_CAP_EXPORTER_CONTEXT];
    span_t context;
    uint8_t cid[32];
    if (!strcmp(f->v.word, "ed")) {
        context = span_of(env->identity->ed_id.pub, 32);
    } else if (!strcmp(f->v.word, "cid")) {
        if (link_auth_rsa_id_sha256(env->identity, cid) != 0) {
            snprintf(err, errlen, "cannot hash our RSA identity key");
            return -1;
        }
        context = span_of(cid, 32);
    } else {
        if (f->v.bytes.len > sizeof(ctx) || bytes_of(&f->v.bytes, ctx) != 0) {
            snprintf(err, errlen, "context= is at most %u bytes", SC_CAP_EXPORTER_CONTEXT);
            return -1;
        }
        context = span_of(ctx, f->v.bytes.len);
    }
    if (c->ch.tls.plain || !c->ch.tls.established) {
        snprintf(err, errlen, "context= needs an established TLS session (the exporter)");
        return -1;
    }
    if (tls_conn_exporter(&c->ch.tls, AUTH3_EXPORTER_LABEL, context, claim->val[AF_TLSSECRETS],
                          32) != 0) {
        snprintf(err, errlen, "TLS exporter failed");
        return -1;
    }
    claim->len[AF_TLSSECRETS] = 32;
    claim->src[AF_TLSSECRETS] = strcmp(f->v.word, "cid") ? AUTH_SRC_SCENARIO : AUTH_SRC_COMPUTED;
    return 0;
}

/* An authenticator computed from this connection (link_auth), with the fields the scenario
 * forces, signed last; the claim is kept for the result. */
static int build_authenticate(const sc_step_t *st, const sc_env_t *env, sc_conn_rt_t *c,
                              bld_t *body, char *err, size_t errlen)
{
    static const sc_field_t forced[AF_COUNT] = {
        [AF_CID] = F_A_CID,       [AF_SID] = F_A_SID,   [AF_CID_ED] = F_A_CID_ED,
        [AF_SID_ED] = F_A_SID_ED, [AF_SLOG] = F_A_SLOG, [AF_CLOG] = F_A_CLOG,
        [AF_SCERT] = F_A_SCERT,   [AF_TLSSECRETS] = F_A_TLSSECRETS,
        [AF_RAND] = F_A_RAND,     [AF_SIG] = F_A_SIG,
    };
    if (c->n_auth_sent == SC_CAP_AUTH_SENT) {
        snprintf(err, errlen, "more than %u computed AUTHENTICATE cells on one connection",
                 SC_CAP_AUTH_SENT);
        return -1;
    }
    sc_auth_sent_t *a = &c->auth_sent[c->n_auth_sent];
    a->claim.type = (uint16_t)int_or(st, F_AUTH_TYPE, 3);
    if (link_auth_derive(&c->ch, env->identity, hs_wall_s(), &a->claim, err, errlen) != 0)
        return -1;
    for (int k = 0; k < AF_COUNT; k++) {
        const sc_setting_t *f = field(st, forced[k]);
        if (!f)
            continue;
        if (f->v.bytes.len > sizeof(a->claim.val[k])) {
            snprintf(err, errlen, "%s is too long", sc_field_name(forced[k]));
            return -1;
        }
        if (bytes_of(&f->v.bytes, a->claim.val[k]) != 0)
            return -1;
        a->claim.len[k] = (uint8_t)f->v.bytes.len;
        a->claim.src[k] = AUTH_SRC_SCENARIO;
    }
    if (field(st, F_A_CONTEXT) &&
        exporter_context(field(st, F_A_CONTEXT), env, c, &a->claim, err, errlen) != 0)
        return -1;
    bld_t auth;
    bld_init(&auth, 512);
    int rc = link_auth_finish(env->identity, &a->claim, &auth, err, errlen);
    if (rc == 0 && bld_ok(&auth)) {
        bld_u16(body, (uint16_t)a->claim.type);
        bld_u16(body, (uint16_t)int_or(st, F_AUTHLEN, (int64_t)auth.len));
        bld_bytes(body, auth.buf, auth.len);
        a->claim.mutated = st->n_muts > 0 || field(st, F_AUTHLEN) != NULL;
        a->rec = c->ch.n_recs; /* the record the send is about to make */
        c->n_auth_sent++;
    } else if (rc == 0) {
        snprintf(err, errlen, "authenticator too large");
        rc = -1;
    }
    bld_free(&auth);
    return rc;
}

static int build_body(const sc_step_t *st, const sc_env_t *env, sc_conn_rt_t *c, uint32_t circ,
                      bld_t *body, char *err, size_t errlen)
{
    const sc_setting_t *f = field(st, F_BODY);
    if (f)
        return bld_sc_bytes(body, &f->v.bytes);
    switch (st->cmd) {
    case CELL_VERSIONS: {
        uint16_t v[HS_CAP_VERSIONS];
        size_t n = 0;
        f = field(st, F_VERSIONS);
        if (f) {
            for (size_t i = 0; i < f->v.n && i < HS_CAP_VERSIONS; i++)
                v[n++] = (uint16_t)f->v.list[i];
        } else {
            for (uint16_t k = 3; k <= 5; k++)
                v[n++] = k;
        }
        /* The responder negotiates from the first VERSIONS it processes and ignores later
         * ones (tor-spec §4.1), so only the first one we send decides the link we expect. */
        if (!c->versions_sent) {
            memcpy(c->sent_versions, v, n * sizeof(v[0]));
            c->n_sent_versions = n;
            c->versions_sent = true;
        }
        versions_build(body, v, n);
        return 0;
    }
    case CELL_NETINFO: {
        uint8_t ip[16];
        size_t iplen;
        scen_target_ip(&env->target, ip, &iplen);
        f = field(st, F_TIME);
        int64_t t = hs_wall_s();
        if (f)
            t = f->v.time_rel ? t + f->v.i : f->v.i;
        netinfo_addr_t other, my[HS_CAP_NETINFO_ADDRS];
        sc_addr_t tgt = { .target = true };
        f = field(st, F_OTHER);
        to_netinfo(f ? f->v.addrs : &tgt, ip, iplen, &other);
        f = field(st, F_MY);
        size_t nmy = f ? f->v.n : 0;
        for (size_t i = 0; i < nmy; i++)
            to_netinfo(&f->v.addrs[i], ip, iplen, &my[i]);
        netinfo_build(body, (uint32_t)t, &other, my, nmy);
        return 0;
    }
    case CELL_CERTS: return build_certs_body(st, env, c, body, err, errlen);
    case CELL_AUTH_CHALLENGE: {
        uint8_t ch[32];
        f = field(st, F_CHALLENGE);
        sc_bytes_t rnd = { .random = true, .len = 32 };
        if (bytes_of(f ? &f->v.bytes : &rnd, ch) != 0)
            return -1;
        uint16_t methods[SC_CAP_LIST] = { 3 };
        size_t nm = 1;
        f = field(st, F_METHODS);
        if (f) {
            nm = f->v.n;
            for (size_t i = 0; i < nm; i++)
                methods[i] = (uint16_t)f->v.list[i];
        }
        auth_challenge_build(body, ch, methods, nm);
        return 0;
    }
    case CELL_AUTHENTICATE: {
        f = field(st, F_AUTH);
        if (!f)
            return build_authenticate(st, env, c, body, err, errlen);
        bld_u16(body, (uint16_t)int_or(st, F_AUTH_TYPE, 3));
        bld_u16(body, (uint16_t)int_or(st, F_AUTHLEN, (int64_t)f->v.bytes.len));
        return bld_sc_bytes(body, &f->v.bytes);
    }
    case CELL_CREATE_FAST: {
        uint8_t x[CREATE_FAST_KEY_LEN];
        f = field(st, F_KEY);
        sc_bytes_t rnd = { .random = true, .len = CREATE_FAST_KEY_LEN };
        if (bytes_of(f ? &f->v.bytes : &rnd, x) != 0)
            return -1;
        if (c->n_circs < SC_CAP_CIRCS) {
            c->circ_ids[c->n_circs] = circ;
            memcpy(c->circ_keys[c->n_circs++], x, CREATE_FAST_KEY_LEN);
        }
        create_fast_build(body, x);
        return 0;
    }
    case CELL_DESTROY: destroy_build(body, (uint8_t)int_or(st, F_REASON, 0)); return 0;
    case CELL_CREATED2: {
        /* The relay relays it back as EXTENDED2 without reading it: any HDATA completes the
         * extension as far as the relay is concerned. */
        uint8_t h[RELAY_DATA_MAX];
        f = field(st, F_HDATA);
        sc_bytes_t rnd = { .random = true, .len = 64 }; /* an ntor reply's length */
        const sc_bytes_t *hb = f ? &f->v.bytes : &rnd;
        if (hb->len > sizeof(h) || bytes_of(hb, h) != 0)
            return -1;
        created2_build(body, span_of(h, hb->len));
        return 0;
    }
    case CELL_PADDING_NEGOTIATE: {
        padding_negotiate_t pn = {
            .version = (uint8_t)int_or(st, F_PN_VERSION, 0),
            .command = (uint8_t)int_or(st, F_PN_COMMAND, 2),
            .ito_low_ms = (uint16_t)int_or(st, F_PN_LOW, 1500),
            .ito_high_ms = (uint16_t)int_or(st, F_PN_HIGH, 9500),
        };
        padding_negotiate_build(body, &pn);
        return 0;
    }
    default: return 0; /* PADDING, VPADDING, AUTHORIZE, …: empty (fixed: zero-padded) */
    }
}

/* Byte-level mutations on the encoded cell. */
int scen_mutate_bytes(const sc_mut_t *muts, size_t n, unsigned width, bld_t *cell, char *err,
                      size_t errlen)
{
    for (size_t m = 0; m < n; m++) {
        const sc_mut_t *mu = &muts[m];
        size_t len = cell->len;
        switch (mu->kind) {
        case M_TRUNCATE:
            if ((size_t)mu->a > len) {
                snprintf(err, errlen, "truncate %lld: the cell is only %zu bytes",
                         (long long)mu->a, len);
                return -1;
            }
            cell->len = (size_t)mu->a;
            break;
        case M_FLIP:
            if ((size_t)mu->a >= len) {
                snprintf(err, errlen, "flip %lld: the cell is only %zu bytes", (long long)mu->a,
                         len);
                return -1;
            }
            cell->buf[mu->a] ^= (uint8_t)(1u << mu->b);
            break;
        case M_POKE: {
            if ((size_t)mu->a + mu->bytes.len > len) {
                snprintf(err, errlen, "poke at %lld: %zu bytes do not fit in %zu",
                         (long long)mu->a, mu->bytes.len, len);
                return -1;
            }
            if (bytes_of(&mu->bytes, cell->buf + mu->a) != 0)
                return -1;
            break;
        }
        case M_APPEND:
            if (bld_sc_bytes(cell, &mu->bytes) != 0 || !bld_ok(cell)) {
                snprintf(err, errlen, "append: cell too large");
                return -1;
            }
            break;
        case M_LENGTH:
            if (len < width + 3u) {
                snprintf(err, errlen, "length: the cell has no Length field");
                return -1;
            }
            cell->buf[width + 1] = (uint8_t)(mu->a >> 8);
            cell->buf[width + 2] = (uint8_t)mu->a;
            break;
        case M_CMD:
            if (len < width + 1u) {
                snprintf(err, errlen, "cmd: the cell has no command byte");
                return -1;
            }
            cell->buf[width] = (uint8_t)mu->a;
            break;
        default: break; /* certificate-list operators ran before encoding */
        }
    }
    return 0;
}

/* EXTEND2's data: link specifiers for the harness's listener and identity unless the step
 * says otherwise (tor-link.md §7.3), then a CREATE2 handshake the relay forwards unread. */
static int build_extend2_data(const sc_step_t *st, const sc_env_t *env, const sc_conn_rt_t *c,
                              bld_t *data, char *err, size_t errlen)
{
    const sc_setting_t *f = field(st, F_BODY);
    if (f)
        return bld_sc_bytes(data, &f->v.bytes);
    extend2_t e;
    memset(&e, 0, sizeof(e));
    f = field(st, F_X_ADDR);
    uint16_t port = (uint16_t)int_or(st, F_X_PORT, c->listen_port);
    if (f && !f->v.addrs->target && f->v.addrs->a.atype == NETINFO_ATYPE_IPV6 &&
        f->v.addrs->a.alen == 16) {
        link_spec_t *ls = &e.specs[e.n_specs++];
        ls->type = LSPEC_IPV6;
        ls->len = 18;
        memcpy(ls->data, f->v.addrs->a.val, 16);
        ls->data[16] = (uint8_t)(port >> 8);
        ls->data[17] = (uint8_t)port;
    } else {
        uint8_t ip4[4] = { 127, 0, 0, 1 };
        if (f && f->v.addrs->target) {
            size_t n;
            uint8_t ip[16];
            scen_target_ip(&env->target, ip, &n);
            if (n == 4)
                memcpy(ip4, ip, 4);
        } else if (f && f->v.addrs->a.alen == 4) {
            memcpy(ip4, f->v.addrs->a.val, 4);
        }
        link_spec_ipv4(&e.specs[e.n_specs++], ip4, port);
    }
    uint8_t buf[255];
    f = field(st, F_X_ID);
    if (f) {
        if (f->v.bytes.len > sizeof(buf) || bytes_of(&f->v.bytes, buf) != 0)
            return -1;
        link_spec_bytes(&e.specs[e.n_specs++], LSPEC_LEGACY_ID, span_of(buf, f->v.bytes.len));
    } else {
        if (!env->identity) {
            snprintf(err, errlen, "EXTEND2 names our identity: load one (--identity)");
            return -1;
        }
        gnutls_pubkey_t pub;
        uint8_t sha1[HS_SHA1_LEN], sha256[32];
        if (rsa_pubkey_from_privkey(env->identity->rsa_id, &pub) != 0)
            return -1;
        int rc = rsa_pubkey_digests(pub, sha1, sha256);
        gnutls_pubkey_deinit(pub);
        if (rc != 0)
            return -1;
        link_spec_bytes(&e.specs[e.n_specs++], LSPEC_LEGACY_ID, span_of(sha1, HS_SHA1_LEN));
    }
    f = field(st, F_X_ED);
    if (f) {
        /* ed=zeros:0 leaves the Ed25519 specifier out (an RSA-only extend). */
        if (f->v.bytes.len > sizeof(buf) || bytes_of(&f->v.bytes, buf) != 0)
            return -1;
        if (f->v.bytes.len)
            link_spec_bytes(&e.specs[e.n_specs++], LSPEC_ED25519_ID,
                            span_of(buf, f->v.bytes.len));
    } else if (env->identity) {
        link_spec_bytes(&e.specs[e.n_specs++], LSPEC_ED25519_ID,
                        span_of(env->identity->ed_id.pub, 32));
    }
    e.htype = (uint16_t)int_or(st, F_HTYPE, 2); /* ntor */
    uint8_t hdata[RELAY_DATA_MAX];
    f = field(st, F_HDATA);
    sc_bytes_t rnd = { .random = true, .len = 84 }; /* an ntor onionskin's length */
    const sc_bytes_t *hb = f ? &f->v.bytes : &rnd;
    if (hb->len > sizeof(hdata) || bytes_of(hb, hdata) != 0)
        return -1;
    e.hdata = span_of(hdata, hb->len);
    extend2_build(data, &e);
    return 0;
}

/* EXTEND2 travels sealed in a RELAY_EARLY (or, with early=no, RELAY) cell on the circuit the
 * step names, by default the newest one whose CREATED_FAST keyed it. */
static int build_extend2(const sc_step_t *st, const sc_env_t *env, sc_conn_rt_t *c, bld_t *out,
                         cell_t *meta, char *err, size_t errlen)
{
    const sc_setting_t *w = field(st, F_WIDTH);
    unsigned width = w ? (unsigned)w->v.i : cell_circ_width(c->link);
    const sc_setting_t *cf = field(st, F_CIRC);
    int k = -1;
    for (size_t i = 0; i < c->n_circs; i++)
        if (c->circ_crypto[i].ready && (!cf || c->circ_ids[i] == (uint32_t)cf->v.i))
            k = (int)i;
    if (k < 0) {
        snprintf(err, errlen, "EXTEND2 needs a circuit keyed by CREATE_FAST and its "
                 "CREATED_FAST on this connection%s", cf ? " with that circ id" : "");
        return -1;
    }
    bld_t data, payload;
    bld_init(&data, RELAY_DATA_MAX);
    bld_init(&payload, RELAY_PAYLOAD_LEN);
    int rc = build_extend2_data(st, env, c, &data, err, errlen);
    if (rc == 0 && !bld_ok(&data)) {
        snprintf(err, errlen, "EXTEND2 data longer than a relay cell holds");
        rc = -1;
    }
    if (rc == 0)
        relay_payload_build(&payload, RELAY_CMD_EXTEND2, 0, bld_span(&data));
    if (rc == 0 && (!bld_ok(&payload) || payload.len != RELAY_PAYLOAD_LEN)) {
        snprintf(err, errlen, "cannot encode the relay payload");
        rc = -1;
    }
    if (rc == 0 && relay_crypto_seal(&c->circ_crypto[k], payload.buf) != 0) {
        snprintf(err, errlen, "relay crypto failed");
        rc = -1;
    }
    const sc_setting_t *early = field(st, F_EARLY);
    uint8_t cmd = early && !strcmp(early->v.word, "no") ? CELL_RELAY : CELL_RELAY_EARLY;
    if (rc == 0) {
        cell_build_fixed(out, width, c->circ_ids[k], cmd, bld_span(&payload));
        rc = bld_ok(out) ? scen_mutate_bytes(st->muts, st->n_muts, width, out, err, errlen) : -1;
    }
    bld_free(&data);
    bld_free(&payload);
    if (rc == 0) {
        meta->circ_id = c->circ_ids[k];
        meta->cmd = cmd;
        meta->var = false;
        meta->circ_width = (uint8_t)width;
    }
    return rc;
}

int scen_build_send(const sc_step_t *st, const sc_env_t *env, sc_conn_rt_t *c, bld_t *out,
                    cell_t *meta, char *err, size_t errlen)
{
    if (st->cmd == SC_CMD_EXTEND2) {
        bld_init(out, BUILD_CAP);
        return build_extend2(st, env, c, out, meta, err, errlen);
    }
    bld_init(out, BUILD_CAP); /* initialised on every path: the caller always frees it */
    const sc_setting_t *w = field(st, F_WIDTH);
    unsigned width = w ? (unsigned)w->v.i : cell_circ_width(c->link);
    uint32_t circ = 0;
    const sc_setting_t *cf = field(st, F_CIRC);
    if (cf) {
        circ = (uint32_t)cf->v.i;
    } else if (st->cmd == CELL_CREATED2 && c->have_create2) {
        circ = c->create2_circ; /* the answer goes on the circuit the target created */
    } else if (st->cmd == CELL_CREATE_FAST) {
        /* tor-spec §5.1.1: on link ≥ 4 the initiator sets the high bit. */
        c->next_circ++;
        circ = width == 4 ? 0x80000000u | c->next_circ : c->next_circ;
    }
    if (width == 2 && circ > 0xffff) {
        snprintf(err, errlen, "circ id %u does not fit a 2-byte circ id", circ);
        return -1;
    }
    bld_t body;
    bld_init(&body, HS_CAP_CELL_BODY);
    int rc = build_body(st, env, c, circ, &body, err, errlen);
    if (rc == 0 && !bld_ok(&body)) {
        snprintf(err, errlen, "cell body: %s", body.why ? body.why : "too large");
        rc = -1;
    }
    bool var = st->cmd == CELL_VERSIONS || st->cmd >= 128;
    if (rc == 0) {
        if (var)
            cell_build_var(out, width, circ, (uint8_t)st->cmd, bld_span(&body));
        else
            cell_build_fixed(out, width, circ, (uint8_t)st->cmd, bld_span(&body));
        if (!bld_ok(out)) {
            snprintf(err, errlen, "cannot encode %s: %s (a fixed cell's body is at most 509 "
                     "bytes)", cell_cmd_name((uint8_t)st->cmd), out->why ? out->why : "?");
            rc = -1;
        }
        if (rc == 0)
            rc = scen_mutate_bytes(st->muts, st->n_muts, width, out, err, errlen);
    }
    bld_free(&body);
    if (rc == 0) {
        meta->circ_id = circ;
        meta->cmd = (uint8_t)st->cmd;
        meta->var = var;
        meta->circ_width = (uint8_t)width;
    }
    return rc;
}
