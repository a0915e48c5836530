/* test_span.c — the bounded reader and the length-prefix builder. */
#include "unit.h"

#include "bytes_span.h"

START_TEST(reader_reads_big_endian_and_stops_at_end)
{
    const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
    span_t s = span_of(in, sizeof(in));
    uint8_t a;
    uint16_t b;
    uint32_t c;
    ck_assert(span_get_u8(&s, &a) && a == 0x01);
    ck_assert(span_get_u16(&s, &b) && b == 0x0203);
    ck_assert(span_get_u32(&s, &c) && c == 0x04050607);
    ck_assert(span_is_empty(&s));
    ck_assert(!span_get_u8(&s, &a));
}
END_TEST

START_TEST(failed_get_leaves_span_untouched)
{
    const uint8_t in[] = { 0xaa, 0xbb, 0xcc };
    span_t s = span_of(in, sizeof(in));
    uint32_t v;
    ck_assert(!span_get_u32(&s, &v));
    ck_assert_uint_eq(s.len, 3);
    ck_assert_ptr_eq(s.p, in);
    span_t child;
    ck_assert(!span_get_sub(&s, 4, &child));
    ck_assert_uint_eq(s.len, 3);
}
END_TEST

START_TEST(prefixed_child_must_fit)
{
    const uint8_t ok[] = { 0x00, 0x02, 0xde, 0xad, 0xff };
    span_t s = span_of(ok, sizeof(ok)), c;
    ck_assert(span_get_u16_prefixed(&s, &c));
    ck_assert_bytes_eq(c.p, c.len, "\xde\xad", 2);
    ck_assert_uint_eq(s.len, 1);
    const uint8_t overlong[] = { 0x00, 0x05, 0x01, 0x02 };
    s = span_of(overlong, sizeof(overlong));
    ck_assert(!span_get_u16_prefixed(&s, &c));
    ck_assert_uint_eq(s.len, 4);
    const uint8_t over8[] = { 0x03, 0x01 };
    s = span_of(over8, sizeof(over8));
    ck_assert(!span_get_u8_prefixed(&s, &c));
    const uint8_t lone[] = { 0x00 };
    s = span_of(lone, 1);
    ck_assert(!span_get_u16_prefixed(&s, &c)); /* half a prefix */
}
END_TEST

START_TEST(builder_backpatches_nested_prefixes)
{
    bld_t b;
    bld_init(&b, 64);
    bld_u8(&b, 0x11);
    bld_mark_t outer = bld_open_u16(&b);
    bld_u16(&b, 0x2233);
    bld_mark_t inner = bld_open_u8(&b);
    bld_bytes(&b, "abc", 3);
    bld_close(&b, inner);
    bld_close(&b, outer);
    ck_assert(bld_ok(&b));
    ck_assert_bytes_eq(b.buf, b.len, "\x11\x00\x06\x22\x33\x03" "abc", 9);
    bld_free(&b);
}
END_TEST

START_TEST(builder_cap_is_hard_and_sticky)
{
    bld_t b;
    bld_init(&b, 4);
    bld_u32(&b, 1);
    ck_assert(bld_ok(&b));
    bld_u8(&b, 2);
    ck_assert(!bld_ok(&b));
    ck_assert_uint_eq(b.len, 4);
    bld_u8(&b, 3); /* no-op after failure */
    ck_assert_uint_eq(b.len, 4);
    ck_assert_str_eq(b.why, "builder cap exceeded");
    bld_free(&b);
}
END_TEST

START_TEST(builder_refuses_overlong_child)
{
    bld_t b;
    bld_init(&b, 1024);
    bld_mark_t m = bld_open_u8(&b);
    bld_zeros(&b, 256);
    bld_close(&b, m);
    ck_assert(!bld_ok(&b));
    bld_free(&b);
}
END_TEST

Suite *suite_span(void)
{
    Suite *s = suite_create("bytes_span");
    TCase *t = tcase_create("core");
    tcase_add_test(t, reader_reads_big_endian_and_stops_at_end);
    tcase_add_test(t, failed_get_leaves_span_untouched);
    tcase_add_test(t, prefixed_child_must_fit);
    tcase_add_test(t, builder_backpatches_nested_prefixes);
    tcase_add_test(t, builder_cap_is_hard_and_sticky);
    tcase_add_test(t, builder_refuses_overlong_child);
    suite_add_tcase(s, t);
    return s;
}
