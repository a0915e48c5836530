/* crypto_relay.c — see crypto_relay.h.  AES comes from nettle (GnuTLS's own backend: GnuTLS
 * 3.7 exposes no AES-CTR cipher), SHA-1 from GnuTLS. */
#include "crypto_relay.h"

#include <gnutls/crypto.h>
#include <string.h>

int crypto_kdf_tor(span_t k0, uint8_t *out, size_t outlen)
{
    if (outlen > 256u * HS_SHA1_LEN || k0.len > 4096)
        return -1;
    uint8_t buf[4096 + 1];
    memcpy(buf, k0.p, k0.len);
    for (size_t i = 0, off = 0; off < outlen; i++) {
        uint8_t block[HS_SHA1_LEN];
        buf[k0.len] = (uint8_t)i;
        if (crypto_sha1(span_of(buf, k0.len + 1), block) != 0)
            return -1;
        size_t n = outlen - off < HS_SHA1_LEN ? outlen - off : HS_SHA1_LEN;
        memcpy(out + off, block, n);
        off += n;
    }
    return 0;
}

static int dir_init(relay_dir_crypto_t *d, const uint8_t digest_seed[HS_SHA1_LEN],
                    const uint8_t key[RELAY_KEY_LEN])
{
    memset(d, 0, sizeof(*d));
    aes128_set_encrypt_key(&d->aes, key);
    d->used = sizeof(d->stream); /* no keystream yet; the IV (counter) starts at zero */
    gnutls_hash_hd_t h;
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA1) < 0)
        return -1;
    d->digest = h;
    return gnutls_hash(h, digest_seed, HS_SHA1_LEN) < 0 ? -1 : 0;
}

static void dir_free(relay_dir_crypto_t *d)
{
    if (d->digest)
        gnutls_hash_deinit((gnutls_hash_hd_t)d->digest, NULL);
    d->digest = NULL;
}

/* AES-128-CTR with a 128-bit big-endian counter that carries across cells: one keystream per
 * direction for the life of the circuit. */
static void dir_xor(relay_dir_crypto_t *d, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (d->used == sizeof(d->stream)) {
            aes128_encrypt(&d->aes, sizeof(d->stream), d->stream, d->ctr);
            for (int k = 15; k >= 0 && ++d->ctr[k] == 0; k--) {
            }
            d->used = 0;
        }
        p[i] ^= d->stream[d->used++];
    }
}

int relay_crypto_init_fast(relay_crypto_t *rc, const uint8_t x[HS_SHA1_LEN],
                           const uint8_t y[HS_SHA1_LEN], const uint8_t kh[HS_SHA1_LEN],
                           bool *kh_ok)
{
    memset(rc, 0, sizeof(*rc));
    uint8_t k0[2 * HS_SHA1_LEN], k[KDF_TOR_FAST_LEN];
    memcpy(k0, x, HS_SHA1_LEN);
    memcpy(k0 + HS_SHA1_LEN, y, HS_SHA1_LEN);
    if (crypto_kdf_tor(span_of(k0, sizeof(k0)), k, sizeof(k)) != 0)
        return -1;
    *kh_ok = memcmp(k, kh, HS_SHA1_LEN) == 0;
    const uint8_t *df = k + HS_SHA1_LEN, *db = df + HS_SHA1_LEN;
    const uint8_t *kf = db + HS_SHA1_LEN, *kb = kf + RELAY_KEY_LEN;
    if (dir_init(&rc->fwd, df, kf) != 0 || dir_init(&rc->back, db, kb) != 0) {
        relay_crypto_free(rc);
        return -1;
    }
    rc->ready = true;
    return 0;
}

void relay_crypto_free(relay_crypto_t *rc)
{
    dir_free(&rc->fwd);
    dir_free(&rc->back);
    rc->ready = false;
}

/* Relay header: Command(1) Recognized(2) StreamID(2) Digest(4) Length(2). */
#define DIGEST_OFF 5u
#define DIGEST_LEN 4u

int relay_crypto_seal(relay_crypto_t *rc, uint8_t payload[RELAY_PAYLOAD_LEN])
{
    if (!rc->ready)
        return -1;
    memset(payload + DIGEST_OFF, 0, DIGEST_LEN);
    gnutls_hash_hd_t h = (gnutls_hash_hd_t)rc->fwd.digest;
    uint8_t d[HS_SHA1_LEN];
    if (gnutls_hash(h, payload, RELAY_PAYLOAD_LEN) < 0)
        return -1;
    gnutls_hash_hd_t peek = gnutls_hash_copy(h);
    if (!peek)
        return -1;
    gnutls_hash_deinit(peek, d);
    memcpy(payload + DIGEST_OFF, d, DIGEST_LEN);
    dir_xor(&rc->fwd, payload, RELAY_PAYLOAD_LEN);
    return 0;
}

int relay_crypto_open(relay_crypto_t *rc, uint8_t payload[RELAY_PAYLOAD_LEN], bool *recognized)
{
    *recognized = false;
    if (!rc->ready)
        return -1;
    dir_xor(&rc->back, payload, RELAY_PAYLOAD_LEN);
    if (payload[1] || payload[2])
        return 0;
    uint8_t got[DIGEST_LEN], d[HS_SHA1_LEN];
    memcpy(got, payload + DIGEST_OFF, DIGEST_LEN);
    memset(payload + DIGEST_OFF, 0, DIGEST_LEN);
    /* Try the cell on a copy of the running digest: only a recognised cell advances it. */
    gnutls_hash_hd_t trial = gnutls_hash_copy((gnutls_hash_hd_t)rc->back.digest);
    if (!trial)
        return -1;
    if (gnutls_hash(trial, payload, RELAY_PAYLOAD_LEN) < 0) {
        gnutls_hash_deinit(trial, NULL);
        return -1;
    }
    gnutls_hash_hd_t peek = gnutls_hash_copy(trial);
    if (!peek) {
        gnutls_hash_deinit(trial, NULL);
        return -1;
    }
    gnutls_hash_deinit(peek, d);
    memcpy(payload + DIGEST_OFF, got, DIGEST_LEN);
    if (memcmp(d, got, DIGEST_LEN) != 0) {
        gnutls_hash_deinit(trial, NULL);
        return 0;
    }
    gnutls_hash_deinit((gnutls_hash_hd_t)rc->back.digest, NULL);
    rc->back.digest = trial;
    *recognized = true;
    return 0;
}
