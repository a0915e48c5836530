/* scen_run.h — the scenario interpreter: runs one parsed scenario against a target and says
 * what happened (outcome) and what it means (verdict).
 *
 * Verdicts follow DESIGN.md: pass (every expectation met), fail (an expectation was not met:
 * the target deviated, the failed step and the outcome are the evidence), error (the harness
 * or the environment failed, e.g. the target is gone — never a pass), unsupported (a role the
 * engine cannot play yet).  Each expectation returns as soon as it is decided. */
#ifndef SCEN_RUN_H
#define SCEN_RUN_H

#include "crypto_identity.h"
#include "crypto_relay.h"
#include "link_auth_verify.h"
#include "link_auth.h"
#include "link_channel.h"
#include "net_tcp.h"
#include "scen_ast.h"

#include <stdarg.h>

typedef enum sc_verdict { SV_PASS, SV_FAIL, SV_ERROR, SV_UNSUPPORTED } sc_verdict_t;
const char *sc_verdict_name(sc_verdict_t v);

typedef enum sc_outcome {
    SO_EXPECTED,    /* expected reply (or the expected close / silence / alert) */
    SO_OTHER_REPLY, /* a different cell, or the right cell with other field values */
    SO_ALERT,
    SO_CLOSE,
    SO_SILENCE,
    SO_STALL, /* time ran out with a partial cell pending */
    SO_TLS_FAILURE,
    SO_HARNESS,
    SO_UNSUPPORTED,
} sc_outcome_t;
const char *sc_outcome_name(sc_outcome_t o);

#define SC_CAP_PEER_LOG 2048u

/* The responder role's listener and the target process started for it (scen_listen). */
typedef struct sc_listen_rt {
    bool active;
    int fd;
    uint16_t port;
    pid_t peer_pid; /* 0: no peer command */
    char peer_dir[400];
    char peer_log[512]; /* path of the peer command's stdout+stderr */
    sc_tls_choice_t tls;
    sc_pin_t pin; /* what {fp} gives the peer command */
    sc_cert_kind_t cert; /* the TLS certificate accepted connections present */
} sc_listen_rt_t;

typedef struct sc_env {
    net_addr_t target;
    const char *keylog; /* NULL: none */
    bool negate_last;   /* invert the last expectation (proves the check can fail) */
    bool seeded;
    uint64_t seed;
    const relay_identity_t *identity; /* NULL unless some scenario sends CERTS */
    net_addr_t listen;   /* responder role: where to listen (port 0: a fresh port each time) */
    const char *peer_cmd; /* responder role: started after `listen`, {addr} etc. substituted */
    const char *peer_dir; /* a directory per scenario is made under it for the peer command */
    char id_rsa_fp[41];  /* the identity's RSA fingerprint, as tor logs the peer's ID digest */
    char id_ed_b64[44];  /* its Ed25519 identity, unpadded base64 */
    char target_fp[41];  /* the target's RSA fingerprint (--target-fp), "" if not given: what
                          * {fp} gives a MITM's peer command under `listen pin=target` */
} sc_env_t;

#define SC_CAP_CIRCS 8u
#define SC_CAP_AUTH_SENT 4u

/* An AUTHENTICATE the engine built: what it claims each field is, for the result (the wire
 * check recomputes the computed ones from the capture). */
typedef struct sc_auth_sent {
    size_t rec; /* index of its transcript record */
    auth_claim_t claim;
} sc_auth_sent_t;

typedef struct sc_conn_rt {
    bool started; /* link_chan_init done: must be freed */
    bool tls;     /* TLS was attempted */
    bool tls_ok;
    tls_io_t tls_status;
    tls_info_t tls_info;
    link_chan_t ch;
    uint16_t sent_versions[HS_CAP_VERSIONS];
    size_t n_sent_versions;
    bool versions_sent; /* the first VERSIONS (the one the target negotiates from) went out */
    uint16_t link; /* negotiated link version, 0 before */
    int alerts_consumed;
    bool write_failed; /* the target had gone when we wrote */
    bool closed_by_us;
    size_t n_circs;
    uint32_t circ_ids[SC_CAP_CIRCS];
    uint8_t circ_keys[SC_CAP_CIRCS][20];
    relay_crypto_t circ_crypto[SC_CAP_CIRCS]; /* keyed when the CREATED_FAST arrives */
    bool relay_ok;      /* the last RELAY cell received was opened and recognised ... */
    uint8_t relay_plain[RELAY_PAYLOAD_LEN]; /* ... and this is its cleartext payload */
    bool have_create2;  /* the target sent CREATE2 (a relay extending to us) */
    uint32_t create2_circ;
    uint16_t listen_port; /* the run's listener: EXTEND2's default destination */
    auth_check_t *peer_auth; /* the initiator's AUTHENTICATE as we verified it (heap) */
    uint16_t next_circ;
    size_t n_auth_sent;
    sc_auth_sent_t auth_sent[SC_CAP_AUTH_SENT];
    bool accepted;              /* responder role: the target connected to us */
    bld_t server_cert;          /* the X.509 link certificate we presented in TLS (accepted) */
    /* Text protocols (scen_text.c). */
    bool line_cut;           /* a line over the cap was cut: the rest of it is dropped */
    bool starttls_done;      /* what the last starttls saw, for expect injection: */
    int inj_class;           /* 1 discarded, 2 dropped, 3 answered in clear, 4 inside TLS */
    char inj_evidence[800];
    bool reneg_done;         /* what the last renegotiate got, for expect renegotiation */
    tls_io_t reneg_io;
    int reneg_class;         /* sc_reneg_class_t + 1 once expect renegotiation judged (0: not) */
    bool have_peer_versions;    /* the target's first VERSIONS, before ours was sent */
    uint16_t peer_versions[HS_CAP_VERSIONS];
    size_t n_peer_versions;
    struct sc_rawtls_rt *rawtls; /* raw TLS records on a tls=none connection (scen_rawtls.h) */
    struct sc_mitm_leg *mitm_leg; /* MITM role: what the block received on this leg (heap),
                                   * handed again to the expectations after it */
} sc_conn_rt_t;

typedef struct sc_varval {
    bool set;
    uint8_t *bytes; /* the cell as it crossed the wire */
    size_t len;
    unsigned width;
} sc_varval_t;

typedef struct sc_run {
    sc_conn_rt_t conns[SC_CAP_CONNS];
    sc_listen_rt_t listen;
    sc_varval_t vars[SC_CAP_VARS];
    sc_verdict_t verdict;
    sc_outcome_t outcome;
    char detail[1600];
    char outcome_cmd[32]; /* the cell that decided, "" if none */
    bool closed;
    bool closed_rst;
    double close_ms;
    size_t pending_bytes;
    int alert_level, alert_desc; /* -1: none */
    int failed_step; /* index into steps, -1 */
    char message[2400];
    bool target_refused; /* a connect was refused: the target is gone */
    bool ever_connected;
    double total_ms, connect_ms;
    char started[32]; /* UTC ISO 8601 */
    struct sc_mitm_rt *mitm; /* MITM role: the block's events (heap, scen_mitm.h) */
    int n_rebuilds;     /* trigger circuits rebuilt after tor's idle-circuit reaper */
    char rebuilt[900];  /* why, for the result ("" if never) */
} sc_run_t;

/* Runs s.  Always fills run (free it with scen_run_free, after reading the evidence). */
void scen_run(const scenario_t *s, const sc_env_t *env, sc_run_t *run);
void scen_run_free(sc_run_t *run);
/* True if s sends CERTS or AUTHENTICATE, or plays the TLS server (the run then needs
 * env->identity). */
bool scen_needs_identity(const scenario_t *s);
/* True if s sends EXTEND2: it makes a relay connect to the harness's identity. */
bool scen_makes_relay_extend(const scenario_t *s);
/* Now, UTC, as 2026-11-21T08:33:45Z (a result's "started"). */
void scen_utc_now(char *buf, size_t n);

/* Internal, shared by the interpreter's files. */
typedef struct sc_ctx {
    const scenario_t *s;
    const sc_env_t *env;
    sc_run_t *run;
    hs_ns_t t0;
} sc_ctx_t;

typedef enum sc_step_rc { STEP_OK, STEP_MISMATCH, STEP_ERROR } sc_step_rc_t;
void scen_outcome(sc_ctx_t *x, sc_outcome_t o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void scen_voutcome(sc_ctx_t *x, sc_outcome_t o, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* A responder (or the MITM's client leg) has both VERSIONS cells, theirs and ours: the link
 * version is fixed and both directions switch framing now (tor-link.md §1.1). */
void scen_settle_link(sc_conn_rt_t *c);
/* The step's bound: its `within`, else the header's timeout. */
int64_t scen_within(const sc_ctx_t *x, const sc_step_t *st);
/* The target closed c (FIN, or RST): the run's close evidence (when, what was pending). */
void scen_note_close(sc_ctx_t *x, const sc_conn_rt_t *c, bool rst);
tls_opts_t scen_tls_opts(const sc_ctx_t *x, const sc_tls_choice_t *t);
/* The TLS handshake of a connection (connect, accept, starttls) and what its failure means. */
sc_step_rc_t scen_handshake(sc_ctx_t *x, const sc_step_t *st, sc_conn_rt_t *c,
                            hs_ns_t deadline);

#endif
