/* cli_lint.c — `hsprobe lint [--json] FILE|DIR…`: parse scenario files, run nothing. */
#include "cli_exit.h"
#include "cli_scen.h"
#include "out_result.h"

#include <stdio.h>
#include <string.h>

void cli_lint_help(void)
{
    printf("usage: hsprobe lint [--json] FILE|DIR...\n"
           "\n"
           "Checks scenario files (a directory means every *.scn below it) without running\n"
           "anything: header keys, every step, field names and values, mutations, variables\n"
           "and connections used before they exist, duplicate ids across the files given.\n"
           "Errors are printed as file:line:col: error: message.  The language is documented\n"
           "in scenarios/README.md.\n"
           "\n"
           "options:\n"
           "  --json      print one JSON object per file on stdout: {file, ok, errors[],\n"
           "              header{id, title, role, protocol, peers, spec, level, requirement,\n"
           "              catalogue, note, timeout_ms}} (used by the pytest plugin)\n"
           "  -h, --help  this help\n"
           "\n"
           "exit codes: 0 every file is valid; 2 some file has an error (or bad usage).\n");
}

int cli_lint(int argc, char **argv)
{
    bool json = false;
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--json")) {
            json = true;
        } else if (!strcmp(argv[first], "-h") || !strcmp(argv[first], "--help")) {
            cli_lint_help();
            return 0;
        } else if (!strcmp(argv[first], "--")) {
            first++;
            break;
        } else {
            fprintf(stderr, "hsprobe lint: unknown option '%s'\nTry 'hsprobe lint --help'.\n",
                    argv[first]);
            return CLI_EXIT_USAGE;
        }
    }
    if (first == argc) {
        fprintf(stderr, "hsprobe lint: no files given\nTry 'hsprobe lint --help'.\n");
        return CLI_EXIT_USAGE;
    }
    cli_scen_set_t set;
    if (cli_scen_load(argc - first, argv + first, "lint", &set) != 0) {
        cli_scen_free(&set);
        return CLI_EXIT_USAGE;
    }
    cli_scen_print_diags(&set);
    if (json)
        for (size_t i = 0; i < set.n; i++)
            out_lint_write(stdout, set.paths[i], &set.sc[i], &set.diags[i], set.ok[i]);
    else
        printf("%zu file%s checked, %zu with errors\n", set.n, set.n == 1 ? "" : "s",
               set.n_bad);
    int rc = set.n_bad ? CLI_EXIT_USAGE : 0;
    cli_scen_free(&set);
    return rc;
}
