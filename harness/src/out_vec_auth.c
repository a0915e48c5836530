/* out_vec_auth.c — authenticate.json: the AUTHENTICATE cells of the authenticated transcripts
 * in handshake.json, field by field.  Type 3 with a fixed exporter output, type 1 with fixed
 * TLS randoms and master secret.
 *
 * "inputs" are what each field is computed from (keys from the identities, byte counts of the
 * transcript streams, the fixed TLS inputs); "fields" are what the engine's authenticator
 * (link_auth) computed from its channel.  A checker recomputes the second from the first. */
#include "out_vec_hs.h"

#include "crypto_digest.h"
#include "wire_auth.h"

#include <stdio.h>
#include <string.h>

static void log_input(json_out_t *j, const char *key, const char *transcript, const char *stream,
                      size_t len)
{
    json_obj_begin(j, key);
    json_str(j, "transcript", transcript);
    json_str(j, "stream", stream);
    json_int(j, "len", (int64_t)len);
    json_obj_end(j);
}

static int auth_vector(vec_ctx_t *ctx, json_out_t *j, const vec_hs_t *hs)
{
    const vec_hs_def_t *d = hs->def;
    const auth_claim_t *c = &hs->claim;
    const bool t3 = d->auth_type == 3;
    const vec_hs_cell_t *cell = NULL;
    for (size_t i = 0; i < hs->n_cells; i++)
        if (hs->cells[i].from_initiator && hs->cells[i].cmd == CELL_AUTHENTICATE)
            cell = &hs->cells[i];
    const size_t signed_len = t3 ? AUTH3_SIGNED_LEN : AUTH1_SIGNED_LEN;
    if (!cell || hs->auth.len <= signed_len) {
        snprintf(ctx->err, sizeof ctx->err, "authenticate/%s: no AUTHENTICATE in the transcript", d->id);
        return -1;
    }
    char id[80], label[128];
    snprintf(id, sizeof id, "authenticate-%s", d->id);
    json_obj_begin(j, NULL);
    json_str(j, "id", id);
    json_int(j, "auth_type", d->auth_type);
    json_str(j, "transcript", d->id);
    json_str(j, "desc", t3 ? "type 3, Ed25519-SHA256-RFC5705, as tor 0.4.9 requires it"
                           : "type 1, RSA-SHA256-TLSSecret: historical (tor 0.4.9 rejects it)");
    json_obj_begin(j, "inputs");
    vec_hex_bld(j, "initiator_rsa_identity_pkcs1", &ctx->a.rsa_id_der);
    vec_hex_bld(j, "responder_rsa_identity_pkcs1", &ctx->b.rsa_id_der);
    if (t3) {
        json_hex(j, "initiator_ed25519_identity", ctx->a.id.ed_id.pub, 32);
        json_hex(j, "responder_ed25519_identity", ctx->b.id.ed_id.pub, 32);
    }
    log_input(j, "slog_over", d->id, "responder", hs->slog_len);
    log_input(j, "clog_over", d->id, "initiator", hs->clog_len);
    vec_hex_bld(j, "tls_server_cert_der", &ctx->b.cert[1]);
    if (t3) {
        json_obj_begin(j, "exporter");
        json_str(j, "label", VEC_AUTH3_EXPORTER_LABEL);
        json_str(j, "context", "cid");
        json_int(j, "length", 32);
        json_hex(j, "output", hs->exporter, 32);
        json_obj_end(j);
    } else {
        json_hex(j, "client_random", hs->client_random, 32);
        json_hex(j, "server_random", hs->server_random, 32);
        json_hex(j, "master_secret", hs->master_secret, 48);
        json_hex(j, "hmac_suffix", (const uint8_t *)VEC_AUTH1_LABEL, sizeof VEC_AUTH1_LABEL);
    }
    vec_hs_label(d, "rand", label, sizeof label);
    json_str(j, "rand_drbg_label", label);
    if (t3)
        json_hex(j, "signing_key", ctx->a.id.ed_link_auth.pub, 32);
    else
        vec_hex_bld(j, "signing_key_pkcs1", &ctx->a.rsa_auth_der);
    json_obj_end(j);

    json_obj_begin(j, "fields");
    json_str(j, "type", t3 ? "AUTH0003" : "AUTH0001");
    for (int f = 0; f < AF_COUNT; f++)
        if (c->len[f])
            json_hex(j, auth_field_name((auth_field_t)f), c->val[f], c->len[f]);
    json_obj_end(j);
    json_int(j, "signed_len", (int64_t)signed_len);
    json_hex(j, "signed_part", hs->auth.buf, signed_len);
    if (!t3) {
        uint8_t dg[HS_SHA256_LEN];
        if (crypto_sha256(span_of(hs->auth.buf, signed_len), dg) != 0)
            return -1;
        json_hex(j, "signed_digest", dg, sizeof dg);
    }
    json_int(j, "auth_len", (int64_t)hs->auth.len);
    vec_hex_bld(j, "authentication", &hs->auth);
    json_obj_begin(j, "cell");
    json_int(j, "link_version", hs->link);
    json_int(j, "circ_width", cell->circ_width);
    json_int(j, "offset", (int64_t)cell->off);
    json_hex(j, "hex", hs->ibytes.buf + cell->off, cell->len);
    json_obj_end(j);
    json_obj_end(j);
    return 0;
}

int vec_write_authenticate(vec_ctx_t *ctx, FILE *f)
{
    json_out_t j;
    json_init_pretty(&j, f);
    vec_header(&j, ctx, "authenticate",
               "AUTHENTICATE type 3 (fixed exporter output) and type 1 (fixed TLS randoms and master "
               "secret): every field, what it is computed from, the signed bytes and the signature");
    json_arr_begin(&j, "vectors");
    size_t n;
    const vec_hs_def_t *defs = vec_hs_defs(&n);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!defs[i].auth_type)
            continue;
        vec_hs_t hs;
        rc = vec_hs_run(ctx, &defs[i], &hs);
        if (rc == 0)
            rc = auth_vector(ctx, &j, &hs);
        vec_hs_free(&hs);
    }
    json_arr_end(&j);
    json_obj_end(&j);
    return rc;
}
