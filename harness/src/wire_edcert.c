/* wire_edcert.c — see wire_edcert.h. */
#include "wire_edcert.h"

#include <string.h>

wire_status_t edcert_parse(span_t in, edcert_t *out)
{
    span_t s = in;
    memset(out, 0, sizeof *out);
    if (!span_get_u8(&s, &out->version))
        return WIRE_TRUNCATED;
    if (out->version != EDCERT_VERSION)
        return WIRE_BAD_VALUE; /* nothing after the version byte has a defined meaning */
    if (!span_get_u8(&s, &out->cert_type) || !span_get_u32(&s, &out->exp_hours) ||
        !span_get_u8(&s, &out->key_type) ||
        !span_copy(&s, out->certified_key, sizeof out->certified_key) ||
        !span_get_u8(&s, &out->n_ext))
        return WIRE_TRUNCATED;
    if (out->n_ext > EDCERT_MAX_EXTENSIONS)
        return WIRE_TOO_MANY;
    for (unsigned i = 0; i < out->n_ext; i++) {
        edcert_ext_t *e = &out->ext[i];
        uint16_t len;
        if (!span_get_u16(&s, &len) || !span_get_u8(&s, &e->type) ||
            !span_get_u8(&s, &e->flags) || !span_get_sub(&s, len, &e->data))
            return WIRE_TRUNCATED;
        if (e->type == EDCERT_EXT_SIGNED_WITH_KEY) {
            if (len != 32)
                return WIRE_BAD_VALUE;
            if (out->has_signing_key_ext) {
                out->duplicate_signing_key_ext = true;
            } else {
                span_t d = e->data;
                if (!span_copy(&d, out->signing_key, 32))
                    return WIRE_TRUNCATED;
                out->has_signing_key_ext = true;
            }
        } else if (e->flags & EDCERT_EXT_FLAG_AFFECTS_VALIDATION) {
            out->unknown_critical_ext = true;
        }
    }
    out->signed_part = span_of(in.p, in.len - s.len);
    if (!span_copy(&s, out->signature, sizeof out->signature))
        return WIRE_TRUNCATED;
    if (!span_is_empty(&s))
        return WIRE_TRAILING;
    return WIRE_OK;
}

int edcert_build_body(bld_t *b, const edcert_fields_t *f, size_t *start)
{
    *start = b->len;
    if (f->n_ext > 255 || (f->n_ext && !f->ext)) {
        bld_fail(b, "Ed25519 cert: bad extension list");
        return -1;
    }
    bld_u8(b, f->version);
    bld_u8(b, f->cert_type);
    bld_u32(b, f->exp_hours);
    bld_u8(b, f->key_type);
    bld_bytes(b, f->certified_key, sizeof f->certified_key);
    bld_u8(b, (uint8_t)f->n_ext);
    for (size_t i = 0; i < f->n_ext; i++) {
        const edcert_ext_t *e = &f->ext[i];
        if (e->data.len > UINT16_MAX) {
            bld_fail(b, "Ed25519 cert: extension longer than 65535");
            break;
        }
        bld_u16(b, (uint16_t)e->data.len);
        bld_u8(b, e->type);
        bld_u8(b, e->flags);
        bld_bytes(b, e->data.p, e->data.len);
    }
    return bld_ok(b) ? 0 : -1;
}

int edcert_build_with_signature(bld_t *b, const edcert_fields_t *f,
                                const uint8_t sig[EDCERT_SIG_LEN])
{
    size_t start;
    if (edcert_build_body(b, f, &start) != 0)
        return -1;
    bld_bytes(b, sig, EDCERT_SIG_LEN);
    return bld_ok(b) ? 0 : -1;
}

edcert_ext_t edcert_ext_signed_with_key(const uint8_t key[32])
{
    edcert_ext_t e = { EDCERT_EXT_SIGNED_WITH_KEY, 0, span_of(key, 32) };
    return e;
}

bool edcert_expired(const edcert_t *c, int64_t now)
{
    return (int64_t)c->exp_hours * 3600 < now;
}
