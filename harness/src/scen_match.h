/* scen_match.h — field extraction from cells and constraint comparison for `expect`. */
#ifndef SCEN_MATCH_H
#define SCEN_MATCH_H

#include "scen_run.h"

typedef struct sc_actual {
    bool ok;      /* false: the field could not be read (why says so) */
    bool harness; /* …because of our own failure, not the target's */
    sc_vkind_t kind;
    int64_t i;
    size_t n;
    int64_t list[SC_CAP_LIST];
    span_t bytes;
    netinfo_addr_t addrs[HS_CAP_NETINFO_ADDRS];
    char word[96];
    char why[200];
} sc_actual_t;

/* Reads field f of cell c (received on conn). */
bool scen_extract(const cell_t *c, sc_field_t f, sc_conn_rt_t *conn, const sc_env_t *env,
                  sc_actual_t *a);
/* A literal value from the file as an actual ("now" and "target" resolved). */
void scen_literal(const sc_value_t *v, const sc_env_t *env, sc_actual_t *a);
bool scen_compare(const sc_actual_t *got, sc_op_t op, const sc_actual_t *want);
void scen_format(const sc_actual_t *a, char *buf, size_t cap);

#endif
