/* link_auth.c — see link_auth.h. */
#include "link_auth.h"

#include "crypto_digest.h"
#include "hs_rand.h"
#include "link_certs_verify.h"
#include "wire_cell.h"
#include "wire_certs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tor-link.md §1.12: the type-1 TLSSECRETS HMAC input ends with this string and its NUL. */
static const char auth1_tls_label[] = AUTH1_TLSSECRETS_LABEL;

const char *auth_src_name(auth_src_t s)
{
    switch (s) {
    case AUTH_SRC_COMPUTED: return "computed";
    case AUTH_SRC_SCENARIO: return "scenario";
    case AUTH_SRC_RANDOM: return "random";
    case AUTH_SRC_UNAVAILABLE: return "unavailable";
    }
    return "?";
}

const char *auth_field_name(auth_field_t f)
{
    static const char *const names[AF_COUNT] = {
        "cid", "sid", "cid_ed", "sid_ed", "slog", "clog", "scert", "tlssecrets", "rand", "sig",
    };
    return f < AF_COUNT ? names[f] : "?";
}

static void set(auth_claim_t *c, auth_field_t f, const uint8_t *v, auth_src_t src)
{
    memcpy(c->val[f], v, c->len[f]);
    c->src[f] = src;
}

/* The first record of a received cell with this command, or NULL. */
static const link_rec_t *first_recv(const link_chan_t *ch, uint8_t cmd)
{
    for (size_t i = 0; i < ch->n_recs; i++)
        if (!ch->recs[i].sent && ch->recs[i].circ_width && ch->recs[i].cmd == cmd)
            return &ch->recs[i];
    return NULL;
}

/* SID and SID_ED as the responder presented them in its CERTS (tor computes the expected
 * values from its own keys, which are these if the responder is honest). */
static int responder_ids(link_chan_t *ch, int64_t now, auth_claim_t *c, char *err, size_t errlen)
{
    const link_rec_t *r = first_recv(ch, CELL_CERTS);
    if (!r)
        return 0;
    size_t hdr = (size_t)r->circ_width + 3u; /* circ id, command, length */
    if (r->len < hdr)
        return 0;
    span_t body = span_of(ch->recv_log.buf + r->off + hdr, r->len - hdr);
    certs_cell_t cell;
    if (certs_parse(body, &cell) != WIRE_OK)
        return 0; /* a CERTS we cannot parse names no identity */
    span_t tls_cert = { 0 };
    if (!ch->tls.plain && tls_conn_peer_cert(&ch->tls, &tls_cert) != 0)
        tls_cert = (span_t){ 0 };
    certs_verdict_t *v = calloc(1, sizeof(*v));
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = certs_verify(&cell, CERTS_PEER_RESPONDER, tls_cert, now, v);
    if (rc != 0) {
        snprintf(err, errlen, "cannot evaluate the responder's CERTS (GnuTLS failed)");
    } else {
        if (v->have_rsa_id)
            set(c, AF_SID, v->rsa_id_sha256, AUTH_SRC_COMPUTED);
        if (c->len[AF_SID_ED] && v->have_ed_id)
            set(c, AF_SID_ED, v->ed_id, AUTH_SRC_COMPUTED);
    }
    free(v);
    return rc;
}

int link_auth_rsa_id_sha256(const relay_identity_t *id, uint8_t cid[32])
{
    gnutls_pubkey_t pub;
    uint8_t sha1[HS_SHA1_LEN];
    if (rsa_pubkey_from_privkey(id->rsa_id, &pub) != 0)
        return -1;
    int rc = rsa_pubkey_digests(pub, sha1, cid);
    gnutls_pubkey_deinit(pub);
    return rc;
}

static int tls_secrets(link_chan_t *ch, auth_claim_t *c, const uint8_t real_cid[32])
{
    uint8_t out[32];
    if (ch->tls.plain || !ch->tls.established)
        return 0;
    if (c->type == 3) {
        /* Context = CID as tor computes it (our real key), even when the scenario forces a
         * different CID into the cell: tor derives its expectation from what it verified. */
        if (tls_conn_exporter(&ch->tls, AUTH3_EXPORTER_LABEL, span_of(real_cid, 32), out, 32) != 0)
            return -1;
        set(c, AF_TLSSECRETS, out, AUTH_SRC_COMPUTED);
        return 0;
    }
    uint8_t ms[48], cr[32], sr[32];
    if (tls_conn_master_secret(&ch->tls, ms) != 0 || tls_conn_randoms(&ch->tls, cr, sr) != 0)
        return 0; /* TLS 1.3 has no master secret: type 1 cannot be bound */
    uint8_t msg[64 + sizeof(auth1_tls_label)];
    memcpy(msg, cr, 32);
    memcpy(msg + 32, sr, 32);
    memcpy(msg + 64, auth1_tls_label, sizeof(auth1_tls_label)); /* with its NUL */
    if (crypto_hmac_sha256(span_of(ms, 48), span_of(msg, sizeof(msg)), out) != 0)
        return -1;
    set(c, AF_TLSSECRETS, out, AUTH_SRC_COMPUTED);
    return 0;
}

int link_auth_derive(link_chan_t *ch, const relay_identity_t *id, int64_t now,
                     auth_claim_t *claim, char *err, size_t errlen)
{
    uint16_t type = claim->type;
    memset(claim, 0, sizeof(*claim));
    claim->type = type;
    for (int f = 0; f < AF_COUNT; f++) {
        claim->len[f] = 32;
        claim->src[f] = AUTH_SRC_UNAVAILABLE;
    }
    claim->len[AF_RAND] = 24;
    claim->len[AF_SIG] = 0; /* known once signed */
    if (type == 1)
        claim->len[AF_CID_ED] = claim->len[AF_SID_ED] = 0;
    if (!id) {
        snprintf(err, errlen, "no identity loaded: AUTHENTICATE needs the harness's keys");
        return -1;
    }
    uint8_t v[32];
    if (link_auth_rsa_id_sha256(id, v) != 0) {
        snprintf(err, errlen, "cannot hash our RSA identity key");
        return -1;
    }
    set(claim, AF_CID, v, AUTH_SRC_COMPUTED);
    if (type == 3)
        set(claim, AF_CID_ED, id->ed_id.pub, AUTH_SRC_COMPUTED);
    if (responder_ids(ch, now, claim, err, errlen) != 0)
        return -1;
    if (ch->log_overflow) {
        /* The transcript stopped recording: the logs cannot be computed honestly. */
    } else {
        const link_rec_t *ac = first_recv(ch, CELL_AUTH_CHALLENGE);
        if (ac) {
            if (crypto_sha256(span_of(ch->recv_log.buf, ac->off + ac->len), v) != 0)
                goto digest_failed;
            set(claim, AF_SLOG, v, AUTH_SRC_COMPUTED);
        }
        if (crypto_sha256(bld_span(&ch->sent_log), v) != 0)
            goto digest_failed;
        set(claim, AF_CLOG, v, AUTH_SRC_COMPUTED);
    }
    span_t der;
    if (!ch->tls.plain && tls_conn_peer_cert(&ch->tls, &der) == 0) {
        if (crypto_sha256(der, v) != 0)
            goto digest_failed;
        set(claim, AF_SCERT, v, AUTH_SRC_COMPUTED);
    }
    if (tls_secrets(ch, claim, claim->val[AF_CID]) != 0) {
        snprintf(err, errlen, "cannot compute the TLS binding (exporter / HMAC failed)");
        return -1;
    }
    if (hs_rand_bytes(claim->val[AF_RAND], 24) != 0) {
        snprintf(err, errlen, "no random bytes");
        return -1;
    }
    claim->src[AF_RAND] = AUTH_SRC_RANDOM;
    return 0;
digest_failed:
    snprintf(err, errlen, "SHA-256 failed");
    return -1;
}

int link_auth_finish(const relay_identity_t *id, auth_claim_t *c, bld_t *auth, char *err,
                     size_t errlen)
{
    bld_t signed_part;
    bld_init(&signed_part, AUTH3_SIGNED_LEN);
    if (c->type == 3) {
        auth3_fields_t f;
        memcpy(f.type, "AUTH0003", 8);
        memcpy(f.cid, c->val[AF_CID], 32);
        memcpy(f.sid, c->val[AF_SID], 32);
        memcpy(f.cid_ed, c->val[AF_CID_ED], 32);
        memcpy(f.sid_ed, c->val[AF_SID_ED], 32);
        memcpy(f.slog, c->val[AF_SLOG], 32);
        memcpy(f.clog, c->val[AF_CLOG], 32);
        memcpy(f.scert, c->val[AF_SCERT], 32);
        memcpy(f.tlssecrets, c->val[AF_TLSSECRETS], 32);
        memcpy(f.rand, c->val[AF_RAND], 24);
        auth3_build_signed_part(&signed_part, &f);
    } else {
        auth1_fields_t f;
        memcpy(f.type, "AUTH0001", 8);
        memcpy(f.cid, c->val[AF_CID], 32);
        memcpy(f.sid, c->val[AF_SID], 32);
        memcpy(f.slog, c->val[AF_SLOG], 32);
        memcpy(f.clog, c->val[AF_CLOG], 32);
        memcpy(f.scert, c->val[AF_SCERT], 32);
        memcpy(f.tlssecrets, c->val[AF_TLSSECRETS], 32);
        memcpy(f.rand, c->val[AF_RAND], 24);
        auth1_build_signed_part(&signed_part, &f);
    }
    int rc = bld_ok(&signed_part) ? 0 : -1;
    if (rc == 0 && c->src[AF_SIG] != AUTH_SRC_SCENARIO) {
        if (c->type == 3) {
            c->len[AF_SIG] = 64;
            rc = ed25519_sign(&id->ed_link_auth, bld_span(&signed_part), c->val[AF_SIG]);
        } else {
            /* tor-link.md §1.12: PKCS#1 v1.5 over the bare SHA-256, no DigestInfo. */
            uint8_t d[32];
            bld_t sig;
            bld_init(&sig, sizeof(c->val[AF_SIG]));
            rc = crypto_sha256(bld_span(&signed_part), d);
            if (rc == 0)
                rc = rsa_sign_raw(id->rsa_auth, span_of(d, 32), &sig);
            if (rc == 0 && (!bld_ok(&sig) || sig.len > sizeof(c->val[AF_SIG])))
                rc = -1;
            if (rc == 0) {
                memcpy(c->val[AF_SIG], sig.buf, sig.len);
                c->len[AF_SIG] = (uint8_t)sig.len;
            }
            bld_free(&sig);
        }
        c->src[AF_SIG] = AUTH_SRC_COMPUTED;
    }
    if (rc == 0) {
        bld_bytes(auth, signed_part.buf, signed_part.len);
        bld_bytes(auth, c->val[AF_SIG], c->len[AF_SIG]);
    }
    bld_free(&signed_part);
    if (rc != 0)
        snprintf(err, errlen, "cannot sign the authenticator");
    return rc;
}
