/* out_vec_tor.c — tor-observed.json: cells whose every byte tor itself is known to send
 * (tor-link.md §1.6, §1.13, §1.15, captured from tor 0.4.9.11 on loopback), in the cells.json
 * format.  The bytes and the fields are both transcribed from the observation, not produced by
 * the engine, so checking them tests the engine's parser (and the independent one) against
 * tor's real output.  Partially known cells (CERTS, AUTH_CHALLENGE: random and per-relay
 * content) are not here; the live-relay test checks a real CERTS cell instead. */
#include "out_vec.h"

#include "wire_cell.h"

#include <stdio.h>
#include <string.h>

static void addr4(json_out_t *j, const char *key, const uint8_t ip[4])
{
    json_obj_begin(j, key);
    json_int(j, "atype", 4);
    json_int(j, "alen", 4);
    json_hex(j, "value", ip, 4);
    json_str(j, "kind", "ipv4");
    json_obj_end(j);
}

static void head(json_out_t *j, const char *id, const char *desc, const char *source, uint8_t cmd,
                 uint16_t link, unsigned width, bool var, size_t body_len)
{
    json_obj_begin(j, NULL);
    json_str(j, "id", id);
    json_str(j, "command", cell_cmd_name(cmd));
    json_int(j, "cmd", cmd);
    json_str(j, "desc", desc);
    json_str(j, "source", source);
    json_int(j, "link_version", link);
    json_int(j, "circ_width", width);
    json_int(j, "circ_id", 0);
    json_bool(j, "var", var);
    json_int(j, "body_len", (int64_t)body_len);
}

/* A fixed link-5 cell: the observed prefix, then zeros to 514 bytes. */
static void fixed_hex(json_out_t *j, const uint8_t *prefix, size_t n)
{
    uint8_t cell[4 + 1 + CELL_BODY_LEN] = { 0 };
    memcpy(cell, prefix, n < sizeof cell ? n : sizeof cell);
    json_hex(j, "hex", cell, sizeof cell);
}

int vec_write_tor_observed(vec_ctx_t *ctx, FILE *f)
{
    static const uint8_t versions[] = { 0x00, 0x00, 0x07, 0x00, 0x06, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05 };
    static const uint8_t relay_netinfo[] = { 0x00, 0x00, 0x00, 0x00, 0x08, 0x6b, 0x01, 0x3e, 0xbb, 0x04,
                                             0x04, 0x7f, 0x00, 0x00, 0x01, 0x01, 0x04, 0x04, 0x7f, 0x00,
                                             0x00, 0x01 };
    static const uint8_t client_netinfo[] = { 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00,
                                              0x04, 0x04, 0x7f, 0x00, 0x00, 0x01, 0x00 };
    static const uint8_t lo[4] = { 127, 0, 0, 1 };
    json_out_t j;
    json_init_pretty(&j, f);
    vec_header(&j, ctx, "tor-observed",
               "cells exactly as tor 0.4.9.11 sent them (tor-link.md 1.6, 1.13, 1.15), in the "
               "cells.json format: the bytes and the fields are transcribed, not generated");
    json_arr_begin(&j, "vectors");

    head(&j, "tor-versions", "tor's VERSIONS, both roles, as the first cell",
         "tor-link.md 1.6 and 1.15 [observed]", CELL_VERSIONS, 0, 2, true, 6);
    json_obj_begin(&j, "fields");
    json_arr_begin_inline(&j, "versions");
    for (int v = 3; v <= 5; v++)
        json_int(&j, NULL, v);
    json_arr_end(&j);
    json_obj_end(&j);
    json_hex(&j, "hex", versions, sizeof versions);
    json_obj_end(&j);

    head(&j, "tor-netinfo-relay", "a tor relay responder's NETINFO on link 5 (zero-padded to 514 "
         "bytes)", "tor-link.md 1.13 and 1.15 [observed]", CELL_NETINFO, 5, 4, false, CELL_BODY_LEN);
    json_obj_begin(&j, "fields");
    json_int(&j, "time", 0x6b013ebb);
    addr4(&j, "other", lo);
    json_arr_begin(&j, "my");
    addr4(&j, NULL, lo);
    json_arr_end(&j);
    json_int(&j, "encoded_len", 17);
    json_obj_end(&j);
    fixed_hex(&j, relay_netinfo, sizeof relay_netinfo);
    json_obj_end(&j);

    head(&j, "tor-netinfo-client", "a tor client initiator's NETINFO on link 5: TIME 0, no own "
         "address", "tor-link.md 1.13 and 1.15 [observed]", CELL_NETINFO, 5, 4, false, CELL_BODY_LEN);
    json_obj_begin(&j, "fields");
    json_int(&j, "time", 0);
    addr4(&j, "other", lo);
    json_arr_begin(&j, "my");
    json_arr_end(&j);
    json_int(&j, "encoded_len", 11);
    json_obj_end(&j);
    fixed_hex(&j, client_netinfo, sizeof client_netinfo);
    json_obj_end(&j);

    json_arr_end(&j);
    json_obj_end(&j);
    return 0;
}
