/* out_vec.h — `hsprobe vectors`: the test-vector files, generated from committed identities,
 * one seed and fixed times (vectors/README.md describes every value).
 *
 * Determinism is the point: nothing here reads the clock or an unseeded random source.  Each
 * random value is drawn right after re-seeding the DRBG (hs_rand) with the seed and a label
 * naming that value ("vectors/<family>/<vector>/<what>"), so a value depends on nothing but
 * (seed, label) — adding a vector never shifts another — and a checker that knows the DRBG
 * can recompute it.  Times (certificate validity, expiry hours, NETINFO timestamps) derive
 * from VEC_NOW, which every file records as an input.
 *
 * Every family is written by one function into a FILE (a file on disk, or a memory stream in
 * the unit tests) as pretty-printed JSON: one member per line, bytes as lower-case hex. */
#ifndef OUT_VEC_H
#define OUT_VEC_H

#include "crypto_identity.h"
#include "out_json.h"

#define VEC_FORMAT "hsprobe-vectors/1"
#define VEC_DEFAULT_SEED 1u
#define VEC_NOW 1767225600 /* 2026-01-01T00:00:00Z: "now" for every validity decision */
#define VEC_X509_NOT_BEFORE (VEC_NOW - 86400)         /* midnight the day before */
#define VEC_X509_NOT_AFTER (VEC_NOW + 365 * 86400)
#define VEC_LIFE_SIGNING (30 * 86400)   /* type 4: tor's SigningKeyLifetime */
#define VEC_LIFE_LINK (2 * 86400)       /* types 5, 6: tor's TestingLinkCertLifetime */
#define VEC_LIFE_CROSS (180 * 86400)    /* type 7: tor's six months */
#define VEC_CERT_CAP 8192u              /* one certificate */
#define VEC_BODY_CAP (HS_CAP_CELL_BODY + 16u)

/* The two identities every family uses: harness-a initiates, harness-b responds. */
#define VEC_INITIATOR "harness-a"
#define VEC_RESPONDER "harness-b"

/* An identity with everything derived from it once: public keys as tor hashes them (PKCS#1
 * RSAPublicKey DER) and the seven certificates, built at the fixed times. */
typedef struct vec_ident {
    char name[32];
    relay_identity_t id;
    bld_t rsa_id_der, rsa_link_der, rsa_auth_der;
    uint8_t rsa_id_sha1[20], rsa_id_sha256[32];
    bld_t cert[8]; /* by CERTS type 1..7; index 0 unused */
} vec_ident_t;

typedef struct vec_ctx {
    uint64_t seed;
    int64_t now;
    vec_ident_t a, b; /* VEC_INITIATOR, VEC_RESPONDER */
    char err[300];
} vec_ctx_t;

/* Loads both identities from identities_dir and derives everything.  -1 with ctx->err set. */
int vec_ctx_init(vec_ctx_t *ctx, const char *identities_dir, uint64_t seed) HS_MUST_CHECK;
void vec_ctx_free(vec_ctx_t *ctx);
const vec_ident_t *vec_ident(const vec_ctx_t *ctx, const char *name); /* NULL if unknown */

/* Re-seeds the DRBG with the context's seed and this label and draws n bytes. */
int vec_draw(const vec_ctx_t *ctx, const char *label, uint8_t *out, size_t n) HS_MUST_CHECK;

/* Expiry hours of a cert issued at ctx->now with this lifetime. */
uint32_t vec_exp_hours(const vec_ctx_t *ctx, int64_t lifetime_s);

/* The header every file starts with; the caller then writes "vectors" and closes. */
void vec_header(json_out_t *j, const vec_ctx_t *ctx, const char *family, const char *about);
void vec_hex_span(json_out_t *j, const char *key, span_t s);
void vec_hex_bld(json_out_t *j, const char *key, const bld_t *b);
/* The SHA-256 of s as a hex member.  -1 if hashing failed. */
int vec_sha256_member(json_out_t *j, const char *key, span_t s) HS_MUST_CHECK;

/* The families; each writes one complete document.  -1 with ctx->err set. */
int vec_write_certs(vec_ctx_t *ctx, FILE *f) HS_MUST_CHECK;
int vec_write_cells(vec_ctx_t *ctx, FILE *f) HS_MUST_CHECK;
int vec_write_handshake(vec_ctx_t *ctx, FILE *f) HS_MUST_CHECK;
int vec_write_authenticate(vec_ctx_t *ctx, FILE *f) HS_MUST_CHECK;
int vec_write_negative(vec_ctx_t *ctx, FILE *f) HS_MUST_CHECK;
int vec_write_tor_observed(vec_ctx_t *ctx, FILE *f) HS_MUST_CHECK;

typedef struct vec_family {
    const char *file; /* "cells.json" */
    const char *name; /* "cells" */
    int (*write)(vec_ctx_t *ctx, FILE *f);
} vec_family_t;

/* Every family, in a fixed order. */
const vec_family_t *vec_families(size_t *n);

#endif
