/* link_channel.c — see link_channel.h. */
#include "link_channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINK_CUR_CAP (7u + HS_CAP_CELL_BODY)

const char *link_io_str(link_io_t st)
{
    switch (st) {
    case LINK_OK: return "ok";
    case LINK_TIMEOUT: return "timeout";
    case LINK_CLOSED: return "closed (FIN)";
    case LINK_RESET: return "closed (RST)";
    case LINK_ALERT: return "TLS alert";
    case LINK_TLS_ERROR: return "TLS error";
    case LINK_HARNESS: return "harness error";
    }
    return "?";
}

static link_io_t from_tls(link_chan_t *ch, tls_io_t st)
{
    switch (st) {
    case TLS_IO_OK: return LINK_OK;
    case TLS_IO_TIMEOUT: return LINK_TIMEOUT;
    case TLS_IO_CLOSED: return LINK_CLOSED;
    case TLS_IO_RESET: return LINK_RESET;
    case TLS_IO_ALERT: return LINK_ALERT;
    case TLS_IO_ERROR: return LINK_TLS_ERROR;
    case TLS_IO_HARNESS: break;
    }
    snprintf(ch->err, sizeof(ch->err), "%s", ch->tls.err);
    return LINK_HARNESS;
}

int link_chan_init(link_chan_t *ch)
{
    memset(ch, 0, sizeof(*ch));
    ch->tls.fd = -1;
    ch->t0 = hs_mono_ns();
    ch->rx = malloc(HS_CAP_RX_BUFFER);
    ch->cur = malloc(LINK_CUR_CAP);
    ch->recs = calloc(HS_CAP_TRANSCRIPT_CELLS, sizeof(*ch->recs));
    bld_init(&ch->sent_log, HS_CAP_TRANSCRIPT);
    bld_init(&ch->recv_log, HS_CAP_TRANSCRIPT);
    if (!ch->rx || !ch->cur || !ch->recs)
        return -1;
    return 0;
}

void link_chan_free(link_chan_t *ch, hs_ns_t close_deadline)
{
    tls_conn_close(&ch->tls, close_deadline);
    free(ch->rx);
    free(ch->cur);
    free(ch->recs);
    bld_free(&ch->sent_log);
    bld_free(&ch->recv_log);
    memset(ch, 0, sizeof(*ch));
    ch->tls.fd = -1;
}

/* Records a cell or raw chunk in the transcript.  A transcript that outgrows its cap stops
 * recording (flagged), it never truncates silently. */
static void link_record(link_chan_t *ch, bool sent, const cell_t *c, span_t bytes)
{
    bld_t *log = sent ? &ch->sent_log : &ch->recv_log;
    if (ch->n_recs == HS_CAP_TRANSCRIPT_CELLS || !bld_ok(log)) {
        ch->log_overflow = true;
        return;
    }
    size_t off = log->len;
    bld_bytes(log, bytes.p, bytes.len);
    if (!bld_ok(log)) {
        ch->log_overflow = true;
        return;
    }
    link_rec_t *r = &ch->recs[ch->n_recs++];
    r->sent = sent;
    r->off = off;
    r->len = bytes.len;
    r->t = hs_mono_ns() - ch->t0;
    if (c) {
        r->cmd = c->cmd;
        r->var = c->var;
        r->circ_width = c->circ_width;
        r->circ_id = c->circ_id;
    } else {
        r->cmd = 0xff; /* raw bytes, not framed by us */
        r->circ_width = 0;
    }
}

/* Writes, then records what actually went out: all of it, or — when the target had gone
 * mid-write — the part TLS accepted, as a raw chunk.  (Recording before writing listed cells
 * the wire never carried.) */
static link_io_t send_recorded(link_chan_t *ch, span_t bytes, const cell_t *meta,
                               hs_ns_t deadline)
{
    link_io_t st = from_tls(ch, tls_conn_write(&ch->tls, bytes.p, bytes.len, deadline));
    size_t done = ch->tls.last_write_done;
    if (st == LINK_OK)
        link_record(ch, true, meta, bytes);
    else if (done)
        link_record(ch, true, NULL, span_of(bytes.p, done < bytes.len ? done : bytes.len));
    return st;
}

link_io_t link_chan_send(link_chan_t *ch, uint32_t circ_id, uint8_t cmd, span_t body,
                         hs_ns_t deadline)
{
    bld_t b;
    bld_init(&b, LINK_CUR_CAP);
    unsigned w = cell_circ_width(ch->tx_version);
    bool var = cell_cmd_is_var(ch->tx_version, cmd);
    if (var)
        cell_build_var(&b, w, circ_id, cmd, body);
    else
        cell_build_fixed(&b, w, circ_id, cmd, body);
    if (!bld_ok(&b)) {
        snprintf(ch->err, sizeof(ch->err), "cannot build %s cell: %s", cell_cmd_name(cmd), b.why);
        bld_free(&b);
        return LINK_HARNESS;
    }
    cell_t c = { .circ_id = circ_id, .cmd = cmd, .var = var, .circ_width = (uint8_t)w };
    link_io_t st = send_recorded(ch, bld_span(&b), &c, deadline);
    bld_free(&b);
    return st;
}

link_io_t link_chan_send_encoded(link_chan_t *ch, span_t bytes, const cell_t *meta,
                                 hs_ns_t deadline)
{
    return send_recorded(ch, bytes, meta, deadline);
}

link_io_t link_chan_send_raw(link_chan_t *ch, span_t bytes, hs_ns_t deadline)
{
    return send_recorded(ch, bytes, NULL, deadline);
}

link_io_t link_chan_recv(link_chan_t *ch, cell_t *out, hs_ns_t deadline)
{
    for (;;) {
        size_t used = 0;
        cell_t c;
        wire_status_t ws = cell_frame(span_of(ch->rx, ch->rx_len), ch->rx_version, &c, &used);
        if (ws == WIRE_OK) {
            memcpy(ch->cur, ch->rx, used);
            memmove(ch->rx, ch->rx + used, ch->rx_len - used);
            ch->rx_len -= used;
            /* Re-point the body into our stable copy. */
            c.body.p = ch->cur + (used - c.body.len);
            link_record(ch, false, &c, span_of(ch->cur, used));
            *out = c;
            return LINK_OK;
        }
        link_io_t st = link_chan_fill(ch, deadline);
        if (st != LINK_OK)
            return st;
    }
}

link_io_t link_chan_fill(link_chan_t *ch, hs_ns_t deadline)
{
    if (ch->rx_len == HS_CAP_RX_BUFFER) {
        snprintf(ch->err, sizeof(ch->err), "receive buffer cap (%u bytes) reached",
                 HS_CAP_RX_BUFFER);
        return LINK_HARNESS;
    }
    size_t got = 0;
    link_io_t st = from_tls(ch, tls_conn_read(&ch->tls, ch->rx + ch->rx_len,
                                              HS_CAP_RX_BUFFER - ch->rx_len, &got, deadline));
    if (st == LINK_OK)
        ch->rx_len += got;
    return st;
}

void link_chan_take_raw(link_chan_t *ch, size_t n)
{
    if (n > ch->rx_len)
        n = ch->rx_len;
    link_record(ch, false, NULL, span_of(ch->rx, n));
    memmove(ch->rx, ch->rx + n, ch->rx_len - n);
    ch->rx_len -= n;
}

span_t link_chan_take(link_chan_t *ch, size_t n)
{
    if (n > ch->rx_len)
        n = ch->rx_len;
    if (n > LINK_CUR_CAP)
        n = LINK_CUR_CAP;
    memcpy(ch->cur, ch->rx, n);
    link_chan_take_raw(ch, n);
    return span_of(ch->cur, n);
}

double link_chan_close_ms(const link_chan_t *ch)
{
    if (!ch->tls.closed_at)
        return -1;
    return hs_ns_to_ms(ch->tls.closed_at - ch->t0);
}
