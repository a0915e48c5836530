/* out_vec_handshake.c — the in-process handshakes (out_vec_hs.h) and handshake.json: for each,
 * every cell each side sent, in conversation order, with its offset in the sender's byte
 * stream, the digests of both streams, and SLOG/CLOG with the byte counts they cover. */
#include "out_vec_hs.h"

#include "crypto_digest.h"
#include "hs_rand.h"
#include "link_certs_verify.h"
#include "wire_auth.h"
#include "wire_certs.h"
#include "wire_netinfo.h"
#include "wire_versions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HS_DEADLINE_MS 5000 /* a local socket pair: anything slower is a bug, not a peer */

const vec_hs_def_t *vec_hs_defs(size_t *n)
{
    static const vec_hs_def_t defs[] = {
        { "link5-auth3",
          "an authenticating relay initiator (harness-a) and a relay responder (harness-b) as "
          "tor 0.4.9 runs them: link 5, Ed25519 chains, AUTHENTICATE type 3; the initiator "
          "sends a VPADDING before its CERTS (it counts in CLOG)",
          { 3, 4, 5 }, 3, { 3, 4, 5 }, 3, { 1, 2, 4, 5, 7 }, 5, { 3 }, 1, { 3, 2, 4, 6, 7 }, 5,
          false, true, 3, true },
        { "link3-auth1",
          "the historical RSA method: the initiator offers only link 3 (2-byte circ ids "
          "throughout), the responder offers methods 1 and 3 (as tor 0.4.8 did), the initiator "
          "proves an RSA-only identity (CERTS 3, 2) with AUTHENTICATE type 1",
          { 3 }, 1, { 3, 4, 5 }, 3, { 1, 2, 4, 5, 7 }, 5, { 1, 3 }, 2, { 3, 2 }, 2, false, false,
          1, true },
        { "link4-client",
          "an unauthenticated client initiator: opens with an empty VPADDING, offers links 3 "
          "and 4, sends no CERTS and answers with NETINFO (TIME 0, no own address)",
          { 3, 4 }, 2, { 3, 4, 5 }, 3, { 1, 2, 4, 5, 7 }, 5, { 3 }, 1, { 0 }, 0, true, false, 0,
          false },
    };
    *n = HS_ARRAY_LEN(defs);
    return defs;
}

void vec_hs_label(const vec_hs_def_t *def, const char *what, char *out, size_t n)
{
    snprintf(out, n, "vectors/handshake/%s/%s", def->id, what);
}

static int hs_fail(vec_ctx_t *ctx, const vec_hs_def_t *def, const char *what, const char *why)
{
    snprintf(ctx->err, sizeof ctx->err, "handshake %s: %s%s%s", def->id, what, why && *why ? ": " : "",
             why ? why : "");
    return -1;
}

static int hs_draw(vec_ctx_t *ctx, const vec_hs_def_t *def, const char *what, uint8_t *out, size_t n)
{
    char label[128];
    vec_hs_label(def, what, label, sizeof label);
    return vec_draw(ctx, label, out, n);
}

static int send_cell(vec_ctx_t *ctx, const vec_hs_def_t *def, link_chan_t *ch, uint8_t cmd,
                     span_t body, hs_ns_t dl)
{
    if (link_chan_send(ch, 0, cmd, body, dl) != LINK_OK)
        return hs_fail(ctx, def, "send", ch->err);
    return 0;
}

static int send_bld(vec_ctx_t *ctx, const vec_hs_def_t *def, link_chan_t *ch, uint8_t cmd,
                    bld_t *body, hs_ns_t dl)
{
    int rc = bld_ok(body) ? send_cell(ctx, def, ch, cmd, bld_span(body), dl)
                          : hs_fail(ctx, def, "build", body->why);
    bld_reset(body);
    return rc;
}

/* The next cell, which must be `want`. */
static int recv_cell(vec_ctx_t *ctx, const vec_hs_def_t *def, link_chan_t *ch, uint8_t want,
                     cell_t *c, hs_ns_t dl)
{
    link_io_t st = link_chan_recv(ch, c, dl);
    if (st != LINK_OK)
        return hs_fail(ctx, def, "receive", link_io_str(st));
    if (c->cmd != want) {
        char why[80];
        snprintf(why, sizeof why, "got %s, expected %s", cell_cmd_name(c->cmd), cell_cmd_name(want));
        return hs_fail(ctx, def, "out of sequence", why);
    }
    return 0;
}

static int certs_body(const vec_ident_t *v, const int *types, size_t n, bld_t *body)
{
    certs_entry_t e[8];
    for (size_t i = 0; i < n && i < HS_ARRAY_LEN(e); i++)
        e[i] = (certs_entry_t){ (uint8_t)types[i], bld_span(&v->cert[types[i]]) };
    certs_build(body, e, n);
    return bld_ok(body) ? 0 : -1;
}

/* A received CERTS body judged as tor would judge it; the transcript must be acceptable. */
static int judge_certs(vec_ctx_t *ctx, const vec_hs_def_t *def, span_t body, certs_peer_role_t role,
                       span_t tls)
{
    certs_cell_t cell;
    if (certs_parse(body, &cell) != WIRE_OK)
        return hs_fail(ctx, def, "CERTS", "does not parse");
    certs_verdict_t *v = calloc(1, sizeof *v);
    if (!v)
        return hs_fail(ctx, def, "CERTS", "out of memory");
    int rc = certs_verify(&cell, role, tls, ctx->now, v);
    if (rc == 0 && !v->ok)
        rc = hs_fail(ctx, def, role == CERTS_PEER_RESPONDER ? "the initiator rejects the responder's CERTS"
                                                            : "the responder rejects the initiator's CERTS",
                     v->first_failure);
    else if (rc != 0)
        rc = hs_fail(ctx, def, "CERTS", "cannot evaluate");
    free(v);
    return rc;
}

static void loopback(netinfo_addr_t *a)
{
    static const uint8_t lo[4] = { 127, 0, 0, 1 };
    netinfo_addr_ipv4(a, lo);
}

/* The responder: reads VERSIONS (after any VPADDING), answers with its whole flight. */
static int responder_flight(vec_ctx_t *ctx, const vec_hs_def_t *def, link_chan_t *r, vec_hs_t *out,
                            hs_ns_t dl)
{
    cell_t c;
    if (def->vpadding_first && recv_cell(ctx, def, r, CELL_VPADDING, &c, dl) != 0)
        return -1;
    versions_cell_t theirs;
    if (recv_cell(ctx, def, r, CELL_VERSIONS, &c, dl) != 0 || versions_parse(c.body, &theirs) != WIRE_OK)
        return ctx->err[0] ? -1 : hs_fail(ctx, def, "VERSIONS", "does not parse");
    out->link = versions_pick(def->rvers, def->n_rvers, &theirs);
    if (!out->link)
        return hs_fail(ctx, def, "VERSIONS", "no version in common");
    bld_t b;
    bld_init(&b, VEC_BODY_CAP);
    versions_build(&b, def->rvers, def->n_rvers);
    int rc = send_bld(ctx, def, r, CELL_VERSIONS, &b, dl);
    /* Our VERSIONS went out with the 2-byte header; everything after uses the link's width. */
    r->tx_version = r->rx_version = out->link;
    if (rc == 0 && certs_body(&ctx->b, def->rcerts, def->n_rcerts, &b) == 0)
        rc = send_bld(ctx, def, r, CELL_CERTS, &b, dl);
    else if (rc == 0)
        rc = hs_fail(ctx, def, "CERTS", "cannot build");
    if (rc == 0 && hs_draw(ctx, def, "challenge", out->challenge, 32) != 0)
        rc = hs_fail(ctx, def, "challenge", "no random bytes");
    if (rc == 0) {
        auth_challenge_build(&b, out->challenge, def->methods, def->n_methods);
        rc = send_bld(ctx, def, r, CELL_AUTH_CHALLENGE, &b, dl);
    }
    if (rc == 0) {
        netinfo_addr_t other, me;
        loopback(&other);
        loopback(&me);
        netinfo_build(&b, (uint32_t)ctx->now, &other, &me, 1);
        rc = send_bld(ctx, def, r, CELL_NETINFO, &b, dl);
    }
    bld_free(&b);
    return rc;
}

/* The initiator's AUTHENTICATE: the engine's authenticator (link_auth) computed from the
 * channel, with the two TLS-dependent fields taken from the fixed inputs. */
static int authenticate(vec_ctx_t *ctx, const vec_hs_def_t *def, link_chan_t *ini, vec_hs_t *out,
                        hs_ns_t dl)
{
    char err[256] = "";
    char label[128];
    out->claim.type = def->auth_type;
    vec_hs_label(def, "rand", label, sizeof label);
    /* link_auth_derive draws RAND (and nothing else) from the DRBG. */
    hs_rand_seed(ctx->seed, label);
    int rc = link_auth_derive(ini, &ctx->a.id, ctx->now, &out->claim, err, sizeof err);
    hs_rand_unseed();
    if (rc != 0)
        return hs_fail(ctx, def, "AUTHENTICATE", err);
    /* Over plain sockets the channel has neither a TLS certificate nor TLS secrets. */
    if (out->claim.src[AF_SCERT] != AUTH_SRC_UNAVAILABLE ||
        out->claim.src[AF_TLSSECRETS] != AUTH_SRC_UNAVAILABLE)
        return hs_fail(ctx, def, "AUTHENTICATE", "the channel unexpectedly has TLS");
    if (crypto_sha256(bld_span(&ctx->b.cert[1]), out->claim.val[AF_SCERT]) != 0)
        return hs_fail(ctx, def, "SCERT", "SHA-256 failed");
    if (def->auth_type == 3) {
        memcpy(out->claim.val[AF_TLSSECRETS], out->exporter, 32);
    } else {
        uint8_t msg[64 + sizeof VEC_AUTH1_LABEL];
        memcpy(msg, out->client_random, 32);
        memcpy(msg + 32, out->server_random, 32);
        memcpy(msg + 64, VEC_AUTH1_LABEL, sizeof VEC_AUTH1_LABEL); /* with its NUL */
        if (crypto_hmac_sha256(span_of(out->master_secret, 48), span_of(msg, sizeof msg),
                               out->claim.val[AF_TLSSECRETS]) != 0)
            return hs_fail(ctx, def, "TLSSECRETS", "HMAC failed");
    }
    out->claim.src[AF_SCERT] = out->claim.src[AF_TLSSECRETS] = AUTH_SRC_COMPUTED;
    for (int f = 0; f < AF_COUNT; f++)
        if (f != AF_SIG && out->claim.len[f] && out->claim.src[f] == AUTH_SRC_UNAVAILABLE)
            return hs_fail(ctx, def, "AUTHENTICATE", auth_field_name((auth_field_t)f));
    out->clog_len = ini->sent_log.len; /* everything sent before AUTHENTICATE */
    if (link_auth_finish(&ctx->a.id, &out->claim, &out->auth, err, sizeof err) != 0 || !bld_ok(&out->auth))
        return hs_fail(ctx, def, "AUTHENTICATE", err[0] ? err : "cannot build");
    bld_t body;
    bld_init(&body, 1024);
    authenticate_build(&body, def->auth_type, bld_span(&out->auth));
    rc = send_bld(ctx, def, ini, CELL_AUTHENTICATE, &body, dl);
    bld_free(&body);
    return rc;
}

/* The initiator: VERSIONS, the responder's flight (CERTS judged), then its own answer. */
static int initiator_answer(vec_ctx_t *ctx, const vec_hs_def_t *def, link_chan_t *ini, vec_hs_t *out,
                            hs_ns_t dl)
{
    cell_t c;
    versions_cell_t theirs;
    if (recv_cell(ctx, def, ini, CELL_VERSIONS, &c, dl) != 0)
        return -1;
    if (versions_parse(c.body, &theirs) != WIRE_OK ||
        versions_pick(def->ivers, def->n_ivers, &theirs) != out->link)
        return hs_fail(ctx, def, "VERSIONS", "the two sides disagree on the link version");
    ini->tx_version = ini->rx_version = out->link;
    if (recv_cell(ctx, def, ini, CELL_CERTS, &c, dl) != 0 ||
        judge_certs(ctx, def, c.body, CERTS_PEER_RESPONDER, bld_span(&ctx->b.cert[1])) != 0)
        return -1;
    auth_challenge_t ac;
    if (recv_cell(ctx, def, ini, CELL_AUTH_CHALLENGE, &c, dl) != 0)
        return -1;
    if (auth_challenge_parse(c.body, &ac) != WIRE_OK)
        return hs_fail(ctx, def, "AUTH_CHALLENGE", "does not parse");
    out->slog_len = ini->recv_log.len; /* the responder's bytes through AUTH_CHALLENGE */
    if (recv_cell(ctx, def, ini, CELL_NETINFO, &c, dl) != 0)
        return -1;
    bld_t b;
    bld_init(&b, VEC_BODY_CAP);
    int rc = 0;
    if (def->vpadding_before_certs) {
        uint8_t pad[8];
        rc = hs_draw(ctx, def, "vpadding", pad, sizeof pad) == 0
                 ? send_cell(ctx, def, ini, CELL_VPADDING, span_of(pad, sizeof pad), dl)
                 : hs_fail(ctx, def, "VPADDING", "no random bytes");
    }
    if (rc == 0 && def->n_icerts) {
        rc = certs_body(&ctx->a, def->icerts, def->n_icerts, &b) == 0
                 ? send_bld(ctx, def, ini, CELL_CERTS, &b, dl)
                 : hs_fail(ctx, def, "CERTS", "cannot build");
    }
    if (rc == 0 && def->auth_type) {
        bool offered = false;
        for (size_t i = 0; i < ac.n_methods; i++)
            offered = offered || ac.methods[i] == def->auth_type;
        rc = offered ? authenticate(ctx, def, ini, out, dl)
                     : hs_fail(ctx, def, "AUTHENTICATE", "method not offered");
    }
    if (rc == 0) {
        netinfo_addr_t other, me;
        loopback(&other);
        loopback(&me);
        if (def->initiator_is_relay)
            netinfo_build(&b, (uint32_t)ctx->now, &other, &me, 1);
        else
            netinfo_build(&b, 0, &other, NULL, 0);
        rc = send_bld(ctx, def, ini, CELL_NETINFO, &b, dl);
    }
    bld_free(&b);
    return rc;
}

/* The responder takes in the initiator's answer and judges its CERTS. */
static int responder_reads(vec_ctx_t *ctx, const vec_hs_def_t *def, link_chan_t *r, hs_ns_t dl)
{
    cell_t c;
    if (def->vpadding_before_certs && recv_cell(ctx, def, r, CELL_VPADDING, &c, dl) != 0)
        return -1;
    if (def->n_icerts && (recv_cell(ctx, def, r, CELL_CERTS, &c, dl) != 0 ||
                          judge_certs(ctx, def, c.body, CERTS_PEER_INITIATOR, span_of(NULL, 0)) != 0))
        return -1;
    if (def->auth_type && recv_cell(ctx, def, r, CELL_AUTHENTICATE, &c, dl) != 0)
        return -1;
    return recv_cell(ctx, def, r, CELL_NETINFO, &c, dl);
}

static bool same_bytes(const bld_t *a, const bld_t *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->buf, b->buf, a->len) == 0);
}

int vec_hs_run(vec_ctx_t *ctx, const vec_hs_def_t *def, vec_hs_t *out)
{
    memset(out, 0, sizeof *out);
    out->def = def;
    bld_init(&out->ibytes, HS_CAP_TRANSCRIPT);
    bld_init(&out->rbytes, HS_CAP_TRANSCRIPT);
    bld_init(&out->auth, 1024);
    if (hs_draw(ctx, def, "tls-exporter", out->exporter, 32) != 0 ||
        hs_draw(ctx, def, "tls-client-random", out->client_random, 32) != 0 ||
        hs_draw(ctx, def, "tls-server-random", out->server_random, 32) != 0 ||
        hs_draw(ctx, def, "tls-master-secret", out->master_secret, 48) != 0)
        return hs_fail(ctx, def, "TLS inputs", "no random bytes");
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
        return hs_fail(ctx, def, "socketpair", "failed");
    link_chan_t *ini = calloc(1, sizeof *ini), *res = calloc(1, sizeof *res);
    bool ini_ok = ini && link_chan_init(ini) == 0, res_ok = res && link_chan_init(res) == 0;
    int rc = ini_ok && res_ok ? 0 : -1;
    if (rc == 0) {
        tls_conn_init_plain(&ini->tls, sv[0]);
        tls_conn_init_plain(&res->tls, sv[1]);
        sv[0] = sv[1] = -1; /* owned by the channels now */
    } else {
        hs_fail(ctx, def, "channel", "out of memory");
    }
    hs_ns_t dl = hs_deadline_in_ms(HS_DEADLINE_MS);
    if (rc == 0 && def->vpadding_first)
        rc = send_cell(ctx, def, ini, CELL_VPADDING, span_of(NULL, 0), dl);
    if (rc == 0) {
        bld_t b;
        bld_init(&b, 64);
        versions_build(&b, def->ivers, def->n_ivers);
        rc = send_bld(ctx, def, ini, CELL_VERSIONS, &b, dl);
        bld_free(&b);
    }
    rc = rc ? rc : responder_flight(ctx, def, res, out, dl);
    rc = rc ? rc : initiator_answer(ctx, def, ini, out, dl);
    rc = rc ? rc : responder_reads(ctx, def, res, dl);
    if (rc == 0 && (ini->log_overflow || res->log_overflow || !same_bytes(&ini->sent_log, &res->recv_log) ||
                    !same_bytes(&res->sent_log, &ini->recv_log)))
        rc = hs_fail(ctx, def, "transcript", "the two sides recorded different bytes");
    /* The initiator's records are the conversation in order: its sends and what it read. */
    for (size_t i = 0; rc == 0 && i < ini->n_recs; i++) {
        const link_rec_t *r = &ini->recs[i];
        if (out->n_cells == VEC_HS_CAP_CELLS || !r->circ_width) {
            rc = hs_fail(ctx, def, "transcript", "too many or unframed records");
            break;
        }
        out->cells[out->n_cells++] = (vec_hs_cell_t){ r->sent, r->cmd, r->circ_width, r->circ_id,
                                                      r->off, r->len };
    }
    if (rc == 0) {
        bld_bytes(&out->ibytes, ini->sent_log.buf, ini->sent_log.len);
        bld_bytes(&out->rbytes, ini->recv_log.buf, ini->recv_log.len);
        if (!bld_ok(&out->ibytes) || !bld_ok(&out->rbytes))
            rc = hs_fail(ctx, def, "transcript", "too long");
    }
    /* link_chan_init leaves even a failed channel in a state link_chan_free accepts. */
    if (ini)
        link_chan_free(ini, dl);
    if (res)
        link_chan_free(res, dl);
    free(ini);
    free(res);
    for (int i = 0; i < 2; i++)
        if (sv[i] >= 0)
            close(sv[i]);
    return rc;
}

void vec_hs_free(vec_hs_t *hs)
{
    bld_free(&hs->ibytes);
    bld_free(&hs->rbytes);
    bld_free(&hs->auth);
}

/* ---- handshake.json ---------------------------------------------------------------------- */

static int digest_member(json_out_t *j, const char *key, const bld_t *stream, size_t len)
{
    json_obj_begin(j, key);
    json_int(j, "len", (int64_t)len);
    int rc = vec_sha256_member(j, "sha256", span_of(stream->buf, len));
    json_obj_end(j);
    return rc;
}

static int hs_vector(vec_ctx_t *ctx, json_out_t *j, const vec_hs_t *hs)
{
    const vec_hs_def_t *d = hs->def;
    char label[128];
    json_obj_begin(j, NULL);
    json_str(j, "id", d->id);
    json_str(j, "desc", d->desc);
    json_str(j, "initiator", d->n_icerts ? ctx->a.name : "(client, no identity)");
    json_str(j, "responder", ctx->b.name);
    json_arr_begin_inline(j, "initiator_versions");
    for (size_t i = 0; i < d->n_ivers; i++)
        json_int(j, NULL, d->ivers[i]);
    json_arr_end(j);
    json_arr_begin_inline(j, "responder_versions");
    for (size_t i = 0; i < d->n_rvers; i++)
        json_int(j, NULL, d->rvers[i]);
    json_arr_end(j);
    json_int(j, "link_version", hs->link);
    json_int(j, "auth_type", d->auth_type);
    json_obj_begin(j, "tls");
    json_str(j, "note", "fixed inputs: no TLS ran; these are what TLS would have provided");
    json_str(j, "server_cert", "x509-link-harness-b");
    vec_hex_bld(j, "server_cert_der", &ctx->b.cert[1]);
    if (d->auth_type == 3) {
        vec_hs_label(d, "tls-exporter", label, sizeof label);
        json_hex(j, "exporter_output", hs->exporter, 32);
        json_str(j, "exporter_drbg_label", label);
    } else if (d->auth_type == 1) {
        json_hex(j, "client_random", hs->client_random, 32);
        json_hex(j, "server_random", hs->server_random, 32);
        json_hex(j, "master_secret", hs->master_secret, 48);
    }
    json_obj_end(j);
    vec_hs_label(d, "challenge", label, sizeof label);
    json_str(j, "challenge_drbg_label", label);
    json_arr_begin(j, "cells");
    for (size_t i = 0; i < hs->n_cells; i++) {
        const vec_hs_cell_t *c = &hs->cells[i];
        const bld_t *s = c->from_initiator ? &hs->ibytes : &hs->rbytes;
        json_obj_begin(j, NULL);
        json_str(j, "from", c->from_initiator ? "initiator" : "responder");
        json_str(j, "command", cell_cmd_name(c->cmd));
        json_int(j, "cmd", c->cmd);
        json_int(j, "circ_width", c->circ_width);
        json_int(j, "offset", (int64_t)c->off);
        json_int(j, "len", (int64_t)c->len);
        json_hex(j, "hex", s->buf + c->off, c->len);
        json_obj_end(j);
    }
    json_arr_end(j);
    int rc = digest_member(j, "initiator_stream", &hs->ibytes, hs->ibytes.len);
    rc = rc ? rc : digest_member(j, "responder_stream", &hs->rbytes, hs->rbytes.len);
    if (rc == 0 && d->auth_type) {
        rc = digest_member(j, "slog", &hs->rbytes, hs->slog_len);
        rc = rc ? rc : digest_member(j, "clog", &hs->ibytes, hs->clog_len);
        char ref[64];
        snprintf(ref, sizeof ref, "authenticate-%s", d->id);
        json_str(j, "authenticate", ref);
    }
    json_obj_end(j);
    return rc;
}

int vec_write_handshake(vec_ctx_t *ctx, FILE *f)
{
    json_out_t j;
    json_init_pretty(&j, f);
    vec_header(&j, ctx, "handshake",
               "full link handshakes, harness initiator against harness responder in one process "
               "(no TLS: its contributions are fixed inputs); the exact bytes each side sent above "
               "TLS, SLOG and CLOG");
    json_arr_begin(&j, "vectors");
    size_t n;
    const vec_hs_def_t *defs = vec_hs_defs(&n);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        vec_hs_t hs;
        rc = vec_hs_run(ctx, &defs[i], &hs);
        if (rc == 0)
            rc = hs_vector(ctx, &j, &hs);
        vec_hs_free(&hs);
    }
    json_arr_end(&j);
    json_obj_end(&j);
    return rc;
}
