/* out_vec.c — see out_vec.h: the identities every family derives from, the seeded draws and
 * the shared JSON pieces. */
#include "out_vec.h"

#include "crypto_digest.h"
#include "crypto_identity_store.h"
#include "hs_rand.h"

#include <stdio.h>
#include <string.h>

static void ident_free(vec_ident_t *v)
{
    identity_free(&v->id);
    bld_free(&v->rsa_id_der);
    bld_free(&v->rsa_link_der);
    bld_free(&v->rsa_auth_der);
    for (size_t t = 0; t < HS_ARRAY_LEN(v->cert); t++)
        bld_free(&v->cert[t]);
}

static int pkcs1_of(gnutls_privkey_t key, bld_t *out)
{
    gnutls_pubkey_t pub;
    if (rsa_pubkey_from_privkey(key, &pub) != 0)
        return -1;
    int rc = rsa_pubkey_der_pkcs1(pub, out);
    gnutls_pubkey_deinit(pub);
    return rc == 0 && bld_ok(out) ? 0 : -1;
}

/* The X.509 certs draw their serial numbers from the DRBG: seeded per certificate, so each
 * serial depends only on (seed, identity, role). */
static void seed_x509(const vec_ctx_t *ctx, const char *ident, const char *role)
{
    char label[200];
    snprintf(label, sizeof label, "vectors/x509/%s/%s", ident, role);
    hs_rand_seed(ctx->seed, label);
}

static int ident_init(vec_ctx_t *ctx, vec_ident_t *v, const char *dir, const char *name)
{
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", name);
    bld_init(&v->rsa_id_der, 1024);
    bld_init(&v->rsa_link_der, 1024);
    bld_init(&v->rsa_auth_der, 1024);
    for (size_t t = 0; t < HS_ARRAY_LEN(v->cert); t++)
        bld_init(&v->cert[t], VEC_CERT_CAP);
    char path[512], err[300];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        snprintf(ctx->err, sizeof ctx->err, "identities path too long");
        return -1;
    }
    if (identity_load(&v->id, path, err, sizeof err) != 0) {
        snprintf(ctx->err, sizeof ctx->err, "identity %.120s: %.160s", path, err);
        return -1;
    }
    gnutls_pubkey_t pub;
    if (pkcs1_of(v->id.rsa_id, &v->rsa_id_der) != 0 || pkcs1_of(v->id.rsa_link, &v->rsa_link_der) != 0 ||
        pkcs1_of(v->id.rsa_auth, &v->rsa_auth_der) != 0 || rsa_pubkey_from_privkey(v->id.rsa_id, &pub) != 0) {
        snprintf(ctx->err, sizeof ctx->err, "identity %s: cannot export its RSA public keys", name);
        return -1;
    }
    int rc = rsa_pubkey_digests(pub, v->rsa_id_sha1, v->rsa_id_sha256);
    gnutls_pubkey_deinit(pub);
    const int64_t nb = VEC_X509_NOT_BEFORE, na = VEC_X509_NOT_AFTER;
    if (rc == 0) {
        seed_x509(ctx, name, "link");
        rc = identity_build_link_cert(&v->id, nb, na, &v->cert[1]);
    }
    if (rc == 0) {
        seed_x509(ctx, name, "id");
        rc = identity_build_id_cert(&v->id, nb, na, &v->cert[2]);
    }
    if (rc == 0) {
        seed_x509(ctx, name, "auth");
        rc = identity_build_auth_cert(&v->id, nb, na, &v->cert[3]);
    }
    if (rc == 0)
        rc = identity_build_signing_cert(&v->id, vec_exp_hours(ctx, VEC_LIFE_SIGNING), &v->cert[4]);
    if (rc == 0)
        rc = identity_build_tls_link_cert(&v->id, bld_span(&v->cert[1]),
                                          vec_exp_hours(ctx, VEC_LIFE_LINK), &v->cert[5]);
    if (rc == 0)
        rc = identity_build_link_auth_cert(&v->id, vec_exp_hours(ctx, VEC_LIFE_LINK), &v->cert[6]);
    if (rc == 0)
        rc = identity_build_crosscert(&v->id, vec_exp_hours(ctx, VEC_LIFE_CROSS), &v->cert[7]);
    for (size_t t = 1; rc == 0 && t < HS_ARRAY_LEN(v->cert); t++)
        if (!bld_ok(&v->cert[t]))
            rc = -1;
    hs_rand_unseed();
    if (rc != 0)
        snprintf(ctx->err, sizeof ctx->err, "identity %s: cannot build its certificates", name);
    return rc;
}

int vec_ctx_init(vec_ctx_t *ctx, const char *identities_dir, uint64_t seed)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->seed = seed;
    ctx->now = VEC_NOW;
    if (ident_init(ctx, &ctx->a, identities_dir, VEC_INITIATOR) != 0 ||
        ident_init(ctx, &ctx->b, identities_dir, VEC_RESPONDER) != 0) {
        char keep[sizeof ctx->err];
        memcpy(keep, ctx->err, sizeof keep);
        vec_ctx_free(ctx);
        memcpy(ctx->err, keep, sizeof keep);
        return -1;
    }
    return 0;
}

void vec_ctx_free(vec_ctx_t *ctx)
{
    ident_free(&ctx->a);
    ident_free(&ctx->b);
    hs_rand_unseed();
}

const vec_ident_t *vec_ident(const vec_ctx_t *ctx, const char *name)
{
    if (!strcmp(name, ctx->a.name))
        return &ctx->a;
    if (!strcmp(name, ctx->b.name))
        return &ctx->b;
    return NULL;
}

int vec_draw(const vec_ctx_t *ctx, const char *label, uint8_t *out, size_t n)
{
    hs_rand_seed(ctx->seed, label);
    int rc = hs_rand_bytes(out, n);
    hs_rand_unseed();
    return rc;
}

uint32_t vec_exp_hours(const vec_ctx_t *ctx, int64_t lifetime_s)
{
    return identity_exp_hours(ctx->now, lifetime_s);
}

void vec_header(json_out_t *j, const vec_ctx_t *ctx, const char *family, const char *about)
{
    json_obj_begin(j, NULL);
    json_str(j, "format", VEC_FORMAT);
    json_str(j, "family", family);
    json_str(j, "about", about);
    json_str(j, "generator", "hsprobe vectors (vectors/README.md)");
    json_int(j, "seed", (int64_t)ctx->seed);
    json_int(j, "now", ctx->now);
}

void vec_hex_span(json_out_t *j, const char *key, span_t s) { json_hex(j, key, s.p, s.len); }
void vec_hex_bld(json_out_t *j, const char *key, const bld_t *b) { json_hex(j, key, b->buf, b->len); }

int vec_sha256_member(json_out_t *j, const char *key, span_t s)
{
    uint8_t h[HS_SHA256_LEN];
    if (crypto_sha256(s, h) != 0)
        return -1;
    json_hex(j, key, h, sizeof h);
    return 0;
}

const vec_family_t *vec_families(size_t *n)
{
    static const vec_family_t fams[] = {
        { "certs.json", "certs", vec_write_certs },
        { "cells.json", "cells", vec_write_cells },
        { "handshake.json", "handshake", vec_write_handshake },
        { "authenticate.json", "authenticate", vec_write_authenticate },
        { "negative.json", "negative", vec_write_negative },
        { "tor-observed.json", "tor-observed", vec_write_tor_observed },
    };
    *n = HS_ARRAY_LEN(fams);
    return fams;
}
