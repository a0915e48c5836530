/* scen_parse.h — the strict scenario parser (scenarios/README.md is the language).
 *
 * Every problem is a diagnostic with line and column and a message that says what was
 * expected; parsing goes on after an error so that one lint pass shows every problem in a
 * file.  A scenario with any diagnostic must not be run. */
#ifndef SCEN_PARSE_H
#define SCEN_PARSE_H

#include "scen_ast.h"

/* Parses text (len bytes, need not be NUL-terminated) as file `path`.  Returns 0 when the
 * file is a valid scenario; otherwise -1 with diags filled.  Either way the scenario must be
 * released with scen_free. */
int scen_parse_text(const char *path, const char *text, size_t len, scenario_t *out,
                    sc_diags_t *diags) HS_MUST_CHECK;
/* Reads and parses a file (cap SC_CAP_FILE); I/O problems are diagnostics at line 0. */
int scen_parse_file(const char *path, scenario_t *out, sc_diags_t *diags) HS_MUST_CHECK;
void scen_free(scenario_t *s);

/* Field metadata shared with the interpreter. */
bool sc_field_for_send(sc_field_t f, int cmd);
bool sc_field_for_expect(sc_field_t f, int cmd);
sc_vkind_t sc_field_kind(sc_field_t f, bool expect);

#endif
