/* out_vcheck_certs.c — checks certs.json: the identities' key digests; every certificate parsed
 * by the engine and compared field by field; every signature verified with the key the vector
 * names; and the derivation rules tying each certificate to its identity (which key it
 * certifies, which key signs it, what the type-5 cert hashes). */
#include "out_vcheck.h"

#include "crypto_certsign.h"
#include "crypto_digest.h"
#include "crypto_x509.h"
#include "wire_crosscert.h"
#include "wire_edcert.h"

#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>

#define CERT_CAP (64u * 1024u)

typedef struct cc {
    vc_t *c;
    const jdoc_t *d;
    const jv_t *idents; /* inputs.identities */
    int64_t now;
} cc_t;

/* A hex member of an identity in inputs.identities, appended to out; false if absent. */
static bool ident_hex(const cc_t *x, const char *ident, const char *key, bld_t *out)
{
    return jv_hex(jv_get(x->d, jv_get(x->d, x->idents, ident), key), out);
}

/* The rule "this value is the identity's <key>". */
static void rule_same(const cc_t *x, const char *ident, const char *key, const char *path, span_t got)
{
    bld_t want;
    bld_init(&want, CERT_CAP);
    if (!ident_hex(x, ident, key, &want))
        vc_diff(x->c, path, "identity \"%s\" has no %s in inputs.identities", ident, key);
    else
        vc_same(x->c, path, bld_span(&want), got);
    bld_free(&want);
}

static void check_identity(cc_t *x, const jv_t *ident)
{
    vc_t *c = x->c;
    char id[96];
    snprintf(id, sizeof id, "identity-%s", ident->key);
    vc_begin(c, "certs.json", id);
    bld_t der;
    bld_init(&der, CERT_CAP);
    if (vc_hex(c, x->d, ident, "rsa_identity_pkcs1", &der)) {
        uint8_t sha1[HS_SHA1_LEN], sha256[HS_SHA256_LEN];
        if (crypto_sha1(bld_span(&der), sha1) != 0 || crypto_sha256(bld_span(&der), sha256) != 0) {
            vc_fault(c, "SHA");
        } else {
            vc_cmp_hex(c, x->d, ident, "rsa_identity_sha1", "rsa_identity_sha1", span_of(sha1, sizeof sha1));
            vc_cmp_hex(c, x->d, ident, "rsa_identity_sha256", "rsa_identity_sha256",
                       span_of(sha256, sizeof sha256));
        }
    }
    static const char *const rsa[] = { "rsa_identity_pkcs1", "rsa_link_pkcs1", "rsa_auth_pkcs1" };
    for (size_t i = 0; i < HS_ARRAY_LEN(rsa); i++) {
        bld_reset(&der);
        gnutls_pubkey_t pub;
        if (!vc_hex(c, x->d, ident, rsa[i], &der))
            continue;
        if (vc_rsa_pub_from_pkcs1(bld_span(&der), &pub) != 0)
            vc_diff(c, rsa[i], "not a DER RSAPublicKey");
        else
            gnutls_pubkey_deinit(pub);
    }
    static const char *const ed[] = { "ed25519_identity", "ed25519_signing", "ed25519_link_auth" };
    for (size_t i = 0; i < HS_ARRAY_LEN(ed); i++) {
        bld_reset(&der);
        if (vc_hex(c, x->d, ident, ed[i], &der) && der.len != 32)
            vc_diff(c, ed[i], "expected 32 bytes, got %zu", der.len);
    }
    bld_free(&der);
    vc_end(c);
}

/* ---- X.509 ------------------------------------------------------------------------------------ */

static void dn_cn(gnutls_x509_crt_t crt, bool issuer, char *out, size_t cap)
{
    size_t n = cap;
    int rc = issuer ? gnutls_x509_crt_get_issuer_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, out, &n)
                    : gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, out, &n);
    if (rc < 0)
        snprintf(out, cap, "(none)");
}

static void check_x509(cc_t *x, const jv_t *v, const char *ident, int64_t type)
{
    vc_t *c = x->c;
    const jdoc_t *d = x->d;
    const jv_t *f = jv_get(d, v, "fields");
    bld_t der, key, ikey;
    bld_init(&der, CERT_CAP);
    bld_init(&key, 4096);
    bld_init(&ikey, 4096);
    if (!vc_hex(c, d, v, "der", &der) || !f) {
        if (!f)
            vc_diff(c, "fields", "missing");
        goto out;
    }
    uint8_t h[HS_SHA256_LEN];
    if (crypto_sha256(bld_span(&der), h) != 0) {
        vc_fault(c, "SHA-256");
        goto out;
    }
    vc_cmp_hex(c, d, v, "sha256", "sha256", span_of(h, sizeof h));
    x509_cert_t cert;
    char why[160];
    int dec = x509_decode(bld_span(&der), &cert, why, sizeof why);
    if (dec != 0) {
        if (dec < 0)
            vc_fault(c, "X.509 decoding");
        else
            vc_diff(c, "der", "not a DER certificate: %s", why);
        goto out;
    }
    vc_cmp_int(c, d, f, "version", "fields.version", gnutls_x509_crt_get_version(cert.crt));
    uint8_t serial[64];
    size_t serial_len = sizeof serial;
    if (gnutls_x509_crt_get_serial(cert.crt, serial, &serial_len) < 0)
        serial_len = 0;
    vc_cmp_hex(c, d, f, "serial", "fields.serial", span_of(serial, serial_len));
    int alg = gnutls_x509_crt_get_signature_algorithm(cert.crt);
    vc_cmp_str(c, d, f, "signature_algorithm", "fields.signature_algorithm",
               alg == GNUTLS_SIGN_RSA_SHA256 ? "sha256WithRSAEncryption" : "(another algorithm)");
    char cn[256];
    dn_cn(cert.crt, true, cn, sizeof cn);
    vc_cmp_str(c, d, f, "issuer_cn", "fields.issuer_cn", cn);
    dn_cn(cert.crt, false, cn, sizeof cn);
    vc_cmp_str(c, d, f, "subject_cn", "fields.subject_cn", cn);
    vc_cmp_int(c, d, f, "not_before", "fields.not_before", x509_not_before(&cert));
    vc_cmp_int(c, d, f, "not_after", "fields.not_after", x509_not_after(&cert));
    gnutls_pubkey_t pub = NULL;
    gnutls_pk_algorithm_t pk;
    unsigned bits = 0;
    x509_shape_t shape;
    /* The DER decoded, so a key GnuTLS cannot use is in the bytes (e.g. a malformed
     * RSAPublicKey inside the BIT STRING): the vector's fault, not the engine's. */
    if (x509_pubkey(&cert, &pub) != 0 || rsa_pubkey_der_pkcs1(pub, &key) != 0 ||
        x509_key_info(&cert, &pk, &bits) != 0 || x509_describe(&cert, &shape) != 0) {
        vc_diff(c, "der", "the certificate's public key is not a usable RSA key");
    } else {
        vc_cmp_hex(c, d, f, "subject_key_pkcs1", "fields.subject_key_pkcs1", bld_span(&key));
        vc_cmp_int(c, d, f, "subject_key_bits", "fields.subject_key_bits", bits);
        vc_cmp_int(c, d, f, "extensions", "fields.extensions", shape.n_extensions);
        static const char *const subj[] = { NULL, "rsa_link_pkcs1", "rsa_identity_pkcs1", "rsa_auth_pkcs1" };
        if (type >= 1 && type <= 3)
            rule_same(x, ident, subj[type], "rule: the certified key is the identity's key", bld_span(&key));
    }
    if (pub)
        gnutls_pubkey_deinit(pub);
    /* The signature, with the key the vector says issued it. */
    gnutls_pubkey_t issuer;
    if (vc_hex(c, d, v, "issuer_key_pkcs1", &ikey)) {
        rule_same(x, ident, "rsa_identity_pkcs1", "rule: issued by the identity's RSA key", bld_span(&ikey));
        if (vc_rsa_pub_from_pkcs1(bld_span(&ikey), &issuer) != 0) {
            vc_diff(c, "issuer_key_pkcs1", "not a DER RSAPublicKey");
        } else {
            gnutls_datum_t tbs = { (unsigned char *)cert.tbs.p, (unsigned)cert.tbs.len };
            gnutls_datum_t sig = { (unsigned char *)cert.sig.p, (unsigned)cert.sig.len };
            if (gnutls_pubkey_verify_data2(issuer, GNUTLS_SIGN_RSA_SHA256, 0, &tbs, &sig) < 0)
                vc_diff(c, "signature", "does not verify with issuer_key_pkcs1");
            gnutls_pubkey_deinit(issuer);
        }
    }
    x509_free(&cert);
out:
    bld_free(&der);
    bld_free(&key);
    bld_free(&ikey);
}

/* ---- Ed25519 ------------------------------------------------------------------------------------ */

static void check_ed(cc_t *x, const jv_t *v, const char *ident, int64_t type)
{
    vc_t *c = x->c;
    const jdoc_t *d = x->d;
    const jv_t *f = jv_get(d, v, "fields");
    bld_t b, key;
    bld_init(&b, CERT_CAP);
    bld_init(&key, 64);
    if (!vc_hex(c, d, v, "hex", &b) || !f) {
        if (!f)
            vc_diff(c, "fields", "missing");
        goto out;
    }
    edcert_t e;
    wire_status_t st = edcert_parse(bld_span(&b), &e);
    if (st != WIRE_OK) {
        vc_diff(c, "hex", "does not parse as an Ed25519 certificate: %s", wire_status_str(st));
        goto out;
    }
    if (e.unknown_critical_ext || e.duplicate_signing_key_ext)
        vc_diff(c, "hex", "carries %s", e.unknown_critical_ext ? "an unknown AFFECTS_VALIDATION extension"
                                                               : "two signed-with-key extensions");
    vc_cmp_int(c, d, f, "version", "fields.version", e.version);
    vc_cmp_int(c, d, f, "cert_type", "fields.cert_type", e.cert_type);
    if (e.cert_type != type)
        vc_diff(c, "cert_type", "the vector says %lld, the cert's CERT_TYPE is %u", (long long)type, e.cert_type);
    vc_cmp_int(c, d, f, "expiration_hours", "fields.expiration_hours", e.exp_hours);
    vc_cmp_int(c, d, f, "key_type", "fields.key_type", e.key_type);
    vc_cmp_hex(c, d, f, "certified_key", "fields.certified_key", span_of(e.certified_key, 32));
    const jv_t *exts = jv_get(d, f, "extensions");
    if (!exts || exts->kind != JV_ARR || exts->n != e.n_ext) {
        vc_diff(c, "fields.extensions", "expected %u, got %u extensions", exts ? exts->n : 0u, e.n_ext);
    } else {
        size_t i = 0;
        for (const jv_t *x1 = jv_at(d, exts, 0); x1; x1 = jv_next(d, x1), i++) {
            char p[64];
            snprintf(p, sizeof p, "fields.extensions[%zu].type", i);
            vc_cmp_int(c, d, x1, "type", p, e.ext[i].type);
            snprintf(p, sizeof p, "fields.extensions[%zu].flags", i);
            vc_cmp_int(c, d, x1, "flags", p, e.ext[i].flags);
            snprintf(p, sizeof p, "fields.extensions[%zu].data", i);
            vc_cmp_hex(c, d, x1, "data", p, e.ext[i].data);
        }
    }
    vc_cmp_hex(c, d, f, "signature", "fields.signature", span_of(e.signature, sizeof e.signature));
    vc_cmp_int(c, d, v, "signed_len", "signed_len", (int64_t)e.signed_part.len);
    vc_cmp_bool(c, d, v, "expired_at_now", "expired_at_now", edcert_expired(&e, x->now));
    if (vc_hex(c, d, v, "signing_key", &key)) {
        if (key.len != 32) {
            vc_diff(c, "signing_key", "expected 32 bytes, got %zu", key.len);
        } else {
            int ok = certsign_edcert_check(&e, key.buf);
            if (ok < 0)
                vc_fault(c, "Ed25519 verification");
            else if (!ok)
                vc_diff(c, "signature", "does not verify with signing_key");
            if (e.has_signing_key_ext)
                vc_same(c, "rule: the signed-with-key extension names the signing key", bld_span(&key),
                        span_of(e.signing_key, 32));
            rule_same(x, ident, type == 4 ? "ed25519_identity" : "ed25519_signing",
                      "rule: the signing key", bld_span(&key));
        }
    }
    if (type == 4)
        rule_same(x, ident, "ed25519_signing", "rule: type 4 certifies the signing key", span_of(e.certified_key, 32));
    else if (type == 6)
        rule_same(x, ident, "ed25519_link_auth", "rule: type 6 certifies the link-auth key",
                  span_of(e.certified_key, 32));
    else if (type == 5) {
        /* Type 5 certifies SHA-256 of the identity's TLS link certificate. */
        char ref[96];
        snprintf(ref, sizeof ref, "x509-link-%s", ident);
        const jv_t *link = vc_find(d, ref);
        bld_t lder;
        bld_init(&lder, CERT_CAP);
        uint8_t h[HS_SHA256_LEN];
        if (!link || !jv_hex(jv_get(d, link, "der"), &lder))
            vc_diff(c, "rule: type 5 certifies SHA-256 of the TLS link cert", "no vector %s", ref);
        else if (crypto_sha256(bld_span(&lder), h) != 0)
            vc_fault(c, "SHA-256");
        else
            vc_same(c, "rule: type 5 certifies SHA-256 of the TLS link cert", span_of(h, sizeof h),
                    span_of(e.certified_key, 32));
        if (e.key_type != EDCERT_KEY_SHA256_X509)
            vc_diff(c, "rule: type 5 key type", "expected 3 (SHA-256 of an X.509 cert), got %u", e.key_type);
        bld_free(&lder);
    }
out:
    bld_free(&b);
    bld_free(&key);
}

/* ---- cross-certificate ---------------------------------------------------------------------------- */

static void check_cross(cc_t *x, const jv_t *v, const char *ident)
{
    vc_t *c = x->c;
    const jdoc_t *d = x->d;
    const jv_t *f = jv_get(d, v, "fields");
    bld_t b, key;
    bld_init(&b, CERT_CAP);
    bld_init(&key, 4096);
    crosscert_t cc;
    wire_status_t st;
    if (!vc_hex(c, d, v, "hex", &b) || !f) {
        if (!f)
            vc_diff(c, "fields", "missing");
        goto out;
    }
    if ((st = crosscert_parse(bld_span(&b), &cc)) != WIRE_OK) {
        vc_diff(c, "hex", "does not parse as a cross-certificate: %s", wire_status_str(st));
        goto out;
    }
    vc_cmp_hex(c, d, f, "ed25519_key", "fields.ed25519_key", span_of(cc.ed_key, 32));
    vc_cmp_int(c, d, f, "expiration_hours", "fields.expiration_hours", cc.exp_hours);
    vc_cmp_hex(c, d, f, "signature", "fields.signature", cc.sig);
    vc_cmp_bool(c, d, v, "expired_at_now", "expired_at_now", crosscert_expired(&cc, x->now));
    uint8_t dg[HS_SHA256_LEN];
    if (certsign_crosscert_digest(cc.ed_key, cc.exp_hours, dg) != 0)
        vc_fault(c, "SHA-256");
    else
        vc_cmp_hex(c, d, v, "signed_digest", "signed_digest", span_of(dg, sizeof dg));
    rule_same(x, ident, "ed25519_identity", "rule: certifies the Ed25519 identity", span_of(cc.ed_key, 32));
    gnutls_pubkey_t pub;
    if (vc_hex(c, d, v, "signing_key_pkcs1", &key)) {
        rule_same(x, ident, "rsa_identity_pkcs1", "rule: signed by the RSA identity key", bld_span(&key));
        if (vc_rsa_pub_from_pkcs1(bld_span(&key), &pub) != 0) {
            vc_diff(c, "signing_key_pkcs1", "not a DER RSAPublicKey");
        } else {
            crosscert_sig_t res;
            if (certsign_crosscert_check(&cc, pub, &res) != 0)
                vc_fault(c, "RSA verification");
            else if (res != CROSSCERT_SIG_OK)
                vc_diff(c, "signature", "%s", res == CROSSCERT_SIG_DIGESTINFO
                                                  ? "a standard DigestInfo signature, not the raw digest"
                                                  : "does not verify with signing_key_pkcs1");
            gnutls_pubkey_deinit(pub);
        }
    }
out:
    bld_free(&b);
    bld_free(&key);
}

void vc_check_certs(vc_t *c, const vc_doc_t *doc)
{
    const jdoc_t *d = &doc->doc;
    const jv_t *root = jdoc_root(d);
    cc_t x = { c, d, jv_get(d, jv_get(d, root, "inputs"), "identities"), 0 };
    if (!jv_int(jv_get(d, root, "now"), &x.now))
        return; /* the header check reported it */
    if (!x.idents || x.idents->kind != JV_OBJ) {
        vc_begin(c, doc->file, "(inputs)");
        vc_diff(c, "inputs.identities", "missing or not an object");
        vc_end(c);
    } else {
        for (const jv_t *i = jv_at(d, x.idents, 0); i; i = jv_next(d, i))
            check_identity(&x, i);
    }
    const jv_t *vs = jv_get(d, root, "vectors");
    for (const jv_t *v = jv_at(d, vs, 0); v; v = jv_next(d, v)) {
        vc_begin(c, doc->file, jv_str(jv_get(d, v, "id")));
        const char *kind = vc_str(c, d, v, "kind");
        const char *ident = vc_str(c, d, v, "identity");
        int64_t type = 0;
        if (kind && ident && vc_int(c, d, v, "cert_type", &type)) {
            if (!strcmp(kind, "x509"))
                check_x509(&x, v, ident, type);
            else if (!strcmp(kind, "ed25519"))
                check_ed(&x, v, ident, type);
            else if (!strcmp(kind, "crosscert"))
                check_cross(&x, v, ident);
            else
                vc_diff(c, "kind", "unknown kind \"%s\"", kind);
        }
        vc_end(c);
    }
}
