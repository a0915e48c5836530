/* scen_hello_ast.h — the arguments of `expect client-hello` (scen_hello.h) as a parsed step
 * holds them: a list of checks on the ClientHello an accepted connection's client sent.  Kept
 * apart so scen_ast.h only gains one pointer. */
#ifndef SCEN_HELLO_AST_H
#define SCEN_HELLO_AST_H

#include "hs_common.h"

#define SC_CH_CAP_CHECKS 12u
#define SC_CH_CAP_LIST 64u
#define SC_CH_CAP_GLOB 128u

typedef enum sc_ch_field {
    CH_RECORD_VERSION, /* version of the record that carried the ClientHello */
    CH_VERSION,        /* legacy_version */
    CH_LEN,            /* the handshake body length */
    CH_SESSION_ID_LEN,
    CH_SUITES,         /* cipher_suites, in order */
    CH_EXTS,           /* extension types, in order */
    CH_GROUPS,         /* supported_groups */
    CH_KEY_SHARES,     /* key_share entry groups */
    CH_VERSIONS,       /* supported_versions */
    CH_SNI,            /* server_name host_name, matched as a glob */
    CH_COUNT,
} sc_ch_field_t;

typedef enum sc_ch_op { CH_OP_EQ, CH_OP_NE, CH_OP_HAS } sc_ch_op_t;

typedef struct sc_ch_check {
    sc_ch_field_t field;
    sc_ch_op_t op;
    size_t n; /* values (1 for a number) */
    uint16_t v[SC_CH_CAP_LIST];
    char glob[SC_CH_CAP_GLOB]; /* CH_SNI */
} sc_ch_check_t;

typedef struct sc_hello_args {
    size_t n;
    sc_ch_check_t c[SC_CH_CAP_CHECKS];
} sc_hello_args_t;

#endif
