/* wire_certs.h — CERTS cell body (cmd 129): N, then N × {CertType u8, CLEN u16, bytes}.
 *
 * Parsing keeps spans into the caller's buffer (no copies): the cell body must outlive the
 * parsed struct.  Bytes after the N-th certificate are counted, not rejected (tor-link.md
 * §1.7: ignored by tor and the spec). */
#ifndef WIRE_CERTS_H
#define WIRE_CERTS_H

#include "bytes_span.h"
#include "wire_status.h"

enum {
    CERT_TYPE_X509_LINK = 1,
    CERT_TYPE_X509_ID = 2,
    CERT_TYPE_X509_AUTH = 3,
    CERT_TYPE_ED_SIGNING = 4,
    CERT_TYPE_ED_TLS_LINK = 5,
    CERT_TYPE_ED_AUTH = 6,
    CERT_TYPE_RSA_ED_CROSS = 7,
};

typedef struct certs_entry {
    uint8_t type;
    span_t body;
} certs_entry_t;

typedef struct certs_cell {
    uint8_t n_declared;
    size_t n; /* entries parsed == n_declared on success */
    certs_entry_t e[HS_CAP_CERTS_ENTRIES];
    size_t trailing; /* bytes after the last certificate */
} certs_cell_t;

wire_status_t certs_parse(span_t body, certs_cell_t *out) HS_MUST_CHECK;
/* Appends a CERTS body; entries are written as given (any order, duplicates allowed: the
 * scenario layer uses that to build malformed cells). */
void certs_build(bld_t *b, const certs_entry_t *e, size_t n);
const char *cert_type_name(uint8_t type);

#endif
