/* crypto_ed25519.c — see crypto_ed25519.h.
 *
 * GnuTLS 3.7 cannot derive an Ed25519 public key through gnutls_privkey_import_ecc_raw (it
 * requires the public half and crashes without it), but its PKCS#8 decoder does derive it.
 * So a seed is wrapped in the fixed RFC 8410 PKCS#8 envelope and imported that way. */
#include "crypto_ed25519.h"

#include "hs_rand.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

/* RFC 8410 OneAsymmetricKey: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 },
 * OCTET STRING { OCTET STRING seed } }; the seed fills the last 32 bytes. */
static const uint8_t pkcs8_ed25519_prefix[16] = {
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
};

/* Reads the public half back out of the private key. */
static int load_pub(ed25519_key_t *k)
{
    gnutls_datum_t x = { NULL, 0 };
    gnutls_ecc_curve_t curve;
    int rc = -1;
    if (gnutls_privkey_export_ecc_raw2(k->priv, &curve, &x, NULL, NULL, 0) < 0)
        return -1;
    if (curve == GNUTLS_ECC_CURVE_ED25519 && x.size == HS_ED25519_KEY_LEN) {
        memcpy(k->pub, x.data, HS_ED25519_KEY_LEN);
        rc = 0;
    }
    gnutls_free(x.data);
    return rc;
}

int ed25519_key_from_seed(ed25519_key_t *k, const uint8_t seed[HS_ED25519_KEY_LEN])
{
    uint8_t der[sizeof pkcs8_ed25519_prefix + HS_ED25519_KEY_LEN];
    gnutls_x509_privkey_t xk = NULL;
    memset(k, 0, sizeof *k);
    memcpy(der, pkcs8_ed25519_prefix, sizeof pkcs8_ed25519_prefix);
    memcpy(der + sizeof pkcs8_ed25519_prefix, seed, HS_ED25519_KEY_LEN);
    gnutls_datum_t d = { der, sizeof der };
    int ok = gnutls_x509_privkey_init(&xk) == 0 &&
             gnutls_x509_privkey_import_pkcs8(xk, &d, GNUTLS_X509_FMT_DER, NULL,
                                              GNUTLS_PKCS_PLAIN) == 0 &&
             gnutls_privkey_init(&k->priv) == 0 &&
             /* IMPORT_AUTO_RELEASE hands xk to the privkey, which frees it. */
             gnutls_privkey_import_x509(k->priv, xk, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE) == 0;
    if (ok)
        xk = NULL;
    gnutls_memset(der, 0, sizeof der);
    if (xk)
        gnutls_x509_privkey_deinit(xk);
    if (!ok || load_pub(k) != 0) {
        ed25519_key_free(k);
        return -1;
    }
    memcpy(k->seed, seed, HS_ED25519_KEY_LEN);
    return 0;
}

int ed25519_key_generate(ed25519_key_t *k)
{
    uint8_t seed[HS_ED25519_KEY_LEN];
    memset(k, 0, sizeof *k);
    if (hs_rand_bytes(seed, sizeof seed) < 0)
        return -1;
    int rc = ed25519_key_from_seed(k, seed);
    gnutls_memset(seed, 0, sizeof seed);
    return rc;
}

void ed25519_key_free(ed25519_key_t *k)
{
    if (k->priv)
        gnutls_privkey_deinit(k->priv);
    k->priv = NULL;
    gnutls_memset(k->seed, 0, sizeof k->seed);
}

int ed25519_sign(const ed25519_key_t *k, span_t msg, uint8_t sig[HS_ED25519_SIG_LEN])
{
    static const uint8_t empty[1];
    gnutls_datum_t d = { (unsigned char *)(msg.p ? msg.p : empty), (unsigned)msg.len };
    gnutls_datum_t s = { NULL, 0 };
    if (!k->priv || msg.len > UINT32_MAX)
        return -1;
    if (gnutls_privkey_sign_data2(k->priv, GNUTLS_SIGN_EDDSA_ED25519, 0, &d, &s) < 0)
        return -1;
    int rc = -1;
    if (s.size == HS_ED25519_SIG_LEN) {
        memcpy(sig, s.data, HS_ED25519_SIG_LEN);
        rc = 0;
    }
    gnutls_free(s.data);
    return rc;
}

int ed25519_verify(const uint8_t pub[HS_ED25519_KEY_LEN], span_t msg,
                   const uint8_t sig[HS_ED25519_SIG_LEN])
{
    static const uint8_t empty[1];
    gnutls_pubkey_t pk = NULL;
    gnutls_datum_t x = { (unsigned char *)pub, HS_ED25519_KEY_LEN };
    gnutls_datum_t d = { (unsigned char *)(msg.p ? msg.p : empty), (unsigned)msg.len };
    gnutls_datum_t s = { (unsigned char *)sig, HS_ED25519_SIG_LEN };
    if (msg.len > UINT32_MAX || gnutls_pubkey_init(&pk) < 0)
        return -1;
    int rc;
    int r = gnutls_pubkey_import_ecc_raw(pk, GNUTLS_ECC_CURVE_ED25519, &x, NULL);
    if (r == GNUTLS_E_MEMORY_ERROR)
        rc = -1;
    else if (r < 0)
        rc = 0; /* a key GnuTLS refuses cannot have made a valid signature */
    else {
        r = gnutls_pubkey_verify_data2(pk, GNUTLS_SIGN_EDDSA_ED25519, 0, &d, &s);
        rc = r == 0 ? 1 : r == GNUTLS_E_MEMORY_ERROR ? -1 : 0;
    }
    gnutls_pubkey_deinit(pk);
    return rc;
}
