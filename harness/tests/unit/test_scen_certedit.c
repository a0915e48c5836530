/* test_scen_certedit.c — `cert-edit T FIELD=VALUE` and `add-cert T BYTES` (scen_certedit.h):
 * the parser puts each edit in the step or says at file:line:column what was wrong, and the
 * builder emits certificates that differ from ours in exactly the edited field and are still
 * correctly signed by the key that signs them normally. */
#include "unit.h"

#include "crypto_certsign.h"
#include "crypto_digest.h"
#include "crypto_x509.h"
#include "hs_clock.h"
#include "scen_build.h"
#include "scen_parse.h"
#include "wire_cell.h"
#include "wire_certs.h"
#include "wire_crosscert.h"
#include "wire_edcert.h"

#define HDR                                                                                       \
    "id: tor.r.y\ntitle: t\nrole: responder\nprotocol: tor-link\npeers: tor-client\nspec: s\n"   \
    "level: MUST\nrequirement: r\nlisten\naccept\n" /* 10 lines: steps start on line 11 */

static int parse(const char *text, scenario_t *s, sc_diags_t *d)
{
    return scen_parse_text("t.scn", text, strlen(text), s, d);
}

static void expect_error(const char *step, int col, const char *want)
{
    char text[1024];
    snprintf(text, sizeof text, HDR "%s\nexpect close\n", step);
    scenario_t s;
    sc_diags_t d;
    int rc = parse(text, &s, &d);
    ck_assert_msg(rc == -1, "accepted: %s", step);
    ck_assert_msg(d.n >= 1, "no diagnostic for: %s", step);
    ck_assert_msg(d.d[0].line == 11 && d.d[0].col == col, "'%s': diagnostic at %d:%d (%s), "
                  "expected 11:%d", step, d.d[0].line, d.d[0].col, d.d[0].msg, col);
    ck_assert_msg(strstr(d.d[0].msg, want), "'%s': message '%s' lacks '%s'", step, d.d[0].msg,
                  want);
    scen_free(&s);
}

START_TEST(test_cert_edit_parse)
{
    scenario_t s;
    sc_diags_t d;
    const char *ok = HDR
        "send CERTS certs=1,2,4,5,7 | cert-edit 4 cert-type=9 | cert-edit 5 key=sha256:2 | "
        "cert-edit 2 expires=now-86400 | cert-edit 7 append=hex:00 | add-cert 200 hex:0102 | "
        "cert-edit 4 ext=none | cert-edit 5 key=zeros:32 | cert-edit 3 expires=1700000000\n"
        "send CERTS | cert-edit 5 version=2 | cert-edit 6 key-type=0x03\n"
        "expect close\n";
    int rc = parse(ok, &s, &d);
    ck_assert_msg(rc == 0, "%zu diags, first %d:%d %s", d.n, d.d[0].line, d.d[0].col, d.d[0].msg);
    const sc_step_t *st = &s.steps[2];
    ck_assert_uint_eq(st->n_muts, 8);
    const sc_mut_t *m = st->muts;
    ck_assert_int_eq(m[0].kind, M_CERT_EDIT);
    ck_assert_int_eq(m[0].a, 4);
    ck_assert_int_eq(m[0].edit.field, CE_CERT_TYPE);
    ck_assert_int_eq(m[0].edit.v, 9);
    ck_assert_int_eq(m[1].edit.field, CE_KEY);
    ck_assert_int_eq(m[1].edit.key_of, 2);
    ck_assert_int_eq(m[2].a, 2);
    ck_assert_int_eq(m[2].edit.field, CE_EXPIRES);
    ck_assert(m[2].edit.rel);
    ck_assert_int_eq(m[2].edit.v, -86400);
    ck_assert_int_eq(m[3].edit.field, CE_APPEND);
    ck_assert_uint_eq(m[3].bytes.len, 1);
    ck_assert_int_eq(m[4].kind, M_ADD_CERT);
    ck_assert_int_eq(m[4].a, 200);
    ck_assert_uint_eq(m[4].bytes.len, 2);
    ck_assert_uint_eq(m[4].bytes.p[1], 0x02);
    ck_assert_int_eq(m[5].edit.field, CE_EXT_NONE);
    ck_assert_int_eq(m[6].edit.key_of, 0);
    ck_assert_uint_eq(m[6].bytes.len, 32);
    ck_assert(!m[7].edit.rel);
    ck_assert_int_eq(m[7].edit.v, 1700000000);
    ck_assert_int_eq(s.steps[3].muts[0].edit.field, CE_VERSION);
    ck_assert_int_eq(s.steps[3].muts[1].edit.v, 3);
    ck_assert(sc_mut_is_cert_op(M_ADD_CERT) && sc_mut_is_cert_op(M_CERT_EDIT));
    ck_assert(!sc_mut_is_cert_op(M_TRUNCATE));
    scen_free(&s);

    /*            0        1         2         3         4
     *            1234567890123456789012345678901234567890123456 */
    expect_error("send CERTS | cert-edit 8 version=2", 24, "one of our certificates (1-7)");
    expect_error("send CERTS | cert-edit 2 version=2", 26, "a type-2 certificate has no "
                 "'version'");
    expect_error("send CERTS | cert-edit 1 key=zeros:32", 26, "key= edits the Ed25519 certs");
    expect_error("send CERTS | cert-edit 4 colour=red", 26, "cert-edit has no field 'colour'");
    expect_error("send CERTS | cert-edit 4 version", 26, "expected FIELD=VALUE");
    expect_error("send CERTS | cert-edit 5 key=hex:00", 30, "key is 32 bytes");
    expect_error("send CERTS | cert-edit 5 key=sha256:5", 37, "names the certificate being edited");
    expect_error("send CERTS | cert-edit 5 key=sha256:9", 37, "a certificate type (1-7)");
    expect_error("send CERTS | cert-edit 4 ext=some", 30, "ext takes 'none'");
    expect_error("send CERTS | cert-edit 4 version=256", 34, "a byte value");
    expect_error("send CERTS | cert-edit 4 expires=tomorrow", 34, "seconds since the epoch");
    expect_error("send CERTS | cert-edit 4", 14, "takes 2 arguments");
    expect_error("send VERSIONS | cert-edit 4 version=2", 17, "CERTS cells only");
    expect_error("send CERTS | add-cert 256 hex:00", 23, "a cert type");
    expect_error("send CERTS | add-cert 9 nothex", 25, "expected bytes");
}
END_TEST

/* ---------------------------------------------------------------------------------------- */

static relay_identity_t g_id;
static bld_t g_tls; /* the certificate "presented in TLS" on the accepted connection */

static void setup(void)
{
    ck_assert_int_eq(identity_generate(&g_id, 1024), 0);
    bld_init(&g_tls, HS_X509_DER_CAP);
    int64_t now = hs_wall_s();
    ck_assert_int_eq(identity_build_link_cert(&g_id, now - 86400, now + 86400, &g_tls), 0);
}

static void teardown(void)
{
    bld_free(&g_tls);
    identity_free(&g_id);
}

/* Builds step `k` of text as the responder would send it and parses the CERTS list. */
typedef struct built {
    scenario_t s;
    bld_t cell;
    certs_cell_t cc;
    int rc;
    char err[240];
} built_t;

static void build(built_t *b, const char *text, size_t k)
{
    sc_diags_t d;
    char full[1024];
    snprintf(full, sizeof full, "%sexpect close\n", text);
    ck_assert_msg(parse(full, &b->s, &d) == 0, "%s", d.n ? d.d[0].msg : "");
    sc_env_t env;
    memset(&env, 0, sizeof env);
    env.identity = &g_id;
    sc_conn_rt_t c;
    memset(&c, 0, sizeof c);
    c.accepted = true;
    c.server_cert = g_tls; /* borrowed: not freed through c */
    cell_t meta;
    b->err[0] = 0;
    b->rc = scen_build_send(&b->s.steps[k], &env, &c, &b->cell, &meta, b->err, sizeof b->err);
    memset(&b->cc, 0, sizeof b->cc);
    if (b->rc == 0) {
        unsigned hdr = meta.circ_width + 3u;
        ck_assert_uint_gt(b->cell.len, hdr);
        ck_assert_int_eq(certs_parse(span_of(b->cell.buf + hdr, b->cell.len - hdr), &b->cc),
                         WIRE_OK);
    }
}

static void built_free(built_t *b)
{
    bld_free(&b->cell);
    scen_free(&b->s);
}

static span_t entry(const built_t *b, uint8_t type)
{
    for (size_t i = 0; i < b->cc.n; i++)
        if (b->cc.e[i].type == type)
            return b->cc.e[i].body;
    ck_abort_msg("no type-%u entry", type);
    return (span_t){ 0 };
}

/* The Ed25519 cert in `der` parses and is correctly signed by `key`. */
static void ed_signed_by(span_t der, const uint8_t key[32], edcert_t *out)
{
    ck_assert_int_eq(edcert_parse(der, out), WIRE_OK);
    ck_assert_int_eq(certsign_edcert_check(out, key), 1);
}

START_TEST(test_cert_edit_builds_signed_certs)
{
    built_t b;
    build(&b, HDR "send CERTS certs=1,2,4,5,7 | cert-edit 4 cert-type=9 | cert-edit 5 key-type=1 "
                  "| cert-edit 2 expires=now-86400 | cert-edit 7 append=hex:00 | add-cert 200 "
                  "hex:0102\n", 2);
    ck_assert_msg(b.rc == 0, "%s", b.err);
    ck_assert_uint_eq(b.cc.n, 6);
    const uint8_t want_types[] = { 1, 2, 4, 5, 7, 200 };
    for (size_t i = 0; i < b.cc.n; i++)
        ck_assert_uint_eq(b.cc.e[i].type, want_types[i]);
    /* Type 1 is still the TLS certificate: nothing edited it. */
    span_t t1 = entry(&b, 1);
    ck_assert_bytes_eq(t1.p, t1.len, g_tls.buf, g_tls.len);
    /* Type 4: CERT_TYPE 9, everything else ours, signed by the Ed25519 identity key. */
    edcert_t e;
    ed_signed_by(entry(&b, 4), g_id.ed_id.pub, &e);
    ck_assert_uint_eq(e.cert_type, 9);
    ck_assert_uint_eq(e.key_type, EDCERT_KEY_ED25519);
    ck_assert(e.has_signing_key_ext);
    ck_assert_bytes_eq(e.signing_key, 32, g_id.ed_id.pub, 32);
    ck_assert_bytes_eq(e.certified_key, 32, g_id.ed_signing.pub, 32);
    /* Type 5: CERT_KEY_TYPE 01, still the digest of the TLS cert, signed by the signing key. */
    ed_signed_by(entry(&b, 5), g_id.ed_signing.pub, &e);
    ck_assert_uint_eq(e.cert_type, 5);
    ck_assert_uint_eq(e.key_type, EDCERT_KEY_ED25519);
    uint8_t h[32];
    ck_assert_int_eq(crypto_sha256(bld_span(&g_tls), h), 0);
    ck_assert_bytes_eq(e.certified_key, 32, h, 32);
    /* Type 2: notAfter a day ago (within a minute), self-signed. */
    x509_cert_t x;
    char why[128];
    ck_assert_int_eq(x509_decode(entry(&b, 2), &x, why, sizeof why), 0);
    int64_t now = hs_wall_s();
    ck_assert_int_le(llabs(x509_not_after(&x) - (now - 86400)), 60);
    ck_assert_int_lt(x509_not_before(&x), x509_not_after(&x));
    ck_assert_int_eq(x509_is_signed_by(&x, &x), 1);
    x509_free(&x);
    /* Type 7: one byte after a correctly signed cross-cert. */
    span_t t7 = entry(&b, 7);
    crosscert_t cc;
    ck_assert_uint_eq(t7.p[t7.len - 1], 0x00);
    ck_assert_int_eq(crosscert_parse(t7, &cc), WIRE_TRAILING);
    ck_assert_int_eq(crosscert_parse(span_of(t7.p, t7.len - 1), &cc), WIRE_OK);
    gnutls_pubkey_t rsa;
    ck_assert_int_eq(rsa_pubkey_from_privkey(g_id.rsa_id, &rsa), 0);
    crosscert_sig_t sig;
    ck_assert_int_eq(certsign_crosscert_check(&cc, rsa, &sig), 0);
    ck_assert_int_eq(sig, CROSSCERT_SIG_OK);
    gnutls_pubkey_deinit(rsa);
    /* add-cert: the bytes as given. */
    span_t t200 = entry(&b, 200);
    ck_assert_bytes_eq(t200.p, t200.len, "\x01\x02", 2);
    built_free(&b);
}
END_TEST

START_TEST(test_cert_edit_keys_versions_and_extensions)
{
    built_t b;
    build(&b, HDR "send CERTS certs=2,4,5,7 | cert-edit 4 ext=none | cert-edit 5 key=sha256:2\n", 2);
    ck_assert_msg(b.rc == 0, "%s", b.err);
    edcert_t e;
    /* No extension any more, yet still signed with the identity key. */
    ed_signed_by(entry(&b, 4), g_id.ed_id.pub, &e);
    ck_assert_uint_eq(e.n_ext, 0);
    ck_assert(!e.has_signing_key_ext);
    ck_assert_uint_eq(entry(&b, 4).len, 104);
    /* Type 5 certifies the digest of the type-2 certificate sent beside it. */
    ed_signed_by(entry(&b, 5), g_id.ed_signing.pub, &e);
    uint8_t h[32];
    ck_assert_int_eq(crypto_sha256(entry(&b, 2), h), 0);
    ck_assert_bytes_eq(e.certified_key, 32, h, 32);
    ck_assert_uint_eq(e.key_type, EDCERT_KEY_SHA256_X509);
    built_free(&b);

    /* VERSION 2: the codec refuses it, the signature over it is still good. */
    build(&b, HDR "send CERTS certs=4,5 | cert-edit 5 version=2\n", 2);
    ck_assert_msg(b.rc == 0, "%s", b.err);
    span_t t5 = entry(&b, 5);
    ck_assert_uint_eq(t5.p[0], 2);
    ck_assert_int_eq(edcert_parse(t5, &e), WIRE_BAD_VALUE);
    ck_assert_int_eq(ed25519_verify(g_id.ed_signing.pub, span_of(t5.p, t5.len - 64),
                                    t5.p + t5.len - 64), 1);
    built_free(&b);

    /* An edit that cannot apply is a run-time error naming it, never a silent no-op. */
    build(&b, HDR "send CERTS certs=2,4 | cert-edit 6 version=2\n", 2);
    ck_assert_int_eq(b.rc, -1);
    ck_assert_msg(strstr(b.err, "cert-edit 6: no such certificate"), "%s", b.err);
    built_free(&b);
    build(&b, HDR "send CERTS certs=2,5 | cert-edit 2 append=hex:00 | cert-edit 5 key=sha256:2\n",
          2);
    ck_assert_int_eq(b.rc, -1);
    ck_assert_msg(strstr(b.err, "itself edited"), "%s", b.err);
    built_free(&b);
    build(&b, HDR "send CERTS certs=4,5 | cert-edit 5 key=sha256:1\n", 2);
    ck_assert_int_eq(b.rc, -1);
    ck_assert_msg(strstr(b.err, "no type-1 certificate"), "%s", b.err);
    built_free(&b);
}
END_TEST

Suite *suite_scen_certedit(void)
{
    Suite *s = suite_create("scen_certedit");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_cert_edit_parse);
    suite_add_tcase(s, tc);
    tc = tcase_create("build");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_cert_edit_builds_signed_certs);
    tcase_add_test(tc, test_cert_edit_keys_versions_and_extensions);
    suite_add_tcase(s, tc);
    return s;
}
