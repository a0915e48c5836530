/* link_channel.h — a Tor channel: cells over one TLS connection, with the transcript.
 *
 * Framing state is per direction because the two sides switch circ-id width at different
 * moments (tor-link.md §1.1): we frame what we receive with rx_version and build what we send
 * with tx_version; both are 0 ("not negotiated": 2-byte circ ids) until the role's state
 * machine sets them.  Every cell that crosses, either way, is recorded with its exact wire
 * bytes and a timestamp: that is the evidence a verdict cites and what SLOG/CLOG are over. */
#ifndef LINK_CHANNEL_H
#define LINK_CHANNEL_H

#include "tls_conn.h"
#include "wire_cell.h"

typedef struct link_rec {
    bool sent;
    uint8_t cmd;
    bool var;
    uint8_t circ_width;
    uint32_t circ_id;
    size_t off; /* into the direction's byte log */
    size_t len; /* wire bytes */
    hs_ns_t t;  /* since channel start */
} link_rec_t;

typedef enum link_io {
    LINK_OK = 0,
    LINK_TIMEOUT,
    LINK_CLOSED, /* FIN / close_notify */
    LINK_RESET,  /* RST */
    LINK_ALERT,
    LINK_TLS_ERROR,
    LINK_HARNESS,
} link_io_t;

const char *link_io_str(link_io_t st);

typedef struct link_chan {
    tls_conn_t tls;
    hs_ns_t t0;
    uint16_t rx_version, tx_version;
    uint8_t *rx; /* HS_CAP_RX_BUFFER bytes of undelivered plaintext */
    size_t rx_len;
    uint8_t *cur; /* the cell last delivered by link_chan_recv */
    bld_t sent_log, recv_log; /* every byte above TLS, per direction (capped) */
    link_rec_t *recs;
    size_t n_recs;
    bool log_overflow;
    char err[256];
} link_chan_t;

/* Allocates buffers; the TLS session is set up separately on ch->tls. */
int link_chan_init(link_chan_t *ch) HS_MUST_CHECK;
void link_chan_free(link_chan_t *ch, hs_ns_t close_deadline);

/* Sends one cell built at tx_version (VERSIONS at tx_version 0 gets the 2-byte header). */
link_io_t link_chan_send(link_chan_t *ch, uint32_t circ_id, uint8_t cmd, span_t body,
                         hs_ns_t deadline) HS_MUST_CHECK;
/* Sends bytes the caller encoded (possibly mutated), recorded as the cell meta describes. */
link_io_t link_chan_send_encoded(link_chan_t *ch, span_t bytes, const cell_t *meta,
                                 hs_ns_t deadline) HS_MUST_CHECK;
/* Sends bytes as they are (malformed cells, garbage); recorded as one raw record. */
link_io_t link_chan_send_raw(link_chan_t *ch, span_t bytes, hs_ns_t deadline) HS_MUST_CHECK;
/* Receives the next cell, framed at rx_version.  out->body stays valid until the next call.
 * On LINK_CLOSED/LINK_RESET, ch->rx_len says how many bytes of an incomplete cell were
 * pending (a target that closed mid-cell). */
link_io_t link_chan_recv(link_chan_t *ch, cell_t *out, hs_ns_t deadline) HS_MUST_CHECK;

/* Text protocols and raw TLS records read bytes, not cells: link_chan_fill appends what
 * arrives (≥ 1 byte, or why nothing did) to rx; link_chan_take_raw removes the first n bytes
 * of rx and records them as one received raw chunk (a line, a reply, a record). */
link_io_t link_chan_fill(link_chan_t *ch, hs_ns_t deadline) HS_MUST_CHECK;
void link_chan_take_raw(link_chan_t *ch, size_t n);
/* The same, for raw TLS records (scen_rawtls): the n bytes also move to cur (stable until the
 * next recv/take) and are returned; at most LINK_CUR_CAP of them. */
span_t link_chan_take(link_chan_t *ch, size_t n);

/* Milliseconds between channel start and the target's close, or -1 if it has not closed. */
double link_chan_close_ms(const link_chan_t *ch);

#endif
