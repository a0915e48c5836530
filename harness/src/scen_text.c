/* scen_text.c — see scen_text.h. */
#include "scen_text.h"

#include "hs_clock.h"
#include "wire_tls_alert.h"
#include "wire_tlsrec.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SHOW_CAP 200u /* characters of received text quoted in an outcome */

/* bytes → a C-escaped quotation, cut with "…" when longer than the room. */
static void show(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        uint8_t b = p[i];
        if (b == '\r' || b == '\n' || b == '\t')
            o += (size_t)snprintf(out + o, cap - o, "\\%c", b == '\r' ? 'r' : b == '\n' ? 'n' : 't');
        else if (b < 0x20 || b >= 0x7f || b == '\'' || b == '\\')
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", b);
        else
            out[o++] = (char)b;
        if (i + 1 < n && o + 8 >= cap) {
            o += (size_t)snprintf(out + o, cap - o, "…");
            break;
        }
    }
    out[o < cap ? o : cap - 1] = 0;
}

/* Why a read ended without the text the step wanted, as the outcome (c->ch.rx holds what
 * arrived of an unfinished line or reply). */
static sc_step_rc_t text_io(sc_ctx_t *x, sc_conn_rt_t *c, link_io_t st, int64_t waited_ms,
                            const char *wanted)
{
    sc_run_t *r = x->run;
    char pend[SHOW_CAP + 40] = "";
    if (c->ch.rx_len) {
        char q[SHOW_CAP];
        show(c->ch.rx, c->ch.rx_len, q, sizeof(q));
        snprintf(pend, sizeof(pend), " ('%s' pending)", q);
    }
    switch (st) {
    case LINK_CLOSED:
    case LINK_RESET:
        scen_note_close(x, c, st == LINK_RESET);
        scen_outcome(x, SO_CLOSE, "the target closed the connection (%s) %.1f ms after it "
                     "opened, waiting for %s%s", st == LINK_RESET ? "RST" : "FIN", r->close_ms,
                     wanted, pend);
        return STEP_MISMATCH;
    case LINK_ALERT:
        r->alert_level = c->ch.tls.alert_level;
        r->alert_desc = c->ch.tls.alert_desc;
        scen_outcome(x, SO_ALERT, "TLS alert %s %d (%s) waiting for %s",
                     r->alert_level == 1 ? "warning" : "fatal", r->alert_desc,
                     tls_alert_name(r->alert_desc) ? tls_alert_name(r->alert_desc) : "unknown",
                     wanted);
        return STEP_MISMATCH;
    case LINK_TLS_ERROR:
        scen_outcome(x, SO_TLS_FAILURE, "TLS failure waiting for %s: %s", wanted,
                     c->ch.tls.err);
        return STEP_MISMATCH;
    case LINK_TIMEOUT:
        if (c->ch.rx_len) {
            r->pending_bytes = c->ch.rx_len;
            scen_outcome(x, SO_STALL, "no %s within %lld ms; %zu bytes arrived%s", wanted,
                         (long long)waited_ms, c->ch.rx_len, pend);
        } else {
            scen_outcome(x, SO_SILENCE, "nothing received for %lld ms (waiting for %s)",
                         (long long)waited_ms, wanted);
        }
        return STEP_MISMATCH;
    case LINK_HARNESS:
        scen_outcome(x, SO_HARNESS, "%s", c->ch.err[0] ? c->ch.err : c->ch.tls.err);
        return STEP_ERROR;
    case LINK_OK: break;
    }
    return STEP_OK;
}

sc_step_rc_t scen_text_unexpected(sc_ctx_t *x, sc_conn_rt_t *c, const char *instead_of)
{
    char q[SHOW_CAP];
    size_t n = c->ch.rx_len;
    show(c->ch.rx, n, q, sizeof(q));
    link_chan_take_raw(&c->ch, n);
    scen_outcome(x, SO_OTHER_REPLY, "received %zu bytes '%s' instead of %s", n, q, instead_of);
    return STEP_MISMATCH;
}

/* The next line (without its CR LF) into line[SC_TEXT_LINE_CAP + 1].  A line over the cap is
 * returned cut (*cut) and the rest of it is dropped by the next call. */
static link_io_t next_line(sc_conn_rt_t *c, hs_ns_t deadline, char *line, size_t *len,
                           bool *cut)
{
    link_chan_t *ch = &c->ch;
    *cut = false;
    for (;;) {
        size_t look = ch->rx_len < SC_TEXT_LINE_CAP ? ch->rx_len : SC_TEXT_LINE_CAP;
        const uint8_t *lf = memchr(ch->rx, '\n', look);
        if (lf || ch->rx_len >= SC_TEXT_LINE_CAP) {
            size_t n = lf ? (size_t)(lf - ch->rx) : SC_TEXT_LINE_CAP;
            bool was_cut = c->line_cut;
            c->line_cut = !lf;
            if (was_cut) { /* the tail of a line already reported as cut */
                link_chan_take_raw(ch, lf ? n + 1 : n);
                continue;
            }
            size_t body = n;
            if (lf && body && ch->rx[body - 1] == '\r')
                body--;
            memcpy(line, ch->rx, body);
            line[body] = 0;
            *len = body;
            *cut = !lf;
            link_chan_take_raw(ch, lf ? n + 1 : n);
            return LINK_OK;
        }
        link_io_t io = link_chan_fill(ch, deadline);
        if (io != LINK_OK)
            return io;
    }
}

static bool line_matches(const char *pat, const char *line, size_t len)
{
    /* fnmatch stops at a NUL; a line carrying one never matches a pattern (which has none). */
    return strlen(line) == len && fnmatch(pat, line, 0) == 0;
}

/* has= / lacks= over what the step consumed. */
static sc_step_rc_t text_checks(sc_ctx_t *x, const sc_step_t *st, const char *what,
                                const char *got, size_t n)
{
    char q[SHOW_CAP];
    for (size_t i = 0; i < st->texp.n_has; i++)
        if (!memmem(got, n, st->texp.has[i], strlen(st->texp.has[i]))) {
            show((const uint8_t *)got, n, q, sizeof(q));
            scen_outcome(x, SO_OTHER_REPLY, "%s without '%s': '%s'", what, st->texp.has[i], q);
            return STEP_MISMATCH;
        }
    for (size_t i = 0; i < st->texp.n_lacks; i++) {
        const char *at = memmem(got, n, st->texp.lacks[i], strlen(st->texp.lacks[i]));
        if (at) {
            size_t off = (size_t)(at - got);
            size_t from = off > 40 ? off - 40 : 0;
            show((const uint8_t *)got + from, n - from, q, sizeof(q));
            scen_outcome(x, SO_OTHER_REPLY, "%s contains '%s': '%s%s'", what, st->texp.lacks[i],
                         from ? "…" : "", q);
            return STEP_MISMATCH;
        }
    }
    return STEP_OK;
}

#define REPLY_CAP (16u * 1024u) /* text of one reply kept for has= / lacks= and evidence */

sc_step_rc_t scen_text_expect(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    int64_t ms = scen_within(x, st);
    hs_ns_t deadline = hs_deadline_in_ms(ms);
    char want[300];
    char q[SHOW_CAP];
    if (st->kind == ST_EXPECT_TEXT) {
        snprintf(want, sizeof(want), "text containing '%s'", st->texp.pat);
        size_t pl = strlen(st->texp.pat);
        for (;;) {
            const uint8_t *at = memmem(c->ch.rx, c->ch.rx_len, st->texp.pat, pl);
            if (at) {
                size_t n = (size_t)(at - c->ch.rx) + pl;
                char got[REPLY_CAP];
                size_t keep = n < sizeof(got) ? n : sizeof(got);
                memcpy(got, c->ch.rx, keep);
                link_chan_take_raw(&c->ch, n);
                sc_step_rc_t rc = text_checks(x, st, "the text", got, keep);
                if (rc != STEP_OK)
                    return rc;
                show((const uint8_t *)got, keep, q, sizeof(q));
                scen_outcome(x, SO_EXPECTED, "received '%s'", q);
                return STEP_OK;
            }
            if (c->ch.rx_len >= SC_TEXT_SCAN_CAP) {
                show(c->ch.rx, c->ch.rx_len, q, sizeof(q));
                scen_outcome(x, SO_OTHER_REPLY, "no '%s' in the first %u bytes: '%s'",
                             st->texp.pat, SC_TEXT_SCAN_CAP, q);
                return STEP_MISMATCH;
            }
            link_io_t io = link_chan_fill(&c->ch, deadline);
            if (io != LINK_OK)
                return text_io(x, c, io, ms, want);
        }
    }
    snprintf(want, sizeof(want), "a line matching '%s'", st->texp.pat);
    char line[SC_TEXT_LINE_CAP + 1];
    char acc[REPLY_CAP];
    size_t acc_len = 0;
    char cut_note[80] = "";
    for (unsigned k = 0; k < SC_TEXT_REPLY_LINES; k++) {
        size_t len;
        bool cut;
        link_io_t io = next_line(c, deadline, line, &len, &cut);
        if (io != LINK_OK) {
            if (acc_len) {
                show((const uint8_t *)acc, acc_len, q, sizeof(q));
                snprintf(want + strlen(want), sizeof(want) - strlen(want), " after '%.*s'",
                         (int)(sizeof(want) - strlen(want) > 12 ? sizeof(want) - strlen(want) - 12
                                                                 : 0), q);
            }
            return text_io(x, c, io, ms, want);
        }
        if (cut)
            snprintf(cut_note, sizeof(cut_note), " (a line longer than %u bytes was cut there)",
                     SC_TEXT_LINE_CAP);
        /* The reply as received, one line per '\n', for has= / lacks= and the evidence. */
        size_t room = sizeof(acc) - acc_len;
        size_t take = len + 1 < room ? len : (room ? room - 1 : 0);
        memcpy(acc + acc_len, line, take);
        acc_len += take;
        if (acc_len < sizeof(acc))
            acc[acc_len++] = '\n';
        bool hit = line_matches(st->texp.pat, line, len);
        if (!hit && st->kind == ST_EXPECT_LINE) {
            show((const uint8_t *)line, len, q, sizeof(q));
            scen_outcome(x, SO_OTHER_REPLY, "received line '%s'%s instead of %s", q, cut_note,
                         want);
            return STEP_MISMATCH;
        }
        if (!hit)
            continue;
        sc_step_rc_t rc = text_checks(x, st, st->kind == ST_EXPECT_LINE ? "the line"
                                                                         : "the reply",
                                      acc, acc_len);
        if (rc != STEP_OK)
            return rc;
        show((const uint8_t *)acc, acc_len, q, sizeof(q));
        scen_outcome(x, SO_EXPECTED, "received '%s'%s after %.1f ms", q, cut_note,
                     hs_ns_to_ms(hs_mono_ns() - x->t0));
        return STEP_OK;
    }
    show((const uint8_t *)acc, acc_len, q, sizeof(q));
    scen_outcome(x, SO_OTHER_REPLY, "%u lines without %s: '%s'", SC_TEXT_REPLY_LINES, want, q);
    return STEP_MISMATCH;
}

/* TLS alert records `expect close` takes before the close on a connection still in clear.
 * A server that read garbage where a ClientHello belonged sends one (perhaps a warning before
 * a fatal); a longer run of them is not a close. */
#define CLEAR_ALERTS_CAP 4u

typedef struct clear_alerts {
    unsigned n;
    char text[CLEAR_ALERTS_CAP * 64]; /* "fatal 10 (unexpected_message), …" */
} clear_alerts_t;

/* Takes every complete alert record at the front of rx, each recorded as its own chunk, and
 * notes it (the run's alert is the last one: the one the close followed).  False when rx
 * holds anything else, or more alerts than the cap; true when it is empty or holds the start
 * of an alert record still arriving. */
static bool take_clear_alerts(sc_ctx_t *x, sc_conn_rt_t *c, clear_alerts_t *a)
{
    for (;;) {
        uint8_t level = 0, desc = 0;
        size_t n = 0;
        wire_status_t ws = tlsrec_alert_frame(span_of(c->ch.rx, c->ch.rx_len), &level, &desc, &n);
        if (ws == WIRE_TRUNCATED)
            return true;
        if (ws != WIRE_OK || a->n >= CLEAR_ALERTS_CAP)
            return false;
        link_chan_take_raw(&c->ch, n);
        x->run->alert_level = level;
        x->run->alert_desc = desc;
        size_t used = strlen(a->text);
        snprintf(a->text + used, sizeof(a->text) - used, "%s%s %u (%s)", a->n ? ", " : "",
                 level == 1 ? "warning" : "fatal", desc,
                 tls_alert_name(desc) ? tls_alert_name(desc) : "unknown");
        a->n++;
    }
}

/* Bytes other than alert records arrived where a close was wanted: the evidence, with the
 * alerts that came first and how the connection ended (then: "" while it is still open). */
static sc_step_rc_t not_a_close(sc_ctx_t *x, sc_conn_rt_t *c, const char *what,
                                const clear_alerts_t *a, const char *then)
{
    if (!a->n && !then[0])
        return scen_text_unexpected(x, c, what);
    char q[SHOW_CAP];
    size_t n = c->ch.rx_len;
    show(c->ch.rx, n, q, sizeof(q));
    link_chan_take_raw(&c->ch, n);
    scen_outcome(x, SO_OTHER_REPLY, "received %zu bytes '%s' instead of %s%s%s%s%s", n, q, what,
                 a->n ? ", after the TLS alert record(s) in clear: " : "", a->n ? a->text : "",
                 then[0] ? "; " : "", then);
    return STEP_MISMATCH;
}

sc_step_rc_t scen_text_expect_close(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    bool silence = st->kind == ST_EXPECT_SILENCE;
    int64_t ms = silence ? st->within_ms : scen_within(x, st);
    hs_ns_t deadline = hs_deadline_in_ms(ms);
    const char *what = silence ? "silence" : "a close";
    /* Still in clear, a close may be told in TLS: after STARTTLS was granted, a server that
     * reads garbage instead of a ClientHello ends the handshake with an alert record, then
     * closes — exactly the close wanted.  Silence admits no bytes at all; inside TLS the TLS
     * library reads alerts itself. */
    bool alerts_ok = !silence && c->ch.tls.plain;
    clear_alerts_t al = { 0 };
    for (;;) {
        if (c->ch.rx_len && !(alerts_ok && take_clear_alerts(x, c, &al)))
            return not_a_close(x, c, what, &al, "");
        link_io_t io = link_chan_fill(&c->ch, deadline);
        if (io == LINK_OK)
            continue;
        if (silence && io == LINK_TIMEOUT) {
            scen_outcome(x, SO_SILENCE, "nothing received for %lld ms, the connection open",
                         (long long)ms);
            return STEP_OK;
        }
        bool closed = io == LINK_CLOSED || io == LINK_RESET;
        if (alerts_ok && closed && c->ch.rx_len) { /* the start of an alert record, no more */
            scen_note_close(x, c, io == LINK_RESET);
            char then[80];
            snprintf(then, sizeof(then), "then the target closed the connection (%s) %.1f ms "
                     "after it opened", io == LINK_RESET ? "RST" : "FIN", x->run->close_ms);
            return not_a_close(x, c, "a close (an incomplete TLS record)", &al, then);
        }
        sc_step_rc_t rc = text_io(x, c, io, ms, what);
        if (silence || !closed)
            return rc;
        if (al.n)
            scen_outcome(x, SO_CLOSE, "TLS alert record%s in clear: %s, then the target closed "
                         "the connection (%s) %.1f ms after it opened", al.n > 1 ? "s" : "",
                         al.text, io == LINK_RESET ? "RST" : "FIN", x->run->close_ms);
        if ((st->close_kind == 1 && io != LINK_CLOSED) || (st->close_kind == 2 && io != LINK_RESET))
            return STEP_MISMATCH; /* closed, but not the way the file says */
        return STEP_OK;
    }
}

const char *scen_text_inj_class_slug(int cls)
{
    static const char *const slug[] = { "", "discarded", "dropped", "answered-in-clear",
                                        "answered-inside-tls" };
    return cls >= 1 && cls <= 4 ? slug[cls] : "?";
}

static const char *inj_class_name(int cls)
{
    switch (cls) {
    case 1: return "discarded";
    case 2: return "connection dropped before or during the TLS handshake";
    case 3: return "answered in clear before the handshake";
    case 4: return "answered inside TLS";
    }
    return "?";
}

/* Our TLS server certificate for a connection the target opened in clear (responder role):
 * issued now by our identity, like accept's. */
static int server_cert(sc_ctx_t *x, sc_conn_rt_t *c)
{
    if (!x->env->identity)
        return -1;
    if (c->server_cert.buf && bld_ok(&c->server_cert))
        return 0;
    int64_t now = hs_wall_s();
    bld_init(&c->server_cert, 4096);
    if (identity_build_link_cert(x->env->identity, now - 86400, now + 365 * 86400,
                                 &c->server_cert) != 0 || !bld_ok(&c->server_cert))
        return -1;
    return 0;
}

sc_step_rc_t scen_text_starttls(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    link_chan_t *ch = &c->ch;
    char clear_q[SHOW_CAP] = "", tls_q[SHOW_CAP] = "";
    size_t clear = 0;
    c->starttls_done = true;
    c->inj_class = 0;
    c->inj_evidence[0] = 0;
    if (!ch->tls.plain || ch->tls.fd < 0) {
        scen_outcome(x, SO_HARNESS, "starttls: the connection is not open in clear");
        return STEP_ERROR;
    }
    /* 1. Anything in clear after the reply that granted STARTTLS: an injected command that
     *    was answered before the handshake (class 3).  settle= waits for it. */
    hs_ns_t settle = hs_deadline_in_ms(st->settle_ms);
    link_io_t io = LINK_OK;
    while (io == LINK_OK && st->settle_ms > 0 && hs_ms_left(settle) > 0)
        io = link_chan_fill(ch, settle);
    clear = ch->rx_len;
    if (clear) {
        show(ch->rx, clear, clear_q, sizeof(clear_q));
        link_chan_take_raw(ch, clear);
    }
    if (io != LINK_OK && io != LINK_TIMEOUT) {
        /* Class 2 even when a reply in clear came first (prosody restarts the stream in clear,
         * then closes): class 3's risk is plaintext state carried into the TLS session, and
         * there will be none.  The clear reply is quoted in the evidence. */
        c->inj_class = 2;
        snprintf(c->inj_evidence, sizeof(c->inj_evidence), "the target closed (%s) before the "
                 "TLS handshake%s%s%s", link_io_str(io), clear ? "; in clear first: '" : "",
                 clear_q, clear ? "'" : "");
        size_t next = (size_t)(st - x->s->steps) + 1;
        sc_step_rc_t rc = text_io(x, c, io, st->settle_ms, "the TLS handshake");
        return next < x->s->n_steps && x->s->steps[next].kind == ST_EXPECT_INJECTION ? STEP_OK
                                                                                    : rc;
    }
    /* 2. The handshake on the same socket. */
    tls_opts_t o = scen_tls_opts(x, &st->tls);
    int up;
    if (c->accepted) {
        if (server_cert(x, c) != 0) {
            scen_outcome(x, SO_HARNESS, "cannot build the TLS server certificate");
            return STEP_ERROR;
        }
        up = tls_conn_upgrade_server(&ch->tls, &o, bld_span(&c->server_cert),
                                     x->env->identity->rsa_link);
    } else {
        up = tls_conn_upgrade(&ch->tls, &o);
    }
    if (up != 0) {
        scen_outcome(x, SO_HARNESS, "TLS set-up: %s", ch->tls.err);
        return STEP_ERROR;
    }
    c->tls = true;
    sc_step_rc_t rc = scen_handshake(x, st, c, hs_deadline_in_ms(scen_within(x, st)));
    if (!c->tls_ok) {
        c->inj_class = 2;
        /* From the connection itself: when `expect injection` follows, the handshake's
         * failure was left for it and the run's detail still describes an earlier step. */
        const tls_conn_t *t = &ch->tls;
        char why[120] = "";
        if (c->tls_status == TLS_IO_ALERT)
            snprintf(why, sizeof(why), ": alert %d (%s)", t->alert_desc,
                     tls_alert_name(t->alert_desc) ? tls_alert_name(t->alert_desc) : "unknown");
        else if (t->err[0])
            snprintf(why, sizeof(why), ": %.100s", t->err);
        snprintf(c->inj_evidence, sizeof(c->inj_evidence), "the TLS handshake failed (%s%s)%s%s%s",
                 tls_io_str(c->tls_status), why, clear ? "; in clear before it: '" : "", clear_q,
                 clear ? "'" : "");
        return rc;
    }
    /* 3. Anything the target sends inside TLS before we say a word: the answer to an
     *    injected command (class 4).  observe= bounds the wait. */
    char closed_note[80] = "";
    if (st->observe_ms > 0) {
        hs_ns_t obs = hs_deadline_in_ms(st->observe_ms);
        while ((io = link_chan_fill(ch, obs)) == LINK_OK && ch->rx_len < SHOW_CAP)
            ;
        if (io == LINK_CLOSED || io == LINK_RESET)
            snprintf(closed_note, sizeof(closed_note), "; then the target closed (%s)",
                     link_io_str(io));
    }
    size_t inside = ch->rx_len;
    if (inside) {
        show(ch->rx, inside, tls_q, sizeof(tls_q));
        link_chan_take_raw(ch, inside);
    }
    c->inj_class = inside ? 4 : clear ? 3 : 1;
    char obs_note[60] = "";
    if (st->observe_ms > 0)
        snprintf(obs_note, sizeof(obs_note), " within %lld ms", (long long)st->observe_ms);
    snprintf(c->inj_evidence, sizeof(c->inj_evidence),
             "in clear after the STARTTLS reply: %s%s%s; TLS %s; inside TLS unprompted%s: "
             "%s%s%s%s",
             clear ? "'" : "nothing", clear_q, clear ? "'" : "",
             c->tls_info.version ? c->tls_info.version : "?", obs_note,
             inside ? "'" : "nothing", tls_q, inside ? "'" : "", closed_note);
    scen_outcome(x, SO_EXPECTED, "STARTTLS: %s", c->inj_evidence);
    return STEP_OK;
}

sc_step_rc_t scen_text_expect_injection(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    if (!c->starttls_done || !c->inj_class) {
        scen_outcome(x, SO_HARNESS, "no starttls ran on this connection");
        return STEP_ERROR;
    }
    bool ok = st->accept_mask & (1u << c->inj_class);
    scen_outcome(x, ok ? SO_EXPECTED : SO_OTHER_REPLY, "injection class %d (%s): %s",
                 c->inj_class, inj_class_name(c->inj_class), c->inj_evidence);
    return ok ? STEP_OK : STEP_MISMATCH;
}

/* What the last renegotiate got.  A warning alert alone does not say whether the target then
 * keeps the connection: the step watches it for its bound. */
sc_step_rc_t scen_text_expect_reneg(sc_ctx_t *x, const sc_step_t *st)
{
    sc_conn_rt_t *c = &x->run->conns[st->conn];
    tls_conn_t *t = &c->ch.tls;
    if (!c->reneg_done) {
        scen_outcome(x, SO_HARNESS, "no renegotiate ran on this connection");
        return STEP_ERROR;
    }
    int64_t ms = scen_within(x, st);
    sc_reneg_class_t cls;
    char ev[500];
    char al[80] = "";
    if (t->alert_desc >= 0)
        snprintf(al, sizeof(al), "%s alert %d (%s)", t->alert_level == 1 ? "warning" : "fatal",
                 t->alert_desc,
                 tls_alert_name(t->alert_desc) ? tls_alert_name(t->alert_desc) : "unknown");
    switch (c->reneg_io) {
    case TLS_IO_OK: {
        tls_info_t i;
        tls_conn_info(t, &i);
        cls = RENEG_ACCEPTED;
        snprintf(ev, sizeof(ev), "the new handshake completed (%s, %s; secure renegotiation "
                 "%s)", i.version ? i.version : "?", i.cipher ? i.cipher : "?",
                 i.safe_reneg ? "yes" : "no");
        break;
    }
    case TLS_IO_ALERT:
        if (t->alert_level == 1) {
            /* Kept open?  Watch it: data is fine (recorded), a close or a fatal alert is not. */
            hs_ns_t deadline = hs_deadline_in_ms(ms);
            link_io_t io;
            while ((io = link_chan_fill(&c->ch, deadline)) == LINK_OK)
                if (c->ch.rx_len)
                    link_chan_take_raw(&c->ch, c->ch.rx_len);
            if (io == LINK_TIMEOUT) {
                cls = RENEG_REFUSED_KEPT_OPEN;
                snprintf(ev, sizeof(ev), "%s, then the connection stayed open for %lld ms", al,
                         (long long)ms);
            } else {
                cls = RENEG_REFUSED_CLOSED;
                double at = link_chan_close_ms(&c->ch);
                snprintf(ev, sizeof(ev), "%s, then %s%s", al, link_io_str(io),
                         at >= 0 ? "" : "");
                if (at >= 0)
                    snprintf(ev + strlen(ev), sizeof(ev) - strlen(ev), " %.1f ms after the "
                             "connection opened", at);
                if (io == LINK_ALERT)
                    snprintf(ev + strlen(ev), sizeof(ev) - strlen(ev), " (fatal alert %d)",
                             t->alert_desc);
            }
        } else {
            cls = RENEG_REFUSED_CLOSED;
            snprintf(ev, sizeof(ev), "%s", al);
        }
        break;
    case TLS_IO_CLOSED:
    case TLS_IO_RESET:
        cls = RENEG_REFUSED_CLOSED;
        snprintf(ev, sizeof(ev), "the target closed the connection (%s) %.1f ms after it "
                 "opened%s%s", c->reneg_io == TLS_IO_RESET ? "RST" : "FIN",
                 link_chan_close_ms(&c->ch), al[0] ? " after a " : ", no alert", al);
        break;
    case TLS_IO_TIMEOUT:
        cls = RENEG_NO_ANSWER;
        snprintf(ev, sizeof(ev), "no answer to the renegotiation within its bound");
        break;
    default:
        cls = RENEG_REFUSED_CLOSED;
        snprintf(ev, sizeof(ev), "the TLS session failed: %s", t->err);
        break;
    }
    c->reneg_class = (int)cls + 1;
    bool ok = st->accept_mask & (1u << cls);
    if (c->reneg_io == TLS_IO_ALERT || al[0]) {
        x->run->alert_level = t->alert_level;
        x->run->alert_desc = t->alert_desc;
    }
    scen_outcome(x, ok ? SO_EXPECTED : cls == RENEG_REFUSED_CLOSED ? SO_CLOSE : SO_OTHER_REPLY,
                 "renegotiation %s: %s", sc_reneg_class_name(cls), ev);
    return ok ? STEP_OK : STEP_MISMATCH;
}
