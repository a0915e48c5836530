/* scen_certedit.h — `cert-edit T FIELD=VALUE`: one of the harness's own CERTS certificates
 * built with one field changed, then signed as the unchanged certificate would be.
 *
 * The byte operators (poke, flip) can change a field too, but the signature then no longer
 * covers it, and a target that refuses the cell may only be refusing the bad signature.  An
 * edit here happens before signing, so the certificate is correctly signed by the key that
 * signs it normally (type 4: the Ed25519 identity key; 5 and 6: the signing key; 7: the RSA
 * identity key; 1 and 3: the RSA identity key; 2: itself) and differs in that field only.  Two
 * edits escape the signature on purpose: `append=` (bytes after the encoded certificate) and,
 * for Ed25519 certificates, `ext=none` on type 4 (the signer is then named nowhere — the
 * signature is still made with the identity key).  scenarios/README.md documents the syntax. */
#ifndef SCEN_CERTEDIT_H
#define SCEN_CERTEDIT_H

#include "crypto_identity.h"
#include "scen_build.h"

/* The validity a certificate of the list gets before any edit (scen_build.c decides it from
 * `expired=`). */
typedef struct sc_cert_dates {
    int64_t not_before, not_after; /* X.509, unix seconds */
    uint32_t exp_hours;            /* Ed25519 certs and the cross-cert */
    bool expired;                  /* built already expired (`expired=`) */
} sc_cert_dates_t;

/* The FIELD names of `cert-edit T FIELD=VALUE`, for the parser and for messages. */
const char *scen_certedit_field_name(sc_certedit_field_t f);
bool scen_certedit_field_from_name(const char *s, size_t n, sc_certedit_field_t *out);
/* Whether a type-`type` certificate has field f: version, cert-type, key-type and ext belong
 * to the Ed25519 certs (4–6), key to those and the cross-cert (7), expires and append to all. */
bool scen_certedit_applies(sc_certedit_field_t f, int type);

/* True when muts[0..n) hold a cert-edit of the type-`type` certificate. */
bool scen_certedit_wanted(const sc_mut_t *muts, size_t n, int type);

/* Appends to out the type-`type` certificate (1–7) of id with every cert-edit of muts for that
 * type applied in order, signed as described above.  tls_cert is the certificate presented in
 * TLS (types 1 and 5 describe it; empty: a link certificate is made for the occasion, as
 * for an unedited list).  items[0..n_items) is the list built so far: `key=sha256:T` digests
 * its type-T entry, which must be there and unedited.  -1 with err set: an edit that cannot be
 * applied (a field this type lacks, a missing digest source) or a builder/signing fault. */
int scen_certedit_build(const relay_identity_t *id, int type, const sc_mut_t *muts, size_t n,
                        const sc_cert_dates_t *base, int64_t now, span_t tls_cert,
                        const sc_cert_item_t *items, size_t n_items, bld_t *out, char *err,
                        size_t errlen) HS_MUST_CHECK;

#endif
