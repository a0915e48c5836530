/* net_tcp.c — see net_tcp.h. */
#include "net_tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *net_status_str(net_status_t st)
{
    switch (st) {
    case NET_OK: return "ok";
    case NET_REFUSED: return "connection refused";
    case NET_UNREACHABLE: return "unreachable";
    case NET_TIMEOUT: return "timed out";
    case NET_BAD_ADDRESS: return "bad address";
    case NET_ERROR: return "socket error";
    }
    return "?";
}

net_status_t net_addr_parse(const char *hostport, net_addr_t *out, char *err, size_t errlen)
{
    char host[256];
    const char *port;
    memset(out, 0, sizeof(*out));
    snprintf(out->text, sizeof(out->text), "%s", hostport);
    if (hostport[0] == '[') {
        const char *end = strchr(hostport, ']');
        if (!end || end[1] != ':' || (size_t)(end - hostport - 1) >= sizeof(host)) {
            snprintf(err, errlen, "'%s': expected [IPV6]:PORT", hostport);
            return NET_BAD_ADDRESS;
        }
        memcpy(host, hostport + 1, (size_t)(end - hostport - 1));
        host[end - hostport - 1] = 0;
        port = end + 2;
    } else {
        const char *colon = strrchr(hostport, ':');
        if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof(host)) {
            snprintf(err, errlen, "'%s': expected HOST:PORT", hostport);
            return NET_BAD_ADDRESS;
        }
        memcpy(host, hostport, (size_t)(colon - hostport));
        host[colon - hostport] = 0;
        port = colon + 1;
    }
    char *endp;
    long p = strtol(port, &endp, 10);
    if (!*port || *endp || p < 1 || p > 65535) {
        snprintf(err, errlen, "'%s': port must be 1-65535", hostport);
        return NET_BAD_ADDRESS;
    }
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST }, *res;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc == EAI_NONAME) {
        /* Not numeric: resolve (the only step here without a deadline of our own). */
        hints.ai_flags = 0;
        rc = getaddrinfo(host, port, &hints, &res);
    }
    if (rc != 0) {
        snprintf(err, errlen, "'%s': cannot resolve host: %s", hostport, gai_strerror(rc));
        return NET_BAD_ADDRESS;
    }
    memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
    return NET_OK;
}

bool net_addr_is_loopback(const net_addr_t *a)
{
    if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)&a->ss;
        return (ntohl(s->sin_addr.s_addr) >> 24) == 127;
    }
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&a->ss;
        return IN6_IS_ADDR_LOOPBACK(&s->sin6_addr);
    }
    return false;
}

static net_status_t classify_errno(int e)
{
    switch (e) {
    case ECONNREFUSED: return NET_REFUSED;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN: return NET_UNREACHABLE;
    case ETIMEDOUT: return NET_TIMEOUT;
    default: return NET_ERROR;
    }
}

void net_tcp_quickack(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

net_status_t net_tcp_connect(const net_addr_t *a, hs_ns_t deadline, int *fd_out, char *err,
                             size_t errlen)
{
    int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return NET_ERROR;
    }
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
        snprintf(err, errlen, "TCP_NODELAY: %s", strerror(errno));
        close(fd);
        return NET_ERROR;
    }
    net_tcp_quickack(fd);
    if (connect(fd, (const struct sockaddr *)&a->ss, a->len) != 0 && errno != EINPROGRESS) {
        int e = errno;
        snprintf(err, errlen, "connect to %s: %s", a->text, strerror(e));
        close(fd);
        return classify_errno(e);
    }
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    for (;;) {
        int ms = hs_ms_left(deadline);
        int rc = poll(&p, 1, ms);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc == 0) {
            snprintf(err, errlen, "connect to %s: no answer within the timeout", a->text);
            close(fd);
            return NET_TIMEOUT;
        }
        if (rc < 0) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            close(fd);
            return NET_ERROR;
        }
        break;
    }
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
        snprintf(err, errlen, "connect to %s: %s", a->text, strerror(soerr ? soerr : errno));
        close(fd);
        return classify_errno(soerr);
    }
    net_tcp_quickack(fd);
    *fd_out = fd;
    return NET_OK;
}

size_t net_tcp_local_ip(int fd, uint8_t out[16])
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return 0;
    if (ss.ss_family == AF_INET) {
        memcpy(out, &((struct sockaddr_in *)&ss)->sin_addr, 4);
        return 4;
    }
    if (ss.ss_family == AF_INET6) {
        memcpy(out, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
        return 16;
    }
    return 0;
}

static int sock_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return 0;
}

net_status_t net_tcp_listen(const net_addr_t *a, int *fd_out, uint16_t *port_out, char *err,
                            size_t errlen)
{
    if (!net_addr_is_loopback(a)) {
        snprintf(err, errlen, "refusing to listen on %s: the harness listens on loopback only",
                 a->text);
        return NET_BAD_ADDRESS;
    }
    int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return NET_ERROR;
    }
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 || listen(fd, 16) != 0) {
        snprintf(err, errlen, "listen on %s: %s", a->text, strerror(errno));
        close(fd);
        return NET_ERROR;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        snprintf(err, errlen, "getsockname: %s", strerror(errno));
        close(fd);
        return NET_ERROR;
    }
    *port_out = (uint16_t)sock_port(&ss);
    *fd_out = fd;
    return NET_OK;
}

net_status_t net_tcp_accept(int lfd, hs_ns_t deadline, int *fd_out, net_addr_t *peer, char *err,
                            size_t errlen)
{
    struct pollfd p = { .fd = lfd, .events = POLLIN };
    for (;;) {
        int rc = poll(&p, 1, hs_ms_left(deadline));
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc == 0) {
            snprintf(err, errlen, "no connection arrived within the timeout");
            return NET_TIMEOUT;
        }
        if (rc < 0) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            return NET_ERROR;
        }
        memset(peer, 0, sizeof(*peer));
        peer->len = sizeof(peer->ss);
        int fd = accept4(lfd, (struct sockaddr *)&peer->ss, &peer->len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED || errno == EINTR)
                continue; /* the peer gave up between poll and accept: keep waiting */
            snprintf(err, errlen, "accept: %s", strerror(errno));
            return NET_ERROR;
        }
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        net_tcp_quickack(fd);
        char host[64] = "?";
        if (peer->ss.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&peer->ss)->sin_addr, host, sizeof(host));
        else if (peer->ss.ss_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer->ss)->sin6_addr, host,
                      sizeof(host));
        snprintf(peer->text, sizeof(peer->text), "%s:%d", host, sock_port(&peer->ss));
        *fd_out = fd;
        return NET_OK;
    }
}
