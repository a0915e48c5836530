/* wire_edcert.h — Ed25519 certificates (cert-spec §2.1; tor-link.md §1.9; CERTS types 4–6).
 *
 *   VERSION(1)=01 · CERT_TYPE(1) · EXPIRATION_DATE(4, hours) · CERT_KEY_TYPE(1) ·
 *   CERTIFIED_KEY(32) · N_EXTENSIONS(1) · N × {ExtLength(2) ExtType(1) ExtFlags(1) ExtData} ·
 *   SIGNATURE(64, Ed25519 over every preceding byte)
 *
 * The parser is a codec, not a judge: it refuses only what cannot be laid out (wrong version,
 * truncation, trailing bytes, a signed-with-key extension whose length is not 32) and reports
 * what the format forbids a verifier to accept — an unknown extension flagged
 * AFFECTS_VALIDATION, a second signed-with-key extension — as flags, so the caller decides and
 * can say why.  Spans point into the caller's buffer.
 *
 * Structure only: this file lays out bytes and says which of them are signed (signed_part,
 * edcert_build_body); signing and verifying need keys, which live a layer up, in
 * crypto_certsign. */
#ifndef WIRE_EDCERT_H
#define WIRE_EDCERT_H

#include "bytes_span.h"
#include "wire_status.h"

#define EDCERT_VERSION 1u
#define EDCERT_MAX_EXTENSIONS 8u /* kept per cert; tor sends at most one */
#define EDCERT_HEADER_LEN 40u    /* VERSION .. N_EXTENSIONS */
#define EDCERT_EXT_SIGNED_WITH_KEY 0x04u
#define EDCERT_EXT_FLAG_AFFECTS_VALIDATION 0x01u
#define EDCERT_SIG_LEN 64u       /* an Ed25519 signature */

enum {
    EDCERT_KEY_ED25519 = 0x01,
    EDCERT_KEY_SHA256_RSA = 0x02,
    EDCERT_KEY_SHA256_X509 = 0x03,
};

typedef struct edcert_ext {
    uint8_t type;
    uint8_t flags;
    span_t data;
} edcert_ext_t;

typedef struct edcert {
    uint8_t version;
    uint8_t cert_type;
    uint32_t exp_hours;
    uint8_t key_type;
    uint8_t certified_key[32];
    uint8_t n_ext;
    edcert_ext_t ext[EDCERT_MAX_EXTENSIONS];
    bool has_signing_key_ext;
    uint8_t signing_key[32]; /* from the first signed-with-key extension */
    bool unknown_critical_ext;       /* unknown type with AFFECTS_VALIDATION: must reject */
    bool duplicate_signing_key_ext;  /* a second signed-with-key extension: must reject */
    uint8_t signature[EDCERT_SIG_LEN];
    span_t signed_part; /* every byte before the signature */
} edcert_t;

/* Whole input must be exactly one certificate.  WIRE_BAD_VALUE: version ≠ 1 or a signed-with-
 * key extension of length ≠ 32; WIRE_TOO_MANY: more than EDCERT_MAX_EXTENSIONS extensions. */
wire_status_t edcert_parse(span_t in, edcert_t *out) HS_MUST_CHECK;

/* What to encode.  Extensions are written in order as given, including any signed-with-key
 * extension (the builder adds none of its own). */
typedef struct edcert_fields {
    uint8_t version; /* normally EDCERT_VERSION; other values for malformed scenarios */
    uint8_t cert_type;
    uint32_t exp_hours;
    uint8_t key_type;
    uint8_t certified_key[32];
    size_t n_ext;
    const edcert_ext_t *ext;
} edcert_fields_t;

/* Appends everything but the signature — exactly the bytes that get signed — and sets *start to
 * where they begin in b.  0 ok, -1 builder failure (bad extension list, cap). */
int edcert_build_body(bld_t *b, const edcert_fields_t *f, size_t *start) HS_MUST_CHECK;
/* Appends the cert with the caller's 64 signature bytes (good, bad, or from elsewhere).  To
 * sign with a key, see certsign_edcert in crypto_certsign.h. */
int edcert_build_with_signature(bld_t *b, const edcert_fields_t *f,
                                const uint8_t sig[EDCERT_SIG_LEN]) HS_MUST_CHECK;
/* Convenience for the common signed-with-key extension holding `key`. */
edcert_ext_t edcert_ext_signed_with_key(const uint8_t key[32]);
/* Expired per tor: exp_hours*3600 < now (no slop). */
bool edcert_expired(const edcert_t *c, int64_t now);

#endif
