/* crypto_x509.h — X.509 certificates the way tor judges them (GnuTLS underneath).
 *
 * Decoding is strict: besides GnuTLS accepting the bytes, every TLV must be DER (definite,
 * minimal lengths, minimal INTEGERs, canonical BOOLEANs), nothing may trail the certificate,
 * and GnuTLS's re-export must equal the input — tor re-encodes and compares, so anything else
 * is "undecodable" to it (tor-link.md §1.8).  GnuTLS alone is not enough: it accepts a
 * non-minimal outer length and hands the original bytes back on export.
 *
 * Validity is tor's rule, not RFC 5280's: the issuer's key verifies the signature (names,
 * extensions and CA flags are not looked at), notBefore ≤ now + 30 days, notAfter ≥ now −
 * 2 days, and the key is RSA-1024 exactly (ID/auth certs) or RSA ≥ 1024 / EC ≥ 128 bits. */
#ifndef CRYPTO_X509_H
#define CRYPTO_X509_H

#include "bytes_span.h"
#include "crypto_digest.h"

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#define HS_X509_FUTURE_SLOP (30 * 24 * 3600) /* TOR_X509_FUTURE_SLOP */
#define HS_X509_PAST_SLOP (2 * 24 * 3600)    /* TOR_X509_PAST_SLOP */
#define HS_X509_DER_CAP (64u * 1024u)        /* a cert must fit a CERTS entry (u16 CLEN) */

typedef struct x509_cert {
    gnutls_x509_crt_t crt;
    uint8_t *der; /* private copy of exactly the decoded bytes */
    size_t der_len;
    span_t tbs; /* the TBSCertificate TLV inside der: the signed bytes */
    span_t sig; /* signatureValue without its unused-bits byte */
} x509_cert_t;

/* 0: decoded; 1: undecodable (the bytes' fault; `why` says how); -1: harness fault.
 * On anything but 0, *out holds nothing to free.  why may be NULL. */
int x509_decode(span_t der, x509_cert_t *out, char *why, size_t why_len) HS_MUST_CHECK;
void x509_free(x509_cert_t *c); /* safe on a zeroed or freed cert */

/* Caller frees with gnutls_pubkey_deinit. */
int x509_pubkey(const x509_cert_t *c, gnutls_pubkey_t *out) HS_MUST_CHECK;
/* Algorithm (GNUTLS_PK_*, GNUTLS_PK_UNKNOWN if GnuTLS cannot tell) and size in bits. */
int x509_key_info(const x509_cert_t *c, gnutls_pk_algorithm_t *alg, unsigned *bits) HS_MUST_CHECK;
int64_t x509_not_before(const x509_cert_t *c);
int64_t x509_not_after(const x509_cert_t *c);
/* 1: issuer's public key verifies subject's signature; 0: it does not; -1: fault. */
int x509_is_signed_by(const x509_cert_t *subject, const x509_cert_t *issuer) HS_MUST_CHECK;
/* 1: both certs carry the same SubjectPublicKeyInfo; 0: different; -1: fault. */
int x509_same_pubkey(const x509_cert_t *a, const x509_cert_t *b) HS_MUST_CHECK;

typedef enum { X509_KEY_RULE_RSA1024, X509_KEY_RULE_MIN1024 } x509_key_rule_t;

typedef struct x509_tor_validity {
    bool ok;
    bool sig_ok;
    bool not_yet_valid; /* notBefore > now + 30 days */
    bool expired;       /* notAfter < now − 2 days */
    bool key_ok;
    char why[160]; /* tor's wording of the first problem in tor's order, "" when ok */
} x509_tor_validity_t;

/* tor_tls_cert_is_valid(): 0 when evaluated (read out->ok), -1 on harness fault. */
int x509_tor_valid(const x509_cert_t *c, const x509_cert_t *signer, int64_t now,
                   x509_key_rule_t rule, x509_tor_validity_t *out) HS_MUST_CHECK;

typedef struct x509_shape {
    char subject[256];
    char issuer[256];
    char key_alg[32];
    unsigned key_bits;
    int64_t not_before, not_after; /* unix seconds */
    unsigned n_extensions;
    uint8_t sha256[HS_SHA256_LEN]; /* of the DER */
    size_t serial_len;
} x509_shape_t;

int x509_describe(const x509_cert_t *c, x509_shape_t *out) HS_MUST_CHECK;

/* Builders: X.509 v3, random positive 8-byte serial, no extensions, CN-only names,
 * sha256WithRSAEncryption (the issuer key must be RSA); DER appended to der_out. */
int x509_build_self_signed(gnutls_privkey_t key, const char *cn, int64_t not_before,
                           int64_t not_after, bld_t *der_out) HS_MUST_CHECK;
/* A fresh ECDSA P-256 key (caller frees with gnutls_privkey_deinit): a TLS key of another
 * algorithm than tor's RSA link key, for the responder role's certificate choice. */
int x509_ecdsa_p256_generate(gnutls_privkey_t *out) HS_MUST_CHECK;
int x509_build_issued(gnutls_pubkey_t subject_key, const char *subject_cn, const char *issuer_cn,
                      gnutls_privkey_t issuer_key, int64_t not_before, int64_t not_after,
                      bld_t *der_out) HS_MUST_CHECK;

#endif
