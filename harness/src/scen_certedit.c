/* scen_certedit.c — see scen_certedit.h. */
#include "scen_certedit.h"

#include "crypto_certsign.h"
#include "crypto_digest.h"
#include "hs_rand.h"
#include "wire_certs.h"

#include <stdio.h>
#include <string.h>

static const char *const field_names[] = {
    [CE_VERSION] = "version", [CE_CERT_TYPE] = "cert-type", [CE_KEY_TYPE] = "key-type",
    [CE_KEY] = "key",         [CE_EXT_NONE] = "ext",        [CE_EXPIRES] = "expires",
    [CE_APPEND] = "append",
};

const char *scen_certedit_field_name(sc_certedit_field_t f)
{
    return (size_t)f < HS_ARRAY_LEN(field_names) ? field_names[f] : "?";
}

bool scen_certedit_field_from_name(const char *s, size_t n, sc_certedit_field_t *out)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(field_names); i++)
        if (strlen(field_names[i]) == n && !memcmp(field_names[i], s, n)) {
            *out = (sc_certedit_field_t)i;
            return true;
        }
    return false;
}

bool scen_certedit_applies(sc_certedit_field_t f, int type)
{
    switch (f) {
    case CE_VERSION:
    case CE_CERT_TYPE:
    case CE_KEY_TYPE:
    case CE_EXT_NONE: return type >= CERT_TYPE_ED_SIGNING && type <= CERT_TYPE_ED_AUTH;
    case CE_KEY: return type >= CERT_TYPE_ED_SIGNING && type <= CERT_TYPE_RSA_ED_CROSS;
    case CE_EXPIRES:
    case CE_APPEND: return type >= CERT_TYPE_X509_LINK && type <= CERT_TYPE_RSA_ED_CROSS;
    }
    return false;
}

static bool is_edit_of(const sc_mut_t *m, int type)
{
    return m->kind == M_CERT_EDIT && m->a == type;
}

bool scen_certedit_wanted(const sc_mut_t *muts, size_t n, int type)
{
    for (size_t i = 0; i < n; i++)
        if (is_edit_of(&muts[i], type))
            return true;
    return false;
}

static int edit_bytes(const sc_bytes_t *b, uint8_t *out)
{
    if (b->random)
        return hs_rand_bytes(out, b->len);
    if (b->len)
        memcpy(out, b->p, b->len);
    return 0;
}

static uint32_t hours_of(int64_t t)
{
    if (t <= 0)
        return 0;
    return t / 3600 > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)(t / 3600);
}

/* The 32 bytes key= gives: literal, or the SHA-256 of another (unedited) entry of the list. */
static int edit_key(const sc_mut_t *m, const sc_mut_t *muts, size_t n,
                    const sc_cert_item_t *items, size_t n_items, uint8_t key[32], char *err,
                    size_t errlen)
{
    int src = m->edit.key_of;
    if (!src) {
        if (m->bytes.len != 32) {
            snprintf(err, errlen, "cert-edit %lld key=: 32 bytes, got %zu", (long long)m->a,
                     m->bytes.len);
            return -1;
        }
        return edit_bytes(&m->bytes, key);
    }
    if (scen_certedit_wanted(muts, n, src)) {
        snprintf(err, errlen, "cert-edit %lld key=sha256:%d: the type-%d certificate is "
                 "itself edited (digest an unedited one)", (long long)m->a, src, src);
        return -1;
    }
    for (size_t i = 0; i < n_items; i++) {
        if (items[i].type != src)
            continue;
        if (!items[i].b.len) { /* not built: the list failed earlier */
            snprintf(err, errlen, "cert-edit %lld key=sha256:%d: that certificate is empty",
                     (long long)m->a, src);
            return -1;
        }
        return crypto_sha256(bld_span(&items[i].b), key) == 0 ? 0 : -1;
    }
    snprintf(err, errlen, "cert-edit %lld key=sha256:%d: the list has no type-%d certificate",
             (long long)m->a, src, src);
    return -1;
}

static int build_x509(const relay_identity_t *id, int type, const sc_cert_dates_t *d,
                      bool dates_edited, span_t tls_cert, bld_t *out)
{
    if (type == CERT_TYPE_X509_LINK && tls_cert.len && !d->expired && !dates_edited) {
        bld_bytes(out, tls_cert.p, tls_cert.len); /* the very certificate presented in TLS */
        return 0;
    }
    switch (type) {
    case CERT_TYPE_X509_LINK: return identity_build_link_cert(id, d->not_before, d->not_after, out);
    case CERT_TYPE_X509_ID: return identity_build_id_cert(id, d->not_before, d->not_after, out);
    case CERT_TYPE_X509_AUTH: return identity_build_auth_cert(id, d->not_before, d->not_after, out);
    }
    return -1;
}

static int build_ed(const relay_identity_t *id, int type, const sc_mut_t *muts, size_t n,
                    const sc_cert_dates_t *d, span_t tls_cert, const sc_cert_item_t *items,
                    size_t n_items, bld_t *out, char *err, size_t errlen)
{
    bld_t link;
    bld_init(&link, 4096);
    int rc = 0;
    if (type == CERT_TYPE_ED_TLS_LINK && !tls_cert.len) {
        /* No TLS certificate of our own (initiator): bind type 5 to a link cert made now. */
        rc = identity_build_link_cert(id, d->not_before, d->not_after, &link);
        if (rc == 0 && !bld_ok(&link))
            rc = -1;
        tls_cert = bld_span(&link);
    }
    identity_edcert_plan_t plan;
    if (rc == 0)
        rc = identity_edcert_plan(id, type, d->exp_hours, tls_cert, &plan);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const sc_mut_t *m = &muts[i];
        if (!is_edit_of(m, type))
            continue;
        switch (m->edit.field) {
        case CE_VERSION: plan.f.version = (uint8_t)m->edit.v; break;
        case CE_CERT_TYPE: plan.f.cert_type = (uint8_t)m->edit.v; break;
        case CE_KEY_TYPE: plan.f.key_type = (uint8_t)m->edit.v; break;
        case CE_KEY:
            rc = edit_key(m, muts, n, items, n_items, plan.f.certified_key, err, errlen);
            break;
        case CE_EXT_NONE:
            plan.f.n_ext = 0;
            plan.f.ext = NULL;
            break;
        case CE_EXPIRES: /* in the dates already */
        case CE_APPEND: break; /* after signing */
        }
    }
    if (rc == 0)
        rc = certsign_edcert(out, &plan.f, plan.signer);
    bld_free(&link);
    return rc;
}

static int build_cross(const relay_identity_t *id, const sc_mut_t *muts, size_t n,
                       const sc_cert_dates_t *d, const sc_cert_item_t *items, size_t n_items,
                       bld_t *out, char *err, size_t errlen)
{
    uint8_t key[32];
    memcpy(key, id->ed_id.pub, sizeof key);
    for (size_t i = 0; i < n; i++)
        if (is_edit_of(&muts[i], CERT_TYPE_RSA_ED_CROSS) && muts[i].edit.field == CE_KEY &&
            edit_key(&muts[i], muts, n, items, n_items, key, err, errlen) != 0)
            return -1;
    return certsign_crosscert(out, key, d->exp_hours, id->rsa_id);
}

int scen_certedit_build(const relay_identity_t *id, int type, const sc_mut_t *muts, size_t n,
                        const sc_cert_dates_t *base, int64_t now, span_t tls_cert,
                        const sc_cert_item_t *items, size_t n_items, bld_t *out, char *err,
                        size_t errlen)
{
    sc_cert_dates_t d = *base;
    bool dates_edited = false;
    if (errlen)
        err[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const sc_mut_t *m = &muts[i];
        if (!is_edit_of(m, type))
            continue;
        if (!scen_certedit_applies(m->edit.field, type)) {
            snprintf(err, errlen, "cert-edit %d: a type-%d certificate has no '%s'", type, type,
                     scen_certedit_field_name(m->edit.field));
            return -1;
        }
        if (m->edit.field == CE_EXPIRES) {
            int64_t t = m->edit.rel ? now + m->edit.v : m->edit.v;
            d.not_after = t;
            if (d.not_before > t - 86400)
                d.not_before = t - 86400; /* valid for at least a day before it expires */
            d.exp_hours = hours_of(t);
            dates_edited = true;
        }
    }
    int rc;
    if (type >= CERT_TYPE_X509_LINK && type <= CERT_TYPE_X509_AUTH)
        rc = build_x509(id, type, &d, dates_edited, tls_cert, out);
    else if (type >= CERT_TYPE_ED_SIGNING && type <= CERT_TYPE_ED_AUTH)
        rc = build_ed(id, type, muts, n, &d, tls_cert, items, n_items, out, err, errlen);
    else if (type == CERT_TYPE_RSA_ED_CROSS)
        rc = build_cross(id, muts, n, &d, items, n_items, out, err, errlen);
    else
        rc = -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const sc_mut_t *m = &muts[i];
        if (!is_edit_of(m, type) || m->edit.field != CE_APPEND)
            continue;
        uint8_t *dst = bld_reserve(out, m->bytes.len);
        if (!dst && m->bytes.len)
            rc = -1;
        else if (m->bytes.len)
            rc = edit_bytes(&m->bytes, dst);
    }
    if (rc == 0 && !bld_ok(out))
        rc = -1;
    if (rc != 0 && errlen && !err[0])
        snprintf(err, errlen, "cannot build the edited type-%d certificate", type);
    return rc;
}
