/* wire_crosscert.h — RSA→Ed25519 cross-certificate (CERTS type 7; tor-link.md §1.10).
 *
 *   ED25519_KEY(32) · EXPIRATION_DATE(4, hours) · SIGLEN(1) · SIGNATURE(SIGLEN)
 *
 * The signature is PKCS#1 v1.5 type-1 padding of the raw SHA-256 of
 * "Tor TLS RSA/Ed25519 cross-certificate" ‖ bytes 0–35, with no DigestInfo, by the RSA
 * identity key.  Verification tells a standard DigestInfo signature apart (tor: "The signature
 * was good, but it didn't match the data") from a plainly bad one. */
#ifndef WIRE_CROSSCERT_H
#define WIRE_CROSSCERT_H

#include "bytes_span.h"
#include "crypto_rsa.h"
#include "wire_status.h"

#define CROSSCERT_PREFIX "Tor TLS RSA/Ed25519 cross-certificate"
#define CROSSCERT_SIGNED_LEN 36u /* bytes 0–35 */

typedef struct crosscert {
    uint8_t ed_key[32];
    uint32_t exp_hours;
    span_t sig;         /* SIGLEN bytes, into the caller's buffer */
    span_t signed_part; /* bytes 0–35 */
} crosscert_t;

/* Exact length: WIRE_TRUNCATED if short, WIRE_TRAILING if anything follows the signature. */
wire_status_t crosscert_parse(span_t in, crosscert_t *out) HS_MUST_CHECK;
/* The 32-byte digest that gets signed. */
int crosscert_digest(const uint8_t ed_key[32], uint32_t exp_hours, uint8_t out[HS_SHA256_LEN]) HS_MUST_CHECK;
/* Appends a cross-cert signed the way tor signs it (raw PKCS#1 v1.5). */
int crosscert_build_signed(bld_t *b, const uint8_t ed_key[32], uint32_t exp_hours,
                           gnutls_privkey_t rsa_id) HS_MUST_CHECK;
/* Appends a cross-cert carrying the caller's signature bytes (any length ≤ 255). */
int crosscert_build_with_signature(bld_t *b, const uint8_t ed_key[32], uint32_t exp_hours,
                                   span_t sig) HS_MUST_CHECK;

typedef enum crosscert_sig {
    CROSSCERT_SIG_OK = 0,
    CROSSCERT_SIG_BAD,             /* does not verify at all */
    CROSSCERT_SIG_DIGESTINFO,      /* a valid standard (DigestInfo) signature: wrong kind */
} crosscert_sig_t;

/* Checks the signature of a parsed cross-cert with the RSA identity key: 0 evaluated (read
 * *res), -1 harness fault. */
int crosscert_check_sig(const crosscert_t *c, gnutls_pubkey_t rsa_id, crosscert_sig_t *res) HS_MUST_CHECK;
bool crosscert_expired(const crosscert_t *c, int64_t now);

#endif
