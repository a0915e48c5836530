/* scen_text.h — the interpreter's steps for text protocols: the STARTTLS family (SMTP, IMAP,
 * POP3, NNTP, XMPP) and application data over TLS.
 *
 * A connection of a text protocol is read as bytes, not cells: `expect line` takes one line
 * (CRLF or LF; a line longer than SC_TEXT_LINE_CAP is cut there, reported, and the rest of it
 * dropped), `expect reply` lines up to the first that matches (a multi-line reply), `expect
 * text` bytes up to a substring (XMPP has no lines).  Each chunk taken is recorded in the
 * transcript as it crossed.  `starttls` upgrades the connection in place and records what it
 * saw around the handshake, so that `expect injection` can name the outcome class of
 * tls-downgrade.md §2; `expect renegotiation` classifies what the last `renegotiate` got. */
#ifndef SCEN_TEXT_H
#define SCEN_TEXT_H

#include "scen_run.h"

#define SC_TEXT_LINE_CAP 2048u      /* longer lines are cut (and the cut is reported) */
#define SC_TEXT_REPLY_LINES 200u    /* lines one `expect reply` reads before giving up */
#define SC_TEXT_SCAN_CAP (64u * 1024u) /* bytes `expect text` scans for its substring */

sc_step_rc_t scen_text_expect(sc_ctx_t *x, const sc_step_t *st) HS_MUST_CHECK;
/* expect close / expect silence on a text connection: any byte that arrives instead is the
 * evidence (quoted), not skipped — except that `expect close` on a connection still in clear
 * takes well-formed TLS alert records before the close (a server that read garbage where a
 * ClientHello belonged ends that way) and names them in the outcome. */
sc_step_rc_t scen_text_expect_close(sc_ctx_t *x, const sc_step_t *st) HS_MUST_CHECK;
sc_step_rc_t scen_text_starttls(sc_ctx_t *x, const sc_step_t *st) HS_MUST_CHECK;
sc_step_rc_t scen_text_expect_injection(sc_ctx_t *x, const sc_step_t *st) HS_MUST_CHECK;
/* The result's name of an injection class (1–4; tls-downgrade.md §2). */
const char *scen_text_inj_class_slug(int cls);
sc_step_rc_t scen_text_expect_reneg(sc_ctx_t *x, const sc_step_t *st) HS_MUST_CHECK;
/* Bytes arrived where something else was expected: record them, quote them in the outcome. */
sc_step_rc_t scen_text_unexpected(sc_ctx_t *x, sc_conn_rt_t *c, const char *instead_of);

#endif
