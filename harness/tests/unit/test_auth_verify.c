/* test_auth_verify.c — link_auth_verify (the responder's check of a type-3 AUTHENTICATE,
 * tor-link.md §1.12) against a forged channel.
 *
 * A "forged channel" is a real one, made in-process: two link channels over a socketpair, a
 * GnuTLS client (the initiator) and the engine's TLS server end (the responder, presenting the
 * responder identity's link certificate), both driven from the test thread.  Over it the
 * handshake cells cross as on the wire — VERSIONS both ways, the responder's CERTS (1,2,4,5,7)
 * and AUTH_CHALLENGE, the initiator's CERTS (2,4,6,7) — then the initiator's side computes an
 * authenticator from what *it* saw (link_auth_derive/finish, the builder the scenarios use),
 * and the responder's side verifies it from what *it* saw.  The two sides share no state but
 * the bytes that crossed, so a correct authenticator verifying is a real check of both.
 *
 * Then each field in turn is made wrong and the authenticator re-signed (only that field is
 * wrong), or the signature is spoiled, or the authenticator comes from another channel: the
 * verifier must reject it and name that field as the first mismatch. */
#include "unit.h"

#include "crypto_identity.h"
#include "hs_rand.h"
#include "link_auth.h"
#include "link_auth_verify.h"
#include "tls_conn.h"
#include "wire_auth.h"
#include "wire_certs.h"
#include "wire_versions.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#define DAY (24 * 3600LL)
#define IO_MS 2000
#define HS_ROUNDS 400 /* alternating non-blocking handshake steps before giving up */

static relay_identity_t g_ini, g_rsp;
static int64_t g_now;

static void setup(void)
{
    g_now = hs_wall_s();
    ck_assert_int_eq(identity_generate(&g_ini, 1024), 0);
    ck_assert_int_eq(identity_generate(&g_rsp, 1024), 0);
}

static void teardown(void)
{
    identity_free(&g_ini);
    identity_free(&g_rsp);
}

/* One forged channel: both ends, and the TLS certificate the responder presents. */
typedef struct pair {
    link_chan_t ini, rsp;
    bld_t tls_cert;
} pair_t;

static void nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    ck_assert_int_ge(fl, 0);
    ck_assert_int_eq(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* Both TLS handshakes, stepped alternately: neither end may block waiting for the other. */
static void handshake(pair_t *p)
{
    for (int i = 0; i < HS_ROUNDS; i++) {
        if (!p->ini.tls.established) {
            tls_io_t st = tls_conn_handshake(&p->ini.tls, hs_mono_ns());
            ck_assert_msg(st == TLS_IO_OK || st == TLS_IO_TIMEOUT, "client: %s", p->ini.tls.err);
        }
        if (!p->rsp.tls.established) {
            tls_io_t st = tls_conn_handshake(&p->rsp.tls, hs_mono_ns());
            ck_assert_msg(st == TLS_IO_OK || st == TLS_IO_TIMEOUT, "server: %s", p->rsp.tls.err);
        }
        if (p->ini.tls.established && p->rsp.tls.established)
            return;
    }
    ck_abort_msg("the in-process TLS handshake did not complete");
}

static void send_cell(link_chan_t *ch, uint8_t cmd, const bld_t *body)
{
    ck_assert(bld_ok(body));
    ck_assert_int_eq(link_chan_send(ch, 0, cmd, bld_span(body), hs_deadline_in_ms(IO_MS)), LINK_OK);
}

static cell_t recv_cell(link_chan_t *ch, uint8_t want)
{
    cell_t c;
    ck_assert_int_eq(link_chan_recv(ch, &c, hs_deadline_in_ms(IO_MS)), LINK_OK);
    ck_assert_int_eq(c.cmd, want);
    return c;
}

static void add_cert(certs_entry_t *e, size_t *n, bld_t *store, uint8_t type)
{
    ck_assert(bld_ok(&store[type]));
    e[(*n)++] = (certs_entry_t){ type, bld_span(&store[type]) };
}

/* The responder's CERTS 1,2,4,5,7, bound to the TLS certificate it presented. */
static void responder_certs(const pair_t *p, bld_t *body)
{
    bld_t c[8];
    for (size_t i = 0; i < 8; i++)
        bld_init(&c[i], HS_X509_DER_CAP);
    uint32_t exp = identity_exp_hours(g_now, 2 * DAY);
    bld_bytes(&c[1], p->tls_cert.buf, p->tls_cert.len);
    ck_assert_int_eq(identity_build_id_cert(&g_rsp, g_now - DAY, g_now + 365 * DAY, &c[2]), 0);
    ck_assert_int_eq(identity_build_signing_cert(&g_rsp, exp, &c[4]), 0);
    ck_assert_int_eq(identity_build_tls_link_cert(&g_rsp, bld_span(&p->tls_cert), exp, &c[5]), 0);
    ck_assert_int_eq(identity_build_crosscert(&g_rsp, identity_exp_hours(g_now, 180 * DAY),
                                              &c[7]), 0);
    certs_entry_t e[5];
    size_t n = 0;
    static const uint8_t types[] = { 1, 2, 4, 5, 7 };
    for (size_t i = 0; i < sizeof(types); i++)
        add_cert(e, &n, c, types[i]);
    certs_build(body, e, n);
    for (size_t i = 0; i < 8; i++)
        bld_free(&c[i]);
}

/* The authenticating initiator's CERTS 2,4,6,7. */
static void initiator_certs(bld_t *body)
{
    bld_t c[8];
    for (size_t i = 0; i < 8; i++)
        bld_init(&c[i], HS_X509_DER_CAP);
    uint32_t exp = identity_exp_hours(g_now, 2 * DAY);
    ck_assert_int_eq(identity_build_id_cert(&g_ini, g_now - DAY, g_now + 365 * DAY, &c[2]), 0);
    ck_assert_int_eq(identity_build_signing_cert(&g_ini, exp, &c[4]), 0);
    ck_assert_int_eq(identity_build_link_auth_cert(&g_ini, exp, &c[6]), 0);
    ck_assert_int_eq(identity_build_crosscert(&g_ini, identity_exp_hours(g_now, 180 * DAY),
                                              &c[7]), 0);
    certs_entry_t e[4];
    size_t n = 0;
    static const uint8_t types[] = { 2, 4, 6, 7 };
    for (size_t i = 0; i < sizeof(types); i++)
        add_cert(e, &n, c, types[i]);
    certs_build(body, e, n);
    for (size_t i = 0; i < 8; i++)
        bld_free(&c[i]);
}

/* Opens the pair and runs the handshake up to the point where the initiator authenticates:
 * VERSIONS both ways, the responder's CERTS and AUTH_CHALLENGE, the initiator's CERTS. */
static void pair_open(pair_t *p)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    nonblocking(sv[0]);
    nonblocking(sv[1]);
    ck_assert_int_eq(link_chan_init(&p->ini), 0);
    ck_assert_int_eq(link_chan_init(&p->rsp), 0);
    bld_init(&p->tls_cert, HS_X509_DER_CAP);
    ck_assert_int_eq(identity_build_link_cert(&g_rsp, g_now - DAY, g_now + 365 * DAY,
                                              &p->tls_cert), 0);
    tls_opts_t o = { .version = 13 };
    ck_assert_int_eq(tls_conn_init(&p->ini.tls, sv[0], &o), 0);
    ck_assert_int_eq(tls_conn_init_server(&p->rsp.tls, sv[1], &o, bld_span(&p->tls_cert),
                                          g_rsp.rsa_link), 0);
    handshake(p);

    static const uint16_t v[] = { 3, 4, 5 };
    bld_t b;
    bld_init(&b, 8192);
    versions_build(&b, v, 3);
    send_cell(&p->ini, CELL_VERSIONS, &b);
    (void)recv_cell(&p->rsp, CELL_VERSIONS);
    send_cell(&p->rsp, CELL_VERSIONS, &b);
    (void)recv_cell(&p->ini, CELL_VERSIONS);
    /* Link 5 from here on, both ways (tor-link.md §1.1). */
    p->ini.rx_version = p->ini.tx_version = p->rsp.rx_version = p->rsp.tx_version = 5;

    bld_reset(&b);
    responder_certs(p, &b);
    send_cell(&p->rsp, CELL_CERTS, &b);
    uint8_t challenge[32]; /* fresh per channel, like a responder's */
    ck_assert_int_eq(hs_rand_bytes(challenge, sizeof(challenge)), 0);
    static const uint16_t methods[] = { 3 };
    bld_reset(&b);
    auth_challenge_build(&b, challenge, methods, 1);
    send_cell(&p->rsp, CELL_AUTH_CHALLENGE, &b);
    (void)recv_cell(&p->ini, CELL_CERTS);
    (void)recv_cell(&p->ini, CELL_AUTH_CHALLENGE);

    bld_reset(&b);
    initiator_certs(&b);
    send_cell(&p->ini, CELL_CERTS, &b);
    (void)recv_cell(&p->rsp, CELL_CERTS);
    bld_free(&b);
}

static void pair_close(pair_t *p)
{
    link_chan_free(&p->ini, hs_deadline_in_ms(10));
    link_chan_free(&p->rsp, hs_deadline_in_ms(10));
    bld_free(&p->tls_cert);
}

/* What a forgery does to the authenticator the initiator computed. */
typedef struct forge {
    int field;     /* AF_*: flip its first byte before signing; -1: none */
    bool bad_sig;  /* flip the signature's last byte after signing */
} forge_t;

/* The AUTHENTICATE cell body the initiator of p computes from its side, forged as asked. */
static void authenticate_body(pair_t *p, forge_t fg, bld_t *body)
{
    auth_claim_t claim = { .type = 3 };
    char err[240] = "";
    ck_assert_msg(link_auth_derive(&p->ini, &g_ini, g_now, &claim, err, sizeof(err)) == 0, "%s",
                  err);
    for (int k = 0; k < AF_RAND; k++)
        ck_assert_msg(claim.src[k] == AUTH_SRC_COMPUTED, "%s is not computed: the forged "
                      "channel is incomplete", auth_field_name((auth_field_t)k));
    if (fg.field >= 0) {
        claim.val[fg.field][0] ^= 0x01;
        claim.src[fg.field] = AUTH_SRC_SCENARIO;
    }
    bld_t auth;
    bld_init(&auth, 512);
    ck_assert_msg(link_auth_finish(&g_ini, &claim, &auth, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(auth.len, 352);
    if (fg.bad_sig)
        auth.buf[auth.len - 1] ^= 0x01;
    authenticate_build(body, 3, bld_span(&auth));
    bld_free(&auth);
}

/* Sends body as the initiator's AUTHENTICATE on p and returns the responder's judgement. */
static void verify_on(pair_t *p, const bld_t *body, auth_check_t *out)
{
    send_cell(&p->ini, CELL_AUTHENTICATE, body);
    cell_t c = recv_cell(&p->rsp, CELL_AUTHENTICATE);
    char err[240] = "";
    ck_assert_msg(link_auth_verify(&p->rsp, &g_rsp, bld_span(&p->tls_cert), c.body, g_now, out,
                                   err, sizeof(err)) == 0, "harness fault: %s", err);
}

/* A correct authenticator verifies: every field as the channel implies, signature valid. */
START_TEST(correct_verifies)
{
    pair_t p;
    pair_open(&p);
    bld_t body;
    bld_init(&body, 1024);
    authenticate_body(&p, (forge_t){ .field = -1 }, &body);
    auth_check_t r;
    verify_on(&p, &body, &r);
    ck_assert_msg(r.ok, "rejected: %s", r.why);
    ck_assert_str_eq(r.mismatch, "none");
    ck_assert_int_eq(r.type, 3);
    ck_assert_int_eq(r.authlen, 352);
    ck_assert(r.sig_ok);
    for (int k = 0; k < AF_RAND; k++) {
        ck_assert_msg(r.have_want[k] && r.field_ok[k], "%s", auth_field_name((auth_field_t)k));
        ck_assert_bytes_eq(r.got[k], 32, r.want[k], 32);
    }
    bld_free(&body);
    pair_close(&p);
}
END_TEST

/* One field wrong (the rest computed, the whole re-signed): rejected, that field named. */
static const auth_field_t k_fields[] = { AF_CID, AF_SID, AF_CID_ED, AF_SID_ED, AF_SLOG,
                                         AF_CLOG, AF_SCERT, AF_TLSSECRETS };

START_TEST(one_field_wrong_is_named)
{
    auth_field_t f = k_fields[_i];
    pair_t p;
    pair_open(&p);
    bld_t body;
    bld_init(&body, 1024);
    authenticate_body(&p, (forge_t){ .field = (int)f }, &body);
    auth_check_t r;
    verify_on(&p, &body, &r);
    ck_assert_msg(!r.ok, "%s forged, yet accepted", auth_field_name(f));
    ck_assert_str_eq(r.mismatch, auth_field_name(f));
    ck_assert(!r.field_ok[f]);
    ck_assert(r.sig_ok); /* re-signed: the signature is not what failed */
    for (size_t k = 0; k < HS_ARRAY_LEN(k_fields); k++)
        if (k_fields[k] != f)
            ck_assert_msg(r.field_ok[k_fields[k]], "%s also failed",
                          auth_field_name(k_fields[k]));
    bld_free(&body);
    pair_close(&p);
}
END_TEST

/* Every field right but the signature spoiled: rejected as "sig". */
START_TEST(bad_signature_is_named)
{
    pair_t p;
    pair_open(&p);
    bld_t body;
    bld_init(&body, 1024);
    authenticate_body(&p, (forge_t){ .field = -1, .bad_sig = true }, &body);
    auth_check_t r;
    verify_on(&p, &body, &r);
    ck_assert(!r.ok);
    ck_assert_str_eq(r.mismatch, "sig");
    ck_assert(!r.sig_ok);
    for (size_t k = 0; k < HS_ARRAY_LEN(k_fields); k++)
        ck_assert(r.field_ok[k_fields[k]]);
    bld_free(&body);
    pair_close(&p);
}
END_TEST

/* A correct authenticator for another channel between the same two identities (a replay):
 * the identities match, the transcript does not — the first mismatch is SLOG (a different
 * AUTH_CHALLENGE), and SCERT and TLSSECRETS differ too (another TLS session and certificate). */
START_TEST(other_channel_is_rejected)
{
    pair_t a, b;
    pair_open(&a);
    pair_open(&b);
    bld_t body;
    bld_init(&body, 1024);
    authenticate_body(&a, (forge_t){ .field = -1 }, &body);
    auth_check_t r;
    verify_on(&b, &body, &r);
    ck_assert(!r.ok);
    ck_assert_str_eq(r.mismatch, "slog");
    ck_assert(r.field_ok[AF_CID] && r.field_ok[AF_SID] && r.field_ok[AF_CID_ED] &&
              r.field_ok[AF_SID_ED]);
    ck_assert(!r.field_ok[AF_SCERT]);
    ck_assert(!r.field_ok[AF_TLSSECRETS]);
    ck_assert(r.sig_ok); /* signed by the right key, for the wrong channel */
    bld_free(&body);
    pair_close(&a);
    pair_close(&b);
}
END_TEST

Suite *suite_auth_verify(void)
{
    Suite *s = suite_create("auth_verify");
    TCase *t = tcase_create("forged_channel");
    tcase_add_unchecked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, correct_verifies);
    tcase_add_loop_test(t, one_field_wrong_is_named, 0, (int)HS_ARRAY_LEN(k_fields));
    tcase_add_test(t, bad_signature_is_named);
    tcase_add_test(t, other_channel_is_rejected);
    suite_add_tcase(s, t);
    return s;
}
