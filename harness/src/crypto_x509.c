/* crypto_x509.c — see crypto_x509.h. */
#include "crypto_x509.h"

#include "hs_rand.h"

#include <gnutls/gnutls.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DER_MAX_DEPTH 32 /* X.509 nests about 8 deep; deeper is hostile */

static void say(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || !why_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

/* ---- strict DER walk ---------------------------------------------------------------------- */

/* One TLV: low-tag-number form only, definite length in minimal form. */
static bool der_tlv(span_t *s, uint8_t *tag, span_t *content)
{
    span_t t = *s;
    uint8_t l0;
    size_t len = 0;
    if (!span_get_u8(&t, tag) || (*tag & 0x1f) == 0x1f || !span_get_u8(&t, &l0))
        return false;
    if (l0 < 0x80) {
        len = l0;
    } else {
        size_t nb = l0 & 0x7f;
        /* 0x80 is indefinite (BER only); more than 4 length bytes is beyond any cert. */
        if (nb == 0 || nb > 4)
            return false;
        for (size_t i = 0; i < nb; i++) {
            uint8_t c;
            if (!span_get_u8(&t, &c) || (i == 0 && c == 0))
                return false;
            len = len << 8 | c;
        }
        if (len < 0x80) /* the short form would have done */
            return false;
    }
    if (!span_get_sub(&t, len, content))
        return false;
    *s = t;
    return true;
}

static bool der_walk(span_t s, int depth, char *why, size_t why_len)
{
    if (depth > DER_MAX_DEPTH) {
        say(why, why_len, "DER nested deeper than %d", DER_MAX_DEPTH);
        return false;
    }
    while (!span_is_empty(&s)) {
        uint8_t tag, c0 = 0, c1 = 0;
        span_t c;
        if (!der_tlv(&s, &tag, &c)) {
            say(why, why_len, "not DER: bad tag or length (non-minimal, indefinite or past end)");
            return false;
        }
        bool has0 = span_peek_u8(&c, 0, &c0), has1 = span_peek_u8(&c, 1, &c1);
        if (tag & 0x20) {
            if (!der_walk(c, depth + 1, why, why_len))
                return false;
        } else if (tag == 0x02) {
            if (!has0 || (has1 && ((c0 == 0x00 && !(c1 & 0x80)) || (c0 == 0xff && (c1 & 0x80))))) {
                say(why, why_len, "not DER: INTEGER not minimally encoded");
                return false;
            }
        } else if (tag == 0x01) {
            if (c.len != 1 || (c0 != 0x00 && c0 != 0xff)) {
                say(why, why_len, "not DER: BOOLEAN not 00 or FF");
                return false;
            }
        } else if (tag == 0x03) {
            if (!has0 || c0 > 7 || (c.len == 1 && c0 != 0)) {
                say(why, why_len, "not DER: bad BIT STRING unused-bits byte");
                return false;
            }
        }
    }
    return true;
}

/* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }:
 * pulls out the signed TLV and the signature bits. */
static bool split_cert(span_t der, span_t *tbs, span_t *sig)
{
    uint8_t tag, t2, t3, unused;
    span_t outer, rest, alg, bits;
    if (!der_tlv(&der, &tag, &outer) || tag != 0x30 || !span_is_empty(&der))
        return false;
    rest = outer;
    span_t before = rest;
    if (!der_tlv(&rest, &tag, &alg) || tag != 0x30)
        return false;
    *tbs = span_of(before.p, before.len - rest.len);
    if (!der_tlv(&rest, &t2, &alg) || t2 != 0x30 || !der_tlv(&rest, &t3, &bits) || t3 != 0x03 ||
        !span_is_empty(&rest) || !span_get_u8(&bits, &unused) || unused != 0)
        return false;
    *sig = bits;
    return true;
}

/* ---- decode ------------------------------------------------------------------------------- */

int x509_decode(span_t der, x509_cert_t *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    say(why, why_len, "%s", "");
    if (der.len == 0 || der.len > HS_X509_DER_CAP) {
        say(why, why_len, "length %zu outside 1..%u", der.len, HS_X509_DER_CAP);
        return 1;
    }
    if (!der_walk(der, 0, why, why_len))
        return 1;
    out->der = malloc(der.len);
    if (!out->der)
        return -1;
    memcpy(out->der, der.p, der.len);
    out->der_len = der.len;
    /* Split inside our own copy so the spans outlive the caller's buffer. */
    if (!split_cert(span_of(out->der, out->der_len), &out->tbs, &out->sig)) {
        say(why, why_len, "not a Certificate SEQUENCE of exactly three parts, nothing after");
        x509_free(out);
        return 1;
    }
    if (gnutls_x509_crt_init(&out->crt) < 0) {
        x509_free(out);
        return -1;
    }
    gnutls_datum_t d = { out->der, (unsigned)out->der_len };
    int r = gnutls_x509_crt_import(out->crt, &d, GNUTLS_X509_FMT_DER);
    if (r < 0) {
        say(why, why_len, "GnuTLS refused it: %s", gnutls_strerror(r));
        x509_free(out);
        return r == GNUTLS_E_MEMORY_ERROR ? -1 : 1;
    }
    gnutls_datum_t re = { NULL, 0 };
    if (gnutls_x509_crt_export2(out->crt, GNUTLS_X509_FMT_DER, &re) < 0) {
        x509_free(out);
        return -1;
    }
    bool same = re.size == out->der_len && memcmp(re.data, out->der, re.size) == 0;
    gnutls_free(re.data);
    if (!same) {
        say(why, why_len, "re-encoding differs from the input");
        x509_free(out);
        return 1;
    }
    return 0;
}

void x509_free(x509_cert_t *c)
{
    if (c->crt)
        gnutls_x509_crt_deinit(c->crt);
    free(c->der);
    memset(c, 0, sizeof *c);
}

/* ---- accessors ---------------------------------------------------------------------------- */

/* GnuTLS's result code, so callers can tell an unusable peer key from running out of memory. */
static int import_pub(const x509_cert_t *c, gnutls_pubkey_t *out)
{
    *out = NULL;
    int r = gnutls_pubkey_init(out);
    if (r < 0)
        return r;
    r = gnutls_pubkey_import_x509(*out, c->crt, 0);
    if (r < 0) {
        gnutls_pubkey_deinit(*out);
        *out = NULL;
    }
    return r;
}

int x509_pubkey(const x509_cert_t *c, gnutls_pubkey_t *out)
{
    return import_pub(c, out) < 0 ? -1 : 0;
}

int x509_key_info(const x509_cert_t *c, gnutls_pk_algorithm_t *alg, unsigned *bits)
{
    *bits = 0;
    int a = gnutls_x509_crt_get_pk_algorithm(c->crt, bits);
    /* A key GnuTLS cannot even classify is the cert's problem: report it as unknown. */
    *alg = a < 0 ? GNUTLS_PK_UNKNOWN : (gnutls_pk_algorithm_t)a;
    if (a < 0)
        *bits = 0;
    return 0;
}

int64_t x509_not_before(const x509_cert_t *c) { return (int64_t)gnutls_x509_crt_get_activation_time(c->crt); }
int64_t x509_not_after(const x509_cert_t *c) { return (int64_t)gnutls_x509_crt_get_expiration_time(c->crt); }

int x509_is_signed_by(const x509_cert_t *subject, const x509_cert_t *issuer)
{
    gnutls_pubkey_t pub;
    int alg = gnutls_x509_crt_get_signature_algorithm(subject->crt);
    if (alg < 0 || alg == GNUTLS_SIGN_UNKNOWN)
        return 0; /* an algorithm we cannot name cannot verify */
    int ir = import_pub(issuer, &pub);
    if (ir < 0) /* a key GnuTLS cannot use verifies nothing */
        return ir == GNUTLS_E_MEMORY_ERROR ? -1 : 0;
    gnutls_datum_t tbs = { (unsigned char *)subject->tbs.p, (unsigned)subject->tbs.len };
    gnutls_datum_t sig = { (unsigned char *)subject->sig.p, (unsigned)subject->sig.len };
    /* Only the signature matters to tor (X509_verify); SHA-1 signed certs still verify there. */
    int r = gnutls_pubkey_verify_data2(pub, (gnutls_sign_algorithm_t)alg,
                                       GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &tbs, &sig);
    gnutls_pubkey_deinit(pub);
    if (r >= 0)
        return 1;
    return r == GNUTLS_E_MEMORY_ERROR ? -1 : 0;
}

/* SubjectPublicKeyInfo DER; 1 when the key cannot be imported or exported (peer's fault). */
static int spki_der(const x509_cert_t *c, gnutls_datum_t *out)
{
    gnutls_pubkey_t pub;
    int r = import_pub(c, &pub);
    if (r >= 0) {
        r = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, out);
        gnutls_pubkey_deinit(pub);
    }
    if (r >= 0)
        return 0;
    return r == GNUTLS_E_MEMORY_ERROR ? -1 : 1;
}

int x509_same_pubkey(const x509_cert_t *a, const x509_cert_t *b)
{
    gnutls_datum_t da = { NULL, 0 }, db = { NULL, 0 };
    int ra = spki_der(a, &da);
    int rb = ra == 0 ? spki_der(b, &db) : 1;
    int same = ra < 0 || rb < 0 ? -1
               : ra == 0 && rb == 0 && da.size == db.size && memcmp(da.data, db.data, da.size) == 0;
    gnutls_free(da.data);
    gnutls_free(db.data);
    return same;
}

int x509_tor_valid(const x509_cert_t *c, const x509_cert_t *signer, int64_t now,
                   x509_key_rule_t rule, x509_tor_validity_t *out)
{
    memset(out, 0, sizeof *out);
    int s = x509_is_signed_by(c, signer);
    if (s < 0)
        return -1;
    out->sig_ok = s == 1;
    out->not_yet_valid = x509_not_before(c) > now + HS_X509_FUTURE_SLOP;
    out->expired = x509_not_after(c) < now - HS_X509_PAST_SLOP;
    gnutls_pk_algorithm_t alg;
    unsigned bits;
    if (x509_key_info(c, &alg, &bits) != 0)
        return -1;
    if (rule == X509_KEY_RULE_RSA1024)
        out->key_ok = alg == GNUTLS_PK_RSA && bits == 1024;
    else
        out->key_ok = (alg == GNUTLS_PK_RSA && bits >= 1024) ||
                      ((alg == GNUTLS_PK_ECDSA || alg == GNUTLS_PK_EDDSA_ED25519) && bits >= 128);
    /* tor_tls_cert_is_valid's order: signature, lifetime, key. */
    if (!out->sig_ok)
        say(out->why, sizeof out->why, "X.509 signature does not verify with the signer's key");
    else if (out->expired)
        say(out->why, sizeof out->why,
            "Certificate already expired. Either their clock is set wrong, or your clock is wrong.");
    else if (out->not_yet_valid)
        say(out->why, sizeof out->why,
            "Certificate not yet valid. Either their clock is set wrong, or your clock is wrong.");
    else if (!out->key_ok)
        say(out->why, sizeof out->why, "%s",
            rule == X509_KEY_RULE_RSA1024 ? "Invalid certificate: Key is not RSA1024."
                                          : "Invalid certificate: key too short or not RSA/EC.");
    out->ok = out->sig_ok && !out->not_yet_valid && !out->expired && out->key_ok;
    return 0;
}

int x509_describe(const x509_cert_t *c, x509_shape_t *out)
{
    memset(out, 0, sizeof *out);
    gnutls_datum_t dn = { NULL, 0 };
    if (gnutls_x509_crt_get_dn3(c->crt, &dn, 0) >= 0) {
        snprintf(out->subject, sizeof out->subject, "%.*s", (int)dn.size, (const char *)dn.data);
        gnutls_free(dn.data);
    }
    if (gnutls_x509_crt_get_issuer_dn3(c->crt, &dn, 0) >= 0) {
        snprintf(out->issuer, sizeof out->issuer, "%.*s", (int)dn.size, (const char *)dn.data);
        gnutls_free(dn.data);
    }
    gnutls_pk_algorithm_t alg;
    if (x509_key_info(c, &alg, &out->key_bits) != 0)
        return -1;
    const char *name = gnutls_pk_algorithm_get_name(alg);
    snprintf(out->key_alg, sizeof out->key_alg, "%s", name ? name : "unknown");
    out->not_before = x509_not_before(c);
    out->not_after = x509_not_after(c);
    for (unsigned i = 0;; i++) {
        char oid[128];
        size_t oid_len = sizeof oid;
        unsigned critical;
        int r = gnutls_x509_crt_get_extension_info(c->crt, i, oid, &oid_len, &critical);
        if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (r < 0 && r != GNUTLS_E_SHORT_MEMORY_BUFFER)
            return -1;
        out->n_extensions++;
    }
    uint8_t serial[64];
    size_t serial_len = sizeof serial;
    if (gnutls_x509_crt_get_serial(c->crt, serial, &serial_len) < 0)
        return -1;
    out->serial_len = serial_len;
    return crypto_sha256(span_of(c->der, c->der_len), out->sha256);
}

/* ---- builders ----------------------------------------------------------------------------- */

/* A v3, extension-free certificate for pub named cn, not yet signed. */
static int crt_skeleton(gnutls_pubkey_t pub, const char *cn, int64_t nb, int64_t na,
                        gnutls_x509_crt_t *out)
{
    uint8_t serial[8];
    *out = NULL;
    if (hs_rand_bytes(serial, sizeof serial) < 0)
        return -1;
    /* Positive and exactly 8 bytes long in DER: top bit clear, top byte non-zero. */
    serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);
    if (gnutls_x509_crt_init(out) < 0)
        return -1;
    if (gnutls_x509_crt_set_version(*out, 3) < 0 ||
        gnutls_x509_crt_set_serial(*out, serial, sizeof serial) < 0 ||
        gnutls_x509_crt_set_dn_by_oid(*out, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                      (unsigned)strlen(cn)) < 0 ||
        gnutls_x509_crt_set_activation_time(*out, (time_t)nb) < 0 ||
        gnutls_x509_crt_set_expiration_time(*out, (time_t)na) < 0 ||
        gnutls_x509_crt_set_pubkey(*out, pub) < 0) {
        gnutls_x509_crt_deinit(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* Signs crt as issued by `issuer` (which supplies the issuer name) and appends the DER. */
static int sign_export(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer, gnutls_privkey_t key,
                       bld_t *der_out)
{
    gnutls_datum_t d = { NULL, 0 };
    if (gnutls_x509_crt_privkey_sign(crt, issuer, key, GNUTLS_DIG_SHA256, 0) < 0 ||
        gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &d) < 0)
        return -1;
    bld_bytes(der_out, d.data, d.size);
    gnutls_free(d.data);
    return bld_ok(der_out) ? 0 : -1;
}

int x509_build_self_signed(gnutls_privkey_t key, const char *cn, int64_t not_before,
                           int64_t not_after, bld_t *der_out)
{
    gnutls_pubkey_t pub = NULL;
    gnutls_x509_crt_t crt = NULL;
    int rc = -1;
    if (gnutls_pubkey_init(&pub) == 0 && gnutls_pubkey_import_privkey(pub, key, 0, 0) == 0 &&
        crt_skeleton(pub, cn, not_before, not_after, &crt) == 0)
        rc = sign_export(crt, crt, key, der_out);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (pub)
        gnutls_pubkey_deinit(pub);
    return rc;
}

int x509_build_issued(gnutls_pubkey_t subject_key, const char *subject_cn, const char *issuer_cn,
                      gnutls_privkey_t issuer_key, int64_t not_before, int64_t not_after,
                      bld_t *der_out)
{
    gnutls_pubkey_t ipub = NULL;
    gnutls_x509_crt_t crt = NULL, issuer = NULL;
    int rc = -1;
    /* GnuTLS takes the issuer name from an issuer certificate; a throwaway one carrying just
     * the name and key is enough (it is never signed or emitted). */
    if (gnutls_pubkey_init(&ipub) == 0 && gnutls_pubkey_import_privkey(ipub, issuer_key, 0, 0) == 0 &&
        crt_skeleton(ipub, issuer_cn, not_before, not_after, &issuer) == 0 &&
        crt_skeleton(subject_key, subject_cn, not_before, not_after, &crt) == 0)
        rc = sign_export(crt, issuer, issuer_key, der_out);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (issuer)
        gnutls_x509_crt_deinit(issuer);
    if (ipub)
        gnutls_pubkey_deinit(ipub);
    return rc;
}

int x509_ecdsa_p256_generate(gnutls_privkey_t *out)
{
    *out = NULL;
    if (gnutls_privkey_init(out) < 0)
        return -1;
    if (gnutls_privkey_generate2(*out, GNUTLS_PK_ECDSA,
                                 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0) < 0) {
        gnutls_privkey_deinit(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}
