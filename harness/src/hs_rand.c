/* hs_rand.c — see hs_rand.h. */
#include "hs_rand.h"

#include <gnutls/crypto.h>
#include <string.h>

static struct {
    bool on;
    uint8_t key[32]; /* SHA-256(seed ‖ label) */
    uint64_t ctr;
    uint8_t block[32];
    size_t left; /* unused bytes at the end of block */
} drbg;

void hs_rand_seed(uint64_t seed, const char *label)
{
    uint8_t in[8 + 256];
    size_t n = strlen(label) < 256 ? strlen(label) : 256;
    for (int i = 0; i < 8; i++)
        in[i] = (uint8_t)(seed >> (56 - 8 * i));
    memcpy(in + 8, label, n);
    (void)gnutls_hash_fast(GNUTLS_DIG_SHA256, in, 8 + n, drbg.key);
    drbg.on = true;
    drbg.ctr = 0;
    drbg.left = 0;
}

void hs_rand_unseed(void) { memset(&drbg, 0, sizeof(drbg)); }

int hs_rand_bytes(void *out, size_t n)
{
    if (!drbg.on)
        return gnutls_rnd(GNUTLS_RND_NONCE, out, n) == 0 ? 0 : -1;
    uint8_t *o = out;
    while (n) {
        if (!drbg.left) {
            uint8_t in[40];
            memcpy(in, drbg.key, 32);
            for (int i = 0; i < 8; i++)
                in[32 + i] = (uint8_t)(drbg.ctr >> (56 - 8 * i));
            drbg.ctr++;
            if (gnutls_hash_fast(GNUTLS_DIG_SHA256, in, sizeof(in), drbg.block) < 0)
                return -1;
            drbg.left = 32;
        }
        size_t take = n < drbg.left ? n : drbg.left;
        memcpy(o, drbg.block + 32 - drbg.left, take);
        drbg.left -= take;
        o += take;
        n -= take;
    }
    return 0;
}

void hs_rand_after_fork(void)
{
    gnutls_rnd_refresh();
}
