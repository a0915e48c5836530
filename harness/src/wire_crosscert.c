/* wire_crosscert.c — see wire_crosscert.h. */
#include "wire_crosscert.h"

#include <string.h>

wire_status_t crosscert_parse(span_t in, crosscert_t *out)
{
    span_t s = in;
    memset(out, 0, sizeof *out);
    if (!span_get_sub(&in, CROSSCERT_SIGNED_LEN, &out->signed_part))
        return WIRE_TRUNCATED;
    if (!span_copy(&s, out->ed_key, sizeof out->ed_key) || !span_get_u32(&s, &out->exp_hours) ||
        !span_get_u8_prefixed(&s, &out->sig))
        return WIRE_TRUNCATED;
    /* tor's check requires the encoded length to equal CLEN: a trailing byte is "overlong". */
    if (!span_is_empty(&s))
        return WIRE_TRAILING;
    return WIRE_OK;
}

int crosscert_build_signed_data(bld_t *b, const uint8_t ed_key[32], uint32_t exp_hours)
{
    bld_bytes(b, CROSSCERT_PREFIX, CROSSCERT_PREFIX_LEN);
    bld_bytes(b, ed_key, 32);
    bld_u32(b, exp_hours);
    return bld_ok(b) ? 0 : -1;
}

int crosscert_build_with_signature(bld_t *b, const uint8_t ed_key[32], uint32_t exp_hours, span_t sig)
{
    bld_bytes(b, ed_key, 32);
    bld_u32(b, exp_hours);
    bld_mark_t m = bld_open_u8(b);
    bld_bytes(b, sig.p, sig.len);
    bld_close(b, m);
    return bld_ok(b) ? 0 : -1;
}

bool crosscert_expired(const crosscert_t *c, int64_t now)
{
    return (int64_t)c->exp_hours * 3600 < now;
}
