/* wire_cell.h — Tor cell framing: fixed and variable-length cells, circ-id width rules.
 *
 * tor-link.md §1.1–1.5.  The width and the var/fixed decision both depend on the link version
 * in force *for the receiver at the moment it parses the cell*: 0 means "not negotiated yet"
 * (2-byte circ ids; var iff cmd 7 or ≥128).  VERSIONS is always var-length. */
#ifndef WIRE_CELL_H
#define WIRE_CELL_H

#include "bytes_span.h"
#include "wire_status.h"

#define CELL_BODY_LEN 509u

enum cell_cmd {
    CELL_PADDING = 0,
    CELL_CREATE = 1,
    CELL_CREATED = 2,
    CELL_RELAY = 3,
    CELL_DESTROY = 4,
    CELL_CREATE_FAST = 5,
    CELL_CREATED_FAST = 6,
    CELL_VERSIONS = 7,
    CELL_NETINFO = 8,
    CELL_RELAY_EARLY = 9,
    CELL_CREATE2 = 10,
    CELL_CREATED2 = 11,
    CELL_PADDING_NEGOTIATE = 12,
    CELL_VPADDING = 128,
    CELL_CERTS = 129,
    CELL_AUTH_CHALLENGE = 130,
    CELL_AUTHENTICATE = 131,
    CELL_AUTHORIZE = 132,
};

/* A framed cell.  body points into the framed input (no copy); for fixed cells it is the
 * full 509-byte body including padding. */
typedef struct cell {
    uint32_t circ_id;
    uint8_t cmd;
    bool var;
    uint8_t circ_width; /* 2 or 4: as it was on the wire */
    span_t body;
    size_t wire_len; /* header + body */
} cell_t;

unsigned cell_circ_width(uint16_t link_version);
bool cell_cmd_is_var(uint16_t link_version, uint8_t cmd);
const char *cell_cmd_name(uint8_t cmd);
/* Command number from a name ("VERSIONS", "CERTS", …, case-insensitive); -1 if unknown. */
int cell_cmd_from_name(const char *name);

/* Frames one cell from the front of in.  WIRE_TRUNCATED means "need more bytes" (never an
 * error for a stream); on WIRE_OK *consumed is the cell's wire length. */
wire_status_t cell_frame(span_t in, uint16_t link_version, cell_t *out, size_t *consumed)
    HS_MUST_CHECK;

/* Builders at an explicit circ-id width (2 or 4).  A fixed body longer than 509 bytes fails
 * the builder; shorter bodies are zero-padded. */
void cell_build_fixed(bld_t *b, unsigned circ_width, uint32_t circ_id, uint8_t cmd, span_t body);
void cell_build_var(bld_t *b, unsigned circ_width, uint32_t circ_id, uint8_t cmd, span_t body);

#endif
