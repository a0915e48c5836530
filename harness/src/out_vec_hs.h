/* out_vec_hs.h — the in-process handshakes behind handshake.json and authenticate.json.
 *
 * The harness initiator (identity harness-a) and the harness responder (harness-b) talk over a
 * local socket pair through the engine's own channel (link_channel: framing, circ-id width
 * switching, the per-direction transcript) with no TLS between them.  What TLS would have
 * contributed to AUTHENTICATE is a fixed input drawn from the seeded DRBG and recorded in the
 * files: the responder's TLS certificate is its x509-link cert (so SCERT is its SHA-256), the
 * type-3 exporter output, and for type 1 the client/server randoms and master secret.  Every
 * byte the two sides send above TLS is therefore the same on any machine, any day. */
#ifndef OUT_VEC_HS_H
#define OUT_VEC_HS_H

#include "link_auth.h"
#include "out_vec.h"

#define VEC_HS_CAP_CELLS 16u

typedef struct vec_hs_def {
    const char *id;
    const char *desc;
    uint16_t ivers[4];
    size_t n_ivers;
    uint16_t rvers[4];
    size_t n_rvers;
    int rcerts[6]; /* the responder's CERTS types, in order */
    size_t n_rcerts;
    uint16_t methods[4]; /* AUTH_CHALLENGE methods */
    size_t n_methods;
    int icerts[6]; /* the initiator's CERTS types (none: an unauthenticated client) */
    size_t n_icerts;
    bool vpadding_first;       /* the initiator opens with an empty VPADDING */
    bool vpadding_before_certs; /* and sends 8 random bytes of VPADDING before its CERTS */
    uint16_t auth_type;         /* 0: no AUTHENTICATE; 1 or 3 */
    bool initiator_is_relay;    /* NETINFO with its clock and address, as a public relay */
} vec_hs_def_t;

typedef struct vec_hs_cell {
    bool from_initiator;
    uint8_t cmd;
    uint8_t circ_width;
    uint32_t circ_id;
    size_t off, len; /* in the sender's stream */
} vec_hs_cell_t;

typedef struct vec_hs {
    const vec_hs_def_t *def;
    uint16_t link;
    bld_t ibytes, rbytes; /* everything each side sent above TLS */
    vec_hs_cell_t cells[VEC_HS_CAP_CELLS]; /* in conversation order */
    size_t n_cells;
    uint8_t challenge[32];
    /* Fixed TLS inputs. */
    uint8_t exporter[32];
    uint8_t client_random[32], server_random[32], master_secret[48];
    /* AUTHENTICATE, when the initiator authenticated. */
    auth_claim_t claim;
    bld_t auth;           /* the Authentication field */
    size_t slog_len, clog_len;
} vec_hs_t;

const vec_hs_def_t *vec_hs_defs(size_t *n);
/* Runs one handshake.  -1 with ctx->err set (a harness fault or a side that would not accept
 * the other: the generator never writes a transcript its own engine rejects). */
int vec_hs_run(vec_ctx_t *ctx, const vec_hs_def_t *def, vec_hs_t *out) HS_MUST_CHECK;
void vec_hs_free(vec_hs_t *hs);
/* The DRBG label of one of a transcript's random values ("challenge", "rand", …). */
void vec_hs_label(const vec_hs_def_t *def, const char *what, char *out, size_t n);

/* The type-1 TLSSECRETS: HMAC-SHA256(master secret, client random ‖ server random ‖
 * "Tor V3 handshake TLS cross-certification" ‖ NUL). */
#define VEC_AUTH1_LABEL AUTH1_TLSSECRETS_LABEL
#define VEC_AUTH3_EXPORTER_LABEL AUTH3_EXPORTER_LABEL

#endif
