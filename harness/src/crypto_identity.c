/* crypto_identity.c — see crypto_identity.h. */
#include "crypto_identity.h"

#include "crypto_certsign.h"
#include "hs_rand.h"
#include "wire_certs.h"
#include "wire_crosscert.h"
#include "wire_edcert.h"

#include <stdio.h>
#include <string.h>

/* tor's random hostnames: "www." + 8–20 base32 characters + tld. */
static int random_cn(char *out, size_t cap, const char *tld)
{
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    uint8_t r[21];
    char label[21];
    if (hs_rand_bytes(r, sizeof r) < 0)
        return -1;
    size_t n = 8 + r[0] % 13;
    for (size_t i = 0; i < n; i++)
        label[i] = b32[r[i + 1] & 31];
    label[n] = 0;
    return snprintf(out, cap, "www.%s.%s", label, tld) < (int)cap ? 0 : -1;
}

int identity_generate(relay_identity_t *id, unsigned link_bits)
{
    memset(id, 0, sizeof *id);
    if (rsa_key_generate(&id->rsa_id, 1024) != 0 || rsa_key_generate(&id->rsa_link, link_bits) != 0 ||
        rsa_key_generate(&id->rsa_auth, 1024) != 0 || ed25519_key_generate(&id->ed_id) != 0 ||
        ed25519_key_generate(&id->ed_signing) != 0 || ed25519_key_generate(&id->ed_link_auth) != 0 ||
        random_cn(id->id_cn, sizeof id->id_cn, "com") != 0 ||
        random_cn(id->link_cn, sizeof id->link_cn, "net") != 0 ||
        random_cn(id->auth_cn, sizeof id->auth_cn, "net") != 0) {
        identity_free(id);
        return -1;
    }
    return 0;
}

void identity_free(relay_identity_t *id)
{
    gnutls_privkey_t *rsa[] = { &id->rsa_id, &id->rsa_link, &id->rsa_auth };
    for (size_t i = 0; i < HS_ARRAY_LEN(rsa); i++) {
        if (*rsa[i])
            gnutls_privkey_deinit(*rsa[i]);
        *rsa[i] = NULL;
    }
    ed25519_key_free(&id->ed_id);
    ed25519_key_free(&id->ed_signing);
    ed25519_key_free(&id->ed_link_auth);
}

/* A cert for `key` named cn, issued by the ID key under the ID cert's name. */
static int issued_by_id(const relay_identity_t *id, gnutls_privkey_t key, const char *cn,
                        int64_t nb, int64_t na, bld_t *out)
{
    gnutls_pubkey_t pub;
    if (rsa_pubkey_from_privkey(key, &pub) != 0)
        return -1;
    int rc = x509_build_issued(pub, cn, id->id_cn, id->rsa_id, nb, na, out);
    gnutls_pubkey_deinit(pub);
    return rc;
}

int identity_build_link_cert(const relay_identity_t *id, int64_t not_before, int64_t not_after, bld_t *out)
{
    return issued_by_id(id, id->rsa_link, id->link_cn, not_before, not_after, out);
}

int identity_build_link_cert_for(const relay_identity_t *id, gnutls_privkey_t key,
                                 int64_t not_before, int64_t not_after, bld_t *out)
{
    return issued_by_id(id, key, id->link_cn, not_before, not_after, out);
}

int identity_build_id_cert(const relay_identity_t *id, int64_t not_before, int64_t not_after, bld_t *out)
{
    return x509_build_self_signed(id->rsa_id, id->id_cn, not_before, not_after, out);
}

int identity_build_auth_cert(const relay_identity_t *id, int64_t not_before, int64_t not_after, bld_t *out)
{
    return issued_by_id(id, id->rsa_auth, id->auth_cn, not_before, not_after, out);
}

int identity_edcert_plan(const relay_identity_t *id, int type, uint32_t exp_hours,
                         span_t tls_cert_der, identity_edcert_plan_t *plan)
{
    memset(plan, 0, sizeof *plan);
    plan->f.version = EDCERT_VERSION;
    plan->f.cert_type = (uint8_t)type;
    plan->f.exp_hours = exp_hours;
    plan->f.key_type = EDCERT_KEY_ED25519;
    switch (type) {
    case CERT_TYPE_ED_SIGNING:
        /* Type 4 names its signer in the signed-with-key extension: that is how the peer
         * learns the Ed25519 identity. */
        memcpy(plan->f.certified_key, id->ed_signing.pub, 32);
        plan->ext[0] = edcert_ext_signed_with_key(id->ed_id.pub);
        plan->f.ext = plan->ext;
        plan->f.n_ext = 1;
        plan->signer = &id->ed_id;
        return 0;
    case CERT_TYPE_ED_TLS_LINK:
        plan->f.key_type = EDCERT_KEY_SHA256_X509;
        plan->signer = &id->ed_signing;
        return crypto_sha256(tls_cert_der, plan->f.certified_key);
    case CERT_TYPE_ED_AUTH:
        memcpy(plan->f.certified_key, id->ed_link_auth.pub, 32);
        plan->signer = &id->ed_signing;
        return 0;
    }
    return -1;
}

static int ed_cert(const relay_identity_t *id, int type, uint32_t exp_hours, span_t tls_cert_der,
                   bld_t *out)
{
    identity_edcert_plan_t plan;
    if (identity_edcert_plan(id, type, exp_hours, tls_cert_der, &plan) != 0)
        return -1;
    return certsign_edcert(out, &plan.f, plan.signer);
}

int identity_build_signing_cert(const relay_identity_t *id, uint32_t exp_hours, bld_t *out)
{
    return ed_cert(id, CERT_TYPE_ED_SIGNING, exp_hours, (span_t){ 0 }, out);
}

int identity_build_tls_link_cert(const relay_identity_t *id, span_t tls_cert_der, uint32_t exp_hours,
                                 bld_t *out)
{
    return ed_cert(id, CERT_TYPE_ED_TLS_LINK, exp_hours, tls_cert_der, out);
}

int identity_build_link_auth_cert(const relay_identity_t *id, uint32_t exp_hours, bld_t *out)
{
    return ed_cert(id, CERT_TYPE_ED_AUTH, exp_hours, (span_t){ 0 }, out);
}

int identity_build_crosscert(const relay_identity_t *id, uint32_t exp_hours, bld_t *out)
{
    return certsign_crosscert(out, id->ed_id.pub, exp_hours, id->rsa_id);
}

uint32_t identity_exp_hours(int64_t now, int64_t lifetime_s)
{
    int64_t t = now + lifetime_s;
    if (t <= 0)
        return 0;
    int64_t h = (t + 3599) / 3600;
    return h > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)h;
}
