/* scen_rawtls.h — scenario steps that speak TLS as raw bytes on a `connect tls=none`
 * connection, for what a TLS library will not send (spec/tls-downgrade.md §2):
 *
 *   send sslv2-hello [version=TLS1.0|TLS1.1|TLS1.2|0xNNNN] [suites=LIST] [v2specs=LIST]
 *                    [challenge=BYTES] [unchecked] [| truncate N] [| poke OFFSET BYTES]
 *   expect server-hello [version=V] [suite=0xNNNN] [ri=yes|no] [within DUR]
 *   expect alert-record [level=warning|fatal] [desc=NAME|N] [within DUR]
 *
 * After `send sslv2-hello` the connection reads TLS records, so `expect close` and
 * `expect silence` on it go through here too.  Every expectation reports what the server sent
 * back as a one-line summary (wire_tlsflight.h), pass or fail.  The parser half is called from
 * scen_parse.c, the interpreter half from scen_run.c; both keep their state here. */
#ifndef SCEN_RAWTLS_H
#define SCEN_RAWTLS_H

#include "scen_run.h"
#include "wire_tlsflight.h"

/* A word of a step line, as the scenario tokenizer split it. */
typedef struct sc_word {
    const char *s;
    size_t len;
    int col;
} sc_word_t;

typedef void (*sc_diag_fn)(void *ctx, int col, const char *msg);

/* w[0] is "send" / "expect", w[1] the step's keyword.  Problems go to diag with a column. */
void scen_rawtls_parse(sc_step_t *st, const sc_word_t *w, size_t n, sc_diag_fn diag, void *ctx);

/* Per-connection state, allocated by the first raw step (sc_conn_rt_t.rawtls; freed with
 * free()). */
typedef struct sc_rawtls_rt {
    tls_flight_t flight;
    size_t seen_events; /* events already judged by an earlier expectation */
} sc_rawtls_rt_t;

typedef enum sc_raw_rc { SC_RAW_OK, SC_RAW_MISMATCH, SC_RAW_ERROR } sc_raw_rc_t;

/* True if this step runs here: a raw step, or expect close/silence on a raw connection. */
bool scen_rawtls_owns(const sc_ctx_t *x, const sc_step_t *st);
sc_raw_rc_t scen_rawtls_step(sc_ctx_t *x, const sc_step_t *st);

#endif
