/* link_initiator.c — see link_initiator.h. */
#include "link_initiator.h"

#include "crypto_digest.h"
#include "hs_rand.h"
#include "wire_circ.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Versions this engine can run a handshake at (tor-link.md §1.2). */
static const uint16_t li_speakable[] = { 3, 4, 5 };

struct li_ctx {
    const li_opts_t *o;
    const net_addr_t *target;
    link_chan_t *ch;
    li_result_t *r;
    hs_ns_t t0;
    uint8_t x[CREATE_FAST_KEY_LEN];
};

const char *li_state_name(li_state_t s)
{
    static const char *const n[] = { "connect", "tls", "wait-versions", "wait-certs",
                                     "wait-auth-challenge", "wait-netinfo",
                                     "wait-created-fast", "done" };
    return (unsigned)s < HS_ARRAY_LEN(n) ? n[s] : "?";
}

const char *li_verdict_name(li_verdict_t v)
{
    switch (v) {
    case LI_CONFORMANT: return "conformant";
    case LI_DEVIATED: return "deviated";
    case LI_UNREACHABLE: return "unreachable";
    case LI_TIMEOUT: return "timeout";
    case LI_HARNESS: return "harness-error";
    }
    return "?";
}

int li_exit_code(li_verdict_t v)
{
    switch (v) {
    case LI_CONFORMANT: return 0;
    case LI_DEVIATED: return 1;
    case LI_UNREACHABLE:
    case LI_TIMEOUT: return 3;
    case LI_HARNESS: return 4;
    }
    return 4;
}

static double li_now_ms(const li_ctx_t *x) { return hs_ns_to_ms(hs_mono_ns() - x->t0); }

static void li_summary(li_result_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void li_summary(li_result_t *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->summary, sizeof(r->summary), fmt, ap);
    va_end(ap);
}

static void li_check(li_result_t *r, const char *id, const char *spec, bool ok, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));
static void li_check(li_result_t *r, const char *id, const char *spec, bool ok, const char *fmt,
                     ...)
{
    if (r->n_checks == LI_MAX_CHECKS)
        return;
    li_check_t *c = &r->checks[r->n_checks++];
    c->id = id;
    c->spec = spec;
    c->ok = ok;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
    va_end(ap);
}

static li_step_t li_deviate(li_ctx_t *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static li_step_t li_deviate(li_ctx_t *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->r->summary, sizeof(x->r->summary), fmt, ap);
    va_end(ap);
    x->r->verdict = LI_DEVIATED;
    return LI_STEP_STOP;
}

static li_step_t li_harness(li_ctx_t *x, const char *what)
{
    li_summary(x->r, "harness error: %s%s%s", what, x->ch->err[0] ? ": " : "", x->ch->err);
    x->r->verdict = LI_HARNESS;
    return LI_STEP_STOP;
}

static bool li_send(li_ctx_t *x, uint32_t circ, uint8_t cmd, const bld_t *body)
{
    link_io_t st = link_chan_send(x->ch, circ, cmd, bld_span(body),
                                  hs_deadline_in_ms(x->o->timeout_ms));
    if (st == LINK_OK)
        return true;
    if (st == LINK_HARNESS) {
        (void)li_harness(x, "sending a cell");
    } else {
        x->r->verdict = st == LINK_TIMEOUT ? LI_TIMEOUT : LI_DEVIATED;
        li_summary(x->r, "could not send %s: %s (%s)", cell_cmd_name(cmd), link_io_str(st),
                   x->ch->tls.err);
    }
    return false;
}

/* ---- handlers: one per row of the table ---- */

static li_step_t on_ignored(li_ctx_t *x, const cell_t *c)
{
    (void)x;
    (void)c; /* VPADDING / AUTHORIZE / unknown var cells: the spec says ignore. */
    return LI_STEP_NEXT;
}

static li_step_t on_versions(li_ctx_t *x, const cell_t *c)
{
    li_result_t *r = x->r;
    r->t_versions = li_now_ms(x);
    wire_status_t ws = versions_parse(c->body, &r->their_versions);
    li_check(r, "versions.well-formed", "tor-spec 4.1", ws == WIRE_OK, "VERSIONS body of %zu bytes: %s",
             c->body.len, wire_status_str(ws));
    if (ws != WIRE_OK)
        return li_deviate(x, "responder's VERSIONS is malformed (%s)", wire_status_str(ws));
    r->have_their_versions = true;
    li_check(r, "versions.circ-id-zero", "tor-spec 3 (handshake cells carry CircID 0)",
             c->circ_id == 0, "CircID %u", c->circ_id);
    uint16_t common = versions_pick(x->o->versions, x->o->n_versions, &r->their_versions);
    if (r->expect_close) {
        if (common == 0)
            return li_deviate(x, "responder answered VERSIONS although no version is in common; "
                                 "the spec requires it to close");
        if (common < 3)
            return li_deviate(x, "responder accepted obsolete link version %u (downgrade)", common);
        li_summary(r, "responder chose link version %u, which this engine cannot run", common);
        r->verdict = LI_HARNESS;
        return LI_STEP_STOP;
    }
    li_check(r, "versions.common-version", "tor-spec 4.1", common >= 3,
             "highest common version %u", common);
    if (common < 3)
        return li_deviate(x, "no common link version >= 3 in the responder's VERSIONS");
    r->link_version = common;
    /* Both directions switch width now: the responder already did after sending VERSIONS. */
    x->ch->rx_version = x->ch->tx_version = common;
    return LI_STEP_NEXT;
}

static li_step_t on_certs(li_ctx_t *x, const cell_t *c)
{
    li_result_t *r = x->r;
    r->t_certs = li_now_ms(x);
    li_check(r, "certs.circ-id-zero", "tor-spec 4.2", c->circ_id == 0, "CircID %u", c->circ_id);
    certs_cell_t cells;
    wire_status_t ws = certs_parse(c->body, &cells);
    li_check(r, "certs.well-formed", "tor-spec 4.2", ws == WIRE_OK, "%s", wire_status_str(ws));
    if (ws != WIRE_OK)
        return li_deviate(x, "responder's CERTS cell could not be parsed (%s)", wire_status_str(ws));
    span_t tls_der = span_of(NULL, 0);
    if (tls_conn_peer_cert(&x->ch->tls, &tls_der) != 0)
        return li_harness(x, "no peer TLS certificate to bind CERTS to");
    if (certs_verify(&cells, CERTS_PEER_RESPONDER, tls_der, hs_wall_s(), &r->certs) != 0)
        return li_harness(x, "certificate verification failed internally");
    r->have_certs = true;
    for (size_t i = 0; i < r->certs.n_checks; i++) {
        const certs_check_t *k = &r->certs.checks[i];
        li_check(r, k->id, k->spec, k->ok, "%s", k->detail);
    }
    if (!r->certs.ok)
        return li_deviate(x, "responder's CERTS chain is invalid: %s", r->certs.first_failure);
    return LI_STEP_NEXT;
}

static li_step_t on_auth_challenge(li_ctx_t *x, const cell_t *c)
{
    li_result_t *r = x->r;
    r->t_auth_challenge = li_now_ms(x);
    li_check(r, "auth-challenge.circ-id-zero", "tor-spec 4.3", c->circ_id == 0, "CircID %u",
             c->circ_id);
    wire_status_t ws = auth_challenge_parse(c->body, &r->challenge);
    li_check(r, "auth-challenge.well-formed", "tor-spec 4.3", ws == WIRE_OK, "%zu bytes: %s",
             c->body.len, wire_status_str(ws));
    if (ws != WIRE_OK)
        return li_deviate(x, "responder's AUTH_CHALLENGE is malformed (%s)", wire_status_str(ws));
    r->have_challenge = true;
    bool has3 = false;
    for (unsigned i = 0; i < r->challenge.n_methods; i++)
        has3 = has3 || r->challenge.methods[i] == AUTH_METHOD_ED25519_SHA256_RFC5705;
    li_check(r, "auth-challenge.offers-ed25519", "tor-spec 4.3 (method 3)", has3,
             "%u method(s) offered", r->challenge.n_methods);
    return LI_STEP_NEXT;
}

static bool li_open_circuit(li_ctx_t *x)
{
    li_result_t *r = x->r;
    uint32_t rnd = 0;
    if (hs_rand_bytes(&rnd, sizeof(rnd)) != 0 || hs_rand_bytes(x->x, sizeof(x->x)) != 0) {
        (void)li_harness(x, "random generator failed");
        return false;
    }
    /* v4+: the initiator sets the circ id's MSB; v3: 2-byte id, never 0 (tor-link.md §1.1). */
    r->circ_id = r->link_version >= 4 ? (0x80000000u | rnd) : (1u + rnd % 0x7fffu);
    bld_t b;
    bld_init(&b, CELL_BODY_LEN);
    create_fast_build(&b, x->x);
    r->open_attempted = true;
    bool ok = li_send(x, r->circ_id, CELL_CREATE_FAST, &b);
    bld_free(&b);
    return ok;
}

static li_step_t on_netinfo(li_ctx_t *x, const cell_t *c)
{
    li_result_t *r = x->r;
    r->t_netinfo = li_now_ms(x);
    wire_status_t ws = netinfo_parse(c->body, &r->netinfo);
    li_check(r, "netinfo.well-formed", "tor-spec 4.5", ws == WIRE_OK, "%s", wire_status_str(ws));
    if (ws != WIRE_OK)
        return li_deviate(x, "responder's NETINFO is malformed (%s)", wire_status_str(ws));
    r->have_netinfo = true;
    r->netinfo_skew_s = r->netinfo.time ? (int64_t)r->netinfo.time - hs_wall_s() : 0;
    netinfo_addr_kind_t k = netinfo_addr_kind(&r->netinfo.other);
    uint8_t mine[16];
    size_t mlen = net_tcp_local_ip(x->ch->tls.fd, mine);
    bool same = mlen == r->netinfo.other.alen && memcmp(mine, r->netinfo.other.val, mlen) == 0;
    char addr[64];
    netinfo_addr_format(&r->netinfo.other, addr, sizeof(addr));
    li_check(r, "netinfo.other-addr", "tor-spec 4.5 (OTHERADDR: the peer's address as seen)",
             k == NETINFO_ADDR_IPV4 || k == NETINFO_ADDR_IPV6, "OTHERADDR %s%s", addr,
             same ? " (our address)" : " (differs from our local address)");
    li_check(r, "netinfo.circ-id-zero", "tor-spec 4.5", c->circ_id == 0, "CircID %u",
             c->circ_id);

    /* Our NETINFO, as an unauthenticated client sends it: TIME 0, the target's address. */
    netinfo_addr_t other;
    memset(&other, 0, sizeof(other));
    if (x->target->ss.ss_family == AF_INET) {
        netinfo_addr_ipv4(&other, (const uint8_t *)&((const struct sockaddr_in *)&x->target->ss)->sin_addr);
    } else {
        other.atype = NETINFO_ATYPE_IPV6;
        other.alen = 16;
        memcpy(other.val, &((const struct sockaddr_in6 *)&x->target->ss)->sin6_addr, 16);
    }
    bld_t b;
    bld_init(&b, CELL_BODY_LEN);
    netinfo_build(&b, 0, &other, NULL, 0);
    bool ok = li_send(x, 0, CELL_NETINFO, &b);
    bld_free(&b);
    if (!ok || !li_open_circuit(x))
        return LI_STEP_STOP;
    return LI_STEP_NEXT;
}

static li_step_t on_created_fast(li_ctx_t *x, const cell_t *c)
{
    li_result_t *r = x->r;
    r->t_created = li_now_ms(x);
    if (c->circ_id != r->circ_id)
        return li_deviate(x, "CREATED_FAST for circuit %u, we created %u", c->circ_id, r->circ_id);
    created_fast_t cf;
    if (created_fast_parse(c->body, &cf) != WIRE_OK)
        return li_deviate(x, "CREATED_FAST truncated");
    r->created_fast = true;
    uint8_t kh[HS_SHA1_LEN];
    if (crypto_kdf_tor_kh(x->x, cf.y, kh) != 0)
        return li_harness(x, "SHA-1 failed");
    r->kh_ok = memcmp(kh, cf.kh, HS_SHA1_LEN) == 0;
    li_check(r, "open.created-fast-kh", "tor-spec 5.1.3 (KDF-TOR derivative key data KH)", r->kh_ok,
             "KH %s", r->kh_ok ? "matches KDF-TOR(X|Y)" : "does not match KDF-TOR(X|Y)");
    if (!r->kh_ok)
        return li_deviate(x, "CREATED_FAST carries a wrong KH");
    return LI_STEP_NEXT;
}

static li_step_t on_destroy(li_ctx_t *x, const cell_t *c)
{
    li_result_t *r = x->r;
    r->got_destroy = true;
    if (destroy_parse(c->body, &r->destroy_reason) != WIRE_OK)
        r->destroy_reason = 0;
    li_check(r, "open.created-fast", "tor-spec 5.1", false, "DESTROY reason %u (%s)",
             r->destroy_reason, destroy_reason_name(r->destroy_reason));
    return li_deviate(x, "responder destroyed our CREATE_FAST circuit: reason %u (%s)",
                      r->destroy_reason, destroy_reason_name(r->destroy_reason));
}

/* The handshake, as data.  Rows are matched in order; the first match wins. */
static const li_rule_t li_rules[] = {
    { LI_WAIT_VERSIONS, CELL_VERSIONS, on_versions, LI_WAIT_CERTS,
      "responder's VERSIONS (2-byte circ id) fixes the link version" },
    { LI_ANY_HANDSHAKE, CELL_VPADDING, on_ignored, LI_SAME, "VPADDING is ignored anywhere" },
    { LI_ANY_HANDSHAKE, CELL_AUTHORIZE, on_ignored, LI_SAME, "AUTHORIZE is ignored" },
    { LI_ANY_HANDSHAKE, LI_CMD_UNKNOWN_VAR, on_ignored, LI_SAME,
      "unknown var-length commands are ignored" },
    { LI_WAIT_CERTS, CELL_CERTS, on_certs, LI_WAIT_AUTH_CHALLENGE,
      "CERTS is validated in full before anything else is accepted" },
    { LI_WAIT_AUTH_CHALLENGE, CELL_AUTH_CHALLENGE, on_auth_challenge, LI_WAIT_NETINFO,
      "AUTH_CHALLENGE follows CERTS" },
    { LI_WAIT_NETINFO, CELL_NETINFO, on_netinfo, LI_WAIT_CREATED_FAST,
      "NETINFO ends the responder's flight; we answer NETINFO + CREATE_FAST" },
    { LI_WAIT_CREATED_FAST, CELL_CREATED_FAST, on_created_fast, LI_DONE,
      "CREATED_FAST with the right KH proves the channel is open" },
    { LI_WAIT_CREATED_FAST, CELL_DESTROY, on_destroy, LI_DONE, "DESTROY refuses the circuit" },
    { LI_WAIT_CREATED_FAST, CELL_PADDING, on_ignored, LI_SAME, "keepalive PADDING once open" },
    { LI_WAIT_CREATED_FAST, CELL_VPADDING, on_ignored, LI_SAME, "VPADDING once open" },
    { LI_WAIT_CREATED_FAST, CELL_NETINFO, on_ignored, LI_SAME,
      "a NETINFO after open is dropped" },
};

const li_rule_t *li_table(size_t *n)
{
    *n = HS_ARRAY_LEN(li_rules);
    return li_rules;
}

static bool li_known_var(uint8_t cmd)
{
    return cmd == CELL_VERSIONS || (cmd >= CELL_VPADDING && cmd <= CELL_AUTHORIZE);
}

const li_rule_t *li_lookup(li_state_t state, uint8_t cmd)
{
    bool hs = state >= LI_WAIT_VERSIONS && state <= LI_WAIT_NETINFO;
    for (size_t i = 0; i < HS_ARRAY_LEN(li_rules); i++) {
        const li_rule_t *ru = &li_rules[i];
        bool st_ok = ru->state == state || (ru->state == LI_ANY_HANDSHAKE && hs);
        bool cmd_ok = ru->cmd == cmd ||
                      (ru->cmd == LI_CMD_UNKNOWN_VAR && cmd >= 128 && !li_known_var(cmd));
        if (st_ok && cmd_ok)
            return ru;
    }
    return NULL;
}

/* The target stopped talking: closed, reset, alerted or went silent while we waited. */
static void li_on_recv_failure(li_ctx_t *x, li_state_t st, link_io_t io)
{
    li_result_t *r = x->r;
    if (io == LINK_HARNESS) {
        (void)li_harness(x, "receiving");
        return;
    }
    if (io == LINK_CLOSED || io == LINK_RESET || io == LINK_ALERT) {
        r->closed = true;
        r->closed_rst = io == LINK_RESET;
        r->close_ms = link_chan_close_ms(x->ch);
        r->pending_bytes_at_close = x->ch->rx_len;
        r->alert_level = x->ch->tls.alert_level;
        r->alert_desc = x->ch->tls.alert_desc;
    }
    const char *how = io == LINK_RESET ? "RST" : io == LINK_ALERT ? "TLS alert" : "FIN";
    if (io == LINK_TIMEOUT) {
        r->verdict = LI_TIMEOUT;
        li_summary(r, "timed out after %lld ms waiting in state %s", (long long)x->o->timeout_ms,
                   li_state_name(st));
        return;
    }
    if (io == LINK_TLS_ERROR) {
        r->verdict = LI_DEVIATED;
        li_summary(r, "TLS error in state %s: %s", li_state_name(st), x->ch->tls.err);
        return;
    }
    if (st == LI_WAIT_VERSIONS && r->expect_close) {
        r->verdict = LI_CONFORMANT;
        li_check(r, "versions.close-without-common-version", "tor-spec 4.1", true,
                 "closed (%s) %.1f ms after our VERSIONS", how, r->close_ms - r->t_tls);
        char list[128] = "";
        for (size_t i = 0, n = 0; i < x->o->n_versions && n + 8 < sizeof(list); i++)
            n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%u", i ? "," : "",
                                  x->o->versions[i]);
        li_summary(r, "responder closed (%s) as required: no common link version in {%s}", how,
                   list);
        return;
    }
    r->verdict = LI_DEVIATED;
    li_summary(r, "responder closed the connection (%s) in state %s%s", how, li_state_name(st),
               r->pending_bytes_at_close ? " in the middle of a cell" : "");
}

static int li_run_steps(const net_addr_t *target, const li_opts_t *o, link_chan_t *ch,
                        li_result_t *r, hs_ns_t t0)
{
    r->alert_level = r->alert_desc = -1;
    li_ctx_t x = { .o = o, .target = target, .ch = ch, .r = r, .t0 = t0 };
    if (link_chan_init(ch) != 0) {
        li_summary(r, "harness error: out of memory");
        r->verdict = LI_HARNESS;
        return -1;
    }
    r->expect_close = true;
    for (size_t i = 0; i < o->n_versions; i++)
        for (size_t j = 0; j < HS_ARRAY_LEN(li_speakable); j++)
            if (o->versions[i] == li_speakable[j])
                r->expect_close = false;

    li_state_t st = LI_CONNECT;
    char err[256] = "";
    int fd = -1;
    net_status_t ns = net_tcp_connect(target, hs_deadline_in_ms(o->timeout_ms), &fd, err, sizeof(err));
    r->t_connect = li_now_ms(&x);
    if (ns != NET_OK) {
        r->stopped_in = st;
        r->verdict = ns == NET_TIMEOUT ? LI_TIMEOUT : ns == NET_ERROR ? LI_HARNESS : LI_UNREACHABLE;
        li_summary(r, "target unreachable: %s", err);
        if (ns == NET_TIMEOUT)
            li_summary(r, "timed out: %s", err);
        return 0;
    }
    st = LI_TLS;
    ch->t0 = x.t0;
    if (tls_conn_init(&ch->tls, fd, &o->tls) != 0) {
        r->stopped_in = st;
        r->verdict = LI_HARNESS;
        li_summary(r, "harness error: %s", ch->tls.err);
        return 0;
    }
    snprintf(r->tls_priority, sizeof(r->tls_priority), "%s", ch->tls.priority);
    tls_io_t ts = tls_conn_handshake(&ch->tls, hs_deadline_in_ms(o->timeout_ms));
    r->t_tls = li_now_ms(&x);
    if (ts != TLS_IO_OK) {
        r->stopped_in = st;
        r->alert_level = ch->tls.alert_level;
        r->alert_desc = ch->tls.alert_desc;
        if (ts == TLS_IO_CLOSED || ts == TLS_IO_RESET) {
            r->closed = true;
            r->closed_rst = ts == TLS_IO_RESET;
            r->close_ms = link_chan_close_ms(ch);
        }
        r->verdict = ts == TLS_IO_TIMEOUT ? LI_TIMEOUT : ts == TLS_IO_HARNESS ? LI_HARNESS : LI_DEVIATED;
        li_summary(r, "%s: %s", ts == TLS_IO_TIMEOUT ? "timed out in the TLS handshake"
                                                    : "TLS handshake failed",
                   ch->tls.err);
        return 0;
    }
    r->tls_done = true;
    tls_conn_info(&ch->tls, &r->tls);
    span_t der;
    if (tls_conn_peer_cert(&ch->tls, &der) == 0) {
        r->have_tls_cert = true;
        x509_cert_t xc;
        char why[160] = "";
        int d = x509_decode(der, &xc, why, sizeof(why));
        if (d == 0) {
            r->tls_cert_decoded = x509_describe(&xc, &r->tls_cert) == 0;
            x509_free(&xc);
        }
        li_check(r, "tls.certificate-decodes", "tor-spec 2 (X.509 DER link certificate)", d == 0,
                 "%s", d == 0 ? "DER certificate decodes" : why);
    }

    st = LI_WAIT_VERSIONS;
    bld_t vb;
    bld_init(&vb, 2 * HS_CAP_VERSIONS);
    versions_build(&vb, o->versions, o->n_versions);
    bool sent = li_send(&x, 0, CELL_VERSIONS, &vb);
    bld_free(&vb);
    if (!sent) {
        r->stopped_in = st;
        return 0;
    }

    r->verdict = LI_CONFORMANT;
    while (st != LI_DONE) {
        cell_t c;
        link_io_t io = link_chan_recv(ch, &c, hs_deadline_in_ms(o->timeout_ms));
        if (io != LINK_OK) {
            li_on_recv_failure(&x, st, io);
            break;
        }
        const li_rule_t *ru = li_lookup(st, c.cmd);
        if (!ru) {
            (void)li_deviate(&x, "unexpected %s cell (command %u) in state %s",
                             cell_cmd_name(c.cmd), c.cmd, li_state_name(st));
            li_check(r, "handshake.cell-order", "tor-spec 4 (handshake order)", false,
                     "%s in state %s", cell_cmd_name(c.cmd), li_state_name(st));
            break;
        }
        if (ru->handle(&x, &c) == LI_STEP_STOP)
            break;
        if (ru->next != LI_SAME)
            st = ru->next;
    }
    r->stopped_in = st;
    if (st == LI_DONE && r->verdict == LI_CONFORMANT) {
        for (size_t i = 0; i < r->n_checks; i++)
            if (!r->checks[i].ok) {
                r->verdict = LI_DEVIATED;
                li_summary(r, "handshake completed but check %s failed: %s", r->checks[i].id,
                           r->checks[i].detail);
                break;
            }
        if (r->verdict == LI_CONFORMANT)
            li_summary(r, "link version %u over %s: CERTS valid, channel open (CREATED_FAST)",
                       r->link_version, r->tls.version ? r->tls.version : "TLS");
        /* Be polite: tear our circuit down before closing. */
        bld_t db;
        bld_init(&db, 1);
        destroy_build(&db, 3 /* REQUESTED */);
        if (link_chan_send(ch, r->circ_id, CELL_DESTROY, bld_span(&db),
                           hs_deadline_in_ms(o->timeout_ms)) != LINK_OK) {
            /* Best effort: the verdict is already decided. */
        }
        bld_free(&db);
    }
    return 0;
}

int li_run(const net_addr_t *target, const li_opts_t *o, link_chan_t *ch, li_result_t *r)
{
    memset(r, 0, sizeof(*r));
    hs_ns_t t0 = hs_mono_ns();
    int rc = li_run_steps(target, o, ch, r, t0);
    r->t_total = hs_ns_to_ms(hs_mono_ns() - t0);
    return rc;
}
