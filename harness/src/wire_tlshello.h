/* wire_tlshello.h — a client's first TLS flight as it crossed: the ClientHello (RFC 5246
 * §7.4.1.2, RFC 8446 §4.1.2) reassembled from the raw records the server end received, and
 * parsed into what a fingerprint check looks at — suites and extensions in order, SNI,
 * supported_groups, key_share groups, supported_versions.
 *
 * Why our own parser: GnuTLS answers what it *negotiated*, not what the client *offered* or in
 * which order; tor-link.md §4.3 describes tor's ClientHello byte by byte (a client fingerprint),
 * and the responder role checks it (catalogue H14).  Every list is capped; a hello with more
 * entries than a cap is WIRE_TOO_MANY, never silently shortened. */
#ifndef WIRE_TLSHELLO_H
#define WIRE_TLSHELLO_H

#include "wire_tlsrec.h"

#define TLS_HS_CLIENT_HELLO 1
#define TLS_CAP_CH_SUITES 256u /* cipher_suites is at most 2^16-2 bytes; real hellos < 100 */
#define TLS_CAP_CH_EXTS 64u
#define TLS_CAP_CH_LIST 64u    /* groups, key shares, versions */
#define TLS_CAP_CH_SNI 256u    /* a DNS name is at most 253 characters */
#define TLS_CAP_CH_BODY 65536u /* what the reassembly keeps of one ClientHello */

#define TLS_EXT_SERVER_NAME 0
#define TLS_EXT_SUPPORTED_GROUPS 10
#define TLS_EXT_ALPN 16
#define TLS_EXT_KEY_SHARE 51

typedef struct tls_client_hello {
    uint16_t record_version; /* of the record that carried its first byte */
    uint32_t body_len;       /* the handshake message body, without its 4-byte header */
    uint16_t legacy_version;
    uint8_t random[32];
    uint8_t session_id_len;
    size_t n_suites;
    uint16_t suites[TLS_CAP_CH_SUITES];
    size_t n_compressions;
    size_t n_exts;
    uint16_t ext_types[TLS_CAP_CH_EXTS]; /* in order */
    bool has_sni;
    char sni[TLS_CAP_CH_SNI]; /* the first host_name entry, NUL-terminated */
    size_t n_groups, n_key_shares, n_versions;
    uint16_t groups[TLS_CAP_CH_LIST];     /* supported_groups */
    uint16_t key_shares[TLS_CAP_CH_LIST]; /* the groups of key_share entries */
    uint16_t versions[TLS_CAP_CH_LIST];   /* supported_versions */
} tls_client_hello_t;

/* The body (without the 4-byte message header) of a ClientHello.  WIRE_TRUNCATED,
 * WIRE_TRAILING, WIRE_BAD_VALUE (a session id over 32 bytes, an odd-length list, a host name
 * with a NUL or over the cap), WIRE_TOO_MANY (a list over its cap). */
wire_status_t tls_client_hello_parse(span_t body, tls_client_hello_t *out) HS_MUST_CHECK;

/* Finds the ClientHello at the start of a client's raw byte stream (TLS records, possibly
 * several handshake records) and parses it.  WIRE_TRUNCATED: the stream ends first;
 * WIRE_BAD_VALUE: not TLS records, or the first handshake message is not a ClientHello. */
wire_status_t tls_client_hello_from_stream(span_t stream, tls_client_hello_t *out) HS_MUST_CHECK;

/* One line, e.g. "ClientHello record 0x0301 legacy 0x0303 body 508, session id 32, suites
 * 1301,1303,…, exts 0,11,…, sni www.x.com, groups 0017,…, key shares 0017, versions
 * 0304,0303".  Always NUL-terminated. */
void tls_client_hello_summary(const tls_client_hello_t *h, char *buf, size_t cap);

#endif
