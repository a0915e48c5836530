/* wire_tlsrec.h — raw TLS on the wire, below any TLS library: the SSLv2-format compatible
 * ClientHello, TLS record framing, and the two server messages a downgrade probe reads first
 * (ServerHello, alert).
 *
 * Why not GnuTLS: it cannot emit an SSLv2-format hello, and a probe has to see the server's
 * first flight exactly as it crossed (legacy version, extensions, the alert that refused us),
 * not as a library's error code.  Everything here is bounded and allocation-free except the
 * builder, which writes into the caller's capped bld_t.  Handshake reassembly across records
 * and the one-line summary of a reply live in wire_tlsflight.h. */
#ifndef WIRE_TLSREC_H
#define WIRE_TLSREC_H

#include "bytes_span.h"
#include "wire_status.h"

/* ---------------------------------------------------------------------------------------- */
/* SSLv2-format compatible ClientHello (RFC 5246 appendix E.2; RFC 2246 E.1 likewise). */

#define SSLV2_CHALLENGE_MIN 16u /* the historically permissible challenge lengths */
#define SSLV2_CHALLENGE_MAX 32u
#define SSLV2_CAP_CHALLENGE 64u /* what the builder accepts when told to ignore the range */
#define SSLV2_CAP_SPECS 64u     /* cipher specs of each kind in one hello */
#define SSLV2_MSG_CLIENT_HELLO 1
#define SSLV2_MSG_SERVER_HELLO 4
#define SSLV2_CAP_RECORD 0x7fffu /* the 2-byte header's 15-bit length */

typedef struct sslv2_hello {
    uint16_t version;          /* the highest version the client offers: 0x0301..0x0303 */
    const uint16_t *suites;    /* TLS cipher suites, sent as 3-byte specs 00 xx yy */
    size_t n_suites;
    const uint32_t *v2_specs;  /* SSL 2.0 cipher kinds (24 bits each, e.g. 0x010080) */
    size_t n_v2_specs;
    span_t challenge;          /* 16..32 bytes */
    bool any_challenge_len;    /* a probe sending an out-of-range challenge on purpose */
} sslv2_hello_t;

/* Appends the 2-byte-header record holding the hello to b.  Refuses (bld_fail, with the
 * reason in b->why) an empty spec list, a challenge outside 16..32 unless any_challenge_len
 * (then 0..SSLV2_CAP_CHALLENGE), more than SSLV2_CAP_SPECS specs of a kind. */
void sslv2_hello_build(bld_t *b, const sslv2_hello_t *h);

/* ---------------------------------------------------------------------------------------- */
/* Records (RFC 5246 §6.2.1 TLSPlaintext). */

#define TLSREC_HEADER_LEN 5u
/* A TLSPlaintext fragment is at most 2^14; ciphertext may add 2048 (RFC 5246 §6.2.3).
 * Anything longer is not a TLS record we would accept from a server. */
#define TLSREC_CAP_FRAGMENT (16384u + 2048u)

enum {
    TLS_CT_CHANGE_CIPHER_SPEC = 20,
    TLS_CT_ALERT = 21,
    TLS_CT_HANDSHAKE = 22,
    TLS_CT_APPLICATION_DATA = 23,
};

typedef struct tlsrec {
    bool sslv2;          /* an SSLv2-format record (2-byte header, high bit set) */
    uint8_t type;        /* TLS content type; sslv2: the message type (first body byte) */
    uint16_t version;    /* legacy_record_version; 0 for sslv2 */
    span_t fragment;     /* sslv2: the whole message body */
    size_t wire_len;     /* header + fragment */
} tlsrec_t;

/* Frames the first record of in.  WIRE_OK: *rec describes it (pointing into in).
 * WIRE_TRUNCATED: need more bytes (nothing is wrong yet).  WIRE_BAD_VALUE: the stream is not
 * TLS records (unknown content type, major version not 3, or a fragment over the cap).
 * A record whose first byte has the high bit set is framed as an SSLv2 record with the 2-byte
 * header (a server answering in SSL 2.0 — itself evidence). */
wire_status_t tlsrec_frame(span_t in, tlsrec_t *rec) HS_MUST_CHECK;

/* "handshake", "alert", … or NULL for a content type with no registered name. */
const char *tls_content_type_name(uint8_t type);
/* "ServerHello", "Certificate", … or NULL. */
const char *tls_hs_type_name(uint8_t type);

/* ---------------------------------------------------------------------------------------- */
/* Alert (RFC 5246 §7.2): exactly two bytes. */

wire_status_t tls_alert_parse(span_t fragment, uint8_t *level, uint8_t *desc) HS_MUST_CHECK;

/* The first record of in if it is one well-formed alert: content type 21, major version 3, a
 * 2-byte fragment whose level is warning (1) or fatal (2).  WIRE_OK: *level, *desc and
 * *wire_len (the record's 7 bytes) describe it.  WIRE_TRUNCATED: what is there so far can
 * still become one (in is empty, or a prefix of one).  WIRE_BAD_VALUE: it cannot (another
 * content type or length, an unknown level, an SSLv2-format header).  Lets a reader of a
 * connection still in clear tell a TLS alert from any other bytes without waiting for more
 * than 7 of them. */
wire_status_t tlsrec_alert_frame(span_t in, uint8_t *level, uint8_t *desc,
                                 size_t *wire_len) HS_MUST_CHECK;

/* ---------------------------------------------------------------------------------------- */
/* ServerHello (RFC 5246 §7.4.1.3, RFC 8446 §4.1.3), body without the 4-byte message header. */

#define TLS_HS_SERVER_HELLO 2
#define TLS_HS_CERTIFICATE 11
#define TLS_HS_SERVER_HELLO_DONE 14
#define TLS_CAP_SH_EXTS 32u
#define TLS_EXT_SUPPORTED_VERSIONS 43
#define TLS_EXT_RENEGOTIATION_INFO 0xff01

typedef enum tls_downgrade_mark {
    TLS_DOWNGRADE_NONE = 0,
    TLS_DOWNGRADE_TLS12, /* random ends "DOWNGRD\x01": a TLS 1.3 server negotiated 1.2 */
    TLS_DOWNGRADE_TLS11, /* random ends "DOWNGRD\x00": 1.1 or below */
} tls_downgrade_mark_t;

typedef struct tls_server_hello {
    uint16_t legacy_version;
    uint8_t random[32];
    uint8_t session_id_len;
    uint8_t session_id[32];
    uint16_t suite;
    uint8_t compression;
    bool hrr; /* the random is RFC 8446's HelloRetryRequest constant */
    tls_downgrade_mark_t downgrade;
    size_t n_exts;
    uint16_t ext_types[TLS_CAP_SH_EXTS]; /* in order */
    bool ri;            /* renegotiation_info present (RFC 5746) ... */
    uint8_t ri_len;     /* ... and its renegotiated_connection length (0 on a first hello) */
    bool has_selected_version;
    uint16_t selected_version; /* supported_versions (TLS 1.3) */
} tls_server_hello_t;

/* The extensions block that ends a hello (RFC 8446 §4.2): what is left of body after the fixed
 * fields.  Empty body: no extensions (optional before TLS 1.3).  Each extension's type goes to
 * types[*n] (at most cap: WIRE_TOO_MANY beyond) and its body to on_ext(ctx, type, body), whose
 * non-OK status ends the walk.  Bytes after the block: WIRE_TRAILING. */
typedef wire_status_t (*tls_ext_fn)(void *ctx, uint16_t type, span_t body);
wire_status_t tls_hello_exts(span_t body, uint16_t *types, size_t cap, size_t *n,
                             tls_ext_fn on_ext, void *ctx) HS_MUST_CHECK;

/* WIRE_TRUNCATED / WIRE_TRAILING / WIRE_BAD_VALUE (a session id over 32 bytes, a malformed
 * renegotiation_info or supported_versions), WIRE_TOO_MANY (more extensions than the cap). */
wire_status_t tls_server_hello_parse(span_t body, tls_server_hello_t *out) HS_MUST_CHECK;
/* The version the server chose: supported_versions if present, else legacy_version. */
uint16_t tls_server_hello_version(const tls_server_hello_t *sh);
/* "TLS1.2", "SSL3.0", … or NULL for anything else. */
const char *tls_version_name(uint16_t v);
/* 0x0301 for "TLS1.0", …, 0 for an unknown name. */
uint16_t tls_version_from_name(const char *name);

#endif
