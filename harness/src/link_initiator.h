/* link_initiator.h — the harness as a Tor link initiator (unauthenticated, like a client):
 * TLS → VERSIONS → the responder's VERSIONS, CERTS, AUTH_CHALLENGE, NETINFO → full CERTS
 * validation (link_certs_verify) → our NETINFO → CREATE_FAST answered by a correct
 * CREATED_FAST, which proves the channel is open.
 *
 * The handshake is a table of (state, cell) → handler → next state (li_rules in the .c,
 * exported for the table-walking unit test); a cell with no row in the current state is a
 * deviation "unexpected cell in state X".  Outcomes say whose fault a failure was: the
 * target's (deviated), the network's (unreachable, timeout) or ours (harness). */
#ifndef LINK_INITIATOR_H
#define LINK_INITIATOR_H

#include "link_certs_verify.h"
#include "link_channel.h"
#include "net_tcp.h"
#include "wire_auth.h"
#include "wire_netinfo.h"
#include "wire_versions.h"

#include "crypto_x509.h"

typedef enum li_state {
    LI_CONNECT,
    LI_TLS,
    LI_WAIT_VERSIONS,
    LI_WAIT_CERTS,
    LI_WAIT_AUTH_CHALLENGE,
    LI_WAIT_NETINFO,
    LI_WAIT_CREATED_FAST,
    LI_DONE,
    LI_STATE_COUNT,
} li_state_t;

const char *li_state_name(li_state_t s);

typedef enum li_verdict {
    LI_CONFORMANT,
    LI_DEVIATED,
    LI_UNREACHABLE,
    LI_TIMEOUT,
    LI_HARNESS,
} li_verdict_t;

const char *li_verdict_name(li_verdict_t v);

/* One row of the handshake table.  LI_ANY_HANDSHAKE matches every state from
 * LI_WAIT_VERSIONS to LI_WAIT_NETINFO; next == LI_SAME keeps the state. */
#define LI_ANY_HANDSHAKE ((li_state_t)100)
#define LI_SAME ((li_state_t)101)
#define LI_CMD_UNKNOWN_VAR (-2) /* any var command the engine does not know */
typedef struct li_ctx li_ctx_t;
typedef enum { LI_STEP_NEXT, LI_STEP_STOP } li_step_t;
typedef struct li_rule {
    li_state_t state;
    int cmd;
    li_step_t (*handle)(li_ctx_t *x, const cell_t *c);
    li_state_t next;
    const char *why; /* what the row means, for the table walk */
} li_rule_t;

const li_rule_t *li_table(size_t *n);
/* The row that handles cmd in state, or NULL: "out of sequence" by definition. */
const li_rule_t *li_lookup(li_state_t state, uint8_t cmd);

typedef struct li_opts {
    uint16_t versions[HS_CAP_VERSIONS];
    size_t n_versions;
    int64_t timeout_ms; /* bound of each wait: connect, TLS, every expected cell */
    tls_opts_t tls;
} li_opts_t;

#define LI_MAX_CHECKS 96
typedef struct li_check {
    const char *id;
    const char *spec;
    bool ok;
    char detail[200];
} li_check_t;

typedef struct li_result {
    li_verdict_t verdict;
    li_state_t stopped_in;
    char summary[320];

    bool expect_close; /* no version we can speak was offered: the spec requires a close */
    uint16_t link_version;
    versions_cell_t their_versions;
    bool have_their_versions;

    bool tls_done;
    tls_info_t tls;
    char tls_priority[600];
    bool have_tls_cert;
    bool tls_cert_decoded;
    x509_shape_t tls_cert;

    bool have_certs;
    certs_verdict_t certs;

    bool have_challenge;
    auth_challenge_t challenge;

    bool have_netinfo;
    netinfo_cell_t netinfo;
    int64_t netinfo_skew_s;

    bool open_attempted;
    uint32_t circ_id;
    bool created_fast;
    bool kh_ok;
    uint8_t destroy_reason;
    bool got_destroy;

    bool closed;      /* the target closed on us */
    bool closed_rst;
    double close_ms;  /* since TCP connect */
    size_t pending_bytes_at_close;
    int alert_level, alert_desc;

    li_check_t checks[LI_MAX_CHECKS];
    size_t n_checks;

    /* ms since the start of the run */
    double t_connect, t_tls, t_versions, t_certs, t_auth_challenge, t_netinfo, t_created,
        t_total;
} li_result_t;

/* Runs the whole initiator handshake against target.  The channel (transcript included) is
 * left open for the caller to inspect and must be freed with link_chan_free, whatever li_run
 * returned.  Returns 0
 * unless the harness itself failed before it could record a result (then -1). */
int li_run(const net_addr_t *target, const li_opts_t *o, link_chan_t *ch, li_result_t *r)
    HS_MUST_CHECK;

/* Exit code of the CLI for a verdict (documented in --help). */
int li_exit_code(li_verdict_t v);

#endif
