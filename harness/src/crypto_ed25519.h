/* crypto_ed25519.h — Ed25519 keys, signatures and verification (GnuTLS underneath).
 *
 * Tor's Ed25519 keys travel as raw 32-byte public keys and 64-byte signatures with no prefix,
 * so this layer speaks raw bytes.  A key pair owns a GnuTLS private key: free it with
 * ed25519_key_free (safe on a zeroed or already-freed key). */
#ifndef CRYPTO_ED25519_H
#define CRYPTO_ED25519_H

#include "bytes_span.h"

#include <gnutls/abstract.h>

#define HS_ED25519_KEY_LEN 32u
#define HS_ED25519_SIG_LEN 64u

typedef struct ed25519_key {
    gnutls_privkey_t priv;
    uint8_t pub[HS_ED25519_KEY_LEN];
    uint8_t seed[HS_ED25519_KEY_LEN]; /* kept so an identity can be saved; wiped on free */
} ed25519_key_t;

/* Deterministic key pair from a 32-byte RFC 8032 seed (the "private key" of RFC 8032). */
int ed25519_key_from_seed(ed25519_key_t *k, const uint8_t seed[HS_ED25519_KEY_LEN]) HS_MUST_CHECK;
/* Fresh key pair, seeded through hs_rand (so a later --seed makes it reproducible). */
int ed25519_key_generate(ed25519_key_t *k) HS_MUST_CHECK;
void ed25519_key_free(ed25519_key_t *k);
int ed25519_sign(const ed25519_key_t *k, span_t msg, uint8_t sig[HS_ED25519_SIG_LEN]) HS_MUST_CHECK;
/* 1: valid; 0: invalid (bad signature or a public key that is not a curve point);
 * -1: harness fault. */
int ed25519_verify(const uint8_t pub[HS_ED25519_KEY_LEN], span_t msg,
                   const uint8_t sig[HS_ED25519_SIG_LEN]) HS_MUST_CHECK;

#endif
