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

/* A running SHA-256 over a byte stream (everything one side sent above TLS): the engine's
 * claim that the wire check compares with the decrypted capture.  A stream whose hash could
 * not be started or updated is marked failed and never reports a digest, so a GnuTLS fault
 * shows up as "no digest", never as a wrong one. */
typedef struct sha256_stream {
    void *h; /* gnutls_hash_hd_t; NULL once finished */
    uint64_t bytes;
    bool failed;
    bool done;
    uint8_t final[HS_SHA256_LEN];
} sha256_stream_t;

void sha256_stream_init(sha256_stream_t *s);
void sha256_stream_update(sha256_stream_t *s, const void *p, size_t n);
/* The digest of everything so far; the stream may continue.  -1 if the stream failed. */
int sha256_stream_peek(const sha256_stream_t *s, uint8_t out[HS_SHA256_LEN]) HS_MUST_CHECK;
/* Freezes the digest (peek keeps working) and releases the hash.  Safe to call twice. */
void sha256_stream_finish(sha256_stream_t *s);

#endif
