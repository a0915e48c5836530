/* wire_certs.c — see wire_certs.h. */
#include "wire_certs.h"

wire_status_t certs_parse(span_t body, certs_cell_t *out)
{
    out->n = 0;
    out->trailing = 0;
    if (!span_get_u8(&body, &out->n_declared))
        return WIRE_TRUNCATED;
    if (out->n_declared > HS_CAP_CERTS_ENTRIES)
        return WIRE_TOO_MANY;
    for (unsigned i = 0; i < out->n_declared; i++) {
        certs_entry_t *e = &out->e[i];
        if (!span_get_u8(&body, &e->type) || !span_get_u16_prefixed(&body, &e->body))
            return WIRE_TRUNCATED;
        out->n++;
    }
    out->trailing = body.len;
    return WIRE_OK;
}

void certs_build(bld_t *b, const certs_entry_t *e, size_t n)
{
    if (n > 255) {
        bld_fail(b, "CERTS holds at most 255 certificates");
        return;
    }
    bld_u8(b, (uint8_t)n);
    for (size_t i = 0; i < n; i++) {
        bld_u8(b, e[i].type);
        bld_mark_t m = bld_open_u16(b);
        bld_bytes(b, e[i].body.p, e[i].body.len);
        bld_close(b, m);
    }
}

const char *cert_type_name(uint8_t type)
{
    switch (type) {
    case CERT_TYPE_X509_LINK: return "x509-link";
    case CERT_TYPE_X509_ID: return "x509-rsa-identity";
    case CERT_TYPE_X509_AUTH: return "x509-rsa-auth";
    case CERT_TYPE_ED_SIGNING: return "ed25519-signing";
    case CERT_TYPE_ED_TLS_LINK: return "ed25519-tls-link";
    case CERT_TYPE_ED_AUTH: return "ed25519-link-auth";
    case CERT_TYPE_RSA_ED_CROSS: return "rsa-ed25519-crosscert";
    default: return "unknown";
    }
}
