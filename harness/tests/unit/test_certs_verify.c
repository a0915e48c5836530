/* test_certs_verify.c — CERTS validation per tor-link.md §5.2, both roles.
 *
 * One relay identity (RSA-1024 link key for speed) and a few foreign keys are made once per
 * test case in an unchecked fixture; each test assembles a CERTS cell from the good certs and
 * whatever bad variant it needs, and checks the verdict, the first failure's wording (tor's)
 * and the id of the failing check. */
#include "unit.h"

#include "crypto_certsign.h"
#include "crypto_identity.h"
#include "link_certs_verify.h"
#include "wire_crosscert.h"
#include "wire_edcert.h"

#define NOW 1750000000LL
#define DAY (24 * 3600LL)

static relay_identity_t g_id;
static gnutls_privkey_t g_other_rsa, g_rsa1536, g_rsa768, g_ecdsa;
static bld_t g_cert[8]; /* good certs by type; g_cert[1] is also the TLS certificate */
static uint32_t g_exp;  /* hours: 30 days from NOW */

static void setup(void)
{
    ck_assert_int_eq(identity_generate(&g_id, 1024), 0);
    ck_assert_int_eq(rsa_key_generate(&g_other_rsa, 1024), 0);
    ck_assert_int_eq(rsa_key_generate(&g_rsa1536, 1536), 0);
    ck_assert_int_eq(rsa_key_generate(&g_rsa768, 768), 0);
    ck_assert_int_eq(gnutls_privkey_init(&g_ecdsa), 0);
    ck_assert_int_eq(gnutls_privkey_generate(g_ecdsa, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
    for (size_t i = 0; i < 8; i++)
        bld_init(&g_cert[i], HS_X509_DER_CAP);
    g_exp = identity_exp_hours(NOW, 30 * DAY);
    ck_assert_int_eq(identity_build_link_cert(&g_id, NOW - DAY, NOW + 30 * DAY, &g_cert[1]), 0);
    ck_assert_int_eq(identity_build_id_cert(&g_id, NOW - DAY, NOW + 365 * DAY, &g_cert[2]), 0);
    ck_assert_int_eq(identity_build_auth_cert(&g_id, NOW - DAY, NOW + 30 * DAY, &g_cert[3]), 0);
    ck_assert_int_eq(identity_build_signing_cert(&g_id, g_exp, &g_cert[4]), 0);
    ck_assert_int_eq(identity_build_tls_link_cert(&g_id, bld_span(&g_cert[1]), g_exp, &g_cert[5]), 0);
    ck_assert_int_eq(identity_build_link_auth_cert(&g_id, g_exp, &g_cert[6]), 0);
    ck_assert_int_eq(identity_build_crosscert(&g_id, identity_exp_hours(NOW, 180 * DAY), &g_cert[7]), 0);
}

static void teardown(void)
{
    for (size_t i = 0; i < 8; i++)
        bld_free(&g_cert[i]);
    gnutls_privkey_deinit(g_other_rsa);
    gnutls_privkey_deinit(g_rsa1536);
    gnutls_privkey_deinit(g_rsa768);
    gnutls_privkey_deinit(g_ecdsa);
    identity_free(&g_id);
}

#define C(t) { (t), bld_span(&g_cert[t]) }
#define B(t, b) { (t), bld_span(b) }
#define TLS bld_span(&g_cert[1])
#define NO_TLS span_of(NULL, 0)

static void run(certs_peer_role_t role, span_t tls, const certs_entry_t *e, size_t n, certs_verdict_t *v)
{
    certs_cell_t cell;
    memset(&cell, 0, sizeof cell);
    cell.n_declared = (uint8_t)n;
    cell.n = n;
    for (size_t i = 0; i < n; i++)
        cell.e[i] = e[i];
    ck_assert_int_eq(certs_verify(&cell, role, tls, NOW, v), 0);
}

#define RUN(role, tls, v, ...)                                                                   \
    do {                                                                                         \
        certs_entry_t e_[] = { __VA_ARGS__ };                                                    \
        run(role, tls, e_, HS_ARRAY_LEN(e_), v);                                                 \
    } while (0)

static void dump(const certs_verdict_t *v)
{
    for (size_t i = 0; i < v->n_checks; i++)
        fprintf(stderr, "  %-36s %s%s %s\n", v->checks[i].id, v->checks[i].ok ? "ok  " : "FAIL",
                v->checks[i].advisory ? "(adv)" : "", v->checks[i].detail);
}

static void expect_ok(const certs_verdict_t *v)
{
    if (!v->ok)
        dump(v);
    ck_assert_msg(v->ok, "rejected: %s", v->first_failure);
    ck_assert_str_eq(v->first_failure, "");
    ck_assert_ptr_null(v->first_failure_id);
    for (size_t i = 0; i < v->n_checks; i++)
        ck_assert_msg(v->checks[i].ok || v->checks[i].advisory, "%s failed", v->checks[i].id);
}

static void expect_fail(const certs_verdict_t *v, const char *reason, const char *check_id)
{
    if (v->ok || strcmp(v->first_failure, reason) != 0)
        dump(v);
    ck_assert_msg(!v->ok, "accepted, wanted \"%s\"", reason);
    ck_assert_str_eq(v->first_failure, reason);
    ck_assert_str_eq(v->first_failure_id, check_id);
    const certs_check_t *k = certs_verdict_find(v, check_id);
    ck_assert_ptr_nonnull(k);
    ck_assert(!k->ok);
}

static bool check_ok(const certs_verdict_t *v, const char *id)
{
    const certs_check_t *k = certs_verdict_find(v, id);
    ck_assert_msg(k != NULL, "no check %s", id);
    return k->ok;
}

/* An Ed25519 cert built from scratch, for the variants. */
static void ed(bld_t *b, uint8_t type, uint32_t exp, uint8_t key_type, const uint8_t key[32],
               const edcert_ext_t *ext, size_t n_ext, const ed25519_key_t *signer)
{
    edcert_fields_t f = { .version = 1, .cert_type = type, .exp_hours = exp, .key_type = key_type,
                          .n_ext = n_ext, .ext = ext };
    memcpy(f.certified_key, key, 32);
    bld_init(b, 4096);
    ck_assert_int_eq(certsign_edcert(b, &f, signer), 0);
}

static void signing_cert(bld_t *b, uint8_t type, uint32_t exp)
{
    edcert_ext_t x = edcert_ext_signed_with_key(g_id.ed_id.pub);
    ed(b, type, exp, EDCERT_KEY_ED25519, g_id.ed_signing.pub, &x, 1, &g_id.ed_id);
}

static void flip_last(bld_t *b)
{
    ck_assert(bld_ok(b) && b->len > 0);
    b->buf[b->len - 1] ^= 0x01; /* last signature byte */
}

/* ---- responder CERTS (we are the initiator) ---------------------------------------------- */

START_TEST(test_good_ed_chain)
{
    certs_verdict_t v;
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), C(5), C(7));
    expect_ok(&v);
    ck_assert(v.ed_path);
    ck_assert(v.have_rsa_id && v.have_ed_id && v.have_ed_signing && !v.have_ed_link_auth);
    ck_assert_bytes_eq(v.ed_id, 32, g_id.ed_id.pub, 32);
    ck_assert_bytes_eq(v.ed_signing, 32, g_id.ed_signing.pub, 32);
    gnutls_pubkey_t pub;
    ck_assert_int_eq(rsa_pubkey_from_privkey(g_id.rsa_id, &pub), 0);
    uint8_t s1[20], s256[32];
    ck_assert_int_eq(rsa_pubkey_digests(pub, s1, s256), 0);
    gnutls_pubkey_deinit(pub);
    ck_assert_bytes_eq(v.rsa_id_sha1, 20, s1, 20);
    ck_assert_bytes_eq(v.rsa_id_sha256, 32, s256, 32);
    ck_assert_uint_eq(v.n_certs, 5);
    for (size_t i = 0; i < v.n_certs; i++)
        ck_assert(v.certs[i].decoded && !v.certs[i].duplicate && v.certs[i].has_expiry && !v.certs[i].expired);
    ck_assert_uint_eq(v.certs[3].len, 104);
    ck_assert_int_eq(v.certs[2].expires, (int64_t)g_exp * 3600);
    /* Every Ed-path check a report shows is there. */
    static const char *const ids[] = {
        "certs.unique.type1", "certs.unique.type7", "certs.ed.signing-key-present",
        "certs.ed.link-cert-present", "certs.ed.link-matches-tls",
        "certs.ed.signing-cert-not-expired", "certs.ed.link-cert-not-expired",
        "certs.ed.rsa-id-present", "certs.rsa-id.self-signed", "certs.rsa-id.dates",
        "certs.rsa-id.rsa1024", "certs.cross.present", "certs.ed.rsa-id-has-rsa-key",
        "certs.cross.parses", "certs.cross.matches-ed-id", "certs.cross.not-expired",
        "certs.cross.signature", "certs.ed.signing-cert-signature", "certs.ed.link-cert-signature",
        "certs.ed.cert-type-matches-slot", "certs.ed.certified-key-type",
    };
    for (size_t i = 0; i < HS_ARRAY_LEN(ids); i++)
        ck_assert_msg(check_ok(&v, ids[i]), "%s", ids[i]);
}
END_TEST

START_TEST(test_good_ed_chain_without_type1_and_extras)
{
    certs_verdict_t v;
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(2), C(4), C(5), C(7));
    expect_ok(&v);
    /* Unknown types (twice, even) are ignored. */
    static const uint8_t junk[3] = { 1, 2, 3 };
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), { 9, span_of(junk, 3) }, C(4), C(5), C(7),
        { 200, span_of(junk, 1) }, { 200, span_of(junk, 2) });
    expect_ok(&v);
    ck_assert_uint_eq(v.n_certs, 8);
    ck_assert(!v.certs[2].decoded && v.certs[7].duplicate);
}
END_TEST

START_TEST(test_good_rsa_chain)
{
    certs_verdict_t v;
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2));
    expect_ok(&v);
    ck_assert(!v.ed_path && v.have_rsa_id && !v.have_ed_id);
    ck_assert(check_ok(&v, "certs.rsa.link-matches-tls"));
    ck_assert(check_ok(&v, "certs.rsa.link-signed-by-id"));
    ck_assert(check_ok(&v, "certs.rsa-id.rsa1024"));
}
END_TEST

START_TEST(test_duplicates)
{
    certs_verdict_t v;
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(1), C(2), C(4), C(5), C(7));
    expect_fail(&v, "Duplicate x509 certificate", "certs.unique.type1");
    ck_assert(v.certs[1].duplicate);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), C(5), C(4), C(7));
    expect_fail(&v, "Duplicate Ed25519 certificate", "certs.unique.type4");
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), C(5), C(7), C(7));
    expect_fail(&v, "Duplicate RSA->Ed25519 crosscert", "certs.unique.type7");
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(2), C(2), C(4), C(5), C(7));
    expect_fail(&v, "Duplicate x509 certificate", "certs.unique.type2");
}
END_TEST

START_TEST(test_no_signing_key)
{
    certs_verdict_t v;
    bld_t b;
    /* Type 4 without the signed-with-key extension (tor's D06: a type-5 body in slot 4). */
    ed(&b, 4, g_exp, EDCERT_KEY_ED25519, g_id.ed_signing.pub, NULL, 0, &g_id.ed_id);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), B(4, &b), C(5), C(7));
    expect_fail(&v, "No Ed25519 signing key", "certs.ed.signing-key-present");
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(5), B(4, &g_cert[5]), C(7));
    expect_fail(&v, "No Ed25519 signing key", "certs.ed.signing-key-present");
    bld_free(&b);
    /* Undecodable type 4 (VERSION 2): treated as absent, Ed path still mandatory. */
    bld_init(&b, 4096);
    bld_bytes(&b, g_cert[4].buf, g_cert[4].len);
    b.buf[0] = 2;
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), B(4, &b), C(5), C(7));
    expect_fail(&v, "No Ed25519 signing key", "certs.ed.signing-key-present");
    ck_assert(v.ed_path && !v.certs[2].decoded);
    ck_assert(strstr(v.certs[2].note, "undecodable") != NULL);
    ck_assert(!check_ok(&v, "certs.decodable.type4"));
    ck_assert(certs_verdict_find(&v, "certs.decodable.type4")->advisory);
    bld_free(&b);
    /* Type 4 with a second signed-with-key extension: undecodable. */
    edcert_ext_t two[2] = { edcert_ext_signed_with_key(g_id.ed_id.pub), edcert_ext_signed_with_key(g_id.ed_id.pub) };
    ed(&b, 4, g_exp, EDCERT_KEY_ED25519, g_id.ed_signing.pub, two, 2, &g_id.ed_id);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), B(4, &b), C(5), C(7));
    expect_fail(&v, "No Ed25519 signing key", "certs.ed.signing-key-present");
    bld_free(&b);
}
END_TEST

START_TEST(test_link_cert_problems)
{
    certs_verdict_t v;
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), C(7));
    expect_fail(&v, "No Ed25519 link key", "certs.ed.link-cert-present");
    /* Type 5 certifying the SHA-256 of another certificate (tor's D08). */
    bld_t b;
    bld_init(&b, 4096);
    ck_assert_int_eq(identity_build_tls_link_cert(&g_id, bld_span(&g_cert[3]), g_exp, &b), 0);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), B(5, &b), C(7));
    expect_fail(&v, "Link certificate does not match TLS certificate", "certs.ed.link-matches-tls");
    bld_free(&b);
    /* The good type 5 but a different TLS certificate. */
    RUN(CERTS_PEER_RESPONDER, bld_span(&g_cert[3]), &v, C(1), C(2), C(4), C(5), C(7));
    expect_fail(&v, "Link certificate does not match TLS certificate", "certs.ed.link-matches-tls");
    /* Unknown extension with AFFECTS_VALIDATION makes type 5 unusable; without the flag it is fine. */
    static const uint8_t xd[4] = { 9, 9, 9, 9 };
    edcert_ext_t unk = { 0x33, EDCERT_EXT_FLAG_AFFECTS_VALIDATION, span_of(xd, 4) };
    uint8_t h[32];
    ck_assert_int_eq(crypto_sha256(TLS, h), 0);
    ed(&b, 5, g_exp, EDCERT_KEY_SHA256_X509, h, &unk, 1, &g_id.ed_signing);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), B(5, &b), C(7));
    expect_fail(&v, "No Ed25519 link key", "certs.ed.link-cert-present");
    ck_assert(!check_ok(&v, "certs.decodable.type5"));
    bld_free(&b);
    unk.flags = 0;
    ed(&b, 5, g_exp, EDCERT_KEY_SHA256_X509, h, &unk, 1, &g_id.ed_signing);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), B(5, &b), C(7));
    expect_ok(&v);
    bld_free(&b);
}
END_TEST

START_TEST(test_ed_expiry)
{
    certs_verdict_t v;
    bld_t b;
    uint8_t h[32];
    ck_assert_int_eq(crypto_sha256(TLS, h), 0);
    /* Type 5 expired by one hour (tor's D10): no slop. */
    uint32_t past = (uint32_t)(NOW / 3600 - 1);
    ed(&b, 5, past, EDCERT_KEY_SHA256_X509, h, NULL, 0, &g_id.ed_signing);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), B(5, &b), C(7));
    expect_fail(&v, "At least one certificate expired.", "certs.ed.link-cert-not-expired");
    bld_free(&b);
    signing_cert(&b, 4, past);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), B(4, &b), C(5), C(7));
    expect_fail(&v, "At least one certificate expired.", "certs.ed.signing-cert-not-expired");
    ck_assert(v.certs[2].expired);
    bld_free(&b);
    /* Expiring later within the current hour is still valid. */
    ed(&b, 5, (uint32_t)((NOW + 3599) / 3600), EDCERT_KEY_SHA256_X509, h, NULL, 0, &g_id.ed_signing);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), B(5, &b), C(7));
    expect_ok(&v);
    bld_free(&b);
}
END_TEST

START_TEST(test_rsa_id_on_ed_path)
{
    certs_verdict_t v;
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(4), C(5), C(7));
    expect_fail(&v, "Missing legacy RSA ID certificate", "certs.ed.rsa-id-present");
    /* Undecodable type 2 (a trailing byte) counts as missing. */
    bld_t b;
    bld_init(&b, HS_X509_DER_CAP);
    bld_bytes(&b, g_cert[2].buf, g_cert[2].len);
    bld_u8(&b, 0);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), B(2, &b), C(4), C(5), C(7));
    expect_fail(&v, "Missing legacy RSA ID certificate", "certs.ed.rsa-id-present");
    ck_assert(!v.certs[1].decoded && strstr(v.certs[1].note, "undecodable") != NULL);
    bld_free(&b);
    /* Slop: expired 1 day ago is accepted, 10 days ago is not (tor's D32 / D31). */
    bld_init(&b, HS_X509_DER_CAP);
    ck_assert_int_eq(identity_build_id_cert(&g_id, NOW - 100 * DAY, NOW - DAY, &b), 0);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), B(2, &b), C(4), C(5), C(7));
    expect_ok(&v);
    bld_reset(&b);
    ck_assert_int_eq(identity_build_id_cert(&g_id, NOW - 100 * DAY, NOW - 10 * DAY, &b), 0);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), B(2, &b), C(4), C(5), C(7));
    expect_fail(&v, "The legacy RSA ID certificate was not valid", "certs.rsa-id.dates");
    /* Not yet valid beyond the 30-day future slop. */
    bld_reset(&b);
    ck_assert_int_eq(identity_build_id_cert(&g_id, NOW + 31 * DAY, NOW + 100 * DAY, &b), 0);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), B(2, &b), C(4), C(5), C(7));
    expect_fail(&v, "The legacy RSA ID certificate was not valid", "certs.rsa-id.dates");
    /* Not self-signed. */
    bld_reset(&b);
    gnutls_pubkey_t pub;
    ck_assert_int_eq(rsa_pubkey_from_privkey(g_id.rsa_id, &pub), 0);
    ck_assert_int_eq(x509_build_issued(pub, g_id.id_cn, g_id.id_cn, g_other_rsa, NOW - DAY, NOW + DAY, &b), 0);
    gnutls_pubkey_deinit(pub);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), B(2, &b), C(4), C(5), C(7));
    expect_fail(&v, "The legacy RSA ID certificate was not valid", "certs.rsa-id.self-signed");
    /* Not RSA-1024 (a 1536-bit ID key with a matching cross-cert). */
    bld_reset(&b);
    ck_assert_int_eq(x509_build_self_signed(g_rsa1536, "www.big.com", NOW - DAY, NOW + DAY, &b), 0);
    bld_t cc;
    bld_init(&cc, 1024);
    ck_assert_int_eq(certsign_crosscert(&cc, g_id.ed_id.pub, g_exp, g_rsa1536), 0);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), B(2, &b), C(4), C(5), B(7, &cc));
    expect_fail(&v, "The legacy RSA ID certificate was not valid", "certs.rsa-id.rsa1024");
    ck_assert(check_ok(&v, "certs.cross.signature"));
    bld_free(&cc);
    /* Not RSA at all. */
    bld_reset(&b);
    ck_assert_int_eq(x509_build_self_signed(g_ecdsa, "www.ec.com", NOW - DAY, NOW + DAY, &b), 0);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), B(2, &b), C(4), C(5), C(7));
    expect_fail(&v, "The legacy RSA ID certificate was not valid", "certs.rsa-id.rsa1024");
    ck_assert(!check_ok(&v, "certs.ed.rsa-id-has-rsa-key"));
    ck_assert_str_eq(certs_verdict_find(&v, "certs.ed.rsa-id-has-rsa-key")->reason, "RSA ID cert had no RSA key");
    ck_assert(!v.have_rsa_id);
    bld_free(&b);
}
END_TEST

static void cross_case(bld_t *cc, const char *detail_part, const char *check_id)
{
    certs_verdict_t v;
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), C(5), B(7, cc));
    expect_fail(&v, "Invalid RSA->Ed25519 crosscert", check_id);
    const certs_check_t *k = certs_verdict_find(&v, check_id);
    ck_assert_msg(strstr(k->detail, detail_part) != NULL, "detail: %s", k->detail);
}

START_TEST(test_crosscert_failures)
{
    certs_verdict_t v;
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), C(5));
    expect_fail(&v, "Missing RSA->Ed25519 crosscert", "certs.cross.present");
    bld_t b;
    bld_init(&b, 1024);
    /* One trailing byte (tor's D15). */
    bld_bytes(&b, g_cert[7].buf, g_cert[7].len);
    bld_u8(&b, 0);
    cross_case(&b, "Unparseable or overlong crosscert", "certs.cross.parses");
    /* Certifies another Ed25519 key. */
    bld_reset(&b);
    ck_assert_int_eq(certsign_crosscert(&b, g_id.ed_signing.pub, g_exp, g_id.rsa_id), 0);
    cross_case(&b, "Crosscert did not match Ed25519 key", "certs.cross.matches-ed-id");
    /* Expired (tor's D12). */
    bld_reset(&b);
    ck_assert_int_eq(certsign_crosscert(&b, g_id.ed_id.pub, (uint32_t)(NOW / 3600 - 1), g_id.rsa_id), 0);
    cross_case(&b, "Crosscert is expired", "certs.cross.not-expired");
    /* Standard PKCS#1 signature with DigestInfo. */
    uint8_t d[32];
    ck_assert_int_eq(certsign_crosscert_digest(g_id.ed_id.pub, g_exp, d), 0);
    bld_t sig;
    bld_init(&sig, 1024);
    ck_assert_int_eq(rsa_sign_digestinfo_sha256(g_id.rsa_id, span_of(d, 32), &sig), 0);
    bld_reset(&b);
    ck_assert_int_eq(crosscert_build_with_signature(&b, g_id.ed_id.pub, g_exp, bld_span(&sig)), 0);
    cross_case(&b, "The signature was good, but it didn't match the data", "certs.cross.signature");
    bld_free(&sig);
    /* Signed by another RSA key. */
    bld_reset(&b);
    ck_assert_int_eq(certsign_crosscert(&b, g_id.ed_id.pub, g_exp, g_other_rsa), 0);
    cross_case(&b, "Bad signature, or length of signed data not as expected", "certs.cross.signature");
    bld_free(&b);
}
END_TEST

START_TEST(test_ed_signatures)
{
    certs_verdict_t v;
    bld_t b;
    bld_init(&b, 4096);
    bld_bytes(&b, g_cert[4].buf, g_cert[4].len);
    flip_last(&b);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), B(4, &b), C(5), C(7));
    expect_fail(&v, "At least one Ed25519 certificate was badly signed", "certs.ed.signing-cert-signature");
    bld_reset(&b);
    bld_bytes(&b, g_cert[5].buf, g_cert[5].len);
    flip_last(&b);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), B(5, &b), C(7));
    expect_fail(&v, "At least one Ed25519 certificate was badly signed", "certs.ed.link-cert-signature");
    bld_free(&b);
    /* Type 5 signed by the identity key instead of the signing key. */
    uint8_t h[32];
    ck_assert_int_eq(crypto_sha256(TLS, h), 0);
    ed(&b, 5, g_exp, EDCERT_KEY_SHA256_X509, h, NULL, 0, &g_id.ed_id);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), B(5, &b), C(7));
    expect_fail(&v, "At least one Ed25519 certificate was badly signed", "certs.ed.link-cert-signature");
    bld_free(&b);
}
END_TEST

/* Requirements tor skips: the harness reports the spec verdict, keeping tor's checks visible. */
START_TEST(test_spec_only_checks)
{
    certs_verdict_t v;
    bld_t b;
    /* A correctly signed cert with CERT_TYPE 9 in slot 4 (tor's D20: tor accepts). */
    signing_cert(&b, 9, g_exp);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), B(4, &b), C(5), C(7));
    expect_fail(&v, "[spec] Ed25519 certificate CERT_TYPE does not match its CERTS slot",
                "certs.ed.cert-type-matches-slot");
    for (size_t i = 0; i < v.n_checks; i++)
        if (strcmp(v.checks[i].id, "certs.ed.cert-type-matches-slot") != 0)
            ck_assert_msg(v.checks[i].ok, "%s", v.checks[i].id);
    bld_free(&b);
    /* CERT_KEY_TYPE 01 in a type-5 cert: SHOULD accept (tor's D21). */
    uint8_t h[32];
    ck_assert_int_eq(crypto_sha256(TLS, h), 0);
    ed(&b, 5, g_exp, EDCERT_KEY_ED25519, h, NULL, 0, &g_id.ed_signing);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), B(5, &b), C(7));
    expect_ok(&v);
    ck_assert(strstr(certs_verdict_find(&v, "certs.ed.certified-key-type")->detail, "SHOULD accept") != NULL);
    bld_free(&b);
    /* CERT_KEY_TYPE 02 in a type-5 cert is wrong. */
    ed(&b, 5, g_exp, EDCERT_KEY_SHA256_RSA, h, NULL, 0, &g_id.ed_signing);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), C(2), C(4), B(5, &b), C(7));
    expect_fail(&v, "[spec] Ed25519 certificate has the wrong CERT_KEY_TYPE", "certs.ed.certified-key-type");
    bld_free(&b);
}
END_TEST

START_TEST(test_rsa_path_failures)
{
    certs_verdict_t v;
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(2));
    expect_fail(&v, "The certs we wanted (ID, Link) were missing", "certs.rsa.link-and-id-present");
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1));
    expect_fail(&v, "The certs we wanted (ID, Link) were missing", "certs.rsa.link-and-id-present");
    RUN(CERTS_PEER_RESPONDER, TLS, &v, { 9, span_of("x", 1) });
    expect_fail(&v, "The certs we wanted (ID, Link) were missing", "certs.rsa.link-and-id-present");
    {
        certs_cell_t empty;
        memset(&empty, 0, sizeof empty);
        ck_assert_int_eq(certs_verify(&empty, CERTS_PEER_RESPONDER, TLS, NOW, &v), 0);
        expect_fail(&v, "The certs we wanted (ID, Link) were missing", "certs.rsa.link-and-id-present");
    }
    /* TLS key is not the type-1 key. */
    RUN(CERTS_PEER_RESPONDER, bld_span(&g_cert[3]), &v, C(1), C(2));
    expect_fail(&v, "The link certificate didn't match the TLS public key", "certs.rsa.link-matches-tls");
    bld_t b;
    bld_init(&b, HS_X509_DER_CAP);
    gnutls_pubkey_t link_pub;
    ck_assert_int_eq(rsa_pubkey_from_privkey(g_id.rsa_link, &link_pub), 0);
    /* Link cert issued by another key. */
    ck_assert_int_eq(x509_build_issued(link_pub, g_id.link_cn, g_id.id_cn, g_other_rsa, NOW - DAY, NOW + DAY, &b), 0);
    RUN(CERTS_PEER_RESPONDER, bld_span(&b), &v, B(1, &b), C(2));
    expect_fail(&v, "The link certificate was not valid", "certs.rsa.link-signed-by-id");
    /* Link cert expired beyond the slop. */
    bld_reset(&b);
    ck_assert_int_eq(identity_build_link_cert(&g_id, NOW - 30 * DAY, NOW - 3 * DAY, &b), 0);
    RUN(CERTS_PEER_RESPONDER, bld_span(&b), &v, B(1, &b), C(2));
    expect_fail(&v, "The link certificate was not valid", "certs.rsa.link-dates");
    gnutls_pubkey_deinit(link_pub);
    /* Link key under 1024 bits. */
    bld_reset(&b);
    gnutls_pubkey_t small;
    ck_assert_int_eq(rsa_pubkey_from_privkey(g_rsa768, &small), 0);
    ck_assert_int_eq(x509_build_issued(small, g_id.link_cn, g_id.id_cn, g_id.rsa_id, NOW - DAY, NOW + DAY, &b), 0);
    gnutls_pubkey_deinit(small);
    RUN(CERTS_PEER_RESPONDER, bld_span(&b), &v, B(1, &b), C(2));
    expect_fail(&v, "The link certificate was not valid", "certs.rsa.link-key-size");
    /* A 1536-bit link key is fine (>= 1024); the ID key must be exactly 1024. */
    bld_reset(&b);
    gnutls_pubkey_t big;
    ck_assert_int_eq(rsa_pubkey_from_privkey(g_rsa1536, &big), 0);
    ck_assert_int_eq(x509_build_issued(big, g_id.link_cn, g_id.id_cn, g_id.rsa_id, NOW - DAY, NOW + DAY, &b), 0);
    gnutls_pubkey_deinit(big);
    RUN(CERTS_PEER_RESPONDER, bld_span(&b), &v, B(1, &b), C(2));
    expect_ok(&v);
    /* ID cert expired beyond the slop. */
    bld_reset(&b);
    ck_assert_int_eq(identity_build_id_cert(&g_id, NOW - 100 * DAY, NOW - 10 * DAY, &b), 0);
    RUN(CERTS_PEER_RESPONDER, TLS, &v, C(1), B(2, &b));
    expect_fail(&v, "The ID certificate was not valid", "certs.rsa-id.dates");
    bld_free(&b);
}
END_TEST

/* ---- initiator CERTS (we are the responder) ---------------------------------------------- */

START_TEST(test_initiator_certs)
{
    certs_verdict_t v;
    RUN(CERTS_PEER_INITIATOR, NO_TLS, &v, C(2), C(4), C(6), C(7));
    expect_ok(&v);
    ck_assert(v.ed_path && v.have_ed_link_auth);
    ck_assert_bytes_eq(v.ed_link_auth, 32, g_id.ed_link_auth.pub, 32);
    ck_assert(check_ok(&v, "certs.ed.auth-cert-signature"));
    ck_assert_ptr_null(certs_verdict_find(&v, "certs.ed.link-matches-tls"));
    /* What tor's relays send: 3, 2, 4, 6, 7. */
    RUN(CERTS_PEER_INITIATOR, NO_TLS, &v, C(3), C(2), C(4), C(6), C(7));
    expect_ok(&v);
    RUN(CERTS_PEER_INITIATOR, NO_TLS, &v, C(2), C(4), C(7));
    expect_fail(&v, "No Ed25519 link authentication key", "certs.ed.auth-cert-present");
    /* A responder's type 5 does not stand in for type 6. */
    RUN(CERTS_PEER_INITIATOR, NO_TLS, &v, C(2), C(4), C(5), C(7));
    expect_fail(&v, "No Ed25519 link authentication key", "certs.ed.auth-cert-present");
    bld_t b;
    ed(&b, 6, (uint32_t)(NOW / 3600 - 1), EDCERT_KEY_ED25519, g_id.ed_link_auth.pub, NULL, 0, &g_id.ed_signing);
    RUN(CERTS_PEER_INITIATOR, NO_TLS, &v, C(2), C(4), B(6, &b), C(7));
    expect_fail(&v, "At least one certificate expired.", "certs.ed.auth-cert-not-expired");
    bld_free(&b);
    bld_init(&b, 4096);
    bld_bytes(&b, g_cert[6].buf, g_cert[6].len);
    flip_last(&b);
    RUN(CERTS_PEER_INITIATOR, NO_TLS, &v, C(2), C(4), B(6, &b), C(7));
    expect_fail(&v, "At least one Ed25519 certificate was badly signed", "certs.ed.auth-cert-signature");
    bld_free(&b);
    RUN(CERTS_PEER_INITIATOR, NO_TLS, &v, C(4), C(6), C(7));
    expect_fail(&v, "Missing legacy RSA ID certificate", "certs.ed.rsa-id-present");
}
END_TEST

START_TEST(test_initiator_rsa_path)
{
    certs_verdict_t v;
    RUN(CERTS_PEER_INITIATOR, NO_TLS, &v, C(3), C(2));
    expect_ok(&v);
    ck_assert(!v.ed_path && v.have_rsa_id);
    RUN(CERTS_PEER_INITIATOR, NO_TLS, &v, C(2));
    expect_fail(&v, "The certs we wanted (ID, Auth) were missing", "certs.rsa.auth-and-id-present");
    /* A link cert is no auth cert. */
    RUN(CERTS_PEER_INITIATOR, NO_TLS, &v, C(1), C(2));
    expect_fail(&v, "The certs we wanted (ID, Auth) were missing", "certs.rsa.auth-and-id-present");
    bld_t b;
    bld_init(&b, HS_X509_DER_CAP);
    gnutls_pubkey_t pub;
    ck_assert_int_eq(rsa_pubkey_from_privkey(g_id.rsa_auth, &pub), 0);
    ck_assert_int_eq(x509_build_issued(pub, g_id.auth_cn, g_id.id_cn, g_other_rsa, NOW - DAY, NOW + DAY, &b), 0);
    gnutls_pubkey_deinit(pub);
    RUN(CERTS_PEER_INITIATOR, NO_TLS, &v, B(3, &b), C(2));
    expect_fail(&v, "The authentication certificate was not valid", "certs.rsa.auth-signed-by-id");
    /* The auth key must be exactly RSA-1024. */
    bld_reset(&b);
    ck_assert_int_eq(rsa_pubkey_from_privkey(g_rsa1536, &pub), 0);
    ck_assert_int_eq(x509_build_issued(pub, g_id.auth_cn, g_id.id_cn, g_id.rsa_id, NOW - DAY, NOW + DAY, &b), 0);
    gnutls_pubkey_deinit(pub);
    RUN(CERTS_PEER_INITIATOR, NO_TLS, &v, B(3, &b), C(2));
    expect_fail(&v, "The authentication certificate was not valid", "certs.rsa.auth-rsa1024");
    bld_reset(&b);
    ck_assert_int_eq(identity_build_id_cert(&g_id, NOW - 100 * DAY, NOW - 10 * DAY, &b), 0);
    RUN(CERTS_PEER_INITIATOR, NO_TLS, &v, C(3), B(2, &b));
    expect_fail(&v, "The ID certificate was not valid", "certs.rsa-id.dates");
    bld_free(&b);
}
END_TEST

Suite *suite_certs_verify(void)
{
    Suite *s = suite_create("certs_verify");
    TCase *t = tcase_create("chains");
    tcase_add_unchecked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_good_ed_chain);
    tcase_add_test(t, test_good_ed_chain_without_type1_and_extras);
    tcase_add_test(t, test_good_rsa_chain);
    tcase_add_test(t, test_duplicates);
    tcase_add_test(t, test_no_signing_key);
    tcase_add_test(t, test_link_cert_problems);
    tcase_add_test(t, test_ed_expiry);
    tcase_add_test(t, test_rsa_id_on_ed_path);
    tcase_add_test(t, test_crosscert_failures);
    tcase_add_test(t, test_ed_signatures);
    tcase_add_test(t, test_spec_only_checks);
    tcase_add_test(t, test_rsa_path_failures);
    tcase_add_test(t, test_initiator_certs);
    tcase_add_test(t, test_initiator_rsa_path);
    suite_add_tcase(s, t);
    return s;
}
