/* scen_mitm.c — see scen_mitm.h.
 *
 * One loop, no threads: each pass drains whatever cells both legs already have (a read with a
 * deadline of "now" returns at once), relays them, and only when neither had anything waits in
 * poll() on both sockets until the block's bound.  GnuTLS never holds decrypted data back at
 * that point (tls_conn_read drains gnutls_record_check_pending before it reports a timeout),
 * so a readable socket is the only thing worth waking up for. */
#include "scen_mitm.h"

#include "hs_clock.h"
#include "scen_build.h"
#include "wire_certs.h"
#include "wire_versions.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the block received on one leg, kept for the expectations that follow it. */
typedef struct sc_mitm_cell {
    size_t off, len;
    uint16_t link; /* the link version the cell was framed at */
} sc_mitm_cell_t;

struct sc_mitm_leg {
    bld_t bytes;
    sc_mitm_cell_t cells[SC_CAP_MITM_CELLS];
    size_t n, next; /* kept / already handed out */
    bool overflow;  /* more arrived than the caps keep: the expectations then read live */
    bool versions_out; /* the first VERSIONS the MITM wrote on this leg is accounted for */
};

const char *sc_mitm_action_name(sc_mitm_action_t a)
{
    switch (a) {
    case MA_RELAYED: return "relayed";
    case MA_DROPPED: return "dropped";
    case MA_REWRITTEN: return "rewritten";
    case MA_MUTATED: return "mutated";
    case MA_UNDELIVERED: return "undelivered";
    }
    return "?";
}

static int harness_error(sc_ctx_t *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int harness_error(sc_ctx_t *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    scen_voutcome(x, SO_HARNESS, fmt, ap);
    va_end(ap);
    return 2;
}

/* ---------------------------------------------------------------------------------------- */
/* Link version per leg.  Each leg negotiates on its own: the server leg from the VERSIONS we
 * wrote to it and the one it answered, the client leg from the one it sent us and the one we
 * wrote back.  The framing switches exactly when the target's does (tor-link.md §1.1);
 * scen_settle_link decides it. */

/* The first VERSIONS received on a leg: the target's offer. */
static void note_received(sc_conn_rt_t *c, const cell_t *cell)
{
    versions_cell_t v;
    if (cell->cmd != CELL_VERSIONS || c->link || c->have_peer_versions ||
        versions_parse(cell->body, &v) != WIRE_OK)
        return;
    c->have_peer_versions = true;
    c->n_peer_versions = v.n;
    memcpy(c->peer_versions, v.v, v.n * sizeof(v.v[0]));
    scen_settle_link(c);
}

/* The first VERSIONS written on a leg, read back from the bytes that went out (a hook may
 * have rewritten or poked it): our offer on that leg. */
static void note_written(sc_conn_rt_t *c, struct sc_mitm_leg *leg, span_t bytes)
{
    cell_t cell;
    size_t used;
    versions_cell_t v;
    if (leg->versions_out || c->link || cell_frame(bytes, 0, &cell, &used) != WIRE_OK ||
        cell.cmd != CELL_VERSIONS)
        return;
    leg->versions_out = true;
    if (versions_parse(cell.body, &v) != WIRE_OK)
        return; /* an odd-length offer negotiates nothing: the target closes */
    memcpy(c->sent_versions, v.v, v.n * sizeof(v.v[0]));
    c->n_sent_versions = v.n;
    c->versions_sent = true;
    scen_settle_link(c);
}

/* ---------------------------------------------------------------------------------------- */
/* Hooks. */

static bool hook_has_cert_ops(const sc_hook_t *h)
{
    for (size_t i = 0; i < h->n_muts; i++)
        if (sc_mut_is_cert_op(h->muts[i].kind))
            return true;
    return false;
}

/* The relayed CERTS cell in *cell with the hook's certificate-list operators applied. */
static int mutate_relayed_certs(const sc_hook_t *h, const cell_t *in, unsigned width,
                                bld_t *cell, char *err, size_t errlen)
{
    for (size_t i = 0; i < h->n_muts; i++)
        if (h->muts[i].kind == M_CERT_EDIT) {
            snprintf(err, errlen, "cert-edit re-signs a certificate the harness issues; a "
                     "relayed CERTS cell holds the target's (give the hook fields to build ours)");
            return -1;
        }
    certs_cell_t cc;
    if (certs_parse(in->body, &cc) != WIRE_OK) {
        snprintf(err, errlen, "the relayed CERTS cell does not parse: its list cannot be "
                 "mutated");
        return -1;
    }
    sc_cert_item_t items[HS_CAP_CERTS_ENTRIES];
    size_t ni = 0;
    for (; ni < cc.n; ni++) {
        items[ni].type = cc.e[ni].type;
        bld_init(&items[ni].b, cc.e[ni].body.len + 1);
        bld_bytes(&items[ni].b, cc.e[ni].body.p, cc.e[ni].body.len);
    }
    int rc = scen_certs_mutate(h->muts, h->n_muts, items, &ni, err, errlen);
    if (rc == 0) {
        certs_entry_t e[HS_CAP_CERTS_ENTRIES];
        for (size_t i = 0; i < ni; i++)
            e[i] = (certs_entry_t){ .type = items[i].type, .body = bld_span(&items[i].b) };
        bld_t body;
        bld_init(&body, HS_CAP_CELL_BODY);
        certs_build(&body, e, ni);
        cell->len = 0;
        cell_build_var(cell, width, in->circ_id, CELL_CERTS, bld_span(&body));
        if (!bld_ok(&body) || !bld_ok(cell)) {
            snprintf(err, errlen, "the mutated CERTS cell is too large");
            rc = -1;
        }
        bld_free(&body);
    }
    for (size_t i = 0; i < ni; i++)
        bld_free(&items[i].b);
    return rc;
}

/* What goes to dst for a cell received from the other leg: *out (initialised here), *meta
 * for the transcript and the action taken.  -1 with err set: a hook asked for something this
 * cell cannot give (a harness error: the file is wrong for this target). */
static int apply_hooks(sc_ctx_t *x, const sc_step_t *st, bool to_server, const cell_t *in,
                       sc_conn_rt_t *dst, sc_step_t *scratch, bld_t *out, cell_t *meta,
                       sc_mitm_event_t *ev, char *err, size_t errlen)
{
    unsigned width = cell_circ_width(dst->ch.tx_version);
    uint32_t circ = in->circ_id;
    if (width == 2)
        circ &= 0xffffu; /* a link-4+ circ id cannot cross onto a link-3 leg whole */
    bld_init(out, 7u + HS_CAP_CELL_BODY + 4096u);
    if (in->var)
        cell_build_var(out, width, circ, in->cmd, in->body);
    else
        cell_build_fixed(out, width, circ, in->cmd, in->body);
    *meta = (cell_t){ .circ_id = circ, .cmd = in->cmd, .var = in->var,
                      .circ_width = (uint8_t)width };
    ev->action = MA_RELAYED;
    ev->hook = -1;
    for (size_t k = 0; k < st->n_hooks; k++) {
        const sc_hook_t *h = &st->hooks[k];
        if (h->to_server != to_server || h->cmd != in->cmd)
            continue;
        if (ev->hook < 0)
            ev->hook = (int)k;
        if (h->drop) {
            ev->action = MA_DROPPED;
            return 0;
        }
        if (h->n_fields) {
            /* A fresh cell from the hook's fields, built for the destination leg exactly as
             * a `send` step there would build it (its mutations included). */
            memset(scratch, 0, sizeof(*scratch));
            scratch->kind = ST_SEND;
            scratch->cmd = h->cmd;
            scratch->n_fields = h->n_fields;
            memcpy(scratch->fields, h->fields, h->n_fields * sizeof(h->fields[0]));
            scratch->n_muts = h->n_muts;
            memcpy(scratch->muts, h->muts, h->n_muts * sizeof(h->muts[0]));
            scratch->as_var = scratch->use_var = -1;
            bld_free(out);
            if (scen_build_send(scratch, x->env, dst, out, meta, err, errlen) != 0)
                return -1;
            ev->action = MA_REWRITTEN;
            continue;
        }
        if (hook_has_cert_ops(h) &&
            mutate_relayed_certs(h, in, width, out, err, errlen) != 0)
            return -1;
        if (scen_mutate_bytes(h->muts, h->n_muts, width, out, err, errlen) != 0)
            return -1;
        if (ev->action == MA_RELAYED)
            ev->action = MA_MUTATED;
    }
    if (!bld_ok(out)) {
        snprintf(err, errlen, "cannot encode the %s cell for the other leg",
                 cell_cmd_name(in->cmd));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */

static void keep_cell(struct sc_mitm_leg *leg, span_t bytes, uint16_t link)
{
    if (leg->overflow || leg->n == SC_CAP_MITM_CELLS ||
        leg->bytes.len + bytes.len > SC_CAP_MITM_BYTES) {
        leg->overflow = true;
        return;
    }
    size_t off = leg->bytes.len;
    bld_bytes(&leg->bytes, bytes.p, bytes.len);
    if (!bld_ok(&leg->bytes)) {
        leg->overflow = true;
        return;
    }
    leg->cells[leg->n++] = (sc_mitm_cell_t){ .off = off, .len = bytes.len, .link = link };
}

static void add_event(sc_mitm_rt_t *m, const sc_mitm_event_t *ev)
{
    if (m->n_events == SC_CAP_MITM_EVENTS) {
        m->n_dropped_events++;
        return;
    }
    m->ev[m->n_events++] = *ev;
}

static bool leg_ended(link_io_t io)
{
    return io == LINK_CLOSED || io == LINK_RESET || io == LINK_ALERT || io == LINK_TLS_ERROR;
}

/* One cell received on `from`: keep it, apply the hooks, write it to `to`. */
static int relay_one(sc_ctx_t *x, const sc_step_t *st, hs_ns_t t0, int from_i, int to_i,
                     const cell_t *cell, sc_step_t *scratch, hs_ns_t deadline)
{
    sc_conn_rt_t *from = &x->run->conns[from_i], *to = &x->run->conns[to_i];
    sc_mitm_rt_t *m = x->run->mitm;
    bool to_server = from_i == st->mitm_client;
    keep_cell(from->mitm_leg, span_of(from->ch.cur, cell->wire_len), from->ch.rx_version);
    note_received(from, cell);
    sc_mitm_event_t ev = { .t_ms = hs_ns_to_ms(hs_mono_ns() - t0), .to_server = to_server,
                           .cmd = cell->cmd, .in_len = cell->wire_len };
    bld_t out;
    cell_t meta;
    char err[240];
    if (apply_hooks(x, st, to_server, cell, to, scratch, &out, &meta, &ev, err,
                    sizeof(err)) != 0) {
        bld_free(&out);
        return harness_error(x, "mitm hook on %s %s: %s", to_server ? "to-server" : "to-client",
                             cell_cmd_name(cell->cmd), err);
    }
    if (ev.action != MA_DROPPED) {
        ev.out_len = out.len;
        link_io_t io = to->write_failed ? LINK_CLOSED
                                        : link_chan_send_encoded(&to->ch, bld_span(&out), &meta,
                                                                 deadline);
        if (io == LINK_HARNESS) {
            bld_free(&out);
            return harness_error(x, "mitm: writing to the %s leg: %s",
                                 x->s->conns[to_i], to->ch.err);
        }
        if (io != LINK_OK) {
            /* That target has gone; its own read reports how, and decides the block. */
            to->write_failed = true;
            ev.action = MA_UNDELIVERED;
        } else {
            note_written(to, to->mitm_leg, bld_span(&out));
        }
    }
    bld_free(&out);
    add_event(m, &ev);
    return 0;
}

static void summarise(sc_ctx_t *x, const sc_step_t *st)
{
    sc_mitm_rt_t *m = x->run->mitm;
    size_t n[2] = { 0, 0 }, altered = 0;
    for (size_t i = 0; i < m->n_events; i++) {
        n[m->ev[i].to_server]++;
        altered += m->ev[i].action != MA_RELAYED;
    }
    char end[300];
    if (m->ended_leg >= 0) {
        const sc_conn_rt_t *c = &x->run->conns[m->ended_leg];
        int other = m->ended_leg == st->mitm_client ? st->mitm_server : st->mitm_client;
        snprintf(end, sizeof(end), "the %s leg's target ended it first (%s) %.1f ms into the "
                 "block, %.1f ms after that leg opened; the %s leg was still open",
                 x->s->conns[m->ended_leg], link_io_str(m->end_io), m->end_ms,
                 link_chan_close_ms(&c->ch), x->s->conns[other]);
    } else {
        snprintf(end, sizeof(end), "both legs were still open when the block's bound (%.0f "
                 "ms) passed", m->block_ms);
    }
    bool overflow = x->run->conns[st->mitm_client].mitm_leg->overflow ||
                    x->run->conns[st->mitm_server].mitm_leg->overflow;
    snprintf(m->summary, sizeof(m->summary), "mitm: %zu cells client→server, %zu "
             "server→client, %zu altered by hooks; %s%s", n[1], n[0], altered, end,
             overflow ? " (more cells than the block keeps for the expectations after it)"
                      : "");
}

int scen_mitm_run(sc_ctx_t *x, const sc_step_t *st)
{
    sc_run_t *r = x->run;
    int legs[2] = { st->mitm_client, st->mitm_server };
    for (int i = 0; i < 2; i++) {
        sc_conn_rt_t *c = &r->conns[legs[i]];
        if (!c->started || (c->tls && !c->tls_ok))
            return harness_error(x, "mitm: the %s leg is not open", x->s->conns[legs[i]]);
    }
    if (r->mitm)
        return harness_error(x, "mitm: one block per scenario");
    r->mitm = calloc(1, sizeof(*r->mitm));
    sc_step_t *scratch = calloc(1, sizeof(*scratch));
    for (int i = 0; i < 2 && r->mitm; i++) {
        struct sc_mitm_leg *leg = calloc(1, sizeof(*leg));
        if (!leg)
            break;
        bld_init(&leg->bytes, SC_CAP_MITM_BYTES);
        r->conns[legs[i]].mitm_leg = leg;
    }
    if (!r->mitm || !scratch || !r->conns[legs[0]].mitm_leg || !r->conns[legs[1]].mitm_leg) {
        free(scratch);
        return harness_error(x, "out of memory");
    }
    sc_mitm_rt_t *m = r->mitm;
    m->ended_leg = -1;
    hs_ns_t t0 = hs_mono_ns();
    hs_ns_t deadline = hs_deadline_in_ms(st->within_ms > 0 ? st->within_ms : x->s->timeout_ms);
    int rc = 0;
    while (rc == 0 && m->ended_leg < 0) {
        bool moved = false;
        for (int i = 0; i < 2 && rc == 0 && m->ended_leg < 0; i++) {
            sc_conn_rt_t *c = &r->conns[legs[i]];
            cell_t cell;
            link_io_t io = link_chan_recv(&c->ch, &cell, hs_mono_ns());
            if (io == LINK_OK) {
                moved = true;
                rc = relay_one(x, st, t0, legs[i], legs[1 - i], &cell, scratch, deadline);
            } else if (io == LINK_HARNESS) {
                rc = harness_error(x, "mitm: reading the %s leg: %s", x->s->conns[legs[i]],
                                   c->ch.err);
            } else if (leg_ended(io)) {
                m->ended_leg = legs[i];
                m->end_io = io;
                m->end_ms = hs_ns_to_ms(hs_mono_ns() - t0);
            }
        }
        if (rc || m->ended_leg >= 0 || hs_ms_left(deadline) <= 0)
            break; /* checked after every pass: a target that never stops talking is bounded */
        if (moved)
            continue;
        struct pollfd p[2] = { { .fd = r->conns[legs[0]].ch.tls.fd, .events = POLLIN },
                               { .fd = r->conns[legs[1]].ch.tls.fd, .events = POLLIN } };
        if (poll(p, 2, hs_ms_left(deadline)) < 0 && errno != EINTR)
            rc = harness_error(x, "mitm: poll: %s", strerror(errno));
    }
    free(scratch);
    m->block_ms = hs_ns_to_ms(hs_mono_ns() - t0);
    if (rc == 0) {
        summarise(x, st);
        x->run->outcome = SO_EXPECTED;
        snprintf(x->run->detail, sizeof(x->run->detail), "%s", m->summary);
    }
    return rc;
}

bool scen_mitm_replay_next(sc_conn_rt_t *c, cell_t *out)
{
    struct sc_mitm_leg *leg = c->mitm_leg;
    if (!leg || leg->next == leg->n)
        return false;
    const sc_mitm_cell_t *k = &leg->cells[leg->next++];
    size_t used = 0;
    memcpy(c->ch.cur, leg->bytes.buf + k->off, k->len); /* k->len ≤ one framed cell */
    return cell_frame(span_of(c->ch.cur, k->len), k->link, out, &used) == WIRE_OK &&
           used == k->len;
}

void scen_mitm_free(sc_run_t *run)
{
    for (size_t i = 0; i < SC_CAP_CONNS; i++) {
        struct sc_mitm_leg *leg = run->conns[i].mitm_leg;
        if (leg)
            bld_free(&leg->bytes);
        free(leg);
        run->conns[i].mitm_leg = NULL;
    }
    free(run->mitm);
    run->mitm = NULL;
}
