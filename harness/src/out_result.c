/* out_result.c — see out_result.h. */
#include "out_result.h"

#include "out_json.h"
#include "scen_mitm.h"
#include "scen_text.h"
#include "wire_cell.h"
#include "wire_tls_alert.h"

#include <string.h>

static void header_fields(json_out_t *j, const scenario_t *s)
{
    json_str(j, "id", s->id);
    json_str(j, "file", s->file);
    json_str(j, "title", s->title);
    json_str(j, "role", sc_role_name(s->role));
    json_str(j, "protocol", s->protocol);
    json_str(j, "spec", s->spec);
    json_str(j, "level", sc_level_name(s->level));
    json_str(j, "requirement", s->requirement);
    json_str(j, "catalogue", s->catalogue[0] ? s->catalogue : NULL);
}

/* Bytes and SHA-256 of one direction's stream above TLS, as the engine saw it. */
static void stream_evidence(json_out_t *j, const char *key, const sha256_stream_t *st)
{
    uint8_t d[HS_SHA256_LEN];
    if (sha256_stream_peek(st, d) != 0)
        return; /* no digest rather than a wrong one: the wire check reports it missing */
    json_obj_begin(j, key);
    json_int(j, "bytes", (int64_t)st->bytes);
    json_hex(j, "sha256", d, sizeof(d));
    json_obj_end(j);
}

/* What ties this connection to the capture and what the wire check holds against it. */
static void wire_claims(json_out_t *j, const tls_conn_t *t)
{
    if (t->local_port)
        json_int(j, "local_port", t->local_port);
    if (t->n_client_randoms) {
        json_arr_begin(j, "client_randoms");
        for (unsigned k = 0; k < t->n_client_randoms; k++)
            json_hex(j, NULL, t->client_randoms[k], 32);
        json_arr_end(j);
    }
    if (t->have_server_cert_sha256)
        json_hex(j, "server_cert_sha256", t->server_cert_sha256, HS_SHA256_LEN);
    json_obj_begin(j, "stream");
    stream_evidence(j, "sent", &t->tx);
    stream_evidence(j, "recv", &t->rx);
    if (t->upgraded) {
        /* STARTTLS: the head of each stream crossed in clear, before the TLS handshake. */
        json_obj_begin(j, "clear");
        json_int(j, "sent", (int64_t)t->clear_tx);
        json_int(j, "recv", (int64_t)t->clear_rx);
        json_obj_end(j);
    }
    json_obj_end(j);
}

/* The engine's claim for an AUTHENTICATE it computed: each field and where it came from. */
static void auth_claim(json_out_t *j, const sc_conn_rt_t *c, size_t rec)
{
    for (size_t a = 0; a < c->n_auth_sent; a++) {
        const sc_auth_sent_t *as = &c->auth_sent[a];
        if (as->rec != rec)
            continue;
        json_obj_begin(j, "auth");
        json_int(j, "type", as->claim.type);
        json_bool(j, "mutated", as->claim.mutated);
        json_obj_begin(j, "fields");
        for (int f = 0; f < AF_COUNT; f++) {
            if (!as->claim.len[f])
                continue;
            json_obj_begin(j, auth_field_name((auth_field_t)f));
            json_hex(j, "hex", as->claim.val[f], as->claim.len[f]);
            json_str(j, "source", auth_src_name(as->claim.src[f]));
            json_obj_end(j);
        }
        json_obj_end(j);
        json_obj_end(j);
        return;
    }
}

static void conn_evidence(json_out_t *j, const scenario_t *s, size_t i, const sc_conn_rt_t *c)
{
    json_obj_begin(j, NULL);
    json_str(j, "name", s->conns[i]);
    /* true: the target connected to us (local_port is our listener); false: we connected. */
    json_bool(j, "accepted", c->accepted);
    wire_claims(j, &c->ch.tls);
    if (c->tls_ok) {
        json_obj_begin(j, "tls");
        json_str(j, "version", c->tls_info.version ? c->tls_info.version : "?");
        json_str(j, "cipher", c->tls_info.cipher ? c->tls_info.cipher : "?");
        if (c->tls_info.kx)
            json_str(j, "kx", c->tls_info.kx);
        if (c->tls_info.group)
            json_str(j, "group", c->tls_info.group);
        json_obj_end(j);
    } else {
        json_null(j, "tls");
    }
    double close_ms = link_chan_close_ms(&c->ch);
    if (close_ms >= 0) {
        json_obj_begin(j, "close");
        json_str(j, "kind", c->ch.tls.saw_rst ? "rst" : "fin");
        json_num(j, "after_ms", close_ms);
        json_obj_end(j);
    } else {
        json_null(j, "close");
    }
    json_arr_begin(j, "cells");
    for (size_t k = 0; k < c->ch.n_recs; k++) {
        const link_rec_t *r = &c->ch.recs[k];
        const bld_t *log = r->sent ? &c->ch.sent_log : &c->ch.recv_log;
        json_obj_begin(j, NULL);
        json_str(j, "dir", r->sent ? "sent" : "recv");
        json_str(j, "cmd", r->cmd == 0xff && !r->circ_width ? "raw" : cell_cmd_name(r->cmd));
        if (r->circ_width) {
            json_int(j, "circ_id", r->circ_id);
            json_int(j, "width", r->circ_width);
        }
        json_int(j, "len", (int64_t)r->len);
        json_num(j, "t_ms", hs_ns_to_ms(r->t));
        json_hex(j, "hex", log->buf + r->off, r->len);
        if (r->sent && r->cmd == CELL_AUTHENTICATE && r->circ_width)
            auth_claim(j, c, k);
        json_obj_end(j);
    }
    json_arr_end(j);
    json_bool(j, "overflow", c->ch.log_overflow);
    /* Judgements of this connection as fields, so that readers need not parse the message. */
    if (c->inj_class) {
        json_obj_begin(j, "injection");
        json_int(j, "class", c->inj_class);
        json_str(j, "name", scen_text_inj_class_slug(c->inj_class));
        json_obj_end(j);
    }
    if (c->reneg_class)
        json_str(j, "renegotiation", sc_reneg_class_name((sc_reneg_class_t)(c->reneg_class - 1)));
    json_obj_end(j);
}

/* What the MITM block did to each cell it received (the transcripts of both legs show the
 * bytes; this says which hook turned one into the other). */
static void mitm_evidence(json_out_t *j, const scenario_t *s, const sc_mitm_rt_t *m)
{
    json_obj_begin(j, "mitm");
    json_str(j, "summary", m->summary);
    json_num(j, "block_ms", m->block_ms);
    if (m->ended_leg >= 0) {
        json_obj_begin(j, "ended");
        json_str(j, "leg", s->conns[m->ended_leg]);
        json_str(j, "how", link_io_str(m->end_io));
        json_num(j, "after_ms", m->end_ms);
        json_obj_end(j);
    } else {
        json_null(j, "ended");
    }
    json_arr_begin(j, "events");
    for (size_t i = 0; i < m->n_events; i++) {
        const sc_mitm_event_t *e = &m->ev[i];
        json_obj_begin(j, NULL);
        json_num(j, "t_ms", e->t_ms);
        json_str(j, "dir", e->to_server ? "to-server" : "to-client");
        json_str(j, "cmd", cell_cmd_name(e->cmd));
        json_str(j, "action", sc_mitm_action_name(e->action));
        if (e->hook >= 0)
            json_int(j, "hook", e->hook);
        json_int(j, "in_len", (int64_t)e->in_len);
        json_int(j, "out_len", (int64_t)e->out_len);
        json_obj_end(j);
    }
    json_arr_end(j);
    json_int(j, "events_not_kept", (int64_t)m->n_dropped_events);
    json_obj_end(j);
}

void out_result_write(FILE *f, const scenario_t *s, const sc_env_t *env, const sc_run_t *run)
{
    json_out_t j;
    json_init(&j, f);
    json_obj_begin(&j, NULL);
    json_str(&j, "schema", "hsprobe.result/1");
    header_fields(&j, s);
    json_str(&j, "target", env->target.text);
    json_str(&j, "verdict", sc_verdict_name(run->verdict));
    json_obj_begin(&j, "outcome");
    json_str(&j, "kind", sc_outcome_name(run->outcome));
    json_str(&j, "detail", run->detail);
    if (run->outcome_cmd[0])
        json_str(&j, "cmd", run->outcome_cmd);
    if (run->closed) {
        json_str(&j, "close", run->closed_rst ? "rst" : "fin");
        json_num(&j, "after_ms", run->close_ms);
        json_int(&j, "pending_bytes", (int64_t)run->pending_bytes);
    } else if (run->outcome == SO_STALL) {
        json_int(&j, "pending_bytes", (int64_t)run->pending_bytes);
    }
    if (run->alert_desc >= 0) {
        json_obj_begin(&j, "alert");
        json_str(&j, "level", run->alert_level == 1 ? "warning" : "fatal");
        json_int(&j, "code", run->alert_desc);
        const char *n = tls_alert_name(run->alert_desc);
        json_str(&j, "name", n ? n : "unknown");
        json_obj_end(&j);
    }
    json_obj_end(&j);
    if (run->failed_step >= 0) {
        json_obj_begin(&j, "failed_step");
        json_int(&j, "line", s->steps[run->failed_step].line);
        json_str(&j, "text", s->steps[run->failed_step].text);
        json_obj_end(&j);
    } else {
        json_null(&j, "failed_step");
    }
    json_str(&j, "message", run->message);
    if (run->rebuilt[0])
        json_str(&j, "rebuilt_trigger", run->rebuilt);
    json_bool(&j, "negated", env->negate_last);
    if (env->seeded)
        json_int(&j, "seed", (int64_t)env->seed);
    else
        json_null(&j, "seed");
    if (s->n_wire_hashes) {
        json_arr_begin(&j, "wire_expect");
        for (size_t k = 0; k < s->n_wire_hashes; k++) {
            const sc_wire_hash_t *w = &s->wire_hashes[k];
            json_obj_begin(&j, NULL);
            json_str(&j, "conn", w->conn);
            json_str(&j, "dir", w->sent ? "sent" : "recv");
            json_hex(&j, "sha256", w->sha256, sizeof(w->sha256));
            json_int(&j, "line", w->line);
            json_obj_end(&j);
        }
        json_arr_end(&j);
    }
    if (env->identity) {
        json_obj_begin(&j, "identity");
        json_str(&j, "rsa_sha1", env->id_rsa_fp);
        json_str(&j, "ed25519", env->id_ed_b64);
        json_obj_end(&j);
    }
    json_obj_begin(&j, "evidence");
    json_arr_begin(&j, "connections");
    for (size_t i = 0; i < s->n_conns && i < SC_CAP_CONNS; i++)
        if (run->conns[i].started)
            conn_evidence(&j, s, i, &run->conns[i]);
    json_arr_end(&j);
    if (run->mitm)
        mitm_evidence(&j, s, run->mitm);
    json_obj_end(&j);
    json_obj_begin(&j, "timings_ms");
    json_num(&j, "total", run->total_ms);
    if (run->connect_ms > 0)
        json_num(&j, "connect", run->connect_ms);
    json_obj_end(&j);
    json_str(&j, "started", run->started);
    json_obj_end(&j); /* the writer ends a top-level object with a newline */
}

void out_result_not_run(FILE *f, const scenario_t *s, const sc_env_t *env, const char *why)
{
    sc_run_t run;
    memset(&run, 0, sizeof(run));
    run.verdict = SV_ERROR;
    run.outcome = SO_HARNESS;
    run.failed_step = -1;
    run.alert_level = run.alert_desc = -1;
    snprintf(run.detail, sizeof(run.detail), "%s", why);
    snprintf(run.message, sizeof(run.message), "%s", why);
    scen_utc_now(run.started, sizeof(run.started));
    out_result_write(f, s, env, &run);
}

void out_lint_write(FILE *f, const char *path, const scenario_t *s, const sc_diags_t *d, bool ok)
{
    json_out_t j;
    json_init(&j, f);
    json_obj_begin(&j, NULL);
    json_str(&j, "file", path);
    json_bool(&j, "ok", ok);
    json_arr_begin(&j, "errors");
    for (size_t i = 0; i < d->n; i++) {
        json_obj_begin(&j, NULL);
        json_int(&j, "line", d->d[i].line);
        json_int(&j, "col", d->d[i].col);
        json_str(&j, "message", d->d[i].msg);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    if (!s || !s->id[0]) {
        json_null(&j, "header");
    } else {
        json_obj_begin(&j, "header");
        json_str(&j, "id", s->id);
        json_str(&j, "title", s->title);
        json_str(&j, "role", sc_role_name(s->role));
        json_str(&j, "protocol", s->protocol);
        json_arr_begin(&j, "peers");
        for (size_t i = 0; i < s->n_peers; i++)
            json_str(&j, NULL, s->peers[i]);
        json_arr_end(&j);
        json_str(&j, "spec", s->spec);
        json_str(&j, "level", sc_level_name(s->level));
        json_str(&j, "requirement", s->requirement);
        json_str(&j, "catalogue", s->catalogue[0] ? s->catalogue : NULL);
        json_str(&j, "note", s->note[0] ? s->note : NULL);
        json_int(&j, "timeout_ms", s->timeout_ms);
        json_obj_end(&j);
    }
    json_obj_end(&j); /* the writer ends a top-level object with a newline */
}
