/* crypto_digest.h — SHA-1, SHA-256 and HMAC-SHA256 over spans (GnuTLS underneath).
 *
 * The link handshake hashes everywhere: RSA fingerprints (SHA-1 of the PKCS#1 DER), CID/SID and
 * type-5 certs (SHA-256), the cross-cert digest, the obsolete AUTH0001 TLSSECRETS (HMAC).
 * Return 0 on success, -1 when GnuTLS fails: that is a harness fault, never the peer's. */
#ifndef CRYPTO_DIGEST_H
#define CRYPTO_DIGEST_H

#include "bytes_span.h"

#define HS_SHA1_LEN 20u
#define HS_SHA256_LEN 32u

int crypto_sha1(span_t in, uint8_t out[HS_SHA1_LEN]) HS_MUST_CHECK;
int crypto_sha256(span_t in, uint8_t out[HS_SHA256_LEN]) HS_MUST_CHECK;
/* SHA-256 of the concatenation of n parts, without copying them together first. */
int crypto_sha256_parts(const span_t *parts, size_t n, uint8_t out[HS_SHA256_LEN]) HS_MUST_CHECK;
int crypto_hmac_sha256(span_t key, span_t msg, uint8_t out[HS_SHA256_LEN]) HS_MUST_CHECK;
/* KH of a CREATE_FAST handshake (tor-spec §5.2.1, KDF-TOR): the first 20 bytes of
 * SHA1(X | Y | 0x00), where X and Y are the two 20-byte key materials. */
int crypto_kdf_tor_kh(const uint8_t x[HS_SHA1_LEN], const uint8_t y[HS_SHA1_LEN],
                      uint8_t kh[HS_SHA1_LEN]) HS_MUST_CHECK;

#endif
