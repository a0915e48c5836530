/* crypto_certsign.h — signing and checking the Ed25519 certs (CERTS types 4–6) and the
 * RSA→Ed25519 cross-cert (type 7).
 *
 * wire_edcert and wire_crosscert are codecs: they lay the bytes out and say which of them are
 * signed, but a wire file may not reach up into crypto.  Everything that needs a key or a hash
 * function — signing a cert as it is built, the cross-cert digest, verifying a parsed cert —
 * lives here, on top of both.  What a cross-cert signs is PKCS#1 v1.5 type-1 padding of the raw
 * SHA-256 of the signed data, with no DigestInfo (tor-link.md §1.10); the check tells a
 * standard DigestInfo signature apart (tor: "The signature was good, but it didn't match the
 * data") from a plainly bad one, so a verdict can say which it was.
 *
 * Convention: 0 success, -1 harness fault (a failed signature is never a fault). */
#ifndef CRYPTO_CERTSIGN_H
#define CRYPTO_CERTSIGN_H

#include "bytes_span.h"
#include "crypto_digest.h"
#include "crypto_ed25519.h"
#include "crypto_rsa.h"
#include "wire_crosscert.h"
#include "wire_edcert.h"

/* Appends the Ed25519 cert described by f, signed by `signer` over all preceding bytes.  0 ok,
 * -1 builder or signing failure. */
int certsign_edcert(bld_t *b, const edcert_fields_t *f, const ed25519_key_t *signer) HS_MUST_CHECK;
/* Checks a parsed cert's signature over its signed_part with the 32-byte Ed25519 key `key`.
 * 1: valid; 0: invalid (including a key that is not a curve point); -1: harness fault. */
int certsign_edcert_check(const edcert_t *c, const uint8_t key[HS_ED25519_KEY_LEN]) HS_MUST_CHECK;

/* The 32-byte digest a cross-cert signs: SHA-256 of crosscert_build_signed_data's bytes. */
int certsign_crosscert_digest(const uint8_t ed_key[32], uint32_t exp_hours,
                              uint8_t out[HS_SHA256_LEN]) HS_MUST_CHECK;
/* Appends a cross-cert signed the way tor signs it (raw PKCS#1 v1.5 by rsa_id). */
int certsign_crosscert(bld_t *b, const uint8_t ed_key[32], uint32_t exp_hours,
                       gnutls_privkey_t rsa_id) HS_MUST_CHECK;

typedef enum crosscert_sig {
    CROSSCERT_SIG_OK = 0,
    CROSSCERT_SIG_BAD,             /* does not verify at all */
    CROSSCERT_SIG_DIGESTINFO,      /* a valid standard (DigestInfo) signature: wrong kind */
} crosscert_sig_t;

/* Checks the signature of a parsed cross-cert with the RSA identity key: 0 evaluated (read
 * *res), -1 harness fault. */
int certsign_crosscert_check(const crosscert_t *c, gnutls_pubkey_t rsa_id,
                             crosscert_sig_t *res) HS_MUST_CHECK;

#endif
