/* out_vec_certs.c — certs.json: the identities' public keys, their X.509 link/ID/auth
 * certificates (CERTS types 1–3), the Ed25519 certificates of types 4, 5 and 6 with and
 * without extensions and with the AFFECTS_VALIDATION flag set and unset, and the RSA→Ed25519
 * cross-certificate (type 7).
 *
 * Fields are written from what the certificate was built *from* (the inputs), never by parsing
 * the result: a checker that parses the bytes and compares then tests the codec, instead of
 * comparing the codec with itself.  Only outputs — signatures, X.509 serials drawn inside the
 * builder — are read back from the bytes. */
#include "out_vec.h"

#include "crypto_certsign.h"
#include "crypto_digest.h"
#include "wire_certs.h"
#include "wire_edcert.h"

#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>

static void ident_inputs(json_out_t *j, const vec_ident_t *v)
{
    char dir[64];
    snprintf(dir, sizeof dir, "identities/%s", v->name);
    json_obj_begin(j, v->name);
    json_str(j, "dir", dir);
    json_hex(j, "rsa_identity_sha1", v->rsa_id_sha1, 20);
    json_hex(j, "rsa_identity_sha256", v->rsa_id_sha256, 32);
    vec_hex_bld(j, "rsa_identity_pkcs1", &v->rsa_id_der);
    vec_hex_bld(j, "rsa_link_pkcs1", &v->rsa_link_der);
    vec_hex_bld(j, "rsa_auth_pkcs1", &v->rsa_auth_der);
    json_hex(j, "ed25519_identity", v->id.ed_id.pub, 32);
    json_hex(j, "ed25519_signing", v->id.ed_signing.pub, 32);
    json_hex(j, "ed25519_link_auth", v->id.ed_link_auth.pub, 32);
    json_str(j, "id_cn", v->id.id_cn);
    json_str(j, "link_cn", v->id.link_cn);
    json_str(j, "auth_cn", v->id.auth_cn);
    json_obj_end(j);
}

/* ---- X.509 (types 1, 2, 3) ------------------------------------------------------------- */

static int x509_vector(vec_ctx_t *ctx, json_out_t *j, const vec_ident_t *v, int type)
{
    static const char *const role[] = { NULL, "link", "id", "auth" };
    static const char *const what[] = {
        NULL,
        "the TLS link certificate: the RSA link key, issued by the RSA identity key under the "
        "ID cert's name",
        "the self-signed RSA-1024 identity certificate",
        "the RSA-1024 AUTHENTICATE (type 1) key, issued by the RSA identity key",
    };
    const bld_t *subject_key = type == 1 ? &v->rsa_link_der : type == 2 ? &v->rsa_id_der : &v->rsa_auth_der;
    gnutls_privkey_t key = type == 1 ? v->id.rsa_link : type == 2 ? v->id.rsa_id : v->id.rsa_auth;
    const char *subject = type == 1 ? v->id.link_cn : type == 2 ? v->id.id_cn : v->id.auth_cn;
    const bld_t *der = &v->cert[type];

    /* The serial is drawn inside the builder: read it back from the certificate. */
    gnutls_x509_crt_t crt;
    gnutls_datum_t d = { der->buf, (unsigned)der->len };
    uint8_t serial[64];
    size_t serial_len = sizeof serial;
    int ok = gnutls_x509_crt_init(&crt) == 0;
    if (ok) {
        ok = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0 &&
             gnutls_x509_crt_get_serial(crt, serial, &serial_len) == 0;
        gnutls_x509_crt_deinit(crt);
    }
    gnutls_pubkey_t pub;
    unsigned bits = 0;
    if (ok && rsa_pubkey_from_privkey(key, &pub) == 0) {
        ok = rsa_pubkey_bits(pub, &bits) == 0;
        gnutls_pubkey_deinit(pub);
    } else {
        ok = 0;
    }
    if (!ok) {
        snprintf(ctx->err, sizeof ctx->err, "cannot read back the %s certificate of %s", role[type], v->name);
        return -1;
    }
    char id[64], label[96];
    snprintf(id, sizeof id, "x509-%s-%s", role[type], v->name);
    snprintf(label, sizeof label, "vectors/x509/%s/%s", v->name, role[type]);
    json_obj_begin(j, NULL);
    json_str(j, "id", id);
    json_str(j, "kind", "x509");
    json_int(j, "cert_type", type);
    json_str(j, "identity", v->name);
    json_str(j, "desc", what[type]);
    json_str(j, "drbg_label", label);
    json_obj_begin(j, "fields");
    json_int(j, "version", 3);
    json_hex(j, "serial", serial, serial_len);
    json_str(j, "signature_algorithm", "sha256WithRSAEncryption");
    json_str(j, "issuer_cn", v->id.id_cn);
    json_str(j, "subject_cn", subject);
    json_int(j, "not_before", VEC_X509_NOT_BEFORE);
    json_int(j, "not_after", VEC_X509_NOT_AFTER);
    vec_hex_bld(j, "subject_key_pkcs1", subject_key);
    json_int(j, "subject_key_bits", bits);
    json_int(j, "extensions", 0);
    json_obj_end(j);
    vec_hex_bld(j, "issuer_key_pkcs1", &v->rsa_id_der);
    if (vec_sha256_member(j, "sha256", bld_span(der)) != 0)
        return -1;
    vec_hex_bld(j, "der", der);
    json_obj_end(j);
    return 0;
}

/* ---- Ed25519 (types 4, 5, 6) ----------------------------------------------------------- */

typedef struct ed_def {
    const char *id;
    const char *desc;
    const vec_ident_t *v;
    edcert_fields_t f;
    edcert_ext_t ext[3];
    const ed25519_key_t *signer;
    const bld_t *standard; /* the identity's own cert this one must equal, or NULL */
} ed_def_t;

static int ed_vector(vec_ctx_t *ctx, json_out_t *j, ed_def_t *e)
{
    e->f.ext = e->f.n_ext ? e->ext : NULL;
    bld_t b;
    bld_init(&b, VEC_CERT_CAP);
    int rc = certsign_edcert(&b, &e->f, e->signer);
    if (rc == 0 && (!bld_ok(&b) || b.len < EDCERT_SIG_LEN))
        rc = -1;
    if (rc == 0 && e->standard && (e->standard->len != b.len || memcmp(e->standard->buf, b.buf, b.len))) {
        /* The CERTS cells carry the identity's certs; the vectors that describe them must be
         * the same bytes, or the references between the files would lie. */
        snprintf(ctx->err, sizeof ctx->err, "%s: differs from the identity's own certificate", e->id);
        bld_free(&b);
        return -1;
    }
    if (rc != 0) {
        snprintf(ctx->err, sizeof ctx->err, "%s: cannot build", e->id);
        bld_free(&b);
        return -1;
    }
    json_obj_begin(j, NULL);
    json_str(j, "id", e->id);
    json_str(j, "kind", "ed25519");
    json_int(j, "cert_type", e->f.cert_type);
    json_str(j, "identity", e->v->name);
    json_str(j, "desc", e->desc);
    json_obj_begin(j, "fields");
    json_int(j, "version", e->f.version);
    json_int(j, "cert_type", e->f.cert_type);
    json_int(j, "expiration_hours", e->f.exp_hours);
    json_int(j, "key_type", e->f.key_type);
    json_hex(j, "certified_key", e->f.certified_key, 32);
    json_arr_begin(j, "extensions");
    for (size_t i = 0; i < e->f.n_ext; i++) {
        json_obj_begin(j, NULL);
        json_int(j, "type", e->ext[i].type);
        json_int(j, "flags", e->ext[i].flags);
        vec_hex_span(j, "data", e->ext[i].data);
        json_obj_end(j);
    }
    json_arr_end(j);
    json_hex(j, "signature", b.buf + b.len - EDCERT_SIG_LEN, EDCERT_SIG_LEN);
    json_obj_end(j);
    json_int(j, "signed_len", (int64_t)(b.len - EDCERT_SIG_LEN));
    json_hex(j, "signing_key", e->signer->pub, 32);
    json_bool(j, "expired_at_now", (int64_t)e->f.exp_hours * 3600 < ctx->now);
    vec_hex_bld(j, "hex", &b);
    json_obj_end(j);
    bld_free(&b);
    return 0;
}

static void ed_base(ed_def_t *e, const vec_ident_t *v, uint8_t type, uint32_t exp, uint8_t key_type,
                    const uint8_t key[32], const ed25519_key_t *signer)
{
    memset(e, 0, sizeof *e);
    e->v = v;
    e->f.version = EDCERT_VERSION;
    e->f.cert_type = type;
    e->f.exp_hours = exp;
    e->f.key_type = key_type;
    memcpy(e->f.certified_key, key, 32);
    e->signer = signer;
}

/* An extension nobody defines (cert-spec reserves none): ignored unless it is flagged. */
static const uint8_t unknown_ext_data[5] = { 'h', 's', 'p', 'r', 'b' };
#define UNKNOWN_EXT_TYPE 0x2a

static int ed_vectors(vec_ctx_t *ctx, json_out_t *j, const vec_ident_t *v, bool variants)
{
    const uint32_t exp4 = vec_exp_hours(ctx, VEC_LIFE_SIGNING), exp56 = vec_exp_hours(ctx, VEC_LIFE_LINK);
    uint8_t tls_sha[HS_SHA256_LEN];
    if (crypto_sha256(bld_span(&v->cert[1]), tls_sha) != 0)
        return -1;
    const relay_identity_t *id = &v->id;
    char ids[8][64];
    ed_def_t e;
    int rc = 0;

    ed_base(&e, v, 4, exp4, EDCERT_KEY_ED25519, id->ed_signing.pub, &id->ed_id);
    snprintf(ids[0], sizeof ids[0], "ed-type4-%s", v->name);
    e.id = ids[0];
    e.desc = "type 4 as tor sends it: the signing key, certified by the identity key, which it "
             "names in a signed-with-key extension (flags 0)";
    e.ext[0] = edcert_ext_signed_with_key(id->ed_id.pub);
    e.f.n_ext = 1;
    e.standard = &v->cert[4];
    rc = rc ? rc : ed_vector(ctx, j, &e);

    ed_base(&e, v, 5, exp56, EDCERT_KEY_SHA256_X509, tls_sha, &id->ed_signing);
    snprintf(ids[1], sizeof ids[1], "ed-type5-%s", v->name);
    e.id = ids[1];
    e.desc = "type 5 as tor sends it: SHA-256 of the TLS link certificate (x509-link), key type "
             "03, no extensions, signed by the signing key";
    e.standard = &v->cert[5];
    rc = rc ? rc : ed_vector(ctx, j, &e);

    ed_base(&e, v, 6, exp56, EDCERT_KEY_ED25519, id->ed_link_auth.pub, &id->ed_signing);
    snprintf(ids[2], sizeof ids[2], "ed-type6-%s", v->name);
    e.id = ids[2];
    e.desc = "type 6 as tor sends it: the link-authentication key, no extensions, signed by the "
             "signing key";
    e.standard = &v->cert[6];
    rc = rc ? rc : ed_vector(ctx, j, &e);
    if (!variants || rc)
        return rc;

    ed_base(&e, v, 4, exp4, EDCERT_KEY_ED25519, id->ed_signing.pub, &id->ed_id);
    snprintf(ids[3], sizeof ids[3], "ed-type4-flagged-%s", v->name);
    e.id = ids[3];
    e.desc = "type 4 whose signed-with-key extension has AFFECTS_VALIDATION set: a known "
             "extension, so the flag changes nothing and the cert is valid";
    e.ext[0] = edcert_ext_signed_with_key(id->ed_id.pub);
    e.ext[0].flags = EDCERT_EXT_FLAG_AFFECTS_VALIDATION;
    e.f.n_ext = 1;
    rc = rc ? rc : ed_vector(ctx, j, &e);

    ed_base(&e, v, 4, exp4, EDCERT_KEY_ED25519, id->ed_signing.pub, &id->ed_id);
    snprintf(ids[4], sizeof ids[4], "ed-type4-unknown-ext-%s", v->name);
    e.id = ids[4];
    e.desc = "type 4 with a second, unknown extension (type 0x2a, flags 0, 5 bytes) after the "
             "signed-with-key one: not flagged, so it is ignored and the cert is valid";
    e.ext[0] = edcert_ext_signed_with_key(id->ed_id.pub);
    e.ext[1] = (edcert_ext_t){ UNKNOWN_EXT_TYPE, 0, span_of(unknown_ext_data, sizeof unknown_ext_data) };
    e.f.n_ext = 2;
    rc = rc ? rc : ed_vector(ctx, j, &e);

    ed_base(&e, v, 5, exp56, EDCERT_KEY_SHA256_X509, tls_sha, &id->ed_signing);
    snprintf(ids[5], sizeof ids[5], "ed-type5-ext-%s", v->name);
    e.id = ids[5];
    e.desc = "type 5 that also names its signer (the signing key) in a signed-with-key "
             "extension, flags 0: optional for types 5 and 6, valid";
    e.ext[0] = edcert_ext_signed_with_key(id->ed_signing.pub);
    e.f.n_ext = 1;
    rc = rc ? rc : ed_vector(ctx, j, &e);

    ed_base(&e, v, 6, exp56, EDCERT_KEY_ED25519, id->ed_link_auth.pub, &id->ed_signing);
    snprintf(ids[6], sizeof ids[6], "ed-type6-ext-flagged-%s", v->name);
    e.id = ids[6];
    e.desc = "type 6 with a signed-with-key extension (the signing key) flagged "
             "AFFECTS_VALIDATION: valid";
    e.ext[0] = edcert_ext_signed_with_key(id->ed_signing.pub);
    e.ext[0].flags = EDCERT_EXT_FLAG_AFFECTS_VALIDATION;
    e.f.n_ext = 1;
    rc = rc ? rc : ed_vector(ctx, j, &e);
    return rc;
}

/* ---- RSA→Ed25519 cross-certificate (type 7) --------------------------------------------- */

static int cross_vector(vec_ctx_t *ctx, json_out_t *j, const vec_ident_t *v)
{
    const bld_t *c = &v->cert[7];
    const uint32_t exp = vec_exp_hours(ctx, VEC_LIFE_CROSS);
    uint8_t digest[HS_SHA256_LEN];
    if (certsign_crosscert_digest(v->id.ed_id.pub, exp, digest) != 0 || c->len < 37)
        return -1;
    char id[64];
    snprintf(id, sizeof id, "crosscert-%s", v->name);
    json_obj_begin(j, NULL);
    json_str(j, "id", id);
    json_str(j, "kind", "crosscert");
    json_int(j, "cert_type", 7);
    json_str(j, "identity", v->name);
    json_str(j, "desc", "the RSA identity key certifies the Ed25519 identity key: raw PKCS#1 "
                        "v1.5 type-1 signature of SHA-256(\"Tor TLS RSA/Ed25519 "
                        "cross-certificate\" || bytes 0-35), no DigestInfo");
    json_obj_begin(j, "fields");
    json_hex(j, "ed25519_key", v->id.ed_id.pub, 32);
    json_int(j, "expiration_hours", exp);
    json_hex(j, "signature", c->buf + 37, c->len - 37);
    json_obj_end(j);
    json_hex(j, "signed_digest", digest, sizeof digest);
    vec_hex_bld(j, "signing_key_pkcs1", &v->rsa_id_der);
    json_bool(j, "expired_at_now", (int64_t)exp * 3600 < ctx->now);
    vec_hex_bld(j, "hex", c);
    json_obj_end(j);
    return 0;
}

int vec_write_certs(vec_ctx_t *ctx, FILE *f)
{
    json_out_t j;
    json_init_pretty(&j, f);
    vec_header(&j, ctx, "certs",
               "certificates of the two identities: X.509 types 1-3, Ed25519 types 4-6 (with and "
               "without extensions, flags set and unset), the RSA->Ed25519 cross-cert (type 7)");
    json_obj_begin(&j, "inputs");
    json_int(&j, "x509_not_before", VEC_X509_NOT_BEFORE);
    json_int(&j, "x509_not_after", VEC_X509_NOT_AFTER);
    json_obj_begin(&j, "expiration_hours");
    json_int(&j, "type4", vec_exp_hours(ctx, VEC_LIFE_SIGNING));
    json_int(&j, "type5", vec_exp_hours(ctx, VEC_LIFE_LINK));
    json_int(&j, "type6", vec_exp_hours(ctx, VEC_LIFE_LINK));
    json_int(&j, "crosscert", vec_exp_hours(ctx, VEC_LIFE_CROSS));
    json_obj_end(&j);
    json_obj_begin(&j, "identities");
    ident_inputs(&j, &ctx->a);
    ident_inputs(&j, &ctx->b);
    json_obj_end(&j);
    json_obj_end(&j);
    json_arr_begin(&j, "vectors");
    int rc = 0;
    const vec_ident_t *ids[] = { &ctx->a, &ctx->b };
    for (size_t i = 0; rc == 0 && i < HS_ARRAY_LEN(ids); i++)
        for (int t = 1; rc == 0 && t <= 3; t++)
            rc = x509_vector(ctx, &j, ids[i], t);
    for (size_t i = 0; rc == 0 && i < HS_ARRAY_LEN(ids); i++)
        rc = ed_vectors(ctx, &j, ids[i], i == 0);
    for (size_t i = 0; rc == 0 && i < HS_ARRAY_LEN(ids); i++)
        rc = cross_vector(ctx, &j, ids[i]);
    json_arr_end(&j);
    json_obj_end(&j);
    if (rc != 0 && !ctx->err[0])
        snprintf(ctx->err, sizeof ctx->err, "certs: cannot build a certificate");
    return rc;
}
