/* wire_circ.h — bodies of the circuit-level cells the link handshake uses to prove a channel
 * is open: CREATE_FAST (5), CREATED_FAST (6), DESTROY (4); and PADDING_NEGOTIATE (12). */
#ifndef WIRE_CIRC_H
#define WIRE_CIRC_H

#include "bytes_span.h"
#include "wire_status.h"

#define CREATE_FAST_KEY_LEN 20u

typedef struct created_fast {
    uint8_t y[CREATE_FAST_KEY_LEN];
    uint8_t kh[CREATE_FAST_KEY_LEN];
} created_fast_t;

void create_fast_build(bld_t *b, const uint8_t x[CREATE_FAST_KEY_LEN]);
wire_status_t create_fast_parse(span_t body, uint8_t x[CREATE_FAST_KEY_LEN]) HS_MUST_CHECK;
void created_fast_build(bld_t *b, const created_fast_t *c);
wire_status_t created_fast_parse(span_t body, created_fast_t *out) HS_MUST_CHECK;

void destroy_build(bld_t *b, uint8_t reason);
wire_status_t destroy_parse(span_t body, uint8_t *reason) HS_MUST_CHECK;
const char *destroy_reason_name(uint8_t reason);

typedef struct padding_negotiate {
    uint8_t version;
    uint8_t command; /* 1 stop, 2 start */
    uint16_t ito_low_ms, ito_high_ms;
} padding_negotiate_t;

void padding_negotiate_build(bld_t *b, const padding_negotiate_t *p);
wire_status_t padding_negotiate_parse(span_t body, padding_negotiate_t *out) HS_MUST_CHECK;

#endif
