/* scen_hello.h — `expect client-hello`: checks on the ClientHello that the client of an
 * accepted connection sent, read from its raw bytes (tls_conn_client_flight, wire_tlshello.h)
 * rather than from what the TLS library negotiated:
 *
 *   expect client-hello [record-version=N] [version=N] [len=N] [session-id-len=N]
 *                       [suites=LIST] [exts=LIST] [groups=LIST] [key-shares=LIST]
 *                       [versions=LIST] [sni="GLOB"]
 *
 * `=` is exact (a list in order), `!=` its negation, `KEY has N` a list containing N.  The
 * step passes or fails with a one-line summary of the whole ClientHello either way.  The
 * parser half is called from scen_parse.c, the interpreter half from scen_run.c. */
#ifndef SCEN_HELLO_H
#define SCEN_HELLO_H

#include "scen_hello_ast.h"
#include "scen_rawtls.h"

/* w[0] is "expect", w[1] "client-hello".  Problems go to diag with a column. */
void scen_hello_parse(sc_hello_args_t *a, const sc_word_t *w, size_t n, sc_diag_fn diag,
                      void *ctx);
sc_step_rc_t scen_hello_expect(sc_ctx_t *x, const sc_step_t *st) HS_MUST_CHECK;

#endif
