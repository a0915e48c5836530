/* wire_netinfo.h — NETINFO body (cmd 8, fixed): TIME, OTHERADDR, NMYADDR × MYADDR.
 *
 * tor-link.md §1.13.  The parser is structural: it accepts any ATYPE/ALEN pair (the spec says
 * unknown types are ignored) and reports only truncation; netinfo_addr_kind tells the caller
 * whether an address is a well-formed IPv4/IPv6 one, so a verdict can distinguish the spec's
 * "ignore" from tor's stricter "close". */
#ifndef WIRE_NETINFO_H
#define WIRE_NETINFO_H

#include "bytes_span.h"
#include "wire_status.h"

enum { NETINFO_ATYPE_IPV4 = 4, NETINFO_ATYPE_IPV6 = 6 };

typedef struct netinfo_addr {
    uint8_t atype;
    uint8_t alen;
    uint8_t val[255];
} netinfo_addr_t;

typedef struct netinfo_cell {
    uint32_t time;
    netinfo_addr_t other;
    uint8_t n_my; /* as declared */
    size_t n_kept; /* ≤ HS_CAP_NETINFO_ADDRS */
    netinfo_addr_t my[HS_CAP_NETINFO_ADDRS];
    size_t trailing; /* bytes after the last entry (normally zero padding) */
    bool trailing_nonzero;
} netinfo_cell_t;

wire_status_t netinfo_parse(span_t body, netinfo_cell_t *out) HS_MUST_CHECK;
void netinfo_build(bld_t *b, uint32_t time, const netinfo_addr_t *other, const netinfo_addr_t *my,
                   size_t n_my);

typedef enum { NETINFO_ADDR_IPV4, NETINFO_ADDR_IPV6, NETINFO_ADDR_BAD_LEN, NETINFO_ADDR_UNKNOWN }
    netinfo_addr_kind_t;
netinfo_addr_kind_t netinfo_addr_kind(const netinfo_addr_t *a);
/* "127.0.0.1", "[::1]", or "type9:len3:0a0b0c"; buf should hold 64 bytes. */
void netinfo_addr_format(const netinfo_addr_t *a, char *buf, size_t buflen);
/* Fills an IPv4 address from 4 network-order bytes. */
void netinfo_addr_ipv4(netinfo_addr_t *a, const uint8_t ip[4]);

#endif
