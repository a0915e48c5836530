/* wire_netinfo.c — see wire_netinfo.h. */
#include "wire_netinfo.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static bool netinfo_addr_get(span_t *s, netinfo_addr_t *a)
{
    span_t v;
    if (!span_get_u8(s, &a->atype) || !span_get_u8_prefixed(s, &v))
        return false;
    a->alen = (uint8_t)v.len;
    memcpy(a->val, v.p, v.len);
    return true;
}

wire_status_t netinfo_parse(span_t body, netinfo_cell_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!span_get_u32(&body, &out->time) || !netinfo_addr_get(&body, &out->other) ||
        !span_get_u8(&body, &out->n_my))
        return WIRE_TRUNCATED;
    for (unsigned i = 0; i < out->n_my; i++) {
        netinfo_addr_t tmp;
        if (!netinfo_addr_get(&body, &tmp))
            return WIRE_TRUNCATED;
        if (out->n_kept < HS_CAP_NETINFO_ADDRS)
            out->my[out->n_kept++] = tmp;
    }
    out->trailing = body.len;
    for (size_t i = 0; i < body.len; i++) {
        uint8_t c;
        if (span_peek_u8(&body, i, &c) && c) {
            out->trailing_nonzero = true;
            break;
        }
    }
    return WIRE_OK;
}

static void netinfo_addr_put(bld_t *b, const netinfo_addr_t *a)
{
    bld_u8(b, a->atype);
    bld_u8(b, a->alen);
    bld_bytes(b, a->val, a->alen);
}

void netinfo_build(bld_t *b, uint32_t time, const netinfo_addr_t *other, const netinfo_addr_t *my,
                   size_t n_my)
{
    if (n_my > 255) {
        bld_fail(b, "too many NETINFO addresses");
        return;
    }
    bld_u32(b, time);
    netinfo_addr_put(b, other);
    bld_u8(b, (uint8_t)n_my);
    for (size_t i = 0; i < n_my; i++)
        netinfo_addr_put(b, &my[i]);
}

netinfo_addr_kind_t netinfo_addr_kind(const netinfo_addr_t *a)
{
    if (a->atype == NETINFO_ATYPE_IPV4)
        return a->alen == 4 ? NETINFO_ADDR_IPV4 : NETINFO_ADDR_BAD_LEN;
    if (a->atype == NETINFO_ATYPE_IPV6)
        return a->alen == 16 ? NETINFO_ADDR_IPV6 : NETINFO_ADDR_BAD_LEN;
    return NETINFO_ADDR_UNKNOWN;
}

void netinfo_addr_format(const netinfo_addr_t *a, char *buf, size_t buflen)
{
    char tmp[INET6_ADDRSTRLEN];
    switch (netinfo_addr_kind(a)) {
    case NETINFO_ADDR_IPV4:
        inet_ntop(AF_INET, a->val, tmp, sizeof(tmp));
        snprintf(buf, buflen, "%s", tmp);
        return;
    case NETINFO_ADDR_IPV6:
        inet_ntop(AF_INET6, a->val, tmp, sizeof(tmp));
        snprintf(buf, buflen, "[%s]", tmp);
        return;
    default: {
        int n = snprintf(buf, buflen, "type%u:len%u:", a->atype, a->alen);
        for (unsigned i = 0; i < a->alen && n > 0 && (size_t)n + 3 < buflen; i++)
            n += snprintf(buf + n, buflen - (size_t)n, "%02x", a->val[i]);
    }
    }
}

void netinfo_addr_ipv4(netinfo_addr_t *a, const uint8_t ip[4])
{
    memset(a, 0, sizeof(*a));
    a->atype = NETINFO_ATYPE_IPV4;
    a->alen = 4;
    memcpy(a->val, ip, 4);
}
