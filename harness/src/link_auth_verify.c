/* link_auth_verify.c — see link_auth_verify.h. */
#include "link_auth_verify.h"

#include "crypto_digest.h"
#include "crypto_ed25519.h"
#include "crypto_rsa.h"
#include "link_certs_verify.h"
#include "wire_auth.h"
#include "wire_certs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void want(auth_check_t *o, auth_field_t f, const uint8_t v[32])
{
    memcpy(o->want[f], v, 32);
    o->have_want[f] = true;
}

static void mismatch(auth_check_t *o, const char *field, const char *detail)
{
    if (strcmp(o->mismatch, "none"))
        return; /* the first one decides */
    snprintf(o->mismatch, sizeof(o->mismatch), "%s", field);
    snprintf(o->why, sizeof(o->why), "%s: %s", field, detail);
}

/* The initiator's CERTS, judged as an initiator's chain; NULL if none arrived. */
static certs_verdict_t *initiator_certs(link_chan_t *ch, int64_t now, bool *fault)
{
    *fault = false;
    for (size_t i = 0; i < ch->n_recs; i++) {
        const link_rec_t *r = &ch->recs[i];
        if (r->sent || r->cmd != CELL_CERTS || !r->circ_width)
            continue;
        size_t hdr = (size_t)r->circ_width + 3u;
        certs_cell_t cell;
        if (r->len < hdr ||
            certs_parse(span_of(ch->recv_log.buf + r->off + hdr, r->len - hdr), &cell) != WIRE_OK)
            return NULL;
        certs_verdict_t *v = calloc(1, sizeof(*v));
        if (!v || certs_verify(&cell, CERTS_PEER_INITIATOR, span_of(NULL, 0), now, v) != 0) {
            free(v);
            *fault = true;
            return NULL;
        }
        return v;
    }
    return NULL;
}

/* Offsets that delimit the logs: our first AUTH_CHALLENGE sent (its end) and the AUTHENTICATE
 * received last (its start). */
static bool log_bounds(const link_chan_t *ch, size_t *slog_end, size_t *clog_end)
{
    bool have_ac = false, have_auth = false;
    for (size_t i = 0; i < ch->n_recs; i++) {
        const link_rec_t *r = &ch->recs[i];
        if (r->sent && r->cmd == CELL_AUTH_CHALLENGE && !have_ac) {
            *slog_end = r->off + r->len;
            have_ac = true;
        }
        if (!r->sent && r->cmd == CELL_AUTHENTICATE) {
            *clog_end = r->off;
            have_auth = true;
        }
    }
    return have_ac && have_auth;
}

int link_auth_verify(link_chan_t *ch, const relay_identity_t *id, span_t our_cert, span_t body,
                     int64_t now, auth_check_t *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    strcpy(o->mismatch, "none");
    authenticate_t a;
    if (authenticate_parse(body, &a) != WIRE_OK) {
        mismatch(o, "authlen", "the cell does not parse (too short or truncated)");
        return 0;
    }
    o->parsed = true;
    o->type = a.auth_type;
    o->authlen = a.auth_len;
    if (a.auth_type != 3) {
        mismatch(o, "type", "AuthType is not 3 (Ed25519-SHA256-RFC5705)");
        return 0;
    }
    auth3_fields_t f;
    if (auth3_parse(a.auth, &f) != WIRE_OK) {
        mismatch(o, "authlen", "AuthLen is not 352");
        return 0;
    }
    const uint8_t *gotp[AF_COUNT] = { f.cid, f.sid, f.cid_ed, f.sid_ed, f.slog, f.clog,
                                      f.scert, f.tlssecrets, NULL, NULL };
    for (int k = 0; k < AF_RAND; k++)
        memcpy(o->got[k], gotp[k], 32);
    memcpy(o->got[AF_RAND], f.rand, 24);

    if (!id) {
        snprintf(err, errlen, "no identity loaded: verifying AUTHENTICATE needs our keys");
        return -1;
    }
    uint8_t v[32];
    if (link_auth_rsa_id_sha256(id, v) != 0) {
        snprintf(err, errlen, "cannot hash our RSA identity key");
        return -1;
    }
    want(o, AF_SID, v);
    want(o, AF_SID_ED, id->ed_id.pub);
    bool fault;
    certs_verdict_t *cv = initiator_certs(ch, now, &fault);
    if (fault) {
        snprintf(err, errlen, "cannot evaluate the initiator's CERTS (GnuTLS failed)");
        return -1;
    }
    bool have_link_auth = false;
    uint8_t link_auth_key[32];
    if (!cv || !cv->ok)
        mismatch(o, "certs", cv ? cv->first_failure : "no CERTS cell before AUTHENTICATE");
    if (cv) {
        if (cv->have_rsa_id)
            want(o, AF_CID, cv->rsa_id_sha256);
        if (cv->have_ed_id)
            want(o, AF_CID_ED, cv->ed_id);
        if (cv->have_ed_link_auth) {
            have_link_auth = true;
            memcpy(link_auth_key, cv->ed_link_auth, 32);
        }
        free(cv);
    }
    size_t slog_end = 0, clog_end = 0;
    if (!ch->log_overflow && log_bounds(ch, &slog_end, &clog_end)) {
        if (crypto_sha256(span_of(ch->sent_log.buf, slog_end), v) != 0)
            goto digest_failed;
        want(o, AF_SLOG, v);
        if (crypto_sha256(span_of(ch->recv_log.buf, clog_end), v) != 0)
            goto digest_failed;
        want(o, AF_CLOG, v);
    }
    if (our_cert.len) {
        if (crypto_sha256(our_cert, v) != 0)
            goto digest_failed;
        want(o, AF_SCERT, v);
    }
    if (o->have_want[AF_CID] && !ch->tls.plain && ch->tls.established) {
        if (tls_conn_exporter(&ch->tls, AUTH3_EXPORTER_LABEL, span_of(o->want[AF_CID], 32), v,
                              32) != 0) {
            snprintf(err, errlen, "TLS exporter failed");
            return -1;
        }
        want(o, AF_TLSSECRETS, v);
    }
    for (int k = 0; k < AF_RAND; k++) {
        o->field_ok[k] = o->have_want[k] && !memcmp(o->got[k], o->want[k], 32);
        if (!o->field_ok[k])
            mismatch(o, auth_field_name((auth_field_t)k),
                     o->have_want[k] ? "differs from the value this channel implies"
                                     : "its inputs never crossed this channel");
    }
    o->field_ok[AF_RAND] = true; /* any value is right */
    if (have_link_auth) {
        int r = ed25519_verify(link_auth_key, span_of(a.auth.p, AUTH3_SIGNED_LEN), f.sig);
        if (r < 0) {
            snprintf(err, errlen, "Ed25519 verification failed to run");
            return -1;
        }
        o->sig_ok = r == 1;
    }
    o->field_ok[AF_SIG] = o->sig_ok;
    if (!o->sig_ok)
        mismatch(o, "sig", have_link_auth ? "the Ed25519 signature does not verify with "
                 "the type-6 certified key" : "no type-6 certified key to verify it with");
    o->ok = !strcmp(o->mismatch, "none");
    if (o->ok)
        snprintf(o->why, sizeof(o->why), "every field as this channel implies; signature valid");
    return 0;
digest_failed:
    snprintf(err, errlen, "SHA-256 failed");
    return -1;
}
