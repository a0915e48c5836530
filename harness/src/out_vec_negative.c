/* out_vec_negative.c — negative.json: malformations a conformant parser or verifier must
 * reject, each with the object it is (a framed cell, a VERSIONS body, an Ed25519 cert, …), the
 * reason it must be rejected for (a fixed vocabulary, vectors/README.md) and what that rests on
 * in the spec and in tor.
 *
 * Each one starts from a valid object of the other families and breaks exactly one thing — and
 * where a signature covers the broken part the object is re-signed, so that the stated reason
 * is the only one there is (a cert with VERSION 2 is otherwise correctly signed, an expired one
 * verifies).  The checkers run the object through parse, then signature, then expiry (for
 * chains: tor's order of checks) and compare the first failure with "reject". */
#include "out_vec_hs.h"

#include "crypto_certsign.h"
#include "crypto_digest.h"
#include "hs_rand.h"
#include "wire_auth.h"
#include "wire_cell.h"
#include "wire_certs.h"
#include "wire_edcert.h"
#include "wire_netinfo.h"

#include <stdio.h>
#include <string.h>

typedef struct neg {
    json_out_t *j;
    vec_ctx_t *ctx;
    int rc;
} neg_t;

/* Opens a vector; the caller adds object-specific inputs, then neg_end writes the bytes. */
static void neg_begin(neg_t *n, const char *id, const char *object, const char *reject, const char *why)
{
    json_obj_begin(n->j, NULL);
    json_str(n->j, "id", id);
    json_str(n->j, "object", object);
    json_str(n->j, "reject", reject);
    json_str(n->j, "why", why);
}

static void neg_end(neg_t *n, const bld_t *b)
{
    if (!bld_ok(b)) {
        snprintf(n->ctx->err, sizeof n->ctx->err, "negative: cannot build a vector: %s", b->why);
        n->rc = -1;
    }
    vec_hex_bld(n->j, "hex", b);
    json_obj_end(n->j);
}

static void neg_simple(neg_t *n, const char *id, const char *object, const char *reject,
                       const char *why, const bld_t *b)
{
    neg_begin(n, id, object, reject, why);
    neg_end(n, b);
}

static void copy_of(bld_t *dst, const bld_t *src, size_t cut)
{
    bld_reset(dst);
    bld_bytes(dst, src->buf, src->len > cut ? src->len - cut : 0);
}

/* ---- framing and cell bodies --------------------------------------------------------------- */

static void cells(neg_t *n)
{
    static const uint8_t var_short[] = { 0x00, 0x00, 0x07, 0x00, 0x06, 0x00, 0x03, 0x00, 0x04 };
    static const uint8_t hdr_short[] = { 0x00, 0x00, 0x00 };
    static const uint8_t odd[] = { 0x00, 0x03, 0x00, 0x04, 0x00 };
    bld_t b;
    bld_init(&b, 4096);

    bld_bytes(&b, var_short, sizeof var_short);
    neg_begin(n, "cell-var-truncated", "cell", "truncated",
              "a VERSIONS header promising 6 body bytes followed by 4: a stream parser waits for "
              "the rest (tor does, until the connection expires); as a complete buffer it is not "
              "a cell (tor-spec 3, var-cell Length)");
    json_int(n->j, "link_version", 0);
    neg_end(n, &b);

    bld_reset(&b);
    uint8_t body[100] = { 0 };
    bld_u32(&b, 0);
    bld_u8(&b, CELL_NETINFO);
    bld_bytes(&b, body, sizeof body);
    neg_begin(n, "cell-fixed-truncated", "cell", "truncated",
              "a NETINFO (fixed-length) cell with 100 of its 509 body bytes: fixed cells always "
              "carry exactly 509 (tor-spec 3)");
    json_int(n->j, "link_version", 5);
    neg_end(n, &b);

    bld_reset(&b);
    bld_bytes(&b, hdr_short, sizeof hdr_short);
    neg_begin(n, "cell-header-truncated", "cell", "truncated",
              "3 bytes on a link-5 channel: less than the 5-byte header (4-byte circ id, command)");
    json_int(n->j, "link_version", 5);
    neg_end(n, &b);

    bld_reset(&b);
    bld_bytes(&b, odd, sizeof odd);
    neg_simple(n, "versions-odd-length", "versions-body", "odd-length",
               "a VERSIONS body of 5 bytes: it is a list of u16 (tor-spec 4.1; tor closes: "
               "'Received a VERSION cell with odd payload length 5')", &b);

    bld_reset(&b);
    uint8_t ch[32] = { 0 };
    bld_bytes(&b, ch, sizeof ch);
    bld_u8(&b, 0);
    neg_simple(n, "auth-challenge-33-bytes", "auth-challenge-body", "truncated",
               "33 bytes: shorter than challenge + N_Methods (tor: 'It was not well-formed.')", &b);
    bld_reset(&b);
    bld_bytes(&b, ch, sizeof ch);
    bld_u16(&b, 5);
    bld_u16(&b, 3);
    neg_simple(n, "auth-challenge-methods-truncated", "auth-challenge-body", "truncated",
               "N_Methods 5 with one method present (tor: 'It was not well-formed.')", &b);

    bld_reset(&b);
    bld_u16(&b, 3);
    bld_u8(&b, 1);
    neg_simple(n, "authenticate-3-bytes", "authenticate-body", "truncated",
               "a 3-byte AUTHENTICATE body: no room for AuthType and AuthLen (tor: 'Cell was way "
               "too short')", &b);

    /* NETINFO: a second own address whose ALEN runs past the 509-byte body. */
    bld_reset(&b);
    netinfo_addr_t other, my[2];
    static const uint8_t v4[4] = { 192, 0, 2, 1 };
    netinfo_addr_ipv4(&other, v4);
    for (int i = 0; i < 2; i++) {
        memset(&my[i], 0x5a, sizeof my[i]);
        my[i].atype = 9;
        my[i].alen = 255;
    }
    netinfo_build(&b, (uint32_t)n->ctx->now, &other, my, 2);
    if (b.len > CELL_BODY_LEN)
        b.len = CELL_BODY_LEN;
    neg_simple(n, "netinfo-address-past-end", "netinfo-body", "truncated",
               "a 509-byte NETINFO body whose second own address (type 9, ALEN 255) starts at "
               "byte 268 and would end at 525 (tor: 'Failed to parse NETINFO cell')", &b);
    bld_free(&b);
}

/* ---- CERTS bodies ------------------------------------------------------------------------------ */

static void certs_bodies(neg_t *n)
{
    const vec_ident_t *v = &n->ctx->b;
    bld_t b;
    bld_init(&b, VEC_BODY_CAP);
    neg_simple(n, "certs-empty", "certs-body", "truncated",
               "an empty CERTS body: not even the count (tor: 'It had no body')", &b);

    certs_entry_t e[5];
    static const int t[5] = { 1, 2, 4, 5, 7 };
    for (int i = 0; i < 5; i++)
        e[i] = (certs_entry_t){ (uint8_t)t[i], bld_span(&v->cert[t[i]]) };
    certs_build(&b, e, 5);
    if (b.len)
        b.buf[0] = 6;
    neg_simple(n, "certs-count-too-high", "certs-body", "truncated",
               "the responder's CERTS with N = 6 and five certificates (tor: 'It couldn't be "
               "parsed.')", &b);

    bld_reset(&b);
    bld_u8(&b, 1);
    bld_u8(&b, 4);
    bld_u16(&b, (uint16_t)(v->cert[4].len + 1));
    bld_bytes(&b, v->cert[4].buf, v->cert[4].len);
    neg_simple(n, "certs-clen-past-end", "certs-body", "truncated",
               "one type-4 entry whose CLEN is one more than the bytes that follow (tor: 'It "
               "couldn't be parsed.')", &b);
    bld_free(&b);
}

/* ---- Ed25519 certificates ---------------------------------------------------------------------- */

static void ed_inputs(neg_t *n, const uint8_t key[32], bool with_now)
{
    json_hex(n->j, "signing_key", key, 32);
    if (with_now)
        json_int(n->j, "now", n->ctx->now);
}

/* A type-4 cert of harness-a with these extensions, signed by `signer`. */
static int ed4(neg_t *n, bld_t *b, uint8_t version, const edcert_ext_t *ext, size_t n_ext,
               const ed25519_key_t *signer)
{
    const relay_identity_t *id = &n->ctx->a.id;
    edcert_fields_t f = { .version = version, .cert_type = 4,
                          .exp_hours = vec_exp_hours(n->ctx, VEC_LIFE_SIGNING),
                          .key_type = EDCERT_KEY_ED25519, .n_ext = n_ext, .ext = ext };
    memcpy(f.certified_key, id->ed_signing.pub, 32);
    bld_reset(b);
    return certsign_edcert(b, &f, signer);
}

static int ed5(neg_t *n, bld_t *b, uint32_t exp, const ed25519_key_t *signer)
{
    const vec_ident_t *v = &n->ctx->a;
    edcert_fields_t f = { .version = EDCERT_VERSION, .cert_type = 5, .exp_hours = exp,
                          .key_type = EDCERT_KEY_SHA256_X509 };
    bld_reset(b);
    if (crypto_sha256(bld_span(&v->cert[1]), f.certified_key) != 0)
        return -1;
    return certsign_edcert(b, &f, signer);
}

static void ed_certs(neg_t *n)
{
    const vec_ident_t *v = &n->ctx->a;
    const relay_identity_t *id = &v->id;
    const uint8_t *idk = id->ed_id.pub;
    bld_t b;
    bld_init(&b, VEC_CERT_CAP);
    edcert_ext_t ext[2] = { edcert_ext_signed_with_key(idk), edcert_ext_signed_with_key(idk) };
    int rc = 0;

    rc |= ed4(n, &b, 2, ext, 1, &id->ed_id);
    neg_begin(n, "ed-bad-version", "ed25519-cert", "bad-version",
              "harness-a's type-4 cert with VERSION 2, correctly signed: only version 1 is "
              "defined (cert-spec 2.1; tor: 'undecodable Ed certificate')");
    ed_inputs(n, idk, true);
    neg_end(n, &b);

    copy_of(&b, &v->cert[4], 1);
    neg_begin(n, "ed-truncated", "ed25519-cert", "truncated",
              "harness-a's type-4 cert without its last byte (CLEN must equal the encoding)");
    ed_inputs(n, idk, true);
    neg_end(n, &b);

    copy_of(&b, &v->cert[4], 0);
    bld_u8(&b, 0);
    neg_begin(n, "ed-trailing", "ed25519-cert", "trailing",
              "harness-a's type-4 cert followed by one more byte: the encoded length must equal "
              "CLEN (tor_cert_parse)");
    ed_inputs(n, idk, true);
    neg_end(n, &b);

    edcert_ext_t short_ext = ext[0];
    short_ext.data.len = 31;
    rc |= ed4(n, &b, EDCERT_VERSION, &short_ext, 1, &id->ed_id);
    neg_begin(n, "ed-ext-bad-length", "ed25519-cert", "bad-extension-length",
              "a signed-with-key extension holding 31 bytes, correctly signed: that extension is "
              "a 32-byte Ed25519 key (cert-spec 2.2.1)");
    ed_inputs(n, idk, true);
    neg_end(n, &b);

    static const uint8_t junk[5] = { 'h', 's', 'p', 'r', 'b' };
    edcert_ext_t crit[2] = { ext[0], { 0x2a, EDCERT_EXT_FLAG_AFFECTS_VALIDATION, span_of(junk, 5) } };
    rc |= ed4(n, &b, EDCERT_VERSION, crit, 2, &id->ed_id);
    neg_begin(n, "ed-unknown-critical-ext", "ed25519-cert", "unknown-critical-extension",
              "an unknown extension (type 0x2a) flagged AFFECTS_VALIDATION, correctly signed: "
              "such a cert must not be accepted (cert-spec 2.1)");
    ed_inputs(n, idk, true);
    neg_end(n, &b);

    rc |= ed4(n, &b, EDCERT_VERSION, ext, 2, &id->ed_id);
    neg_begin(n, "ed-duplicate-signed-with-key", "ed25519-cert", "duplicate-signed-with-key",
              "two signed-with-key extensions, correctly signed (tor_cert_parse refuses a second "
              "one)");
    ed_inputs(n, idk, true);
    neg_end(n, &b);

    copy_of(&b, &v->cert[4], 0);
    if (b.len)
        b.buf[b.len - 1] ^= 0x01;
    neg_begin(n, "ed-bad-signature", "ed25519-cert", "bad-signature",
              "harness-a's type-4 cert with the last signature byte flipped (tor: 'At least one "
              "Ed25519 certificate was badly signed')");
    ed_inputs(n, idk, true);
    neg_end(n, &b);

    rc |= ed5(n, &b, vec_exp_hours(n->ctx, VEC_LIFE_LINK), &id->ed_id);
    neg_begin(n, "ed-wrong-signer", "ed25519-cert", "bad-signature",
              "a type-5 cert signed by the identity key instead of the signing key it must be "
              "verified with");
    ed_inputs(n, id->ed_signing.pub, true);
    neg_end(n, &b);

    rc |= ed5(n, &b, (uint32_t)(n->ctx->now / 3600 - 1), &id->ed_signing);
    neg_begin(n, "ed-expired", "ed25519-cert", "expired",
              "a correctly signed type-5 cert that expired an hour before now: invalid when "
              "EXPIRATION_DATE * 3600 < now, no slop (cert-spec 2.1; tor: 'At least one "
              "certificate expired.')");
    ed_inputs(n, id->ed_signing.pub, true);
    neg_end(n, &b);
    bld_free(&b);
    if (rc) {
        snprintf(n->ctx->err, sizeof n->ctx->err, "negative: cannot sign an Ed25519 cert");
        n->rc = -1;
    }
}

/* ---- cross-certificates -------------------------------------------------------------------- */

static void cross_inputs(neg_t *n)
{
    vec_hex_bld(n->j, "signing_key_pkcs1", &n->ctx->a.rsa_id_der);
    json_int(n->j, "now", n->ctx->now);
}

static void crosscerts(neg_t *n)
{
    const vec_ident_t *v = &n->ctx->a;
    bld_t b;
    bld_init(&b, VEC_CERT_CAP);
    int rc = 0;

    copy_of(&b, &v->cert[7], 1);
    neg_begin(n, "cross-truncated", "crosscert", "truncated",
              "harness-a's cross-cert without its last byte (SIGLEN promises one more)");
    cross_inputs(n);
    neg_end(n, &b);

    copy_of(&b, &v->cert[7], 0);
    bld_u8(&b, 0);
    neg_begin(n, "cross-trailing", "crosscert", "trailing",
              "harness-a's cross-cert followed by one byte (tor: 'Unparseable or overlong "
              "crosscert')");
    cross_inputs(n);
    neg_end(n, &b);

    copy_of(&b, &v->cert[7], 0);
    if (b.len)
        b.buf[b.len - 1] ^= 0x01;
    neg_begin(n, "cross-bad-signature", "crosscert", "bad-signature",
              "harness-a's cross-cert with the last signature byte flipped (tor: 'Bad signature, "
              "or length of signed data not as expected')");
    cross_inputs(n);
    neg_end(n, &b);

    /* A standard PKCS#1 v1.5 signature (with the SHA-256 DigestInfo) over the right digest. */
    const uint32_t exp = vec_exp_hours(n->ctx, VEC_LIFE_CROSS);
    uint8_t dg[HS_SHA256_LEN];
    bld_t sig;
    bld_init(&sig, HS_RSA_MAX_BYTES);
    rc |= certsign_crosscert_digest(v->id.ed_id.pub, exp, dg);
    rc |= rsa_sign_digestinfo_sha256(v->id.rsa_id, span_of(dg, sizeof dg), &sig);
    bld_reset(&b);
    rc |= crosscert_build_with_signature(&b, v->id.ed_id.pub, exp, bld_span(&sig));
    bld_free(&sig);
    neg_begin(n, "cross-digestinfo", "crosscert", "digestinfo-signature",
              "signed with standard PKCS#1 v1.5 (SHA-256 DigestInfo) over the right digest: the "
              "cross-cert signs the bare digest (tor: 'The signature was good, but it didn't "
              "match the data')");
    cross_inputs(n);
    neg_end(n, &b);

    bld_reset(&b);
    rc |= certsign_crosscert(&b, v->id.ed_id.pub, (uint32_t)(n->ctx->now / 3600 - 1), v->id.rsa_id);
    neg_begin(n, "cross-expired", "crosscert", "expired",
              "a correctly signed cross-cert that expired an hour before now (tor: 'Crosscert is "
              "expired')");
    cross_inputs(n);
    neg_end(n, &b);
    bld_free(&b);
    if (rc) {
        snprintf(n->ctx->err, sizeof n->ctx->err, "negative: cannot sign a cross-cert");
        n->rc = -1;
    }
}

/* ---- AUTHENTICATE ----------------------------------------------------------------------------- */

static void authenticators(neg_t *n)
{
    size_t nd;
    const vec_hs_def_t *defs = vec_hs_defs(&nd);
    vec_hs_t hs;
    if (vec_hs_run(n->ctx, &defs[0], &hs) != 0 || defs[0].auth_type != 3) {
        vec_hs_free(&hs);
        n->rc = -1;
        return;
    }
    const uint8_t *key = n->ctx->a.id.ed_link_auth.pub;
    bld_t b;
    bld_init(&b, 2048);

    bld_u16(&b, 3);
    bld_u16(&b, (uint16_t)(hs.auth.len + 1));
    bld_bytes(&b, hs.auth.buf, hs.auth.len);
    neg_simple(n, "authenticate-authlen-past-end", "authenticate-body", "truncated",
               "the link5-auth3 AUTHENTICATE body with AuthLen one more than the bytes that "
               "follow (tor: 'Authenticator was truncated')", &b);

    copy_of(&b, &hs.auth, 0);
    bld_zeros(&b, 3);
    neg_begin(n, "auth3-len-355", "auth3", "bad-length",
              "a type-3 Authentication field of 355 bytes (the link5-auth3 one plus 3 zero bytes "
              "inside AuthLen): it is exactly 352 (tor: 'Expected AUTHENTICATE cell body len not "
              "as expected.')");
    json_hex(n->j, "signing_key", key, 32);
    neg_end(n, &b);

    copy_of(&b, &hs.auth, 1);
    neg_begin(n, "auth3-len-351", "auth3", "bad-length",
              "the link5-auth3 Authentication field without its last byte (351 bytes)");
    json_hex(n->j, "signing_key", key, 32);
    neg_end(n, &b);

    copy_of(&b, &hs.auth, 0);
    if (b.len)
        b.buf[b.len - 1] ^= 0x01;
    neg_begin(n, "auth3-bad-signature", "auth3", "bad-signature",
              "the link5-auth3 Authentication field with the last SIG byte flipped (tor: "
              "'Ed25519 signature wasn't valid.')");
    json_hex(n->j, "signing_key", key, 32);
    neg_end(n, &b);
    bld_free(&b);
    vec_hs_free(&hs);
}

/* ---- X.509 ----------------------------------------------------------------------------------- */

static void x509s(neg_t *n)
{
    const bld_t *der = &n->ctx->b.cert[1];
    bld_t b;
    bld_init(&b, VEC_CERT_CAP);
    copy_of(&b, der, 0);
    bld_u8(&b, 0);
    neg_simple(n, "x509-trailing-byte", "x509", "undecodable",
               "harness-b's link certificate followed by a zero byte: DER only, nothing after the "
               "certificate (tor re-encodes and compares: 'undecodable certificate')", &b);
    /* The outer SEQUENCE length in a non-minimal form: 82 LL LL becomes 83 00 LL LL. */
    bld_reset(&b);
    if (der->len > 4 && der->buf[1] == 0x82) {
        bld_u8(&b, der->buf[0]);
        bld_u8(&b, 0x83);
        bld_u8(&b, 0x00);
        bld_bytes(&b, der->buf + 2, der->len - 2);
    } else {
        bld_fail(&b, "unexpected X.509 header");
    }
    neg_simple(n, "x509-nonminimal-length", "x509", "undecodable",
               "harness-b's link certificate with its outer length in a non-minimal 3-byte form: "
               "BER, not DER", &b);
    bld_free(&b);
}

/* ---- certificate chains ------------------------------------------------------------------------ */

typedef struct chain_entry {
    int type;
    const bld_t *cert;
} chain_entry_t;

static void chain(neg_t *n, const char *id, const char *reject, const char *why, bool responder,
                  const bld_t *tls, const chain_entry_t *e, size_t ne)
{
    certs_entry_t ce[8];
    for (size_t i = 0; i < ne && i < HS_ARRAY_LEN(ce); i++)
        ce[i] = (certs_entry_t){ (uint8_t)e[i].type, bld_span(e[i].cert) };
    bld_t b;
    bld_init(&b, VEC_BODY_CAP);
    certs_build(&b, ce, ne);
    neg_begin(n, id, "certs-chain", reject, why);
    json_str(n->j, "role", responder ? "responder" : "initiator");
    json_int(n->j, "now", n->ctx->now);
    if (responder)
        vec_hex_bld(n->j, "tls_cert_der", tls);
    neg_end(n, &b);
    bld_free(&b);
}

static void chains(neg_t *n)
{
    const vec_ident_t *a = &n->ctx->a, *v = &n->ctx->b;
    const bld_t *c = v->cert;
    const bld_t *tls = &c[1];
    bld_t expired5, badsig5, nokey4, oldid;
    bld_init(&expired5, VEC_CERT_CAP);
    bld_init(&badsig5, VEC_CERT_CAP);
    bld_init(&nokey4, VEC_CERT_CAP);
    bld_init(&oldid, VEC_CERT_CAP);
    int rc = identity_build_tls_link_cert(&v->id, bld_span(tls), (uint32_t)(n->ctx->now / 3600 - 1),
                                          &expired5);
    copy_of(&badsig5, &c[5], 0);
    if (badsig5.len)
        badsig5.buf[badsig5.len - 1] ^= 0x01;
    edcert_fields_t f4 = { .version = EDCERT_VERSION, .cert_type = 4,
                           .exp_hours = vec_exp_hours(n->ctx, VEC_LIFE_SIGNING),
                           .key_type = EDCERT_KEY_ED25519 };
    memcpy(f4.certified_key, v->id.ed_signing.pub, 32);
    rc |= certsign_edcert(&nokey4, &f4, &v->id.ed_id);
    hs_rand_seed(n->ctx->seed, "vectors/negative/chain-expired-rsa-id/x509");
    rc |= identity_build_id_cert(&v->id, n->ctx->now - 40 * 86400, n->ctx->now - 10 * 86400, &oldid);
    hs_rand_unseed();
    if (rc) {
        snprintf(n->ctx->err, sizeof n->ctx->err, "negative: cannot build a chain certificate");
        n->rc = -1;
    }

    const chain_entry_t dup[] = { { 1, &c[1] }, { 2, &c[2] }, { 4, &c[4] }, { 4, &c[4] }, { 5, &c[5] }, { 7, &c[7] } };
    chain(n, "chain-duplicate-type4", "duplicate-certificate",
          "harness-b's responder chain with the type-4 cert twice (tor: 'Duplicate Ed25519 "
          "certificate')", true, tls, dup, HS_ARRAY_LEN(dup));
    const chain_entry_t full[] = { { 1, &c[1] }, { 2, &c[2] }, { 4, &c[4] }, { 5, &c[5] }, { 7, &c[7] } };
    chain(n, "chain-link-mismatch", "tls-link-mismatch",
          "harness-b's valid responder chain, but the TLS certificate presented was harness-a's "
          "link cert: type 5 certifies a different one (tor: 'Link certificate does not match "
          "TLS certificate')", true, &a->cert[1], full, HS_ARRAY_LEN(full));
    const chain_entry_t rsa[] = { { 1, &c[1] }, { 2, &c[2] } };
    chain(n, "chain-rsa-link-mismatch", "tls-link-mismatch",
          "harness-b's RSA-only chain (1, 2) over a TLS connection that presented harness-a's "
          "link cert (tor: 'The link certificate didn't match the TLS public key')", true,
          &a->cert[1], rsa, HS_ARRAY_LEN(rsa));
    const chain_entry_t exp[] = { { 1, &c[1] }, { 2, &c[2] }, { 4, &c[4] }, { 5, &expired5 }, { 7, &c[7] } };
    chain(n, "chain-expired-link", "expired",
          "the type-5 cert expired an hour before now (tor: 'At least one certificate expired.')",
          true, tls, exp, HS_ARRAY_LEN(exp));
    const chain_entry_t nocross[] = { { 1, &c[1] }, { 2, &c[2] }, { 4, &c[4] }, { 5, &c[5] } };
    chain(n, "chain-no-crosscert", "missing-crosscert",
          "types 1, 2, 4, 5 without the cross-cert (tor: 'Missing RSA->Ed25519 crosscert')", true,
          tls, nocross, HS_ARRAY_LEN(nocross));
    const chain_entry_t foreign[] = { { 1, &c[1] }, { 2, &c[2] }, { 4, &c[4] }, { 5, &c[5] }, { 7, &a->cert[7] } };
    chain(n, "chain-foreign-crosscert", "crosscert-key-mismatch",
          "harness-b's chain carrying harness-a's cross-cert (tor: 'Crosscert did not match "
          "Ed25519 key')", true, tls, foreign, HS_ARRAY_LEN(foreign));
    const chain_entry_t badsig[] = { { 1, &c[1] }, { 2, &c[2] }, { 4, &c[4] }, { 5, &badsig5 }, { 7, &c[7] } };
    chain(n, "chain-bad-ed-signature", "bad-ed-signature",
          "the type-5 cert's last signature byte flipped (tor: 'At least one Ed25519 "
          "certificate was badly signed')", true, tls, badsig, HS_ARRAY_LEN(badsig));
    const chain_entry_t nokey[] = { { 1, &c[1] }, { 2, &c[2] }, { 4, &nokey4 }, { 5, &c[5] }, { 7, &c[7] } };
    chain(n, "chain-no-signing-key", "missing-signing-key",
          "a type-4 cert without the signed-with-key extension (tor: 'No Ed25519 signing key')",
          true, tls, nokey, HS_ARRAY_LEN(nokey));
    const chain_entry_t oldrsa[] = { { 1, &c[1] }, { 2, &oldid }, { 4, &c[4] }, { 5, &c[5] }, { 7, &c[7] } };
    chain(n, "chain-expired-rsa-id", "x509-dates",
          "the RSA identity cert expired 10 days before now, beyond tor's 2-day slop (tor: "
          "'Certificate already expired.')", true, tls, oldrsa, HS_ARRAY_LEN(oldrsa));
    const chain_entry_t noauth[] = { { 2, &a->cert[2] }, { 4, &a->cert[4] }, { 7, &a->cert[7] } };
    chain(n, "chain-initiator-no-auth-cert", "missing-auth-cert",
          "an authenticating initiator's CERTS 2, 4, 7 without type 6 (tor: 'No Ed25519 link "
          "authentication key')", false, NULL, noauth, HS_ARRAY_LEN(noauth));
    bld_free(&expired5);
    bld_free(&badsig5);
    bld_free(&nokey4);
    bld_free(&oldid);
}

int vec_write_negative(vec_ctx_t *ctx, FILE *f)
{
    json_out_t j;
    json_init_pretty(&j, f);
    vec_header(&j, ctx, "negative",
               "malformations a conformant parser or verifier must reject, each with the reason "
               "(vocabulary in vectors/README.md)");
    json_arr_begin(&j, "vectors");
    neg_t n = { &j, ctx, 0 };
    cells(&n);
    certs_bodies(&n);
    ed_certs(&n);
    crosscerts(&n);
    authenticators(&n);
    x509s(&n);
    chains(&n);
    json_arr_end(&j);
    json_obj_end(&j);
    if (n.rc != 0 && !ctx->err[0])
        snprintf(ctx->err, sizeof ctx->err, "negative: cannot build a vector");
    return n.rc;
}
