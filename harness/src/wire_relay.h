/* wire_relay.h — relay cell payloads (tor-spec §6.1) and the circuit-extension bodies the
 * harness needs to make a relay connect to it: EXTEND2 with link specifiers (§5.1.2),
 * EXTENDED2, TRUNCATED, and the CREATE2/CREATED2 cell bodies the extension carries.
 *
 * These are the cleartext payloads; sealing and opening them is crypto_relay's job. */
#ifndef WIRE_RELAY_H
#define WIRE_RELAY_H

#include "bytes_span.h"
#include "wire_status.h"

#define RELAY_HEADER_LEN 11u
#define RELAY_DATA_MAX 498u /* 509 − 11 */

enum relay_cmd {
    RELAY_CMD_BEGIN = 1,
    RELAY_CMD_DATA = 2,
    RELAY_CMD_END = 3,
    RELAY_CMD_CONNECTED = 4,
    RELAY_CMD_SENDME = 5,
    RELAY_CMD_EXTEND = 6,
    RELAY_CMD_EXTENDED = 7,
    RELAY_CMD_TRUNCATE = 8,
    RELAY_CMD_TRUNCATED = 9,
    RELAY_CMD_DROP = 10,
    RELAY_CMD_EXTEND2 = 14,
    RELAY_CMD_EXTENDED2 = 15,
};
const char *relay_cmd_name(uint8_t cmd);
int relay_cmd_from_name(const char *name); /* -1 if unknown */

typedef struct relay_msg {
    uint8_t cmd;
    uint16_t recognized;
    uint16_t stream_id;
    uint8_t digest[4];
    uint16_t length;
    span_t data; /* `length` bytes */
} relay_msg_t;

/* Builds the 509-byte cleartext payload: header (Digest zero: sealing sets it), data, then
 * zero padding.  Data longer than 498 bytes fails the builder. */
void relay_payload_build(bld_t *b, uint8_t cmd, uint16_t stream_id, span_t data);
/* Parses a cleartext payload; a Length beyond the payload is WIRE_BAD_VALUE. */
wire_status_t relay_payload_parse(span_t payload, relay_msg_t *out) HS_MUST_CHECK;

/* Link specifier types (§5.1.2). */
enum { LSPEC_IPV4 = 0, LSPEC_IPV6 = 1, LSPEC_LEGACY_ID = 2, LSPEC_ED25519_ID = 3 };

#define EXTEND2_CAP_SPECS 8u
typedef struct link_spec {
    uint8_t type;
    uint8_t len;
    uint8_t data[255];
} link_spec_t;

typedef struct extend2 {
    size_t n_specs;
    link_spec_t specs[EXTEND2_CAP_SPECS];
    uint16_t htype;
    span_t hdata; /* HLEN bytes */
} extend2_t;

void link_spec_ipv4(link_spec_t *ls, const uint8_t addr[4], uint16_t port);
void link_spec_bytes(link_spec_t *ls, uint8_t type, span_t id);
void extend2_build(bld_t *b, const extend2_t *e);
wire_status_t extend2_parse(span_t data, extend2_t *out) HS_MUST_CHECK;

/* EXTENDED2 and CREATED2 share HLEN(2) HDATA; CREATE2 is HTYPE(2) HLEN(2) HDATA. */
wire_status_t created2_parse(span_t body, span_t *hdata) HS_MUST_CHECK;
void created2_build(bld_t *b, span_t hdata);
wire_status_t create2_parse(span_t body, uint16_t *htype, span_t *hdata) HS_MUST_CHECK;

#endif
