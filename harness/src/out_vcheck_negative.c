/* out_vcheck_negative.c — checks negative.json: every object is run through the engine's own
 * parser and verifier in a fixed order (structure, then flags the format forbids, then the
 * signature, then expiry; chains in tor's order) and the first reason found must be the one the
 * vector states.  An object the engine accepts is reported as "got accepted". */
#include "out_vcheck.h"

#include "crypto_certsign.h"
#include "crypto_ed25519.h"
#include "crypto_x509.h"
#include "link_certs_verify.h"
#include "wire_auth.h"
#include "wire_cell.h"
#include "wire_certs.h"
#include "wire_crosscert.h"
#include "wire_edcert.h"
#include "wire_netinfo.h"
#include "wire_versions.h"

#include <stdlib.h>
#include <string.h>

static const char *structural(wire_status_t st)
{
    switch (st) {
    case WIRE_OK: return "accepted";
    case WIRE_TRUNCATED: return "truncated";
    case WIRE_TRAILING: return "trailing";
    case WIRE_BAD_VALUE: return "bad-value";
    case WIRE_TOO_MANY: return "too-many";
    }
    return "?";
}

/* A key member, or NULL (absent keys skip the step that needs them). */
static bool key_of(const jdoc_t *d, const jv_t *v, const char *key, bld_t *out)
{
    return jv_hex(jv_get(d, v, key), out);
}

static const char *ed_reason(vc_t *c, const jdoc_t *d, const jv_t *v, span_t b)
{
    edcert_t e;
    wire_status_t st = edcert_parse(b, &e);
    if (st == WIRE_BAD_VALUE)
        return e.version != EDCERT_VERSION ? "bad-version" : "bad-extension-length";
    if (st == WIRE_TOO_MANY)
        return "too-many-extensions";
    if (st != WIRE_OK)
        return structural(st);
    if (e.unknown_critical_ext)
        return "unknown-critical-extension";
    if (e.duplicate_signing_key_ext)
        return "duplicate-signed-with-key";
    bld_t key;
    bld_init(&key, 64);
    const char *r = NULL;
    if (key_of(d, v, "signing_key", &key) && key.len == 32) {
        int ok = certsign_edcert_check(&e, key.buf);
        if (ok < 0)
            vc_fault(c, "Ed25519 verification");
        if (ok == 0)
            r = "bad-signature";
    }
    bld_free(&key);
    int64_t now;
    if (!r && jv_int(jv_get(d, v, "now"), &now) && edcert_expired(&e, now))
        r = "expired";
    return r ? r : "accepted";
}

static const char *cross_reason(vc_t *c, const jdoc_t *d, const jv_t *v, span_t b)
{
    crosscert_t cc;
    wire_status_t st = crosscert_parse(b, &cc);
    if (st != WIRE_OK)
        return structural(st);
    bld_t key;
    bld_init(&key, 4096);
    const char *r = NULL;
    gnutls_pubkey_t pub;
    if (key_of(d, v, "signing_key_pkcs1", &key) && vc_rsa_pub_from_pkcs1(bld_span(&key), &pub) == 0) {
        crosscert_sig_t res;
        if (certsign_crosscert_check(&cc, pub, &res) != 0)
            vc_fault(c, "RSA verification");
        else if (res == CROSSCERT_SIG_BAD)
            r = "bad-signature";
        else if (res == CROSSCERT_SIG_DIGESTINFO)
            r = "digestinfo-signature";
        gnutls_pubkey_deinit(pub);
    }
    bld_free(&key);
    int64_t now;
    if (!r && jv_int(jv_get(d, v, "now"), &now) && crosscert_expired(&cc, now))
        r = "expired";
    return r ? r : "accepted";
}

static const char *auth3_reason(vc_t *c, const jdoc_t *d, const jv_t *v, span_t b)
{
    auth3_fields_t f;
    if (auth3_parse(b, &f) != WIRE_OK)
        return "bad-length";
    bld_t key;
    bld_init(&key, 64);
    const char *r = "accepted";
    if (key_of(d, v, "signing_key", &key) && key.len == 32) {
        int ok = ed25519_verify(key.buf, span_of(b.p, AUTH3_SIGNED_LEN), f.sig);
        if (ok < 0)
            vc_fault(c, "Ed25519 verification");
        if (ok == 0)
            r = "bad-signature";
    }
    bld_free(&key);
    return r;
}

static const char *chain_reason(vc_t *c, const jdoc_t *d, const jv_t *v, span_t b)
{
    certs_cell_t cell;
    wire_status_t st = certs_parse(b, &cell);
    if (st != WIRE_OK)
        return structural(st);
    const char *role = jv_str(jv_get(d, v, "role"));
    int64_t now;
    bld_t tls;
    bld_init(&tls, 65536);
    if (!role || !jv_int(jv_get(d, v, "now"), &now)) {
        vc_diff(c, "vector", "a certs-chain vector needs role and now");
        bld_free(&tls);
        return NULL;
    }
    bool responder = !strcmp(role, "responder");
    if (responder && !jv_hex(jv_get(d, v, "tls_cert_der"), &tls))
        vc_diff(c, "tls_cert_der", "a responder chain needs the TLS certificate");
    const char *r = NULL;
    certs_verdict_t *verdict = calloc(1, sizeof *verdict);
    if (!verdict)
        vc_fault(c, "allocation");
    else if (certs_verify(&cell, responder ? CERTS_PEER_RESPONDER : CERTS_PEER_INITIATOR, bld_span(&tls), now,
                          verdict) != 0)
        vc_fault(c, "CERTS verification");
    else
        r = verdict->ok ? "accepted" : vc_chain_reason(verdict->first_failure_id);
    free(verdict);
    bld_free(&tls);
    return r;
}

/* The engine's first reason to reject this object, "accepted", or NULL (already reported). */
static const char *reason_of(vc_t *c, const jdoc_t *d, const jv_t *v, const char *object, span_t b)
{
    if (!strcmp(object, "cell")) {
        int64_t link;
        if (!vc_int(c, d, v, "link_version", &link) || link < 0 || link > 0xffff)
            return NULL;
        cell_t cell;
        size_t used;
        wire_status_t st = cell_frame(b, (uint16_t)link, &cell, &used);
        return st == WIRE_OK && used != b.len ? "trailing" : structural(st);
    }
    if (!strcmp(object, "versions-body")) {
        versions_cell_t vs;
        wire_status_t st = versions_parse(b, &vs);
        return st == WIRE_TRAILING ? "odd-length" : structural(st);
    }
    if (!strcmp(object, "certs-body")) {
        certs_cell_t cell;
        return structural(certs_parse(b, &cell));
    }
    if (!strcmp(object, "auth-challenge-body")) {
        auth_challenge_t ac;
        return structural(auth_challenge_parse(b, &ac));
    }
    if (!strcmp(object, "authenticate-body")) {
        authenticate_t a;
        return structural(authenticate_parse(b, &a));
    }
    if (!strcmp(object, "netinfo-body")) {
        netinfo_cell_t *n = calloc(1, sizeof *n);
        if (!n) {
            vc_fault(c, "allocation");
            return NULL;
        }
        const char *r = structural(netinfo_parse(b, n));
        free(n);
        return r;
    }
    if (!strcmp(object, "ed25519-cert"))
        return ed_reason(c, d, v, b);
    if (!strcmp(object, "crosscert"))
        return cross_reason(c, d, v, b);
    if (!strcmp(object, "auth3"))
        return auth3_reason(c, d, v, b);
    if (!strcmp(object, "x509")) {
        x509_cert_t x;
        int r = x509_decode(b, &x, NULL, 0);
        if (r == 0) {
            x509_free(&x);
            return "accepted";
        }
        if (r < 0)
            vc_fault(c, "X.509 decoding");
        return r > 0 ? "undecodable" : NULL;
    }
    if (!strcmp(object, "certs-chain"))
        return chain_reason(c, d, v, b);
    vc_diff(c, "object", "unknown object \"%s\"", object);
    return NULL;
}

void vc_check_negative(vc_t *c, const vc_doc_t *doc)
{
    const jdoc_t *d = &doc->doc;
    const jv_t *vs = jv_get(d, jdoc_root(d), "vectors");
    for (const jv_t *v = jv_at(d, vs, 0); v; v = jv_next(d, v)) {
        vc_begin(c, doc->file, jv_str(jv_get(d, v, "id")));
        const char *object = vc_str(c, d, v, "object");
        const char *want = vc_str(c, d, v, "reject");
        bld_t b;
        bld_init(&b, VC_CAP_FILE);
        if (object && want && vc_hex(c, d, v, "hex", &b)) {
            const char *got = reason_of(c, d, v, object, bld_span(&b));
            if (got && strcmp(want, got))
                vc_diff(c, "reject", "expected %s, got %s", want, got);
            if (!strcmp(want, "accepted"))
                vc_diff(c, "reject", "a negative vector must name a reason, not \"accepted\"");
        }
        bld_free(&b);
        vc_end(c);
    }
}
