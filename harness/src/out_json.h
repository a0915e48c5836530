/* out_json.h — a small streaming JSON writer for the CLI's --json output and the vector files.
 *
 * Tracks nesting and commas so callers write fields in order without string juggling; strings
 * are escaped per RFC 8259 (control bytes as \u00XX), so evidence from a hostile peer cannot
 * break the document.  The compact form (json_init) is one line per document, for result
 * streams; the pretty form (json_init_pretty) puts every member on its own line, indented by
 * two spaces, with short scalar arrays kept on one line (json_arr_begin_inline), so a changed
 * vector shows up in `git diff` as the lines of the fields that changed. */
#ifndef OUT_JSON_H
#define OUT_JSON_H

#include "hs_common.h"

#include <stdio.h>

#define JSON_MAX_DEPTH 16

typedef struct json_out {
    FILE *f;
    int depth;
    bool need_comma[JSON_MAX_DEPTH];
    bool pretty;
    bool inline_level[JSON_MAX_DEPTH]; /* this array's elements stay on one line */
} json_out_t;

void json_init(json_out_t *j, FILE *f);
void json_init_pretty(json_out_t *j, FILE *f);
void json_obj_begin(json_out_t *j, const char *key); /* key NULL inside arrays / at top */
void json_obj_end(json_out_t *j);
void json_arr_begin(json_out_t *j, const char *key);
void json_arr_end(json_out_t *j);
/* An array written on one line even in pretty mode (for a few scalars: versions, methods). */
void json_arr_begin_inline(json_out_t *j, const char *key);
void json_str(json_out_t *j, const char *key, const char *v); /* v NULL → null */
void json_int(json_out_t *j, const char *key, int64_t v);
void json_num(json_out_t *j, const char *key, double v);
void json_bool(json_out_t *j, const char *key, bool v);
void json_null(json_out_t *j, const char *key);
void json_hex(json_out_t *j, const char *key, const uint8_t *p, size_t n);

#endif
