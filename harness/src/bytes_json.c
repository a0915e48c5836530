/* bytes_json.c — see bytes_json.h.  Recursive descent, one byte of lookahead; every read goes
 * through the span reader's peek/skip, so nothing indexes past the input. */
#include "bytes_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Members of one object: duplicate detection is quadratic, so the count is capped too. */
#define JSON_CAP_MEMBERS 4096u

typedef struct jp {
    span_t s;
    uint32_t line;
    jdoc_t *d;
    char *err;
    size_t errlen;
    bool failed;
} jp_t;

static int jp_fail(jp_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int jp_fail(jp_t *p, const char *fmt, ...)
{
    if (!p->failed) {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(p->err, p->errlen, "line %u: %s", p->line, msg);
        p->failed = true;
    }
    return -1;
}

static bool jp_peek(const jp_t *p, uint8_t *c) { return span_peek_u8(&p->s, 0, c); }

static void jp_ws(jp_t *p)
{
    uint8_t c;
    while (jp_peek(p, &c) && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
        if (c == '\n')
            p->line++;
        if (!span_skip(&p->s, 1))
            return;
    }
}

static bool jp_take(jp_t *p, uint8_t want)
{
    uint8_t c;
    return jp_peek(p, &c) && c == want && span_skip(&p->s, 1);
}

/* Appends a node and returns its index, or -1 at the cap / on allocation failure. */
static int64_t jp_node(jp_t *p, jv_kind_t kind)
{
    jdoc_t *d = p->d;
    if (d->n == JSON_CAP_NODES)
        return jp_fail(p, "more than %u values", JSON_CAP_NODES);
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        if (cap > JSON_CAP_NODES)
            cap = JSON_CAP_NODES;
        jv_t *v = realloc(d->v, cap * sizeof *v);
        if (!v)
            return jp_fail(p, "out of memory");
        d->v = v;
        d->cap = cap;
    }
    memset(&d->v[d->n], 0, sizeof d->v[d->n]);
    d->v[d->n].kind = kind;
    d->v[d->n].line = p->line;
    return (int64_t)d->n++;
}

static int jp_hex4(jp_t *p, uint32_t *out)
{
    *out = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c;
        if (!span_get_u8(&p->s, &c))
            return jp_fail(p, "unterminated \\u escape");
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0)
            return jp_fail(p, "bad \\u escape");
        *out = *out << 4 | (uint32_t)v;
    }
    return 0;
}

/* Writes one code point as UTF-8 into the arena (room is guaranteed by its sizing: an escape
 * is never shorter than its encoding). */
static void jp_put_utf8(jdoc_t *d, uint32_t cp)
{
    char *o = d->arena + d->arena_len;
    if (cp < 0x80) {
        o[0] = (char)cp;
        d->arena_len += 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        d->arena_len += 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        d->arena_len += 3;
    } else {
        o[0] = (char)(0xf0 | cp >> 18);
        o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[3] = (char)(0x80 | (cp & 0x3f));
        d->arena_len += 4;
    }
}

/* Parses a string (the opening quote is next) into the arena; *out points at it. */
static int jp_string(jp_t *p, const char **out, size_t *len)
{
    jdoc_t *d = p->d;
    if (!jp_take(p, '"'))
        return jp_fail(p, "expected a string");
    size_t start = d->arena_len;
    for (;;) {
        uint8_t c;
        if (!span_get_u8(&p->s, &c))
            return jp_fail(p, "unterminated string");
        if (c == '"')
            break;
        if (c < 0x20)
            return jp_fail(p, "control character in a string");
        if (c != '\\') {
            d->arena[d->arena_len++] = (char)c;
            continue;
        }
        if (!span_get_u8(&p->s, &c))
            return jp_fail(p, "unterminated escape");
        static const char simple_in[] = "\"\\/bfnrt", simple_out[] = "\"\\/\b\f\n\r\t";
        const char *hit = c ? strchr(simple_in, c) : NULL;
        if (hit) {
            d->arena[d->arena_len++] = simple_out[hit - simple_in];
            continue;
        }
        if (c != 'u')
            return jp_fail(p, "bad escape \\%c", c >= 0x20 && c < 0x7f ? c : '?');
        uint32_t cp, lo;
        if (jp_hex4(p, &cp) != 0)
            return -1;
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return jp_fail(p, "lone low surrogate");
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (!jp_take(p, '\\') || !jp_take(p, 'u') || jp_hex4(p, &lo) != 0 || lo < 0xdc00 ||
                lo > 0xdfff)
                return jp_fail(p, "unpaired high surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (cp == 0)
            return jp_fail(p, "\\u0000 in a string");
        jp_put_utf8(d, cp);
    }
    d->arena[d->arena_len++] = 0;
    *out = d->arena + start;
    *len = d->arena_len - start - 1;
    return 0;
}

static bool jp_digit(const jp_t *p)
{
    uint8_t c;
    return jp_peek(p, &c) && c >= '0' && c <= '9';
}

static int jp_number(jp_t *p, jv_t *v)
{
    bool neg = jp_take(p, '-');
    uint8_t c;
    if (!jp_digit(p))
        return jp_fail(p, "bad number");
    bool fits = true;
    uint64_t mag = 0;
    bool leading_zero = jp_peek(p, &c) && c == '0';
    while (jp_peek(p, &c) && c >= '0' && c <= '9') {
        if (mag > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
            fits = false;
        else
            mag = mag * 10 + (uint64_t)(c - '0');
        if (!span_skip(&p->s, 1))
            return jp_fail(p, "bad number");
        if (leading_zero && jp_digit(p))
            return jp_fail(p, "leading zero in a number");
    }
    bool integral = true;
    if (jp_take(p, '.')) {
        integral = false;
        if (!jp_digit(p))
            return jp_fail(p, "bad fraction");
        while (jp_digit(p))
            if (!span_skip(&p->s, 1))
                return jp_fail(p, "bad number");
    }
    if (jp_peek(p, &c) && (c == 'e' || c == 'E')) {
        integral = false;
        if (!span_skip(&p->s, 1))
            return jp_fail(p, "bad number");
        if (!jp_take(p, '+'))
            (void)jp_take(p, '-');
        if (!jp_digit(p))
            return jp_fail(p, "bad exponent");
        while (jp_digit(p))
            if (!span_skip(&p->s, 1))
                return jp_fail(p, "bad number");
    }
    if (integral && fits && (neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX)) {
        v->is_int = true;
        v->i = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
    }
    return 0;
}

static bool jp_literal(jp_t *p, const char *word)
{
    size_t n = strlen(word);
    if (p->s.len < n || memcmp(p->s.p, word, n) != 0)
        return false;
    return span_skip(&p->s, n);
}

static int64_t jp_value(jp_t *p, unsigned depth);

/* Members (objects) or elements (arrays) up to the closing bracket. */
static int jp_children(jp_t *p, int64_t self, bool object, unsigned depth)
{
    uint8_t close = object ? '}' : ']';
    jp_ws(p);
    if (jp_take(p, close))
        return 0;
    int64_t last = -1;
    for (;;) {
        const char *key = NULL;
        size_t klen = 0;
        jp_ws(p);
        if (object) {
            if (jp_string(p, &key, &klen) != 0)
                return -1;
            jp_ws(p);
            if (!jp_take(p, ':'))
                return jp_fail(p, "expected ':' after a member name");
            if (p->d->v[self].n == JSON_CAP_MEMBERS)
                return jp_fail(p, "more than %u members in one object", JSON_CAP_MEMBERS);
            for (uint32_t k = p->d->v[self].first; k; k = p->d->v[k].next)
                if (strcmp(p->d->v[k].key, key) == 0)
                    return jp_fail(p, "duplicate member \"%s\"", key);
        }
        int64_t child = jp_value(p, depth + 1);
        if (child < 0)
            return -1;
        jv_t *v = p->d->v; /* may have moved */
        v[child].key = key;
        if (last < 0)
            v[self].first = (uint32_t)child;
        else
            v[last].next = (uint32_t)child;
        v[self].n++;
        last = child;
        jp_ws(p);
        if (jp_take(p, close))
            return 0;
        if (!jp_take(p, ','))
            return jp_fail(p, "expected ',' or '%c'", close);
    }
}

static int64_t jp_value(jp_t *p, unsigned depth)
{
    if (depth > JSON_CAP_DEPTH)
        return jp_fail(p, "nested deeper than %u", JSON_CAP_DEPTH);
    jp_ws(p);
    uint8_t c;
    if (!jp_peek(p, &c))
        return jp_fail(p, "unexpected end of input");
    int64_t self;
    if (c == '{' || c == '[') {
        if ((self = jp_node(p, c == '{' ? JV_OBJ : JV_ARR)) < 0 || !span_skip(&p->s, 1))
            return -1;
        return jp_children(p, self, c == '{', depth) == 0 ? self : -1;
    }
    if (c == '"') {
        if ((self = jp_node(p, JV_STR)) < 0)
            return -1;
        const char *s;
        size_t n;
        if (jp_string(p, &s, &n) != 0)
            return -1;
        p->d->v[self].str = s;
        p->d->v[self].str_len = n;
        return self;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        if ((self = jp_node(p, JV_NUM)) < 0)
            return -1;
        jv_t tmp = p->d->v[self];
        if (jp_number(p, &tmp) != 0)
            return -1;
        p->d->v[self] = tmp;
        return self;
    }
    if (jp_literal(p, "true") || jp_literal(p, "false")) {
        if ((self = jp_node(p, JV_BOOL)) < 0)
            return -1;
        p->d->v[self].b = c == 't';
        return self;
    }
    if (jp_literal(p, "null"))
        return jp_node(p, JV_NULL);
    return jp_fail(p, "unexpected character '%c'", c >= 0x20 && c < 0x7f ? c : '?');
}

int jdoc_parse(jdoc_t *d, span_t text, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    if (text.len > JSON_CAP_INPUT) {
        snprintf(err, errlen, "larger than %u bytes", JSON_CAP_INPUT);
        return -1;
    }
    /* Decoded strings plus their NULs never outgrow the input (see jp_put_utf8). */
    d->arena_cap = text.len + 1;
    d->arena = malloc(d->arena_cap);
    if (!d->arena) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    jp_t p = { .s = text, .line = 1, .d = d, .err = err, .errlen = errlen };
    int64_t root = jp_value(&p, 0);
    if (root >= 0) {
        jp_ws(&p);
        if (!span_is_empty(&p.s))
            root = jp_fail(&p, "text after the document");
    }
    if (root < 0) {
        jdoc_free(d);
        return -1;
    }
    return 0;
}

void jdoc_free(jdoc_t *d)
{
    free(d->v);
    free(d->arena);
    memset(d, 0, sizeof *d);
}

const jv_t *jv_get(const jdoc_t *d, const jv_t *obj, const char *key)
{
    if (!obj || obj->kind != JV_OBJ)
        return NULL;
    for (uint32_t k = obj->first; k; k = d->v[k].next)
        if (strcmp(d->v[k].key, key) == 0)
            return &d->v[k];
    return NULL;
}

const jv_t *jv_at(const jdoc_t *d, const jv_t *arr, size_t i)
{
    if (!arr || (arr->kind != JV_ARR && arr->kind != JV_OBJ) || i >= arr->n)
        return NULL;
    uint32_t k = arr->first;
    while (i--)
        k = d->v[k].next;
    return &d->v[k];
}

const jv_t *jv_next(const jdoc_t *d, const jv_t *v)
{
    return v && v->next ? &d->v[v->next] : NULL;
}

bool jv_int(const jv_t *v, int64_t *out)
{
    if (!v || v->kind != JV_NUM || !v->is_int)
        return false;
    *out = v->i;
    return true;
}

bool jv_bool(const jv_t *v, bool *out)
{
    if (!v || v->kind != JV_BOOL)
        return false;
    *out = v->b;
    return true;
}

const char *jv_str(const jv_t *v) { return v && v->kind == JV_STR ? v->str : NULL; }

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

bool jv_hex(const jv_t *v, bld_t *out)
{
    if (!v || v->kind != JV_STR || v->str_len % 2)
        return false;
    for (size_t i = 0; i < v->str_len; i += 2) {
        int hi = hexval(v->str[i]), lo = hexval(v->str[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        bld_u8(out, (uint8_t)(hi << 4 | lo));
    }
    return bld_ok(out);
}
