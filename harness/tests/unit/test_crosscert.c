/* test_crosscert.c — RSA→Ed25519 cross-certificate codec and signature (tor-link.md §1.10).
 *
 * One RSA-1024 key pair per test case (unchecked fixture: generated before CK_FORK forks). */
#include "unit.h"

#include "crypto_certsign.h"
#include "crypto_digest.h"
#include "crypto_rsa.h"
#include "wire_crosscert.h"

static gnutls_privkey_t g_rsa, g_other;
static gnutls_pubkey_t g_pub;

static void setup(void)
{
    ck_assert_int_eq(rsa_key_generate(&g_rsa, 1024), 0);
    ck_assert_int_eq(rsa_key_generate(&g_other, 1024), 0);
    ck_assert_int_eq(rsa_pubkey_from_privkey(g_rsa, &g_pub), 0);
}

static void teardown(void)
{
    gnutls_pubkey_deinit(g_pub);
    gnutls_privkey_deinit(g_rsa);
    gnutls_privkey_deinit(g_other);
}

static const uint8_t ed_key[32] = { 0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
                                    0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
                                    0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a };

static crosscert_sig_t sig_verdict(span_t enc)
{
    crosscert_t c;
    crosscert_sig_t r;
    ck_assert_int_eq(crosscert_parse(enc, &c), WIRE_OK);
    ck_assert_int_eq(certsign_crosscert_check(&c, g_pub, &r), 0);
    return r;
}

START_TEST(test_layout_and_roundtrip)
{
    bld_t b;
    bld_init(&b, 1024);
    ck_assert_int_eq(certsign_crosscert(&b, ed_key, 0x0007ACD7, g_rsa), 0);
    ck_assert_uint_eq(b.len, 165); /* 32 + 4 + 1 + 128, tor's observed size */
    span_t s = bld_span(&b);
    uint8_t key[32], siglen;
    uint32_t exp;
    ck_assert(span_copy(&s, key, 32) && span_get_u32(&s, &exp) && span_get_u8(&s, &siglen));
    ck_assert_bytes_eq(key, 32, ed_key, 32);
    ck_assert_uint_eq(exp, 0x0007ACD7);
    ck_assert_uint_eq(siglen, 0x80);
    ck_assert_uint_eq(s.len, 128);

    crosscert_t c;
    ck_assert_int_eq(crosscert_parse(bld_span(&b), &c), WIRE_OK);
    ck_assert_bytes_eq(c.ed_key, 32, ed_key, 32);
    ck_assert_uint_eq(c.exp_hours, 0x0007ACD7);
    ck_assert_uint_eq(c.sig.len, 128);
    ck_assert_uint_eq(c.signed_part.len, 36);
    ck_assert_ptr_eq(c.signed_part.p, b.buf);
    ck_assert_int_eq(sig_verdict(bld_span(&b)), CROSSCERT_SIG_OK);

    /* Rebuilding with the parsed signature gives the same bytes. */
    bld_t b2;
    bld_init(&b2, 1024);
    ck_assert_int_eq(crosscert_build_with_signature(&b2, c.ed_key, c.exp_hours, c.sig), 0);
    ck_assert_bytes_eq(b2.buf, b2.len, b.buf, b.len);
    bld_free(&b2);
    bld_free(&b);
}
END_TEST

/* The digest is SHA-256("Tor TLS RSA/Ed25519 cross-certificate" ‖ bytes 0–35), prefix without NUL. */
START_TEST(test_digest_definition)
{
    uint8_t buf[37 + 36], want[32], got[32];
    memcpy(buf, "Tor TLS RSA/Ed25519 cross-certificate", 37);
    memcpy(buf + 37, ed_key, 32);
    buf[69] = 0x00, buf[70] = 0x07, buf[71] = 0xac, buf[72] = 0xd7;
    ck_assert_int_eq(crypto_sha256(span_of(buf, sizeof buf), want), 0);
    ck_assert_int_eq(certsign_crosscert_digest(ed_key, 0x0007ACD7, got), 0);
    ck_assert_bytes_eq(got, 32, want, 32);
    /* The wire layer yields exactly those bytes, unhashed. */
    bld_t b;
    bld_init(&b, CROSSCERT_SIGNED_DATA_LEN);
    ck_assert_int_eq(crosscert_build_signed_data(&b, ed_key, 0x0007ACD7), 0);
    ck_assert_bytes_eq(b.buf, b.len, buf, sizeof buf);
    bld_free(&b);
}
END_TEST

/* Tor rejects the standard PKCS#1 signature (with DigestInfo); only the raw one is accepted. */
START_TEST(test_digestinfo_signature_rejected)
{
    uint8_t d[32];
    ck_assert_int_eq(certsign_crosscert_digest(ed_key, 1000, d), 0);
    bld_t sig, b;
    bld_init(&sig, 1024);
    bld_init(&b, 1024);
    ck_assert_int_eq(rsa_sign_digestinfo_sha256(g_rsa, span_of(d, 32), &sig), 0);
    ck_assert_int_eq(crosscert_build_with_signature(&b, ed_key, 1000, bld_span(&sig)), 0);
    ck_assert_int_eq(sig_verdict(bld_span(&b)), CROSSCERT_SIG_DIGESTINFO);
    bld_reset(&sig);
    bld_reset(&b);
    ck_assert_int_eq(rsa_sign_raw(g_rsa, span_of(d, 32), &sig), 0);
    ck_assert_int_eq(crosscert_build_with_signature(&b, ed_key, 1000, bld_span(&sig)), 0);
    ck_assert_int_eq(sig_verdict(bld_span(&b)), CROSSCERT_SIG_OK);
    bld_free(&sig);
    bld_free(&b);
}
END_TEST

START_TEST(test_bad_signatures)
{
    bld_t b;
    bld_init(&b, 1024);
    /* Wrong key. */
    ck_assert_int_eq(certsign_crosscert(&b, ed_key, 1000, g_other), 0);
    ck_assert_int_eq(sig_verdict(bld_span(&b)), CROSSCERT_SIG_BAD);
    /* Good signature, but over other data (expiry changed afterwards). */
    crosscert_t c;
    ck_assert_int_eq(crosscert_parse(bld_span(&b), &c), WIRE_OK);
    bld_t b2;
    bld_init(&b2, 1024);
    bld_reset(&b);
    ck_assert_int_eq(certsign_crosscert(&b, ed_key, 1000, g_rsa), 0);
    ck_assert_int_eq(crosscert_parse(bld_span(&b), &c), WIRE_OK);
    ck_assert_int_eq(crosscert_build_with_signature(&b2, ed_key, 1001, c.sig), 0);
    ck_assert_int_eq(sig_verdict(bld_span(&b2)), CROSSCERT_SIG_BAD);
    /* Short, empty and garbage signatures. */
    static const uint8_t junk[128] = { 0x42 };
    size_t lens[] = { 0, 1, 64, 127, 128 };
    for (size_t i = 0; i < HS_ARRAY_LEN(lens); i++) {
        bld_reset(&b2);
        ck_assert_int_eq(crosscert_build_with_signature(&b2, ed_key, 1000, span_of(junk, lens[i])), 0);
        ck_assert_int_eq(sig_verdict(bld_span(&b2)), CROSSCERT_SIG_BAD);
    }
    bld_free(&b2);
    bld_free(&b);
}
END_TEST

START_TEST(test_truncation_and_overlong)
{
    bld_t b;
    bld_init(&b, 1024);
    ck_assert_int_eq(certsign_crosscert(&b, ed_key, 1000, g_rsa), 0);
    crosscert_t c;
    for (size_t len = 0; len < b.len; len++) {
        uint8_t *p = malloc(len ? len : 1);
        memcpy(p, b.buf, len);
        ck_assert_msg(crosscert_parse(span_of(p, len), &c) == WIRE_TRUNCATED, "prefix %zu", len);
        free(p);
    }
    uint8_t *over = malloc(b.len + 1);
    memcpy(over, b.buf, b.len);
    over[b.len] = 0;
    ck_assert_int_eq(crosscert_parse(span_of(over, b.len + 1), &c), WIRE_TRAILING);
    free(over);
    /* SIGLEN larger than what follows. */
    bld_t t;
    bld_init(&t, 64);
    bld_bytes(&t, ed_key, 32);
    bld_u32(&t, 7);
    bld_u8(&t, 5);
    bld_bytes(&t, "abcd", 4);
    ck_assert_int_eq(crosscert_parse(bld_span(&t), &c), WIRE_TRUNCATED);
    bld_free(&t);
    bld_free(&b);
}
END_TEST

START_TEST(test_expiry)
{
    crosscert_t c = { .exp_hours = 10 };
    ck_assert(!crosscert_expired(&c, 36000));
    ck_assert(crosscert_expired(&c, 36001));
}
END_TEST

Suite *suite_crosscert(void)
{
    Suite *s = suite_create("crosscert");
    TCase *t = tcase_create("codec");
    tcase_add_unchecked_fixture(t, setup, teardown);
    tcase_add_test(t, test_layout_and_roundtrip);
    tcase_add_test(t, test_digest_definition);
    tcase_add_test(t, test_digestinfo_signature_rejected);
    tcase_add_test(t, test_bad_signatures);
    tcase_add_test(t, test_truncation_and_overlong);
    tcase_add_test(t, test_expiry);
    suite_add_tcase(s, t);
    return s;
}
