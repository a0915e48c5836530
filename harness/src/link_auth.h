/* link_auth.h — the initiator's AUTHENTICATE authenticator, computed from the channel.
 *
 * Type 3 (Ed25519-SHA256-RFC5705, tor-link.md §1.12) and type 1 (RSA-SHA256-TLSSecret, the
 * historical method tor 0.4.9 refuses: a downgrade probe).  Every field is derived from what
 * actually crossed this channel — SLOG from the bytes received through the first
 * AUTH_CHALLENGE, CLOG from every byte sent so far, SID/SID_ED from the responder's CERTS,
 * SCERT from the TLS certificate it presented — so the wire check can recompute each one
 * from the capture and hold the engine to it.  A field whose inputs never arrived (no CERTS,
 * no AUTH_CHALLENGE yet) is left zero and marked unavailable, never guessed. */
#ifndef LINK_AUTH_H
#define LINK_AUTH_H

#include "crypto_identity.h"
#include "link_channel.h"
#include "wire_auth.h"

/* Where a field's value came from; the result reports it per field. */
typedef enum auth_src {
    AUTH_SRC_COMPUTED = 0, /* derived by the engine: claimed correct */
    AUTH_SRC_SCENARIO,     /* forced by the scenario (usually deliberately wrong) */
    AUTH_SRC_RANDOM,
    AUTH_SRC_UNAVAILABLE,  /* its inputs have not crossed the channel: zeros */
} auth_src_t;
const char *auth_src_name(auth_src_t s);

typedef enum auth_field {
    AF_CID,
    AF_SID,
    AF_CID_ED, /* type 3 only */
    AF_SID_ED, /* type 3 only */
    AF_SLOG,
    AF_CLOG,
    AF_SCERT,
    AF_TLSSECRETS,
    AF_RAND,
    AF_SIG,
    AF_COUNT,
} auth_field_t;
const char *auth_field_name(auth_field_t f); /* "cid", "sid_ed", … */

typedef struct auth_claim {
    uint16_t type; /* 1 or 3 */
    bool mutated;  /* byte mutations followed: the cell no longer carries these values */
    uint8_t val[AF_COUNT][128]; /* SIG of type 1 is an RSA-1024 signature */
    uint8_t len[AF_COUNT]; /* 0: the field does not exist in this type */
    auth_src_t src[AF_COUNT];
} auth_claim_t;

/* SHA-256 of our RSA identity key's PKCS#1 DER: CID when we initiate, SID when we answer. */
int link_auth_rsa_id_sha256(const relay_identity_t *id, uint8_t out[32]) HS_MUST_CHECK;

/* Fills every field of claim->type that the channel allows (SIG excluded: sign last, after
 * the caller's overrides).  -1 with err set on a harness fault. */
int link_auth_derive(link_chan_t *ch, const relay_identity_t *id, int64_t now,
                     auth_claim_t *claim, char *err, size_t errlen) HS_MUST_CHECK;
/* Signs the claim's fields (type 3: Ed25519 with the link-auth key; type 1: raw PKCS#1 v1.5
 * with the type-3 RSA auth key) unless the signature was forced, and writes the whole
 * Authentication field.  -1 with err set on a harness fault. */
int link_auth_finish(const relay_identity_t *id, auth_claim_t *claim, bld_t *auth, char *err,
                     size_t errlen) HS_MUST_CHECK;

#endif
