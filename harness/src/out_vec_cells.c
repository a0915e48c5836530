/* out_vec_cells.c — cells.json: one vector per framed cell — VERSIONS for several version
 * lists, CERTS with each certificate type and ordering, AUTH_CHALLENGE, NETINFO with IPv4,
 * IPv6 and unknown address types, PADDING and VPADDING — at both circ-id widths.
 *
 * Every cell is built by the engine's own wire_ builders from the inputs written beside it
 * ("fields"); a checker frames the hex at the stated link version, decodes the body and
 * compares.  CERTS vectors also say what a verifier must conclude about the chain ("chain"),
 * and the generator refuses to write one the engine's own verifier disagrees with. */
#include "out_vec.h"

#include "crypto_digest.h"
#include "link_certs_verify.h"
#include "wire_auth.h"
#include "wire_cell.h"
#include "wire_certs.h"
#include "wire_netinfo.h"
#include "wire_versions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Opens a cell vector: builds the cell at the width link_version implies and writes the
 * members every cell vector has.  The caller writes "fields" (and "chain"), then cell_end. */
static int cell_begin(vec_ctx_t *ctx, json_out_t *j, bld_t *cell, const char *id, uint8_t cmd,
                      const char *desc, uint16_t link, uint32_t circ_id, span_t body)
{
    unsigned w = cell_circ_width(link);
    bool var = cell_cmd_is_var(link, cmd);
    bld_init(cell, 7 + VEC_BODY_CAP);
    if (var)
        cell_build_var(cell, w, circ_id, cmd, body);
    else
        cell_build_fixed(cell, w, circ_id, cmd, body);
    if (!bld_ok(cell)) {
        snprintf(ctx->err, sizeof ctx->err, "cells/%s: cannot build: %s", id, cell->why);
        bld_free(cell);
        return -1;
    }
    json_obj_begin(j, NULL);
    json_str(j, "id", id);
    json_str(j, "command", cell_cmd_name(cmd));
    json_int(j, "cmd", cmd);
    json_str(j, "desc", desc);
    json_int(j, "link_version", link);
    json_int(j, "circ_width", w);
    json_int(j, "circ_id", circ_id);
    json_bool(j, "var", var);
    json_int(j, "body_len", var ? (int64_t)body.len : CELL_BODY_LEN);
    return 0;
}

static void cell_end(json_out_t *j, bld_t *cell)
{
    vec_hex_bld(j, "hex", cell);
    json_obj_end(j);
    bld_free(cell);
}

/* ---- VERSIONS ------------------------------------------------------------------------------ */

static int versions(vec_ctx_t *ctx, json_out_t *j, const char *id, const char *desc, uint16_t link,
                    const uint16_t *v, size_t n)
{
    bld_t body, cell;
    bld_init(&body, 256);
    versions_build(&body, v, n);
    int rc = bld_ok(&body) ? cell_begin(ctx, j, &cell, id, CELL_VERSIONS, desc, link, 0, bld_span(&body)) : -1;
    if (rc == 0) {
        json_obj_begin(j, "fields");
        json_arr_begin_inline(j, "versions");
        for (size_t i = 0; i < n; i++)
            json_int(j, NULL, v[i]);
        json_arr_end(j);
        json_obj_end(j);
        cell_end(j, &cell);
    }
    bld_free(&body);
    return rc;
}

static int versions_vectors(vec_ctx_t *ctx, json_out_t *j)
{
    static const uint16_t v345[] = { 3, 4, 5 }, v3[] = { 3 }, v4[] = { 4 }, v12[] = { 1, 2 },
                          vhigh[] = { 6, 7, 65535 };
    int rc = versions(ctx, j, "versions-345-w2",
                      "tor's VERSIONS (both roles) as the first cell: 2-byte circ id", 0, v345, 3);
    rc = rc ? rc : versions(ctx, j, "versions-3-w2", "only link 3 (2-byte circ ids after it)", 0, v3, 1);
    rc = rc ? rc : versions(ctx, j, "versions-4-w2", "only link 4", 0, v4, 1);
    rc = rc ? rc : versions(ctx, j, "versions-12-w2",
                            "only the removed versions 1 and 2: no version in common with tor", 0, v12, 2);
    rc = rc ? rc : versions(ctx, j, "versions-empty-w2", "an empty list: no version in common", 0, NULL, 0);
    rc = rc ? rc : versions(ctx, j, "versions-high-w2", "only versions nobody speaks (6, 7, 65535)", 0, vhigh, 3);
    rc = rc ? rc : versions(ctx, j, "versions-345-w4",
                            "a later VERSIONS on a link-5 channel: 4-byte circ id (tor ignores it)", 5,
                            v345, 3);
    return rc;
}

/* ---- CERTS ----------------------------------------------------------------------------------- */

typedef struct certs_def {
    const char *id;
    const char *desc;
    const vec_ident_t *v;
    uint16_t link;
    int types[8];
    size_t n;
    bool unknown_extra; /* append type 9 (3 bytes) and type 200 (empty): ignored entries */
    size_t trailing;    /* bytes after the last certificate (ignored) */
    certs_peer_role_t role;
} certs_def_t;

static const char *cert_ref_role(int type)
{
    static const char *const r[] = { NULL, "x509-link", "x509-id", "x509-auth", "ed-type4",
                                     "ed-type5", "ed-type6", "crosscert" };
    return type >= 1 && type <= 7 ? r[type] : NULL;
}

static int certs_vector(vec_ctx_t *ctx, json_out_t *j, const certs_def_t *d)
{
    static const uint8_t extra9[3] = { 0x01, 0x02, 0x03 };
    static const uint8_t trail[16] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
                                       0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };
    certs_entry_t e[12];
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        e[n++] = (certs_entry_t){ (uint8_t)d->types[i], bld_span(&d->v->cert[d->types[i]]) };
    if (d->unknown_extra) {
        e[n++] = (certs_entry_t){ 9, span_of(extra9, sizeof extra9) };
        e[n++] = (certs_entry_t){ 200, span_of(NULL, 0) };
    }
    bld_t body, cell;
    bld_init(&body, VEC_BODY_CAP);
    certs_build(&body, e, n);
    bld_bytes(&body, trail, d->trailing < sizeof trail ? d->trailing : sizeof trail);
    if (!bld_ok(&body)) {
        bld_free(&body);
        return -1;
    }
    /* The engine's verifier must agree with the verdict this vector states. */
    span_t tls = d->role == CERTS_PEER_RESPONDER ? bld_span(&d->v->cert[1]) : span_of(NULL, 0);
    certs_cell_t parsed;
    certs_verdict_t *verdict = calloc(1, sizeof *verdict);
    int rc = verdict && certs_parse(bld_span(&body), &parsed) == WIRE_OK &&
                     certs_verify(&parsed, d->role, tls, ctx->now, verdict) == 0 && verdict->ok
                 ? 0
                 : -1;
    if (rc != 0)
        snprintf(ctx->err, sizeof ctx->err, "cells/%s: the engine does not accept the chain%s%s",
                 d->id, verdict && verdict->first_failure[0] ? ": " : "",
                 verdict ? verdict->first_failure : "");
    bool ed_path = verdict && verdict->ed_path;
    free(verdict);
    if (rc == 0)
        rc = cell_begin(ctx, j, &cell, d->id, CELL_CERTS, d->desc, d->link, 0, bld_span(&body));
    if (rc == 0) {
        json_obj_begin(j, "fields");
        json_int(j, "n", (int64_t)n);
        json_arr_begin(j, "certs");
        for (size_t i = 0; rc == 0 && i < n; i++) {
            json_obj_begin(j, NULL);
            json_int(j, "type", e[i].type);
            json_int(j, "len", (int64_t)e[i].body.len);
            rc = vec_sha256_member(j, "sha256", e[i].body);
            const char *role = cert_ref_role(e[i].type);
            if (role) {
                char ref[64];
                snprintf(ref, sizeof ref, "%s-%s", role, d->v->name);
                json_str(j, "ref", ref);
            } else {
                json_null(j, "ref");
            }
            json_obj_end(j);
        }
        json_arr_end(j);
        json_int(j, "trailing", (int64_t)d->trailing);
        json_obj_end(j);
        json_obj_begin(j, "chain");
        json_str(j, "role", d->role == CERTS_PEER_RESPONDER ? "responder" : "initiator");
        json_int(j, "now", ctx->now);
        if (d->role == CERTS_PEER_RESPONDER)
            vec_hex_span(j, "tls_cert_der", tls);
        json_bool(j, "valid", true);
        json_str(j, "path", ed_path ? "ed25519" : "rsa");
        json_hex(j, "rsa_identity_sha1", d->v->rsa_id_sha1, 20);
        if (ed_path)
            json_hex(j, "ed25519_identity", d->v->id.ed_id.pub, 32);
        else
            json_null(j, "ed25519_identity");
        json_obj_end(j);
        cell_end(j, &cell);
    }
    bld_free(&body);
    return rc;
}

static int certs_vectors(vec_ctx_t *ctx, json_out_t *j)
{
    const vec_ident_t *a = &ctx->a, *b = &ctx->b;
    const certs_def_t defs[] = {
        { "certs-responder-w4", "a responder's CERTS as tor sends it: types 1, 2, 4, 5, 7 in that "
          "order (harness-b)", b, 5, { 1, 2, 4, 5, 7 }, 5, false, 0, CERTS_PEER_RESPONDER },
        { "certs-responder-w2", "the same CERTS on a link-3 channel: 2-byte circ id", b, 3,
          { 1, 2, 4, 5, 7 }, 5, false, 0, CERTS_PEER_RESPONDER },
        { "certs-initiator-w4", "an authenticating initiator's CERTS as a tor relay sends it: "
          "types 3, 2, 4, 6, 7 (harness-a)", a, 5, { 3, 2, 4, 6, 7 }, 5, false, 0, CERTS_PEER_INITIATOR },
        { "certs-initiator-short-w4", "an authenticating initiator's CERTS without the obsolete "
          "type 3: types 2, 4, 6, 7", a, 5, { 2, 4, 6, 7 }, 4, false, 0, CERTS_PEER_INITIATOR },
        { "certs-responder-rsa-only-w4", "a responder's legacy RSA-only CERTS: types 1, 2 (no "
          "Ed25519 identity proven)", b, 5, { 1, 2 }, 2, false, 0, CERTS_PEER_RESPONDER },
        { "certs-initiator-rsa-only-w2", "an RSA-only initiator's CERTS (the AUTH0001 era): "
          "types 3, 2 on a link-3 channel", a, 3, { 3, 2 }, 2, false, 0, CERTS_PEER_INITIATOR },
        { "certs-responder-reordered-w4", "the responder's certificates in reverse order (7, 5, "
          "4, 2, 1): the order is not mandated", b, 5, { 7, 5, 4, 2, 1 }, 5, false, 0,
          CERTS_PEER_RESPONDER },
        { "certs-responder-unknown-types-w4", "types 1, 2, 4, 5, 7 plus unknown types 9 (3 "
          "bytes) and 200 (empty): unknown types are ignored", b, 5, { 1, 2, 4, 5, 7 }, 5, true,
          0, CERTS_PEER_RESPONDER },
        { "certs-responder-trailing-w4", "types 1, 2, 4, 5, 7 followed by 10 bytes after the "
          "last certificate: ignored", b, 5, { 1, 2, 4, 5, 7 }, 5, false, 10, CERTS_PEER_RESPONDER },
    };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < HS_ARRAY_LEN(defs); i++)
        rc = certs_vector(ctx, j, &defs[i]);
    return rc;
}

/* ---- AUTH_CHALLENGE ---------------------------------------------------------------------------- */

static int challenge(vec_ctx_t *ctx, json_out_t *j, const char *id, const char *desc, uint16_t link,
                     const uint16_t *m, size_t n, size_t trailing)
{
    static const uint8_t trail[4] = { 0xff, 0xff, 0xff, 0xff };
    char label[128];
    uint8_t ch[32];
    snprintf(label, sizeof label, "vectors/cells/%s/challenge", id);
    if (vec_draw(ctx, label, ch, sizeof ch) != 0)
        return -1;
    bld_t body, cell;
    bld_init(&body, 256);
    auth_challenge_build(&body, ch, m, n);
    bld_bytes(&body, trail, trailing < sizeof trail ? trailing : sizeof trail);
    int rc = bld_ok(&body) ? cell_begin(ctx, j, &cell, id, CELL_AUTH_CHALLENGE, desc, link, 0, bld_span(&body)) : -1;
    if (rc == 0) {
        json_obj_begin(j, "fields");
        json_hex(j, "challenge", ch, sizeof ch);
        json_arr_begin_inline(j, "methods");
        for (size_t i = 0; i < n; i++)
            json_int(j, NULL, m[i]);
        json_arr_end(j);
        json_int(j, "trailing", (int64_t)trailing);
        json_obj_end(j);
        json_str(j, "drbg_label", label);
        cell_end(j, &cell);
    }
    bld_free(&body);
    return rc;
}

static int challenge_vectors(vec_ctx_t *ctx, json_out_t *j)
{
    static const uint16_t m3[] = { 3 }, m13[] = { 1, 3 };
    int rc = challenge(ctx, j, "auth-challenge-w4", "AUTH_CHALLENGE as tor sends it: 32 random "
                       "bytes, one method (3, Ed25519-SHA256-RFC5705); 36-byte body", 5, m3, 1, 0);
    rc = rc ? rc : challenge(ctx, j, "auth-challenge-1-3-w4", "methods 1 and 3 (what tor 0.4.8 "
                             "offered)", 5, m13, 2, 0);
    rc = rc ? rc : challenge(ctx, j, "auth-challenge-w2", "AUTH_CHALLENGE on a link-3 channel", 3, m3, 1, 0);
    rc = rc ? rc : challenge(ctx, j, "auth-challenge-trailing-w4", "one method followed by 4 "
                             "bytes after the list: ignored", 5, m3, 1, 4);
    return rc;
}

/* ---- NETINFO ------------------------------------------------------------------------------------ */

static void addr(netinfo_addr_t *a, uint8_t atype, const char *bytes, size_t n)
{
    memset(a, 0, sizeof *a);
    a->atype = atype;
    a->alen = (uint8_t)n;
    memcpy(a->val, bytes, n);
}

static const char *addr_kind(const netinfo_addr_t *a)
{
    switch (netinfo_addr_kind(a)) {
    case NETINFO_ADDR_IPV4: return "ipv4";
    case NETINFO_ADDR_IPV6: return "ipv6";
    case NETINFO_ADDR_BAD_LEN: return "bad-length";
    case NETINFO_ADDR_UNKNOWN: return "unknown";
    }
    return "?";
}

static void addr_member(json_out_t *j, const char *key, const netinfo_addr_t *a)
{
    json_obj_begin(j, key);
    json_int(j, "atype", a->atype);
    json_int(j, "alen", a->alen);
    json_hex(j, "value", a->val, a->alen);
    json_str(j, "kind", addr_kind(a));
    json_obj_end(j);
}

static int netinfo(vec_ctx_t *ctx, json_out_t *j, const char *id, const char *desc, uint16_t link,
                   uint32_t time, const netinfo_addr_t *other, const netinfo_addr_t *my, size_t n)
{
    bld_t body, cell;
    bld_init(&body, CELL_BODY_LEN);
    netinfo_build(&body, time, other, my, n);
    int rc = bld_ok(&body) ? cell_begin(ctx, j, &cell, id, CELL_NETINFO, desc, link, 0, bld_span(&body)) : -1;
    if (rc == 0) {
        json_obj_begin(j, "fields");
        json_int(j, "time", time);
        addr_member(j, "other", other);
        json_arr_begin(j, "my");
        for (size_t i = 0; i < n; i++)
            addr_member(j, NULL, &my[i]);
        json_arr_end(j);
        json_int(j, "encoded_len", (int64_t)body.len);
        json_obj_end(j);
        cell_end(j, &cell);
    }
    bld_free(&body);
    return rc;
}

static int netinfo_vectors(vec_ctx_t *ctx, json_out_t *j)
{
    /* Documentation addresses (RFC 5737, RFC 3849): they mean nothing on any network. */
    netinfo_addr_t v4a, v4b, v6a, v6b, unk, my[3];
    addr(&v4a, NETINFO_ATYPE_IPV4, "\xc0\x00\x02\x01", 4);
    addr(&v4b, NETINFO_ATYPE_IPV4, "\xc0\x00\x02\x02", 4);
    addr(&v6a, NETINFO_ATYPE_IPV6, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    addr(&v6b, NETINFO_ATYPE_IPV6, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
    addr(&unk, 9, "\x0a\x0b\x0c", 3);
    const uint32_t now = (uint32_t)ctx->now;
    int rc = netinfo(ctx, j, "netinfo-relay-w4", "a relay's NETINFO: its clock, the peer's IPv4 "
                     "address, its own IPv4 address", 5, now, &v4a, &v4b, 1);
    rc = rc ? rc : netinfo(ctx, j, "netinfo-client-w4", "a client's NETINFO: TIME 0, the peer's "
                           "address, no addresses of its own", 5, 0, &v4b, NULL, 0);
    my[0] = v4b;
    my[1] = v6b;
    rc = rc ? rc : netinfo(ctx, j, "netinfo-ipv6-w4", "IPv6 OTHERADDR; own addresses IPv4 and "
                           "IPv6", 5, now, &v6a, my, 2);
    my[0] = unk;
    my[1] = v4b;
    rc = rc ? rc : netinfo(ctx, j, "netinfo-unknown-my-w4", "an own address of unknown type 9 "
                           "(3 bytes) before an IPv4 one: the spec and tor skip it", 5, now, &v4a, my, 2);
    rc = rc ? rc : netinfo(ctx, j, "netinfo-unknown-other-w4", "OTHERADDR of unknown type 9: the "
                           "spec says ignore it (tor 0.4.9 closes the connection)", 5, now, &unk, &v4b, 1);
    rc = rc ? rc : netinfo(ctx, j, "netinfo-relay-w2", "a relay's NETINFO on a link-3 channel: "
                           "512 bytes", 3, now, &v4a, &v4b, 1);
    return rc;
}

/* ---- PADDING, VPADDING ---------------------------------------------------------------------- */

static int padding(vec_ctx_t *ctx, json_out_t *j, const char *id, const char *desc, uint8_t cmd,
                   uint16_t link, size_t n_random, bool zeros)
{
    uint8_t body[CELL_BODY_LEN] = { 0 };
    char label[128];
    snprintf(label, sizeof label, "vectors/cells/%s/body", id);
    size_t len = zeros ? CELL_BODY_LEN : n_random;
    if (!zeros && n_random && vec_draw(ctx, label, body, n_random) != 0)
        return -1;
    bld_t cell;
    if (cell_begin(ctx, j, &cell, id, cmd, desc, link, 0, span_of(body, len)) != 0)
        return -1;
    json_obj_begin(j, "fields");
    json_hex(j, "body", body, cmd == CELL_PADDING ? CELL_BODY_LEN : len);
    json_obj_end(j);
    if (!zeros && n_random)
        json_str(j, "drbg_label", label);
    cell_end(j, &cell);
    return 0;
}

static int padding_vectors(vec_ctx_t *ctx, json_out_t *j)
{
    int rc = padding(ctx, j, "padding-w4", "PADDING (fixed, cmd 0) with an all-zero body, as tor's "
                     "keepalive", CELL_PADDING, 5, 0, true);
    rc = rc ? rc : padding(ctx, j, "padding-random-w2", "PADDING with a random body (ignored by "
                           "the receiver) on a link-3 channel", CELL_PADDING, 3, CELL_BODY_LEN, false);
    rc = rc ? rc : padding(ctx, j, "vpadding-empty-w2", "VPADDING with an empty body: allowed "
                           "as the very first cell (2-byte circ id)", CELL_VPADDING, 0, 0, false);
    rc = rc ? rc : padding(ctx, j, "vpadding-w4", "VPADDING with 16 random bytes on a link-5 "
                           "channel", CELL_VPADDING, 5, 16, false);
    return rc;
}

int vec_write_cells(vec_ctx_t *ctx, FILE *f)
{
    json_out_t j;
    json_init_pretty(&j, f);
    vec_header(&j, ctx, "cells",
               "framed cells: VERSIONS, CERTS, AUTH_CHALLENGE, NETINFO, PADDING, VPADDING at both "
               "circ-id widths, each with the fields it was built from");
    json_arr_begin(&j, "vectors");
    int rc = versions_vectors(ctx, &j);
    rc = rc ? rc : certs_vectors(ctx, &j);
    rc = rc ? rc : challenge_vectors(ctx, &j);
    rc = rc ? rc : netinfo_vectors(ctx, &j);
    rc = rc ? rc : padding_vectors(ctx, &j);
    json_arr_end(&j);
    json_obj_end(&j);
    if (rc != 0 && !ctx->err[0])
        snprintf(ctx->err, sizeof ctx->err, "cells: cannot build a vector");
    return rc;
}
