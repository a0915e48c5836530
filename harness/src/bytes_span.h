/* bytes_span.h — bounded reader and length-prefix builder: the only code in the engine that
 * touches raw wire bytes by index.
 *
 * Reader: a read-only span {p, len}.  Every getter either consumes exactly what it says and
 * returns true, or leaves the span untouched and returns false; nothing ever reads past p+len.
 * A length-prefixed child must be consumed exactly by its parser (span_is_empty at the end).
 *
 * Builder: a heap buffer that grows up to a hard cap fixed at init.  Errors (cap exceeded,
 * length prefix overflow, allocation failure) are sticky: after the first one every call is a
 * no-op and bld_finish/bld_ok report the failure, so building code reads straight through and
 * checks once.  Length-prefixed children are opened with bld_open_uN and back-patched by
 * bld_close, which refuses a length that does not fit the prefix. */
#ifndef BYTES_SPAN_H
#define BYTES_SPAN_H

#include "hs_common.h"

typedef struct span {
    const uint8_t *p;
    size_t len;
} span_t;

static inline span_t span_of(const void *p, size_t len)
{
    span_t s = { (const uint8_t *)p, len };
    return s;
}
static inline bool span_is_empty(const span_t *s) { return s->len == 0; }

bool span_get_u8(span_t *s, uint8_t *out) HS_MUST_CHECK;
bool span_get_u16(span_t *s, uint16_t *out) HS_MUST_CHECK;
bool span_get_u32(span_t *s, uint32_t *out) HS_MUST_CHECK;
/* Copies n bytes into out. */
bool span_copy(span_t *s, void *out, size_t n) HS_MUST_CHECK;
/* Splits the next n bytes off as a child span (no copy). */
bool span_get_sub(span_t *s, size_t n, span_t *child) HS_MUST_CHECK;
bool span_skip(span_t *s, size_t n) HS_MUST_CHECK;
/* Child whose length is the next u8 / u16; fails if the prefix promises more than is left. */
bool span_get_u8_prefixed(span_t *s, span_t *child) HS_MUST_CHECK;
bool span_get_u16_prefixed(span_t *s, span_t *child) HS_MUST_CHECK;
/* Peeks without consuming. */
bool span_peek_u8(const span_t *s, size_t off, uint8_t *out) HS_MUST_CHECK;
bool span_peek_u16(const span_t *s, size_t off, uint16_t *out) HS_MUST_CHECK;
bool span_peek_u32(const span_t *s, size_t off, uint32_t *out) HS_MUST_CHECK;

typedef struct bld {
    uint8_t *buf;
    size_t len;
    size_t alloc;
    size_t cap;  /* hard limit on len */
    bool failed; /* sticky */
    const char *why; /* first failure, static string */
} bld_t;

/* An open length prefix: where it sits and how wide it is. */
typedef struct bld_mark {
    size_t at;
    uint8_t width; /* 1, 2 or 4 */
} bld_mark_t;

void bld_init(bld_t *b, size_t cap);
void bld_free(bld_t *b);
void bld_reset(bld_t *b); /* len = 0, failure cleared, memory kept */
void bld_u8(bld_t *b, uint8_t v);
void bld_u16(bld_t *b, uint16_t v);
void bld_u32(bld_t *b, uint32_t v);
void bld_bytes(bld_t *b, const void *p, size_t n);
void bld_zeros(bld_t *b, size_t n);
/* Reserves n bytes and returns where they are (NULL after a failure); for callers that
 * must write in place, e.g. a signature computed over what precedes it. */
uint8_t *bld_reserve(bld_t *b, size_t n);
bld_mark_t bld_open_u8(bld_t *b);
bld_mark_t bld_open_u16(bld_t *b);
bld_mark_t bld_open_u32(bld_t *b);
void bld_close(bld_t *b, bld_mark_t m);
static inline bool bld_ok(const bld_t *b) { return !b->failed; }
static inline span_t bld_span(const bld_t *b) { return span_of(b->buf, b->len); }
/* Marks the builder failed with a reason (for callers that detect a semantic error). */
void bld_fail(bld_t *b, const char *why);

#endif
