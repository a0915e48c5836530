/* scen_mitm.h — the `mitm { … }` step: the harness between a target that dialled it (the
 * client leg, from `accept`) and a target it dialled (the server leg, from `connect`).
 *
 * The block relays cells both ways, framed per leg and per direction at the link version that
 * leg negotiated (the two legs may negotiate different versions when a hook rewrites a
 * VERSIONS cell: a cell then changes its circ-id width on the way through), and applies the
 * hooks to the cells they name.  It ends as soon as one target closes its leg (that target
 * detected something) or when its bound passes; it never closes a leg itself, so the other
 * target's reaction stays observable.  Every cell a leg received during the block is handed
 * again, in order, to the expectations that read that leg afterwards (`use client` / `use
 * server`), then reading continues live: `expect VERSIONS … expect close` on a leg states
 * exactly what its target said and that it then closed.  scenarios/README.md has the
 * language's side of this. */
#ifndef SCEN_MITM_H
#define SCEN_MITM_H

#include "scen_run.h"

#define SC_CAP_MITM_EVENTS 256u   /* events recorded per block; more are counted, not kept */
#define SC_CAP_MITM_CELLS 256u    /* cells kept per leg for the expectations after the block */
#define SC_CAP_MITM_BYTES (512u * 1024u) /* their bytes per leg */

typedef enum sc_mitm_action {
    MA_RELAYED,     /* forwarded unchanged (re-framed if the legs' widths differ) */
    MA_DROPPED,     /* a `drop` hook */
    MA_REWRITTEN,   /* a hook with fields: a fresh cell built in its place */
    MA_MUTATED,     /* a hook with mutations only, on the relayed cell */
    MA_UNDELIVERED, /* the destination leg had gone when we wrote */
} sc_mitm_action_t;
const char *sc_mitm_action_name(sc_mitm_action_t a);

typedef struct sc_mitm_event {
    double t_ms;     /* since the block started */
    bool to_server;  /* direction: received on the client leg, for the server */
    uint8_t cmd;     /* the cell as received */
    sc_mitm_action_t action;
    int hook;        /* index of the first hook that acted on it, -1 none */
    size_t in_len, out_len; /* wire bytes received / written */
} sc_mitm_event_t;

typedef struct sc_mitm_rt {
    size_t n_events, n_dropped_events;
    sc_mitm_event_t ev[SC_CAP_MITM_EVENTS];
    int ended_leg;     /* connection index of the leg whose target closed first, -1 none */
    link_io_t end_io;  /* how it ended */
    double end_ms;     /* since the block started */
    double block_ms;   /* how long the block ran */
    char summary[600]; /* one paragraph: what crossed, what was altered, who closed */
} sc_mitm_rt_t;

/* Runs a ST_MITM step.  0: the block ran (whatever the targets did is for the expectations
 * after it); 2: harness error (outcome set). */
int scen_mitm_run(sc_ctx_t *x, const sc_step_t *st) HS_MUST_CHECK;
/* The next cell the block received on c that no expectation has read yet (framed into
 * c->ch.cur, as link_chan_recv would); false when there is none. */
bool scen_mitm_replay_next(sc_conn_rt_t *c, cell_t *out) HS_MUST_CHECK;
void scen_mitm_free(sc_run_t *run);

#endif
