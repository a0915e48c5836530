/* crypto_relay.h — the relay-cell crypto of a circuit keyed by CREATE_FAST (tor-spec §5.2.1,
 * §5.5, §6.1): KDF-TOR, AES-128-CTR per direction, and the running SHA-1 digest whose first
 * four bytes authenticate each relay cell.
 *
 * The engine needs it for one thing: to make a relay extend a circuit to the harness (the
 * R←RI role, tor-link.md §7.3), which takes a CREATE_FAST circuit and an EXTEND2 in a
 * RELAY_EARLY cell the relay can decrypt and recognise.  Only the client end is implemented
 * (forward = we seal, backward = we open). */
#ifndef CRYPTO_RELAY_H
#define CRYPTO_RELAY_H

#include "crypto_digest.h"

#include <nettle/aes.h>

#define RELAY_PAYLOAD_LEN 509u
#define RELAY_KEY_LEN 16u
/* KH | Df | Db | Kf | Kb */
#define KDF_TOR_FAST_LEN (3u * HS_SHA1_LEN + 2u * RELAY_KEY_LEN)

/* K = H(K0|00) | H(K0|01) | …, truncated to outlen (≤ 256 × 20 bytes). */
int crypto_kdf_tor(span_t k0, uint8_t *out, size_t outlen) HS_MUST_CHECK;

typedef struct relay_dir_crypto {
    struct aes128_ctx aes;
    uint8_t ctr[16];        /* the next counter block */
    uint8_t stream[16];     /* keystream of the previous counter block */
    size_t used;            /* bytes of `stream` consumed */
    void *digest;           /* gnutls_hash_hd_t: running SHA-1 seeded with D */
} relay_dir_crypto_t;

typedef struct relay_crypto {
    bool ready;
    relay_dir_crypto_t fwd, back;
} relay_crypto_t;

/* Keys both directions from CREATE_FAST's X and CREATED_FAST's Y (K0 = X | Y); *kh_ok says
 * whether the relay's KH matches.  -1 on a GnuTLS fault. */
int relay_crypto_init_fast(relay_crypto_t *rc, const uint8_t x[HS_SHA1_LEN],
                           const uint8_t y[HS_SHA1_LEN], const uint8_t kh[HS_SHA1_LEN],
                           bool *kh_ok) HS_MUST_CHECK;
void relay_crypto_free(relay_crypto_t *rc);

/* Forward: sets the Digest field (bytes 5–8) of a cleartext relay payload from the running
 * digest, then encrypts the payload in place. */
int relay_crypto_seal(relay_crypto_t *rc, uint8_t payload[RELAY_PAYLOAD_LEN]) HS_MUST_CHECK;
/* Backward: decrypts in place; *recognized is true when Recognized is zero and the Digest
 * field matches the running digest (which then advances).  A cell not recognised leaves the
 * digest where it was (tor-spec §5.5.3). */
int relay_crypto_open(relay_crypto_t *rc, uint8_t payload[RELAY_PAYLOAD_LEN],
                      bool *recognized) HS_MUST_CHECK;

#endif
