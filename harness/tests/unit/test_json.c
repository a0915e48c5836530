/* test_json.c — the bounded JSON reader (bytes_json) and the pretty writer (out_json) the
 * vector files depend on: exact output, round trips, and every refusal a hostile file can
 * provoke. */
#include "unit.h"

#include "bytes_json.h"
#include "out_json.h"

static int parse(const char *text, jdoc_t *d, char *err)
{
    return jdoc_parse(d, span_of(text, strlen(text)), err, 200);
}

START_TEST(test_reader_values)
{
    const char *text = "{\"a\": [1, -2, 9223372036854775807, -9223372036854775808, 1.5, 1e3],\n"
                       " \"s\": \"x\\u00e9\\ud83d\\ude00\\n\\\"\", \"t\": true, \"f\": false, \"n\": null,\n"
                       " \"h\": \"00ff10\", \"o\": {}}";
    jdoc_t d;
    char err[200];
    ck_assert_msg(parse(text, &d, err) == 0, "%s", err);
    const jv_t *root = jdoc_root(&d), *a = jv_get(&d, root, "a");
    ck_assert_uint_eq(a->n, 6);
    int64_t v;
    ck_assert(jv_int(jv_at(&d, a, 0), &v) && v == 1);
    ck_assert(jv_int(jv_at(&d, a, 1), &v) && v == -2);
    ck_assert(jv_int(jv_at(&d, a, 2), &v) && v == INT64_MAX);
    ck_assert(jv_int(jv_at(&d, a, 3), &v) && v == INT64_MIN);
    ck_assert(!jv_int(jv_at(&d, a, 4), &v)); /* a number, not an integer */
    ck_assert(!jv_int(jv_at(&d, a, 5), &v));
    ck_assert_ptr_null(jv_at(&d, a, 6));
    ck_assert_str_eq(jv_str(jv_get(&d, root, "s")), "x\xc3\xa9\xf0\x9f\x98\x80\n\"");
    bool b;
    ck_assert(jv_bool(jv_get(&d, root, "t"), &b) && b);
    ck_assert(jv_bool(jv_get(&d, root, "f"), &b) && !b);
    ck_assert_int_eq(jv_get(&d, root, "n")->kind, JV_NULL);
    ck_assert_ptr_null(jv_get(&d, root, "missing"));
    ck_assert_int_eq(jv_get(&d, root, "o")->kind, JV_OBJ);
    bld_t h;
    bld_init(&h, 16);
    ck_assert(jv_hex(jv_get(&d, root, "h"), &h));
    ck_assert_bytes_eq(h.buf, h.len, "\x00\xff\x10", 3);
    bld_reset(&h);
    ck_assert(!jv_hex(jv_get(&d, root, "s"), &h)); /* not hex */
    bld_free(&h);
    jdoc_free(&d);
}
END_TEST

START_TEST(test_reader_refusals)
{
    static const struct { const char *text, *why; } bad[] = {
        { "", "unexpected end" },
        { "{\"a\": 1,}", "expected a string" },
        { "{\"a\": 1, \"a\": 2}", "duplicate member" },
        { "[1 2]", "expected ','" },
        { "{} x", "text after the document" },
        { "\"\\x\"", "bad escape" },
        { "\"\\u0000\"", "\\u0000" },
        { "\"\\udc00\"", "lone low surrogate" },
        { "\"\\ud800x\"", "unpaired high surrogate" },
        { "\"a\nb\"", "control character" },
        { "\"abc", "unterminated string" },
        { "01", "leading zero" },
        { "-", "bad number" },
        { "1.", "bad fraction" },
        { "1e", "bad exponent" },
        { "tru", "unexpected character" },
        { "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "nested deeper" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        jdoc_t d;
        char err[200] = "";
        ck_assert_msg(parse(bad[i].text, &d, err) != 0, "accepted: %s", bad[i].text);
        ck_assert_msg(strstr(err, bad[i].why) != NULL, "%s: got \"%s\", want \"%s\"", bad[i].text, err,
                      bad[i].why);
        ck_assert_ptr_null(d.v); /* nothing to free */
    }
    /* The line number is where the problem is. */
    jdoc_t d;
    char err[200];
    ck_assert(parse("{\n\"a\": 1,\n\"a\": 2}", &d, err) != 0);
    ck_assert_msg(!strncmp(err, "line 3:", 7), "%s", err);
}
END_TEST

START_TEST(test_pretty_writer_exact)
{
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    json_out_t j;
    json_init_pretty(&j, f);
    json_obj_begin(&j, NULL);
    json_str(&j, "id", "x\"y");
    json_arr_begin_inline(&j, "v");
    json_int(&j, NULL, 3);
    json_int(&j, NULL, 4);
    json_arr_end(&j);
    json_arr_begin(&j, "list");
    json_obj_begin(&j, NULL);
    json_hex(&j, "h", (const uint8_t *)"\x01\xab", 2);
    json_obj_end(&j);
    json_arr_end(&j);
    json_arr_begin(&j, "empty");
    json_arr_end(&j);
    json_obj_begin(&j, "o");
    json_bool(&j, "b", true);
    json_null(&j, "n");
    json_obj_end(&j);
    json_obj_end(&j);
    fclose(f);
    ck_assert_str_eq(mem, "{\n"
                          "  \"id\": \"x\\\"y\",\n"
                          "  \"v\": [3, 4],\n"
                          "  \"list\": [\n"
                          "    {\n"
                          "      \"h\": \"01ab\"\n"
                          "    }\n"
                          "  ],\n"
                          "  \"empty\": [],\n"
                          "  \"o\": {\n"
                          "    \"b\": true,\n"
                          "    \"n\": null\n"
                          "  }\n"
                          "}\n");
    /* And the reader takes it back. */
    jdoc_t d;
    char err[200];
    ck_assert_msg(jdoc_parse(&d, span_of(mem, len), err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(jv_str(jv_get(&d, jdoc_root(&d), "id")), "x\"y");
    jdoc_free(&d);
    free(mem);
}
END_TEST

START_TEST(test_compact_writer_unchanged)
{
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    json_out_t j;
    json_init(&j, f);
    json_obj_begin(&j, NULL);
    json_int(&j, "a", 1);
    json_arr_begin_inline(&j, "v");
    json_int(&j, NULL, 2);
    json_int(&j, NULL, 3);
    json_arr_end(&j);
    json_obj_end(&j);
    fclose(f);
    ck_assert_str_eq(mem, "{\"a\":1,\"v\":[2,3]}\n");
    free(mem);
}
END_TEST

Suite *suite_json(void)
{
    Suite *s = suite_create("json");
    TCase *t = tcase_create("reader_writer");
    tcase_add_test(t, test_reader_values);
    tcase_add_test(t, test_reader_refusals);
    tcase_add_test(t, test_pretty_writer_exact);
    tcase_add_test(t, test_compact_writer_unchanged);
    suite_add_tcase(s, t);
    return s;
}
