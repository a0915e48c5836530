/* wire_tlsrec.c — see wire_tlsrec.h. */
#include "wire_tlsrec.h"

#include <string.h>

/* ---------------------------------------------------------------------------------------- */
/* SSLv2-format compatible ClientHello. */

void sslv2_hello_build(bld_t *b, const sslv2_hello_t *h)
{
    size_t n_specs = h->n_suites + h->n_v2_specs;
    size_t clen = h->challenge.len;
    if (!n_specs) {
        bld_fail(b, "an SSLv2-format hello needs at least one cipher spec");
        return;
    }
    if (h->n_suites > SSLV2_CAP_SPECS || h->n_v2_specs > SSLV2_CAP_SPECS) {
        bld_fail(b, "too many cipher specs for one SSLv2-format hello");
        return;
    }
    if (clen > SSLV2_CAP_CHALLENGE ||
        (!h->any_challenge_len && (clen < SSLV2_CHALLENGE_MIN || clen > SSLV2_CHALLENGE_MAX))) {
        bld_fail(b, "SSLv2-format hello challenge must be 16..32 bytes");
        return;
    }
    for (size_t i = 0; i < h->n_v2_specs; i++)
        if (h->v2_specs[i] > 0xffffffu) {
            bld_fail(b, "an SSL 2.0 cipher kind is 24 bits");
            return;
        }
    /* msg_type, version, three u16 lengths, the specs, no session id, the challenge */
    size_t body = 1 + 2 + 2 + 2 + 2 + 3 * n_specs + clen;
    if (body > SSLV2_CAP_RECORD) {
        bld_fail(b, "SSLv2-format hello too long for its 15-bit length");
        return;
    }
    bld_u8(b, (uint8_t)(0x80 | (body >> 8)));
    bld_u8(b, (uint8_t)(body & 0xff));
    bld_u8(b, SSLV2_MSG_CLIENT_HELLO);
    bld_u16(b, h->version);
    bld_u16(b, (uint16_t)(3 * n_specs));
    bld_u16(b, 0); /* session_id_length: a compat hello never resumes (E.2) */
    bld_u16(b, (uint16_t)clen);
    for (size_t i = 0; i < h->n_suites; i++) {
        bld_u8(b, 0); /* a TLS suite travels as the V2CipherSpec {0x00, suite} */
        bld_u16(b, h->suites[i]);
    }
    for (size_t i = 0; i < h->n_v2_specs; i++) {
        bld_u8(b, (uint8_t)(h->v2_specs[i] >> 16));
        bld_u16(b, (uint16_t)(h->v2_specs[i] & 0xffff));
    }
    bld_bytes(b, h->challenge.p, clen);
}

/* ---------------------------------------------------------------------------------------- */
/* Records. */

wire_status_t tlsrec_frame(span_t in, tlsrec_t *rec)
{
    uint8_t b0;
    if (!span_peek_u8(&in, 0, &b0))
        return WIRE_TRUNCATED;
    memset(rec, 0, sizeof(*rec));
    if (b0 & 0x80) {
        uint16_t hdr;
        if (!span_peek_u16(&in, 0, &hdr))
            return WIRE_TRUNCATED;
        size_t len = hdr & 0x7fff;
        if (len == 0)
            return WIRE_BAD_VALUE;
        span_t rest = in, body;
        if (!span_skip(&rest, 2) || !span_get_sub(&rest, len, &body))
            return WIRE_TRUNCATED;
        rec->sslv2 = true;
        if (!span_peek_u8(&body, 0, &rec->type))
            return WIRE_BAD_VALUE;
        rec->fragment = body;
        rec->wire_len = 2 + len;
        return WIRE_OK;
    }
    if (b0 < TLS_CT_CHANGE_CIPHER_SPEC || b0 > 24) /* 24: RFC 6520 heartbeat */
        return WIRE_BAD_VALUE;
    uint8_t major;
    if (span_peek_u8(&in, 1, &major) && major != 3)
        return WIRE_BAD_VALUE;
    uint16_t version, len;
    if (!span_peek_u16(&in, 1, &version) || !span_peek_u16(&in, 3, &len))
        return WIRE_TRUNCATED;
    if (len > TLSREC_CAP_FRAGMENT)
        return WIRE_BAD_VALUE;
    span_t rest = in, frag;
    if (!span_skip(&rest, TLSREC_HEADER_LEN) || !span_get_sub(&rest, len, &frag))
        return WIRE_TRUNCATED;
    rec->type = b0;
    rec->version = version;
    rec->fragment = frag;
    rec->wire_len = TLSREC_HEADER_LEN + len;
    return WIRE_OK;
}

const char *tls_content_type_name(uint8_t type)
{
    switch (type) {
    case TLS_CT_CHANGE_CIPHER_SPEC: return "change_cipher_spec";
    case TLS_CT_ALERT: return "alert";
    case TLS_CT_HANDSHAKE: return "handshake";
    case TLS_CT_APPLICATION_DATA: return "application_data";
    case 24: return "heartbeat";
    }
    return NULL;
}

const char *tls_hs_type_name(uint8_t type)
{
    switch (type) {
    case 0: return "HelloRequest";
    case 1: return "ClientHello";
    case 2: return "ServerHello";
    case 4: return "NewSessionTicket";
    case 8: return "EncryptedExtensions";
    case 11: return "Certificate";
    case 12: return "ServerKeyExchange";
    case 13: return "CertificateRequest";
    case 14: return "ServerHelloDone";
    case 15: return "CertificateVerify";
    case 16: return "ClientKeyExchange";
    case 20: return "Finished";
    case 22: return "CertificateStatus";
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */

wire_status_t tls_alert_parse(span_t fragment, uint8_t *level, uint8_t *desc)
{
    if (fragment.len < 2)
        return WIRE_TRUNCATED;
    if (fragment.len > 2)
        return WIRE_TRAILING;
    *level = fragment.p[0];
    *desc = fragment.p[1];
    return WIRE_OK;
}

wire_status_t tlsrec_alert_frame(span_t in, uint8_t *level, uint8_t *desc, size_t *wire_len)
{
    /* Each header field is judged as soon as it has arrived, so that bytes which cannot be an
     * alert are refused at once instead of being waited on as a partial record. */
    uint8_t b;
    uint16_t len;
    if (span_peek_u8(&in, 0, &b) && b != TLS_CT_ALERT)
        return WIRE_BAD_VALUE;
    if (span_peek_u8(&in, 1, &b) && b != 3)
        return WIRE_BAD_VALUE;
    if (span_peek_u16(&in, 3, &len) && len != 2)
        return WIRE_BAD_VALUE;
    if (span_peek_u8(&in, 5, &b) && b != 1 && b != 2)
        return WIRE_BAD_VALUE;
    tlsrec_t rec;
    wire_status_t ws = tlsrec_frame(in, &rec);
    if (ws != WIRE_OK)
        return ws;
    if (tls_alert_parse(rec.fragment, level, desc) != WIRE_OK)
        return WIRE_BAD_VALUE; /* not reached: the length was checked above */
    *wire_len = rec.wire_len;
    return WIRE_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* ServerHello. */

/* SHA-256("HelloRetryRequest"), RFC 8446 §4.1.3. */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static wire_status_t ext_body(tls_server_hello_t *out, uint16_t type, span_t body)
{
    if (type == TLS_EXT_RENEGOTIATION_INFO) {
        span_t rc;
        if (!span_get_u8_prefixed(&body, &rc) || !span_is_empty(&body))
            return WIRE_BAD_VALUE;
        out->ri = true;
        out->ri_len = (uint8_t)rc.len;
    } else if (type == TLS_EXT_SUPPORTED_VERSIONS) {
        if (!span_get_u16(&body, &out->selected_version) || !span_is_empty(&body))
            return WIRE_BAD_VALUE;
        out->has_selected_version = true;
    }
    return WIRE_OK;
}

wire_status_t tls_hello_exts(span_t body, uint16_t *types, size_t cap, size_t *n,
                             tls_ext_fn on_ext, void *ctx)
{
    span_t exts;
    if (span_is_empty(&body))
        return WIRE_OK;
    if (!span_get_u16_prefixed(&body, &exts))
        return WIRE_TRUNCATED;
    if (!span_is_empty(&body))
        return WIRE_TRAILING;
    while (!span_is_empty(&exts)) {
        uint16_t type;
        span_t eb;
        if (!span_get_u16(&exts, &type) || !span_get_u16_prefixed(&exts, &eb))
            return WIRE_TRUNCATED;
        if (*n == cap)
            return WIRE_TOO_MANY;
        types[(*n)++] = type;
        wire_status_t st = on_ext(ctx, type, eb);
        if (st != WIRE_OK)
            return st;
    }
    return WIRE_OK;
}

static wire_status_t sh_ext(void *ctx, uint16_t type, span_t body)
{
    return ext_body(ctx, type, body);
}

wire_status_t tls_server_hello_parse(span_t body, tls_server_hello_t *out)
{
    memset(out, 0, sizeof(*out));
    span_t sid;
    if (!span_get_u16(&body, &out->legacy_version) || !span_copy(&body, out->random, 32) ||
        !span_get_u8_prefixed(&body, &sid))
        return WIRE_TRUNCATED;
    if (sid.len > sizeof(out->session_id))
        return WIRE_BAD_VALUE;
    out->session_id_len = (uint8_t)sid.len;
    memcpy(out->session_id, sid.p, sid.len);
    if (!span_get_u16(&body, &out->suite) || !span_get_u8(&body, &out->compression))
        return WIRE_TRUNCATED;
    out->hrr = !memcmp(out->random, hrr_random, 32);
    if (!memcmp(out->random + 24, "DOWNGRD\x01", 8))
        out->downgrade = TLS_DOWNGRADE_TLS12;
    else if (!memcmp(out->random + 24, "DOWNGRD\x00", 8))
        out->downgrade = TLS_DOWNGRADE_TLS11;
    return tls_hello_exts(body, out->ext_types, TLS_CAP_SH_EXTS, &out->n_exts, sh_ext, out);
}

uint16_t tls_server_hello_version(const tls_server_hello_t *sh)
{
    return sh->has_selected_version ? sh->selected_version : sh->legacy_version;
}

static const struct {
    uint16_t v;
    const char *name;
} versions[] = {
    { 0x0002, "SSL2.0" }, { 0x0300, "SSL3.0" }, { 0x0301, "TLS1.0" },
    { 0x0302, "TLS1.1" }, { 0x0303, "TLS1.2" }, { 0x0304, "TLS1.3" },
};

const char *tls_version_name(uint16_t v)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(versions); i++)
        if (versions[i].v == v)
            return versions[i].name;
    return NULL;
}

uint16_t tls_version_from_name(const char *name)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(versions); i++)
        if (!strcmp(versions[i].name, name))
            return versions[i].v;
    return 0;
}
