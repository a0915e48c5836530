/* crypto_identity_store.h — a relay identity on disk, so runs and vectors can reuse it.
 *
 * One directory per identity:
 *     rsa-identity.pem  rsa-link.pem  rsa-auth.pem   PKCS#8 PEM, mode 0600
 *     ed25519.keys                                   "identity|signing|link-auth HEX-SEED", 0600
 *     names                                          "id-cn|link-cn|auth-cn NAME" (public)
 *     fingerprints                                   RSA SHA-1 fingerprint and Ed25519 id
 *                                                    (public; what tor logs for the peer)
 * The loader is strict: a missing file, an unknown line, a bad seed or a name that is not a
 * plausible host name is an error naming the file and line. */
#ifndef CRYPTO_IDENTITY_STORE_H
#define CRYPTO_IDENTITY_STORE_H

#include "crypto_identity.h"

/* Creates dir (0700) if needed and writes every file.  -1 with err set on failure. */
int identity_save(const relay_identity_t *id, const char *dir, char *err, size_t errlen)
    HS_MUST_CHECK;
/* Loads an identity saved by identity_save.  On failure nothing is left to free. */
int identity_load(relay_identity_t *id, const char *dir, char *err, size_t errlen) HS_MUST_CHECK;

/* RSA identity fingerprint (SHA-1 of the PKCS#1 DER, 40 upper-case hex digits + NUL) and the
 * Ed25519 identity in tor's unpadded base64 (43 characters + NUL). */
int identity_fingerprints(const relay_identity_t *id, char rsa_hex[41], char ed_b64[44])
    HS_MUST_CHECK;

#endif
