/* wire_crosscert.c — see wire_crosscert.h. */
#include "wire_crosscert.h"

#include <string.h>

wire_status_t crosscert_parse(span_t in, crosscert_t *out)
{
    span_t s = in;
    memset(out, 0, sizeof *out);
    if (!span_get_sub(&in, CROSSCERT_SIGNED_LEN, &out->signed_part))
        return WIRE_TRUNCATED;
    if (!span_copy(&s, out->ed_key, sizeof out->ed_key) || !span_get_u32(&s, &out->exp_hours) ||
        !span_get_u8_prefixed(&s, &out->sig))
        return WIRE_TRUNCATED;
    /* tor's check requires the encoded length to equal CLEN: a trailing byte is "overlong". */
    if (!span_is_empty(&s))
        return WIRE_TRAILING;
    return WIRE_OK;
}

int crosscert_digest(const uint8_t ed_key[32], uint32_t exp_hours, uint8_t out[HS_SHA256_LEN])
{
    bld_t b;
    bld_init(&b, CROSSCERT_SIGNED_LEN);
    bld_bytes(&b, ed_key, 32);
    bld_u32(&b, exp_hours);
    span_t parts[2] = { span_of(CROSSCERT_PREFIX, strlen(CROSSCERT_PREFIX)), bld_span(&b) };
    int rc = bld_ok(&b) ? crypto_sha256_parts(parts, 2, out) : -1;
    bld_free(&b);
    return rc;
}

int crosscert_build_with_signature(bld_t *b, const uint8_t ed_key[32], uint32_t exp_hours, span_t sig)
{
    bld_bytes(b, ed_key, 32);
    bld_u32(b, exp_hours);
    bld_mark_t m = bld_open_u8(b);
    bld_bytes(b, sig.p, sig.len);
    bld_close(b, m);
    return bld_ok(b) ? 0 : -1;
}

int crosscert_build_signed(bld_t *b, const uint8_t ed_key[32], uint32_t exp_hours,
                           gnutls_privkey_t rsa_id)
{
    uint8_t digest[HS_SHA256_LEN];
    bld_t sig;
    if (crosscert_digest(ed_key, exp_hours, digest) != 0)
        return -1;
    bld_init(&sig, HS_RSA_MAX_BYTES);
    int rc = rsa_sign_raw(rsa_id, span_of(digest, sizeof digest), &sig);
    if (rc == 0)
        rc = crosscert_build_with_signature(b, ed_key, exp_hours, bld_span(&sig));
    bld_free(&sig);
    return rc;
}

int crosscert_check_sig(const crosscert_t *c, gnutls_pubkey_t rsa_id, crosscert_sig_t *res)
{
    uint8_t digest[HS_SHA256_LEN];
    *res = CROSSCERT_SIG_BAD;
    if (crosscert_digest(c->ed_key, c->exp_hours, digest) != 0)
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

bool crosscert_expired(const crosscert_t *c, int64_t now)
{
    return (int64_t)c->exp_hours * 3600 < now;
}
