/* wire_circ.c — see wire_circ.h.  Fixed-cell bodies are 509 bytes; these parsers read their
 * fields from the front and ignore the padding. */
#include "wire_circ.h"

void create_fast_build(bld_t *b, const uint8_t x[CREATE_FAST_KEY_LEN])
{
    bld_bytes(b, x, CREATE_FAST_KEY_LEN);
}

wire_status_t create_fast_parse(span_t body, uint8_t x[CREATE_FAST_KEY_LEN])
{
    return span_copy(&body, x, CREATE_FAST_KEY_LEN) ? WIRE_OK : WIRE_TRUNCATED;
}

void created_fast_build(bld_t *b, const created_fast_t *c)
{
    bld_bytes(b, c->y, CREATE_FAST_KEY_LEN);
    bld_bytes(b, c->kh, CREATE_FAST_KEY_LEN);
}

wire_status_t created_fast_parse(span_t body, created_fast_t *out)
{
    if (!span_copy(&body, out->y, CREATE_FAST_KEY_LEN) ||
        !span_copy(&body, out->kh, CREATE_FAST_KEY_LEN))
        return WIRE_TRUNCATED;
    return WIRE_OK;
}

void destroy_build(bld_t *b, uint8_t reason) { bld_u8(b, reason); }

wire_status_t destroy_parse(span_t body, uint8_t *reason)
{
    return span_get_u8(&body, reason) ? WIRE_OK : WIRE_TRUNCATED;
}

const char *destroy_reason_name(uint8_t reason)
{
    static const char *const names[] = {
        "NONE", "PROTOCOL", "INTERNAL", "REQUESTED", "HIBERNATING", "RESOURCELIMIT",
        "CONNECTFAILED", "OR_IDENTITY", "CHANNEL_CLOSED", "FINISHED", "TIMEOUT", "DESTROYED",
        "NOSUCHSERVICE",
    };
    return reason < HS_ARRAY_LEN(names) ? names[reason] : "UNKNOWN";
}

void padding_negotiate_build(bld_t *b, const padding_negotiate_t *p)
{
    bld_u8(b, p->version);
    bld_u8(b, p->command);
    bld_u16(b, p->ito_low_ms);
    bld_u16(b, p->ito_high_ms);
}

wire_status_t padding_negotiate_parse(span_t body, padding_negotiate_t *out)
{
    if (!span_get_u8(&body, &out->version) || !span_get_u8(&body, &out->command) ||
        !span_get_u16(&body, &out->ito_low_ms) || !span_get_u16(&body, &out->ito_high_ms))
        return WIRE_TRUNCATED;
    return WIRE_OK;
}
