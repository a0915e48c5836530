/* test_relay_crypto.c — KDF-TOR, the relay cell crypto and the EXTEND2 codec.
 *
 * Expected bytes were computed independently with Python's hashlib and the cryptography
 * package (AES-128-CTR, IV 0), not with the engine.  tor itself is the other witness: the
 * e2e suite's relay acts on our EXTEND2 and its EXTENDED2 opens here. */
#include "unit.h"

#include "crypto_relay.h"
#include "wire_relay.h"

static void fixed_keys(relay_crypto_t *rc)
{
    uint8_t x[20], y[20], kh[20];
    for (int i = 0; i < 20; i++) {
        x[i] = (uint8_t)i;
        y[i] = (uint8_t)(20 + i);
    }
    size_t n;
    uint8_t *want_kh = unit_hex("ee4290b7cadc050642954479851159fd567f8cf3", &n);
    memcpy(kh, want_kh, 20);
    free(want_kh);
    bool ok = false;
    ck_assert_int_eq(relay_crypto_init_fast(rc, x, y, kh, &ok), 0);
    ck_assert(ok);
}

static void data_payload(uint8_t out[RELAY_PAYLOAD_LEN], const char *text)
{
    bld_t b;
    bld_init(&b, RELAY_PAYLOAD_LEN);
    relay_payload_build(&b, RELAY_CMD_DATA, 1, span_of(text, strlen(text)));
    ck_assert(bld_ok(&b));
    ck_assert_uint_eq(b.len, RELAY_PAYLOAD_LEN);
    memcpy(out, b.buf, RELAY_PAYLOAD_LEN);
    bld_free(&b);
}

START_TEST(test_kdf_tor_known_answer)
{
    uint8_t k0[40], out[92];
    for (int i = 0; i < 40; i++)
        k0[i] = (uint8_t)i;
    ck_assert_int_eq(crypto_kdf_tor(span_of(k0, 40), out, sizeof(out)), 0);
    size_t n;
    uint8_t *want = unit_hex("ee4290b7cadc050642954479851159fd567f8cf39e917161fbf90a6e0016f447"
                             "e7b0c384fea2312acdb67f371199aade028288f642c193300a48d9e169024d75"
                             "bc21fa80d52349328e7d0ce219337e74a980c2672535f15661c9aa31", &n);
    ck_assert_bytes_eq(out, sizeof(out), want, n);
    free(want);
}
END_TEST

START_TEST(test_seal_digest_and_counter_carry_across_cells)
{
    relay_crypto_t rc;
    fixed_keys(&rc);
    uint8_t p[RELAY_PAYLOAD_LEN];
    size_t n;
    data_payload(p, "hello");
    ck_assert_int_eq(relay_crypto_seal(&rc, p), 0);
    uint8_t *w = unit_hex("563039eaa45dc0b2cd490904296d29aa", &n);
    ck_assert_bytes_eq(p, 16, w, n);
    free(w);
    w = unit_hex("2e8963fd", &n);
    ck_assert_bytes_eq(p + RELAY_PAYLOAD_LEN - 4, 4, w, n);
    free(w);
    /* The second cell continues both the keystream and the running digest. */
    data_payload(p, "second cell");
    ck_assert_int_eq(relay_crypto_seal(&rc, p), 0);
    w = unit_hex("4da370df14586698cdc88e3a1ad05552", &n);
    ck_assert_bytes_eq(p, 16, w, n);
    free(w);
    w = unit_hex("99bb9015", &n);
    ck_assert_bytes_eq(p + RELAY_PAYLOAD_LEN - 4, 4, w, n);
    free(w);
    relay_crypto_free(&rc);
}
END_TEST

static const char backward_cell[] = "82ed1f1109be623397a6232a1dcf43377beb9b6564f2377bf8f2735e009ee0fd3cb4c06dc23b2ac4d994af744ec033a2ea36bbabd13fc9a969696c919ed518fa940c1913dd1305381e709770cd650233673a138cfd3cf6215d522ec83d2eb9c8ff8b10dab10489f1a2aefa4b5034b2239dc66a20ff4af417711e09dbf914fca8662fa15f717ae20ccf7239251e7a8c695d04422f211184dc8b3bd288c2ad5a5616aabcc1620d83ffbec36162bd4efc70ef583dbc9e8540ed28f2cd727a5ea972ea3c8f8d40dcfeb1c30c6b193a800a5b626b74fda1276326c9259c571a49def2bbf7798562970f5281e4b9c7debc4aed1c7c6f6a04681f6abda8db3bdc2ae71585c68cb0d0187e8cad34e4e3cf9e91f816289a2f3f348e62f03b4fda27bfd52b924dd65fb5a214370a3ea762e3f236905158c5661d29eb4df50e5c9bfa99bc4762ab3a2e263a1df5a38bfa9ed2e2de8b33d3eb1c0c46b542fe6dfc7a137937520efb8076f9798246007b58609e5f41ab5876f29db180fe6d461a06703f56e20fc700f8914356bae0c7fd1bc00dc41eb4fef853c495781408416e35719ca027656938db781736ecace99f91e4f6d6ba8a91ee287a68752f5ed6f532e83891c8392a58c37277bec52d14369dad85785829974f95ce1a2a6767063f3ba6556fd9181e6242a131826dfebc078bdc4d9edbeb531b0e9d6465e9f126af0f7c2c";

START_TEST(test_open_recognises_and_rejects_without_advancing)
{
    relay_crypto_t rc, rc2;
    fixed_keys(&rc);
    fixed_keys(&rc2);
    size_t n;
    uint8_t *c = unit_hex(backward_cell, &n);
    ck_assert_uint_eq(n, RELAY_PAYLOAD_LEN);
    uint8_t p[RELAY_PAYLOAD_LEN];
    bool rec = false;
    /* A flipped byte: decrypts, but the digest does not match: not recognised. */
    memcpy(p, c, n);
    p[20] ^= 1;
    ck_assert_int_eq(relay_crypto_open(&rc2, p, &rec), 0);
    ck_assert(!rec);
    /* The intact cell on a fresh state opens as EXTENDED2 with its data. */
    memcpy(p, c, n);
    ck_assert_int_eq(relay_crypto_open(&rc, p, &rec), 0);
    ck_assert(rec);
    relay_msg_t m;
    ck_assert_int_eq(relay_payload_parse(span_of(p, n), &m), WIRE_OK);
    ck_assert_uint_eq(m.cmd, RELAY_CMD_EXTENDED2);
    ck_assert_uint_eq(m.length, 66);
    span_t hdata;
    ck_assert_int_eq(created2_parse(m.data, &hdata), WIRE_OK);
    ck_assert_uint_eq(hdata.len, 64);
    free(c);
    relay_crypto_free(&rc);
    relay_crypto_free(&rc2);
}
END_TEST

START_TEST(test_extend2_roundtrip_and_caps)
{
    extend2_t e, back;
    memset(&e, 0, sizeof(e));
    const uint8_t ip[4] = { 127, 0, 0, 1 };
    uint8_t id[20], hd[84];
    memset(id, 0x11, sizeof(id));
    memset(hd, 0, sizeof(hd));
    link_spec_ipv4(&e.specs[e.n_specs++], ip, 9001);
    link_spec_bytes(&e.specs[e.n_specs++], LSPEC_LEGACY_ID, span_of(id, 20));
    e.htype = 2;
    e.hdata = span_of(hd, sizeof(hd));
    bld_t b;
    bld_init(&b, RELAY_DATA_MAX);
    extend2_build(&b, &e);
    ck_assert(bld_ok(&b));
    /* NSPEC 2 | 00 06 7f000001 2329 | 02 14 11×20 | 0002 0054 | 84 zero bytes */
    ck_assert_uint_eq(b.len, 1 + 8 + 22 + 4 + 84);
    ck_assert_uint_eq(b.buf[0], 2);
    ck_assert_uint_eq(b.buf[7], 0x23);
    ck_assert_uint_eq(b.buf[8], 0x29);
    ck_assert_int_eq(extend2_parse(bld_span(&b), &back), WIRE_OK);
    ck_assert_uint_eq(back.n_specs, 2);
    ck_assert_uint_eq(back.htype, 2);
    ck_assert_uint_eq(back.hdata.len, 84);
    /* Truncated HDATA and too many specifiers are refused, not read past. */
    ck_assert_int_eq(extend2_parse(span_of(b.buf, b.len - 1), &back), WIRE_TRUNCATED);
    uint8_t many[1] = { EXTEND2_CAP_SPECS + 1 };
    ck_assert_int_eq(extend2_parse(span_of(many, 1), &back), WIRE_TOO_MANY);
    bld_free(&b);
    /* Relay data longer than a cell holds fails the builder. */
    uint8_t big[RELAY_DATA_MAX + 1];
    memset(big, 0, sizeof(big));
    bld_init(&b, 1024);
    relay_payload_build(&b, RELAY_CMD_DATA, 0, span_of(big, sizeof(big)));
    ck_assert(!bld_ok(&b));
    bld_free(&b);
}
END_TEST

Suite *suite_relay_crypto(void)
{
    Suite *s = suite_create("relay_crypto");
    TCase *t = tcase_create("relay");
    tcase_add_test(t, test_kdf_tor_known_answer);
    tcase_add_test(t, test_seal_digest_and_counter_carry_across_cells);
    tcase_add_test(t, test_open_recognises_and_rejects_without_advancing);
    tcase_add_test(t, test_extend2_roundtrip_and_caps);
    suite_add_tcase(s, t);
    return s;
}
