/* out_vcheck.h — `hsprobe vectors --check DIR`: verifies a directory of vector files (ours or
 * another implementation's) against the rules vectors/README.md states, using only what the
 * files hold.
 *
 * For every vector: the bytes are parsed by the engine's codecs and each stated field compared
 * with what was parsed; every signature is verified with the key the file names; every digest
 * and derived value (CID/SID, SLOG/CLOG coverage, SCERT, TLSSECRETS, cross-cert digests) is
 * recomputed from its inputs; chains are judged by the engine's CERTS verifier at the file's
 * "now"; negative vectors must be rejected by the engine for the stated reason.  Randomness is
 * not re-derived (another implementation has its own), and nothing is compared with what
 * hsprobe would generate — that is `hsprobe vectors --out` followed by a diff.
 *
 * Output: one line per vector, "OK" or "DIFF" followed by what differs, "field: expected
 * <the file's value>, got <the recomputed value>".  A missing family file is reported and
 * skipped; a file that is not valid JSON counts as one DIFF. */
#ifndef OUT_VCHECK_H
#define OUT_VCHECK_H

#include "bytes_json.h"
#include "crypto_rsa.h"

#include <stdio.h>

#define VC_CAP_FILE (16u * 1024u * 1024u)
#define VC_CAP_DIFF_LINES 8u /* printed per vector; the rest are counted */
#define VC_MAX_FAMILIES 8u

typedef struct vc_doc {
    const char *file;   /* "cells.json" */
    const char *family; /* "cells" */
    bool present, parsed;
    jdoc_t doc;
    char err[240];
} vc_doc_t;

typedef struct vc {
    FILE *out;
    vc_doc_t docs[VC_MAX_FAMILIES];
    size_t n_docs;
    size_t n_ok, n_diff, n_missing_files;
    bool fault; /* the engine itself failed (GnuTLS): the run proves nothing */
    /* The vector being checked. */
    const char *cur_file;
    char cur_id[128];
    size_t cur_diffs;
    char lines[VC_CAP_DIFF_LINES][400];
} vc_t;

/* Checks every family file in dir.  Returns 0 when the check ran (read n_ok / n_diff), -1
 * when the directory cannot be read or the engine failed (message on c->out). */
int vcheck_dir(vc_t *c, const char *dir, FILE *out) HS_MUST_CHECK;
void vcheck_free(vc_t *c);

/* ---- shared by the per-family checkers (out_vcheck_*.c) ----------------------------------- */

void vc_begin(vc_t *c, const char *file, const char *id);
void vc_end(vc_t *c);
void vc_diff(vc_t *c, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vc_fault(vc_t *c, const char *what);
const jdoc_t *vc_doc(const vc_t *c, const char *family); /* NULL if absent or unparsable */
/* The vector with this id in a family's "vectors" array, or NULL. */
const jv_t *vc_find(const jdoc_t *d, const char *id);

/* Reads a member; a missing or mistyped one is a DIFF ("missing or not a …") and false. */
bool vc_int(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, int64_t *out) HS_MUST_CHECK;
bool vc_hex(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, bld_t *out) HS_MUST_CHECK;
const char *vc_str(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key);
/* Compares a member with a recomputed value; a difference is a DIFF. */
void vc_cmp_int(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, const char *path, int64_t got);
void vc_cmp_bool(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, const char *path, bool got);
void vc_cmp_str(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, const char *path, const char *got);
void vc_cmp_hex(vc_t *c, const jdoc_t *d, const jv_t *o, const char *key, const char *path, span_t got);
/* Two byte strings that must be equal (e.g. a value against a derivation). */
void vc_same(vc_t *c, const char *path, span_t expected, span_t got);

/* The per-family checks. */
void vc_check_certs(vc_t *c, const vc_doc_t *doc);
void vc_check_cells(vc_t *c, const vc_doc_t *doc); /* cells.json and tor-observed.json */
void vc_check_handshake(vc_t *c, const vc_doc_t *doc);
void vc_check_authenticate(vc_t *c, const vc_doc_t *doc);
void vc_check_negative(vc_t *c, const vc_doc_t *doc);

/* Shared pieces. */
/* A CERTS body judged as a chain ("chain" object: role, now, tls_cert_der, valid, path,
 * rsa_identity_sha1, ed25519_identity). */
void vc_check_chain(vc_t *c, const jdoc_t *d, const jv_t *chain, span_t certs_body, const char *path);
/* gnutls RSA public key from PKCS#1 RSAPublicKey DER (caller deinits); -1 if not such DER. */
int vc_rsa_pub_from_pkcs1(span_t der, gnutls_pubkey_t *out) HS_MUST_CHECK;
/* The engine's reason word for a failed CERTS verdict (certs-chain vocabulary). */
const char *vc_chain_reason(const char *first_failure_id);

#endif
