/* test_tlshello.c — the ClientHello parser (wire_tlshello.h) on a tor client's real hello.
 *
 * The bytes are the first record a tor 0.4.9.11 client (Debian, OpenSSL 3.0) sent to the
 * harness's listener, from a loopback capture: the fingerprint tor-link.md §4.3 describes.
 * Its padding extension (type 21) holds 203 zero bytes, appended here rather than spelled. */
#include "unit.h"

#include "wire_tlshello.h"

/* Everything up to and including the padding extension's header (00 15 00 cb). */
static const char k_tor_hello_head[] =
    "1603010200010001fc0303cae43e8e1188fde633dd36cff5e2e1caf56ac0b2ceb3b9100fbd48d1ac4d643a20"
    "aa2180dfc1b294de1be5c1492642a98a0413ba7aed92322b2e6a0920dfec44970024130113031302c02bc02f"
    "cca9cca8c02cc030c00ac009c013c014009c009d002f003500ff0100018f00000014001200000f7777772e36"
    "6778686234732e636f6d000b000403000102000a000800060017001d0015002300000016000000170000000d"
    "002a0028040305030603080708080809080a080b080408050806040105010601030303010302040205020602"
    "002b00050403040303002d000201010033004700450017004104162e4283205946577ce93582e3bf76547c41"
    "097d08b4ccbfccba323e7dd74e5f7e05cfe2465a4387bbe810000c21bfeb5e84a6ad7b42c50d6a08a131170d"
    "895d001500cb";
#define TOR_HELLO_PADDING 203u

static uint8_t *tor_hello(size_t *len)
{
    size_t n;
    uint8_t *head = unit_hex(k_tor_hello_head, &n);
    uint8_t *all = calloc(1, n + TOR_HELLO_PADDING);
    ck_assert_ptr_nonnull(all);
    memcpy(all, head, n);
    free(head);
    *len = n + TOR_HELLO_PADDING;
    return all;
}

static void check_tor_hello(const tls_client_hello_t *h)
{
    static const uint16_t suites[] = { 0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9,
                                       0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009, 0xc013,
                                       0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0x00ff };
    static const uint16_t exts[] = { 0, 11, 10, 35, 22, 23, 13, 43, 45, 51, 21 };
    static const uint16_t groups[] = { 0x0017, 0x001d, 0x0015 };
    static const uint16_t versions[] = { 0x0304, 0x0303 };
    ck_assert_uint_eq(h->record_version, 0x0301);
    ck_assert_uint_eq(h->legacy_version, 0x0303);
    ck_assert_uint_eq(h->body_len, 508);
    ck_assert_uint_eq(h->session_id_len, 32);
    ck_assert_uint_eq(h->n_compressions, 1);
    ck_assert_bytes_eq(h->suites, h->n_suites * 2, suites, sizeof(suites));
    ck_assert_bytes_eq(h->ext_types, h->n_exts * 2, exts, sizeof(exts));
    ck_assert_bytes_eq(h->groups, h->n_groups * 2, groups, sizeof(groups));
    ck_assert_uint_eq(h->n_key_shares, 1);
    ck_assert_uint_eq(h->key_shares[0], 0x0017);
    ck_assert_bytes_eq(h->versions, h->n_versions * 2, versions, sizeof(versions));
    ck_assert(h->has_sni);
    ck_assert_str_eq(h->sni, "www.6gxhb4s.com");
}

START_TEST(tor_client_hello_parses)
{
    size_t n;
    uint8_t *b = tor_hello(&n);
    ck_assert_uint_eq(n, 517);
    tls_client_hello_t h;
    ck_assert_int_eq(tls_client_hello_from_stream(span_of(b, n), &h), WIRE_OK);
    check_tor_hello(&h);
    char sum[600];
    tls_client_hello_summary(&h, sum, sizeof(sum));
    ck_assert_msg(strstr(sum, "exts 0,11,10,35,22,23,13,43,45,51,21") != NULL, "%s", sum);
    ck_assert_msg(strstr(sum, "sni www.6gxhb4s.com") != NULL, "%s", sum);
    free(b);
}
END_TEST

/* The same hello split over two handshake records at every possible point. */
START_TEST(reassembled_across_records)
{
    size_t n;
    uint8_t *b = tor_hello(&n);
    size_t frag = n - 5;
    uint8_t *two = malloc(n + 5);
    ck_assert_ptr_nonnull(two);
    for (size_t cut = 1; cut < frag; cut++) {
        memcpy(two, b, 5);
        two[3] = (uint8_t)(cut >> 8);
        two[4] = (uint8_t)cut;
        memcpy(two + 5, b + 5, cut);
        uint8_t *r2 = two + 5 + cut;
        r2[0] = 22;
        r2[1] = 3;
        r2[2] = 3; /* a different record version: the first record's is the one reported */
        r2[3] = (uint8_t)((frag - cut) >> 8);
        r2[4] = (uint8_t)(frag - cut);
        memcpy(r2 + 5, b + 5 + cut, frag - cut);
        tls_client_hello_t h;
        ck_assert_msg(tls_client_hello_from_stream(span_of(two, n + 5), &h) == WIRE_OK,
                      "cut at %zu", cut);
        check_tor_hello(&h);
    }
    free(two);
    free(b);
}
END_TEST

START_TEST(refusals)
{
    size_t n;
    uint8_t *b = tor_hello(&n);
    tls_client_hello_t h;
    /* The stream ends inside the record: more is needed, nothing is wrong yet. */
    ck_assert_int_eq(tls_client_hello_from_stream(span_of(b, 300), &h), WIRE_TRUNCATED);
    ck_assert_int_eq(tls_client_hello_from_stream(span_of(b, 0), &h), WIRE_TRUNCATED);
    /* A handshake message that is not a ClientHello. */
    b[5] = 2;
    ck_assert_int_eq(tls_client_hello_from_stream(span_of(b, n), &h), WIRE_BAD_VALUE);
    b[5] = 1;
    /* An alert record first. */
    b[0] = 21;
    ck_assert_int_eq(tls_client_hello_from_stream(span_of(b, n), &h), WIRE_BAD_VALUE);
    b[0] = 22;
    /* An extension block one byte longer than the body: truncated inside the hello. */
    /* record header, message header, version, random, session id, suites, compression */
    size_t ext_len_off = 5 + 4 + 2 + 32 + 1 + 32 + 2 + 36 + 1 + 1;
    ck_assert_uint_eq(b[ext_len_off] << 8 | b[ext_len_off + 1], 399);
    b[ext_len_off + 1] = (uint8_t)(399 + 1 - 256);
    ck_assert_int_eq(tls_client_hello_from_stream(span_of(b, n), &h), WIRE_TRUNCATED);
    free(b);
}
END_TEST

Suite *suite_tlshello(void)
{
    Suite *s = suite_create("tlshello");
    TCase *t = tcase_create("client_hello");
    tcase_add_test(t, tor_client_hello_parses);
    tcase_add_test(t, reassembled_across_records);
    tcase_add_test(t, refusals);
    suite_add_tcase(s, t);
    return s;
}
