/* wire_tls_hello.c — see wire_tls_hello.h.  ServerHello (RFC 5246 §7.4.1.3, RFC 8446
 * §4.1.3): version(2) random(32) session_id<0..32> cipher_suite(2) compression(1)
 * [extensions<0..2^16-1>: type(2) length(2) data]. */
#include "wire_tls_hello.h"

wire_status_t tls_server_hello_exts(span_t body, tls_server_hello_exts_t *out)
{
    span_t r = body, sid, exts;
    uint8_t comp;
    out->n = 0;
    if (!span_get_u16(&r, &out->legacy_version) || !span_skip(&r, 32) ||
        !span_get_u8_prefixed(&r, &sid))
        return WIRE_TRUNCATED;
    if (sid.len > 32)
        return WIRE_BAD_VALUE;
    if (!span_get_u16(&r, &out->suite) || !span_get_u8(&r, &comp))
        return WIRE_TRUNCATED;
    if (span_is_empty(&r))
        return WIRE_OK; /* no extensions at all (a pre-extension server) */
    if (!span_get_u16_prefixed(&r, &exts))
        return WIRE_TRUNCATED;
    if (!span_is_empty(&r))
        return WIRE_TRAILING;
    while (!span_is_empty(&exts)) {
        uint16_t type;
        span_t data;
        if (!span_get_u16(&exts, &type) || !span_get_u16_prefixed(&exts, &data))
            return WIRE_TRUNCATED;
        if (out->n == TLS_SERVER_HELLO_EXT_CAP)
            return WIRE_TOO_MANY;
        out->type[out->n++] = type;
    }
    return WIRE_OK;
}

bool tls_server_hello_has(const tls_server_hello_exts_t *h, uint16_t type)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->type[i] == type)
            return true;
    return false;
}
