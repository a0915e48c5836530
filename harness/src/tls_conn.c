/* tls_conn.c — see tls_conn.h. */
#include "tls_conn.h"

#include "crypto_rsa.h"
#include "net_tcp.h"
#include "wire_tlsrec.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const char *tls_io_str(tls_io_t st)
{
    switch (st) {
    case TLS_IO_OK: return "ok";
    case TLS_IO_TIMEOUT: return "timeout";
    case TLS_IO_CLOSED: return "closed (FIN)";
    case TLS_IO_RESET: return "closed (RST)";
    case TLS_IO_ALERT: return "alert";
    case TLS_IO_ERROR: return "TLS error";
    case TLS_IO_HARNESS: return "harness error";
    }
    return "?";
}

/* One recv on our socket.  Records how the peer went away (FIN or RST, and when): both the
 * GnuTLS transport and plain connections read through here.  *err is errno on failure. */
static ssize_t sock_recv(tls_conn_t *c, void *buf, size_t n, int *err)
{
    ssize_t r = recv(c->fd, buf, n, 0);
    *err = r < 0 ? errno : 0;
    if (r > 0) {
        net_tcp_quickack(c->fd);
    } else if (r == 0) {
        if (!c->saw_eof)
            c->closed_at = hs_mono_ns();
        c->saw_eof = true;
    } else if (*err == ECONNRESET) {
        if (!c->saw_rst)
            c->closed_at = hs_mono_ns();
        c->saw_rst = true;
    }
    return r;
}

/* One send on our socket, with the same bookkeeping (EPIPE: the peer had closed). */
static ssize_t sock_send(tls_conn_t *c, const void *buf, size_t n, int *err)
{
    ssize_t r = send(c->fd, buf, n, MSG_NOSIGNAL);
    *err = r < 0 ? errno : 0;
    if (r < 0 && (*err == ECONNRESET || *err == EPIPE)) {
        if (!c->saw_rst && !c->saw_eof)
            c->closed_at = hs_mono_ns();
        c->saw_rst = c->saw_rst || *err == ECONNRESET;
    }
    return r;
}

/* Server end, first handshake: keeps what the client sent, raw (see client_flight). */
static void note_client_bytes(tls_conn_t *c, const void *buf, size_t n)
{
    if (!c->server || c->established || !n)
        return;
    if (!c->client_flight && !(c->client_flight = malloc(TLS_CAP_CLIENT_FLIGHT))) {
        c->client_flight_cut = true; /* out of memory: the evidence is incomplete, say so */
        return;
    }
    size_t room = TLS_CAP_CLIENT_FLIGHT - c->client_flight_len;
    size_t take = n < room ? n : room;
    memcpy(c->client_flight + c->client_flight_len, buf, take);
    c->client_flight_len += take;
    c->client_flight_cut |= take < n;
}

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *buf, size_t n)
{
    tls_conn_t *c = ptr;
    int e;
    ssize_t r = sock_recv(c, buf, n, &e);
    if (r > 0)
        note_client_bytes(c, buf, (size_t)r);
    if (r < 0)
        gnutls_transport_set_errno(c->s, e == EWOULDBLOCK ? EAGAIN : e);
    return r;
}

static ssize_t tls_push(gnutls_transport_ptr_t ptr, const void *buf, size_t n)
{
    tls_conn_t *c = ptr;
    int e;
    ssize_t r = sock_send(c, buf, n, &e);
    if (r < 0)
        gnutls_transport_set_errno(c->s, e == EWOULDBLOCK ? EAGAIN : e);
    return r;
}

static int tls_keylog(gnutls_session_t s, const char *label, const gnutls_datum_t *secret)
{
    tls_conn_t *c = gnutls_session_get_ptr(s);
    gnutls_datum_t cr, sr;
    if (!c || !c->keylog)
        return 0;
    gnutls_session_get_random(s, &cr, &sr);
    fprintf(c->keylog, "%s ", label);
    for (unsigned i = 0; i < cr.size; i++)
        fprintf(c->keylog, "%02x", cr.data[i]);
    fputc(' ', c->keylog);
    for (unsigned i = 0; i < secret->size; i++)
        fprintf(c->keylog, "%02x", secret->data[i]);
    fputc('\n', c->keylog);
    fflush(c->keylog); /* a crash later must not lose the keys of what already crossed */
    return 0;
}

/* "A,B" with prefix "+GROUP-" → ":+GROUP-A:+GROUP-B".  Returns false if it does not fit. */
static bool append_list(char *dst, size_t cap, const char *prefix, const char *list)
{
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        size_t used = strlen(dst);
        if (n && used + 2 + strlen(prefix) + n >= cap)
            return false;
        if (n)
            snprintf(dst + used, cap - used, ":+%s%.*s", prefix, (int)n, p);
        if (!end)
            break;
        p = end + 1;
    }
    return true;
}

/* The %-flags a probe sets on top of the version/suite choice (also after priority=). */
static bool append_flags(char *out, size_t cap, const tls_opts_t *o)
{
    size_t used = strlen(out);
    const char *scsv = o->fallback_scsv ? ":%FALLBACK_SCSV" : "";
    const char *ri = o->reneg == TLS_RENEG_NONE     ? ":%DISABLE_SAFE_RENEGOTIATION"
                     : o->reneg == TLS_RENEG_UNSAFE ? ":%UNSAFE_RENEGOTIATION"
                                                    : "";
    int n = snprintf(out + used, cap - used, "%s%s", scsv, ri);
    return n >= 0 && (size_t)n < cap - used;
}

static bool build_priority(const tls_opts_t *o, char *out, size_t cap)
{
    if (o->priority) {
        if (strlen(o->priority) >= cap)
            return false;
        strcpy(out, o->priority);
        return (!o->fallback_scsv && o->reneg == TLS_RENEG_SAFE) || append_flags(out, cap, o);
    }
    bool v13 = o->version == 0 || o->version == 13;
    bool v12 = o->version == 0 || o->version == 12;
    bool old = o->version == 10 || o->version == 11; /* CBC + SHA-1 suites, as then */
    snprintf(out, cap, "NONE%s%s%s%s", v13 ? ":+VERS-TLS1.3" : "", v12 ? ":+VERS-TLS1.2" : "",
             o->version == 11 ? ":+VERS-TLS1.1" : "", o->version == 10 ? ":+VERS-TLS1.0" : "");
    v12 = v12 || old;
    const char *ciphers = o->ciphers ? o->ciphers
                          : v12 ? "AES-256-GCM,AES-128-GCM,CHACHA20-POLY1305,AES-256-CBC,AES-128-CBC"
                                : "AES-256-GCM,AES-128-GCM,CHACHA20-POLY1305";
    const char *groups = o->groups ? o->groups
                         : v12     ? "SECP256R1,X25519,FFDHE2048"
                                   : "SECP256R1,X25519";
    bool ok = append_list(out, cap, "", ciphers) && append_list(out, cap, "GROUP-", groups);
    if (v12) {
        /* Forward-secret RSA key exchange only, like tor's server list (tor-link.md §4.2). */
        ok = ok && append_list(out, cap, "", o->kx ? o->kx : "ECDHE-RSA,DHE-RSA") &&
             append_list(out, cap, "", "AEAD,SHA1,SHA256,SHA384");
    } else {
        ok = ok && append_list(out, cap, "", "AEAD");
    }
    ok = ok && append_list(out, cap, "", "SIGN-ALL,COMP-NULL,CTYPE-X509");
    return ok && append_flags(out, cap, o);
}

/* Undoes a half-built session: a failed init leaves nothing for close to send or free except
 * the fd (a target must never see bytes caused by our own set-up failure). */
static int tls_init_failed(tls_conn_t *c)
{
    if (c->s) {
        gnutls_deinit(c->s);
        c->s = NULL;
    }
    return -1;
}

/* State every connection starts with, TLS or plain. */
static void conn_reset(tls_conn_t *c, int fd)
{
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->alert_level = c->alert_desc = -1;
    sha256_stream_init(&c->tx);
    sha256_stream_init(&c->rx);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            c->local_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            c->local_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
}

/* Remembers the client random of the handshake just attempted (the key log is indexed by it,
 * so it is how a capture's TLS connection is tied to this one), and the server's certificate
 * the first time one is seen. */
static void note_handshake(tls_conn_t *c)
{
    static const uint8_t none[32];
    gnutls_datum_t cr, sr;
    gnutls_session_get_random(c->s, &cr, &sr);
    unsigned n = c->n_client_randoms;
    /* A server that has not read the ClientHello yet sees an all-zero client random. */
    if (cr.size == 32 && n < TLS_CAP_HANDSHAKES && memcmp(cr.data, none, 32) != 0 &&
        (n == 0 || memcmp(c->client_randoms[n - 1], cr.data, 32) != 0)) {
        memcpy(c->client_randoms[n], cr.data, 32);
        c->n_client_randoms = n + 1;
    }
    if (c->have_server_cert_sha256)
        return;
    span_t der = { 0 };
    if (c->server) {
        const gnutls_datum_t *ours = gnutls_certificate_get_ours(c->s);
        if (ours && ours->size)
            der = span_of(ours->data, ours->size);
    } else if (tls_conn_peer_cert(c, &der) != 0) {
        der = (span_t){ 0 };
    }
    if (der.len)
        c->have_server_cert_sha256 = crypto_sha256(der, c->server_cert_sha256) == 0;
}

/* Reads the ServerHello as it arrived (GnuTLS's own view of RFC 5746 status is its
 * conclusion, not the server's bytes). */
static int hello_hook(gnutls_session_t s, unsigned htype, unsigned when, unsigned incoming,
                      const gnutls_datum_t *msg)
{
    tls_conn_t *c = gnutls_session_get_ptr(s);
    tls_server_hello_t h;
    if (c && htype == GNUTLS_HANDSHAKE_SERVER_HELLO && incoming && when == GNUTLS_HOOK_POST &&
        msg && tls_server_hello_parse(span_of(msg->data, msg->size), &h) == WIRE_OK) {
        c->have_server_hello = true;
        c->server_hello_ri = h.ri;
    }
    return 0;
}

/* Session set-up shared by both ends; the credentials are already in c->cred. */
static int session_setup(tls_conn_t *c, const tls_opts_t *o, unsigned flags)
{
    const char *errpos = NULL;
    int rc;
    if (!build_priority(o, c->priority, sizeof(c->priority))) {
        snprintf(c->err, sizeof(c->err), "TLS priority string too long");
        return tls_init_failed(c);
    }
    if ((rc = gnutls_init(&c->s, flags | GNUTLS_NO_SIGNAL)) < 0) {
        snprintf(c->err, sizeof(c->err), "GnuTLS init: %s", gnutls_strerror(rc));
        return tls_init_failed(c);
    }
    if ((rc = gnutls_priority_set_direct(c->s, c->priority, &errpos)) < 0) {
        snprintf(c->err, sizeof(c->err), "bad TLS priority string near '%s': %s",
                 errpos ? errpos : "?", gnutls_strerror(rc));
        return tls_init_failed(c);
    }
    /* No verification at the TLS layer, like tor: authenticity comes from CERTS. */
    if ((rc = gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, c->cred)) < 0) {
        snprintf(c->err, sizeof(c->err), "GnuTLS credentials: %s", gnutls_strerror(rc));
        return tls_init_failed(c);
    }
    gnutls_session_set_ptr(c->s, c);
    gnutls_transport_set_ptr(c->s, c);
    gnutls_transport_set_pull_function(c->s, tls_pull);
    gnutls_transport_set_push_function(c->s, tls_push);
    gnutls_handshake_set_timeout(c->s, 0);
    if (!(flags & GNUTLS_SERVER))
        gnutls_handshake_set_hook_function(c->s, GNUTLS_HANDSHAKE_SERVER_HELLO, GNUTLS_HOOK_POST,
                                           hello_hook);
    if (o->keylog_path) {
        c->keylog = fopen(o->keylog_path, "a");
        if (!c->keylog) {
            snprintf(c->err, sizeof(c->err), "cannot open key log %s: %s", o->keylog_path,
                     strerror(errno));
            return tls_init_failed(c);
        }
        gnutls_session_set_keylog_function(c->s, tls_keylog);
    }
    return 0;
}

int tls_conn_init(tls_conn_t *c, int fd, const tls_opts_t *o)
{
    conn_reset(c, fd);
    int rc = gnutls_certificate_allocate_credentials(&c->cred);
    if (rc < 0) {
        snprintf(c->err, sizeof(c->err), "GnuTLS credentials: %s", gnutls_strerror(rc));
        return tls_init_failed(c);
    }
    return session_setup(c, o, GNUTLS_CLIENT);
}

/* A private copy of key, of any algorithm (RSA link key, or an ECDSA one: `listen
 * cert=ecdsa`): GnuTLS has no privkey copy, but exporting to an x509 key makes one. */
static int privkey_copy(gnutls_privkey_t key, gnutls_privkey_t *out)
{
    gnutls_x509_privkey_t xk = NULL;
    *out = NULL;
    if (gnutls_privkey_export_x509(key, &xk) < 0)
        return -1;
    if (gnutls_privkey_init(out) < 0 ||
        gnutls_privkey_import_x509(*out, xk, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE) < 0) {
        if (*out)
            gnutls_privkey_deinit(*out);
        *out = NULL;
        gnutls_x509_privkey_deinit(xk);
        return -1;
    }
    return 0;
}

int tls_conn_init_server(tls_conn_t *c, int fd, const tls_opts_t *o, span_t cert_der,
                         gnutls_privkey_t key)
{
    conn_reset(c, fd);
    c->server = true;
    /* The credentials take ownership of the key and of the certificate's contents (they copy
     * the pcert struct itself), so they get a copy of the caller's key. */
    gnutls_privkey_t mine = NULL;
    gnutls_pcert_st pc;
    bool imported = false;
    gnutls_datum_t der = { (unsigned char *)cert_der.p, (unsigned)cert_der.len };
    int rc = -1;
    if (privkey_copy(key, &mine) == 0 &&
        gnutls_pcert_import_x509_raw(&pc, &der, GNUTLS_X509_FMT_DER, 0) == 0)
        imported = true;
    if (imported && (rc = gnutls_certificate_allocate_credentials(&c->cred)) == 0 &&
        (rc = gnutls_certificate_set_key(c->cred, NULL, 0, &pc, 1, mine)) == 0) {
        mine = NULL;
        imported = false; /* both owned by the credentials now */
        (void)gnutls_certificate_set_known_dh_params(c->cred, GNUTLS_SEC_PARAM_MEDIUM);
    }
    if (mine)
        gnutls_privkey_deinit(mine);
    if (imported)
        gnutls_pcert_deinit(&pc);
    if (rc != 0) {
        snprintf(c->err, sizeof(c->err), "cannot set up the TLS server certificate%s%s",
                 rc < -1 ? ": " : "", rc < -1 ? gnutls_strerror(rc) : "");
        return tls_init_failed(c);
    }
    return session_setup(c, o, GNUTLS_SERVER | GNUTLS_NO_TICKETS);
}

void tls_conn_init_plain(tls_conn_t *c, int fd)
{
    conn_reset(c, fd);
    c->plain = true;
}

/* What a plain connection has recorded survives its upgrade: the socket, the close
 * bookkeeping and the byte streams (the clear part is their head). */
typedef struct plain_state {
    int fd;
    uint16_t local_port;
    bool saw_eof, saw_rst;
    hs_ns_t closed_at;
    sha256_stream_t tx, rx;
} plain_state_t;

static bool upgrade_begin(tls_conn_t *c, plain_state_t *ps)
{
    if (!c->plain || c->fd < 0) {
        snprintf(c->err, sizeof(c->err), "STARTTLS needs an open plain connection");
        return false;
    }
    *ps = (plain_state_t){ c->fd, c->local_port, c->saw_eof, c->saw_rst, c->closed_at, c->tx,
                           c->rx };
    return true;
}

static int upgrade_end(tls_conn_t *c, const plain_state_t *ps, int rc)
{
    /* conn_reset started fresh streams: release them and put the plain ones back. */
    sha256_stream_finish(&c->tx);
    sha256_stream_finish(&c->rx);
    c->fd = ps->fd;
    c->local_port = ps->local_port;
    c->saw_eof = ps->saw_eof;
    c->saw_rst = ps->saw_rst;
    c->closed_at = ps->closed_at;
    c->tx = ps->tx;
    c->rx = ps->rx;
    c->upgraded = true;
    c->clear_tx = c->tx.bytes;
    c->clear_rx = c->rx.bytes;
    return rc;
}

int tls_conn_upgrade(tls_conn_t *c, const tls_opts_t *o)
{
    plain_state_t ps;
    if (!upgrade_begin(c, &ps))
        return -1;
    return upgrade_end(c, &ps, tls_conn_init(c, ps.fd, o));
}

int tls_conn_upgrade_server(tls_conn_t *c, const tls_opts_t *o, span_t cert_der,
                            gnutls_privkey_t key)
{
    plain_state_t ps;
    if (!upgrade_begin(c, &ps))
        return -1;
    return upgrade_end(c, &ps, tls_conn_init_server(c, ps.fd, o, cert_der, key));
}

/* Waits until the socket is ready in the direction GnuTLS last needed (plain: in *events). */
static tls_io_t tls_wait_events(tls_conn_t *c, short events, hs_ns_t deadline)
{
    struct pollfd p = { .fd = c->fd, .events = events };
    for (;;) {
        int rc = poll(&p, 1, hs_ms_left(deadline));
        if (rc > 0)
            return TLS_IO_OK;
        if (rc == 0)
            return TLS_IO_TIMEOUT;
        if (errno != EINTR) {
            snprintf(c->err, sizeof(c->err), "poll: %s", strerror(errno));
            return TLS_IO_HARNESS;
        }
    }
}

static tls_io_t tls_wait(tls_conn_t *c, hs_ns_t deadline)
{
    return tls_wait_events(c, gnutls_record_get_direction(c->s) ? POLLOUT : POLLIN, deadline);
}

/* A failed socket call on a plain connection, in the same taxonomy (sock_recv/sock_send
 * have already recorded the close). */
static tls_io_t plain_error(tls_conn_t *c, int e)
{
    if (e == ECONNRESET || e == EPIPE) {
        snprintf(c->err, sizeof(c->err), "%s", c->saw_rst ? "connection reset by peer"
                                                          : "peer closed the connection");
        return c->saw_rst ? TLS_IO_RESET : TLS_IO_CLOSED;
    }
    snprintf(c->err, sizeof(c->err), "socket: %s", strerror(e));
    return TLS_IO_HARNESS;
}

static tls_io_t plain_write(tls_conn_t *c, const uint8_t *b, size_t n, hs_ns_t deadline)
{
    while (n) {
        int e;
        ssize_t r = sock_send(c, b, n, &e);
        if (r > 0) {
            sha256_stream_update(&c->tx, b, (size_t)r);
            c->last_write_done += (size_t)r;
            b += r;
            n -= (size_t)r;
            continue;
        }
        if (r < 0 && (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)) {
            tls_io_t w = tls_wait_events(c, POLLOUT, deadline);
            if (w != TLS_IO_OK)
                return w;
            continue;
        }
        return plain_error(c, e);
    }
    return TLS_IO_OK;
}

static tls_io_t plain_read(tls_conn_t *c, void *buf, size_t cap, size_t *got, hs_ns_t deadline)
{
    for (;;) {
        int e;
        ssize_t r = sock_recv(c, buf, cap, &e);
        if (r > 0) {
            sha256_stream_update(&c->rx, buf, (size_t)r);
            *got = (size_t)r;
            return TLS_IO_OK;
        }
        if (r == 0) {
            snprintf(c->err, sizeof(c->err), "peer closed the connection");
            return TLS_IO_CLOSED;
        }
        if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) {
            tls_io_t w = tls_wait_events(c, POLLIN, deadline);
            if (w != TLS_IO_OK)
                return w;
            continue;
        }
        return plain_error(c, e);
    }
}

/* Maps a GnuTLS error to our taxonomy, preferring what the socket saw. */
static tls_io_t tls_classify(tls_conn_t *c, int rc)
{
    if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
        c->alert_level = GNUTLS_AL_FATAL;
        c->alert_desc = (int)gnutls_alert_get(c->s);
        snprintf(c->err, sizeof(c->err), "fatal alert %d (%s)", c->alert_desc,
                 gnutls_alert_get_name((gnutls_alert_description_t)c->alert_desc));
        return TLS_IO_ALERT;
    }
    if (c->saw_rst) {
        snprintf(c->err, sizeof(c->err), "connection reset by peer");
        return TLS_IO_RESET;
    }
    if (c->saw_eof || rc == GNUTLS_E_PREMATURE_TERMINATION) {
        snprintf(c->err, sizeof(c->err), "peer closed the connection");
        return TLS_IO_CLOSED;
    }
    snprintf(c->err, sizeof(c->err), "%s", gnutls_strerror(rc));
    return TLS_IO_ERROR;
}

/* A warning alert is tolerated (the connection goes on) but kept as evidence. */
static void tls_note_warning(tls_conn_t *c)
{
    c->alert_level = GNUTLS_AL_WARNING;
    c->alert_desc = (int)gnutls_alert_get(c->s);
    c->warning_alerts++;
}

#define SALVAGE_WAIT_MS 200 /* for the rest of an alert record GnuTLS stopped reading */

/* The first plaintext alert in the client's flight, reading the rest of a record whose header
 * already arrived (GnuTLS stops at a header it rejects).  False if there is none. */
static bool client_flight_alert(tls_conn_t *c, hs_ns_t deadline, uint8_t *level, uint8_t *desc)
{
    hs_ns_t until = hs_deadline_in_ms(SALVAGE_WAIT_MS);
    if (until > deadline)
        until = deadline;
    for (;;) {
        span_t in = span_of(c->client_flight, c->client_flight_len);
        tlsrec_t rec;
        wire_status_t st;
        while ((st = tlsrec_frame(in, &rec)) == WIRE_OK) {
            if (rec.type == TLS_CT_CHANGE_CIPHER_SPEC)
                return false; /* what follows is encrypted */
            if (rec.type == TLS_CT_ALERT && tls_alert_parse(rec.fragment, level, desc) == WIRE_OK)
                return true;
            in.p += rec.wire_len;
            in.len -= rec.wire_len;
        }
        /* More may wait in the socket: a whole record GnuTLS never asked for (it failed
         * writing to a client that had refused and gone), or the rest of one it stopped at. */
        uint8_t type;
        bool at_boundary = in.len == 0;
        bool alert_head = span_peek_u8(&in, 0, &type) && type == TLS_CT_ALERT;
        if (st != WIRE_TRUNCATED || !(at_boundary || alert_head) || c->client_flight_cut ||
            tls_wait_events(c, POLLIN, until) != TLS_IO_OK)
            return false;
        uint8_t buf[64];
        int e;
        ssize_t r = sock_recv(c, buf, sizeof(buf), &e);
        if (r <= 0)
            return false;
        note_client_bytes(c, buf, (size_t)r);
    }
}

/* A server-side handshake GnuTLS ended with an error of its own: if the client had refused
 * us with an alert GnuTLS could not read (a TLS 1.2 client answers a TLS 1.1 ServerHello with
 * protocol_version in a record versioned 0x0303, which GnuTLS, now at 1.1, rejects before
 * parsing), that alert is the outcome — it is the client's word, read from its bytes. */
static tls_io_t salvage_client_alert(tls_conn_t *c, int rc, hs_ns_t deadline)
{
    uint8_t level, desc;
    if (!c->server || !c->client_flight || !client_flight_alert(c, deadline, &level, &desc) ||
        level != GNUTLS_AL_FATAL)
        return tls_classify(c, rc);
    c->alert_level = level;
    c->alert_desc = desc;
    snprintf(c->err, sizeof(c->err), "fatal alert %u (%s) from the client, in a record our "
             "TLS stack refused (%s)", desc,
             gnutls_alert_get_name((gnutls_alert_description_t)desc), gnutls_strerror(rc));
    return TLS_IO_ALERT;
}

static tls_io_t handshake_loop(tls_conn_t *c, hs_ns_t deadline)
{
    for (;;) {
        int rc = gnutls_handshake(c->s);
        if (rc == GNUTLS_E_SUCCESS) {
            c->established = true;
            return TLS_IO_OK;
        }
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            tls_io_t w = tls_wait(c, deadline);
            if (w != TLS_IO_OK) {
                if (w == TLS_IO_TIMEOUT)
                    snprintf(c->err, sizeof(c->err), "no TLS answer within the timeout");
                return w;
            }
            continue;
        }
        if (rc == GNUTLS_E_WARNING_ALERT_RECEIVED) {
            tls_note_warning(c);
            continue;
        }
        if (!gnutls_error_is_fatal(rc))
            continue;
        if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
            return tls_classify(c, rc);
        return salvage_client_alert(c, rc, deadline);
    }
}

tls_io_t tls_conn_handshake(tls_conn_t *c, hs_ns_t deadline)
{
    tls_io_t st = handshake_loop(c, deadline);
    note_handshake(c); /* failed or not: the ClientHello went out, the capture has it */
    return st;
}

tls_io_t tls_conn_write(tls_conn_t *c, const void *p, size_t n, hs_ns_t deadline)
{
    const uint8_t *b = p;
    c->last_write_done = 0;
    if (c->plain)
        return plain_write(c, b, n, deadline);
    while (n) {
        ssize_t rc = gnutls_record_send(c->s, b, n);
        if (rc > 0) {
            sha256_stream_update(&c->tx, b, (size_t)rc);
            c->last_write_done += (size_t)rc;
            b += rc;
            n -= (size_t)rc;
            continue;
        }
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            tls_io_t w = tls_wait(c, deadline);
            if (w != TLS_IO_OK)
                return w;
            continue;
        }
        return tls_classify(c, (int)rc);
    }
    return TLS_IO_OK;
}

tls_io_t tls_conn_read(tls_conn_t *c, void *buf, size_t cap, size_t *got, hs_ns_t deadline)
{
    *got = 0;
    if (c->plain)
        return plain_read(c, buf, cap, got, deadline);
    for (;;) {
        ssize_t rc = gnutls_record_recv(c->s, buf, cap);
        if (rc > 0) {
            sha256_stream_update(&c->rx, buf, (size_t)rc);
            *got = (size_t)rc;
            return TLS_IO_OK;
        }
        if (rc == 0) {
            /* close_notify: an orderly TLS close. */
            if (!c->closed_at)
                c->closed_at = hs_mono_ns();
            snprintf(c->err, sizeof(c->err), "peer sent close_notify");
            return TLS_IO_CLOSED;
        }
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            if (gnutls_record_check_pending(c->s))
                continue;
            tls_io_t w = tls_wait(c, deadline);
            if (w != TLS_IO_OK)
                return w;
            continue;
        }
        if (rc == GNUTLS_E_WARNING_ALERT_RECEIVED) {
            tls_note_warning(c);
            if (c->stop_on_warning)
                return TLS_IO_ALERT;
            continue;
        }
        if (rc == GNUTLS_E_REHANDSHAKE) {
            /* A HelloRequest.  The engine never renegotiates as a client: refuse it the
             * RFC 5246 way (warning no_renegotiation) and keep reading; it is recorded as
             * evidence because tor never sends one. */
            c->hello_requests++;
            (void)gnutls_alert_send(c->s, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
            continue;
        }
        if (!gnutls_error_is_fatal((int)rc))
            continue;
        return tls_classify(c, (int)rc);
    }
}

void tls_conn_close(tls_conn_t *c, hs_ns_t deadline)
{
    if (c->s) {
        /* close_notify only on an established session the peer has not closed: after a
         * failed handshake it would be a stray record of ours in the target's evidence. */
        if (c->established && !c->saw_eof && !c->saw_rst) {
            for (;;) {
                int rc = gnutls_bye(c->s, GNUTLS_SHUT_WR);
                if ((rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED) ||
                    tls_wait(c, deadline) != TLS_IO_OK)
                    break;
            }
        }
        gnutls_deinit(c->s);
        c->s = NULL;
    }
    if (c->cred) {
        gnutls_certificate_free_credentials(c->cred);
        c->cred = NULL;
    }
    if (c->keylog) {
        fclose(c->keylog);
        c->keylog = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    sha256_stream_finish(&c->tx);
    sha256_stream_finish(&c->rx);
    free(c->client_flight);
    c->client_flight = NULL;
    c->client_flight_len = 0;
}

span_t tls_conn_client_flight(const tls_conn_t *c)
{
    return span_of(c->client_flight, c->client_flight ? c->client_flight_len : 0);
}

static tls_io_t renegotiate_loop(tls_conn_t *c, hs_ns_t deadline, uint8_t *app,
                                 size_t app_cap, size_t *app_len)
{
    for (;;) {
        int rc = gnutls_handshake(c->s);
        if (rc == GNUTLS_E_SUCCESS) {
            c->renegotiations++;
            return TLS_IO_OK;
        }
        if (rc == GNUTLS_E_GOT_APPLICATION_DATA) {
            /* The server's cells that were in flight: keep them for the channel. */
            if (*app_len == app_cap) {
                snprintf(c->err, sizeof(c->err), "receive buffer cap reached during "
                         "renegotiation");
                return TLS_IO_HARNESS;
            }
            ssize_t r = gnutls_record_recv(c->s, app + *app_len, app_cap - *app_len);
            if (r > 0) {
                sha256_stream_update(&c->rx, app + *app_len, (size_t)r);
                *app_len += (size_t)r;
            }
            continue;
        }
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            tls_io_t w = tls_wait(c, deadline);
            if (w != TLS_IO_OK)
                return w;
            continue;
        }
        if (rc == GNUTLS_E_UNSAFE_RENEGOTIATION_DENIED) {
            /* Our own stack refused: the server is legacy and reneg=unsafe was not asked for.
             * Nothing about the server's answer is known. */
            snprintf(c->err, sizeof(c->err), "our TLS stack refuses to renegotiate with a server "
                     "that did not signal RFC 5746 (use reneg=unsafe to probe it)");
            return TLS_IO_HARNESS;
        }
        if (rc == GNUTLS_E_WARNING_ALERT_RECEIVED) {
            /* RFC 5746 §4.2 refusal: a warning no_renegotiation; the session goes on. */
            tls_note_warning(c);
            return TLS_IO_ALERT;
        }
        if (!gnutls_error_is_fatal(rc))
            continue;
        return tls_classify(c, rc);
    }
}

tls_io_t tls_conn_renegotiate(tls_conn_t *c, hs_ns_t deadline, uint8_t *app, size_t app_cap,
                              size_t *app_len)
{
    if (c->plain || !c->established) {
        snprintf(c->err, sizeof(c->err), "no established TLS session to renegotiate");
        return TLS_IO_HARNESS;
    }
    if (c->server) {
        /* Server-initiated: a HelloRequest, then the handshake the client may start. */
        int rc;
        while ((rc = gnutls_rehandshake(c->s)) == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            tls_io_t w = tls_wait(c, deadline);
            if (w != TLS_IO_OK)
                return w;
        }
        if (rc < 0)
            return tls_classify(c, rc);
    }
    tls_io_t st = renegotiate_loop(c, deadline, app, app_cap, app_len);
    note_handshake(c); /* refused or not, a second ClientHello crossed */
    return st;
}

void tls_conn_info(tls_conn_t *c, tls_info_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!c->s)
        return;
    out->version = gnutls_protocol_get_name(gnutls_protocol_get_version(c->s));
    out->cipher = gnutls_cipher_get_name(gnutls_cipher_get(c->s));
    out->kx = gnutls_kx_get_name(gnutls_kx_get(c->s));
    out->mac = gnutls_mac_get_name(gnutls_mac_get(c->s));
    gnutls_group_t g = gnutls_group_get(c->s);
    out->group = g ? gnutls_group_get_name(g) : NULL;
    out->resumed = gnutls_session_is_resumed(c->s) != 0;
    out->safe_reneg = c->server ? gnutls_safe_renegotiation_status(c->s) != 0
                                : c->have_server_hello && c->server_hello_ri;
}

int tls_conn_peer_cert(tls_conn_t *c, span_t *der)
{
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(c->s, &n);
    if (!certs || n == 0)
        return -1;
    *der = span_of(certs[0].data, certs[0].size);
    return 0;
}

int tls_conn_exporter(tls_conn_t *c, const char *label, span_t context, uint8_t *out,
                      size_t outlen)
{
    return gnutls_prf_rfc5705(c->s, strlen(label), label, context.len, (const char *)context.p,
                              outlen, (char *)out) == 0
               ? 0
               : -1;
}

int tls_conn_randoms(tls_conn_t *c, uint8_t client[32], uint8_t server[32])
{
    gnutls_datum_t cr, sr;
    gnutls_session_get_random(c->s, &cr, &sr);
    if (cr.size != 32 || sr.size != 32)
        return -1;
    memcpy(client, cr.data, 32);
    memcpy(server, sr.data, 32);
    return 0;
}

int tls_conn_master_secret(tls_conn_t *c, uint8_t out[48])
{
    gnutls_datum_t ms;
    if (gnutls_protocol_get_version(c->s) == GNUTLS_TLS1_3)
        return -1;
    gnutls_session_get_master_secret(c->s, &ms);
    if (ms.size != 48)
        return -1;
    memcpy(out, ms.data, 48);
    return 0;
}
