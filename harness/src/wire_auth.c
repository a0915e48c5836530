/* wire_auth.c — see wire_auth.h. */
#include "wire_auth.h"

wire_status_t auth_challenge_parse(span_t body, auth_challenge_t *out)
{
    out->n_methods = 0;
    if (!span_copy(&body, out->challenge, 32) || !span_get_u16(&body, &out->n_methods))
        return WIRE_TRUNCATED;
    if (out->n_methods > HS_CAP_AUTH_METHODS)
        return WIRE_TOO_MANY;
    for (unsigned i = 0; i < out->n_methods; i++)
        if (!span_get_u16(&body, &out->methods[i]))
            return WIRE_TRUNCATED;
    out->trailing = body.len;
    return WIRE_OK;
}

void auth_challenge_build(bld_t *b, const uint8_t challenge[32], const uint16_t *methods, size_t n)
{
    if (n > 0xffff) {
        bld_fail(b, "too many methods");
        return;
    }
    bld_bytes(b, challenge, 32);
    bld_u16(b, (uint16_t)n);
    for (size_t i = 0; i < n; i++)
        bld_u16(b, methods[i]);
}

wire_status_t authenticate_parse(span_t body, authenticate_t *out)
{
    if (!span_get_u16(&body, &out->auth_type) || !span_get_u16(&body, &out->auth_len) ||
        !span_get_sub(&body, out->auth_len, &out->auth))
        return WIRE_TRUNCATED;
    out->trailing = body.len;
    return WIRE_OK;
}

void authenticate_build(bld_t *b, uint16_t auth_type, span_t auth)
{
    bld_u16(b, auth_type);
    bld_mark_t m = bld_open_u16(b);
    bld_bytes(b, auth.p, auth.len);
    bld_close(b, m);
}

wire_status_t auth3_parse(span_t a, auth3_fields_t *f)
{
    if (a.len < AUTH3_LEN)
        return WIRE_TRUNCATED;
    if (a.len > AUTH3_LEN)
        return WIRE_TRAILING;
    if (!span_copy(&a, f->type, 8) || !span_copy(&a, f->cid, 32) || !span_copy(&a, f->sid, 32) ||
        !span_copy(&a, f->cid_ed, 32) || !span_copy(&a, f->sid_ed, 32) ||
        !span_copy(&a, f->slog, 32) || !span_copy(&a, f->clog, 32) ||
        !span_copy(&a, f->scert, 32) || !span_copy(&a, f->tlssecrets, 32) ||
        !span_copy(&a, f->rand, 24) || !span_copy(&a, f->sig, 64))
        return WIRE_TRUNCATED;
    return WIRE_OK;
}

void auth3_build_signed_part(bld_t *b, const auth3_fields_t *f)
{
    bld_bytes(b, f->type, 8);
    bld_bytes(b, f->cid, 32);
    bld_bytes(b, f->sid, 32);
    bld_bytes(b, f->cid_ed, 32);
    bld_bytes(b, f->sid_ed, 32);
    bld_bytes(b, f->slog, 32);
    bld_bytes(b, f->clog, 32);
    bld_bytes(b, f->scert, 32);
    bld_bytes(b, f->tlssecrets, 32);
    bld_bytes(b, f->rand, 24);
}

wire_status_t auth1_parse(span_t a, auth1_fields_t *f)
{
    if (!span_copy(&a, f->type, 8) || !span_copy(&a, f->cid, 32) || !span_copy(&a, f->sid, 32) ||
        !span_copy(&a, f->slog, 32) || !span_copy(&a, f->clog, 32) ||
        !span_copy(&a, f->scert, 32) || !span_copy(&a, f->tlssecrets, 32) ||
        !span_copy(&a, f->rand, 24))
        return WIRE_TRUNCATED;
    if (span_is_empty(&a))
        return WIRE_TRUNCATED; /* no signature */
    f->sig = a;
    return WIRE_OK;
}

void auth1_build_signed_part(bld_t *b, const auth1_fields_t *f)
{
    bld_bytes(b, f->type, 8);
    bld_bytes(b, f->cid, 32);
    bld_bytes(b, f->sid, 32);
    bld_bytes(b, f->slog, 32);
    bld_bytes(b, f->clog, 32);
    bld_bytes(b, f->scert, 32);
    bld_bytes(b, f->tlssecrets, 32);
    bld_bytes(b, f->rand, 24);
}
