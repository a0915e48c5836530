/* link_certs_verify.h — judges a peer's CERTS cell as the spec requires (tor-link.md §5.2).
 *
 * An initiator checks the responder's CERTS (CERTS_PEER_RESPONDER: type 5 binds the chain to
 * the TLS certificate, or type 1 on the RSA-only path); a responder checks the initiator's
 * (CERTS_PEER_INITIATOR: type 6 instead of 5, type 3 instead of 1, no TLS binding).
 *
 * Every check is recorded, pass or fail, with a stable id, so a report can show the whole
 * chain; the evaluation does not stop at the first failure.  Checks run in tor's order, so the
 * first failing one carries tor's own reason wording (first_failure).  Checks the spec requires
 * but tor skips (Ed25519 CERT_TYPE against the slot, CERT_KEY_TYPE) are recorded after tor's and
 * count against the verdict: the harness reports the spec verdict.
 *
 * Undecodable certificates are treated as absent, as tor does: an "advisory" check records the
 * reason and the consequence shows up in the presence check that follows.  Ed25519 certs with
 * an unknown AFFECTS_VALIDATION extension or a second signed-with-key extension count as
 * undecodable (cert-spec: such a cert must not be accepted; tor's parser refuses it).
 *
 * One deliberate reading: the Ed path is chosen when a type-4 entry is present at all, even
 * an undecodable one (tor falls back to the RSA path if it cannot decode it). */
#ifndef LINK_CERTS_VERIFY_H
#define LINK_CERTS_VERIFY_H

#include "hs_common.h"
#include "wire_certs.h"

typedef enum { CERTS_PEER_RESPONDER, CERTS_PEER_INITIATOR } certs_peer_role_t;

typedef struct certs_check {
    const char *id;   /* stable, e.g. "certs.ed.link-matches-tls" */
    const char *spec; /* e.g. "tor-spec 4.2 / cert-spec 2.1" */
    bool ok;
    bool evaluated; /* false: a prerequisite was missing (then ok is false too) */
    bool advisory;  /* failure is noted but not by itself fatal (cert then treated as absent) */
    const char *reason; /* tor's wording when this check fails (static string) */
    char detail[200];
} certs_check_t;

typedef struct certs_cert_info {
    uint8_t type;
    size_t len;
    uint8_t sha256[32]; /* of the entry's bytes as received */
    bool decoded;
    bool duplicate; /* an earlier entry had the same type */
    bool has_expiry;
    int64_t expires; /* unix s: notAfter, or expiration hours × 3600 */
    bool expired;    /* Ed/cross: expires < now; X.509: notAfter < now − 2 days */
    char note[160];
} certs_cert_info_t;

typedef struct certs_verdict {
    bool ok;                 /* acceptable per the spec */
    bool ed_path;            /* type 4 present → Ed path mandatory */
    char first_failure[200]; /* tor's reason wording of the first failure, "" when ok */
    const char *first_failure_id; /* id of that check, NULL when ok */
    /* Identities as presented (proven only when ok). */
    bool have_rsa_id;
    uint8_t rsa_id_sha1[20];
    uint8_t rsa_id_sha256[32];
    bool have_ed_id;
    uint8_t ed_id[32];
    bool have_ed_signing;
    uint8_t ed_signing[32];
    bool have_ed_link_auth;
    uint8_t ed_link_auth[32];
    certs_check_t checks[64];
    size_t n_checks;
    certs_cert_info_t certs[HS_CAP_CERTS_ENTRIES];
    size_t n_certs;
} certs_verdict_t;

/* 0: evaluation completed (read out->ok); -1: harness fault (e.g. GnuTLS failed).
 * tls_cert_der is the peer's TLS leaf (empty span when the peer is the initiator).
 * now is unix seconds. */
int certs_verify(const certs_cell_t *cell, certs_peer_role_t role, span_t tls_cert_der, int64_t now,
                 certs_verdict_t *out) HS_MUST_CHECK;

/* The recorded check with this id, or NULL. */
const certs_check_t *certs_verdict_find(const certs_verdict_t *v, const char *id);

#endif
