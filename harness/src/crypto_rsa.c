/* crypto_rsa.c — see crypto_rsa.h. */
#include "crypto_rsa.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* A PEM key file is a few KB; anything far larger is not a key the harness wrote. */
#define RSA_PEM_FILE_CAP (64u * 1024u)

static gnutls_datum_t datum_of(span_t s)
{
    static const uint8_t empty[1];
    gnutls_datum_t d = { (unsigned char *)(s.p ? s.p : empty), (unsigned)s.len };
    return d;
}

/* Appends a GnuTLS-allocated datum to b and frees it. */
static int take_datum(bld_t *b, gnutls_datum_t *d)
{
    bld_bytes(b, d->data, d->size);
    gnutls_free(d->data);
    d->data = NULL;
    return bld_ok(b) ? 0 : -1;
}

int rsa_key_generate(gnutls_privkey_t *out, unsigned bits)
{
    *out = NULL;
    if (gnutls_privkey_init(out) < 0)
        return -1;
    if (gnutls_privkey_generate2(*out, GNUTLS_PK_RSA, bits, 0, NULL, 0) < 0) {
        gnutls_privkey_deinit(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int rsa_pubkey_from_privkey(gnutls_privkey_t priv, gnutls_pubkey_t *out)
{
    *out = NULL;
    if (gnutls_pubkey_init(out) < 0)
        return -1;
    if (gnutls_pubkey_import_privkey(*out, priv, 0, 0) < 0) {
        gnutls_pubkey_deinit(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int rsa_pubkey_bits(gnutls_pubkey_t pub, unsigned *bits)
{
    *bits = 0;
    return gnutls_pubkey_get_pk_algorithm(pub, bits) == GNUTLS_PK_RSA ? 0 : -1;
}

int rsa_privkey_export_pem(gnutls_privkey_t priv, bld_t *out)
{
    gnutls_x509_privkey_t xk = NULL;
    gnutls_datum_t d = { NULL, 0 };
    if (gnutls_privkey_export_x509(priv, &xk) < 0)
        return -1;
    int r = gnutls_x509_privkey_export2(xk, GNUTLS_X509_FMT_PEM, &d);
    gnutls_x509_privkey_deinit(xk);
    return r < 0 ? -1 : take_datum(out, &d);
}

int rsa_privkey_import_pem(span_t pem, gnutls_privkey_t *out)
{
    gnutls_datum_t d = datum_of(pem);
    *out = NULL;
    if (gnutls_privkey_init(out) < 0)
        return -1;
    if (gnutls_privkey_import_x509_raw(*out, &d, GNUTLS_X509_FMT_PEM, NULL, 0) < 0 ||
        gnutls_privkey_get_pk_algorithm(*out, NULL) != GNUTLS_PK_RSA) {
        gnutls_privkey_deinit(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int rsa_pubkey_export_pem(gnutls_pubkey_t pub, bld_t *out)
{
    gnutls_datum_t d = { NULL, 0 };
    if (gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_PEM, &d) < 0)
        return -1;
    return take_datum(out, &d);
}

int rsa_pubkey_import_pem(span_t pem, gnutls_pubkey_t *out)
{
    gnutls_datum_t d = datum_of(pem);
    *out = NULL;
    if (gnutls_pubkey_init(out) < 0)
        return -1;
    if (gnutls_pubkey_import(*out, &d, GNUTLS_X509_FMT_PEM) < 0 ||
        gnutls_pubkey_get_pk_algorithm(*out, NULL) != GNUTLS_PK_RSA) {
        gnutls_pubkey_deinit(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int rsa_privkey_write_pem_file(gnutls_privkey_t priv, const char *path)
{
    bld_t b;
    bld_init(&b, RSA_PEM_FILE_CAP);
    int rc = -1;
    if (rsa_privkey_export_pem(priv, &b) == 0) {
        /* O_CREAT's mode is ignored for an existing file, hence the fchmod before writing. */
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            size_t off = 0;
            bool ok = fchmod(fd, 0600) == 0;
            while (ok && off < b.len) {
                ssize_t w = write(fd, b.buf + off, b.len - off);
                if (w < 0 && errno == EINTR)
                    continue;
                ok = w > 0;
                if (ok)
                    off += (size_t)w;
            }
            if (close(fd) != 0)
                ok = false;
            rc = ok ? 0 : -1;
        }
    }
    if (b.buf)
        gnutls_memset(b.buf, 0, b.len);
    bld_free(&b);
    return rc;
}

int rsa_privkey_read_pem_file(const char *path, gnutls_privkey_t *out)
{
    gnutls_datum_t d = { NULL, 0 };
    *out = NULL;
    if (gnutls_load_file(path, &d) < 0)
        return -1;
    int rc = d.size <= RSA_PEM_FILE_CAP ? rsa_privkey_import_pem(span_of(d.data, d.size), out) : -1;
    gnutls_memset(d.data, 0, d.size);
    gnutls_free(d.data);
    return rc;
}

/* DER definite length, minimal form (X.690 §10.1). */
static void der_len(bld_t *b, size_t n)
{
    if (n < 0x80) {
        bld_u8(b, (uint8_t)n);
        return;
    }
    uint8_t tmp[sizeof(size_t)];
    size_t k = 0;
    for (size_t v = n; v; v >>= 8)
        tmp[k++] = (uint8_t)(v & 0xff);
    bld_u8(b, (uint8_t)(0x80 | k));
    while (k)
        bld_u8(b, tmp[--k]);
}

static size_t der_len_size(size_t n)
{
    size_t k = 1;
    if (n >= 0x80)
        for (size_t v = n; v; v >>= 8)
            k++;
    return k;
}

/* Drops leading zero bytes: the magnitude, as DER wants to re-pad it itself. */
static span_t strip_zeros(span_t v)
{
    uint8_t c;
    while (span_peek_u8(&v, 0, &c) && c == 0)
        if (!span_skip(&v, 1))
            break;
    return v;
}

/* Content length of a non-negative INTEGER: one 00 if zero, or if the top bit is set. */
static size_t der_uint_content_len(span_t mag)
{
    uint8_t top;
    if (!span_peek_u8(&mag, 0, &top))
        return 1;
    return mag.len + (top & 0x80 ? 1 : 0);
}

static void der_uint(bld_t *b, span_t mag)
{
    size_t cl = der_uint_content_len(mag);
    bld_u8(b, 0x02);
    der_len(b, cl);
    if (cl > mag.len)
        bld_u8(b, 0x00);
    bld_bytes(b, mag.p, mag.len);
}

void rsa_der_pkcs1_build(bld_t *b, span_t n, span_t e)
{
    span_t nm = strip_zeros(n), em = strip_zeros(e);
    size_t nl = der_uint_content_len(nm), el = der_uint_content_len(em);
    size_t body = 1 + der_len_size(nl) + nl + 1 + der_len_size(el) + el;
    bld_u8(b, 0x30);
    der_len(b, body);
    der_uint(b, nm);
    der_uint(b, em);
}

int rsa_pubkey_der_pkcs1(gnutls_pubkey_t pub, bld_t *out)
{
    gnutls_datum_t m = { NULL, 0 }, e = { NULL, 0 };
    if (gnutls_pubkey_export_rsa_raw2(pub, &m, &e, GNUTLS_EXPORT_FLAG_NO_LZ) < 0)
        return -1;
    rsa_der_pkcs1_build(out, span_of(m.data, m.size), span_of(e.data, e.size));
    gnutls_free(m.data);
    gnutls_free(e.data);
    return bld_ok(out) ? 0 : -1;
}

int rsa_pubkey_digests(gnutls_pubkey_t pub, uint8_t sha1[HS_SHA1_LEN], uint8_t sha256[HS_SHA256_LEN])
{
    bld_t b;
    bld_init(&b, 2 * HS_RSA_MAX_BYTES);
    int rc = rsa_pubkey_der_pkcs1(pub, &b);
    if (rc == 0 && sha1)
        rc = crypto_sha1(bld_span(&b), sha1);
    if (rc == 0 && sha256)
        rc = crypto_sha256(bld_span(&b), sha256);
    bld_free(&b);
    return rc;
}

int rsa_sign_raw(gnutls_privkey_t priv, span_t digest, bld_t *out)
{
    gnutls_datum_t d = datum_of(digest), s = { NULL, 0 };
    /* TLS1_RSA: GnuTLS pads the given bytes as-is (type 1), as TLS 1.0's MD5‖SHA1 needed. */
    if (gnutls_privkey_sign_hash(priv, GNUTLS_DIG_UNKNOWN, GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA, &d,
                                 &s) < 0)
        return -1;
    return take_datum(out, &s);
}

/* Signatures come from peers: any refusal by GnuTLS (bad padding, wrong length, a key or
 * algorithm it will not use) means "invalid"; only running out of memory is our fault. */
static int verify_result(int r)
{
    if (r >= 0)
        return 1;
    return r == GNUTLS_E_MEMORY_ERROR ? -1 : 0;
}

int rsa_verify_raw(gnutls_pubkey_t pub, span_t digest, span_t sig)
{
    gnutls_datum_t d = datum_of(digest), s = datum_of(sig);
    return verify_result(
        gnutls_pubkey_verify_hash2(pub, GNUTLS_SIGN_UNKNOWN, GNUTLS_VERIFY_USE_TLS1_RSA, &d, &s));
}

int rsa_sign_digestinfo_sha256(gnutls_privkey_t priv, span_t digest32, bld_t *out)
{
    gnutls_datum_t d = datum_of(digest32), s = { NULL, 0 };
    if (digest32.len != HS_SHA256_LEN ||
        gnutls_privkey_sign_hash(priv, GNUTLS_DIG_SHA256, 0, &d, &s) < 0)
        return -1;
    return take_datum(out, &s);
}

int rsa_verify_digestinfo_sha256(gnutls_pubkey_t pub, span_t digest32, span_t sig)
{
    gnutls_datum_t d = datum_of(digest32), s = datum_of(sig);
    if (digest32.len != HS_SHA256_LEN)
        return 0;
    return verify_result(gnutls_pubkey_verify_hash2(pub, GNUTLS_SIGN_RSA_SHA256, 0, &d, &s));
}
