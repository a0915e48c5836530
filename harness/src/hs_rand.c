/* hs_rand.c — see hs_rand.h.  Unseeded: GnuTLS's nonce generator. */
#include "hs_rand.h"

#include <gnutls/crypto.h>

int hs_rand_bytes(void *out, size_t n)
{
    return gnutls_rnd(GNUTLS_RND_NONCE, out, n) == 0 ? 0 : -1;
}
