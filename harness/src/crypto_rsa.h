/* crypto_rsa.h — RSA keys as tor uses them (GnuTLS underneath).
 *
 * Tor identifies a relay by SHA-1 of its RSA identity key's PKCS#1 RSAPublicKey DER, and
 * AUTHENTICATE's CID/SID are SHA-256 of the same bytes, so that DER is built here by hand from
 * (n, e), never taken from a library's SubjectPublicKeyInfo.  Tor's RSA signatures in the
 * cross-cert (and the old AUTH0001) are PKCS#1 v1.5 type-1 padding of a raw digest with no
 * DigestInfo; the sign/verify pair below does exactly that.
 *
 * Convention: 0 success, -1 harness fault; verify returns 1 valid / 0 invalid / -1 fault. */
#ifndef CRYPTO_RSA_H
#define CRYPTO_RSA_H

#include "bytes_span.h"
#include "crypto_digest.h"

#include <gnutls/abstract.h>

/* Largest RSA modulus the harness handles, in bytes (RSA-8192): bounds signature buffers. */
#define HS_RSA_MAX_BYTES 1024u

int rsa_key_generate(gnutls_privkey_t *out, unsigned bits) HS_MUST_CHECK;
/* Public half of a private key (caller frees with gnutls_pubkey_deinit). */
int rsa_pubkey_from_privkey(gnutls_privkey_t priv, gnutls_pubkey_t *out) HS_MUST_CHECK;
int rsa_pubkey_bits(gnutls_pubkey_t pub, unsigned *bits) HS_MUST_CHECK;

/* PEM (PKCS#1 "RSA PRIVATE KEY" / SubjectPublicKeyInfo "PUBLIC KEY"), appended to out. */
int rsa_privkey_export_pem(gnutls_privkey_t priv, bld_t *out) HS_MUST_CHECK;
int rsa_privkey_import_pem(span_t pem, gnutls_privkey_t *out) HS_MUST_CHECK;
int rsa_pubkey_export_pem(gnutls_pubkey_t pub, bld_t *out) HS_MUST_CHECK;
int rsa_pubkey_import_pem(span_t pem, gnutls_pubkey_t *out) HS_MUST_CHECK;
/* Writes the private key as PEM to a new file created with mode 0600 (an existing file is
 * replaced; its mode is forced to 0600 before any key byte is written). */
int rsa_privkey_write_pem_file(gnutls_privkey_t priv, const char *path) HS_MUST_CHECK;
int rsa_privkey_read_pem_file(const char *path, gnutls_privkey_t *out) HS_MUST_CHECK;

/* Appends DER RSAPublicKey ::= SEQUENCE { INTEGER n, INTEGER e } for big-endian unsigned n, e
 * (leading zero bytes in the input are ignored; minimal DER lengths; 00 prepended where the
 * high bit is set). */
void rsa_der_pkcs1_build(bld_t *b, span_t n, span_t e);
int rsa_pubkey_der_pkcs1(gnutls_pubkey_t pub, bld_t *out) HS_MUST_CHECK;
/* SHA-1 (tor's RSA fingerprint) and SHA-256 (CID/SID) of the PKCS#1 DER; either may be NULL. */
int rsa_pubkey_digests(gnutls_pubkey_t pub, uint8_t sha1[HS_SHA1_LEN],
                       uint8_t sha256[HS_SHA256_LEN]) HS_MUST_CHECK;

/* PKCS#1 v1.5 type-1 signature of the raw bytes `digest` (no DigestInfo), appended to out. */
int rsa_sign_raw(gnutls_privkey_t priv, span_t digest, bld_t *out) HS_MUST_CHECK;
int rsa_verify_raw(gnutls_pubkey_t pub, span_t digest, span_t sig) HS_MUST_CHECK;
/* Standard PKCS#1 v1.5 with a SHA-256 DigestInfo over a precomputed digest: what tor does
 * NOT use; here so tests and scenarios can produce and recognise the wrong kind. */
int rsa_sign_digestinfo_sha256(gnutls_privkey_t priv, span_t digest32, bld_t *out) HS_MUST_CHECK;
int rsa_verify_digestinfo_sha256(gnutls_pubkey_t pub, span_t digest32, span_t sig) HS_MUST_CHECK;

#endif
