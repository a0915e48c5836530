/* wire_auth.h — AUTH_CHALLENGE (cmd 130) and AUTHENTICATE (cmd 131) bodies.
 *
 * tor-link.md §1.11–1.12.  AUTHENTICATE's Authentication field has two layouts: type 3
 * (Ed25519-SHA256-RFC5705, 352 bytes) and type 1 (RSA-SHA256-TLSSecret, historical).  The
 * parsers here only split fields; computing and checking them is the link layer's job. */
#ifndef WIRE_AUTH_H
#define WIRE_AUTH_H

#include "bytes_span.h"
#include "wire_status.h"

enum {
    AUTH_METHOD_RSA_SHA256_TLSSECRET = 1,
    AUTH_METHOD_RSA_SHA256_RFC5705 = 2,
    AUTH_METHOD_ED25519_SHA256_RFC5705 = 3,
};

typedef struct auth_challenge {
    uint8_t challenge[32];
    uint16_t n_methods;
    uint16_t methods[HS_CAP_AUTH_METHODS];
    size_t trailing;
} auth_challenge_t;

/* Fewer than 34 bytes or truncated methods → WIRE_TRUNCATED ("not well-formed"). */
wire_status_t auth_challenge_parse(span_t body, auth_challenge_t *out) HS_MUST_CHECK;
void auth_challenge_build(bld_t *b, const uint8_t challenge[32], const uint16_t *methods,
                          size_t n);

typedef struct authenticate {
    uint16_t auth_type;
    uint16_t auth_len;
    span_t auth;     /* the Authentication field, auth_len bytes */
    size_t trailing; /* bytes after 4+auth_len (ignored by tor) */
} authenticate_t;

wire_status_t authenticate_parse(span_t body, authenticate_t *out) HS_MUST_CHECK;
void authenticate_build(bld_t *b, uint16_t auth_type, span_t auth);

/* The TLS binding labels (tor-link.md §1.12): type 3's RFC 5705 exporter label, and the string
 * (with its NUL) that ends type 1's TLSSECRETS HMAC input. */
#define AUTH3_EXPORTER_LABEL "EXPORTER FOR TOR TLS CLIENT BINDING AUTH0003"
#define AUTH1_TLSSECRETS_LABEL "Tor V3 handshake TLS cross-certification"

#define AUTH3_LEN 352u
#define AUTH3_SIGNED_LEN 288u
typedef struct auth3_fields {
    uint8_t type[8]; /* "AUTH0003" */
    uint8_t cid[32], sid[32], cid_ed[32], sid_ed[32];
    uint8_t slog[32], clog[32], scert[32], tlssecrets[32];
    uint8_t rand[24];
    uint8_t sig[64];
} auth3_fields_t;

/* Splits a type-3 Authentication field; it must be exactly 352 bytes. */
wire_status_t auth3_parse(span_t auth, auth3_fields_t *out) HS_MUST_CHECK;
/* Writes the first 288 bytes (everything the signature covers). */
void auth3_build_signed_part(bld_t *b, const auth3_fields_t *f);

#define AUTH1_SIGNED_LEN 224u
typedef struct auth1_fields {
    uint8_t type[8]; /* "AUTH0001" */
    uint8_t cid[32], sid[32], slog[32], clog[32], scert[32], tlssecrets[32];
    uint8_t rand[24];
    span_t sig; /* the rest: RSA signature */
} auth1_fields_t;

wire_status_t auth1_parse(span_t auth, auth1_fields_t *out) HS_MUST_CHECK;
void auth1_build_signed_part(bld_t *b, const auth1_fields_t *f);

#endif
