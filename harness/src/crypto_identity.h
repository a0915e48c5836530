/* crypto_identity.h — a complete relay identity and the seven CERTS certificates it issues.
 *
 * Key roles follow tor (tor-link.md §1.7–1.10): RSA-1024 identity (KP_relayid_rsa), RSA TLS
 * link key (2048 in tor; tests may ask for 1024 to save time), RSA-1024 type-3 auth key, and
 * Ed25519 identity (KP_relayid_ed), signing (KP_relaysign_ed) and link-auth (KP_link_ed) keys.
 *
 * Builders never read the clock: validity windows and expiry hours are inputs, so scenarios
 * can make any cert expired, not yet valid or long-lived.  Every builder appends to a bld_t
 * and returns 0, or -1 on a harness fault. */
#ifndef CRYPTO_IDENTITY_H
#define CRYPTO_IDENTITY_H

#include "bytes_span.h"
#include "crypto_ed25519.h"
#include "crypto_rsa.h"
#include "crypto_x509.h"
#include "wire_edcert.h"

#define IDENTITY_CN_CAP 40u

typedef struct relay_identity {
    gnutls_privkey_t rsa_id;   /* RSA-1024 */
    gnutls_privkey_t rsa_link; /* TLS key */
    gnutls_privkey_t rsa_auth; /* RSA-1024, certified by type 3 */
    ed25519_key_t ed_id;
    ed25519_key_t ed_signing;
    ed25519_key_t ed_link_auth;
    char id_cn[IDENTITY_CN_CAP];   /* www.<random>.com: ID cert subject and link/auth issuer */
    char link_cn[IDENTITY_CN_CAP]; /* www.<random>.net */
    char auth_cn[IDENTITY_CN_CAP]; /* www.<random>.net */
} relay_identity_t;

/* Fresh random keys; link_bits is the TLS key size (tor: 2048).  On failure nothing is left
 * to free. */
int identity_generate(relay_identity_t *id, unsigned link_bits) HS_MUST_CHECK;
void identity_free(relay_identity_t *id); /* safe on a zeroed or freed identity */

/* X.509 certs (DER), validity [not_before, not_after] in unix seconds. */
int identity_build_link_cert(const relay_identity_t *id, int64_t not_before, int64_t not_after,
                             bld_t *out) HS_MUST_CHECK; /* type 1 = the TLS certificate */
/* A link certificate like type 1, but for a key of the caller's (e.g. an ECDSA TLS key). */
int identity_build_link_cert_for(const relay_identity_t *id, gnutls_privkey_t key,
                                 int64_t not_before, int64_t not_after,
                                 bld_t *out) HS_MUST_CHECK;
int identity_build_id_cert(const relay_identity_t *id, int64_t not_before, int64_t not_after,
                           bld_t *out) HS_MUST_CHECK; /* type 2, self-signed */
int identity_build_auth_cert(const relay_identity_t *id, int64_t not_before, int64_t not_after,
                             bld_t *out) HS_MUST_CHECK; /* type 3 */

/* Ed25519 certs, expiry in hours since the epoch. */
int identity_build_signing_cert(const relay_identity_t *id, uint32_t exp_hours,
                                bld_t *out) HS_MUST_CHECK; /* type 4 */
int identity_build_tls_link_cert(const relay_identity_t *id, span_t tls_cert_der,
                                 uint32_t exp_hours, bld_t *out) HS_MUST_CHECK; /* type 5 */
int identity_build_link_auth_cert(const relay_identity_t *id, uint32_t exp_hours,
                                  bld_t *out) HS_MUST_CHECK; /* type 6 */
int identity_build_crosscert(const relay_identity_t *id, uint32_t exp_hours,
                             bld_t *out) HS_MUST_CHECK; /* type 7 */

/* What the type-4, -5 or -6 builder above signs, before it signs it: the fields and the key
 * that signs them, so a scenario can change one field and still sign the result correctly
 * (scen_certedit.h).  tls_cert_der is used by type 5 only.  f.ext points into the plan
 * itself: use the plan where it was filled in, do not copy it.  -1: another type, or a
 * hashing fault. */
typedef struct identity_edcert_plan {
    edcert_fields_t f;
    edcert_ext_t ext[1];
    const ed25519_key_t *signer;
} identity_edcert_plan_t;
int identity_edcert_plan(const relay_identity_t *id, int type, uint32_t exp_hours,
                         span_t tls_cert_der, identity_edcert_plan_t *plan) HS_MUST_CHECK;

/* Expiry hours for a lifetime starting at now, rounded up to the next whole hour. */
uint32_t identity_exp_hours(int64_t now, int64_t lifetime_s);

#endif
