/* Shared plumbing of the project's own known-bad/fixed TLS servers (the C files under peers/<twin>/src):
 * a listening socket on 127.0.0.1, one forked child per connection, GnuTLS credentials from
 * PEM files, timestamped logging.  Nothing here decides a twin's behaviour. */
#ifndef TWIN_NET_H
#define TWIN_NET_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <sys/types.h>

/* Per-connection limit: a child that has not finished after this many seconds exits (SIGALRM),
 * so a stalled client never keeps a process alive. */
#define TWIN_CONN_SECONDS 30

void twin_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Listening TCP socket bound to 127.0.0.1:port (SO_REUSEADDR).  Exits the process on error. */
int twin_listen(int port);

/* Accept forever; for each connection fork a child that calls serve(fd, arg) and exits with
 * its return value.  Children get PR_SET_PDEATHSIG=SIGTERM and an alarm; the parent reaps
 * them (SA_NOCLDWAIT) and returns only when SIGTERM/SIGINT arrives. */
void twin_serve_forever(int lfd, int (*serve)(int fd, void *arg), void *arg);

/* Certificate credentials from PEM files; exits on error. */
gnutls_certificate_credentials_t twin_creds(const char *cert, const char *key);

/* Send all of buf on a plain socket; 0 or -1. */
int twin_send_all(int fd, const void *buf, size_t len);

/* TCP_NODELAY (DESIGN.md "Performance"); errors ignored. */
void twin_nodelay(int fd);

#endif
