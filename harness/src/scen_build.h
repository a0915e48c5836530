/* scen_build.h — encoding of `send` steps (fields → cell → mutations). */
#ifndef SCEN_BUILD_H
#define SCEN_BUILD_H

#include "scen_run.h"

/* Builds the bytes of a ST_SEND step into out (initialised here on every path; free it), with meta saying
 * what it is for the transcript.  -1 with err set when the step cannot be built (a harness
 * error: the scenario asked for something impossible at run time, e.g. truncate past the end). */
int scen_build_send(const sc_step_t *st, const sc_env_t *env, sc_conn_rt_t *c, bld_t *out,
                    cell_t *meta, char *err, size_t errlen) HS_MUST_CHECK;
/* Applies the byte-level mutations (truncate, flip, poke, append, length, cmd). */
int scen_mutate_bytes(const sc_mut_t *muts, size_t n, unsigned width, bld_t *cell, char *err,
                      size_t errlen) HS_MUST_CHECK;
/* One entry of a CERTS list while the list operators work on it. */
typedef struct sc_cert_item {
    uint8_t type;
    bld_t b;
} sc_cert_item_t;
/* drop-cert, dup-cert, order-certs, corrupt-cert of muts (other kinds are skipped), in order,
 * on items[0..*n_items) (at most HS_CAP_CERTS_ENTRIES).  -1 with err set when an operator names
 * a certificate the list does not hold. */
int scen_certs_mutate(const sc_mut_t *muts, size_t n, sc_cert_item_t *items, size_t *n_items,
                      char *err, size_t errlen) HS_MUST_CHECK;
/* The target's IP as 4 or 16 bytes. */
void scen_target_ip(const net_addr_t *t, uint8_t ip[16], size_t *len);

#endif
