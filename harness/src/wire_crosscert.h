/* wire_crosscert.h — RSA→Ed25519 cross-certificate (CERTS type 7; tor-link.md §1.10).
 *
 *   ED25519_KEY(32) · EXPIRATION_DATE(4, hours) · SIGLEN(1) · SIGNATURE(SIGLEN)
 *
 * The signature is PKCS#1 v1.5 type-1 padding of the raw SHA-256 of
 * "Tor TLS RSA/Ed25519 cross-certificate" ‖ bytes 0–35, with no DigestInfo, by the RSA
 * identity key.
 *
 * Structure only: this file parses and builds the layout and yields the exact bytes that get
 * hashed (crosscert_build_signed_data).  Hashing, signing with the RSA identity key and
 * verifying — including telling a standard DigestInfo signature apart from a plainly bad one —
 * need crypto, which lives a layer up, in crypto_certsign. */
#ifndef WIRE_CROSSCERT_H
#define WIRE_CROSSCERT_H

#include "bytes_span.h"
#include "wire_status.h"

#define CROSSCERT_PREFIX "Tor TLS RSA/Ed25519 cross-certificate"
#define CROSSCERT_PREFIX_LEN (sizeof CROSSCERT_PREFIX - 1) /* no NUL */
#define CROSSCERT_SIGNED_LEN 36u /* bytes 0–35 */
#define CROSSCERT_SIGNED_DATA_LEN (CROSSCERT_PREFIX_LEN + CROSSCERT_SIGNED_LEN)

typedef struct crosscert {
    uint8_t ed_key[32];
    uint32_t exp_hours;
    span_t sig;         /* SIGLEN bytes, into the caller's buffer */
    span_t signed_part; /* bytes 0–35 */
} crosscert_t;

/* Exact length: WIRE_TRUNCATED if short, WIRE_TRAILING if anything follows the signature. */
wire_status_t crosscert_parse(span_t in, crosscert_t *out) HS_MUST_CHECK;
/* Appends the bytes whose SHA-256 gets signed: CROSSCERT_PREFIX (no NUL) ‖ ED25519_KEY ‖
 * EXPIRATION_DATE, i.e. the prefix followed by what would be bytes 0–35 of the cert
 * (CROSSCERT_SIGNED_DATA_LEN bytes).  0 ok, -1 builder failure. */
int crosscert_build_signed_data(bld_t *b, const uint8_t ed_key[32], uint32_t exp_hours) HS_MUST_CHECK;
/* Appends a cross-cert carrying the caller's signature bytes (any length ≤ 255).  To sign
 * with an RSA key, see certsign_crosscert in crypto_certsign.h. */
int crosscert_build_with_signature(bld_t *b, const uint8_t ed_key[32], uint32_t exp_hours,
                                   span_t sig) HS_MUST_CHECK;
bool crosscert_expired(const crosscert_t *c, int64_t now);

#endif
