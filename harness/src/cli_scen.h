/* cli_scen.h — what `hsprobe lint` and `hsprobe run` share: expanding FILE/DIR arguments into
 * scenario files and parsing them all, with diagnostics as file:line:col. */
#ifndef CLI_SCEN_H
#define CLI_SCEN_H

#include "scen_parse.h"

#define CLI_CAP_SCENARIOS 4096u

typedef struct cli_scen_set {
    size_t n;
    char **paths;
    scenario_t *sc;    /* n entries */
    sc_diags_t *diags; /* n entries */
    bool *ok;
    size_t n_bad;
} cli_scen_set_t;

/* Expands arguments (a directory means every *.scn below it, sorted) and parses every file.
 * Returns 0, or -1 when the arguments themselves are unusable (message printed). */
int cli_scen_load(int argc, char **argv, const char *cmd, cli_scen_set_t *set) HS_MUST_CHECK;
/* Prints every diagnostic as "file:line:col: error: message" on stderr. */
void cli_scen_print_diags(const cli_scen_set_t *set);
void cli_scen_free(cli_scen_set_t *set);

int cli_lint(int argc, char **argv);
void cli_lint_help(void);
int cli_run(int argc, char **argv);
void cli_run_help(void);
int cli_identity(int argc, char **argv);
void cli_identity_help(void);

#endif
