/* bytes_span.c — see bytes_span.h. */
#include "bytes_span.h"

#include <stdlib.h>
#include <string.h>

bool span_get_u8(span_t *s, uint8_t *out)
{
    if (s->len < 1)
        return false;
    *out = s->p[0];
    s->p += 1;
    s->len -= 1;
    return true;
}

bool span_peek_u8(const span_t *s, size_t off, uint8_t *out)
{
    if (off >= s->len)
        return false;
    *out = s->p[off];
    return true;
}

bool span_peek_u16(const span_t *s, size_t off, uint16_t *out)
{
    if (off > s->len || s->len - off < 2)
        return false;
    *out = (uint16_t)((s->p[off] << 8) | s->p[off + 1]);
    return true;
}

bool span_peek_u32(const span_t *s, size_t off, uint32_t *out)
{
    if (off > s->len || s->len - off < 4)
        return false;
    *out = ((uint32_t)s->p[off] << 24) | ((uint32_t)s->p[off + 1] << 16) |
           ((uint32_t)s->p[off + 2] << 8) | (uint32_t)s->p[off + 3];
    return true;
}

bool span_get_u16(span_t *s, uint16_t *out)
{
    if (!span_peek_u16(s, 0, out))
        return false;
    s->p += 2;
    s->len -= 2;
    return true;
}

bool span_get_u32(span_t *s, uint32_t *out)
{
    if (!span_peek_u32(s, 0, out))
        return false;
    s->p += 4;
    s->len -= 4;
    return true;
}

bool span_get_sub(span_t *s, size_t n, span_t *child)
{
    if (n > s->len)
        return false;
    child->p = s->p;
    child->len = n;
    s->p += n;
    s->len -= n;
    return true;
}

bool span_copy(span_t *s, void *out, size_t n)
{
    span_t c;
    if (!span_get_sub(s, n, &c))
        return false;
    if (n)
        memcpy(out, c.p, n);
    return true;
}

bool span_skip(span_t *s, size_t n)
{
    span_t c;
    return span_get_sub(s, n, &c);
}

bool span_get_u8_prefixed(span_t *s, span_t *child)
{
    uint8_t n;
    if (!span_peek_u8(s, 0, &n) || s->len - 1 < n)
        return false;
    s->p += 1;
    s->len -= 1;
    return span_get_sub(s, n, child);
}

bool span_get_u16_prefixed(span_t *s, span_t *child)
{
    uint16_t n;
    if (!span_peek_u16(s, 0, &n) || s->len - 2 < n)
        return false;
    s->p += 2;
    s->len -= 2;
    return span_get_sub(s, n, child);
}

/* ---- builder ---- */

void bld_init(bld_t *b, size_t cap)
{
    memset(b, 0, sizeof(*b));
    b->cap = cap;
}

void bld_free(bld_t *b)
{
    free(b->buf);
    memset(b, 0, sizeof(*b));
}

void bld_reset(bld_t *b)
{
    b->len = 0;
    b->failed = false;
    b->why = NULL;
}

void bld_fail(bld_t *b, const char *why)
{
    if (!b->failed) {
        b->failed = true;
        b->why = why;
    }
}

uint8_t *bld_reserve(bld_t *b, size_t n)
{
    if (b->failed)
        return NULL;
    if (n > b->cap || b->len > b->cap - n) {
        bld_fail(b, "builder cap exceeded");
        return NULL;
    }
    size_t need = b->len + n;
    if (need > b->alloc) {
        size_t na = b->alloc ? b->alloc : 64;
        while (na < need)
            na = (na > b->cap / 2) ? b->cap : na * 2;
        if (na < need)
            na = need;
        uint8_t *nb = realloc(b->buf, na);
        if (!nb) {
            bld_fail(b, "out of memory");
            return NULL;
        }
        b->buf = nb;
        b->alloc = na;
    }
    uint8_t *at = b->buf + b->len;
    b->len = need;
    return at;
}

void bld_bytes(bld_t *b, const void *p, size_t n)
{
    uint8_t *at = bld_reserve(b, n);
    if (at && n)
        memcpy(at, p, n);
}

void bld_zeros(bld_t *b, size_t n)
{
    uint8_t *at = bld_reserve(b, n);
    if (at && n)
        memset(at, 0, n);
}

void bld_u8(bld_t *b, uint8_t v) { bld_bytes(b, &v, 1); }

void bld_u16(bld_t *b, uint16_t v)
{
    uint8_t t[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    bld_bytes(b, t, 2);
}

void bld_u32(bld_t *b, uint32_t v)
{
    uint8_t t[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    bld_bytes(b, t, 4);
}

static bld_mark_t bld_open(bld_t *b, uint8_t width)
{
    bld_mark_t m = { b->len, width };
    bld_zeros(b, width);
    return m;
}

bld_mark_t bld_open_u8(bld_t *b) { return bld_open(b, 1); }
bld_mark_t bld_open_u16(bld_t *b) { return bld_open(b, 2); }
bld_mark_t bld_open_u32(bld_t *b) { return bld_open(b, 4); }

void bld_close(bld_t *b, bld_mark_t m)
{
    if (b->failed)
        return;
    if (m.at + m.width > b->len) {
        bld_fail(b, "length prefix closed out of order");
        return;
    }
    size_t n = b->len - m.at - m.width;
    uint64_t max = m.width == 1 ? 0xffu : m.width == 2 ? 0xffffu : 0xffffffffu;
    if (n > max) {
        bld_fail(b, "child too long for its length prefix");
        return;
    }
    for (unsigned i = 0; i < m.width; i++)
        b->buf[m.at + i] = (uint8_t)(n >> (8 * (m.width - 1 - i)));
}
