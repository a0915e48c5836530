/* test_vectors.c — the committed test vectors (the JSON files in vectors/) against the engine.
 *
 * Three kinds of test: (1) regenerating every family in memory gives the committed file byte
 * for byte; (2) each codec rebuilds each vector's bytes from the vector's *fields* — cells from
 * the decoded body, Ed25519 certs and cross-certs re-signed with the identity's keys, the
 * AUTHENTICATE authenticator re-signed — so a codec change that moves a byte fails here with a
 * hex dump, whatever the generator does; (3) the checker (`vectors --check`) finds every
 * committed vector OK, and finds a mutated copy not OK.
 *
 * The vectors are read from $HSPROBE_VECTORS or ./vectors (make runs the tests from the top of
 * the tree). */
#include "unit.h"

#include "bytes_json.h"
#include "crypto_certsign.h"
#include "crypto_identity_store.h"
#include "link_auth.h"
#include "out_vcheck.h"
#include "out_vec.h"
#include "wire_auth.h"
#include "wire_cell.h"
#include "wire_certs.h"
#include "wire_netinfo.h"
#include "wire_versions.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *vec_dir(void)
{
    const char *d = getenv("HSPROBE_VECTORS");
    return d && *d ? d : "vectors";
}

static uint8_t *slurp(const char *dir, const char *file, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s (run from the top of the tree or set HSPROBE_VECTORS)", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    uint8_t *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

static void load_doc(const char *file, jdoc_t *d, uint8_t **text)
{
    size_t n;
    char err[200];
    *text = slurp(vec_dir(), file, &n);
    ck_assert_msg(jdoc_parse(d, span_of(*text, n), err, sizeof err) == 0, "%s: %s", file, err);
}

static const jv_t *vectors_of(const jdoc_t *d)
{
    const jv_t *vs = jv_get(d, jdoc_root(d), "vectors");
    ck_assert_ptr_nonnull(vs);
    ck_assert_int_gt(vs->n, 0);
    return vs;
}

static void hex_member(const jdoc_t *d, const jv_t *o, const char *key, bld_t *out)
{
    bld_reset(out);
    ck_assert_msg(jv_hex(jv_get(d, o, key), out), "member %s missing or not hex", key);
}

static int64_t int_member(const jdoc_t *d, const jv_t *o, const char *key)
{
    int64_t v;
    ck_assert_msg(jv_int(jv_get(d, o, key), &v), "member %s missing or not an integer", key);
    return v;
}

/* ---- (1) regeneration ------------------------------------------------------------------------ */

START_TEST(test_regenerate_every_family)
{
    char ids[1024];
    snprintf(ids, sizeof ids, "%s/identities", vec_dir());
    vec_ctx_t ctx;
    ck_assert_msg(vec_ctx_init(&ctx, ids, VEC_DEFAULT_SEED) == 0, "%s", ctx.err);
    size_t n;
    const vec_family_t *fams = vec_families(&n);
    ck_assert_uint_eq(n, 6);
    for (size_t i = 0; i < n; i++) {
        char *mem = NULL;
        size_t mlen = 0;
        FILE *f = open_memstream(&mem, &mlen);
        ck_assert_ptr_nonnull(f);
        ctx.err[0] = 0;
        ck_assert_msg(fams[i].write(&ctx, f) == 0, "%s: %s", fams[i].file, ctx.err);
        fclose(f);
        size_t clen;
        uint8_t *committed = slurp(vec_dir(), fams[i].file, &clen);
        if (clen != mlen || memcmp(committed, mem, mlen) != 0) {
            /* Name the first line that moved: more useful than a 60 kB hex dump. */
            size_t at = 0, line = 1;
            while (at < clen && at < mlen && committed[at] == (uint8_t)mem[at])
                line += committed[at++] == '\n';
            ck_abort_msg("%s: regenerated output differs from the committed file at line %zu "
                         "(byte %zu); run `build/hsprobe vectors --out vectors` and review the diff",
                         fams[i].file, line, at);
        }
        free(committed);
        free(mem);
    }
    vec_ctx_free(&ctx);
}
END_TEST

/* ---- (2) codecs rebuild the bytes from the fields ------------------------------------------------ */

START_TEST(test_cells_rebuild_from_fields)
{
    jdoc_t d;
    uint8_t *text;
    load_doc("cells.json", &d, &text);
    bld_t hex, body, cell, tmp;
    bld_init(&hex, 1 << 17);
    bld_init(&body, 1 << 17);
    bld_init(&cell, 1 << 17);
    bld_init(&tmp, 1 << 17);
    size_t n_checked = 0;
    for (const jv_t *v = jv_at(&d, vectors_of(&d), 0); v; v = jv_next(&d, v), n_checked++) {
        const char *id = jv_str(jv_get(&d, v, "id"));
        hex_member(&d, v, "hex", &hex);
        uint16_t link = (uint16_t)int_member(&d, v, "link_version");
        uint8_t cmd = (uint8_t)int_member(&d, v, "cmd");
        const jv_t *f = jv_get(&d, v, "fields");
        bld_reset(&body);
        switch (cmd) {
        case CELL_VERSIONS: {
            uint16_t vs[16];
            size_t k = 0;
            for (const jv_t *x = jv_at(&d, jv_get(&d, f, "versions"), 0); x; x = jv_next(&d, x))
                vs[k++] = (uint16_t)x->i;
            versions_build(&body, vs, k);
            break;
        }
        case CELL_CERTS: {
            /* The entries' bytes come from the cell (a CERTS vector names, not repeats, them);
             * the layout around them is rebuilt. */
            cell_t c;
            size_t used;
            certs_cell_t cc;
            ck_assert_int_eq(cell_frame(bld_span(&hex), link, &c, &used), WIRE_OK);
            ck_assert_int_eq(certs_parse(c.body, &cc), WIRE_OK);
            ck_assert_uint_eq(cc.n, (size_t)int_member(&d, f, "n"));
            certs_build(&body, cc.e, cc.n);
            bld_bytes(&body, c.body.p + c.body.len - cc.trailing, cc.trailing);
            break;
        }
        case CELL_AUTH_CHALLENGE: {
            uint16_t m[16];
            size_t k = 0;
            for (const jv_t *x = jv_at(&d, jv_get(&d, f, "methods"), 0); x; x = jv_next(&d, x))
                m[k++] = (uint16_t)x->i;
            hex_member(&d, f, "challenge", &tmp);
            ck_assert_uint_eq(tmp.len, 32);
            auth_challenge_build(&body, tmp.buf, m, k);
            for (int64_t t = int_member(&d, f, "trailing"); t > 0; t--)
                bld_u8(&body, 0xff);
            break;
        }
        case CELL_NETINFO: {
            netinfo_addr_t other, my[8];
            const jv_t *o = jv_get(&d, f, "other");
            memset(&other, 0, sizeof other);
            other.atype = (uint8_t)int_member(&d, o, "atype");
            hex_member(&d, o, "value", &tmp);
            other.alen = (uint8_t)tmp.len;
            memcpy(other.val, tmp.buf, tmp.len);
            size_t k = 0;
            for (const jv_t *x = jv_at(&d, jv_get(&d, f, "my"), 0); x; x = jv_next(&d, x), k++) {
                memset(&my[k], 0, sizeof my[k]);
                my[k].atype = (uint8_t)int_member(&d, x, "atype");
                hex_member(&d, x, "value", &tmp);
                my[k].alen = (uint8_t)tmp.len;
                memcpy(my[k].val, tmp.buf, tmp.len);
            }
            netinfo_build(&body, (uint32_t)int_member(&d, f, "time"), &other, my, k);
            break;
        }
        default:
            hex_member(&d, f, "body", &body);
        }
        ck_assert_msg(bld_ok(&body), "%s: body did not build", id);
        bld_reset(&cell);
        unsigned w = (unsigned)int_member(&d, v, "circ_width");
        ck_assert_uint_eq(w, cell_circ_width(link));
        if (cell_cmd_is_var(link, cmd))
            cell_build_var(&cell, w, (uint32_t)int_member(&d, v, "circ_id"), cmd, bld_span(&body));
        else
            cell_build_fixed(&cell, w, (uint32_t)int_member(&d, v, "circ_id"), cmd, bld_span(&body));
        ck_assert_msg(bld_ok(&cell), "%s: cell did not build", id);
        if (cell.len != hex.len || memcmp(cell.buf, hex.buf, hex.len))
            fprintf(stderr, "cells.json %s: the rebuilt cell differs\n", id);
        ck_assert_bytes_eq(cell.buf, cell.len, hex.buf, hex.len);
    }
    ck_assert_uint_ge(n_checked, 25);
    bld_free(&hex);
    bld_free(&body);
    bld_free(&cell);
    bld_free(&tmp);
    jdoc_free(&d);
    free(text);
}
END_TEST

/* Both identities, for re-signing. */
static void load_identities(relay_identity_t ids[2])
{
    static const char *const names[2] = { VEC_INITIATOR, VEC_RESPONDER };
    for (int i = 0; i < 2; i++) {
        char path[1024], err[300];
        snprintf(path, sizeof path, "%s/identities/%s", vec_dir(), names[i]);
        ck_assert_msg(identity_load(&ids[i], path, err, sizeof err) == 0, "%s", err);
    }
}

/* The Ed25519 key among both identities whose public half is pub. */
static const ed25519_key_t *ed_key_by_pub(const relay_identity_t ids[2], const uint8_t *pub)
{
    for (int i = 0; i < 2; i++) {
        const ed25519_key_t *k[3] = { &ids[i].ed_id, &ids[i].ed_signing, &ids[i].ed_link_auth };
        for (int j = 0; j < 3; j++)
            if (!memcmp(k[j]->pub, pub, 32))
                return k[j];
    }
    ck_abort_msg("no identity holds the signing key");
    return NULL;
}

START_TEST(test_certs_resign_from_fields)
{
    jdoc_t d;
    uint8_t *text;
    load_doc("certs.json", &d, &text);
    relay_identity_t ids[2];
    load_identities(ids);
    bld_t hex, key, tmp, out;
    bld_init(&hex, 1 << 16);
    bld_init(&key, 4096);
    bld_init(&tmp, 4096);
    bld_init(&out, 1 << 16);
    size_t n_ed = 0, n_cross = 0;
    for (const jv_t *v = jv_at(&d, vectors_of(&d), 0); v; v = jv_next(&d, v)) {
        const char *id = jv_str(jv_get(&d, v, "id"));
        const char *kind = jv_str(jv_get(&d, v, "kind"));
        const jv_t *f = jv_get(&d, v, "fields");
        bld_reset(&out);
        if (!strcmp(kind, "ed25519")) {
            edcert_ext_t ext[8];
            bld_t data[8];
            edcert_fields_t ef = { .version = (uint8_t)int_member(&d, f, "version"),
                                   .cert_type = (uint8_t)int_member(&d, f, "cert_type"),
                                   .exp_hours = (uint32_t)int_member(&d, f, "expiration_hours"),
                                   .key_type = (uint8_t)int_member(&d, f, "key_type") };
            hex_member(&d, f, "certified_key", &tmp);
            memcpy(ef.certified_key, tmp.buf, 32);
            size_t k = 0;
            for (const jv_t *x = jv_at(&d, jv_get(&d, f, "extensions"), 0); x; x = jv_next(&d, x), k++) {
                bld_init(&data[k], 1024);
                hex_member(&d, x, "data", &data[k]);
                ext[k] = (edcert_ext_t){ (uint8_t)int_member(&d, x, "type"),
                                         (uint8_t)int_member(&d, x, "flags"), bld_span(&data[k]) };
            }
            ef.n_ext = k;
            ef.ext = k ? ext : NULL;
            hex_member(&d, v, "signing_key", &key);
            ck_assert_int_eq(certsign_edcert(&out, &ef, ed_key_by_pub(ids, key.buf)), 0);
            for (size_t i = 0; i < k; i++)
                bld_free(&data[i]);
            n_ed++;
        } else if (!strcmp(kind, "crosscert")) {
            const char *ident = jv_str(jv_get(&d, v, "identity"));
            const relay_identity_t *r = !strcmp(ident, VEC_INITIATOR) ? &ids[0] : &ids[1];
            hex_member(&d, f, "ed25519_key", &tmp);
            ck_assert_int_eq(certsign_crosscert(&out, tmp.buf, (uint32_t)int_member(&d, f, "expiration_hours"),
                                                r->rsa_id), 0);
            n_cross++;
        } else {
            continue; /* X.509: their serials are drawn inside the builder; regeneration covers them */
        }
        hex_member(&d, v, "hex", &hex);
        if (out.len != hex.len || memcmp(out.buf, hex.buf, hex.len))
            ck_abort_msg("%s: re-signed certificate differs", id);
    }
    ck_assert_uint_ge(n_ed, 10);
    ck_assert_uint_eq(n_cross, 2);
    identity_free(&ids[0]);
    identity_free(&ids[1]);
    bld_free(&hex);
    bld_free(&key);
    bld_free(&tmp);
    bld_free(&out);
    jdoc_free(&d);
    free(text);
}
END_TEST

START_TEST(test_authenticate_resign_from_fields)
{
    jdoc_t d;
    uint8_t *text;
    load_doc("authenticate.json", &d, &text);
    relay_identity_t ids[2];
    load_identities(ids);
    bld_t want, tmp, auth;
    bld_init(&want, 4096);
    bld_init(&tmp, 4096);
    bld_init(&auth, 4096);
    size_t n = 0;
    for (const jv_t *v = jv_at(&d, vectors_of(&d), 0); v; v = jv_next(&d, v), n++) {
        const jv_t *f = jv_get(&d, v, "fields");
        auth_claim_t claim;
        memset(&claim, 0, sizeof claim);
        claim.type = (uint16_t)int_member(&d, v, "auth_type");
        for (int k = 0; k < AF_COUNT; k++) {
            if (k == AF_SIG || !jv_get(&d, f, auth_field_name((auth_field_t)k)))
                continue;
            hex_member(&d, f, auth_field_name((auth_field_t)k), &tmp);
            memcpy(claim.val[k], tmp.buf, tmp.len);
            claim.len[k] = (uint8_t)tmp.len;
            claim.src[k] = AUTH_SRC_COMPUTED;
        }
        char err[200];
        bld_reset(&auth);
        ck_assert_msg(link_auth_finish(&ids[0], &claim, &auth, err, sizeof err) == 0, "%s", err);
        hex_member(&d, v, "authentication", &want);
        ck_assert_bytes_eq(auth.buf, auth.len, want.buf, want.len);
        /* And the cell around it. */
        bld_t body, cell, cell_want;
        bld_init(&body, 4096);
        bld_init(&cell, 4096);
        bld_init(&cell_want, 4096);
        authenticate_build(&body, claim.type, bld_span(&auth));
        const jv_t *c = jv_get(&d, v, "cell");
        cell_build_var(&cell, (unsigned)int_member(&d, c, "circ_width"), 0, CELL_AUTHENTICATE, bld_span(&body));
        hex_member(&d, c, "hex", &cell_want);
        ck_assert_bytes_eq(cell.buf, cell.len, cell_want.buf, cell_want.len);
        bld_free(&body);
        bld_free(&cell);
        bld_free(&cell_want);
    }
    ck_assert_uint_eq(n, 2);
    identity_free(&ids[0]);
    identity_free(&ids[1]);
    bld_free(&want);
    bld_free(&tmp);
    bld_free(&auth);
    jdoc_free(&d);
    free(text);
}
END_TEST

/* ---- (3) the checker ------------------------------------------------------------------------ */

static void check_dir(const char *dir, vc_t *c)
{
    FILE *null = fopen("/dev/null", "w");
    ck_assert_ptr_nonnull(null);
    ck_assert_int_eq(vcheck_dir(c, dir, null), 0);
    fclose(null);
}

START_TEST(test_checker_finds_committed_vectors_ok)
{
    vc_t *c = calloc(1, sizeof *c);
    ck_assert_ptr_nonnull(c);
    check_dir(vec_dir(), c);
    ck_assert_uint_eq(c->n_diff, 0);
    ck_assert_uint_eq(c->n_missing_files, 0);
    ck_assert_uint_ge(c->n_ok, 90);
    ck_assert(!c->fault);
    vcheck_free(c);
    free(c);
}
END_TEST

/* A copy of the vectors with one substitution in one file. */
static void mutated_copy(char *tmpl, const char *file, const char *from, const char *to)
{
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    size_t n;
    const vec_family_t *fams = vec_families(&n);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        uint8_t *t = slurp(vec_dir(), fams[i].file, &len);
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", tmpl, fams[i].file);
        FILE *f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        char *hit = strcmp(fams[i].file, file) ? NULL : strstr((char *)t, from);
        if (!strcmp(fams[i].file, file))
            ck_assert_msg(hit != NULL, "%s does not contain %s", file, from);
        if (hit) {
            fwrite(t, 1, (size_t)(hit - (char *)t), f);
            fputs(to, f);
            fputs(hit + strlen(from), f);
        } else {
            fwrite(t, 1, len, f);
        }
        fclose(f);
        free(t);
    }
}

static void remove_copy(const char *dir)
{
    size_t n;
    const vec_family_t *fams = vec_families(&n);
    for (size_t i = 0; i < n; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, fams[i].file);
        unlink(path);
    }
    rmdir(dir);
}

START_TEST(test_checker_finds_a_mutation)
{
    static const struct { const char *file, *from, *to; } muts[] = {
        { "cells.json", "\"versions\": [3, 4, 5]", "\"versions\": [3, 4, 6]" },
        { "negative.json", "\"reject\": \"odd-length\"", "\"reject\": \"truncated\"" },
        { "handshake.json", "\"link_version\": 5", "\"link_version\": 4" },
    };
    for (size_t i = 0; i < HS_ARRAY_LEN(muts); i++) {
        char dir[] = "/tmp/hsprobe-vec-XXXXXX";
        mutated_copy(dir, muts[i].file, muts[i].from, muts[i].to);
        vc_t *c = calloc(1, sizeof *c);
        ck_assert_ptr_nonnull(c);
        check_dir(dir, c);
        ck_assert_msg(c->n_diff >= 1, "%s: mutation %s -> %s not detected", muts[i].file, muts[i].from, muts[i].to);
        vcheck_free(c);
        free(c);
        remove_copy(dir);
    }
}
END_TEST

Suite *suite_vectors(void)
{
    Suite *s = suite_create("vectors");
    TCase *t = tcase_create("committed");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_regenerate_every_family);
    tcase_add_test(t, test_cells_rebuild_from_fields);
    tcase_add_test(t, test_certs_resign_from_fields);
    tcase_add_test(t, test_authenticate_resign_from_fields);
    tcase_add_test(t, test_checker_finds_committed_vectors_ok);
    tcase_add_test(t, test_checker_finds_a_mutation);
    suite_add_tcase(s, t);
    return s;
}
