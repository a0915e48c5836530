/* link_certs_verify.c — see link_certs_verify.h.
 *
 * Layout: decode every certificate once into a context, then walk tor's order of checks
 * (tor-link.md §5.2: duplicates, then the Ed or the RSA path), then the spec-only checks.
 * Each check is one call to record(); a check whose input is missing is recorded as not
 * evaluated, so the set of ids a path produces does not depend on what the peer omitted. */
#include "link_certs_verify.h"

#include "crypto_certsign.h"
#include "crypto_digest.h"
#include "crypto_rsa.h"
#include "crypto_x509.h"
#include "wire_crosscert.h"
#include "wire_edcert.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SPEC_CERTS "tor-spec 4.2 / tor-link.md 5.2"
#define SPEC_ED "tor-spec 4.2 / cert-spec 2.1 / tor-link.md 1.9, 5.2"
#define SPEC_X509 "tor-spec 4.2 / tor-link.md 1.8, 5.2"
#define SPEC_CROSS "tor-spec 4.2 / cert-spec 2.2 / tor-link.md 1.10, 5.2"

/* tor's reasons (tor-link.md §5.2), in one place so tests and reports agree on the wording. */
#define R_DUP_X509 "Duplicate x509 certificate"
#define R_DUP_ED "Duplicate Ed25519 certificate"
#define R_DUP_CROSS "Duplicate RSA->Ed25519 crosscert"
#define R_NO_SIGNING "No Ed25519 signing key"
#define R_NO_LINK "No Ed25519 link key"
#define R_LINK_TLS "Link certificate does not match TLS certificate"
#define R_NO_AUTH "No Ed25519 link authentication key"
#define R_EXPIRED "At least one certificate expired."
#define R_NO_RSA_ID "Missing legacy RSA ID certificate"
#define R_RSA_ID_BAD "The legacy RSA ID certificate was not valid"
#define R_NO_CROSS "Missing RSA->Ed25519 crosscert"
#define R_ID_NOT_RSA "RSA ID cert had no RSA key"
#define R_CROSS_BAD "Invalid RSA->Ed25519 crosscert"
#define R_BAD_SIG "At least one Ed25519 certificate was badly signed"
#define R_MISSING_ID_LINK "The certs we wanted (ID, Link) were missing"
#define R_LINK_KEY "The link certificate didn't match the TLS public key"
#define R_LINK_BAD "The link certificate was not valid"
#define R_ID_BAD "The ID certificate was not valid"
#define R_MISSING_ID_AUTH "The certs we wanted (ID, Auth) were missing"
#define R_AUTH_BAD "The authentication certificate was not valid"
/* Spec-only requirements have no tor wording; the prefix says so. */
#define R_SPEC_SLOT "[spec] Ed25519 certificate CERT_TYPE does not match its CERTS slot"
#define R_SPEC_KEYTYPE "[spec] Ed25519 certificate has the wrong CERT_KEY_TYPE"

enum { MAX_TYPE = 7 };

typedef struct ctx {
    const certs_cell_t *cell;
    certs_peer_role_t role;
    span_t tls;
    int64_t now;
    certs_verdict_t *out;
    int first[MAX_TYPE + 1];          /* index of the first entry of each type, -1 if none */
    x509_cert_t x509[4];              /* types 1..3 */
    bool x509_ok[4];
    edcert_t ed[MAX_TYPE];            /* types 4..6 */
    bool ed_ok[MAX_TYPE];
    bool fault;
} ctx_t;

static certs_check_t *record(ctx_t *c, const char *id, const char *spec, const char *reason,
                             bool ok, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static certs_check_t *record(ctx_t *c, const char *id, const char *spec, const char *reason,
                             bool ok, const char *fmt, ...)
{
    certs_verdict_t *v = c->out;
    if (v->n_checks >= HS_ARRAY_LEN(v->checks)) {
        c->fault = true; /* a harness bug: the table is sized for every path */
        return NULL;
    }
    certs_check_t *k = &v->checks[v->n_checks++];
    k->id = id;
    k->spec = spec;
    k->reason = reason;
    k->ok = ok;
    k->evaluated = true;
    k->advisory = false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->detail, sizeof k->detail, fmt, ap);
    va_end(ap);
    return k;
}

/* A check whose input is missing: failed, not evaluated. */
static void skipped(ctx_t *c, const char *id, const char *spec, const char *reason, const char *why)
{
    certs_check_t *k = record(c, id, spec, reason, false, "not evaluated: %s", why);
    if (k)
        k->evaluated = false;
}

static void note(certs_cert_info_t *ci, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(certs_cert_info_t *ci, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ci->note, sizeof ci->note, fmt, ap);
    va_end(ap);
}

static bool fault(ctx_t *c)
{
    c->fault = true;
    return false;
}

static const x509_cert_t *x509_of(const ctx_t *c, int type)
{
    return c->x509_ok[type] ? &c->x509[type] : NULL;
}

static const edcert_t *ed_of(const ctx_t *c, int type)
{
    return c->ed_ok[type] ? &c->ed[type] : NULL;
}

/* ---- decoding ----------------------------------------------------------------------------- */

static void decode_x509(ctx_t *c, int type, certs_cert_info_t *ci, span_t body)
{
    char why[120];
    int r = x509_decode(body, &c->x509[type], why, sizeof why);
    if (r < 0) {
        (void)fault(c);
        return;
    }
    certs_check_t *k = record(c, type == 1 ? "certs.decodable.type1" : type == 2 ? "certs.decodable.type2"
                                                                                 : "certs.decodable.type3",
                              SPEC_X509, NULL, r == 0, "%s", r == 0 ? "DER X.509, canonical" : why);
    if (k)
        k->advisory = true;
    if (r != 0) {
        note(ci, "undecodable X.509 (%s): treated as absent", why);
        return;
    }
    c->x509_ok[type] = true;
    ci->decoded = true;
    ci->has_expiry = true;
    ci->expires = x509_not_after(&c->x509[type]);
    ci->expired = ci->expires < c->now - HS_X509_PAST_SLOP;
}

static void decode_ed(ctx_t *c, int type, certs_cert_info_t *ci, span_t body)
{
    static const char *const ids[] = { "certs.decodable.type4", "certs.decodable.type5",
                                       "certs.decodable.type6" };
    edcert_t *e = &c->ed[type];
    wire_status_t st = edcert_parse(body, e);
    char why[120] = "";
    if (st != WIRE_OK)
        snprintf(why, sizeof why, "Ed25519 cert does not parse: %s", wire_status_str(st));
    else if (e->unknown_critical_ext)
        snprintf(why, sizeof why, "unknown extension with AFFECTS_VALIDATION (cert-spec 2.1: must reject)");
    else if (e->duplicate_signing_key_ext)
        snprintf(why, sizeof why, "second signed-with-key extension");
    bool ok = why[0] == 0;
    certs_check_t *k = record(c, ids[type - 4], SPEC_ED, NULL, ok, "%s",
                              ok ? "Ed25519 certificate, version 1" : why);
    if (k)
        k->advisory = true;
    if (!ok) {
        note(ci, "undecodable Ed25519 cert (%s): treated as absent", why);
        return;
    }
    c->ed_ok[type] = true;
    ci->decoded = true;
    ci->has_expiry = true;
    ci->expires = (int64_t)e->exp_hours * 3600;
    ci->expired = edcert_expired(e, c->now);
}

/* Fills the per-entry table, finds the first entry of each type and decodes types 1–6
 * (type 7 is parsed by its chain check, where tor parses it: failure there is fatal). */
static void decode_all(ctx_t *c)
{
    const certs_cell_t *cell = c->cell;
    certs_verdict_t *v = c->out;
    for (int t = 0; t <= MAX_TYPE; t++)
        c->first[t] = -1;
    for (size_t i = 0; i < cell->n && i < HS_ARRAY_LEN(v->certs); i++) {
        certs_cert_info_t *ci = &v->certs[v->n_certs++];
        uint8_t t = cell->e[i].type;
        ci->type = t;
        ci->len = cell->e[i].body.len;
        /* A digest of the raw entry lets a report be matched against key files on disk. */
        if (crypto_sha256(cell->e[i].body, ci->sha256) != 0)
            c->fault = true;
        for (size_t j = 0; j < i; j++)
            if (cell->e[j].type == t)
                ci->duplicate = true;
        if (t < 1 || t > MAX_TYPE) {
            note(ci, "type %u is not one of 1-7: ignored", t);
            continue;
        }
        if (ci->duplicate) {
            note(ci, "duplicate of an earlier type-%u entry", t);
            continue;
        }
        c->first[t] = (int)i;
        if (t <= 3)
            decode_x509(c, t, ci, cell->e[i].body);
        else if (t <= 6)
            decode_ed(c, t, ci, cell->e[i].body);
        else {
            crosscert_t cc;
            if (crosscert_parse(cell->e[i].body, &cc) == WIRE_OK) {
                ci->decoded = true;
                ci->has_expiry = true;
                ci->expires = (int64_t)cc.exp_hours * 3600;
                ci->expired = crosscert_expired(&cc, c->now);
            } else {
                note(ci, "cross-cert does not parse exactly");
            }
        }
        if (c->fault)
            return;
    }
}

/* ---- cell-level checks -------------------------------------------------------------------- */

static void check_duplicates(ctx_t *c)
{
    static const char *const ids[] = { NULL, "certs.unique.type1", "certs.unique.type2",
                                       "certs.unique.type3", "certs.unique.type4",
                                       "certs.unique.type5", "certs.unique.type6",
                                       "certs.unique.type7" };
    for (int t = 1; t <= MAX_TYPE; t++) {
        size_t n = 0;
        for (size_t i = 0; i < c->cell->n; i++)
            n += c->cell->e[i].type == t;
        const char *reason = t <= 3 ? R_DUP_X509 : t <= 6 ? R_DUP_ED : R_DUP_CROSS;
        record(c, ids[t], SPEC_CERTS, reason, n <= 1, "%zu type-%d entr%s", n, t, n == 1 ? "y" : "ies");
    }
}

/* ---- X.509 validity (shared by both paths) ------------------------------------------------ */

/* Records tor_tls_cert_is_valid() as three checks: signature, dates, key. */
static void check_x509_valid(ctx_t *c, const char *id_sig, const char *id_dates, const char *id_key,
                             const char *reason, const x509_cert_t *cert, const x509_cert_t *signer,
                             x509_key_rule_t rule, const char *missing)
{
    if (!cert || !signer) {
        skipped(c, id_sig, SPEC_X509, reason, missing);
        skipped(c, id_dates, SPEC_X509, reason, missing);
        skipped(c, id_key, SPEC_X509, reason, missing);
        return;
    }
    x509_tor_validity_t val;
    if (x509_tor_valid(cert, signer, c->now, rule, &val) != 0) {
        (void)fault(c);
        return;
    }
    gnutls_pk_algorithm_t alg;
    unsigned bits;
    if (x509_key_info(cert, &alg, &bits) != 0) {
        (void)fault(c);
        return;
    }
    record(c, id_sig, SPEC_X509, reason, val.sig_ok, "%s",
           val.sig_ok ? "signature verifies with the signer's key"
                      : "signature does not verify with the signer's key");
    record(c, id_dates, SPEC_X509, reason, !val.expired && !val.not_yet_valid,
           "notBefore %lld, notAfter %lld, now %lld (slop +30 d / -2 d)%s%s",
           (long long)x509_not_before(cert), (long long)x509_not_after(cert), (long long)c->now,
           val.expired ? ": Certificate already expired." : "",
           val.not_yet_valid ? ": Certificate not yet valid." : "");
    const char *name = gnutls_pk_algorithm_get_name(alg);
    record(c, id_key, SPEC_X509, reason, val.key_ok, "%s-%u, need %s", name ? name : "unknown", bits,
           rule == X509_KEY_RULE_RSA1024 ? "RSA of exactly 1024 bits" : "RSA >= 1024 bits");
}

static void check_id_cert(ctx_t *c, const char *reason)
{
    const x509_cert_t *id = x509_of(c, 2);
    check_x509_valid(c, "certs.rsa-id.self-signed", "certs.rsa-id.dates", "certs.rsa-id.rsa1024",
                     reason, id, id, X509_KEY_RULE_RSA1024, "no decodable type-2 ID cert");
}

/* ---- Ed25519 path ------------------------------------------------------------------------- */

static void check_ed_expiry(ctx_t *c, const char *id, int type)
{
    const edcert_t *e = ed_of(c, type);
    if (!e) {
        char why[64];
        snprintf(why, sizeof why, "no decodable type-%d cert", type);
        skipped(c, id, SPEC_ED, R_EXPIRED, why);
        return;
    }
    record(c, id, SPEC_ED, R_EXPIRED, !edcert_expired(e, c->now),
           "expires %lld (hour %u), now %lld, no slop", (long long)e->exp_hours * 3600, e->exp_hours,
           (long long)c->now);
}

static void check_crosscert(ctx_t *c, const edcert_t *e4, gnutls_pubkey_t id_key)
{
    static const char *const ids[] = { "certs.cross.parses", "certs.cross.matches-ed-id",
                                       "certs.cross.not-expired", "certs.cross.signature" };
    int at = c->first[7];
    if (at < 0) {
        for (size_t i = 0; i < HS_ARRAY_LEN(ids); i++)
            skipped(c, ids[i], SPEC_CROSS, R_CROSS_BAD, "no type-7 cross-cert");
        return;
    }
    crosscert_t cc;
    wire_status_t st = crosscert_parse(c->cell->e[at].body, &cc);
    record(c, ids[0], SPEC_CROSS, R_CROSS_BAD, st == WIRE_OK, "%s",
           st == WIRE_OK ? "exact length" : "Unparseable or overlong crosscert");
    if (st != WIRE_OK) {
        for (size_t i = 1; i < HS_ARRAY_LEN(ids); i++)
            skipped(c, ids[i], SPEC_CROSS, R_CROSS_BAD, "cross-cert did not parse");
        return;
    }
    if (e4 && e4->has_signing_key_ext)
        record(c, ids[1], SPEC_CROSS, R_CROSS_BAD,
               memcmp(cc.ed_key, e4->signing_key, 32) == 0, "%s",
               memcmp(cc.ed_key, e4->signing_key, 32) == 0
                   ? "certifies the type-4 signed-with-key (Ed25519 identity) key"
                   : "Crosscert did not match Ed25519 key");
    else
        skipped(c, ids[1], SPEC_CROSS, R_CROSS_BAD, "no type-4 signed-with-key extension");
    record(c, ids[2], SPEC_CROSS, R_CROSS_BAD, !crosscert_expired(&cc, c->now),
           "%sexpires %lld, now %lld", crosscert_expired(&cc, c->now) ? "Crosscert is expired: " : "",
           (long long)cc.exp_hours * 3600, (long long)c->now);
    if (!id_key) {
        skipped(c, ids[3], SPEC_CROSS, R_CROSS_BAD, "no RSA key from a type-2 cert");
        return;
    }
    crosscert_sig_t sr;
    if (certsign_crosscert_check(&cc, id_key, &sr) != 0) {
        (void)fault(c);
        return;
    }
    record(c, ids[3], SPEC_CROSS, R_CROSS_BAD, sr == CROSSCERT_SIG_OK, "%s",
           sr == CROSSCERT_SIG_OK ? "raw PKCS#1 v1.5 signature of the digest by the RSA ID key"
           : sr == CROSSCERT_SIG_DIGESTINFO
               ? "The signature was good, but it didn't match the data (DigestInfo signature)"
               : "Bad signature, or length of signed data not as expected");
}

static void check_ed_sig(ctx_t *c, const char *id, const edcert_t *e, const uint8_t *key,
                         const char *missing, const char *what)
{
    if (!e || !key) {
        skipped(c, id, SPEC_ED, R_BAD_SIG, missing);
        return;
    }
    int r = certsign_edcert_check(e, key);
    if (r < 0) {
        (void)fault(c);
        return;
    }
    record(c, id, SPEC_ED, R_BAD_SIG, r == 1, "%s %s", what, r == 1 ? "verifies" : "does not verify");
}

static void ed_path(ctx_t *c)
{
    const bool resp = c->role == CERTS_PEER_RESPONDER;
    const edcert_t *e4 = ed_of(c, 4);
    const int leaf_type = resp ? 5 : 6;
    const edcert_t *leaf = ed_of(c, leaf_type);

    record(c, "certs.ed.signing-key-present", SPEC_ED, R_NO_SIGNING, e4 && e4->has_signing_key_ext,
           "%s", !e4 ? "no decodable type-4 cert"
                 : e4->has_signing_key_ext ? "type 4 carries the signed-with-key extension"
                                           : "type 4 lacks the signed-with-key extension");
    if (resp) {
        record(c, "certs.ed.link-cert-present", SPEC_ED, R_NO_LINK, leaf != NULL, "%s",
               leaf ? "decodable type-5 cert" : "no decodable type-5 cert");
        uint8_t h[HS_SHA256_LEN];
        if (!leaf)
            skipped(c, "certs.ed.link-matches-tls", SPEC_ED, R_LINK_TLS, "no type-5 cert");
        else if (c->tls.len == 0)
            record(c, "certs.ed.link-matches-tls", SPEC_ED, R_LINK_TLS, false,
                   "no TLS certificate to compare with");
        else if (crypto_sha256(c->tls, h) != 0)
            (void)fault(c);
        else
            record(c, "certs.ed.link-matches-tls", SPEC_ED, R_LINK_TLS,
                   memcmp(h, leaf->certified_key, 32) == 0, "type-5 key %s SHA-256(TLS cert DER)",
                   memcmp(h, leaf->certified_key, 32) == 0 ? "equals" : "differs from");
    } else {
        record(c, "certs.ed.auth-cert-present", SPEC_ED, R_NO_AUTH, leaf != NULL, "%s",
               leaf ? "decodable type-6 cert" : "no decodable type-6 cert");
    }
    check_ed_expiry(c, "certs.ed.signing-cert-not-expired", 4);
    check_ed_expiry(c, resp ? "certs.ed.link-cert-not-expired" : "certs.ed.auth-cert-not-expired",
                    leaf_type);

    const x509_cert_t *id = x509_of(c, 2);
    record(c, "certs.ed.rsa-id-present", SPEC_X509, R_NO_RSA_ID, id != NULL, "%s",
           id ? "decodable type-2 cert" : "no decodable type-2 cert");
    check_id_cert(c, R_RSA_ID_BAD);
    record(c, "certs.cross.present", SPEC_CROSS, R_NO_CROSS, c->first[7] >= 0, "%s",
           c->first[7] >= 0 ? "type-7 entry present" : "no type-7 entry");

    gnutls_pubkey_t id_key = NULL;
    if (id) {
        gnutls_pk_algorithm_t alg;
        unsigned bits;
        if (x509_key_info(id, &alg, &bits) != 0) {
            (void)fault(c);
            return;
        }
        record(c, "certs.ed.rsa-id-has-rsa-key", SPEC_X509, R_ID_NOT_RSA, alg == GNUTLS_PK_RSA,
               "type-2 key is %s", gnutls_pk_algorithm_get_name(alg) ? gnutls_pk_algorithm_get_name(alg) : "unknown");
        /* An RSA key GnuTLS will not load cannot check the cross-cert: left NULL, the
         * signature check is then recorded as not evaluated (and failed). */
        if (alg == GNUTLS_PK_RSA && x509_pubkey(id, &id_key) != 0)
            id_key = NULL;
    } else {
        skipped(c, "certs.ed.rsa-id-has-rsa-key", SPEC_X509, R_ID_NOT_RSA, "no type-2 cert");
    }
    check_crosscert(c, e4, id_key);
    if (id_key)
        gnutls_pubkey_deinit(id_key);

    check_ed_sig(c, "certs.ed.signing-cert-signature", e4, e4 && e4->has_signing_key_ext ? e4->signing_key : NULL,
                 "no type-4 cert with a signed-with-key extension",
                 "type 4 signature by its signed-with-key key");
    check_ed_sig(c, resp ? "certs.ed.link-cert-signature" : "certs.ed.auth-cert-signature", leaf,
                 e4 ? e4->certified_key : NULL,
                 resp ? "type 4 or type 5 missing" : "type 4 or type 6 missing",
                 resp ? "type 5 signature by the type-4 signing key"
                      : "type 6 signature by the type-4 signing key");
}

/* Spec requirements tor does not enforce (tor-link.md §1.9): recorded after tor's checks so
 * that first_failure keeps tor's wording whenever tor would also have failed. */
static void ed_spec_checks(ctx_t *c)
{
    const int types[] = { 4, c->role == CERTS_PEER_RESPONDER ? 5 : 6 };
    char slot[200] = "", keyt[200] = "";
    bool slot_ok = true, key_ok = true, any = false;
    size_t sl = 0, kl = 0;
    for (size_t i = 0; i < HS_ARRAY_LEN(types); i++) {
        const edcert_t *e = ed_of(c, types[i]);
        if (!e)
            continue;
        any = true;
        bool s_ok = e->cert_type == types[i];
        slot_ok &= s_ok;
        sl += (size_t)snprintf(slot + sl, sl < sizeof slot ? sizeof slot - sl : 0,
                               "%sslot %d: CERT_TYPE %u%s", sl ? "; " : "", types[i], e->cert_type,
                               s_ok ? "" : " (tor does not check)");
        if (sl >= sizeof slot)
            sl = sizeof slot - 1;
        const char *kn;
        bool k_ok;
        if (types[i] == 5) {
            k_ok = e->key_type == EDCERT_KEY_SHA256_X509 || e->key_type == EDCERT_KEY_ED25519;
            kn = e->key_type == EDCERT_KEY_ED25519
                     ? " (01 in a type-5 cert: receivers SHOULD accept, cert-spec A.4)"
                     : "";
        } else {
            k_ok = e->key_type == EDCERT_KEY_ED25519;
            kn = "";
        }
        key_ok &= k_ok;
        kl += (size_t)snprintf(keyt + kl, kl < sizeof keyt ? sizeof keyt - kl : 0,
                               "%stype %d: CERT_KEY_TYPE %02x%s", kl ? "; " : "", types[i],
                               e->key_type, kn);
        if (kl >= sizeof keyt)
            kl = sizeof keyt - 1;
    }
    if (!any) {
        skipped(c, "certs.ed.cert-type-matches-slot", SPEC_ED, R_SPEC_SLOT, "no decodable Ed25519 certs");
        skipped(c, "certs.ed.certified-key-type", "cert-spec 2.1, A.4", R_SPEC_KEYTYPE,
                "no decodable Ed25519 certs");
        return;
    }
    record(c, "certs.ed.cert-type-matches-slot", SPEC_ED, R_SPEC_SLOT, slot_ok, "%s", slot);
    record(c, "certs.ed.certified-key-type", "cert-spec 2.1, A.4", R_SPEC_KEYTYPE, key_ok, "%s", keyt);
}

/* ---- RSA-only path ------------------------------------------------------------------------ */

static void rsa_path(ctx_t *c)
{
    const x509_cert_t *id = x509_of(c, 2);
    if (c->role == CERTS_PEER_RESPONDER) {
        const x509_cert_t *link = x509_of(c, 1);
        record(c, "certs.rsa.link-and-id-present", SPEC_X509, R_MISSING_ID_LINK, id && link,
               "type 1 %s, type 2 %s", link ? "decodable" : "missing", id ? "decodable" : "missing");
        if (!link) {
            skipped(c, "certs.rsa.link-matches-tls", SPEC_X509, R_LINK_KEY, "no type-1 cert");
        } else {
            x509_cert_t tls;
            char why[120];
            int r = c->tls.len ? x509_decode(c->tls, &tls, why, sizeof why) : 1;
            if (r < 0) {
                (void)fault(c);
                return;
            }
            if (r == 0) {
                int same = x509_same_pubkey(link, &tls);
                x509_free(&tls);
                if (same < 0) {
                    (void)fault(c);
                    return;
                }
                record(c, "certs.rsa.link-matches-tls", SPEC_X509, R_LINK_KEY, same == 1,
                       "type-1 key %s the TLS certificate's key", same ? "equals" : "differs from");
            } else {
                record(c, "certs.rsa.link-matches-tls", SPEC_X509, R_LINK_KEY, false,
                       "TLS certificate unavailable or undecodable%s%s", c->tls.len ? ": " : "",
                       c->tls.len ? why : "");
            }
        }
        check_x509_valid(c, "certs.rsa.link-signed-by-id", "certs.rsa.link-dates",
                         "certs.rsa.link-key-size", R_LINK_BAD, link, id, X509_KEY_RULE_MIN1024,
                         "type 1 or type 2 missing");
    } else {
        const x509_cert_t *auth = x509_of(c, 3);
        record(c, "certs.rsa.auth-and-id-present", SPEC_X509, R_MISSING_ID_AUTH, id && auth,
               "type 3 %s, type 2 %s", auth ? "decodable" : "missing", id ? "decodable" : "missing");
        check_x509_valid(c, "certs.rsa.auth-signed-by-id", "certs.rsa.auth-dates",
                         "certs.rsa.auth-rsa1024", R_AUTH_BAD, auth, id, X509_KEY_RULE_RSA1024,
                         "type 3 or type 2 missing");
    }
    check_id_cert(c, R_ID_BAD);
}

/* ---- identities and verdict --------------------------------------------------------------- */

static void fill_identities(ctx_t *c)
{
    certs_verdict_t *v = c->out;
    const x509_cert_t *id = x509_of(c, 2);
    gnutls_pk_algorithm_t alg;
    unsigned bits;
    if (id && x509_key_info(id, &alg, &bits) == 0 && alg == GNUTLS_PK_RSA) {
        gnutls_pubkey_t pub;
        if (x509_pubkey(id, &pub) != 0)
            return; /* unusable key: no identity to report */
        if (rsa_pubkey_digests(pub, v->rsa_id_sha1, v->rsa_id_sha256) == 0)
            v->have_rsa_id = true;
        else
            (void)fault(c);
        gnutls_pubkey_deinit(pub);
    }
    const edcert_t *e4 = ed_of(c, 4), *e6 = ed_of(c, 6);
    if (e4 && e4->has_signing_key_ext) {
        v->have_ed_id = true;
        memcpy(v->ed_id, e4->signing_key, 32);
    }
    if (e4) {
        v->have_ed_signing = true;
        memcpy(v->ed_signing, e4->certified_key, 32);
    }
    if (e6) {
        v->have_ed_link_auth = true;
        memcpy(v->ed_link_auth, e6->certified_key, 32);
    }
}

static void conclude(certs_verdict_t *v)
{
    v->ok = true;
    for (size_t i = 0; i < v->n_checks; i++) {
        const certs_check_t *k = &v->checks[i];
        if (k->ok || k->advisory)
            continue;
        if (v->ok) {
            snprintf(v->first_failure, sizeof v->first_failure, "%s", k->reason ? k->reason : k->id);
            v->first_failure_id = k->id;
        }
        v->ok = false;
    }
}

int certs_verify(const certs_cell_t *cell, certs_peer_role_t role, span_t tls_cert_der, int64_t now,
                 certs_verdict_t *out)
{
    ctx_t c;
    memset(&c, 0, sizeof c);
    memset(out, 0, sizeof *out);
    c.cell = cell;
    c.role = role;
    c.tls = tls_cert_der;
    c.now = now;
    c.out = out;

    decode_all(&c);
    if (!c.fault)
        check_duplicates(&c);
    /* The path is chosen by the entry's presence, not its decodability (see header). */
    out->ed_path = c.first[4] >= 0;
    if (!c.fault) {
        if (out->ed_path)
            ed_path(&c);
        else
            rsa_path(&c);
    }
    if (!c.fault && out->ed_path)
        ed_spec_checks(&c);
    if (!c.fault)
        fill_identities(&c);
    for (int t = 1; t <= 3; t++)
        x509_free(&c.x509[t]);
    if (c.fault)
        return -1;
    conclude(out);
    return 0;
}

const certs_check_t *certs_verdict_find(const certs_verdict_t *v, const char *id)
{
    for (size_t i = 0; i < v->n_checks; i++)
        if (strcmp(v->checks[i].id, id) == 0)
            return &v->checks[i];
    return NULL;
}
