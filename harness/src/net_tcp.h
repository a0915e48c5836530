/* net_tcp.h — the engine's TCP sockets: bounded connect, TCP_NODELAY + TCP_QUICKACK on every
 * socket (tor-link.md §7.4: without them a TLS 1.3 flight to tor takes ~45 ms, not ~1.5 ms),
 * non-blocking so that every read can carry a deadline. */
#ifndef NET_TCP_H
#define NET_TCP_H

#include "hs_clock.h"

#include <sys/socket.h>

typedef enum net_status {
    NET_OK = 0,
    NET_REFUSED,     /* RST to our SYN */
    NET_UNREACHABLE, /* no route / host down / network down */
    NET_TIMEOUT,     /* no answer before the deadline */
    NET_BAD_ADDRESS, /* could not parse or resolve HOST:PORT */
    NET_ERROR,       /* anything else (errno in detail) */
} net_status_t;

const char *net_status_str(net_status_t st);

typedef struct net_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    char text[80]; /* as the user gave it */
} net_addr_t;

/* Parses "HOST:PORT" or "[V6]:PORT".  Numeric hosts never touch DNS. */
net_status_t net_addr_parse(const char *hostport, net_addr_t *out, char *err, size_t errlen)
    HS_MUST_CHECK;
bool net_addr_is_loopback(const net_addr_t *a);

/* Connects with a deadline; on NET_OK *fd is a non-blocking socket with the options above. */
net_status_t net_tcp_connect(const net_addr_t *a, hs_ns_t deadline, int *fd, char *err,
                             size_t errlen) HS_MUST_CHECK;
/* A listening socket on a (port 0: the kernel picks one; *port_out says which).  Loopback
 * only: the responder role must never be reachable from outside (DESIGN.md "Safety"). */
net_status_t net_tcp_listen(const net_addr_t *a, int *fd, uint16_t *port_out, char *err,
                            size_t errlen) HS_MUST_CHECK;
/* Accepts one connection before the deadline; the socket gets the options above.  The peer's
 * address goes to peer (text "HOST:PORT"). */
net_status_t net_tcp_accept(int lfd, hs_ns_t deadline, int *fd, net_addr_t *peer, char *err,
                            size_t errlen) HS_MUST_CHECK;
/* Re-arms TCP_QUICKACK (Linux clears it after ACKing); call after each receive. */
void net_tcp_quickack(int fd);
/* Our local address on fd as 4 (IPv4) or 16 (IPv6) bytes; returns the length, 0 on failure. */
size_t net_tcp_local_ip(int fd, uint8_t out[16]);

#endif
