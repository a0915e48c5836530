/* wire_tlshello.c — see wire_tlshello.h. */
#include "wire_tlshello.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A list of u16 inside a length-prefixed block (its prefix already consumed into `in`). */
static wire_status_t u16_list(span_t in, uint16_t *out, size_t cap, size_t *n)
{
    if (in.len % 2)
        return WIRE_BAD_VALUE;
    *n = 0;
    while (!span_is_empty(&in)) {
        uint16_t v;
        if (!span_get_u16(&in, &v))
            return WIRE_TRUNCATED;
        if (*n == cap)
            return WIRE_TOO_MANY;
        out[(*n)++] = v;
    }
    return WIRE_OK;
}

/* server_name (RFC 6066 §3): the first host_name entry. */
static wire_status_t ext_sni(tls_client_hello_t *h, span_t eb)
{
    span_t list;
    if (!span_get_u16_prefixed(&eb, &list))
        return WIRE_TRUNCATED;
    if (!span_is_empty(&eb))
        return WIRE_TRAILING;
    while (!span_is_empty(&list)) {
        uint8_t type;
        span_t name;
        if (!span_get_u8(&list, &type) || !span_get_u16_prefixed(&list, &name))
            return WIRE_TRUNCATED;
        if (type != 0 || h->has_sni)
            continue;
        if (name.len >= sizeof(h->sni) || memchr(name.p, 0, name.len))
            return WIRE_BAD_VALUE;
        memcpy(h->sni, name.p, name.len);
        h->sni[name.len] = 0;
        h->has_sni = true;
    }
    return WIRE_OK;
}

/* key_share (RFC 8446 §4.2.8): the group of every KeyShareEntry. */
static wire_status_t ext_key_share(tls_client_hello_t *h, span_t eb)
{
    span_t list;
    if (!span_get_u16_prefixed(&eb, &list))
        return WIRE_TRUNCATED;
    if (!span_is_empty(&eb))
        return WIRE_TRAILING;
    while (!span_is_empty(&list)) {
        uint16_t group;
        span_t key;
        if (!span_get_u16(&list, &group) || !span_get_u16_prefixed(&list, &key))
            return WIRE_TRUNCATED;
        if (h->n_key_shares == TLS_CAP_CH_LIST)
            return WIRE_TOO_MANY;
        h->key_shares[h->n_key_shares++] = group;
    }
    return WIRE_OK;
}

static wire_status_t ext_body(tls_client_hello_t *h, uint16_t type, span_t eb)
{
    span_t list;
    switch (type) {
    case TLS_EXT_SERVER_NAME:
        return ext_sni(h, eb);
    case TLS_EXT_KEY_SHARE:
        return ext_key_share(h, eb);
    case TLS_EXT_SUPPORTED_GROUPS:
        if (!span_get_u16_prefixed(&eb, &list))
            return WIRE_TRUNCATED;
        return span_is_empty(&eb) ? u16_list(list, h->groups, TLS_CAP_CH_LIST, &h->n_groups)
                                  : WIRE_TRAILING;
    case TLS_EXT_SUPPORTED_VERSIONS:
        if (!span_get_u8_prefixed(&eb, &list))
            return WIRE_TRUNCATED;
        return span_is_empty(&eb) ? u16_list(list, h->versions, TLS_CAP_CH_LIST, &h->n_versions)
                                  : WIRE_TRAILING;
    default:
        return WIRE_OK; /* only its type is kept */
    }
}

static wire_status_t ch_ext(void *ctx, uint16_t type, span_t eb)
{
    return ext_body(ctx, type, eb);
}

wire_status_t tls_client_hello_parse(span_t body, tls_client_hello_t *out)
{
    memset(out, 0, sizeof(*out));
    span_t sid, suites, comp;
    if (!span_get_u16(&body, &out->legacy_version) || !span_copy(&body, out->random, 32) ||
        !span_get_u8_prefixed(&body, &sid) || !span_get_u16_prefixed(&body, &suites) ||
        !span_get_u8_prefixed(&body, &comp))
        return WIRE_TRUNCATED;
    if (sid.len > 32)
        return WIRE_BAD_VALUE;
    out->session_id_len = (uint8_t)sid.len;
    out->n_compressions = comp.len;
    wire_status_t st = u16_list(suites, out->suites, TLS_CAP_CH_SUITES, &out->n_suites);
    if (st != WIRE_OK)
        return st;
    return tls_hello_exts(body, out->ext_types, TLS_CAP_CH_EXTS, &out->n_exts, ch_ext, out);
}

/* Appends the handshake fragments of the stream's leading handshake records to hs (up to
 * cap) until the first message is complete; the first record's version goes to *rv. */
static wire_status_t first_message(span_t stream, uint8_t *hs, size_t cap, size_t *len,
                                   uint16_t *rv)
{
    *len = 0;
    for (bool first = true;; first = false) {
        tlsrec_t rec;
        wire_status_t st = tlsrec_frame(stream, &rec);
        if (st != WIRE_OK)
            return st;
        if (rec.sslv2 || rec.type != TLS_CT_HANDSHAKE)
            return WIRE_BAD_VALUE;
        if (first)
            *rv = rec.version;
        size_t take = rec.fragment.len < cap - *len ? rec.fragment.len : cap - *len;
        memcpy(hs + *len, rec.fragment.p, take);
        *len += take;
        stream.p += rec.wire_len;
        stream.len -= rec.wire_len;
        span_t m = span_of(hs, *len);
        uint32_t hdr;
        if (span_peek_u32(&m, 0, &hdr) && *len - 4 >= (hdr & 0xffffffu))
            return WIRE_OK;
        if (*len == cap)
            return WIRE_TOO_MANY;
    }
}

wire_status_t tls_client_hello_from_stream(span_t stream, tls_client_hello_t *out)
{
    uint8_t *hs = malloc(TLS_CAP_CH_BODY + 4);
    if (!hs)
        return WIRE_TOO_MANY; /* cannot happen at this size in practice; never a pass */
    size_t len;
    uint16_t rv = 0;
    wire_status_t st = first_message(stream, hs, TLS_CAP_CH_BODY + 4, &len, &rv);
    if (st == WIRE_OK && hs[0] != TLS_HS_CLIENT_HELLO)
        st = WIRE_BAD_VALUE;
    if (st == WIRE_OK) {
        uint32_t bl = (uint32_t)hs[1] << 16 | (uint32_t)hs[2] << 8 | hs[3];
        st = tls_client_hello_parse(span_of(hs + 4, bl), out);
        out->record_version = rv;
        out->body_len = bl;
    }
    free(hs);
    return st;
}

/* ", LABEL a,b,c" (hex or decimal) appended to buf, cut at cap. */
static void put_list(char *buf, size_t cap, const char *label, const uint16_t *v, size_t n,
                     bool hex)
{
    size_t u = strlen(buf);
    snprintf(buf + u, cap - u, ", %s %s", label, n ? "" : "none");
    for (size_t i = 0; i < n; i++) {
        u = strlen(buf);
        if (hex)
            snprintf(buf + u, cap - u, "%s%04x", i ? "," : "", v[i]);
        else
            snprintf(buf + u, cap - u, "%s%u", i ? "," : "", v[i]);
    }
}

void tls_client_hello_summary(const tls_client_hello_t *h, char *buf, size_t cap)
{
    if (!cap)
        return;
    snprintf(buf, cap, "ClientHello record 0x%04x legacy 0x%04x body %u, session id %u",
             h->record_version, h->legacy_version, h->body_len, h->session_id_len);
    put_list(buf, cap, "suites", h->suites, h->n_suites, true);
    put_list(buf, cap, "exts", h->ext_types, h->n_exts, false);
    size_t u = strlen(buf);
    snprintf(buf + u, cap - u, ", sni %s", h->has_sni ? h->sni : "none");
    put_list(buf, cap, "groups", h->groups, h->n_groups, true);
    put_list(buf, cap, "key shares", h->key_shares, h->n_key_shares, true);
    put_list(buf, cap, "versions", h->versions, h->n_versions, true);
}
