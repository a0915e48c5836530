/* link_auth_verify.h — the responder's check of an initiator's AUTHENTICATE (tor-link.md
 * §1.12, §5.4): every field recomputed from this channel as the responder sees it, then the
 * Ed25519 signature verified with the link-authentication key the initiator's type-6 cert
 * certifies.  This is how the harness judges a real relay that extends a circuit to it (R←RI,
 * catalogue F25) — the mirror image of link_auth's builder.
 *
 * Expected values: CID/CID_ED from the initiator's CERTS (verified as an initiator's chain),
 * SID/SID_ED from our own keys, SLOG over every byte we sent through our first AUTH_CHALLENGE,
 * CLOG over every byte received before the AUTHENTICATE cell, SCERT = SHA-256 of the TLS
 * certificate we presented, TLSSECRETS = the RFC 5705 exporter with context CID. */
#ifndef LINK_AUTH_VERIFY_H
#define LINK_AUTH_VERIFY_H

#include "link_auth.h"

typedef struct auth_check {
    bool parsed;     /* the cell split into AuthType/AuthLen/Authentication */
    uint16_t type, authlen;
    bool ok;         /* every field as expected and the signature valid */
    char mismatch[16]; /* "none", or the first field that differs: type, authlen, certs, cid, …, sig */
    char why[240];
    /* Per field (type-3 layout, SIG excluded): what arrived and what we expected. */
    uint8_t got[AF_COUNT][32];
    uint8_t want[AF_COUNT][32];
    bool have_want[AF_COUNT]; /* false: its inputs were missing (e.g. no CERTS) */
    bool field_ok[AF_COUNT];
    bool sig_ok;
} auth_check_t;

/* Judges the AUTHENTICATE cell whose body is `body`, received on ch as the transcript's last
 * received record.  our_cert is the TLS certificate we presented on ch.  0: judged (read
 * out->ok); -1: a harness fault, with err set. */
int link_auth_verify(link_chan_t *ch, const relay_identity_t *id, span_t our_cert, span_t body,
                     int64_t now, auth_check_t *out, char *err, size_t errlen) HS_MUST_CHECK;

#endif
