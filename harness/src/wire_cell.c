/* wire_cell.c — see wire_cell.h. */
#include "wire_cell.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

unsigned cell_circ_width(uint16_t link_version) { return link_version >= 4 ? 4 : 2; }

bool cell_cmd_is_var(uint16_t link_version, uint8_t cmd)
{
    /* tor's cell_command_is_var_length(): v1 none, v2 only VERSIONS, v0/v≥3 VERSIONS or ≥128. */
    switch (link_version) {
    case 1: return false;
    case 2: return cmd == CELL_VERSIONS;
    default: return cmd == CELL_VERSIONS || cmd >= 128;
    }
}

static const struct { uint8_t cmd; const char *name; } cmd_names[] = {
    { CELL_PADDING, "PADDING" },
    { CELL_CREATE, "CREATE" },
    { CELL_CREATED, "CREATED" },
    { CELL_RELAY, "RELAY" },
    { CELL_DESTROY, "DESTROY" },
    { CELL_CREATE_FAST, "CREATE_FAST" },
    { CELL_CREATED_FAST, "CREATED_FAST" },
    { CELL_VERSIONS, "VERSIONS" },
    { CELL_NETINFO, "NETINFO" },
    { CELL_RELAY_EARLY, "RELAY_EARLY" },
    { CELL_CREATE2, "CREATE2" },
    { CELL_CREATED2, "CREATED2" },
    { CELL_PADDING_NEGOTIATE, "PADDING_NEGOTIATE" },
    { CELL_VPADDING, "VPADDING" },
    { CELL_CERTS, "CERTS" },
    { CELL_AUTH_CHALLENGE, "AUTH_CHALLENGE" },
    { CELL_AUTHENTICATE, "AUTHENTICATE" },
    { CELL_AUTHORIZE, "AUTHORIZE" },
};

const char *cell_cmd_name(uint8_t cmd)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(cmd_names); i++)
        if (cmd_names[i].cmd == cmd)
            return cmd_names[i].name;
    return cmd >= 128 ? "UNKNOWN_VAR" : "UNKNOWN_FIXED";
}

int cell_cmd_from_name(const char *name)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(cmd_names); i++)
        if (strcasecmp(cmd_names[i].name, name) == 0)
            return cmd_names[i].cmd;
    return -1;
}

wire_status_t cell_frame(span_t in, uint16_t link_version, cell_t *out, size_t *consumed)
{
    span_t s = in;
    unsigned w = cell_circ_width(link_version);
    uint32_t circ;
    uint8_t cmd;
    if (w == 4) {
        if (!span_get_u32(&s, &circ))
            return WIRE_TRUNCATED;
    } else {
        uint16_t c16;
        if (!span_get_u16(&s, &c16))
            return WIRE_TRUNCATED;
        circ = c16;
    }
    if (!span_get_u8(&s, &cmd))
        return WIRE_TRUNCATED;
    out->circ_id = circ;
    out->cmd = cmd;
    out->circ_width = (uint8_t)w;
    out->var = cell_cmd_is_var(link_version, cmd);
    if (out->var) {
        if (!span_get_u16_prefixed(&s, &out->body))
            return WIRE_TRUNCATED;
    } else if (!span_get_sub(&s, CELL_BODY_LEN, &out->body)) {
        return WIRE_TRUNCATED;
    }
    out->wire_len = in.len - s.len;
    *consumed = out->wire_len;
    return WIRE_OK;
}

static void cell_build_header(bld_t *b, unsigned circ_width, uint32_t circ_id, uint8_t cmd)
{
    if (circ_width == 4) {
        bld_u32(b, circ_id);
    } else if (circ_width == 2) {
        if (circ_id > 0xffff)
            bld_fail(b, "circ id does not fit 2 bytes");
        bld_u16(b, (uint16_t)circ_id);
    } else {
        bld_fail(b, "circ id width must be 2 or 4");
    }
    bld_u8(b, cmd);
}

void cell_build_fixed(bld_t *b, unsigned circ_width, uint32_t circ_id, uint8_t cmd, span_t body)
{
    if (body.len > CELL_BODY_LEN) {
        bld_fail(b, "fixed cell body longer than 509 bytes");
        return;
    }
    cell_build_header(b, circ_width, circ_id, cmd);
    bld_bytes(b, body.p, body.len);
    bld_zeros(b, CELL_BODY_LEN - body.len);
}

void cell_build_var(bld_t *b, unsigned circ_width, uint32_t circ_id, uint8_t cmd, span_t body)
{
    cell_build_header(b, circ_width, circ_id, cmd);
    bld_mark_t m = bld_open_u16(b);
    bld_bytes(b, body.p, body.len);
    bld_close(b, m);
}
