/* out_vcheck_handshake.c — checks handshake.json and authenticate.json.
 *
 * A transcript is rebuilt from its cells: each cell framed at the width its sender must use at
 * that point (2-byte circ ids up to and including the sender's VERSIONS, the link's width
 * after), appended to its sender's stream at the stated offset; the streams' digests, the link
 * version the two VERSIONS lists imply, both CERTS chains, and SLOG/CLOG with the byte ranges
 * they must cover (the responder's bytes through its first AUTH_CHALLENGE; the initiator's
 * bytes before AUTHENTICATE) are recomputed.  An AUTHENTICATE vector is then recomputed field by
 * field from its inputs and its transcript, and its signature verified. */
#include "out_vcheck.h"

#include "crypto_digest.h"
#include "crypto_ed25519.h"
#include "crypto_rsa.h"
#include "link_certs_verify.h"
#include "out_vec_hs.h"
#include "wire_auth.h"
#include "wire_cell.h"
#include "wire_certs.h"
#include "wire_versions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct hs_view {
    int64_t link;
    bld_t is, rs;         /* the initiator's and the responder's streams */
    bld_t icerts, rcerts; /* CERTS bodies */
    bool have_icerts, have_rcerts;
    size_t slog_len;      /* end of the responder's first AUTH_CHALLENGE; 0 if none */
    size_t clog_len;      /* offset of the initiator's AUTHENTICATE */
    bool have_ac, have_auth;
    bld_t ivers, rvers;   /* VERSIONS bodies */
} hs_view_t;

static void view_init(hs_view_t *h)
{
    memset(h, 0, sizeof *h);
    bld_init(&h->is, HS_CAP_TRANSCRIPT);
    bld_init(&h->rs, HS_CAP_TRANSCRIPT);
    bld_init(&h->icerts, 65536);
    bld_init(&h->rcerts, 65536);
    bld_init(&h->ivers, 1024);
    bld_init(&h->rvers, 1024);
}

static void view_free(hs_view_t *h)
{
    bld_free(&h->is);
    bld_free(&h->rs);
    bld_free(&h->icerts);
    bld_free(&h->rcerts);
    bld_free(&h->ivers);
    bld_free(&h->rvers);
}

/* Rebuilds a transcript; reports what is wrong through c.  false if it cannot be rebuilt. */
static bool view_build(vc_t *c, const jdoc_t *d, const jv_t *v, hs_view_t *h)
{
    if (!vc_int(c, d, v, "link_version", &h->link) || h->link < 0 || h->link > 0xffff)
        return false;
    const jv_t *cells = jv_get(d, v, "cells");
    if (!cells || cells->kind != JV_ARR) {
        vc_diff(c, "cells", "missing or not an array");
        return false;
    }
    bool sent_versions[2] = { false, false }; /* [0] initiator, [1] responder */
    bool ok = true;
    size_t i = 0;
    bld_t b;
    bld_init(&b, 8 + 65536);
    for (const jv_t *x = jv_at(d, cells, 0); x; x = jv_next(d, x), i++) {
        char p[64];
        const char *from = jv_str(jv_get(d, x, "from"));
        bld_reset(&b);
        snprintf(p, sizeof p, "cells[%zu]", i);
        if (!from || (strcmp(from, "initiator") && strcmp(from, "responder")) ||
            !jv_hex(jv_get(d, x, "hex"), &b)) {
            vc_diff(c, p, "needs \"from\" (initiator or responder) and \"hex\"");
            ok = false;
            continue;
        }
        const int side = strcmp(from, "initiator") ? 1 : 0;
        bld_t *stream = side ? &h->rs : &h->is;
        /* Before its own VERSIONS is out, a side frames with 2-byte circ ids (link "0"). */
        uint16_t frame_link = sent_versions[side] ? (uint16_t)h->link : 0;
        cell_t cell;
        size_t used = 0;
        wire_status_t st = cell_frame(bld_span(&b), frame_link, &cell, &used);
        if (st != WIRE_OK || used != b.len) {
            vc_diff(c, p, "does not frame as one cell at link %u: %s", frame_link,
                    st != WIRE_OK ? wire_status_str(st) : "bytes left over");
            ok = false;
            continue;
        }
        snprintf(p, sizeof p, "cells[%zu].offset", i);
        vc_cmp_int(c, d, x, "offset", p, (int64_t)stream->len);
        snprintf(p, sizeof p, "cells[%zu].len", i);
        vc_cmp_int(c, d, x, "len", p, (int64_t)b.len);
        snprintf(p, sizeof p, "cells[%zu].cmd", i);
        vc_cmp_int(c, d, x, "cmd", p, cell.cmd);
        snprintf(p, sizeof p, "cells[%zu].circ_width", i);
        vc_cmp_int(c, d, x, "circ_width", p, cell.circ_width);
        if (cell.circ_id != 0) {
            snprintf(p, sizeof p, "cells[%zu]", i);
            vc_diff(c, p, "handshake cells carry circ id 0, got %u", cell.circ_id);
        }
        if (cell.cmd == CELL_VERSIONS && !sent_versions[side]) {
            sent_versions[side] = true;
            bld_bytes(side ? &h->rvers : &h->ivers, cell.body.p, cell.body.len);
        }
        if (cell.cmd == CELL_CERTS && !(side ? h->have_rcerts : h->have_icerts)) {
            bld_bytes(side ? &h->rcerts : &h->icerts, cell.body.p, cell.body.len);
            *(side ? &h->have_rcerts : &h->have_icerts) = true;
        }
        if (!side && cell.cmd == CELL_AUTHENTICATE && !h->have_auth) {
            h->have_auth = true;
            h->clog_len = stream->len;
        }
        bld_bytes(stream, b.buf, b.len);
        if (side && cell.cmd == CELL_AUTH_CHALLENGE && !h->have_ac) {
            h->have_ac = true;
            h->slog_len = stream->len;
        }
    }
    bld_free(&b);
    if (!bld_ok(&h->is) || !bld_ok(&h->rs)) {
        vc_diff(c, "cells", "transcript too long");
        ok = false;
    }
    return ok;
}

/* Highest version in both VERSIONS bodies, 0 if none. */
static uint16_t common_version(const hs_view_t *h)
{
    versions_cell_t a, b;
    if (versions_parse(bld_span(&h->ivers), &a) != WIRE_OK || versions_parse(bld_span(&h->rvers), &b) != WIRE_OK)
        return 0;
    return versions_pick(a.v, a.n, &b);
}

static void cmp_list(vc_t *c, const jdoc_t *d, const jv_t *v, const char *key, const bld_t *body)
{
    versions_cell_t vs;
    const jv_t *want = jv_get(d, v, key);
    if (versions_parse(bld_span(body), &vs) != WIRE_OK) {
        vc_diff(c, key, "that side's VERSIONS does not parse");
        return;
    }
    bool same = want && want->kind == JV_ARR && want->n == vs.n;
    size_t i = 0;
    for (const jv_t *x = jv_at(d, want, 0); same && x; x = jv_next(d, x), i++) {
        int64_t w;
        same = jv_int(x, &w) && w == vs.v[i];
    }
    if (!same)
        vc_diff(c, key, "does not match the versions in that side's VERSIONS cell (%zu listed)", vs.n);
}

static void stream_digest(vc_t *c, const jdoc_t *d, const jv_t *v, const char *key, span_t bytes)
{
    const jv_t *o = jv_get(d, v, key);
    char p[64];
    uint8_t h[HS_SHA256_LEN];
    if (!o) {
        vc_diff(c, key, "missing");
        return;
    }
    if (crypto_sha256(bytes, h) != 0) {
        vc_fault(c, "SHA-256");
        return;
    }
    snprintf(p, sizeof p, "%s.len", key);
    vc_cmp_int(c, d, o, "len", p, (int64_t)bytes.len);
    snprintf(p, sizeof p, "%s.sha256", key);
    vc_cmp_hex(c, d, o, "sha256", p, span_of(h, sizeof h));
}

/* Judges a CERTS body as a valid chain, through the shared chain check. */
static void chain_valid(vc_t *c, const bld_t *body, bool responder, span_t tls, int64_t now, const char *path)
{
    certs_cell_t cell;
    certs_verdict_t *v = calloc(1, sizeof *v);
    if (!v) {
        vc_fault(c, "allocation");
        return;
    }
    if (certs_parse(bld_span(body), &cell) != WIRE_OK)
        vc_diff(c, path, "does not parse");
    else if (certs_verify(&cell, responder ? CERTS_PEER_RESPONDER : CERTS_PEER_INITIATOR, tls, now, v) != 0)
        vc_fault(c, "CERTS verification");
    else if (!v->ok)
        vc_diff(c, path, "not a valid %s chain: %s", responder ? "responder" : "initiator", v->first_failure);
    free(v);
}

void vc_check_handshake(vc_t *c, const vc_doc_t *doc)
{
    const jdoc_t *d = &doc->doc;
    const jv_t *root = jdoc_root(d);
    int64_t now = 0;
    if (!jv_int(jv_get(d, root, "now"), &now))
        return; /* the header check reported it */
    const jv_t *vs = jv_get(d, root, "vectors");
    for (const jv_t *v = jv_at(d, vs, 0); v; v = jv_next(d, v)) {
        vc_begin(c, doc->file, jv_str(jv_get(d, v, "id")));
        hs_view_t h;
        view_init(&h);
        bld_t tls;
        bld_init(&tls, 65536);
        int64_t auth_type = 0;
        const jv_t *t = jv_get(d, v, "tls");
        if (!jv_hex(jv_get(d, t, "server_cert_der"), &tls))
            vc_diff(c, "tls.server_cert_der", "missing or not hex");
        if (view_build(c, d, v, &h) && vc_int(c, d, v, "auth_type", &auth_type)) {
            cmp_list(c, d, v, "initiator_versions", &h.ivers);
            cmp_list(c, d, v, "responder_versions", &h.rvers);
            vc_cmp_int(c, d, v, "link_version", "link_version (highest version in both lists)", common_version(&h));
            stream_digest(c, d, v, "initiator_stream", bld_span(&h.is));
            stream_digest(c, d, v, "responder_stream", bld_span(&h.rs));
            if (!h.have_rcerts)
                vc_diff(c, "cells", "the responder sent no CERTS");
            else
                chain_valid(c, &h.rcerts, true, bld_span(&tls), now, "responder CERTS");
            if (h.have_icerts)
                chain_valid(c, &h.icerts, false, span_of(NULL, 0), now, "initiator CERTS");
            if (auth_type) {
                if (!h.have_ac || !h.have_auth)
                    vc_diff(c, "cells", "an authenticated transcript needs AUTH_CHALLENGE and AUTHENTICATE");
                else {
                    stream_digest(c, d, v, "slog", span_of(h.rs.buf, h.slog_len));
                    stream_digest(c, d, v, "clog", span_of(h.is.buf, h.clog_len));
                }
            }
            const char *ref = jv_str(jv_get(d, t, "server_cert"));
            const jdoc_t *cd = vc_doc(c, "certs");
            const jv_t *cv = ref && cd ? vc_find(cd, ref) : NULL;
            if (ref && cd) {
                if (!cv)
                    vc_diff(c, "tls.server_cert", "no certificate \"%s\" in certs.json", ref);
                else
                    vc_cmp_hex(c, cd, cv, "der", "tls.server_cert_der (as in certs.json)", bld_span(&tls));
            }
        }
        bld_free(&tls);
        view_free(&h);
        vc_end(c);
    }
}

/* ---- authenticate.json ------------------------------------------------------------------------- */

typedef struct auth_fields {
    const char *name;
    size_t off, len; /* in the Authentication field; len 0 for SIG = the rest */
} auth_fields_t;

static const auth_fields_t f3[] = {
    { "cid", 8, 32 },     { "sid", 40, 32 },   { "cid_ed", 72, 32 },      { "sid_ed", 104, 32 },
    { "slog", 136, 32 },  { "clog", 168, 32 }, { "scert", 200, 32 },      { "tlssecrets", 232, 32 },
    { "rand", 264, 24 },  { "sig", 288, 64 },
};
static const auth_fields_t f1[] = {
    { "cid", 8, 32 },    { "sid", 40, 32 },         { "slog", 72, 32 },  { "clog", 104, 32 },
    { "scert", 136, 32 }, { "tlssecrets", 168, 32 }, { "rand", 200, 24 }, { "sig", 224, 0 },
};

/* The bytes of one field inside the Authentication field. */
static span_t field_of(span_t auth, const auth_fields_t *f)
{
    if (auth.len < f->off)
        return span_of(NULL, 0);
    size_t len = f->len ? f->len : auth.len - f->off;
    return span_of(auth.p + f->off, auth.len - f->off < len ? auth.len - f->off : len);
}

/* A recomputed value against what the Authentication field holds. */
static void rule(vc_t *c, const char *name, span_t auth, const auth_fields_t *tab, size_t n, span_t want)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(tab[i].name, name)) {
            char p[64];
            snprintf(p, sizeof p, "%s (recomputed)", name);
            vc_same(c, p, field_of(auth, &tab[i]), want);
        }
}

static bool sha_of_hex(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, uint8_t out[32])
{
    bld_t b;
    bld_init(&b, 65536);
    bool ok = vc_hex(c, d, o, key, &b);
    if (ok && crypto_sha256(bld_span(&b), out) != 0) {
        vc_fault(c, "SHA-256");
        ok = false;
    }
    bld_free(&b);
    return ok;
}

/* The log a vector says a field covers: {transcript, stream, len} must be the rule's range. */
static bool log_range(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, const char *transcript,
                      const char *stream, size_t rule_len, span_t bytes, uint8_t out[32])
{
    const jv_t *r = jv_get(d, o, key);
    char p[64];
    int64_t len;
    if (!r) {
        vc_diff(c, key, "missing");
        return false;
    }
    snprintf(p, sizeof p, "inputs.%s.transcript", key);
    vc_cmp_str(c, d, r, "transcript", p, transcript);
    snprintf(p, sizeof p, "inputs.%s.stream", key);
    vc_cmp_str(c, d, r, "stream", p, stream);
    snprintf(p, sizeof p, "inputs.%s.len", key);
    vc_cmp_int(c, d, r, "len", p, (int64_t)rule_len);
    if (!jv_int(jv_get(d, r, "len"), &len) || len < 0 || (size_t)len > bytes.len)
        return false;
    if (crypto_sha256(span_of(bytes.p, (size_t)len), out) != 0) {
        vc_fault(c, "SHA-256");
        return false;
    }
    return true;
}

/* Identities and keys the transcript's CERTS cells prove. */
static bool proven(vc_t *c, const bld_t *body, bool responder, certs_verdict_t *v)
{
    certs_cell_t cell;
    if (certs_parse(bld_span(body), &cell) != WIRE_OK)
        return false;
    if (certs_verify(&cell, responder ? CERTS_PEER_RESPONDER : CERTS_PEER_INITIATOR, span_of(NULL, 0), 0, v) != 0) {
        vc_fault(c, "CERTS verification");
        return false;
    }
    return true;
}

/* The RSA key certified by the type-3 cert in a CERTS body, as PKCS#1 DER. */
static bool auth_cert_key(const bld_t *certs, bld_t *out)
{
    certs_cell_t cell;
    if (certs_parse(bld_span(certs), &cell) != WIRE_OK)
        return false;
    for (size_t i = 0; i < cell.n; i++) {
        if (cell.e[i].type != 3)
            continue;
        x509_cert_t x;
        gnutls_pubkey_t pub;
        if (x509_decode(cell.e[i].body, &x, NULL, 0) != 0)
            return false;
        bool ok = x509_pubkey(&x, &pub) == 0;
        if (ok) {
            ok = rsa_pubkey_der_pkcs1(pub, out) == 0;
            gnutls_pubkey_deinit(pub);
        }
        x509_free(&x);
        return ok;
    }
    return false;
}

static void check_auth(vc_t *c, const jdoc_t *d, const jv_t *v, const jdoc_t *hd)
{
    int64_t type;
    const char *tid = vc_str(c, d, v, "transcript");
    const jv_t *in = jv_get(d, v, "inputs"), *fields = jv_get(d, v, "fields"), *cellv = jv_get(d, v, "cell");
    if (!vc_int(c, d, v, "auth_type", &type) || !tid)
        return;
    if (type != 1 && type != 3) {
        vc_diff(c, "auth_type", "expected 1 or 3, got %lld", (long long)type);
        return;
    }
    if (!in || !fields || !cellv) {
        vc_diff(c, "vector", "needs inputs, fields and cell");
        return;
    }
    const jv_t *tv = hd ? vc_find(hd, tid) : NULL;
    if (!tv) {
        vc_diff(c, "transcript", "no transcript \"%s\" in handshake.json%s", tid, hd ? "" : " (file missing)");
        return;
    }
    const bool t3 = type == 3;
    const auth_fields_t *tab = t3 ? f3 : f1;
    const size_t ntab = t3 ? HS_ARRAY_LEN(f3) : HS_ARRAY_LEN(f1);
    hs_view_t h;
    view_init(&h);
    bld_t cellb, tmp, tmp2;
    bld_init(&cellb, 4096);
    bld_init(&tmp, 65536);
    bld_init(&tmp2, 65536);
    /* Transcript problems are the handshake vector's DIFF; here they only stop the check. */
    vc_t quiet = *c;
    quiet.cur_diffs = 0;
    bool built = view_build(&quiet, hd, tv, &h) && !quiet.cur_diffs;
    c->fault = c->fault || quiet.fault;
    if (!built) {
        vc_diff(c, "transcript", "\"%s\" does not rebuild (see its own DIFF)", tid);
        goto out;
    }
    /* The cell: where it sits in the initiator's stream, and what it frames to. */
    int64_t link, off;
    cell_t cell;
    size_t used;
    authenticate_t a;
    if (!vc_hex(c, d, cellv, "hex", &cellb) || !vc_int(c, d, cellv, "link_version", &link) ||
        !vc_int(c, d, cellv, "offset", &off))
        goto out;
    if (off < 0 || (size_t)off + cellb.len > h.is.len || memcmp(h.is.buf + off, cellb.buf, cellb.len))
        vc_diff(c, "cell.hex", "is not the initiator's bytes at offset %lld of transcript %s", (long long)off, tid);
    if (link < 0 || link > 0xffff || cell_frame(bld_span(&cellb), (uint16_t)link, &cell, &used) != WIRE_OK ||
        used != cellb.len || cell.cmd != CELL_AUTHENTICATE) {
        vc_diff(c, "cell.hex", "does not frame as one AUTHENTICATE cell at link %lld", (long long)link);
        goto out;
    }
    vc_cmp_int(c, d, cellv, "circ_width", "cell.circ_width", cell.circ_width);
    if (authenticate_parse(cell.body, &a) != WIRE_OK) {
        vc_diff(c, "cell.hex", "the AUTHENTICATE body does not parse");
        goto out;
    }
    vc_cmp_int(c, d, v, "auth_type", "auth_type (in the cell)", a.auth_type);
    vc_cmp_int(c, d, v, "auth_len", "auth_len (in the cell)", a.auth_len);
    vc_cmp_hex(c, d, v, "authentication", "authentication (in the cell)", a.auth);
    if (a.trailing)
        vc_diff(c, "cell.hex", "%zu bytes after the Authentication field", a.trailing);
    const size_t signed_len = t3 ? AUTH3_SIGNED_LEN : AUTH1_SIGNED_LEN;
    if (t3 ? a.auth.len != AUTH3_LEN : a.auth.len <= AUTH1_SIGNED_LEN) {
        vc_diff(c, "authentication", "a type-%lld authenticator cannot be %zu bytes", (long long)type, a.auth.len);
        goto out;
    }
    /* Every stated field against the bytes. */
    vc_cmp_str(c, d, fields, "type", "fields.type", t3 ? "AUTH0003" : "AUTH0001");
    if (memcmp(a.auth.p, t3 ? "AUTH0003" : "AUTH0001", 8))
        vc_diff(c, "authentication", "does not start with %s", t3 ? "AUTH0003" : "AUTH0001");
    for (size_t i = 0; i < ntab; i++) {
        char p[64];
        snprintf(p, sizeof p, "fields.%s", tab[i].name);
        vc_cmp_hex(c, d, fields, tab[i].name, p, field_of(a.auth, &tab[i]));
    }
    vc_cmp_int(c, d, v, "signed_len", "signed_len", (int64_t)signed_len);
    vc_cmp_hex(c, d, v, "signed_part", "signed_part", span_of(a.auth.p, signed_len));

    /* Each field recomputed from its inputs. */
    uint8_t hv[32];
    if (sha_of_hex(c, d, in, "initiator_rsa_identity_pkcs1", hv))
        rule(c, "cid", a.auth, tab, ntab, span_of(hv, 32));
    if (sha_of_hex(c, d, in, "responder_rsa_identity_pkcs1", hv))
        rule(c, "sid", a.auth, tab, ntab, span_of(hv, 32));
    if (t3) {
        bld_reset(&tmp);
        if (vc_hex(c, d, in, "initiator_ed25519_identity", &tmp))
            rule(c, "cid_ed", a.auth, tab, ntab, bld_span(&tmp));
        bld_reset(&tmp);
        if (vc_hex(c, d, in, "responder_ed25519_identity", &tmp))
            rule(c, "sid_ed", a.auth, tab, ntab, bld_span(&tmp));
    }
    if (log_range(c, d, in, "slog_over", tid, "responder", h.slog_len, bld_span(&h.rs), hv))
        rule(c, "slog", a.auth, tab, ntab, span_of(hv, 32));
    if (log_range(c, d, in, "clog_over", tid, "initiator", h.clog_len, bld_span(&h.is), hv))
        rule(c, "clog", a.auth, tab, ntab, span_of(hv, 32));
    if (h.clog_len != (size_t)off)
        vc_diff(c, "cell.offset", "the AUTHENTICATE sits at %lld, but CLOG must stop where it starts (%zu)",
                (long long)off, h.clog_len);
    const jv_t *tls = jv_get(hd, tv, "tls");
    bld_reset(&tmp);
    if (vc_hex(c, d, in, "tls_server_cert_der", &tmp)) {
        if (crypto_sha256(bld_span(&tmp), hv) != 0)
            vc_fault(c, "SHA-256");
        else
            rule(c, "scert", a.auth, tab, ntab, span_of(hv, 32));
        vc_cmp_hex(c, hd, tls, "server_cert_der", "inputs.tls_server_cert_der (the transcript's)", bld_span(&tmp));
    }
    if (t3) {
        const jv_t *ex = jv_get(d, in, "exporter");
        bld_reset(&tmp);
        vc_cmp_str(c, d, ex, "label", "inputs.exporter.label", VEC_AUTH3_EXPORTER_LABEL);
        vc_cmp_str(c, d, ex, "context", "inputs.exporter.context", "cid");
        vc_cmp_int(c, d, ex, "length", "inputs.exporter.length", 32);
        if (jv_hex(jv_get(d, ex, "output"), &tmp)) {
            rule(c, "tlssecrets", a.auth, tab, ntab, bld_span(&tmp));
            vc_cmp_hex(c, hd, tls, "exporter_output", "inputs.exporter.output (the transcript's)", bld_span(&tmp));
        } else {
            vc_diff(c, "inputs.exporter.output", "missing or not hex");
        }
    } else {
        static const char *const keys[] = { "client_random", "server_random", "master_secret" };
        bld_t msg, ms;
        bld_init(&msg, 1024);
        bld_init(&ms, 64);
        bool ok = true;
        for (size_t i = 0; i < HS_ARRAY_LEN(keys); i++) {
            bld_t *dst = i == 2 ? &ms : &msg;
            size_t before = dst->len;
            ok = vc_hex(c, d, in, keys[i], dst) && ok;
            if (ok) {
                char p[64];
                snprintf(p, sizeof p, "inputs.%s (the transcript's)", keys[i]);
                vc_cmp_hex(c, hd, tls, keys[i], p, span_of(dst->buf + before, dst->len - before));
            }
        }
        bld_reset(&tmp);
        if (ok && vc_hex(c, d, in, "hmac_suffix", &tmp)) {
            vc_same(c, "inputs.hmac_suffix", span_of(VEC_AUTH1_LABEL, sizeof VEC_AUTH1_LABEL), bld_span(&tmp));
            bld_bytes(&msg, tmp.buf, tmp.len);
            if (crypto_hmac_sha256(bld_span(&ms), bld_span(&msg), hv) != 0)
                vc_fault(c, "HMAC-SHA256");
            else
                rule(c, "tlssecrets", a.auth, tab, ntab, span_of(hv, 32));
        }
        bld_free(&msg);
        bld_free(&ms);
    }

    /* What the transcript's CERTS prove must be what went in. */
    certs_verdict_t *iv = calloc(1, sizeof *iv), *rv = calloc(1, sizeof *rv);
    if (!iv || !rv) {
        vc_fault(c, "allocation");
    } else if (!h.have_icerts || !h.have_rcerts || !proven(c, &h.icerts, false, iv) ||
               !proven(c, &h.rcerts, true, rv)) {
        vc_diff(c, "transcript", "needs both sides' CERTS to tie CID/SID to the keys they proved");
    } else {
        rule(c, "cid", a.auth, tab, ntab, span_of(iv->rsa_id_sha256, iv->have_rsa_id ? 32 : 0));
        rule(c, "sid", a.auth, tab, ntab, span_of(rv->rsa_id_sha256, rv->have_rsa_id ? 32 : 0));
        if (t3) {
            rule(c, "cid_ed", a.auth, tab, ntab, span_of(iv->ed_id, iv->have_ed_id ? 32 : 0));
            rule(c, "sid_ed", a.auth, tab, ntab, span_of(rv->ed_id, rv->have_ed_id ? 32 : 0));
        }
    }
    /* The signature, with the key the initiator's CERTS certify. */
    span_t sig = field_of(a.auth, &tab[ntab - 1]);
    span_t signed_part = span_of(a.auth.p, signed_len);
    bld_reset(&tmp);
    if (t3 && vc_hex(c, d, in, "signing_key", &tmp)) {
        if (iv && iv->have_ed_link_auth)
            vc_same(c, "inputs.signing_key (the initiator's type-6 key)", span_of(iv->ed_link_auth, 32),
                    bld_span(&tmp));
        int ok = tmp.len == 32 && sig.len == 64 ? ed25519_verify(tmp.buf, signed_part, sig.p) : 0;
        if (ok < 0)
            vc_fault(c, "Ed25519 verification");
        else if (!ok)
            vc_diff(c, "fields.sig", "does not verify with inputs.signing_key");
    } else if (!t3 && vc_hex(c, d, in, "signing_key_pkcs1", &tmp)) {
        bld_reset(&tmp2);
        if (!auth_cert_key(&h.icerts, &tmp2))
            vc_diff(c, "inputs.signing_key_pkcs1", "the initiator's CERTS hold no usable type-3 cert");
        else
            vc_same(c, "inputs.signing_key_pkcs1 (the initiator's type-3 key)", bld_span(&tmp2), bld_span(&tmp));
        uint8_t dg[32];
        gnutls_pubkey_t pub;
        if (crypto_sha256(signed_part, dg) != 0) {
            vc_fault(c, "SHA-256");
        } else {
            vc_cmp_hex(c, d, v, "signed_digest", "signed_digest", span_of(dg, 32));
            if (vc_rsa_pub_from_pkcs1(bld_span(&tmp), &pub) != 0) {
                vc_diff(c, "inputs.signing_key_pkcs1", "not a DER RSAPublicKey");
            } else {
                int ok = rsa_verify_raw(pub, span_of(dg, 32), sig);
                if (ok < 0)
                    vc_fault(c, "RSA verification");
                else if (!ok)
                    vc_diff(c, "fields.sig", "not a raw PKCS#1 v1.5 signature of signed_digest by the key");
                gnutls_pubkey_deinit(pub);
            }
        }
    }
    free(iv);
    free(rv);
out:
    view_free(&h);
    bld_free(&cellb);
    bld_free(&tmp);
    bld_free(&tmp2);
}

void vc_check_authenticate(vc_t *c, const vc_doc_t *doc)
{
    const jdoc_t *d = &doc->doc;
    const jdoc_t *hd = vc_doc(c, "handshake");
    const jv_t *vs = jv_get(d, jdoc_root(d), "vectors");
    for (const jv_t *v = jv_at(d, vs, 0); v; v = jv_next(d, v)) {
        vc_begin(c, doc->file, jv_str(jv_get(d, v, "id")));
        check_auth(c, d, v, hd);
        vc_end(c);
    }
}
