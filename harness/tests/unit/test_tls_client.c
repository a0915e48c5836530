/* test_tls_conn.c — the GnuTLS client wrapper against an in-process GnuTLS server.
 *
 * Each test opens a socketpair(AF_UNIX, SOCK_STREAM): the engine's tls_conn_t drives the
 * non-blocking end from the test thread, a GnuTLS server runs on the blocking end in a
 * pthread and plays one scripted behaviour (send data, close without close_notify, send a
 * fatal alert, send a HelloRequest, …).  The server records what its own session computed
 * (randoms, master secret, exporter, key-log secrets, bytes received) and the test compares
 * after joining it; the server thread never asserts.
 *
 * The RSA key, self-signed cert and server credentials are made once per TCase (unchecked
 * fixture) and shared: credentials may serve any number of sessions. */
#include "unit.h"

#include "crypto_rsa.h"
#include "crypto_x509.h"
#include "link_channel.h"
#include "tls_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define SRV_PRIORITY                                                                             \
    "NONE:+VERS-TLS1.3:+VERS-TLS1.2:+AES-256-GCM:+AES-128-GCM:+AEAD:+ECDHE-RSA:"               \
    "+GROUP-SECP256R1:+GROUP-X25519:+SIGN-ALL:+COMP-NULL:+CTYPE-X509"
#define TOR_LABEL "EXPORTER FOR TOR TLS CLIENT BINDING AUTH0003"
#define MS 1000000LL

static gnutls_privkey_t g_key;
static bld_t g_cert_der;
static gnutls_certificate_credentials_t g_cred;

static void setup(void)
{
    bld_t key_pem;
    gnutls_datum_t cert_pem = { NULL, 0 };
    int64_t now = hs_wall_s();
    ck_assert_int_eq(rsa_key_generate(&g_key, 2048), 0);
    bld_init(&g_cert_der, HS_X509_DER_CAP);
    ck_assert_int_eq(x509_build_self_signed(g_key, "www.tlstest.net", now - 86400, now + 86400,
                                            &g_cert_der), 0);
    bld_init(&key_pem, 64 * 1024);
    ck_assert_int_eq(rsa_privkey_export_pem(g_key, &key_pem), 0);
    gnutls_datum_t der = { g_cert_der.buf, (unsigned)g_cert_der.len };
    ck_assert_int_eq(gnutls_pem_base64_encode2("CERTIFICATE", &der, &cert_pem), 0);
    gnutls_datum_t kd = { key_pem.buf, (unsigned)key_pem.len };
    ck_assert_int_eq(gnutls_certificate_allocate_credentials(&g_cred), 0);
    ck_assert_int_eq(gnutls_certificate_set_x509_key_mem(g_cred, &cert_pem, &kd,
                                                         GNUTLS_X509_FMT_PEM), 0);
    gnutls_free(cert_pem.data);
    bld_free(&key_pem);
}

static void teardown(void)
{
    gnutls_certificate_free_credentials(g_cred);
    gnutls_privkey_deinit(g_key);
    bld_free(&g_cert_der);
}

/* ---- the scripted server ------------------------------------------------------------------ */

typedef enum srv_act {
    SRV_HOLD,          /* handshake, then read until the client goes away */
    SRV_DATA,          /* send three records, read 100 KiB, then hold */
    SRV_CLOSE_RAW,     /* handshake, then close the socket without close_notify */
    SRV_RESET,         /* handshake, wait for client bytes, close without reading them (RST) */
    SRV_BYE,           /* handshake, close_notify, then hold */
    SRV_ALERT,         /* handshake, fatal handshake_failure alert, then hold */
    SRV_RAW_HS_ALERT,  /* no TLS: read the ClientHello record, answer a raw fatal alert */
    SRV_HELLO_REQUEST, /* handshake, HelloRequest, app data, then read the client's answer */
} srv_act_t;

#define SRV_RECORDS 3
static const size_t k_rec_len[SRV_RECORDS] = { 5, 3000, 16384 };
#define SRV_RX_WANT (100u * 1024u)
#define HR_DATA "app data after HelloRequest"

typedef struct srv_keylog {
    char label[64];
    uint8_t secret[64];
    size_t len;
} srv_keylog_t;

typedef struct srv {
    int fd;
    srv_act_t act;
    pthread_t th;
    char fail[200]; /* empty unless the server's own script went wrong */
    int version;    /* gnutls_protocol_t */
    int cipher;     /* gnutls_cipher_algorithm_t */
    uint8_t exporter[32];
    uint8_t cr[32], sr[32];
    uint8_t ms[48];
    size_t ms_len;
    srv_keylog_t kl[16];
    size_t n_kl;
    uint8_t *rx;
    size_t rx_len;
    int after_rc;    /* HelloRequest: what gnutls_record_recv returned after the app data */
    int after_alert; /* … and gnutls_alert_get then */
    size_t raw_after; /* raw server: bytes the client sent after our fatal alert */
} srv_t;

static void rec_pattern(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 7u + seed * 13u + 3u) % 251u);
}

static int srv_keylog_cb(gnutls_session_t s, const char *label, const gnutls_datum_t *secret)
{
    srv_t *sv = gnutls_session_get_ptr(s);
    if (sv->n_kl < HS_ARRAY_LEN(sv->kl) && secret->size <= sizeof(sv->kl[0].secret)) {
        srv_keylog_t *k = &sv->kl[sv->n_kl++];
        snprintf(k->label, sizeof(k->label), "%s", label);
        memcpy(k->secret, secret->data, secret->size);
        k->len = secret->size;
    }
    return 0;
}

/* Reads and discards until EOF, close_notify, a fatal error or the receive timeout. */
static void srv_drain(gnutls_session_t s)
{
    uint8_t buf[4096];
    for (;;) {
        ssize_t r = gnutls_record_recv(s, buf, sizeof(buf));
        if (r > 0 || r == GNUTLS_E_WARNING_ALERT_RECEIVED || r == GNUTLS_E_INTERRUPTED)
            continue;
        return;
    }
}

static size_t srv_raw_drain(int fd)
{
    uint8_t buf[4096];
    size_t total = 0;
    ssize_t r;
    while ((r = recv(fd, buf, sizeof(buf), 0)) > 0)
        total += (size_t)r;
    return total;
}

static bool recv_all(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static bool send_records(srv_t *sv, gnutls_session_t s)
{
    uint8_t buf[16384];
    for (unsigned i = 0; i < SRV_RECORDS; i++) {
        rec_pattern(buf, k_rec_len[i], i);
        if (gnutls_record_send(s, buf, k_rec_len[i]) != (ssize_t)k_rec_len[i]) {
            snprintf(sv->fail, sizeof(sv->fail), "server record_send %u failed", i);
            return false;
        }
    }
    return true;
}

static void srv_read_rx(srv_t *sv, gnutls_session_t s)
{
    sv->rx = malloc(SRV_RX_WANT);
    if (!sv->rx) {
        snprintf(sv->fail, sizeof(sv->fail), "malloc");
        return;
    }
    while (sv->rx_len < SRV_RX_WANT) {
        ssize_t r = gnutls_record_recv(s, sv->rx + sv->rx_len, SRV_RX_WANT - sv->rx_len);
        if (r <= 0) {
            snprintf(sv->fail, sizeof(sv->fail), "server read stopped at %zu: %s", sv->rx_len,
                     r ? gnutls_strerror((int)r) : "EOF");
            return;
        }
        sv->rx_len += (size_t)r;
    }
}

/* Raw-socket server: a TLS record header, then its body, then a fatal alert record. */
static void srv_raw_hs_alert(srv_t *sv)
{
    uint8_t hdr[5], body[16384 + 256];
    static const uint8_t alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };
    size_t len;
    if (!recv_all(sv->fd, hdr, 5) || hdr[0] != 0x16 || (len = (size_t)hdr[3] << 8 | hdr[4]) >
                                                         sizeof(body) ||
        !recv_all(sv->fd, body, len) || body[0] != 0x01) {
        snprintf(sv->fail, sizeof(sv->fail), "server did not read a ClientHello record");
        return;
    }
    if (send(sv->fd, alert, sizeof(alert), MSG_NOSIGNAL) != (ssize_t)sizeof(alert))
        snprintf(sv->fail, sizeof(sv->fail), "server could not send the raw alert");
    sv->raw_after = srv_raw_drain(sv->fd);
}

static void *srv_main(void *arg)
{
    srv_t *sv = arg;
    gnutls_session_t s = NULL;
    const char *errpos = NULL;
    int rc;
    struct timeval tv = { .tv_sec = 5 }; /* a stuck client must not hang the server forever */
    (void)setsockopt(sv->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(sv->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (sv->act == SRV_RAW_HS_ALERT) {
        srv_raw_hs_alert(sv);
        goto out;
    }
    if (gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_SIGNAL) < 0 ||
        gnutls_priority_set_direct(s, SRV_PRIORITY, &errpos) < 0 ||
        gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, g_cred) < 0) {
        snprintf(sv->fail, sizeof(sv->fail), "server session set-up failed");
        goto out;
    }
    gnutls_session_set_ptr(s, sv);
    gnutls_session_set_keylog_function(s, srv_keylog_cb);
    gnutls_transport_set_int(s, sv->fd);
    do {
        rc = gnutls_handshake(s);
    } while (rc < 0 && !gnutls_error_is_fatal(rc) && rc != GNUTLS_E_AGAIN);
    if (rc < 0) {
        snprintf(sv->fail, sizeof(sv->fail), "server handshake: %s", gnutls_strerror(rc));
        goto out;
    }
    sv->version = (int)gnutls_protocol_get_version(s);
    sv->cipher = (int)gnutls_cipher_get(s);
    gnutls_datum_t cr, sr, ms;
    gnutls_session_get_random(s, &cr, &sr);
    if (cr.size == 32 && sr.size == 32) {
        memcpy(sv->cr, cr.data, 32);
        memcpy(sv->sr, sr.data, 32);
    }
    if (sv->version != GNUTLS_TLS1_3) {
        gnutls_session_get_master_secret(s, &ms);
        if (ms.size <= sizeof(sv->ms)) {
            memcpy(sv->ms, ms.data, ms.size);
            sv->ms_len = ms.size;
        }
    }
    char ctx[32];
    for (int i = 0; i < 32; i++)
        ctx[i] = (char)i;
    if (gnutls_prf_rfc5705(s, strlen(TOR_LABEL), TOR_LABEL, sizeof(ctx), ctx, 32,
                           (char *)sv->exporter) < 0)
        snprintf(sv->fail, sizeof(sv->fail), "server exporter failed");

    switch (sv->act) {
    case SRV_HOLD:
    case SRV_RAW_HS_ALERT:
        break;
    case SRV_DATA:
        if (send_records(sv, s))
            srv_read_rx(sv, s);
        break;
    case SRV_CLOSE_RAW:
        gnutls_deinit(s);
        s = NULL;
        goto out; /* nothing unread is left on our side: the client sees a FIN */
    case SRV_RESET: {
        /* Wait until the client's bytes sit in our receive queue, then close without reading
         * them: Linux answers a close with unread data by resetting the peer (AF_UNIX gives
         * the peer ECONNRESET, as TCP would with an RST). */
        struct pollfd p = { .fd = sv->fd, .events = POLLIN };
        if (poll(&p, 1, 5000) != 1)
            snprintf(sv->fail, sizeof(sv->fail), "server never saw client bytes");
        gnutls_deinit(s);
        s = NULL;
        goto out;
    }
    case SRV_BYE:
        do {
            rc = gnutls_bye(s, GNUTLS_SHUT_WR);
        } while (rc == GNUTLS_E_INTERRUPTED);
        if (rc < 0)
            snprintf(sv->fail, sizeof(sv->fail), "server bye: %s", gnutls_strerror(rc));
        break;
    case SRV_ALERT:
        rc = gnutls_alert_send(s, GNUTLS_AL_FATAL, GNUTLS_A_HANDSHAKE_FAILURE);
        if (rc < 0)
            snprintf(sv->fail, sizeof(sv->fail), "server alert_send: %s", gnutls_strerror(rc));
        break;
    case SRV_HELLO_REQUEST: {
        rc = gnutls_rehandshake(s);
        if (rc < 0) {
            snprintf(sv->fail, sizeof(sv->fail), "server rehandshake: %s", gnutls_strerror(rc));
            break;
        }
        if (gnutls_record_send(s, HR_DATA, strlen(HR_DATA)) != (ssize_t)strlen(HR_DATA)) {
            snprintf(sv->fail, sizeof(sv->fail), "server record_send after HelloRequest");
            break;
        }
        uint8_t buf[256];
        ssize_t r;
        do {
            r = gnutls_record_recv(s, buf, sizeof(buf));
        } while (r == GNUTLS_E_INTERRUPTED);
        sv->after_rc = (int)r;
        sv->after_alert = (int)gnutls_alert_get(s);
        break;
    }
    }
    srv_drain(s);
out:
    if (s)
        gnutls_deinit(s);
    close(sv->fd);
    sv->fd = -1;
    return NULL;
}

/* ---- client-side helpers ------------------------------------------------------------------ */

/* Starts the server thread and initialises the client on the other end. */
static void conn_open(tls_conn_t *c, srv_t *sv, srv_act_t act, const tls_opts_t *o)
{
    int sp[2];
    memset(sv, 0, sizeof(*sv));
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
    int fl = fcntl(sp[1], F_GETFL);
    ck_assert_int_ge(fl, 0);
    ck_assert_int_eq(fcntl(sp[1], F_SETFL, fl | O_NONBLOCK), 0);
    sv->fd = sp[0];
    sv->act = act;
    ck_assert_int_eq(pthread_create(&sv->th, NULL, srv_main, sv), 0);
    ck_assert_msg(tls_conn_init(c, sp[1], o) == 0, "tls_conn_init: %s", c->err);
}

static void conn_handshake(tls_conn_t *c)
{
    tls_io_t r = tls_conn_handshake(c, hs_deadline_in_ms(5000));
    ck_assert_msg(r == TLS_IO_OK, "handshake: %s (%s) [%s]", tls_io_str(r), c->err, c->priority);
}

/* Closes the client, joins the server and fails the test if the server's script broke. */
static void conn_finish(tls_conn_t *c, srv_t *sv)
{
    tls_conn_close(c, hs_deadline_in_ms(2000));
    tls_conn_close(c, hs_deadline_in_ms(2000)); /* documented safe twice */
    ck_assert_int_eq(c->fd, -1);
    ck_assert_int_eq(pthread_join(sv->th, NULL), 0);
    ck_assert_msg(sv->fail[0] == 0, "server side: %s", sv->fail);
}

static int version_of(int i) { return i ? 13 : 12; }

/* For buffers too large for ck_assert_bytes_eq's full hex dump (libcheck caps a failure
 * message at a few KiB and turns a longer one into an "early exit"): lengths, the first
 * differing offset and 16 bytes from there on each side. */
static void assert_big_eq(const uint8_t *got, size_t got_len, const uint8_t *want,
                          size_t want_len, const char *what)
{
    size_t n = got_len < want_len ? got_len : want_len, i = 0;
    while (i < n && got[i] == want[i])
        i++;
    if (i == n && got_len == want_len)
        return;
    size_t gw = got_len - i < 16 ? got_len - i : 16, ww = want_len - i < 16 ? want_len - i : 16;
    char *gh = unit_tohex(got + i, gw), *wh = unit_tohex(want + i, ww);
    ck_abort_msg("%s differ (got %zu bytes, want %zu) from offset %zu:\n got: %s\nwant: %s", what,
                 got_len, want_len, i, gh, wh);
}
static const char *version_name(int v) { return v == 13 ? "TLS1.3" : "TLS1.2"; }

/* ---- 1. session facts agree with the server's ------------------------------------------- */

START_TEST(test_session_facts)
{
    int v = version_of(_i);
    tls_opts_t o = { .version = v };
    tls_conn_t c;
    srv_t sv;
    conn_open(&c, &sv, SRV_HOLD, &o);
    conn_handshake(&c);

    tls_info_t info;
    tls_conn_info(&c, &info);
    ck_assert_ptr_nonnull(info.version);
    ck_assert_str_eq(info.version, version_name(v));
    ck_assert_ptr_nonnull(info.cipher);
    ck_assert(!info.resumed);

    span_t peer;
    ck_assert_int_eq(tls_conn_peer_cert(&c, &peer), 0);
    assert_big_eq(peer.p, peer.len, g_cert_der.buf, g_cert_der.len, "peer cert DER");

    uint8_t ctx[32], exp[32], exp2[32];
    for (int i = 0; i < 32; i++)
        ctx[i] = (uint8_t)i;
    ck_assert_int_eq(tls_conn_exporter(&c, TOR_LABEL, span_of(ctx, 32), exp, 32), 0);
    ctx[31] ^= 1;
    ck_assert_int_eq(tls_conn_exporter(&c, TOR_LABEL, span_of(ctx, 32), exp2, 32), 0);

    uint8_t cr[32], sr[32], ms[48];
    ck_assert_int_eq(tls_conn_randoms(&c, cr, sr), 0);
    int ms_rc = tls_conn_master_secret(&c, ms);
    char cipher[64];
    snprintf(cipher, sizeof(cipher), "%s", info.cipher);

    conn_finish(&c, &sv);
    ck_assert_int_eq(sv.version, v == 13 ? GNUTLS_TLS1_3 : GNUTLS_TLS1_2);
    ck_assert_str_eq(cipher, gnutls_cipher_get_name((gnutls_cipher_algorithm_t)sv.cipher));
    ck_assert_bytes_eq(exp, 32, sv.exporter, 32);
    ck_assert_msg(memcmp(exp2, sv.exporter, 32) != 0, "exporter ignores the context");
    ck_assert_bytes_eq(cr, 32, sv.cr, 32);
    ck_assert_bytes_eq(sr, 32, sv.sr, 32);
    ck_assert_msg(memcmp(cr, sr, 32) != 0, "client and server randoms swapped or equal");
    if (v == 12) {
        ck_assert_int_eq(ms_rc, 0);
        ck_assert_bytes_eq(ms, 48, sv.ms, sv.ms_len);
    } else {
        ck_assert_int_eq(ms_rc, -1);
    }
}
END_TEST

/* ---- 2. NSS key log ------------------------------------------------------------------------ */

static bool is_hex_lower(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return false;
    return true;
}

START_TEST(test_keylog)
{
    int v = version_of(_i);
    char path[] = "/tmp/hsprobe-keylog-XXXXXX";
    int kfd = mkstemp(path);
    ck_assert_int_ge(kfd, 0);
    static const char pre[] = "# pre-existing line\n";
    ck_assert_int_eq(write(kfd, pre, strlen(pre)), (ssize_t)strlen(pre));
    close(kfd);

    tls_opts_t o = { .version = v, .keylog_path = path };
    tls_conn_t c;
    srv_t sv;
    conn_open(&c, &sv, SRV_HOLD, &o);
    conn_handshake(&c);
    uint8_t cr[32], sr[32];
    ck_assert_int_eq(tls_conn_randoms(&c, cr, sr), 0);
    conn_finish(&c, &sv);

    char cr_hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(cr_hex + 2 * i, 3, "%02x", cr[i]);
    FILE *f = fopen(path, "r");
    unlink(path); /* before any assertion can end the test: no stray files on failure */
    ck_assert_ptr_nonnull(f);
    char line[512];
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
    ck_assert_str_eq(line, pre); /* appended, not truncated */
    unsigned n_lines = 0, n_client_random = 0, n_cts0 = 0, n_sts0 = 0;
    while (fgets(line, sizeof(line), f)) {
        n_lines++;
        size_t len = strlen(line);
        ck_assert_msg(len > 0 && line[len - 1] == '\n', "unterminated line: %s", line);
        line[--len] = 0;
        char *sp1 = strchr(line, ' ');
        ck_assert_ptr_nonnull(sp1);
        *sp1 = 0;
        const char *label = line, *rnd = sp1 + 1;
        for (const char *p = label; *p; p++)
            ck_assert_msg((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_',
                          "bad label %s", label);
        ck_assert_msg(strlen(rnd) > 65 && rnd[64] == ' ', "bad random field in %s", label);
        ck_assert_msg(is_hex_lower(rnd, 64), "random not lowercase hex: %s", rnd);
        ck_assert_msg(strncmp(rnd, cr_hex, 64) == 0, "%s: random %.64s, session has %s", label,
                      rnd, cr_hex);
        const char *sec = rnd + 65;
        size_t sl = strlen(sec);
        ck_assert_msg(sl > 0 && sl % 2 == 0 && is_hex_lower(sec, sl), "bad secret for %s",
                      label);
        /* The secret must be the one the server derived under the same label. */
        const srv_keylog_t *k = NULL;
        for (size_t j = 0; j < sv.n_kl; j++)
            if (strcmp(sv.kl[j].label, label) == 0)
                k = &sv.kl[j];
        ck_assert_msg(k != NULL, "server logged no %s", label);
        size_t got_len;
        uint8_t *got = unit_hex(sec, &got_len);
        ck_assert_bytes_eq(got, got_len, k->secret, k->len);
        free(got);
        n_client_random += strcmp(label, "CLIENT_RANDOM") == 0;
        n_cts0 += strcmp(label, "CLIENT_TRAFFIC_SECRET_0") == 0;
        n_sts0 += strcmp(label, "SERVER_TRAFFIC_SECRET_0") == 0;
        if (v == 12)
            ck_assert_bytes_eq(k->secret, k->len, sv.ms, sv.ms_len);
    }
    fclose(f);
    ck_assert_uint_ge(n_lines, 1);
    if (v == 12) {
        ck_assert_uint_eq(n_client_random, 1);
        ck_assert_uint_eq(n_lines, 1);
    } else {
        ck_assert_uint_eq(n_client_random, 0);
        ck_assert_uint_eq(n_cts0, 1);
        ck_assert_uint_eq(n_sts0, 1);
    }
}
END_TEST

/* ---- 3. data both ways -------------------------------------------------------------------- */

START_TEST(test_data_both_ways)
{
    tls_opts_t o = { .version = version_of(_i) };
    tls_conn_t c;
    srv_t sv;
    conn_open(&c, &sv, SRV_DATA, &o);
    conn_handshake(&c);

    size_t total = 0, want_len = 0;
    for (unsigned i = 0; i < SRV_RECORDS; i++)
        want_len += k_rec_len[i];
    uint8_t *want = malloc(want_len), *got = malloc(want_len + 1);
    ck_assert(want && got);
    for (unsigned i = 0, off = 0; i < SRV_RECORDS; off += (unsigned)k_rec_len[i], i++)
        rec_pattern(want + off, k_rec_len[i], i);
    hs_ns_t dl = hs_deadline_in_ms(5000);
    while (total < want_len) {
        size_t n = 0;
        tls_io_t r = tls_conn_read(&c, got + total, want_len + 1 - total, &n, dl);
        ck_assert_msg(r == TLS_IO_OK, "read after %zu bytes: %s (%s)", total, tls_io_str(r),
                      c.err);
        ck_assert_uint_gt(n, 0);
        total += n;
    }
    assert_big_eq(got, total, want, want_len, "server-to-client bytes");

    uint8_t *out = malloc(SRV_RX_WANT);
    ck_assert_ptr_nonnull(out);
    rec_pattern(out, SRV_RX_WANT, 99);
    tls_io_t w = tls_conn_write(&c, out, SRV_RX_WANT, hs_deadline_in_ms(5000));
    ck_assert_msg(w == TLS_IO_OK, "write: %s (%s)", tls_io_str(w), c.err);
    conn_finish(&c, &sv);
    assert_big_eq(sv.rx, sv.rx_len, out, SRV_RX_WANT, "client-to-server bytes");
    free(sv.rx);
    free(out);
    free(want);
    free(got);
}
END_TEST

/* ---- 4. how the peer went away ------------------------------------------------------------ */

START_TEST(test_close_without_close_notify)
{
    tls_opts_t o = { .version = version_of(_i) };
    tls_conn_t c;
    srv_t sv;
    conn_open(&c, &sv, SRV_CLOSE_RAW, &o);
    conn_handshake(&c);
    uint8_t buf[64];
    size_t n = 99;
    tls_io_t r = tls_conn_read(&c, buf, sizeof(buf), &n, hs_deadline_in_ms(5000));
    hs_ns_t t1 = hs_mono_ns();
    ck_assert_msg(r == TLS_IO_CLOSED, "got %s (%s)", tls_io_str(r), c.err);
    ck_assert_uint_eq(n, 0);
    ck_assert(c.saw_eof);
    ck_assert(!c.saw_rst);
    ck_assert_msg(c.closed_at != 0 && c.closed_at <= t1, "closed_at %lld", (long long)c.closed_at);
    ck_assert_msg(strstr(c.err, "close_notify") == NULL, "a bare FIN reported as: %s", c.err);
    conn_finish(&c, &sv);
}
END_TEST

START_TEST(test_close_with_close_notify)
{
    tls_opts_t o = { .version = version_of(_i) };
    tls_conn_t c;
    srv_t sv;
    conn_open(&c, &sv, SRV_BYE, &o);
    conn_handshake(&c);
    uint8_t buf[64];
    size_t n = 99;
    tls_io_t r = tls_conn_read(&c, buf, sizeof(buf), &n, hs_deadline_in_ms(5000));
    hs_ns_t t1 = hs_mono_ns();
    ck_assert_msg(r == TLS_IO_CLOSED, "got %s (%s)", tls_io_str(r), c.err);
    ck_assert_uint_eq(n, 0);
    ck_assert_msg(strstr(c.err, "close_notify") != NULL, "err: %s", c.err);
    ck_assert_msg(c.closed_at != 0 && c.closed_at <= t1, "closed_at %lld", (long long)c.closed_at);
    conn_finish(&c, &sv);
}
END_TEST

START_TEST(test_close_with_reset)
{
    tls_opts_t o = { .version = version_of(_i) };
    tls_conn_t c;
    srv_t sv;
    conn_open(&c, &sv, SRV_RESET, &o);
    conn_handshake(&c);
    tls_io_t w = tls_conn_write(&c, "unread", 6, hs_deadline_in_ms(5000));
    ck_assert_msg(w == TLS_IO_OK, "write: %s (%s)", tls_io_str(w), c.err);
    uint8_t buf[64];
    size_t n = 99;
    tls_io_t r = tls_conn_read(&c, buf, sizeof(buf), &n, hs_deadline_in_ms(5000));
    ck_assert_msg(r == TLS_IO_RESET, "got %s (%s)", tls_io_str(r), c.err);
    ck_assert(c.saw_rst);
    ck_assert(c.closed_at != 0);
    conn_finish(&c, &sv);
}
END_TEST

/* ---- 5. deadline -------------------------------------------------------------------------- */

START_TEST(test_read_deadline)
{
    tls_opts_t o = { .version = version_of(_i) };
    tls_conn_t c;
    srv_t sv;
    conn_open(&c, &sv, SRV_HOLD, &o);
    conn_handshake(&c);
    uint8_t buf[64];
    size_t n = 99;
    hs_ns_t t0 = hs_mono_ns();
    tls_io_t r = tls_conn_read(&c, buf, sizeof(buf), &n, t0 + 150 * MS);
    hs_ns_t el = hs_mono_ns() - t0;
    ck_assert_msg(r == TLS_IO_TIMEOUT, "got %s (%s)", tls_io_str(r), c.err);
    ck_assert_uint_eq(n, 0);
    ck_assert_msg(el >= 150 * MS && el < 1000 * MS, "timed out after %.1f ms", hs_ns_to_ms(el));
    ck_assert_int_eq(c.closed_at, 0);
    /* The session is still usable after a timeout: a second, already-expired deadline. */
    r = tls_conn_read(&c, buf, sizeof(buf), &n, t0);
    ck_assert_msg(r == TLS_IO_TIMEOUT, "got %s (%s)", tls_io_str(r), c.err);
    conn_finish(&c, &sv);
}
END_TEST

/* ---- 6. fatal alerts ---------------------------------------------------------------------- */

START_TEST(test_fatal_alert_after_handshake)
{
    tls_opts_t o = { .version = version_of(_i) };
    tls_conn_t c;
    srv_t sv;
    conn_open(&c, &sv, SRV_ALERT, &o);
    conn_handshake(&c);
    ck_assert_int_eq(c.alert_desc, -1);
    uint8_t buf[64];
    size_t n = 99;
    tls_io_t r = tls_conn_read(&c, buf, sizeof(buf), &n, hs_deadline_in_ms(5000));
    ck_assert_msg(r == TLS_IO_ALERT, "got %s (%s)", tls_io_str(r), c.err);
    ck_assert_int_eq(c.alert_level, GNUTLS_AL_FATAL);
    ck_assert_int_eq(c.alert_desc, 40);
    ck_assert_msg(strstr(c.err, "40") != NULL, "err: %s", c.err);
    conn_finish(&c, &sv);
}
END_TEST

START_TEST(test_fatal_alert_during_handshake)
{
    tls_opts_t o = { .version = version_of(_i) };
    tls_conn_t c;
    srv_t sv;
    conn_open(&c, &sv, SRV_RAW_HS_ALERT, &o);
    tls_io_t r = tls_conn_handshake(&c, hs_deadline_in_ms(5000));
    ck_assert_msg(r == TLS_IO_ALERT, "got %s (%s)", tls_io_str(r), c.err);
    ck_assert_int_eq(c.alert_level, GNUTLS_AL_FATAL);
    ck_assert_int_eq(c.alert_desc, 40);
    conn_finish(&c, &sv);
    /* After a failed handshake the client must not answer with a close_notify of its own. */
    ck_assert_uint_eq(sv.raw_after, 0);
}
END_TEST

/* ---- 7. HelloRequest (TLS 1.2) ------------------------------------------------------------ */

START_TEST(test_hello_request_refused)
{
    tls_opts_t o = { .version = 12 };
    tls_conn_t c;
    srv_t sv;
    conn_open(&c, &sv, SRV_HELLO_REQUEST, &o);
    conn_handshake(&c);
    char buf[128];
    size_t n = 0;
    tls_io_t r = tls_conn_read(&c, buf, sizeof(buf) - 1, &n, hs_deadline_in_ms(5000));
    ck_assert_msg(r == TLS_IO_OK, "got %s (%s)", tls_io_str(r), c.err);
    buf[n] = 0;
    ck_assert_str_eq(buf, HR_DATA);
    ck_assert_int_eq(c.hello_requests, 1);
    ck_assert_int_eq(c.warning_alerts, 0);
    conn_finish(&c, &sv);
    ck_assert_msg(sv.after_rc == GNUTLS_E_WARNING_ALERT_RECEIVED,
                  "server record_recv after HelloRequest: %d (%s)", sv.after_rc,
                  gnutls_strerror(sv.after_rc));
    ck_assert_int_eq(sv.after_alert, GNUTLS_A_NO_RENEGOTIATION);
}
END_TEST

/* ---- 8. init failures --------------------------------------------------------------------- */

/* The fd is owned by the connection even when init fails: after close the peer sees EOF. */
static void assert_peer_sees_eof(int peer, const char *what)
{
    uint8_t b[64];
    ck_assert_int_eq(fcntl(peer, F_SETFL, O_NONBLOCK), 0);
    ssize_t r = recv(peer, b, sizeof(b), 0);
    if (r > 0) {
        char *h = unit_tohex(b, (size_t)r);
        ck_abort_msg("%s: a connection that never started sent %zd bytes: %s", what, r, h);
    }
    ck_assert_msg(r == 0, "%s: peer recv %zd (%s): client fd was not closed", what, r,
                  strerror(errno));
    close(peer);
}

START_TEST(test_init_bad_priority)
{
    int sp[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    tls_opts_t o = { .priority = "NONE:+BOGUS" };
    tls_conn_t c;
    ck_assert_int_eq(tls_conn_init(&c, sp[1], &o), -1);
    ck_assert_msg(strstr(c.err, "priority") != NULL && strstr(c.err, "BOGUS") != NULL,
                  "err: %s", c.err);
    tls_conn_close(&c, hs_deadline_in_ms(100));
    tls_conn_close(&c, hs_deadline_in_ms(100));
    assert_peer_sees_eof(sp[0], "bad priority");
}
END_TEST

START_TEST(test_init_other_failures)
{
    int sp[2];
    tls_conn_t c;
    /* A priority longer than the buffer. */
    char longp[700];
    memset(longp, 'A', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = 0;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    tls_opts_t o1 = { .priority = longp };
    ck_assert_int_eq(tls_conn_init(&c, sp[1], &o1), -1);
    ck_assert_msg(strstr(c.err, "too long") != NULL, "err: %s", c.err);
    tls_conn_close(&c, hs_deadline_in_ms(100));
    assert_peer_sees_eof(sp[0], "priority too long");
    /* A cipher list that overflows the built priority string. */
    char longc[700];
    for (size_t i = 0; i < sizeof(longc) - 1; i++)
        longc[i] = i % 12 == 11 ? ',' : 'X';
    longc[sizeof(longc) - 1] = 0;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    tls_opts_t o2 = { .ciphers = longc };
    ck_assert_int_eq(tls_conn_init(&c, sp[1], &o2), -1);
    tls_conn_close(&c, hs_deadline_in_ms(100));
    assert_peer_sees_eof(sp[0], "cipher list too long");
    /* An unopenable key log: session and credentials already exist and must be freed. */
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    tls_opts_t o3 = { .keylog_path = "/nonexistent-dir/keylog" };
    ck_assert_int_eq(tls_conn_init(&c, sp[1], &o3), -1);
    ck_assert_msg(strstr(c.err, "key log") != NULL, "err: %s", c.err);
    tls_conn_close(&c, hs_deadline_in_ms(100));
    assert_peer_sees_eof(sp[0], "key log unopenable");
}
END_TEST

/* The version option decides what is offered: the default (0) offers both and negotiates
 * 1.3 with a server that has both; 12 / 13 leave the other version out of the priority. */
START_TEST(test_version_option)
{
    tls_opts_t o = { .version = 0 };
    tls_conn_t c;
    srv_t sv;
    conn_open(&c, &sv, SRV_HOLD, &o);
    ck_assert_msg(strstr(c.priority, "+VERS-TLS1.3") && strstr(c.priority, "+VERS-TLS1.2"),
                  "%s", c.priority);
    conn_handshake(&c);
    tls_info_t info;
    tls_conn_info(&c, &info);
    ck_assert_str_eq(info.version, "TLS1.3");
    conn_finish(&c, &sv);

    for (int v = 12; v <= 13; v++) {
        int sp[2];
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
        tls_opts_t ov = { .version = v };
        ck_assert_int_eq(tls_conn_init(&c, sp[1], &ov), 0);
        ck_assert_msg(strstr(c.priority, v == 12 ? "+VERS-TLS1.2" : "+VERS-TLS1.3") != NULL &&
                          strstr(c.priority, v == 12 ? "TLS1.3" : "TLS1.2") == NULL,
                      "version %d: %s", v, c.priority);
        tls_conn_close(&c, hs_deadline_in_ms(100));
        close(sp[0]);
    }
}
END_TEST

/* The transcript lists only what went out, and the stream digest covers exactly that: a write
 * to a peer that is gone records nothing (the wire check holds the engine to this). */
START_TEST(test_channel_records_only_what_was_written)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    link_chan_t ch;
    ck_assert_int_eq(link_chan_init(&ch), 0);
    tls_conn_init_plain(&ch.tls, sv[0]);
    static const uint8_t bytes[] = "\x00\x00\x07\x00\x02\x00\x04";
    ck_assert_int_eq(link_chan_send_raw(&ch, span_of(bytes, 7), hs_deadline_in_ms(500)), LINK_OK);
    ck_assert_uint_eq(ch.n_recs, 1);
    ck_assert_uint_eq(ch.tls.tx.bytes, 7);
    uint8_t got[7], want[32], have[32];
    ck_assert_int_eq(read(sv[1], got, sizeof got), 7);
    ck_assert_int_eq(crypto_sha256(span_of(bytes, 7), want), 0);
    ck_assert_int_eq(sha256_stream_peek(&ch.tls.tx, have), 0);
    ck_assert_mem_eq(have, want, 32);
    close(sv[1]); /* the target goes away */
    link_io_t st = link_chan_send_raw(&ch, span_of(bytes, 7), hs_deadline_in_ms(500));
    ck_assert_msg(st == LINK_CLOSED || st == LINK_RESET, "write to a closed peer: %s",
                  link_io_str(st));
    ck_assert_uint_eq(ch.n_recs, 1);       /* the failed write is not in the transcript */
    ck_assert_uint_eq(ch.tls.tx.bytes, 7); /* nor in the stream digest */
    ck_assert_uint_eq(ch.sent_log.len, 7);
    link_chan_free(&ch, hs_deadline_in_ms(100));
}
END_TEST

Suite *suite_tls_client(void)
{
    Suite *s = suite_create("tls_client");
    TCase *t = tcase_create("socketpair");
    tcase_add_unchecked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_loop_test(t, test_session_facts, 0, 2);
    tcase_add_loop_test(t, test_keylog, 0, 2);
    tcase_add_loop_test(t, test_data_both_ways, 0, 2);
    tcase_add_loop_test(t, test_close_without_close_notify, 0, 2);
    tcase_add_loop_test(t, test_close_with_close_notify, 0, 2);
    tcase_add_loop_test(t, test_close_with_reset, 0, 2);
    tcase_add_loop_test(t, test_read_deadline, 0, 2);
    tcase_add_loop_test(t, test_fatal_alert_after_handshake, 0, 2);
    tcase_add_loop_test(t, test_fatal_alert_during_handshake, 0, 2);
    tcase_add_test(t, test_hello_request_refused);
    tcase_add_test(t, test_init_bad_priority);
    tcase_add_test(t, test_init_other_failures);
    tcase_add_test(t, test_version_option);
    tcase_add_test(t, test_channel_records_only_what_was_written);
    suite_add_tcase(s, t);
    return s;
}
