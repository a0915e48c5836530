/* out_result.h — one scenario result as one JSON line (harness/py/hsprobe/schema/
 * result.schema.json), and the lint report of one file. */
#ifndef OUT_RESULT_H
#define OUT_RESULT_H

#include "scen_run.h"

#include <stdio.h>

/* Writes the result object and a newline; evidence comes from run's channels. */
void out_result_write(FILE *f, const scenario_t *s, const sc_env_t *env, const sc_run_t *run);
/* A result for a scenario that did not run (verdict error), e.g. the target had gone. */
void out_result_not_run(FILE *f, const scenario_t *s, const sc_env_t *env, const char *why);
/* `hsprobe lint --json`: {file, ok, errors[], header}. */
void out_lint_write(FILE *f, const char *path, const scenario_t *s, const sc_diags_t *d, bool ok);

#endif
