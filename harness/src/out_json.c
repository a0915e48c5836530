/* out_json.c — see out_json.h. */
#include "out_json.h"

void json_init(json_out_t *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    j->need_comma[0] = false;
    j->pretty = false;
    j->inline_level[0] = false;
}

void json_init_pretty(json_out_t *j, FILE *f)
{
    json_init(j, f);
    j->pretty = true;
}

/* Pretty mode: a new line at the current depth before a member (or before a closing bracket,
 * one level out). */
static void json_newline(json_out_t *j, int depth)
{
    fputc('\n', j->f);
    for (int i = 0; i < depth; i++)
        fputs("  ", j->f);
}

static void json_escape(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void json_key(json_out_t *j, const char *key)
{
    if (j->need_comma[j->depth])
        fputc(',', j->f);
    if (j->pretty && j->depth > 0) {
        if (!j->inline_level[j->depth])
            json_newline(j, j->depth);
        else if (j->need_comma[j->depth])
            fputc(' ', j->f);
    }
    j->need_comma[j->depth] = true;
    if (key) {
        json_escape(j->f, key);
        fputs(j->pretty ? ": " : ":", j->f);
    }
}

static void json_open(json_out_t *j, const char *key, char c, bool inline_arr)
{
    json_key(j, key);
    fputc(c, j->f);
    if (j->depth + 1 < JSON_MAX_DEPTH)
        j->depth++;
    j->need_comma[j->depth] = false;
    j->inline_level[j->depth] = inline_arr || (j->depth > 1 && j->inline_level[j->depth - 1]);
}

static void json_close(json_out_t *j, char c)
{
    if (j->pretty && j->need_comma[j->depth] && !j->inline_level[j->depth])
        json_newline(j, j->depth - 1);
    fputc(c, j->f);
    if (j->depth > 0)
        j->depth--;
    if (j->depth == 0)
        fputc('\n', j->f);
}

void json_obj_begin(json_out_t *j, const char *key) { json_open(j, key, '{', false); }
void json_obj_end(json_out_t *j) { json_close(j, '}'); }
void json_arr_begin(json_out_t *j, const char *key) { json_open(j, key, '[', false); }
void json_arr_begin_inline(json_out_t *j, const char *key) { json_open(j, key, '[', true); }
void json_arr_end(json_out_t *j) { json_close(j, ']'); }

void json_str(json_out_t *j, const char *key, const char *v)
{
    json_key(j, key);
    if (v)
        json_escape(j->f, v);
    else
        fputs("null", j->f);
}

void json_int(json_out_t *j, const char *key, int64_t v)
{
    json_key(j, key);
    fprintf(j->f, "%lld", (long long)v);
}

void json_num(json_out_t *j, const char *key, double v)
{
    json_key(j, key);
    fprintf(j->f, "%.3f", v);
}

void json_bool(json_out_t *j, const char *key, bool v)
{
    json_key(j, key);
    fputs(v ? "true" : "false", j->f);
}

void json_null(json_out_t *j, const char *key)
{
    json_key(j, key);
    fputs("null", j->f);
}

void json_hex(json_out_t *j, const char *key, const uint8_t *p, size_t n)
{
    json_key(j, key);
    fputc('"', j->f);
    for (size_t i = 0; i < n; i++)
        fprintf(j->f, "%02x", p[i]);
    fputc('"', j->f);
}
