/* test_edcert.c — Ed25519 certificate codec (tor-link.md §1.9).
 *
 * Exact-byte vectors use the RFC 8032 test-1 seed as the identity key and the test-2 seed as
 * the signing key; the expected signatures were computed independently (Python
 * `cryptography`), so they check our signing as well as our layout. */
#include "unit.h"

#include "crypto_certsign.h"
#include "crypto_digest.h"
#include "crypto_ed25519.h"
#include "wire_edcert.h"

#define SEED_ID "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define SEED_SIGN "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"

/* Tor's type-4 layout: 01 04 <exp> 01 <signing key> 01 | 00 20 04 00 <identity key> | sig. */
static const char type4_hex[] =
    "01 04 00079ec7 01 3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c 01"
    "0020 04 00 d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    "74748445f4cc8f84dbf6092fef596f2252ac4cda57ad3754ef7a3dad41e52b7d"
    "fee19dfbf9b618e8b32f3ab50c40936ec1bdb3fa6eaa8f8127ab93c898a37f01";
/* Tor's type-5 layout: 01 05 <exp> 03 <sha256(tls cert)> 00 | sig. */
static const char type5_hex[] =
    "01 05 00079c27 03 d6182255e5739d55fc9781759c7a823d4dff3d2b7d17949e7085ee7c0cc22acf 00"
    "b01370301cf430df44505b34752dab0bcb56ce5ce9cf650f195d81da92cc70eb"
    "7696737f49c9cb5042044b8b2720bcba3c2ebeae8a00b2acda25e8a7c89c2f0f";

static void key_from_hex(ed25519_key_t *k, const char *hex)
{
    size_t n;
    uint8_t *seed = unit_hex(hex, &n);
    ck_assert_uint_eq(n, 32);
    ck_assert_int_eq(ed25519_key_from_seed(k, seed), 0);
    free(seed);
}

START_TEST(test_type4_exact_bytes)
{
    ed25519_key_t id, sign;
    key_from_hex(&id, SEED_ID);
    key_from_hex(&sign, SEED_SIGN);
    edcert_ext_t ext = edcert_ext_signed_with_key(id.pub);
    edcert_fields_t f = { .version = 1, .cert_type = 4, .exp_hours = 0x00079EC7,
                          .key_type = EDCERT_KEY_ED25519, .n_ext = 1, .ext = &ext };
    memcpy(f.certified_key, sign.pub, 32);
    bld_t b;
    bld_init(&b, 4096);
    ck_assert_int_eq(certsign_edcert(&b, &f, &id), 0);
    size_t wl;
    uint8_t *want = unit_hex(type4_hex, &wl);
    ck_assert_uint_eq(wl, 140);
    ck_assert_bytes_eq(b.buf, b.len, want, wl);

    edcert_t c;
    ck_assert_int_eq(edcert_parse(bld_span(&b), &c), WIRE_OK);
    ck_assert_uint_eq(c.version, 1);
    ck_assert_uint_eq(c.cert_type, 4);
    ck_assert_uint_eq(c.exp_hours, 0x00079EC7);
    ck_assert_uint_eq(c.key_type, 1);
    ck_assert_bytes_eq(c.certified_key, 32, sign.pub, 32);
    ck_assert_uint_eq(c.n_ext, 1);
    ck_assert_uint_eq(c.ext[0].type, 4);
    ck_assert_uint_eq(c.ext[0].flags, 0);
    ck_assert_bytes_eq(c.ext[0].data.p, c.ext[0].data.len, id.pub, 32);
    ck_assert(c.has_signing_key_ext);
    ck_assert_bytes_eq(c.signing_key, 32, id.pub, 32);
    ck_assert(!c.unknown_critical_ext && !c.duplicate_signing_key_ext);
    ck_assert_uint_eq(c.signed_part.len, 76);
    ck_assert_ptr_eq(c.signed_part.p, b.buf);
    ck_assert_int_eq(ed25519_verify(c.signing_key, c.signed_part, c.signature), 1);
    free(want);
    bld_free(&b);
    ed25519_key_free(&id);
    ed25519_key_free(&sign);
}
END_TEST

START_TEST(test_type5_exact_bytes)
{
    ed25519_key_t sign;
    key_from_hex(&sign, SEED_SIGN);
    static const char tls[] = "not really a certificate";
    edcert_fields_t f = { .version = 1, .cert_type = 5, .exp_hours = 0x00079C27,
                          .key_type = EDCERT_KEY_SHA256_X509 };
    ck_assert_int_eq(crypto_sha256(span_of(tls, strlen(tls)), f.certified_key), 0);
    bld_t b;
    bld_init(&b, 4096);
    ck_assert_int_eq(certsign_edcert(&b, &f, &sign), 0);
    size_t wl;
    uint8_t *want = unit_hex(type5_hex, &wl);
    ck_assert_uint_eq(wl, 104);
    ck_assert_bytes_eq(b.buf, b.len, want, wl);
    edcert_t c;
    ck_assert_int_eq(edcert_parse(bld_span(&b), &c), WIRE_OK);
    ck_assert_uint_eq(c.n_ext, 0);
    ck_assert(!c.has_signing_key_ext);
    ck_assert_int_eq(ed25519_verify(sign.pub, c.signed_part, c.signature), 1);
    free(want);
    bld_free(&b);
    ed25519_key_free(&sign);
}
END_TEST

/* Arbitrary extensions (types, flags, lengths incl. 0) survive build → parse. */
START_TEST(test_roundtrip_extensions)
{
    ed25519_key_t k;
    ck_assert_int_eq(ed25519_key_generate(&k), 0);
    static const uint8_t d1[3] = { 0xaa, 0xbb, 0xcc };
    static const uint8_t d3[300] = { 1 };
    edcert_ext_t ext[4] = {
        { 0x07, 0x00, span_of(d1, 3) },
        edcert_ext_signed_with_key(k.pub),
        { 0x80, 0xfe, span_of(NULL, 0) }, /* every flag but AFFECTS_VALIDATION */
        { 0x09, 0x00, span_of(d3, sizeof d3) },
    };
    edcert_fields_t f = { .version = 1, .cert_type = 6, .exp_hours = 0xfffffffe,
                          .key_type = 0x02, .n_ext = 4, .ext = ext };
    memset(f.certified_key, 0x5a, 32);
    bld_t b;
    bld_init(&b, 4096);
    ck_assert_int_eq(certsign_edcert(&b, &f, &k), 0);
    edcert_t c;
    ck_assert_int_eq(edcert_parse(bld_span(&b), &c), WIRE_OK);
    ck_assert_uint_eq(c.cert_type, 6);
    ck_assert_uint_eq(c.exp_hours, 0xfffffffe);
    ck_assert_uint_eq(c.key_type, 2);
    ck_assert_bytes_eq(c.certified_key, 32, f.certified_key, 32);
    ck_assert_uint_eq(c.n_ext, 4);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(c.ext[i].type, ext[i].type);
        ck_assert_uint_eq(c.ext[i].flags, ext[i].flags);
        ck_assert_bytes_eq(c.ext[i].data.p, c.ext[i].data.len, ext[i].data.p, ext[i].data.len);
    }
    ck_assert(c.has_signing_key_ext && !c.unknown_critical_ext && !c.duplicate_signing_key_ext);
    ck_assert_int_eq(ed25519_verify(k.pub, c.signed_part, c.signature), 1);

    /* Rebuilding from the parsed fields with the parsed signature gives the same bytes. */
    edcert_fields_t g = { .version = c.version, .cert_type = c.cert_type, .exp_hours = c.exp_hours,
                          .key_type = c.key_type, .n_ext = c.n_ext, .ext = c.ext };
    memcpy(g.certified_key, c.certified_key, 32);
    bld_t b2;
    bld_init(&b2, 4096);
    ck_assert_int_eq(edcert_build_with_signature(&b2, &g, c.signature), 0);
    ck_assert_bytes_eq(b2.buf, b2.len, b.buf, b.len);
    bld_free(&b2);
    bld_free(&b);
    ed25519_key_free(&k);
}
END_TEST

/* Every prefix is truncated and every extension is overlong: each parse sees an exactly sized
 * heap copy so ASan/valgrind catch a read past its end. */
static void check_every_prefix(const char *hex)
{
    size_t n;
    uint8_t *full = unit_hex(hex, &n);
    edcert_t c;
    for (size_t len = 0; len < n; len++) {
        uint8_t *p = malloc(len ? len : 1);
        memcpy(p, full, len);
        ck_assert_msg(edcert_parse(span_of(p, len), &c) == WIRE_TRUNCATED, "prefix %zu", len);
        free(p);
    }
    uint8_t *over = malloc(n + 1);
    memcpy(over, full, n);
    over[n] = 0;
    ck_assert_int_eq(edcert_parse(span_of(over, n + 1), &c), WIRE_TRAILING);
    ck_assert_int_eq(edcert_parse(span_of(over, n), &c), WIRE_OK);
    free(over);
    free(full);
}

START_TEST(test_truncation_every_offset)
{
    check_every_prefix(type4_hex);
    check_every_prefix(type5_hex);
}
END_TEST

START_TEST(test_rejects_bad_version)
{
    size_t n;
    uint8_t *p = unit_hex(type5_hex, &n);
    edcert_t c;
    static const uint8_t versions[] = { 0x00, 0x02, 0xff };
    for (size_t i = 0; i < sizeof versions; i++) {
        p[0] = versions[i];
        ck_assert_int_eq(edcert_parse(span_of(p, n), &c), WIRE_BAD_VALUE);
    }
    /* A lone wrong version byte is already refused, not "truncated". */
    ck_assert_int_eq(edcert_parse(span_of(p, 1), &c), WIRE_BAD_VALUE);
    free(p);
}
END_TEST

static wire_status_t parse_built(const edcert_ext_t *ext, size_t n_ext, edcert_t *c, bld_t *b)
{
    static const uint8_t sig[64];
    edcert_fields_t f = { .version = 1, .cert_type = 4, .exp_hours = 1, .key_type = 1,
                          .n_ext = n_ext, .ext = ext };
    bld_init(b, 8192);
    ck_assert_int_eq(edcert_build_with_signature(b, &f, sig), 0);
    return edcert_parse(bld_span(b), c);
}

START_TEST(test_extension_rules)
{
    static const uint8_t k1[33] = { 1 }, k2[32] = { 2 };
    edcert_t c;
    bld_t b;
    /* Signed-with-key must be exactly 32 bytes. */
    edcert_ext_t short_ext = { 4, 0, span_of(k1, 31) }, long_ext = { 4, 0, span_of(k1, 33) };
    ck_assert_int_eq(parse_built(&short_ext, 1, &c, &b), WIRE_BAD_VALUE);
    bld_free(&b);
    ck_assert_int_eq(parse_built(&long_ext, 1, &c, &b), WIRE_BAD_VALUE);
    bld_free(&b);
    /* Two signed-with-key extensions: parsed, flagged, first one kept. */
    edcert_ext_t two[2] = { edcert_ext_signed_with_key(k1), edcert_ext_signed_with_key(k2) };
    ck_assert_int_eq(parse_built(two, 2, &c, &b), WIRE_OK);
    ck_assert(c.duplicate_signing_key_ext && c.has_signing_key_ext);
    ck_assert_bytes_eq(c.signing_key, 32, k1, 32);
    bld_free(&b);
    /* Unknown extension: flagged only when AFFECTS_VALIDATION is set. */
    edcert_ext_t unk = { 0x42, 0x00, span_of(k2, 5) };
    ck_assert_int_eq(parse_built(&unk, 1, &c, &b), WIRE_OK);
    ck_assert(!c.unknown_critical_ext);
    bld_free(&b);
    unk.flags = EDCERT_EXT_FLAG_AFFECTS_VALIDATION;
    ck_assert_int_eq(parse_built(&unk, 1, &c, &b), WIRE_OK);
    ck_assert(c.unknown_critical_ext);
    bld_free(&b);
    /* The signed-with-key type is known: its flag does not make it "unknown critical". */
    edcert_ext_t crit_known = { 4, 1, span_of(k2, 32) };
    ck_assert_int_eq(parse_built(&crit_known, 1, &c, &b), WIRE_OK);
    ck_assert(!c.unknown_critical_ext && c.has_signing_key_ext);
    bld_free(&b);
    /* More extensions than kept. */
    edcert_ext_t many[EDCERT_MAX_EXTENSIONS + 1];
    for (size_t i = 0; i < HS_ARRAY_LEN(many); i++)
        many[i] = (edcert_ext_t){ 0x10, 0, span_of(NULL, 0) };
    ck_assert_int_eq(parse_built(many, HS_ARRAY_LEN(many), &c, &b), WIRE_TOO_MANY);
    bld_free(&b);
    ck_assert_int_eq(parse_built(many, EDCERT_MAX_EXTENSIONS, &c, &b), WIRE_OK);
    bld_free(&b);
}
END_TEST

START_TEST(test_caller_signature_and_expiry)
{
    ed25519_key_t k;
    ck_assert_int_eq(ed25519_key_generate(&k), 0);
    uint8_t bad[64];
    memset(bad, 0xa5, sizeof bad);
    edcert_fields_t f = { .version = 1, .cert_type = 5, .exp_hours = 500000, .key_type = 3 };
    bld_t b;
    bld_init(&b, 512);
    ck_assert_int_eq(edcert_build_with_signature(&b, &f, bad), 0);
    edcert_t c;
    ck_assert_int_eq(edcert_parse(bld_span(&b), &c), WIRE_OK);
    ck_assert_bytes_eq(c.signature, 64, bad, 64);
    ck_assert_int_eq(ed25519_verify(k.pub, c.signed_part, c.signature), 0);
    /* exp_hours*3600 < now means expired; equality is still valid (no slop either way). */
    ck_assert(!edcert_expired(&c, 500000LL * 3600));
    ck_assert(edcert_expired(&c, 500000LL * 3600 + 1));
    ck_assert(!edcert_expired(&c, 500000LL * 3600 - 100000));
    bld_free(&b);
    /* A builder that is already over its cap reports failure instead of writing. */
    bld_init(&b, 50);
    ck_assert_int_eq(certsign_edcert(&b, &f, &k), -1);
    bld_free(&b);
    ed25519_key_free(&k);
}
END_TEST

Suite *suite_edcert(void)
{
    Suite *s = suite_create("edcert");
    TCase *t = tcase_create("codec");
    tcase_add_test(t, test_type4_exact_bytes);
    tcase_add_test(t, test_type5_exact_bytes);
    tcase_add_test(t, test_roundtrip_extensions);
    tcase_add_test(t, test_truncation_every_offset);
    tcase_add_test(t, test_rejects_bad_version);
    tcase_add_test(t, test_extension_rules);
    tcase_add_test(t, test_caller_signature_and_expiry);
    suite_add_tcase(s, t);
    return s;
}
