/* test_crypto.c — digests, Ed25519, RSA, X.509 and the relay identity builders.
 *
 * Known-answer vectors: FIPS 180 "abc", RFC 4231 case 1, RFC 8032 §7.1 test 1. */
#include "unit.h"

#include "crypto_digest.h"
#include "crypto_ed25519.h"
#include "crypto_identity.h"
#include "crypto_rsa.h"
#include "crypto_x509.h"

#include <sys/stat.h>
#include <unistd.h>

#define NOW 1750000000LL
#define DAY (24 * 3600LL)

static gnutls_privkey_t g_rsa1024, g_rsa2048;

static void setup(void)
{
    ck_assert_int_eq(rsa_key_generate(&g_rsa1024, 1024), 0);
    ck_assert_int_eq(rsa_key_generate(&g_rsa2048, 2048), 0);
}

static void teardown(void)
{
    gnutls_privkey_deinit(g_rsa1024);
    gnutls_privkey_deinit(g_rsa2048);
}

static void assert_hex(const uint8_t *got, size_t n, const char *hex)
{
    size_t wl;
    uint8_t *want = unit_hex(hex, &wl);
    ck_assert_bytes_eq(got, n, want, wl);
    free(want);
}

/* ---- digests ------------------------------------------------------------------------------ */

START_TEST(test_digests_known_answers)
{
    uint8_t h[32], h1[20];
    ck_assert_int_eq(crypto_sha256(span_of("abc", 3), h), 0);
    assert_hex(h, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_int_eq(crypto_sha256(span_of(NULL, 0), h), 0);
    assert_hex(h, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ck_assert_int_eq(crypto_sha1(span_of("abc", 3), h1), 0);
    assert_hex(h1, 20, "a9993e364706816aba3e25717850c26c9cd0d89d");
    span_t parts[3] = { span_of("a", 1), span_of(NULL, 0), span_of("bc", 2) };
    ck_assert_int_eq(crypto_sha256_parts(parts, 3, h), 0);
    assert_hex(h, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    uint8_t key[20];
    memset(key, 0x0b, sizeof key);
    ck_assert_int_eq(crypto_hmac_sha256(span_of(key, 20), span_of("Hi There", 8), h), 0);
    assert_hex(h, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}
END_TEST

/* The running digest the TLS layer keeps per direction: peek mid-stream, keep going, freeze. */
START_TEST(test_sha256_stream)
{
    sha256_stream_t st;
    uint8_t h[32];
    sha256_stream_init(&st);
    ck_assert_int_eq(sha256_stream_peek(&st, h), 0);
    assert_hex(h, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_stream_update(&st, "a", 1);
    sha256_stream_update(&st, NULL, 0);
    ck_assert_int_eq(sha256_stream_peek(&st, h), 0);
    assert_hex(h, 32, "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb");
    sha256_stream_update(&st, "bc", 2);
    sha256_stream_finish(&st);
    sha256_stream_finish(&st); /* twice is harmless */
    ck_assert_uint_eq(st.bytes, 3);
    ck_assert_int_eq(sha256_stream_peek(&st, h), 0);
    assert_hex(h, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_stream_t never;
    memset(&never, 0, sizeof never); /* a connection that never started: no digest, no crash */
    ck_assert_int_eq(sha256_stream_peek(&never, h), -1);
    sha256_stream_finish(&never);
}
END_TEST

/* ---- Ed25519 ------------------------------------------------------------------------------ */

START_TEST(test_ed25519_rfc8032)
{
    size_t n;
    uint8_t *seed = unit_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", &n);
    ed25519_key_t k;
    ck_assert_int_eq(ed25519_key_from_seed(&k, seed), 0);
    assert_hex(k.pub, 32, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    uint8_t sig[64];
    ck_assert_int_eq(ed25519_sign(&k, span_of(NULL, 0), sig), 0);
    assert_hex(sig, 64,
               "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    ck_assert_int_eq(ed25519_verify(k.pub, span_of(NULL, 0), sig), 1);
    ck_assert_int_eq(ed25519_verify(k.pub, span_of("x", 1), sig), 0);
    sig[10] ^= 1;
    ck_assert_int_eq(ed25519_verify(k.pub, span_of(NULL, 0), sig), 0);
    ed25519_key_free(&k);
    ed25519_key_free(&k); /* idempotent */
    free(seed);
}
END_TEST

START_TEST(test_ed25519_random_keys)
{
    ed25519_key_t a, b;
    ck_assert_int_eq(ed25519_key_generate(&a), 0);
    ck_assert_int_eq(ed25519_key_generate(&b), 0);
    ck_assert(memcmp(a.pub, b.pub, 32) != 0);
    uint8_t sig[64];
    ck_assert_int_eq(ed25519_sign(&a, span_of("message", 7), sig), 0);
    ck_assert_int_eq(ed25519_verify(a.pub, span_of("message", 7), sig), 1);
    ck_assert_int_eq(ed25519_verify(b.pub, span_of("message", 7), sig), 0);
    /* A public key that is not a curve point verifies nothing (and is not a harness fault). */
    uint8_t junk[32];
    memset(junk, 0xff, sizeof junk);
    ck_assert_int_eq(ed25519_verify(junk, span_of("message", 7), sig), 0);
    ed25519_key_free(&a);
    ed25519_key_free(&b);
}
END_TEST

/* ---- RSA ---------------------------------------------------------------------------------- */

START_TEST(test_rsa_der_builder_vectors)
{
    bld_t b;
    bld_init(&b, 4096);
    /* Leading zeros dropped; 00 added where the high bit is set; zero is 02 01 00. */
    static const uint8_t n1[] = { 0x00, 0x00, 0x80, 0x01 }, e1[] = { 0x01, 0x00, 0x01 };
    rsa_der_pkcs1_build(&b, span_of(n1, sizeof n1), span_of(e1, sizeof e1));
    assert_hex(b.buf, b.len, "30 0a 02 03 00 80 01 02 03 01 00 01");
    bld_reset(&b);
    static const uint8_t n2[] = { 0x7f }, z[] = { 0x00 };
    rsa_der_pkcs1_build(&b, span_of(n2, 1), span_of(z, 1));
    assert_hex(b.buf, b.len, "30 06 02 01 7f 02 01 00");
    bld_reset(&b);
    /* 128-byte modulus with its top bit set: long-form lengths. */
    uint8_t n3[128];
    memset(n3, 0xc3, sizeof n3);
    rsa_der_pkcs1_build(&b, span_of(n3, sizeof n3), span_of(e1, sizeof e1));
    ck_assert_uint_eq(b.len, 3 + 3 + 129 + 5);
    assert_hex(b.buf, 7, "30 81 89 02 81 81 00");
    assert_hex(b.buf + 135, 5, "02 03 01 00 01");
    bld_free(&b);
}
END_TEST

/* Our hand-built RSAPublicKey must be exactly the tail of GnuTLS's SubjectPublicKeyInfo
 * (whose BIT STRING wraps the same PKCS#1 structure). */
static void check_pkcs1_against_spki(gnutls_privkey_t priv, unsigned bits)
{
    gnutls_pubkey_t pub;
    ck_assert_int_eq(rsa_pubkey_from_privkey(priv, &pub), 0);
    unsigned got_bits;
    ck_assert_int_eq(rsa_pubkey_bits(pub, &got_bits), 0);
    ck_assert_uint_eq(got_bits, bits);
    bld_t b;
    bld_init(&b, 4096);
    ck_assert_int_eq(rsa_pubkey_der_pkcs1(pub, &b), 0);
    gnutls_datum_t spki;
    ck_assert_int_eq(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki), 0);
    ck_assert_uint_ge(spki.size, b.len);
    ck_assert_bytes_eq(spki.data + spki.size - b.len, b.len, b.buf, b.len);
    uint8_t s1[20], s256[32], w1[20], w256[32];
    ck_assert_int_eq(rsa_pubkey_digests(pub, s1, s256), 0);
    ck_assert_int_eq(crypto_sha1(bld_span(&b), w1), 0);
    ck_assert_int_eq(crypto_sha256(bld_span(&b), w256), 0);
    ck_assert_bytes_eq(s1, 20, w1, 20);
    ck_assert_bytes_eq(s256, 32, w256, 32);
    gnutls_free(spki.data);
    bld_free(&b);
    gnutls_pubkey_deinit(pub);
}

START_TEST(test_rsa_pkcs1_der_matches_spki)
{
    check_pkcs1_against_spki(g_rsa1024, 1024);
    check_pkcs1_against_spki(g_rsa2048, 2048);
}
END_TEST

START_TEST(test_rsa_raw_signatures)
{
    gnutls_pubkey_t pub;
    ck_assert_int_eq(rsa_pubkey_from_privkey(g_rsa1024, &pub), 0);
    uint8_t d[32];
    ck_assert_int_eq(crypto_sha256(span_of("data", 4), d), 0);
    bld_t raw, std;
    bld_init(&raw, 1024);
    bld_init(&std, 1024);
    ck_assert_int_eq(rsa_sign_raw(g_rsa1024, span_of(d, 32), &raw), 0);
    ck_assert_int_eq(rsa_sign_digestinfo_sha256(g_rsa1024, span_of(d, 32), &std), 0);
    ck_assert_uint_eq(raw.len, 128);
    ck_assert_uint_eq(std.len, 128);
    ck_assert_int_eq(rsa_verify_raw(pub, span_of(d, 32), bld_span(&raw)), 1);
    ck_assert_int_eq(rsa_verify_raw(pub, span_of(d, 32), bld_span(&std)), 0);
    ck_assert_int_eq(rsa_verify_digestinfo_sha256(pub, span_of(d, 32), bld_span(&std)), 1);
    ck_assert_int_eq(rsa_verify_digestinfo_sha256(pub, span_of(d, 32), bld_span(&raw)), 0);
    d[0] ^= 1;
    ck_assert_int_eq(rsa_verify_raw(pub, span_of(d, 32), bld_span(&raw)), 0);
    ck_assert_int_eq(rsa_verify_raw(pub, span_of(d, 32), span_of(NULL, 0)), 0);
    /* Raw signing works on any short input, e.g. the 20-byte digests of older formats. */
    bld_reset(&raw);
    ck_assert_int_eq(rsa_sign_raw(g_rsa1024, span_of(d, 20), &raw), 0);
    ck_assert_int_eq(rsa_verify_raw(pub, span_of(d, 20), bld_span(&raw)), 1);
    bld_free(&raw);
    bld_free(&std);
    gnutls_pubkey_deinit(pub);
}
END_TEST

START_TEST(test_rsa_pem_roundtrip_and_file_mode)
{
    bld_t pem, a, b;
    bld_init(&pem, 16384);
    bld_init(&a, 4096);
    bld_init(&b, 4096);
    ck_assert_int_eq(rsa_privkey_export_pem(g_rsa1024, &pem), 0);
    ck_assert(memmem(pem.buf, pem.len, "PRIVATE KEY-----", 16) != NULL);
    gnutls_privkey_t back;
    ck_assert_int_eq(rsa_privkey_import_pem(bld_span(&pem), &back), 0);
    gnutls_pubkey_t p1, p2;
    ck_assert_int_eq(rsa_pubkey_from_privkey(g_rsa1024, &p1), 0);
    ck_assert_int_eq(rsa_pubkey_from_privkey(back, &p2), 0);
    ck_assert_int_eq(rsa_pubkey_der_pkcs1(p1, &a), 0);
    ck_assert_int_eq(rsa_pubkey_der_pkcs1(p2, &b), 0);
    ck_assert_bytes_eq(a.buf, a.len, b.buf, b.len);
    gnutls_pubkey_deinit(p2);
    gnutls_privkey_deinit(back);

    /* Public PEM round trip. */
    bld_reset(&pem);
    ck_assert_int_eq(rsa_pubkey_export_pem(p1, &pem), 0);
    ck_assert_int_eq(rsa_pubkey_import_pem(bld_span(&pem), &p2), 0);
    bld_reset(&b);
    ck_assert_int_eq(rsa_pubkey_der_pkcs1(p2, &b), 0);
    ck_assert_bytes_eq(a.buf, a.len, b.buf, b.len);
    gnutls_pubkey_deinit(p2);
    ck_assert_int_eq(rsa_privkey_import_pem(span_of("junk", 4), &back), -1);

    /* Key files are 0600, even when a more open file was there before. */
    char path[] = "/tmp/hsprobe-test-key-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fchmod(fd, 0644), 0);
    close(fd);
    ck_assert_int_eq(rsa_privkey_write_pem_file(g_rsa1024, path), 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(rsa_privkey_read_pem_file(path, &back), 0);
    ck_assert_int_eq(rsa_pubkey_from_privkey(back, &p2), 0);
    bld_reset(&b);
    ck_assert_int_eq(rsa_pubkey_der_pkcs1(p2, &b), 0);
    ck_assert_bytes_eq(a.buf, a.len, b.buf, b.len);
    gnutls_privkey_deinit(back);
    unlink(path);
    ck_assert_int_eq(rsa_privkey_read_pem_file(path, &back), -1);
    gnutls_pubkey_deinit(p2);
    gnutls_pubkey_deinit(p1);
    bld_free(&pem);
    bld_free(&a);
    bld_free(&b);
}
END_TEST

/* ---- X.509 -------------------------------------------------------------------------------- */

static void decode_ok(bld_t *der, x509_cert_t *c)
{
    char why[120];
    int r = x509_decode(bld_span(der), c, why, sizeof why);
    ck_assert_msg(r == 0, "decode: %d %s", r, why);
}

START_TEST(test_x509_self_signed_shape)
{
    bld_t der;
    bld_init(&der, HS_X509_DER_CAP);
    ck_assert_int_eq(x509_build_self_signed(g_rsa1024, "www.example.com", NOW - DAY, NOW + 365 * DAY, &der), 0);
    x509_cert_t c;
    decode_ok(&der, &c);
    x509_shape_t sh;
    ck_assert_int_eq(x509_describe(&c, &sh), 0);
    ck_assert_str_eq(sh.subject, "CN=www.example.com");
    ck_assert_str_eq(sh.issuer, "CN=www.example.com");
    ck_assert_str_eq(sh.key_alg, "RSA");
    ck_assert_uint_eq(sh.key_bits, 1024);
    ck_assert_int_eq(sh.not_before, NOW - DAY);
    ck_assert_int_eq(sh.not_after, NOW + 365 * DAY);
    ck_assert_uint_eq(sh.n_extensions, 0);
    ck_assert_uint_eq(sh.serial_len, 8);
    uint8_t h[32];
    ck_assert_int_eq(crypto_sha256(bld_span(&der), h), 0);
    ck_assert_bytes_eq(sh.sha256, 32, h, 32);
    ck_assert_int_eq(gnutls_x509_crt_get_version(c.crt), 3);
    ck_assert_int_eq(gnutls_x509_crt_get_signature_algorithm(c.crt), GNUTLS_SIGN_RSA_SHA256);
    ck_assert_int_eq(x509_is_signed_by(&c, &c), 1);
    x509_free(&c);
    x509_free(&c);
    bld_free(&der);
}
END_TEST

START_TEST(test_x509_issued)
{
    gnutls_pubkey_t sub;
    ck_assert_int_eq(rsa_pubkey_from_privkey(g_rsa2048, &sub), 0);
    bld_t leaf, ca;
    bld_init(&leaf, HS_X509_DER_CAP);
    bld_init(&ca, HS_X509_DER_CAP);
    ck_assert_int_eq(x509_build_issued(sub, "www.leaf.net", "www.ca.com", g_rsa1024, NOW, NOW + DAY, &leaf), 0);
    ck_assert_int_eq(x509_build_self_signed(g_rsa1024, "www.ca.com", NOW, NOW + DAY, &ca), 0);
    x509_cert_t l, c;
    decode_ok(&leaf, &l);
    decode_ok(&ca, &c);
    x509_shape_t sh;
    ck_assert_int_eq(x509_describe(&l, &sh), 0);
    ck_assert_str_eq(sh.subject, "CN=www.leaf.net");
    ck_assert_str_eq(sh.issuer, "CN=www.ca.com");
    ck_assert_uint_eq(sh.key_bits, 2048);
    ck_assert_uint_eq(sh.n_extensions, 0);
    ck_assert_int_eq(x509_is_signed_by(&l, &c), 1);
    ck_assert_int_eq(x509_is_signed_by(&l, &l), 0);
    ck_assert_int_eq(x509_is_signed_by(&c, &l), 0);
    ck_assert_int_eq(x509_same_pubkey(&l, &c), 0);
    ck_assert_int_eq(x509_same_pubkey(&l, &l), 1);
    x509_free(&l);
    x509_free(&c);
    bld_free(&leaf);
    bld_free(&ca);
    gnutls_pubkey_deinit(sub);
}
END_TEST

static int decode_bytes(const uint8_t *p, size_t n)
{
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    x509_cert_t c;
    int r = x509_decode(span_of(copy, n), &c, NULL, 0);
    if (r == 0)
        x509_free(&c);
    free(copy);
    return r;
}

/* tor calls anything that does not re-encode to itself undecodable. */
START_TEST(test_x509_strict_der)
{
    bld_t der;
    bld_init(&der, HS_X509_DER_CAP);
    ck_assert_int_eq(x509_build_self_signed(g_rsa1024, "www.example.com", NOW, NOW + DAY, &der), 0);
    size_t n = der.len;
    uint8_t *p = malloc(n + 8);
    memcpy(p, der.buf, n);
    ck_assert_int_eq(decode_bytes(p, n), 0);
    /* Trailing byte. */
    p[n] = 0;
    ck_assert_int_eq(decode_bytes(p, n + 1), 1);
    /* Every truncation. */
    for (size_t len = 0; len < n; len++)
        ck_assert_msg(decode_bytes(p, len) == 1, "prefix %zu", len);
    /* Non-minimal outer length: 30 82 hi lo → 30 83 00 hi lo (GnuTLS itself accepts this). */
    ck_assert_uint_eq(p[1], 0x82);
    uint8_t *q = malloc(n + 1);
    q[0] = 0x30, q[1] = 0x83, q[2] = 0x00;
    memcpy(q + 3, p + 2, n - 2);
    ck_assert_int_eq(decode_bytes(q, n + 1), 1);
    /* Indefinite length. */
    q[0] = 0x30, q[1] = 0x80;
    memcpy(q + 2, p + 4, n - 4);
    q[n - 2] = 0, q[n - 1] = 0;
    ck_assert_int_eq(decode_bytes(q, n), 1);
    /* Non-minimal INTEGER inside the TBS: version [0] { 02 01 02 } → [0] { 02 02 00 02 }, with
     * the TBS and outer lengths (both 30 82 hi lo) patched to match. */
    ck_assert(p[4] == 0x30 && p[5] == 0x82 && memcmp(p + 8, "\xa0\x03\x02\x01\x02", 5) == 0);
    uint8_t *w = malloc(n + 1);
    memcpy(w, p, 8);
    memcpy(w + 8, "\xa0\x04\x02\x02\x00\x02", 6);
    memcpy(w + 14, p + 13, n - 13);
    unsigned outer = (unsigned)(p[2] << 8 | p[3]) + 1, tbs = (unsigned)(p[6] << 8 | p[7]) + 1;
    w[2] = (uint8_t)(outer >> 8), w[3] = (uint8_t)outer, w[6] = (uint8_t)(tbs >> 8), w[7] = (uint8_t)tbs;
    ck_assert_int_eq(decode_bytes(w, n + 1), 1);
    free(w);
    /* Garbage. */
    ck_assert_int_eq(decode_bytes((const uint8_t *)"hello", 5), 1);
    free(q);
    free(p);
    bld_free(&der);
}
END_TEST

static void build_decode(gnutls_privkey_t key, int64_t nb, int64_t na, bld_t *der, x509_cert_t *c)
{
    bld_init(der, HS_X509_DER_CAP);
    ck_assert_int_eq(x509_build_self_signed(key, "www.id.com", nb, na, der), 0);
    decode_ok(der, c);
}

START_TEST(test_x509_tor_validity_rule)
{
    struct {
        int64_t nb, na;
        bool ok, expired, not_yet;
    } cases[] = {
        { NOW - 10 * DAY, NOW + DAY, true, false, false },
        { NOW - 10 * DAY, NOW - 1 * DAY, true, false, false },  /* inside the 2-day past slop */
        { NOW - 20 * DAY, NOW - 2 * DAY, true, false, false },  /* exactly at the slop */
        { NOW - 20 * DAY, NOW - 2 * DAY - 1, false, true, false },
        { NOW - 20 * DAY, NOW - 10 * DAY, false, true, false },
        { NOW + 29 * DAY, NOW + 60 * DAY, true, false, false }, /* inside the 30-day future slop */
        { NOW + 30 * DAY, NOW + 60 * DAY, true, false, false },
        { NOW + 30 * DAY + 1, NOW + 60 * DAY, false, false, true },
    };
    for (size_t i = 0; i < HS_ARRAY_LEN(cases); i++) {
        bld_t der;
        x509_cert_t c;
        build_decode(g_rsa1024, cases[i].nb, cases[i].na, &der, &c);
        x509_tor_validity_t v;
        ck_assert_int_eq(x509_tor_valid(&c, &c, NOW, X509_KEY_RULE_RSA1024, &v), 0);
        ck_assert_msg(v.ok == cases[i].ok && v.expired == cases[i].expired &&
                          v.not_yet_valid == cases[i].not_yet,
                      "case %zu: ok %d expired %d not_yet %d (%s)", i, v.ok, v.expired,
                      v.not_yet_valid, v.why);
        if (cases[i].expired)
            ck_assert_str_eq(v.why, "Certificate already expired. Either their clock is set wrong, or your clock is wrong.");
        if (cases[i].not_yet)
            ck_assert_str_eq(v.why, "Certificate not yet valid. Either their clock is set wrong, or your clock is wrong.");
        x509_free(&c);
        bld_free(&der);
    }
    /* Key rules: a 2048-bit key fails "exactly RSA-1024" but passes ">= 1024". */
    bld_t der;
    x509_cert_t c;
    build_decode(g_rsa2048, NOW, NOW + DAY, &der, &c);
    x509_tor_validity_t v;
    ck_assert_int_eq(x509_tor_valid(&c, &c, NOW, X509_KEY_RULE_RSA1024, &v), 0);
    ck_assert(!v.ok && !v.key_ok && v.sig_ok);
    ck_assert_str_eq(v.why, "Invalid certificate: Key is not RSA1024.");
    ck_assert_int_eq(x509_tor_valid(&c, &c, NOW, X509_KEY_RULE_MIN1024, &v), 0);
    ck_assert(v.ok);
    /* Signature by the wrong key. */
    bld_t der2;
    x509_cert_t c2;
    build_decode(g_rsa1024, NOW, NOW + DAY, &der2, &c2);
    ck_assert_int_eq(x509_tor_valid(&c, &c2, NOW, X509_KEY_RULE_MIN1024, &v), 0);
    ck_assert(!v.ok && !v.sig_ok);
    x509_free(&c2);
    bld_free(&der2);
    x509_free(&c);
    bld_free(&der);
}
END_TEST

/* ---- identity ----------------------------------------------------------------------------- */

START_TEST(test_identity_builders)
{
    relay_identity_t id;
    ck_assert_int_eq(identity_generate(&id, 1024), 0);
    ck_assert(strncmp(id.id_cn, "www.", 4) == 0 && strstr(id.id_cn, ".com") != NULL);
    ck_assert(strncmp(id.link_cn, "www.", 4) == 0 && strstr(id.link_cn, ".net") != NULL);
    bld_t c[8];
    for (size_t i = 0; i < 8; i++)
        bld_init(&c[i], HS_X509_DER_CAP);
    ck_assert_int_eq(identity_build_link_cert(&id, NOW - DAY, NOW + DAY, &c[1]), 0);
    ck_assert_int_eq(identity_build_id_cert(&id, NOW - DAY, NOW + 365 * DAY, &c[2]), 0);
    ck_assert_int_eq(identity_build_auth_cert(&id, NOW - DAY, NOW + DAY, &c[3]), 0);
    uint32_t exp = identity_exp_hours(NOW, 30 * DAY);
    ck_assert_int_eq(identity_build_signing_cert(&id, exp, &c[4]), 0);
    ck_assert_int_eq(identity_build_tls_link_cert(&id, bld_span(&c[1]), exp, &c[5]), 0);
    ck_assert_int_eq(identity_build_link_auth_cert(&id, exp, &c[6]), 0);
    ck_assert_int_eq(identity_build_crosscert(&id, exp, &c[7]), 0);
    /* tor's observed sizes for the fixed-size formats. */
    ck_assert_uint_eq(c[4].len, 140);
    ck_assert_uint_eq(c[5].len, 104);
    ck_assert_uint_eq(c[6].len, 104);
    ck_assert_uint_eq(c[7].len, 165);
    x509_cert_t link, idc, auth;
    decode_ok(&c[1], &link);
    decode_ok(&c[2], &idc);
    decode_ok(&c[3], &auth);
    ck_assert_int_eq(x509_is_signed_by(&link, &idc), 1);
    ck_assert_int_eq(x509_is_signed_by(&auth, &idc), 1);
    ck_assert_int_eq(x509_is_signed_by(&idc, &idc), 1);
    x509_shape_t sh;
    ck_assert_int_eq(x509_describe(&link, &sh), 0);
    char want[64];
    snprintf(want, sizeof want, "CN=%s", id.id_cn);
    ck_assert_str_eq(sh.issuer, want);
    x509_free(&link);
    x509_free(&idc);
    x509_free(&auth);
    ck_assert_uint_eq(identity_exp_hours(3600, 0), 1);
    ck_assert_uint_eq(identity_exp_hours(3600, 1), 2);
    ck_assert_uint_eq(identity_exp_hours(0, -5), 0);
    for (size_t i = 0; i < 8; i++)
        bld_free(&c[i]);
    identity_free(&id);
    identity_free(&id);
}
END_TEST

Suite *suite_crypto(void)
{
    Suite *s = suite_create("crypto");
    TCase *t = tcase_create("primitives");
    tcase_add_unchecked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_digests_known_answers);
    tcase_add_test(t, test_sha256_stream);
    tcase_add_test(t, test_ed25519_rfc8032);
    tcase_add_test(t, test_ed25519_random_keys);
    tcase_add_test(t, test_rsa_der_builder_vectors);
    tcase_add_test(t, test_rsa_pkcs1_der_matches_spki);
    tcase_add_test(t, test_rsa_raw_signatures);
    tcase_add_test(t, test_rsa_pem_roundtrip_and_file_mode);
    tcase_add_test(t, test_x509_self_signed_shape);
    tcase_add_test(t, test_x509_issued);
    tcase_add_test(t, test_x509_strict_der);
    tcase_add_test(t, test_x509_tor_validity_rule);
    tcase_add_test(t, test_identity_builders);
    suite_add_tcase(s, t);
    return s;
}
