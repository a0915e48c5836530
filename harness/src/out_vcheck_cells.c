/* out_vcheck_cells.c — checks cells.json and tor-observed.json: each cell framed by the engine
 * at the stated link version, its header and body decoded and compared with "fields"; CERTS
 * entries compared with the certificates they name in certs.json; CERTS chains judged by the
 * engine's verifier (link_certs_verify) at the vector's "now". */
#include "out_vcheck.h"

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

#define CELL_CAP (8u + 65536u)

const char *vc_chain_reason(const char *id)
{
    static const struct { const char *prefix, *reason; } map[] = {
        { "certs.unique.", "duplicate-certificate" },
        { "certs.ed.link-matches-tls", "tls-link-mismatch" },
        { "certs.rsa.link-matches-tls", "tls-link-mismatch" },
        { "certs.ed.signing-cert-not-expired", "expired" },
        { "certs.ed.link-cert-not-expired", "expired" },
        { "certs.ed.auth-cert-not-expired", "expired" },
        { "certs.cross.not-expired", "expired" },
        { "certs.cross.present", "missing-crosscert" },
        { "certs.cross.matches-ed-id", "crosscert-key-mismatch" },
        { "certs.ed.auth-cert-present", "missing-auth-cert" },
        { "certs.ed.link-cert-present", "missing-link-cert" },
        { "certs.ed.signing-cert-signature", "bad-ed-signature" },
        { "certs.ed.link-cert-signature", "bad-ed-signature" },
        { "certs.ed.auth-cert-signature", "bad-ed-signature" },
        { "certs.ed.signing-key-present", "missing-signing-key" },
        { "certs.rsa-id.dates", "x509-dates" },
        { "certs.rsa.link-dates", "x509-dates" },
        { "certs.rsa.auth-dates", "x509-dates" },
    };
    if (!id)
        return "accepted";
    for (size_t i = 0; i < HS_ARRAY_LEN(map); i++)
        if (!strncmp(id, map[i].prefix, strlen(map[i].prefix)))
            return map[i].reason;
    return id; /* no word for it: show the engine's check id */
}

void vc_check_chain(vc_t *c, const jdoc_t *d, const jv_t *chain, span_t body, const char *path)
{
    char p[96];
    const char *role = jv_str(jv_get(d, chain, "role"));
    int64_t now;
    bld_t tls;
    bld_init(&tls, 65536);
    if (!role || (strcmp(role, "responder") && strcmp(role, "initiator"))) {
        snprintf(p, sizeof p, "%s.role", path);
        vc_diff(c, p, "missing, or neither \"responder\" nor \"initiator\"");
    } else if (!jv_int(jv_get(d, chain, "now"), &now)) {
        snprintf(p, sizeof p, "%s.now", path);
        vc_diff(c, p, "missing or not an integer");
    } else if (!strcmp(role, "responder") && !jv_hex(jv_get(d, chain, "tls_cert_der"), &tls)) {
        snprintf(p, sizeof p, "%s.tls_cert_der", path);
        vc_diff(c, p, "a responder chain needs the TLS certificate it is bound to");
    } else {
        certs_cell_t cell;
        certs_verdict_t *v = calloc(1, sizeof *v);
        if (!v) {
            vc_fault(c, "allocation");
        } else if (certs_parse(body, &cell) != WIRE_OK) {
            vc_diff(c, path, "the CERTS body does not parse");
        } else if (certs_verify(&cell, strcmp(role, "responder") ? CERTS_PEER_INITIATOR : CERTS_PEER_RESPONDER,
                                bld_span(&tls), now, v) != 0) {
            vc_fault(c, "CERTS verification");
        } else {
            snprintf(p, sizeof p, "%s.valid", path);
            bool want;
            if (!jv_bool(jv_get(d, chain, "valid"), &want))
                vc_diff(c, p, "missing or not a boolean");
            else if (want != v->ok)
                vc_diff(c, p, "expected %s, got %s%s%s", want ? "true" : "false", v->ok ? "true" : "false",
                        v->ok ? "" : ": ", v->first_failure);
            snprintf(p, sizeof p, "%s.path", path);
            vc_cmp_str(c, d, chain, "path", p, v->ed_path ? "ed25519" : "rsa");
            snprintf(p, sizeof p, "%s.rsa_identity_sha1", path);
            vc_cmp_hex(c, d, chain, "rsa_identity_sha1", p, span_of(v->rsa_id_sha1, v->have_rsa_id ? 20 : 0));
            snprintf(p, sizeof p, "%s.ed25519_identity", path);
            const jv_t *ed = jv_get(d, chain, "ed25519_identity");
            if (ed && ed->kind == JV_NULL) {
                if (v->ed_path && v->have_ed_id)
                    vc_diff(c, p, "expected null, got an Ed25519 identity");
            } else {
                vc_cmp_hex(c, d, chain, "ed25519_identity", p, span_of(v->ed_id, v->have_ed_id ? 32 : 0));
            }
        }
        free(v);
    }
    bld_free(&tls);
}

/* The sha256 that a certs.json vector states for its certificate bytes. */
static bool ref_sha256(const vc_t *c, const char *ref, uint8_t out[32])
{
    const jdoc_t *d = vc_doc(c, "certs");
    const jv_t *v = d ? vc_find(d, ref) : NULL;
    if (!v)
        return false;
    bld_t b;
    bld_init(&b, 65536);
    bool ok = jv_hex(jv_get(d, v, "der"), &b) || jv_hex(jv_get(d, v, "hex"), &b);
    ok = ok && crypto_sha256(bld_span(&b), out) == 0;
    bld_free(&b);
    return ok;
}

static void body_certs(vc_t *c, const jdoc_t *d, const jv_t *v, const jv_t *f, span_t body)
{
    certs_cell_t cell;
    wire_status_t st = certs_parse(body, &cell);
    if (st != WIRE_OK) {
        vc_diff(c, "body", "CERTS does not parse: %s", wire_status_str(st));
        return;
    }
    vc_cmp_int(c, d, f, "n", "fields.n", cell.n_declared);
    vc_cmp_int(c, d, f, "trailing", "fields.trailing", (int64_t)cell.trailing);
    const jv_t *list = jv_get(d, f, "certs");
    if (!list || list->kind != JV_ARR || list->n != cell.n) {
        vc_diff(c, "fields.certs", "expected %u entries, got %zu", list ? list->n : 0u, cell.n);
    } else {
        size_t i = 0;
        for (const jv_t *e = jv_at(d, list, 0); e; e = jv_next(d, e), i++) {
            char p[64];
            uint8_t h[HS_SHA256_LEN];
            snprintf(p, sizeof p, "fields.certs[%zu].type", i);
            vc_cmp_int(c, d, e, "type", p, cell.e[i].type);
            snprintf(p, sizeof p, "fields.certs[%zu].len", i);
            vc_cmp_int(c, d, e, "len", p, (int64_t)cell.e[i].body.len);
            snprintf(p, sizeof p, "fields.certs[%zu].sha256", i);
            if (crypto_sha256(cell.e[i].body, h) != 0) {
                vc_fault(c, "SHA-256");
                continue;
            }
            vc_cmp_hex(c, d, e, "sha256", p, span_of(h, sizeof h));
            const char *ref = jv_str(jv_get(d, e, "ref"));
            uint8_t rh[HS_SHA256_LEN];
            snprintf(p, sizeof p, "fields.certs[%zu].ref", i);
            if (ref && vc_doc(c, "certs")) {
                if (!ref_sha256(c, ref, rh))
                    vc_diff(c, p, "no certificate \"%s\" in certs.json", ref);
                else
                    vc_same(c, p, span_of(rh, sizeof rh), span_of(h, sizeof h));
            }
        }
    }
    const jv_t *chain = jv_get(d, v, "chain");
    if (chain)
        vc_check_chain(c, d, chain, body, "chain");
}

static void addr_cmp(vc_t *c, const jdoc_t *d, const jv_t *o, const char *path, const netinfo_addr_t *a)
{
    static const char *const kinds[] = { "ipv4", "ipv6", "bad-length", "unknown" };
    char p[64];
    if (!o) {
        vc_diff(c, path, "missing");
        return;
    }
    snprintf(p, sizeof p, "%s.atype", path);
    vc_cmp_int(c, d, o, "atype", p, a->atype);
    snprintf(p, sizeof p, "%s.alen", path);
    vc_cmp_int(c, d, o, "alen", p, a->alen);
    snprintf(p, sizeof p, "%s.value", path);
    vc_cmp_hex(c, d, o, "value", p, span_of(a->val, a->alen));
    snprintf(p, sizeof p, "%s.kind", path);
    vc_cmp_str(c, d, o, "kind", p, kinds[netinfo_addr_kind(a)]);
}

static void body_netinfo(vc_t *c, const jdoc_t *d, const jv_t *f, span_t body)
{
    netinfo_cell_t *n = calloc(1, sizeof *n);
    if (!n) {
        vc_fault(c, "allocation");
        return;
    }
    wire_status_t st = netinfo_parse(body, n);
    if (st != WIRE_OK) {
        vc_diff(c, "body", "NETINFO does not parse: %s", wire_status_str(st));
    } else {
        vc_cmp_int(c, d, f, "time", "fields.time", n->time);
        addr_cmp(c, d, jv_get(d, f, "other"), "fields.other", &n->other);
        const jv_t *my = jv_get(d, f, "my");
        if (!my || my->kind != JV_ARR || my->n != n->n_my) {
            vc_diff(c, "fields.my", "expected %u addresses, got %u", my ? my->n : 0u, n->n_my);
        } else {
            size_t i = 0;
            for (const jv_t *a = jv_at(d, my, 0); a && i < n->n_kept; a = jv_next(d, a), i++) {
                char p[32];
                snprintf(p, sizeof p, "fields.my[%zu]", i);
                addr_cmp(c, d, a, p, &n->my[i]);
            }
        }
        vc_cmp_int(c, d, f, "encoded_len", "fields.encoded_len", (int64_t)(body.len - n->trailing));
        if (n->trailing_nonzero)
            vc_diff(c, "body", "the bytes after the last address are not all zero");
    }
    free(n);
}

static void body_fields(vc_t *c, const jdoc_t *d, const jv_t *v, const cell_t *cell)
{
    const jv_t *f = jv_get(d, v, "fields");
    if (!f || f->kind != JV_OBJ) {
        vc_diff(c, "fields", "missing or not an object");
        return;
    }
    switch (cell->cmd) {
    case CELL_VERSIONS: {
        versions_cell_t vs;
        wire_status_t st = versions_parse(cell->body, &vs);
        const jv_t *want = jv_get(d, f, "versions");
        if (st != WIRE_OK) {
            vc_diff(c, "body", "VERSIONS does not parse: %s", wire_status_str(st));
        } else if (!want || want->kind != JV_ARR || want->n != vs.n) {
            vc_diff(c, "fields.versions", "expected %u versions, got %zu", want ? want->n : 0u, vs.n);
        } else {
            size_t i = 0;
            for (const jv_t *x = jv_at(d, want, 0); x; x = jv_next(d, x), i++) {
                char p[48];
                snprintf(p, sizeof p, "fields.versions[%zu]", i);
                int64_t w;
                if (!jv_int(x, &w))
                    vc_diff(c, p, "not an integer (got %u)", vs.v[i]);
                else if (w != vs.v[i])
                    vc_diff(c, p, "expected %lld, got %u", (long long)w, vs.v[i]);
            }
        }
        break;
    }
    case CELL_CERTS:
        body_certs(c, d, v, f, cell->body);
        break;
    case CELL_AUTH_CHALLENGE: {
        auth_challenge_t ac;
        wire_status_t st = auth_challenge_parse(cell->body, &ac);
        const jv_t *m = jv_get(d, f, "methods");
        if (st != WIRE_OK) {
            vc_diff(c, "body", "AUTH_CHALLENGE does not parse: %s", wire_status_str(st));
            break;
        }
        vc_cmp_hex(c, d, f, "challenge", "fields.challenge", span_of(ac.challenge, 32));
        vc_cmp_int(c, d, f, "trailing", "fields.trailing", (int64_t)ac.trailing);
        if (!m || m->kind != JV_ARR || m->n != ac.n_methods) {
            vc_diff(c, "fields.methods", "expected %u methods, got %u", m ? m->n : 0u, ac.n_methods);
            break;
        }
        size_t i = 0;
        for (const jv_t *x = jv_at(d, m, 0); x; x = jv_next(d, x), i++) {
            int64_t w;
            char p[48];
            snprintf(p, sizeof p, "fields.methods[%zu]", i);
            if (!jv_int(x, &w))
                vc_diff(c, p, "not an integer (got %u)", ac.methods[i]);
            else if (w != ac.methods[i])
                vc_diff(c, p, "expected %lld, got %u", (long long)w, ac.methods[i]);
        }
        break;
    }
    case CELL_NETINFO:
        body_netinfo(c, d, f, cell->body);
        break;
    case CELL_PADDING:
    case CELL_VPADDING:
        vc_cmp_hex(c, d, f, "body", "fields.body", cell->body);
        break;
    default:
        vc_diff(c, "cmd", "no field rules for command %u", cell->cmd);
    }
}

void vc_check_cells(vc_t *c, const vc_doc_t *doc)
{
    const jdoc_t *d = &doc->doc;
    const jv_t *vs = jv_get(d, jdoc_root(d), "vectors");
    for (const jv_t *v = jv_at(d, vs, 0); v; v = jv_next(d, v)) {
        vc_begin(c, doc->file, jv_str(jv_get(d, v, "id")));
        bld_t b;
        bld_init(&b, CELL_CAP);
        int64_t link;
        if (vc_hex(c, d, v, "hex", &b) && vc_int(c, d, v, "link_version", &link)) {
            cell_t cell;
            size_t used = 0;
            wire_status_t st = link >= 0 && link <= 0xffff
                                   ? cell_frame(bld_span(&b), (uint16_t)link, &cell, &used)
                                   : WIRE_BAD_VALUE;
            if (st != WIRE_OK) {
                vc_diff(c, "hex", "does not frame as a cell at link version %lld: %s", (long long)link,
                        wire_status_str(st));
            } else {
                if (used != b.len)
                    vc_diff(c, "hex", "%zu bytes after the cell", b.len - used);
                vc_cmp_int(c, d, v, "cmd", "cmd", cell.cmd);
                vc_cmp_str(c, d, v, "command", "command", cell_cmd_name(cell.cmd));
                vc_cmp_int(c, d, v, "circ_width", "circ_width", cell.circ_width);
                vc_cmp_int(c, d, v, "circ_id", "circ_id", cell.circ_id);
                vc_cmp_bool(c, d, v, "var", "var", cell.var);
                vc_cmp_int(c, d, v, "body_len", "body_len", (int64_t)cell.body.len);
                body_fields(c, d, v, &cell);
            }
        }
        bld_free(&b);
        vc_end(c);
    }
}
