/* bytes_json.h — a bounded JSON reader (RFC 8259) for the files the engine reads back: the
 * test vectors `hsprobe vectors --check` verifies, which may come from another implementation
 * and so are untrusted input.
 *
 * The whole text is parsed into a flat node array (children linked by index, so the array may
 * grow without invalidating anything); strings are unescaped into one arena sized from the
 * input, so a decoded string never moves.  Every dimension is capped: input size, node count,
 * nesting depth.  Numbers are kept as 64-bit integers when they are integers in range (the
 * vector files hold nothing else); any other number parses but reads as "not an integer".
 * Duplicate object keys are an error: a checker must not silently pick one of two values.
 * Bytes above 0x7f inside strings are kept as they are (not validated as UTF-8): callers that
 * echo a string make it printable first. */
#ifndef BYTES_JSON_H
#define BYTES_JSON_H

#include "bytes_span.h"

#define JSON_CAP_INPUT (16u * 1024u * 1024u) /* bytes of one document */
#define JSON_CAP_NODES (1u << 20)            /* values in one document */
#define JSON_CAP_DEPTH 32u                   /* nested arrays/objects */

typedef enum jv_kind { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ } jv_kind_t;

typedef struct jv {
    jv_kind_t kind;
    uint32_t first;  /* first child (arrays, objects); 0 = none (node 0 is the root) */
    uint32_t next;   /* next sibling; 0 = none */
    uint32_t n;      /* number of children */
    uint32_t line;   /* where the value starts, for messages */
    const char *key; /* member name inside an object (NUL-terminated, in the arena), else NULL */
    const char *str; /* JV_STR: decoded, NUL-terminated (embedded NULs are refused) */
    size_t str_len;
    bool b;
    bool is_int;     /* JV_NUM: an integer that fits int64 */
    int64_t i;
} jv_t;

typedef struct jdoc {
    jv_t *v;
    size_t n, cap;
    char *arena;
    size_t arena_len, arena_cap;
} jdoc_t;

/* 0: parsed (free with jdoc_free); -1: not JSON or over a cap, err says where (line) and why,
 * nothing to free. */
int jdoc_parse(jdoc_t *d, span_t text, char *err, size_t errlen) HS_MUST_CHECK;
void jdoc_free(jdoc_t *d);

static inline const jv_t *jdoc_root(const jdoc_t *d) { return d->n ? &d->v[0] : NULL; }
/* Member of an object by name, or NULL (also when obj is NULL or not an object). */
const jv_t *jv_get(const jdoc_t *d, const jv_t *obj, const char *key);
/* Element i of an array (or member i of an object), or NULL. */
const jv_t *jv_at(const jdoc_t *d, const jv_t *arr, size_t i);
/* Next sibling, for walking children: for (c = jv_at(d, a, 0); c; c = jv_next(d, c)). */
const jv_t *jv_next(const jdoc_t *d, const jv_t *v);

/* Typed reads: false when v is NULL or of another kind. */
bool jv_int(const jv_t *v, int64_t *out) HS_MUST_CHECK;
bool jv_bool(const jv_t *v, bool *out) HS_MUST_CHECK;
const char *jv_str(const jv_t *v); /* NULL unless a string */
/* Decodes a hex string (either case, even length, nothing else) and appends it to out.
 * false when v is not such a string or the builder failed. */
bool jv_hex(const jv_t *v, bld_t *out) HS_MUST_CHECK;

#endif
