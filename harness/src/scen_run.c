/* scen_run.c — see scen_run.h.  Steps run in order; the first expectation that is not met
 * decides the verdict (fail) with the outcome it saw; a harness or environment fault decides
 * it as error.  Expectations read cells until they are decided or their deadline passes. */
#include "scen_run.h"
#include "wire_circ.h"
#include "wire_relay.h"

#include "hs_clock.h"
#include "hs_rand.h"
#include "scen_build.h"
#include "scen_hello.h"
#include "scen_listen.h"
#include "scen_match.h"
#include "scen_text.h"
#include "scen_rawtls.h"
#include "scen_mitm.h"
#include "wire_tls_alert.h"
#include "wire_versions.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *sc_verdict_name(sc_verdict_t v)
{
    switch (v) {
    case SV_PASS: return "pass";
    case SV_FAIL: return "fail";
    case SV_ERROR: return "error";
    case SV_UNSUPPORTED: return "unsupported";
    }
    return "?";
}

const char *sc_outcome_name(sc_outcome_t o)
{
    switch (o) {
    case SO_EXPECTED: return "expected-reply";
    case SO_OTHER_REPLY: return "other-reply";
    case SO_ALERT: return "alert";
    case SO_CLOSE: return "close";
    case SO_SILENCE: return "silence";
    case SO_STALL: return "stall";
    case SO_TLS_FAILURE: return "tls-failure";
    case SO_HARNESS: return "harness-error";
    case SO_UNSUPPORTED: return "unsupported";
    }
    return "?";
}

bool scen_makes_relay_extend(const scenario_t *s)
{
    for (size_t i = 0; i < s->n_steps; i++)
        if (s->steps[i].kind == ST_SEND && s->steps[i].cmd == SC_CMD_EXTEND2)
            return true;
    return false;
}

bool scen_needs_identity(const scenario_t *s)
{
    if (s->role != SC_ROLE_INITIATOR)
        return true; /* the TLS server certificate is our identity's */
    for (size_t i = 0; i < s->n_steps; i++)
        if (s->steps[i].kind == ST_SEND &&
            (s->steps[i].cmd == CELL_CERTS || s->steps[i].cmd == CELL_AUTHENTICATE))
            return true;
    return false;
}

/* ---------------------------------------------------------------------------------------- */
/* Step results. */

typedef sc_step_rc_t step_rc_t;

static void outcome(sc_ctx_t *x, sc_outcome_t o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void scen_voutcome(sc_ctx_t *x, sc_outcome_t o, const char *fmt, va_list ap)
{
    x->run->outcome = o;
    vsnprintf(x->run->detail, sizeof(x->run->detail), fmt, ap);
}

static void outcome(sc_ctx_t *x, sc_outcome_t o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    scen_voutcome(x, o, fmt, ap);
    va_end(ap);
}

void scen_outcome(sc_ctx_t *x, sc_outcome_t o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    scen_voutcome(x, o, fmt, ap);
    va_end(ap);
}

static int64_t within_of(const sc_ctx_t *x, const sc_step_t *st)
{
    return st->within_ms > 0 ? st->within_ms : x->s->timeout_ms;
}

int64_t scen_within(const sc_ctx_t *x, const sc_step_t *st) { return within_of(x, st); }

void scen_note_close(sc_ctx_t *x, const sc_conn_rt_t *c, bool rst)
{
    sc_run_t *r = x->run;
    r->closed = true;
    r->closed_rst = rst;
    r->close_ms = link_chan_close_ms(&c->ch);
    r->pending_bytes = c->ch.rx_len;
}

static double since_ms(const sc_ctx_t *x) { return hs_ns_to_ms(hs_mono_ns() - x->t0); }

/* What the channel saw when a read ended without a cell, as the outcome. */
static step_rc_t io_outcome(sc_ctx_t *x, sc_conn_rt_t *c, link_io_t st, int64_t waited_ms)
{
    sc_run_t *r = x->run;
    switch (st) {
    case LINK_CLOSED:
    case LINK_RESET: {
        scen_note_close(x, c, st == LINK_RESET);
        outcome(x, SO_CLOSE, "the target closed the connection (%s) %.1f ms after it opened%s",
                st == LINK_RESET ? "RST" : "FIN", r->close_ms,
                c->ch.rx_len ? " with a partial cell pending" : "");
        return STEP_MISMATCH;
    }
    case LINK_ALERT:
        r->alert_level = c->ch.tls.alert_level;
        r->alert_desc = c->ch.tls.alert_desc;
        outcome(x, SO_ALERT, "TLS alert %s %d (%s)",
                r->alert_level == 1 ? "warning" : "fatal", r->alert_desc,
                tls_alert_name(r->alert_desc) ? tls_alert_name(r->alert_desc) : "unknown");
        return STEP_MISMATCH;
    case LINK_TLS_ERROR:
        outcome(x, SO_TLS_FAILURE, "TLS failure: %s", c->ch.tls.err);
        return STEP_MISMATCH;
    case LINK_TIMEOUT:
        if (c->ch.rx_len) {
            r->pending_bytes = c->ch.rx_len;
            outcome(x, SO_STALL, "%zu bytes of an incomplete cell pending, nothing more for %lld "
                    "ms", c->ch.rx_len, (long long)waited_ms);
        } else {
            outcome(x, SO_SILENCE, "nothing received for %lld ms", (long long)waited_ms);
        }
        return STEP_MISMATCH;
    case LINK_HARNESS:
        outcome(x, SO_HARNESS, "%s", c->ch.err[0] ? c->ch.err : c->ch.tls.err);
        return STEP_ERROR;
    case LINK_OK: break;
    }
    return STEP_OK;
}

/* Circuit bookkeeping on every received cell: a CREATED_FAST keys the relay crypto of the
 * circuit we created, a RELAY cell on a keyed circuit is opened (its cleartext is what
 * `expect RELAY rcmd=` reads), a CREATE2 names the circuit a `send CREATED2` answers. */
void scen_settle_link(sc_conn_rt_t *c)
{
    if (c->link || !c->versions_sent || !c->have_peer_versions)
        return;
    versions_cell_t theirs = { .n = c->n_peer_versions };
    memcpy(theirs.v, c->peer_versions, c->n_peer_versions * sizeof(theirs.v[0]));
    uint16_t pick = versions_pick(c->sent_versions, c->n_sent_versions, &theirs);
    if (pick >= 3) {
        c->link = pick;
        c->ch.rx_version = c->ch.tx_version = pick;
    }
}

static void track_circuits(sc_conn_rt_t *c, const cell_t *cell)
{
    if (cell->cmd == CELL_RELAY || cell->cmd == CELL_RELAY_EARLY)
        c->relay_ok = false;
    for (size_t i = 0; i < c->n_circs; i++) {
        if (c->circ_ids[i] != cell->circ_id)
            continue;
        relay_crypto_t *rc = &c->circ_crypto[i];
        created_fast_t cf;
        bool kh_ok;
        if (cell->cmd == CELL_CREATED_FAST && !rc->ready &&
            created_fast_parse(cell->body, &cf) == WIRE_OK &&
            relay_crypto_init_fast(rc, c->circ_keys[i], cf.y, cf.kh, &kh_ok) == 0 && !kh_ok)
            relay_crypto_free(rc); /* a bad KH keys nothing: the circuit is unusable */
        if ((cell->cmd == CELL_RELAY || cell->cmd == CELL_RELAY_EARLY) && rc->ready &&
            cell->body.len == RELAY_PAYLOAD_LEN) {
            memcpy(c->relay_plain, cell->body.p, RELAY_PAYLOAD_LEN);
            bool recognized = false;
            c->relay_ok = relay_crypto_open(rc, c->relay_plain, &recognized) == 0 && recognized;
        }
    }
    if (cell->cmd == CELL_CREATE2) {
        c->have_create2 = true;
        c->create2_circ = cell->circ_id;
    }
}

/* Receives one cell; a first VERSIONS from the target fixes the link version both ways
 * (tor switches its own framing right after sending VERSIONS, and parses ours at the new
 * width once it has processed our VERSIONS, which it did before answering). */
static link_io_t recv_cell(sc_conn_rt_t *c, cell_t *cell, hs_ns_t deadline)
{
    link_io_t st = scen_mitm_replay_next(c, cell) ? LINK_OK : link_chan_recv(&c->ch, cell, deadline);
    if (st == LINK_OK && cell->cmd == CELL_VERSIONS && !c->link) {
        versions_cell_t v;
        if (versions_parse(cell->body, &v) == WIRE_OK) {
            if (!c->versions_sent && !c->have_peer_versions) {
                /* We are the responder: the link is fixed when we answer (do_send). */
                c->have_peer_versions = true;
                c->n_peer_versions = v.n;
                memcpy(c->peer_versions, v.v, v.n * sizeof(v.v[0]));
            }
            uint16_t pick = versions_pick(c->sent_versions, c->n_sent_versions, &v);
            if (pick >= 3) {
                c->link = pick;
                c->ch.rx_version = c->ch.tx_version = pick;
            }
        }
    }
    if (st == LINK_OK)
        track_circuits(c, cell);
    return st;
}

static bool is_padding(uint8_t cmd) { return cmd == CELL_PADDING || cmd == CELL_VPADDING; }

/* The next cell that is not padding — padding is recorded and skipped unless it is what the
 * step expects (keep) — or why none arrived. */
static link_io_t next_cell(sc_conn_rt_t *c, cell_t *cell, hs_ns_t deadline, int keep)
{
    for (;;) {
        link_io_t io = recv_cell(c, cell, deadline);
        if (io != LINK_OK || !is_padding(cell->cmd) || cell->cmd == keep)
            return io;
    }
}

static void note_cell(sc_ctx_t *x, const cell_t *cell)
{
    snprintf(x->run->outcome_cmd, sizeof(x->run->outcome_cmd), "%s", cell_cmd_name(cell->cmd));
}

/* A cell arrived where the step expected something else. */
static step_rc_t unexpected_cell(sc_ctx_t *x, const cell_t *cell, const char *instead_of)
{
    note_cell(x, cell);
    outcome(x, SO_OTHER_REPLY, "received %s (%zu-byte body, circ %u) instead of %s",
            cell_cmd_name(cell->cmd), cell->body.len, cell->circ_id, instead_of);
    return STEP_MISMATCH;
}

/* ---------------------------------------------------------------------------------------- */

static tls_opts_t tls_opts_of(const sc_ctx_t *x, const sc_tls_choice_t *t)
{
    return (tls_opts_t){
        .version = t->version,
        .fallback_scsv = t->scsv,
        .reneg = (tls_reneg_t)t->reneg,
        .ciphers = t->ciphers[0] ? t->ciphers : NULL,
        .groups = t->groups[0] ? t->groups : NULL,
        .kx = t->kx[0] ? t->kx : NULL,
        .priority = t->priority[0] ? t->priority : NULL,
        .keylog_path = x->env->keylog,
    };
}

static step_rc_t handshake(sc_ctx_t *x, const sc_step_t *st, sc_conn_rt_t *c, hs_ns_t deadline);

tls_opts_t scen_tls_opts(const sc_ctx_t *x, const sc_tls_choice_t *t) { return tls_opts_of(x, t); }

sc_step_rc_t scen_handshake(sc_ctx_t *x, const sc_step_t *st, sc_conn_rt_t *c, hs_ns_t deadline)
{
    return handshake(x, st, c, deadline);
}

/* Buffers for a connection about to open (connect or accept); it is freed at the end either way. */
static bool conn_start(sc_ctx_t *x, sc_conn_rt_t *c)
{
    c->started = true;
    if (link_chan_init(&c->ch) != 0) {
        outcome(x, SO_HARNESS, "out of memory");
        return false;
    }
    return true;
}

static step_rc_t do_connect(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    hs_ns_t deadline = hs_deadline_in_ms(within_of(x, st));
    if (!conn_start(x, c))
        return STEP_ERROR;
    int fd = -1;
    char err[200];
    hs_ns_t t = hs_mono_ns();
    net_status_t ns = net_tcp_connect(&x->env->target, deadline, &fd, err, sizeof(err));
    if (ns != NET_OK) {
        x->run->target_refused = ns == NET_REFUSED;
        outcome(x, SO_HARNESS, "%s: %s", ns == NET_REFUSED ? "target exited or is not "
                "listening" : "cannot reach the target", err);
        return STEP_ERROR;
    }
    x->run->ever_connected = true;
    if (x->run->connect_ms == 0)
        x->run->connect_ms = hs_ns_to_ms(hs_mono_ns() - t);
    c->ch.t0 = hs_mono_ns();
    if (st->tls.version < 0) {
        tls_conn_init_plain(&c->ch.tls, fd);
        return STEP_OK;
    }
    c->tls = true;
    tls_opts_t o = tls_opts_of(x, &st->tls);
    if (tls_conn_init(&c->ch.tls, fd, &o) != 0) {
        outcome(x, SO_HARNESS, "TLS set-up: %s", c->ch.tls.err);
        return STEP_ERROR;
    }
    return handshake(x, st, c, deadline);
}

/* The TLS handshake of a connection we opened or accepted, and what its failure means. */
static step_rc_t handshake(sc_ctx_t *x, const sc_step_t *st, sc_conn_rt_t *c, hs_ns_t deadline)
{
    c->tls_status = tls_conn_handshake(&c->ch.tls, deadline);
    if (c->tls_status == TLS_IO_OK) {
        c->tls_ok = true;
        tls_conn_info(&c->ch.tls, &c->tls_info);
        return STEP_OK;
    }
    if (c->tls_status == TLS_IO_HARNESS) {
        outcome(x, SO_HARNESS, "TLS: %s", c->ch.tls.err);
        return STEP_ERROR;
    }
    /* The handshake failed: an outcome about the target.  Whether that was expected is for
     * the next step (expect tls-failure) to say; otherwise it decides the scenario here. */
    size_t next = (size_t)(st - x->s->steps) + 1;
    if (next < x->s->n_steps && (x->s->steps[next].kind == ST_EXPECT_TLS_FAILURE ||
                                 x->s->steps[next].kind == ST_EXPECT_INJECTION))
        return STEP_OK;
    link_io_t lio = c->tls_status == TLS_IO_TIMEOUT  ? LINK_TIMEOUT
                    : c->tls_status == TLS_IO_CLOSED ? LINK_CLOSED
                    : c->tls_status == TLS_IO_RESET  ? LINK_RESET
                    : c->tls_status == TLS_IO_ALERT  ? LINK_ALERT
                                                     : LINK_TLS_ERROR;
    io_outcome(x, c, lio, within_of(x, st));
    char d[sizeof(x->run->detail)];
    snprintf(d, sizeof(d), "%s", x->run->detail);
    outcome(x, lio == LINK_ALERT ? SO_ALERT : SO_TLS_FAILURE, "TLS handshake failed: %s", d);
    return STEP_MISMATCH;
}

static step_rc_t do_listen(sc_ctx_t *x, const sc_step_t *st)
{
    char why[300];
    x->run->listen.tls = st->tls;
    x->run->listen.cert = st->cert;
    x->run->listen.pin = st->pin ? st->pin
                                 : x->s->role == SC_ROLE_MITM ? SC_PIN_TARGET : SC_PIN_HARNESS;
    if (scen_listen_start(x->env, x->s, &x->run->listen, why, sizeof(why)) != 0) {
        outcome(x, SO_HARNESS, "listen: %s", why);
        return STEP_ERROR;
    }
    return STEP_OK;
}

#define ACCEPT_SLICE_MS 50

/* While we wait for the target to connect, has one of our own connections (the trigger of an
 * extension) been answered with a refusal — DESTROY, a TRUNCATED / END relay message, or a
 * close?  Cells other than those are recorded and dropped: nothing else is due there now. */
static bool side_conn_refused(sc_ctx_t *x, int except, char *said, size_t n, int *who,
                              int *destroy_reason)
{
    *who = -1;
    *destroy_reason = -1;
    for (size_t i = 0; i < x->s->n_conns; i++) {
        sc_conn_rt_t *c = &x->run->conns[i];
        if ((int)i == except || !c->started || c->closed_by_us || (c->tls && !c->tls_ok))
            continue;
        cell_t cell;
        link_io_t io;
        while ((io = recv_cell(c, &cell, hs_mono_ns())) == LINK_OK) {
            uint8_t reason;
            if (cell.cmd == CELL_DESTROY && destroy_parse(cell.body, &reason) == WIRE_OK) {
                snprintf(said, n, "'%s' got DESTROY on circuit %u, reason %u (%s)",
                         x->s->conns[i], cell.circ_id, reason, destroy_reason_name(reason));
                *who = (int)i;
                *destroy_reason = reason;
                return true;
            }
            if ((cell.cmd == CELL_RELAY || cell.cmd == CELL_RELAY_EARLY) && c->relay_ok &&
                (c->relay_plain[0] == RELAY_CMD_TRUNCATED || c->relay_plain[0] == RELAY_CMD_END)) {
                snprintf(said, n, "'%s' got relay %s, reason %u", x->s->conns[i],
                         relay_cmd_name(c->relay_plain[0]), c->relay_plain[RELAY_HEADER_LEN]);
                return true;
            }
        }
        if (io == LINK_CLOSED || io == LINK_RESET || io == LINK_ALERT || io == LINK_TLS_ERROR) {
            snprintf(said, n, "'%s' was closed by the target (%s)", x->s->conns[i],
                     link_io_str(io));
            return true;
        }
    }
    return false;
}

static step_rc_t run_step(sc_ctx_t *x, const sc_step_t *st);

/* tor (seen with 0.4.9.11) reaps, every 11 s, a client's circuit that has no next hop yet
 * when the client's channel has never carried a cell through the channel layer — its "last
 * transmitted" time is 0 ("Closing circ_id … (empty 1795260701 secs ago)" in the relay's info
 * log), DESTROY reason FINISHED.  A trigger circuit caught between CREATE_FAST and the
 * relay's connection to us meets that by chance, which says nothing about the behaviour
 * under test: rebuild it — the trigger's steps from its last `send CREATE_FAST` up to its
 * `send EXTEND2`, on a fresh circuit id — and say so in the result.  At most twice. */
#define TRIGGER_REBUILDS 2
#define DESTROY_REASON_FINISHED 9

typedef enum { REBUILT, NOT_REBUILT, REBUILD_FAILED } rebuild_t;

static rebuild_t rebuild_trigger(sc_ctx_t *x, const sc_step_t *accept_st, int trigger,
                                 const char *said, step_rc_t *failed)
{
    size_t here = (size_t)(accept_st - x->s->steps);
    int from = -1, to = -1;
    for (size_t i = here; i-- > 0;) {
        const sc_step_t *st = &x->s->steps[i];
        if (st->conn != trigger || st->kind != ST_SEND)
            continue;
        if (to < 0 && st->cmd == SC_CMD_EXTEND2)
            to = (int)i;
        if (to >= 0 && st->cmd == CELL_CREATE_FAST) {
            from = (int)i;
            break;
        }
    }
    if (from < 0 || x->run->n_rebuilds >= TRIGGER_REBUILDS)
        return NOT_REBUILT;
    for (size_t f = 0; f < x->s->steps[from].n_fields; f++)
        if (x->s->steps[from].fields[f].field == F_CIRC)
            return NOT_REBUILT; /* the file fixed the circuit id: do not reuse it */
    x->run->n_rebuilds++;
    size_t used = strlen(x->run->rebuilt);
    snprintf(x->run->rebuilt + used, sizeof(x->run->rebuilt) - used, "%s%s; rebuilt from line %d",
             used ? "; " : "", said, x->s->steps[from].line);
    for (int i = from; i <= to; i++) {
        const sc_step_t *st = &x->s->steps[i];
        if (st->conn != trigger)
            continue;
        step_rc_t rc = run_step(x, st);
        if (rc != STEP_OK) {
            *failed = rc; /* its outcome says why */
            return REBUILD_FAILED;
        }
    }
    return REBUILT;
}

/* The certificate and key an accepted connection presents (`listen cert=`), issued now by
 * our identity.  *key is the identity's link key, or a fresh ECDSA key the caller frees. */
static int server_cert(sc_ctx_t *x, sc_cert_kind_t kind, bld_t *cert, gnutls_privkey_t *key)
{
    const relay_identity_t *id = x->env->identity;
    int64_t now = hs_wall_s();
    int64_t nb = now - 86400, na = now + 365 * 86400;
    if (kind == SC_CERT_EXPIRED) {
        nb = now - 40 * 86400; /* ended 10 days ago: beyond any clock slop */
        na = now - 10 * 86400;
    }
    bld_init(cert, 4096);
    *key = id->rsa_link;
    if (kind != SC_CERT_ECDSA)
        return identity_build_link_cert(id, nb, na, cert) == 0 && bld_ok(cert) ? 0 : -1;
    if (x509_ecdsa_p256_generate(key) != 0)
        return -1;
    if (identity_build_link_cert_for(id, *key, nb, na, cert) == 0 && bld_ok(cert))
        return 0;
    gnutls_privkey_deinit(*key);
    *key = NULL;
    return -1;
}

/* The target connects to us: accept, then the TLS server handshake with a link certificate
 * issued now by our identity — the same certificate CERTS types 1 and 5 will describe. */
static step_rc_t do_accept(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    sc_listen_rt_t *l = &x->run->listen;
    int64_t wait_ms = st->within_ms > 0 ? st->within_ms : 30000;
    hs_ns_t deadline = hs_deadline_in_ms(wait_ms);
    if (!x->env->identity) {
        outcome(x, SO_HARNESS, "the responder role needs the harness identity");
        return STEP_ERROR;
    }
    if (!conn_start(x, c))
        return STEP_ERROR;
    int fd = -1;
    char why[1800];
    hs_ns_t t = hs_mono_ns();
    for (;;) {
        /* In slices, so that a side connection's answer (a relay refusing to extend to us)
         * ends the wait with its reason instead of a timeout. */
        hs_ns_t slice = hs_deadline_in_ms(ACCEPT_SLICE_MS);
        net_status_t ns = scen_listen_accept(l, slice < deadline ? slice : deadline, &fd, why,
                                             sizeof(why));
        if (ns == NET_OK)
            break;
        if (ns != NET_TIMEOUT || hs_ms_left(deadline) <= 0) {
            outcome(x, SO_HARNESS, "%s", why);
            return STEP_ERROR;
        }
        char said[400];
        int who, reason;
        if (side_conn_refused(x, st->conn, said, sizeof(said), &who, &reason)) {
            step_rc_t failed = STEP_ERROR;
            rebuild_t r = reason == DESTROY_REASON_FINISHED
                              ? rebuild_trigger(x, st, who, said, &failed) : NOT_REBUILT;
            if (r == REBUILT)
                continue;
            if (r == REBUILD_FAILED)
                return failed;
            outcome(x, SO_OTHER_REPLY, "the target never connected to 127.0.0.1:%u: %s", l->port,
                    said);
            return STEP_MISMATCH;
        }
    }
    x->run->ever_connected = true;
    c->accepted = true;
    if (x->run->connect_ms == 0)
        x->run->connect_ms = hs_ns_to_ms(hs_mono_ns() - t);
    c->ch.t0 = hs_mono_ns();
    if (l->tls.version < 0) {
        tls_conn_init_plain(&c->ch.tls, fd);
        return STEP_OK;
    }
    c->tls = true;
    gnutls_privkey_t key = NULL;
    if (server_cert(x, l->cert, &c->server_cert, &key) != 0) {
        close(fd);
        outcome(x, SO_HARNESS, "cannot build the TLS link certificate");
        return STEP_ERROR;
    }
    sc_tls_choice_t offer = l->tls;
    if (l->cert == SC_CERT_ECDSA && !offer.kx[0] && !offer.priority[0])
        snprintf(offer.kx, sizeof(offer.kx), "ECDHE-ECDSA"); /* TLS 1.2: a suite for the key */
    tls_opts_t o = tls_opts_of(x, &offer);
    int rc = tls_conn_init_server(&c->ch.tls, fd, &o, bld_span(&c->server_cert), key);
    if (key != x->env->identity->rsa_link)
        gnutls_privkey_deinit(key); /* the session holds its own copy */
    if (rc != 0) {
        outcome(x, SO_HARNESS, "TLS set-up: %s", c->ch.tls.err);
        return STEP_ERROR;
    }
    return handshake(x, st, c, hs_deadline_in_ms(within_of(x, st)));
}

static void keep_var(sc_ctx_t *x, int var, span_t bytes, unsigned width)
{
    if (var < 0)
        return;
    sc_varval_t *v = &x->run->vars[var];
    free(v->bytes);
    v->bytes = malloc(bytes.len ? bytes.len : 1);
    if (!v->bytes)
        return;
    memcpy(v->bytes, bytes.p, bytes.len);
    v->len = bytes.len;
    v->width = width;
    v->set = true;
}

static step_rc_t sent(sc_ctx_t *x, sc_conn_rt_t *c, link_io_t st)
{
    if (st == LINK_OK)
        return STEP_OK;
    if (st == LINK_HARNESS) {
        outcome(x, SO_HARNESS, "%s", c->ch.err);
        return STEP_ERROR;
    }
    /* The target has gone (or the TLS session broke) before we wrote: the next expectation
     * sees it when it reads. */
    c->write_failed = true;
    return STEP_OK;
}

static step_rc_t do_send(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    if (c->tls && !c->tls_ok && c->ch.tls.plain == false && c->ch.tls.upgraded) {
        /* A STARTTLS whose handshake failed leaves the socket as it was: whatever we wrote
         * now would cross in clear, which is never what the file means. */
        outcome(x, SO_TLS_FAILURE, "the STARTTLS handshake on this connection failed; nothing "
                "more is sent on it (it would cross in clear)");
        return STEP_MISMATCH;
    }
    c->listen_port = x->run->listen.port; /* EXTEND2 points the relay at it */
    hs_ns_t deadline = hs_deadline_in_ms(within_of(x, st));
    char err[240];
    if (st->kind == ST_SEND_RAW) {
        uint8_t *buf = malloc(st->raw.len ? st->raw.len : 1);
        if (!buf || (st->raw.random ? hs_rand_bytes(buf, st->raw.len)
                                    : (memcpy(buf, st->raw.p, st->raw.len), 0)) != 0) {
            free(buf);
            outcome(x, SO_HARNESS, "out of memory");
            return STEP_ERROR;
        }
        link_io_t io = link_chan_send_raw(&c->ch, span_of(buf, st->raw.len), deadline);
        free(buf);
        return sent(x, c, io);
    }
    bld_t b;
    cell_t meta;
    memset(&meta, 0, sizeof(meta));
    if (st->kind == ST_SEND_VAR) {
        const sc_varval_t *v = &x->run->vars[st->use_var];
        if (!v->set) {
            outcome(x, SO_HARNESS, "variable '%s' was never captured (its step did not run to "
                    "completion)", x->s->vars[st->use_var].name);
            return STEP_ERROR;
        }
        bld_init(&b, v->len + 8192);
        bld_bytes(&b, v->bytes, v->len);
        meta.cmd = (uint8_t)st->cmd;
        meta.circ_width = (uint8_t)v->width;
        meta.var = st->cmd == CELL_VERSIONS || st->cmd >= 128;
        if (scen_mutate_bytes(st->muts, st->n_muts, v->width, &b, err, sizeof(err)) != 0) {
            bld_free(&b);
            outcome(x, SO_HARNESS, "%s", err);
            return STEP_ERROR;
        }
    } else if (scen_build_send(st, x->env, c, &b, &meta, err, sizeof(err)) != 0) {
        bld_free(&b);
        outcome(x, SO_HARNESS, "cannot build the cell: %s", err);
        return STEP_ERROR;
    }
    keep_var(x, st->as_var, bld_span(&b), meta.circ_width);
    link_io_t io = link_chan_send_encoded(&c->ch, bld_span(&b), &meta, deadline);
    bld_free(&b);
    if (meta.cmd == CELL_VERSIONS)
        scen_settle_link(c); /* responder: our VERSIONS answers theirs */
    return sent(x, c, io);
}

/* Checks every constraint of an expect step against cell; on mismatch sets the outcome. */
static step_rc_t check_cell(sc_ctx_t *x, const sc_step_t *st, sc_conn_rt_t *c, const cell_t *cell)
{
    for (size_t i = 0; i < st->n_fields; i++) {
        const sc_setting_t *f = &st->fields[i];
        sc_actual_t got, want;
        scen_extract(cell, f->field, c, x->env, &got);
        if (got.harness) {
            outcome(x, SO_HARNESS, "%s", got.why);
            return STEP_ERROR;
        }
        if (f->v.kind == V_VARREF) {
            const sc_varval_t *v = &x->run->vars[f->v.var];
            cell_t vc;
            size_t used;
            if (!v->set || cell_frame(span_of(v->bytes, v->len), v->width == 4 ? 4 : 3, &vc,
                                      &used) != WIRE_OK) {
                outcome(x, SO_HARNESS, "variable '%s' holds no readable cell",
                        x->s->vars[f->v.var].name);
                return STEP_ERROR;
            }
            scen_extract(&vc, (sc_field_t)f->v.field, c, x->env, &want);
            if (!want.ok) {
                outcome(x, SO_HARNESS, "variable '%s': %s", x->s->vars[f->v.var].name, want.why);
                return STEP_ERROR;
            }
        } else {
            scen_literal(&f->v, x->env, &want);
        }
        if (!got.ok || !scen_compare(&got, f->op, &want)) {
            char g[240], w[240];
            scen_format(&got, g, sizeof(g));
            scen_format(&want, w, sizeof(w));
            outcome(x, SO_OTHER_REPLY, "%s with %s=%s, expected %s %s %s",
                    cell_cmd_name(cell->cmd), sc_field_name(f->field), g,
                    sc_field_name(f->field), sc_op_name(f->op), w);
            return STEP_MISMATCH;
        }
    }
    return STEP_OK;
}

static step_rc_t do_expect_cell(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    int64_t ms = within_of(x, st);
    cell_t cell;
    link_io_t io = next_cell(c, &cell, hs_deadline_in_ms(ms), st->cmd);
    if (io != LINK_OK)
        return io_outcome(x, c, io, ms);
    if (cell.cmd != st->cmd)
        return unexpected_cell(x, &cell, cell_cmd_name((uint8_t)st->cmd));
    note_cell(x, &cell);
    step_rc_t rc = check_cell(x, st, c, &cell);
    if (rc != STEP_OK)
        return rc;
    keep_var(x, st->as_var, span_of(c->ch.cur, cell.wire_len), cell.circ_width);
    outcome(x, SO_EXPECTED, "received %s (%zu-byte body) after %.1f ms", cell_cmd_name(cell.cmd),
            cell.body.len, since_ms(x));
    return STEP_OK;
}

static step_rc_t do_expect_close(sc_ctx_t *x, const sc_step_t *st)
{
    if (sc_protocol_is_text(x->s->protocol))
        return scen_text_expect_close(x, st);
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    int64_t ms = within_of(x, st);
    cell_t cell;
    link_io_t io = next_cell(c, &cell, hs_deadline_in_ms(ms), -1);
    if (io == LINK_OK)
        return unexpected_cell(x, &cell, "a close");
    step_rc_t rc = io_outcome(x, c, io, ms);
    if (io != LINK_CLOSED && io != LINK_RESET)
        return rc;
    if ((st->close_kind == 1 && io != LINK_CLOSED) || (st->close_kind == 2 && io != LINK_RESET))
        return STEP_MISMATCH; /* closed, but not the way the file says */
    return STEP_OK;
}

static step_rc_t do_expect_silence(sc_ctx_t *x, const sc_step_t *st)
{
    if (sc_protocol_is_text(x->s->protocol))
        return scen_text_expect_close(x, st);
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    cell_t cell;
    link_io_t io = next_cell(c, &cell, hs_deadline_in_ms(st->within_ms), -1);
    if (io == LINK_OK)
        return unexpected_cell(x, &cell, "silence");
    step_rc_t rc = io_outcome(x, c, io, st->within_ms);
    if (io == LINK_TIMEOUT && x->run->outcome == SO_SILENCE)
        return STEP_OK;
    return rc == STEP_OK ? STEP_MISMATCH : rc;
}

static bool alert_matches(const sc_step_t *st, int level, int desc)
{
    return (st->alert_level < 0 || st->alert_level == level) &&
           (st->alert_desc < 0 || st->alert_desc == desc);
}

static void alert_outcome(sc_ctx_t *x, int level, int desc)
{
    x->run->alert_level = level;
    x->run->alert_desc = desc;
    outcome(x, SO_ALERT, "TLS alert %s %d (%s)", level == 1 ? "warning" : "fatal", desc,
            tls_alert_name(desc) ? tls_alert_name(desc) : "unknown");
}

static step_rc_t do_expect_alert(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    int64_t ms = within_of(x, st);
    hs_ns_t deadline = hs_deadline_in_ms(ms);
    tls_conn_t *t = &c->ch.tls;
    /* An alert that already arrived (e.g. the answer to a renegotiation) counts. */
    int seen = t->warning_alerts + (t->alert_level == 2 ? 1 : 0);
    if (seen > c->alerts_consumed) {
        c->alerts_consumed = seen;
        alert_outcome(x, t->alert_level, t->alert_desc);
        return alert_matches(st, t->alert_level, t->alert_desc) ? STEP_OK : STEP_MISMATCH;
    }
    t->stop_on_warning = true;
    cell_t cell;
    link_io_t io;
    if (sc_protocol_is_text(x->s->protocol)) {
        /* Text: any application data before the alert is the evidence against it. */
        io = c->ch.rx_len ? LINK_OK : link_chan_fill(&c->ch, deadline);
        t->stop_on_warning = false;
        if (io == LINK_OK)
            return scen_text_unexpected(x, c, "an alert");
    } else {
        io = next_cell(c, &cell, deadline, -1);
        t->stop_on_warning = false;
        if (io == LINK_OK)
            return unexpected_cell(x, &cell, "an alert");
    }
    if (io == LINK_ALERT) {
        c->alerts_consumed = t->warning_alerts + (t->alert_level == 2 ? 1 : 0);
        alert_outcome(x, t->alert_level, t->alert_desc);
        return alert_matches(st, t->alert_level, t->alert_desc) ? STEP_OK : STEP_MISMATCH;
    }
    return io_outcome(x, c, io, ms);
}

static step_rc_t do_expect_tls(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    if (st->kind == ST_EXPECT_TLS_FAILURE) {
        if (c->tls_ok) {
            outcome(x, SO_OTHER_REPLY, "the TLS handshake completed (%s, %s, %s)",
                    c->tls_info.version ? c->tls_info.version : "?",
                    c->tls_info.cipher ? c->tls_info.cipher : "?",
                    c->tls_info.kx ? c->tls_info.kx : "?");
            return STEP_MISMATCH;
        }
        int desc = c->tls_status == TLS_IO_ALERT ? c->ch.tls.alert_desc : -1;
        if (desc >= 0) {
            alert_outcome(x, 2, desc);
            x->run->outcome = SO_TLS_FAILURE;
        } else {
            outcome(x, SO_TLS_FAILURE, "TLS handshake failed without an alert: %s (%s)",
                    tls_io_str(c->tls_status), c->ch.tls.err);
        }
        if (st->alert_desc >= 0 && desc != st->alert_desc) {
            char d[sizeof(x->run->detail)];
            snprintf(d, sizeof(d), "%s", x->run->detail);
            outcome(x, SO_TLS_FAILURE, "%s; expected alert %d (%s)", d, st->alert_desc,
                    tls_alert_name(st->alert_desc) ? tls_alert_name(st->alert_desc) : "?");
            return STEP_MISMATCH;
        }
        return STEP_OK;
    }
    if (!c->tls_ok) {
        outcome(x, SO_TLS_FAILURE, "the TLS handshake failed: %s", c->ch.tls.err);
        return STEP_MISMATCH;
    }
    const tls_info_t *i = &c->tls_info;
    struct {
        const char *want, *got, *what;
    } chk[] = {
        { st->tls_version, i->version, "version" },
        { st->tls_cipher, i->cipher, "cipher" },
        { st->tls_kx, i->kx, "kx" },
        { st->tls_group, i->group, "group" },
    };
    for (size_t k = 0; k < HS_ARRAY_LEN(chk); k++) {
        if (chk[k].want[0] && (!chk[k].got || strcmp(chk[k].want, chk[k].got))) {
            outcome(x, SO_OTHER_REPLY, "TLS %s is %s, expected %s", chk[k].what,
                    chk[k].got ? chk[k].got : "(none)", chk[k].want);
            return STEP_MISMATCH;
        }
    }
    if (st->tls_ri >= 0 && (int)i->safe_reneg != st->tls_ri) {
        outcome(x, SO_OTHER_REPLY, "the %s renegotiation_info (RFC 5746), expected %s",
                c->ch.tls.server ? "handshake did not negotiate"
                : i->safe_reneg ? "ServerHello carries" : "ServerHello carries no",
                st->tls_ri ? "it" : "none");
        if (c->ch.tls.server && i->safe_reneg)
            outcome(x, SO_OTHER_REPLY, "the handshake negotiated renegotiation_info (RFC 5746), "
                    "expected none");
        return STEP_MISMATCH;
    }
    outcome(x, SO_EXPECTED, "TLS %s, %s, kx %s, group %s%s", i->version ? i->version : "?",
            i->cipher ? i->cipher : "?", i->kx ? i->kx : "?", i->group ? i->group : "none",
            st->tls_ri < 0 ? "" : i->safe_reneg ? ", renegotiation_info in the ServerHello"
                                                : ", no renegotiation_info in the ServerHello");
    return STEP_OK;
}

static step_rc_t do_renegotiate(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    hs_ns_t deadline = hs_deadline_in_ms(within_of(x, st));
    tls_io_t io = tls_conn_renegotiate(&c->ch.tls, deadline, c->ch.rx, HS_CAP_RX_BUFFER,
                                       &c->ch.rx_len);
    c->reneg_done = true;
    c->reneg_io = io;
    if (io == TLS_IO_HARNESS) {
        outcome(x, SO_HARNESS, "renegotiation: %s", c->ch.tls.err);
        return STEP_ERROR;
    }
    /* Every other answer (renegotiated, refused with an alert, closed) is evidence for the
     * expectation that follows. */
    return STEP_OK;
}

static step_rc_t run_step(sc_ctx_t *x, const sc_step_t *st)
{
    if (scen_rawtls_owns(x, st)) {
        sc_raw_rc_t rc = scen_rawtls_step(x, st);
        return rc == SC_RAW_OK ? STEP_OK : rc == SC_RAW_MISMATCH ? STEP_MISMATCH : STEP_ERROR;
    }
    switch (st->kind) {
    case ST_CONNECT: return do_connect(x, st);
    case ST_USE: return STEP_OK;
    case ST_SEND:
    case ST_SEND_RAW:
    case ST_SEND_VAR: return do_send(x, st);
    case ST_RENEGOTIATE: return do_renegotiate(x, st);
    case ST_STARTTLS: return scen_text_starttls(x, st);
    case ST_EXPECT_LINE:
    case ST_EXPECT_REPLY:
    case ST_EXPECT_TEXT: return scen_text_expect(x, st);
    case ST_EXPECT_INJECTION: return scen_text_expect_injection(x, st);
    case ST_EXPECT_RENEG: return scen_text_expect_reneg(x, st);
    case ST_CLOSE: {
        sc_conn_rt_t *c = &x->run->conns[st->conn];
        tls_conn_close(&c->ch.tls, hs_deadline_in_ms(200));
        c->closed_by_us = true;
        return STEP_OK;
    }
    case ST_EXPECT_CELL: return do_expect_cell(x, st);
    case ST_EXPECT_CLOSE: return do_expect_close(x, st);
    case ST_EXPECT_SILENCE: return do_expect_silence(x, st);
    case ST_EXPECT_ALERT: return do_expect_alert(x, st);
    case ST_EXPECT_TLS_FAILURE:
    case ST_EXPECT_TLS: return do_expect_tls(x, st);
    case ST_LISTEN: return do_listen(x, st);
    case ST_ACCEPT: return do_accept(x, st);
    case ST_MITM: {
        int rc = scen_mitm_run(x, st);
        return rc == 0 ? STEP_OK : rc == 1 ? STEP_MISMATCH : STEP_ERROR;
    }
    case ST_EXPECT_CLIENT_HELLO: return scen_hello_expect(x, st);
    case ST_SEND_SSLV2_HELLO:
    case ST_EXPECT_SERVER_HELLO:
    case ST_EXPECT_ALERT_RECORD: break;
    }
    outcome(x, SO_UNSUPPORTED, "step not supported");
    return STEP_ERROR;
}

void scen_utc_now(char *buf, size_t n)
{
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, n, "unknown");
}

void scen_run(const scenario_t *s, const sc_env_t *env, sc_run_t *run)
{
    memset(run, 0, sizeof(*run));
    run->failed_step = -1;
    run->alert_level = run->alert_desc = -1;
    scen_utc_now(run->started, sizeof(run->started));
    sc_ctx_t x = { .s = s, .env = env, .run = run, .t0 = hs_mono_ns() };
    if (env->seeded)
        hs_rand_seed(env->seed, s->id);
    run->listen.fd = -1;
    int last_expect = -1;
    for (size_t i = 0; i < s->n_steps; i++)
        if (sc_kind_is_expect(s->steps[i].kind))
            last_expect = (int)i;
    run->verdict = SV_PASS;
    int decisive = -1;
    for (size_t i = 0; i < s->n_steps; i++) {
        const sc_step_t *st = &s->steps[i];
        step_rc_t rc = run_step(&x, st);
        bool negate = env->negate_last && (int)i == last_expect;
        if (rc == STEP_ERROR) {
            run->verdict = SV_ERROR;
            run->failed_step = (int)i;
            break;
        }
        if (negate)
            rc = rc == STEP_OK ? STEP_MISMATCH : STEP_OK;
        if (rc == STEP_MISMATCH) {
            run->verdict = SV_FAIL;
            run->failed_step = (int)i;
            break;
        }
        if (sc_kind_is_expect(st->kind))
            decisive = (int)i;
    }
    run->total_ms = since_ms(&x);
    if (run->verdict == SV_PASS) {
        snprintf(run->message, sizeof(run->message), "all expectations met; last: line %d "
                 "'%s' → %s", decisive >= 0 ? s->steps[decisive].line : 0,
                 decisive >= 0 ? s->steps[decisive].text : "", run->detail);
    } else {
        const sc_step_t *st = &s->steps[run->failed_step];
        bool negated = env->negate_last && run->failed_step == last_expect &&
                       run->verdict == SV_FAIL;
        snprintf(run->message, sizeof(run->message), "%sline %d '%s': %s%s",
                 run->verdict == SV_ERROR ? "harness error at " : "", st->line, st->text,
                 run->detail,
                 negated ? " — and this expectation was negated (--negate-last-expect), so "
                           "meeting it fails" : "");
    }
    if (run->verdict == SV_ERROR && run->target_refused) {
        char m[sizeof(run->message)];
        snprintf(m, sizeof(m), "%s", run->message);
        snprintf(run->message, sizeof(run->message), "target exited or is not listening: %.1100s", m);
    }
}

void scen_run_free(sc_run_t *run)
{
    scen_listen_stop(&run->listen);
    scen_mitm_free(run);
    for (size_t i = 0; i < SC_CAP_CONNS; i++) {
        if (run->conns[i].started)
            link_chan_free(&run->conns[i].ch, hs_deadline_in_ms(100));
        bld_free(&run->conns[i].server_cert);
        for (size_t k = 0; k < SC_CAP_CIRCS; k++)
            relay_crypto_free(&run->conns[i].circ_crypto[k]);
        free(run->conns[i].peer_auth);
        run->conns[i].peer_auth = NULL;
        free(run->conns[i].rawtls);
    }
    for (size_t i = 0; i < SC_CAP_VARS; i++)
        free(run->vars[i].bytes);
    memset(run, 0, sizeof(*run));
}
