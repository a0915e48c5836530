/* out_vcheck.c — see out_vcheck.h: reading the family files, the per-vector OK/DIFF report
 * and the member comparisons every family checker uses. */
#include "out_vcheck.h"

#include "out_vec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
    const char *file, *family;
    void (*check)(vc_t *c, const vc_doc_t *doc);
} families[] = {
    { "certs.json", "certs", vc_check_certs },
    { "cells.json", "cells", vc_check_cells },
    { "tor-observed.json", "tor-observed", vc_check_cells },
    { "handshake.json", "handshake", vc_check_handshake },
    { "authenticate.json", "authenticate", vc_check_authenticate },
    { "negative.json", "negative", vc_check_negative },
};

/* ---- the report ---------------------------------------------------------------------------- */

/* A string from the file, fit to echo on a terminal: anything but printable ASCII becomes
 * '?' (a hostile file cannot emit control sequences or invalid UTF-8 through us). */
static void printable(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
    dst[i] = 0;
}

void vc_begin(vc_t *c, const char *file, const char *id)
{
    c->cur_file = file;
    printable(c->cur_id, sizeof c->cur_id, id ? id : "(no id)");
    c->cur_diffs = 0;
}

void vc_end(vc_t *c)
{
    if (!c->cur_diffs) {
        fprintf(c->out, "OK    %s %s\n", c->cur_file, c->cur_id);
        c->n_ok++;
        return;
    }
    fprintf(c->out, "DIFF  %s %s\n", c->cur_file, c->cur_id);
    size_t shown = c->cur_diffs < VC_CAP_DIFF_LINES ? c->cur_diffs : VC_CAP_DIFF_LINES;
    for (size_t i = 0; i < shown; i++)
        fprintf(c->out, "        %s\n", c->lines[i]);
    if (c->cur_diffs > shown)
        fprintf(c->out, "        ... and %zu more\n", c->cur_diffs - shown);
    c->n_diff++;
}

void vc_diff(vc_t *c, const char *field, const char *fmt, ...)
{
    if (c->cur_diffs < VC_CAP_DIFF_LINES) {
        char msg[360];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        char line[sizeof c->lines[0]];
        snprintf(line, sizeof line, "%s: %s", field, msg);
        printable(c->lines[c->cur_diffs], sizeof c->lines[0], line);
    }
    c->cur_diffs++;
}

void vc_fault(vc_t *c, const char *what)
{
    c->fault = true;
    vc_diff(c, "engine", "%s failed inside hsprobe (not the vector's fault)", what);
}

const jdoc_t *vc_doc(const vc_t *c, const char *family)
{
    for (size_t i = 0; i < c->n_docs; i++)
        if (!strcmp(c->docs[i].family, family))
            return c->docs[i].parsed ? &c->docs[i].doc : NULL;
    return NULL;
}

const jv_t *vc_find(const jdoc_t *d, const char *id)
{
    const jv_t *arr = d ? jv_get(d, jdoc_root(d), "vectors") : NULL;
    for (const jv_t *v = jv_at(d, arr, 0); v; v = jv_next(d, v)) {
        const char *s = jv_str(jv_get(d, v, "id"));
        if (s && !strcmp(s, id))
            return v;
    }
    return NULL;
}

/* ---- member reads and comparisons ------------------------------------------------------------ */

/* Hex for a message: at most 40 bytes shown, then the length. */
static void short_hex(span_t s, char *out, size_t cap)
{
    size_t o = 0, n = s.len < 40 ? s.len : 40;
    out[0] = 0;
    for (size_t i = 0; i < n && o + 3 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%02x", s.p[i]);
    if (s.len > n && o + 24 < cap)
        snprintf(out + o, cap - o, "... (%zu bytes)", s.len);
    else if (s.len == 0)
        snprintf(out, cap, "(empty)");
}

bool vc_int(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, int64_t *out)
{
    if (jv_int(jv_get(d, o, key), out))
        return true;
    vc_diff(c, key, "missing or not an integer");
    return false;
}

bool vc_hex(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, bld_t *out)
{
    if (jv_hex(jv_get(d, o, key), out))
        return true;
    vc_diff(c, key, "missing or not a hex string");
    return false;
}

const char *vc_str(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key)
{
    const char *s = jv_str(jv_get(d, o, key));
    if (!s)
        vc_diff(c, key, "missing or not a string");
    return s;
}

void vc_cmp_int(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, const char *path, int64_t got)
{
    int64_t want;
    if (!jv_int(jv_get(d, o, key), &want))
        vc_diff(c, path, "missing or not an integer (got %lld)", (long long)got);
    else if (want != got)
        vc_diff(c, path, "expected %lld, got %lld", (long long)want, (long long)got);
}

void vc_cmp_bool(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, const char *path, bool got)
{
    bool want;
    if (!jv_bool(jv_get(d, o, key), &want))
        vc_diff(c, path, "missing or not a boolean (got %s)", got ? "true" : "false");
    else if (want != got)
        vc_diff(c, path, "expected %s, got %s", want ? "true" : "false", got ? "true" : "false");
}

void vc_cmp_str(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, const char *path, const char *got)
{
    const char *want = jv_str(jv_get(d, o, key));
    char shown[160];
    if (!want) {
        vc_diff(c, path, "missing or not a string (got \"%s\")", got);
    } else if (strcmp(want, got)) {
        printable(shown, sizeof shown, want);
        vc_diff(c, path, "expected \"%s\", got \"%s\"", shown, got);
    }
}

void vc_same(vc_t *c, const char *path, span_t want, span_t got)
{
    if (want.len == got.len && (!want.len || !memcmp(want.p, got.p, want.len)))
        return;
    char a[120], b[120];
    size_t at = 0;
    while (at < want.len && at < got.len && want.p[at] == got.p[at])
        at++;
    if (at < 16 || (want.len <= 40 && got.len <= 40)) {
        short_hex(want, a, sizeof a);
        short_hex(got, b, sizeof b);
        vc_diff(c, path, "expected %s, got %s", a, b);
        return;
    }
    /* Long values that share a prefix: show where they part. */
    size_t from = at - 8;
    short_hex(span_of(want.p + from, want.len - from), a, sizeof a);
    short_hex(span_of(got.p + from, got.len - from), b, sizeof b);
    vc_diff(c, path, "%zu vs %zu bytes, first difference at byte %zu; from byte %zu: expected %s, got %s",
            want.len, got.len, at, from, a, b);
}

void vc_cmp_hex(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, const char *path, span_t got)
{
    bld_t want;
    bld_init(&want, VC_CAP_FILE);
    if (!jv_hex(jv_get(d, o, key), &want)) {
        char b[120];
        short_hex(got, b, sizeof b);
        vc_diff(c, path, "missing or not a hex string (got %s)", b);
    } else {
        vc_same(c, path, bld_span(&want), got);
    }
    bld_free(&want);
}

/* One DER TLV with this tag (definite length of at most 3 bytes). */
static bool der_tlv(span_t *s, uint8_t want, span_t *content)
{
    uint8_t tag, l0;
    size_t len = 0;
    if (!span_get_u8(s, &tag) || tag != want || !span_get_u8(s, &l0))
        return false;
    if (l0 < 0x80) {
        len = l0;
    } else {
        unsigned nb = l0 & 0x7fu;
        if (nb == 0 || nb > 3)
            return false;
        for (unsigned i = 0; i < nb; i++) {
            uint8_t b;
            if (!span_get_u8(s, &b))
                return false;
            len = len << 8 | b;
        }
    }
    return span_get_sub(s, len, content);
}

int vc_rsa_pub_from_pkcs1(span_t der, gnutls_pubkey_t *out)
{
    /* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
    span_t s = der, seq, n, e;
    *out = NULL;
    if (!der_tlv(&s, 0x30, &seq) || !span_is_empty(&s) || !der_tlv(&seq, 0x02, &n) ||
        !der_tlv(&seq, 0x02, &e) || !span_is_empty(&seq))
        return -1;
    gnutls_datum_t dn = { (unsigned char *)n.p, (unsigned)n.len };
    gnutls_datum_t de = { (unsigned char *)e.p, (unsigned)e.len };
    if (gnutls_pubkey_init(out) < 0)
        return -1;
    if (gnutls_pubkey_import_rsa_raw(*out, &dn, &de) < 0) {
        gnutls_pubkey_deinit(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* ---- files ------------------------------------------------------------------------------------- */

static int read_file(const char *path, bld_t *out, char *err, size_t errlen, bool *missing)
{
    FILE *f = fopen(path, "rb");
    *missing = false;
    if (!f) {
        *missing = errno == ENOENT;
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    uint8_t buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        bld_bytes(out, buf, n);
        if (!bld_ok(out))
            break;
    }
    int rc = ferror(f) ? -1 : 0;
    fclose(f);
    if (rc != 0)
        snprintf(err, errlen, "read error");
    else if (!bld_ok(out))
        snprintf(err, errlen, "larger than %u bytes", VC_CAP_FILE);
    return rc == 0 && bld_ok(out) ? 0 : -1;
}

/* The header every file starts with: format and family. */
static bool header_ok(vc_t *c, const vc_doc_t *doc)
{
    const jdoc_t *d = &doc->doc;
    const jv_t *root = jdoc_root(d);
    vc_begin(c, doc->file, "(header)");
    if (!root || root->kind != JV_OBJ) {
        vc_diff(c, "document", "not a JSON object");
    } else {
        vc_cmp_str(c, d, root, "format", "format", VEC_FORMAT);
        vc_cmp_str(c, d, root, "family", "family", doc->family);
        const jv_t *vs = jv_get(d, root, "vectors");
        if (!vs || vs->kind != JV_ARR)
            vc_diff(c, "vectors", "missing or not an array");
        int64_t now;
        if (!jv_int(jv_get(d, root, "now"), &now))
            vc_diff(c, "now", "missing or not an integer");
    }
    if (c->cur_diffs) {
        vc_end(c);
        return false;
    }
    return true;
}

int vcheck_dir(vc_t *c, const char *dir, FILE *out)
{
    memset(c, 0, sizeof *c);
    c->out = out;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(out, "hsprobe vectors --check: %s is not a directory\n", dir);
        return -1;
    }
    for (size_t i = 0; i < HS_ARRAY_LEN(families); i++) {
        vc_doc_t *doc = &c->docs[c->n_docs++];
        doc->file = families[i].file;
        doc->family = families[i].family;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, doc->file) >= (int)sizeof path) {
            fprintf(out, "hsprobe vectors --check: path too long\n");
            return -1;
        }
        bld_t text;
        bld_init(&text, VC_CAP_FILE);
        bool missing;
        if (read_file(path, &text, doc->err, sizeof doc->err, &missing) == 0) {
            doc->present = true;
            doc->parsed = jdoc_parse(&doc->doc, bld_span(&text), doc->err, sizeof doc->err) == 0;
        } else {
            doc->present = !missing;
        }
        bld_free(&text);
    }
    size_t present = 0;
    for (size_t i = 0; i < c->n_docs; i++) {
        vc_doc_t *doc = &c->docs[i];
        if (!doc->present) {
            fprintf(out, "SKIP  %s: not present\n", doc->file);
            c->n_missing_files++;
            continue;
        }
        present++;
        if (!doc->parsed) {
            vc_begin(c, doc->file, "(file)");
            vc_diff(c, "json", "%s", doc->err);
            vc_end(c);
            doc->present = false;
            continue;
        }
        if (!header_ok(c, doc))
            doc->parsed = false;
    }
    if (!present) {
        fprintf(out, "hsprobe vectors --check: no vector files in %s\n", dir);
        return -1;
    }
    for (size_t i = 0; i < c->n_docs; i++)
        if (c->docs[i].parsed)
            families[i].check(c, &c->docs[i]);
    fprintf(out, "vectors: %zu checked, %zu OK, %zu DIFF; %zu of %zu family files present\n",
            c->n_ok + c->n_diff, c->n_ok, c->n_diff, present, c->n_docs);
    if (c->fault) {
        fprintf(out, "hsprobe vectors --check: the engine failed during the check\n");
        return -1;
    }
    return 0;
}

void vcheck_free(vc_t *c)
{
    for (size_t i = 0; i < c->n_docs; i++)
        if (c->docs[i].parsed || c->docs[i].doc.v)
            jdoc_free(&c->docs[i].doc);
    c->n_docs = 0;
}
