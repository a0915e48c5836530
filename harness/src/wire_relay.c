/* wire_relay.c — see wire_relay.h. */
#include "wire_relay.h"

#include <string.h>
#include <strings.h>

static const struct { uint8_t cmd; const char *name; } relay_names[] = {
    { RELAY_CMD_BEGIN, "BEGIN" },         { RELAY_CMD_DATA, "DATA" },
    { RELAY_CMD_END, "END" },             { RELAY_CMD_CONNECTED, "CONNECTED" },
    { RELAY_CMD_SENDME, "SENDME" },       { RELAY_CMD_EXTEND, "EXTEND" },
    { RELAY_CMD_EXTENDED, "EXTENDED" },   { RELAY_CMD_TRUNCATE, "TRUNCATE" },
    { RELAY_CMD_TRUNCATED, "TRUNCATED" }, { RELAY_CMD_DROP, "DROP" },
    { RELAY_CMD_EXTEND2, "EXTEND2" },     { RELAY_CMD_EXTENDED2, "EXTENDED2" },
};

const char *relay_cmd_name(uint8_t cmd)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(relay_names); i++)
        if (relay_names[i].cmd == cmd)
            return relay_names[i].name;
    return "UNKNOWN";
}

int relay_cmd_from_name(const char *name)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(relay_names); i++)
        if (!strcasecmp(relay_names[i].name, name))
            return relay_names[i].cmd;
    return -1;
}

void relay_payload_build(bld_t *b, uint8_t cmd, uint16_t stream_id, span_t data)
{
    if (data.len > RELAY_DATA_MAX) {
        bld_fail(b, "relay data longer than 498 bytes");
        return;
    }
    bld_u8(b, cmd);
    bld_u16(b, 0); /* Recognized */
    bld_u16(b, stream_id);
    bld_u32(b, 0); /* Digest: set when sealed */
    bld_u16(b, (uint16_t)data.len);
    bld_bytes(b, data.p, data.len);
    bld_zeros(b, RELAY_DATA_MAX - data.len);
}

wire_status_t relay_payload_parse(span_t payload, relay_msg_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!span_get_u8(&payload, &out->cmd) || !span_get_u16(&payload, &out->recognized) ||
        !span_get_u16(&payload, &out->stream_id) || !span_copy(&payload, out->digest, 4) ||
        !span_get_u16(&payload, &out->length))
        return WIRE_TRUNCATED;
    if (out->length > RELAY_DATA_MAX || !span_get_sub(&payload, out->length, &out->data))
        return WIRE_BAD_VALUE;
    return WIRE_OK;
}

void link_spec_ipv4(link_spec_t *ls, const uint8_t addr[4], uint16_t port)
{
    ls->type = LSPEC_IPV4;
    ls->len = 6;
    memcpy(ls->data, addr, 4);
    ls->data[4] = (uint8_t)(port >> 8);
    ls->data[5] = (uint8_t)port;
}

void link_spec_bytes(link_spec_t *ls, uint8_t type, span_t id)
{
    ls->type = type;
    ls->len = (uint8_t)(id.len > sizeof(ls->data) ? sizeof(ls->data) : id.len);
    memcpy(ls->data, id.p, ls->len);
}

void extend2_build(bld_t *b, const extend2_t *e)
{
    bld_u8(b, (uint8_t)e->n_specs);
    for (size_t i = 0; i < e->n_specs; i++) {
        bld_u8(b, e->specs[i].type);
        bld_u8(b, e->specs[i].len);
        bld_bytes(b, e->specs[i].data, e->specs[i].len);
    }
    bld_u16(b, e->htype);
    bld_u16(b, (uint16_t)e->hdata.len);
    bld_bytes(b, e->hdata.p, e->hdata.len);
}

wire_status_t extend2_parse(span_t data, extend2_t *out)
{
    memset(out, 0, sizeof(*out));
    uint8_t n;
    if (!span_get_u8(&data, &n))
        return WIRE_TRUNCATED;
    if (n > EXTEND2_CAP_SPECS)
        return WIRE_TOO_MANY;
    for (uint8_t i = 0; i < n; i++) {
        link_spec_t *ls = &out->specs[i];
        span_t v;
        if (!span_get_u8(&data, &ls->type) || !span_get_u8_prefixed(&data, &v))
            return WIRE_TRUNCATED;
        ls->len = (uint8_t)v.len;
        memcpy(ls->data, v.p, v.len);
    }
    out->n_specs = n;
    if (!span_get_u16(&data, &out->htype) || !span_get_u16_prefixed(&data, &out->hdata))
        return WIRE_TRUNCATED;
    return WIRE_OK;
}

wire_status_t created2_parse(span_t body, span_t *hdata)
{
    return span_get_u16_prefixed(&body, hdata) ? WIRE_OK : WIRE_TRUNCATED;
}

void created2_build(bld_t *b, span_t hdata)
{
    bld_u16(b, (uint16_t)hdata.len);
    bld_bytes(b, hdata.p, hdata.len);
}

wire_status_t create2_parse(span_t body, uint16_t *htype, span_t *hdata)
{
    if (!span_get_u16(&body, htype) || !span_get_u16_prefixed(&body, hdata))
        return WIRE_TRUNCATED;
    return WIRE_OK;
}
