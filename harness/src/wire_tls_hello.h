/* wire_tls_hello.h — which extensions a TLS ServerHello carries.
 *
 * GnuTLS hands its handshake hook the ServerHello body as it arrived; the engine reads the
 * extension list itself because what the server *sent* is the evidence (RFC 5746 §3.6: an
 * empty renegotiation_info in reply to ours), not what the TLS library concluded from it. */
#ifndef WIRE_TLS_HELLO_H
#define WIRE_TLS_HELLO_H

#include "bytes_span.h"
#include "wire_status.h"

#define TLS_EXT_RENEGOTIATION_INFO 0xff01u
#define TLS_SERVER_HELLO_EXT_CAP 32u /* extension types remembered */

typedef struct tls_server_hello_exts {
    uint16_t legacy_version;
    uint16_t suite;
    size_t n;
    uint16_t type[TLS_SERVER_HELLO_EXT_CAP];
} tls_server_hello_exts_t;

/* body: the ServerHello handshake body (after the 4-byte handshake header). */
wire_status_t tls_server_hello_exts(span_t body, tls_server_hello_exts_t *out) HS_MUST_CHECK;
bool tls_server_hello_has(const tls_server_hello_exts_t *h, uint16_t type);

#endif
