/* crypto_certsign.c — see crypto_certsign.h. */
#include "crypto_certsign.h"

_Static_assert(EDCERT_SIG_LEN == HS_ED25519_SIG_LEN, "an Ed25519 cert carries one Ed25519 signature");

int certsign_edcert(bld_t *b, const edcert_fields_t *f, const ed25519_key_t *signer)
{
    size_t start;
    uint8_t sig[HS_ED25519_SIG_LEN];
    if (edcert_build_body(b, f, &start) != 0)
        return -1;
    span_t signed_part = bld_span(b);
    if (!span_skip(&signed_part, start))
        return -1;
    if (ed25519_sign(signer, signed_part, sig) != 0) {
        bld_fail(b, "Ed25519 cert: signing failed");
        return -1;
    }
    bld_bytes(b, sig, sizeof sig);
    return bld_ok(b) ? 0 : -1;
}

int certsign_edcert_check(const edcert_t *c, const uint8_t key[HS_ED25519_KEY_LEN])
{
    return ed25519_verify(key, c->signed_part, c->signature);
}

int certsign_crosscert_digest(const uint8_t ed_key[32], uint32_t exp_hours, uint8_t out[HS_SHA256_LEN])
{
    bld_t b;
    bld_init(&b, CROSSCERT_SIGNED_DATA_LEN);
    int rc = crosscert_build_signed_data(&b, ed_key, exp_hours);
    if (rc == 0)
        rc = crypto_sha256(bld_span(&b), out);
    bld_free(&b);
    return rc;
}

int certsign_crosscert(bld_t *b, const uint8_t ed_key[32], uint32_t exp_hours, gnutls_privkey_t rsa_id)
{
    uint8_t digest[HS_SHA256_LEN];
    bld_t sig;
    if (certsign_crosscert_digest(ed_key, exp_hours, digest) != 0)
        return -1;
    bld_init(&sig, HS_RSA_MAX_BYTES);
    int rc = rsa_sign_raw(rsa_id, span_of(digest, sizeof digest), &sig);
    if (rc == 0)
        rc = crosscert_build_with_signature(b, ed_key, exp_hours, bld_span(&sig));
    bld_free(&sig);
    return rc;
}

int certsign_crosscert_check(const crosscert_t *c, gnutls_pubkey_t rsa_id, crosscert_sig_t *res)
{
    uint8_t digest[HS_SHA256_LEN];
    *res = CROSSCERT_SIG_BAD;
    if (certsign_crosscert_digest(c->ed_key, c->exp_hours, digest) != 0)
        return -1;
    span_t d = span_of(digest, sizeof digest);
    int r = rsa_verify_raw(rsa_id, d, c->sig);
    if (r < 0)
        return -1;
    if (r == 1) {
        *res = CROSSCERT_SIG_OK;
        return 0;
    }
    /* Only to explain the failure: a standard signature recovers a DigestInfo block whose
     * first 32 bytes are not the digest, which tor reports as "good but didn't match". */
    r = rsa_verify_digestinfo_sha256(rsa_id, d, c->sig);
    if (r < 0)
        return -1;
    if (r == 1)
        *res = CROSSCERT_SIG_DIGESTINFO;
    return 0;
}
