/* tls_conn.h — a GnuTLS session (client, or server for the responder role) over one of our own
 * non-blocking TCP sockets.
 *
 * Why our own transport functions: every read and write carries a deadline (poll), and the
 * pull function records *how* the peer went away (FIN vs RST, with the time), which is
 * evidence for a verdict — GnuTLS alone folds both into "premature termination".
 * Priority strings are always explicit (Debian's bare NORMAL still enables TLS 1.0). */
#ifndef TLS_CONN_H
#define TLS_CONN_H

#include "bytes_span.h"
#include "crypto_digest.h"
#include "hs_clock.h"

#include <gnutls/gnutls.h>
#include <stdio.h>

/* Renegotiation stance of our ClientHello / ServerHello (RFC 5746). */
typedef enum tls_reneg {
    TLS_RENEG_SAFE = 0, /* GnuTLS's default: RI sent; a legacy peer is talked to, but only a
                         * secure renegotiation is done */
    TLS_RENEG_UNSAFE,   /* RI sent; renegotiates with a legacy peer too (probes what it does) */
    TLS_RENEG_NONE,     /* no renegotiation_info at all: play a pre-RFC 5746 (legacy) peer */
} tls_reneg_t;

typedef struct tls_opts {
    int version;          /* 0: offer TLS 1.3 and 1.2; 10, 11, 12 or 13: only that one */
    bool fallback_scsv;   /* add TLS_FALLBACK_SCSV (0x5600, RFC 7507) to the suite list */
    tls_reneg_t reneg;
    const char *ciphers;  /* comma list of GnuTLS cipher names; NULL: built-in set */
    const char *groups;   /* comma list of GnuTLS group names (X25519, SECP256R1, …) */
    const char *kx;       /* TLS 1.2 key exchanges (ECDHE-RSA, DHE-RSA, RSA, …) */
    const char *priority; /* full GnuTLS priority string; overrides the four above */
    const char *keylog_path; /* NSS key log, appended to; NULL: none */
} tls_opts_t;

typedef enum tls_io {
    TLS_IO_OK = 0,
    TLS_IO_TIMEOUT,   /* deadline passed with nothing decided */
    TLS_IO_CLOSED,    /* peer closed: FIN (or close_notify) */
    TLS_IO_RESET,     /* peer closed: RST */
    TLS_IO_ALERT,     /* peer sent a fatal alert (alert_level/alert_desc set) */
    TLS_IO_ERROR,     /* TLS protocol failure (err set) */
    TLS_IO_HARNESS,   /* our own fault: allocation, bad priority string, … */
} tls_io_t;

const char *tls_io_str(tls_io_t st);

#define TLS_CAP_HANDSHAKES 4u /* client randoms remembered: the first + renegotiations */
/* Server end: what the client sent until the first handshake ended, kept raw (a ClientHello
 * with post-quantum key shares is ~2 KiB; more than this is cut and said to be). */
#define TLS_CAP_CLIENT_FLIGHT (16u * 1024u)

typedef struct tls_conn {
    int fd;
    uint16_t local_port; /* our end of the TCP connection: how the wire check finds it */
    gnutls_session_t s;
    gnutls_certificate_credentials_t cred;
    FILE *keylog;
    bool established; /* the TLS handshake completed */
    bool saw_eof, saw_rst;
    hs_ns_t closed_at; /* monotonic time the FIN/RST was seen */
    int alert_level, alert_desc; /* last alert received, -1 if none */
    int warning_alerts; /* warning alerts received and tolerated */
    int hello_requests; /* server-initiated renegotiation requests refused */
    bool plain;             /* no TLS at all: reads and writes go to the socket as they are */
    bool server;            /* we are the TLS server (responder role) */
    bool stop_on_warning;   /* tls_conn_read returns TLS_IO_ALERT on a warning alert too */
    int renegotiations;     /* renegotiations that completed (ours or, as server, requested) */
    /* STARTTLS: the connection began in clear; these many bytes crossed each way before the
     * TLS handshake (they are the head of tx/rx; the wire check reads them as TCP payload). */
    bool upgraded;
    uint64_t clear_tx, clear_rx;
    /* The last ServerHello as it arrived (client side): what the server really sent. */
    bool have_server_hello;
    bool server_hello_ri; /* it carried renegotiation_info (RFC 5746) */
    /* What crossed above TLS (plain: above TCP), per direction, as the engine saw it: the
     * claim the wire check holds against the decrypted capture. */
    sha256_stream_t tx, rx;
    size_t last_write_done; /* bytes the last tls_conn_write got out, even if it then failed */
    uint8_t client_randoms[TLS_CAP_HANDSHAKES][32]; /* one per handshake attempted */
    unsigned n_client_randoms;
    bool have_server_cert_sha256;
    uint8_t server_cert_sha256[HS_SHA256_LEN]; /* SHA-256 of the TLS server's leaf (DER): the
                                                * peer's, or ours when we are the server */
    /* Server end: every byte the client sent before the first handshake completed, as it
     * crossed (heap, TLS_CAP_CLIENT_FLIGHT): the ClientHello a fingerprint check reads, and a
     * refusal GnuTLS cannot read itself (an alert in a record whose version it rejects). */
    uint8_t *client_flight;
    size_t client_flight_len;
    bool client_flight_cut;
    char priority[600];
    char err[256];
} tls_conn_t;

typedef struct tls_info {
    const char *version, *cipher, *kx, *mac, *group;
    bool resumed;
    bool safe_reneg; /* client: the server's ServerHello carried renegotiation_info;
                      * server: GnuTLS says both sides signalled RFC 5746 */
} tls_info_t;

/* Takes ownership of fd (closed by tls_conn_close even on failure). */
int tls_conn_init(tls_conn_t *c, int fd, const tls_opts_t *o) HS_MUST_CHECK;
/* Server end (the responder role): presents cert_der (the X.509 link certificate) with key,
 * asks for no client certificate, issues no TLS 1.2 session tickets (tor's settings,
 * tor-link.md §4.2).  The key is copied: the caller keeps ownership of its own. */
int tls_conn_init_server(tls_conn_t *c, int fd, const tls_opts_t *o, span_t cert_der,
                         gnutls_privkey_t key) HS_MUST_CHECK;
/* A connection without TLS (probes that speak garbage or plaintext to a TLS port); the same
 * read/write/close calls work on it and still record FIN vs RST. */
void tls_conn_init_plain(tls_conn_t *c, int fd);
/* STARTTLS: turns the plain connection c into a TLS client (or server) on the same socket,
 * keeping its byte counts and FIN/RST bookkeeping.  The handshake is tls_conn_handshake's. */
int tls_conn_upgrade(tls_conn_t *c, const tls_opts_t *o) HS_MUST_CHECK;
int tls_conn_upgrade_server(tls_conn_t *c, const tls_opts_t *o, span_t cert_der,
                            gnutls_privkey_t key) HS_MUST_CHECK;
tls_io_t tls_conn_handshake(tls_conn_t *c, hs_ns_t deadline) HS_MUST_CHECK;
/* Renegotiation (TLS 1.2): client-initiated, or as the server a HelloRequest first.  Application data that arrives meanwhile is
 * appended to app (at most app_cap bytes in total, *app_len updated).  TLS_IO_OK: renegotiated;
 * TLS_IO_ALERT: refused with an alert (alert_level/alert_desc say which; a warning
 * no_renegotiation is the RFC 5746 refusal); TLS_IO_TIMEOUT: no answer (a client may ignore a
 * HelloRequest); otherwise the connection failed. */
tls_io_t tls_conn_renegotiate(tls_conn_t *c, hs_ns_t deadline, uint8_t *app, size_t app_cap,
                              size_t *app_len) HS_MUST_CHECK;
tls_io_t tls_conn_write(tls_conn_t *c, const void *p, size_t n, hs_ns_t deadline) HS_MUST_CHECK;
/* Reads what is available (≥ 1 byte) into buf. */
tls_io_t tls_conn_read(tls_conn_t *c, void *buf, size_t cap, size_t *got, hs_ns_t deadline)
    HS_MUST_CHECK;
/* Best-effort close_notify (bounded by deadline), then close.  Safe to call twice. */
void tls_conn_close(tls_conn_t *c, hs_ns_t deadline);

void tls_conn_info(tls_conn_t *c, tls_info_t *out);
/* The peer's leaf certificate (DER), valid until close. */
int tls_conn_peer_cert(tls_conn_t *c, span_t *der) HS_MUST_CHECK;
/* Server end: the client's raw bytes up to the end of the first handshake (empty on a client
 * or a plain connection). */
span_t tls_conn_client_flight(const tls_conn_t *c);
/* RFC 5705 / RFC 8446 §7.5 exporter with a context. */
int tls_conn_exporter(tls_conn_t *c, const char *label, span_t context, uint8_t *out,
                      size_t outlen) HS_MUST_CHECK;
int tls_conn_randoms(tls_conn_t *c, uint8_t client[32], uint8_t server[32]) HS_MUST_CHECK;
/* TLS 1.2 master secret (48 bytes); fails under TLS 1.3. */
int tls_conn_master_secret(tls_conn_t *c, uint8_t out[48]) HS_MUST_CHECK;

#endif
