/* wire_tlsflight.c — see wire_tlsflight.h. */
#include "wire_tlsflight.h"

#include "wire_tls_alert.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tlsflight_init(tls_flight_t *f)
{
    memset(f, 0, sizeof(*f)); /* the reassembly buffer included: no stale bytes */
}

static void event(tls_flight_t *f, tls_event_t e)
{
    if (f->n_events == TLSFLIGHT_CAP_EVENTS) {
        f->events_overflow = true;
        return;
    }
    f->ev[f->n_events++] = e;
}

static void mark_bad(tls_flight_t *f, const char *why)
{
    if (!f->bad)
        snprintf(f->bad_why, sizeof(f->bad_why), "%s", why);
    f->bad = true;
}

static void handshake_message(tls_flight_t *f, uint8_t type, span_t body, uint32_t len)
{
    event(f, (tls_event_t){ .kind = TEV_HANDSHAKE, .hs_type = type, .len = len });
    if (type == TLS_HS_SERVER_HELLO && !f->have_sh) {
        f->have_sh = true;
        f->sh_status = tls_server_hello_parse(body, &f->sh);
        /* A TLS 1.3 ServerHello is the last message in the clear. */
        if (f->sh_status == WIRE_OK && tls_server_hello_version(&f->sh) == 0x0304 && !f->sh.hrr)
            f->encrypted = true;
    } else if (type == TLS_HS_SERVER_HELLO_DONE) {
        f->have_done = true;
    }
}

/* Delivers every complete message in the reassembly buffer, keeps the incomplete tail. */
static void reassemble(tls_flight_t *f, span_t frag)
{
    while (frag.len) {
        if (f->skip) { /* the rest of an oversized message: counted, not kept */
            size_t n = frag.len < f->skip ? frag.len : f->skip;
            if (!span_skip(&frag, n))
                return;
            f->skip -= (uint32_t)n;
            continue;
        }
        size_t room = TLSFLIGHT_CAP_HS - f->hs_len;
        size_t n = frag.len < room ? frag.len : room;
        if (!span_copy(&frag, f->hs + f->hs_len, n))
            return;
        f->hs_len += n;
        for (;;) {
            span_t buf = span_of(f->hs, f->hs_len), body;
            uint8_t type, hi;
            uint16_t lo;
            if (!span_get_u8(&buf, &type) || !span_get_u8(&buf, &hi) || !span_get_u16(&buf, &lo))
                break;
            uint32_t len = (uint32_t)hi << 16 | lo;
            if (len > TLSFLIGHT_CAP_HS - 4) {
                /* Too big to keep: note it now, skip what is left of it. */
                event(f, (tls_event_t){ .kind = TEV_HANDSHAKE, .hs_type = type, .len = len });
                uint32_t have = (uint32_t)buf.len;
                f->skip = len - (have < len ? have : len);
                f->hs_len = 0;
                break;
            }
            if (!span_get_sub(&buf, len, &body))
                break;
            handshake_message(f, type, body, len);
            size_t used = 4 + len;
            memmove(f->hs, f->hs + used, f->hs_len - used);
            f->hs_len -= used;
        }
    }
}

void tlsflight_add(tls_flight_t *f, const tlsrec_t *rec)
{
    f->n_records++;
    if (rec->sslv2) {
        event(f, (tls_event_t){ .kind = TEV_SSLV2, .hs_type = rec->type,
                                .len = (uint32_t)rec->fragment.len });
        return;
    }
    if (!f->first_record_version)
        f->first_record_version = rec->version;
    switch (rec->type) {
    case TLS_CT_HANDSHAKE:
        if (f->encrypted) {
            event(f, (tls_event_t){ .kind = TEV_APPDATA, .len = (uint32_t)rec->fragment.len });
            return;
        }
        if (!rec->fragment.len)
            mark_bad(f, "an empty handshake record (RFC 5246 §6.2.1 forbids it)");
        reassemble(f, rec->fragment);
        return;
    case TLS_CT_ALERT: {
        uint8_t level = 0, desc = 0;
        if (!f->encrypted && tls_alert_parse(rec->fragment, &level, &desc) != WIRE_OK) {
            mark_bad(f, "an alert record that is not exactly two bytes");
            event(f, (tls_event_t){ .kind = TEV_OTHER, .hs_type = rec->type,
                                    .len = (uint32_t)rec->fragment.len });
            return;
        }
        if (f->encrypted) { /* an encrypted alert: only its existence is known */
            event(f, (tls_event_t){ .kind = TEV_APPDATA, .len = (uint32_t)rec->fragment.len });
            return;
        }
        if (!f->have_alert) {
            f->have_alert = true;
            f->alert_level = level;
            f->alert_desc = desc;
        }
        event(f, (tls_event_t){ .kind = TEV_ALERT, .level = level, .desc = desc, .len = 2 });
        return;
    }
    case TLS_CT_CHANGE_CIPHER_SPEC:
        event(f, (tls_event_t){ .kind = TEV_CCS, .len = (uint32_t)rec->fragment.len });
        if (!(f->have_sh && tls_server_hello_version(&f->sh) == 0x0304))
            f->encrypted = true; /* TLS 1.3's middlebox CCS changes nothing */
        return;
    case TLS_CT_APPLICATION_DATA:
        event(f, (tls_event_t){ .kind = TEV_APPDATA, .len = (uint32_t)rec->fragment.len });
        return;
    default:
        event(f, (tls_event_t){ .kind = TEV_OTHER, .hs_type = rec->type,
                                .len = (uint32_t)rec->fragment.len });
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Summary. */

typedef struct out {
    char *p;
    size_t cap, len;
} out_t;

static void put(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out_t *o, const char *fmt, ...)
{
    if (o->len + 1 >= o->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len = o->len + (size_t)n < o->cap ? o->len + (size_t)n : o->cap - 1;
}

static void server_hello(out_t *o, const tls_flight_t *f)
{
    const tls_server_hello_t *sh = &f->sh;
    if (f->sh_status != WIRE_OK) {
        put(o, "%s (malformed: %s)", sh->hrr ? "HelloRetryRequest" : "ServerHello",
            wire_status_str(f->sh_status));
        return;
    }
    uint16_t v = tls_server_hello_version(sh);
    const char *vn = tls_version_name(v);
    put(o, "%s ", sh->hrr ? "HelloRetryRequest" : "ServerHello");
    if (vn)
        put(o, "%s", vn);
    else
        put(o, "version 0x%04x", v);
    if (sh->has_selected_version)
        put(o, " (legacy 0x%04x)", sh->legacy_version);
    put(o, " suite 0x%04x", sh->suite);
    if (sh->compression)
        put(o, " compression %u", sh->compression);
    if (sh->ri)
        put(o, " RI yes");
    else
        put(o, " RI no");
    if (sh->ri && sh->ri_len)
        put(o, " (verify_data %u bytes)", sh->ri_len);
    if (sh->downgrade == TLS_DOWNGRADE_TLS12)
        put(o, " DOWNGRD(1.2)");
    else if (sh->downgrade == TLS_DOWNGRADE_TLS11)
        put(o, " DOWNGRD(1.1)");
    if (sh->n_exts) {
        put(o, " exts ");
        for (size_t i = 0; i < sh->n_exts; i++)
            put(o, "%s%u", i ? "," : "", sh->ext_types[i]);
    }
}

void tlsflight_summary(const tls_flight_t *f, char *buf, size_t cap)
{
    out_t o = { buf, cap, 0 };
    if (!cap)
        return;
    buf[0] = 0;
    bool sh_done = false;
    size_t encrypted = 0;
    for (size_t i = 0; i < f->n_events; i++) {
        const tls_event_t *e = &f->ev[i];
        if (e->kind == TEV_APPDATA) { /* runs of opaque records are counted, not listed */
            encrypted++;
            continue;
        }
        if (encrypted) {
            put(&o, "%s%zu encrypted record(s)", o.len ? ", " : "", encrypted);
            encrypted = 0;
        }
        if (o.len)
            put(&o, ", ");
        switch (e->kind) {
        case TEV_HANDSHAKE:
            if (e->hs_type == TLS_HS_SERVER_HELLO && !sh_done) {
                sh_done = true;
                server_hello(&o, f);
            } else if (tls_hs_type_name(e->hs_type)) {
                put(&o, "%s", tls_hs_type_name(e->hs_type));
            } else {
                put(&o, "handshake type %u", e->hs_type);
            }
            break;
        case TEV_ALERT: {
            const char *n = tls_alert_name(e->desc);
            put(&o, "alert %s %u %s", e->level == 1 ? "warning" : e->level == 2 ? "fatal" : "level?",
                e->desc, n ? n : "unknown");
            break;
        }
        case TEV_CCS: put(&o, "ChangeCipherSpec"); break;
        case TEV_SSLV2: put(&o, "SSLv2 record msg %u (%u bytes)", e->hs_type, e->len); break;
        case TEV_OTHER: put(&o, "record type %u (%u bytes)", e->hs_type, e->len); break;
        case TEV_APPDATA: break;
        }
    }
    if (encrypted)
        put(&o, "%s%zu encrypted record(s)", o.len ? ", " : "", encrypted);
    if (f->events_overflow)
        put(&o, ", …");
    if (f->hs_len || f->skip)
        put(&o, "%s%zu bytes of an incomplete handshake message", o.len ? ", " : "",
            f->hs_len);
    if (f->bad)
        put(&o, "%s(malformed: %s)", o.len ? " " : "", f->bad_why);
    if (!o.len)
        put(&o, "nothing");
}
