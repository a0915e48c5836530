/* crypto_digest.c — see crypto_digest.h. */
#include "crypto_digest.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

/* gnutls_hash_fast dereferences its input only for len > 0, but passes it to nettle as given;
 * an empty span may carry p == NULL, so give it a harmless address. */
static const void *nonnull(span_t s)
{
    static const uint8_t empty[1];
    return s.p ? (const void *)s.p : (const void *)empty;
}

int crypto_sha1(span_t in, uint8_t out[HS_SHA1_LEN])
{
    return gnutls_hash_fast(GNUTLS_DIG_SHA1, nonnull(in), in.len, out) == 0 ? 0 : -1;
}

int crypto_sha256(span_t in, uint8_t out[HS_SHA256_LEN])
{
    return gnutls_hash_fast(GNUTLS_DIG_SHA256, nonnull(in), in.len, out) == 0 ? 0 : -1;
}

int crypto_sha256_parts(const span_t *parts, size_t n, uint8_t out[HS_SHA256_LEN])
{
    gnutls_hash_hd_t h;
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].len && gnutls_hash(h, parts[i].p, parts[i].len) < 0) {
            gnutls_hash_deinit(h, NULL);
            return -1;
        }
    }
    gnutls_hash_deinit(h, out);
    return 0;
}

int crypto_hmac_sha256(span_t key, span_t msg, uint8_t out[HS_SHA256_LEN])
{
    return gnutls_hmac_fast(GNUTLS_MAC_SHA256, nonnull(key), key.len, nonnull(msg), msg.len,
                            out) == 0
               ? 0
               : -1;
}

int crypto_kdf_tor_kh(const uint8_t x[HS_SHA1_LEN], const uint8_t y[HS_SHA1_LEN],
                      uint8_t kh[HS_SHA1_LEN])
{
    uint8_t k0[2 * HS_SHA1_LEN + 1];
    memcpy(k0, x, HS_SHA1_LEN);
    memcpy(k0 + HS_SHA1_LEN, y, HS_SHA1_LEN);
    k0[2 * HS_SHA1_LEN] = 0;
    return crypto_sha1(span_of(k0, sizeof(k0)), kh);
}

void sha256_stream_init(sha256_stream_t *s)
{
    memset(s, 0, sizeof(*s));
    gnutls_hash_hd_t h;
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
        s->failed = true;
        return;
    }
    s->h = h;
}

void sha256_stream_update(sha256_stream_t *s, const void *p, size_t n)
{
    if (!n || s->failed)
        return;
    if (!s->h || gnutls_hash((gnutls_hash_hd_t)s->h, p, n) < 0) {
        s->failed = true;
        return;
    }
    s->bytes += n;
}

int sha256_stream_peek(const sha256_stream_t *s, uint8_t out[HS_SHA256_LEN])
{
    if (s->failed)
        return -1;
    if (s->done) {
        memcpy(out, s->final, HS_SHA256_LEN);
        return 0;
    }
    if (!s->h)
        return -1;
    gnutls_hash_hd_t copy = gnutls_hash_copy((gnutls_hash_hd_t)s->h);
    if (!copy)
        return -1;
    gnutls_hash_deinit(copy, out);
    return 0;
}

void sha256_stream_finish(sha256_stream_t *s)
{
    if (!s->h)
        return;
    if (!s->failed && !s->done)
        s->done = sha256_stream_peek(s, s->final) == 0;
    if (!s->done)
        s->failed = true;
    gnutls_hash_deinit((gnutls_hash_hd_t)s->h, NULL);
    s->h = NULL;
}
