/* scen_rawtls_ast.h — the arguments of the raw-TLS steps (scen_rawtls.h), as a parsed step
 * holds them: `send sslv2-hello …`, `expect server-hello …` (`expect alert-record` uses the
 * step's own alert_level / alert_desc).  Kept apart so scen_ast.h only gains one field. */
#ifndef SCEN_RAWTLS_AST_H
#define SCEN_RAWTLS_AST_H

#include "hs_common.h"

#define SC_RAWTLS_CAP_SUITES 64u
#define SC_RAWTLS_CAP_V2 16u
#define SC_RAWTLS_CAP_CHALLENGE 64u
#define SC_RAWTLS_CAP_POKES 4u
#define SC_RAWTLS_CAP_POKE_LEN 16u

typedef struct sc_rawtls_poke {
    size_t off, len;
    uint8_t b[SC_RAWTLS_CAP_POKE_LEN];
} sc_rawtls_poke_t;

typedef struct sc_rawtls_args {
    /* send sslv2-hello */
    uint16_t version;
    size_t n_suites;
    uint16_t suites[SC_RAWTLS_CAP_SUITES];
    size_t n_v2;
    uint32_t v2[SC_RAWTLS_CAP_V2];
    bool challenge_random;
    size_t challenge_len;
    uint8_t challenge[SC_RAWTLS_CAP_CHALLENGE];
    bool unchecked;   /* a challenge outside 16..32 on purpose */
    int64_t truncate; /* -1: none; else keep this many bytes */
    size_t n_pokes;
    sc_rawtls_poke_t pokes[SC_RAWTLS_CAP_POKES];
    /* expect server-hello: 0 / -1 = any */
    uint16_t want_version;
    int want_suite;
    int want_ri; /* -1 any, 0 no, 1 yes */
} sc_rawtls_args_t;

#endif
