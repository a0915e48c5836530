/* wire_versions.h — VERSIONS body (cmd 7): a list of u16 link versions. */
#ifndef WIRE_VERSIONS_H
#define WIRE_VERSIONS_H

#include "bytes_span.h"
#include "wire_status.h"

typedef struct versions_cell {
    size_t n;
    uint16_t v[HS_CAP_VERSIONS];
} versions_cell_t;

/* Odd length → WIRE_TRAILING (tor closes on it: "odd payload length"). */
wire_status_t versions_parse(span_t body, versions_cell_t *out) HS_MUST_CHECK;
void versions_build(bld_t *b, const uint16_t *v, size_t n);
/* Highest version present in both lists, 0 if none. */
uint16_t versions_pick(const uint16_t *mine, size_t n_mine, const versions_cell_t *theirs);

#endif
