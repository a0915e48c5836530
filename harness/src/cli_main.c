/* cli_main.c — the hsprobe command: global set-up and subcommand dispatch. */
#include "cli_exit.h"
#include "cli_handshake.h"
#include "cli_scen.h"
#include "cli_vectors.h"

#include <gnutls/gnutls.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define HSPROBE_VERSION "0.1.0"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hsprobe COMMAND [ARGS]\n"
            "\n"
            "hsprobe is a protocol conformance and downgrade-probe harness.\n"
            "\n"
            "commands:\n"
            "  handshake HOST:PORT   run a Tor link handshake as an initiator, validate\n"
            "                        everything the responder sends, report what it learned\n"
            "  run FILE|DIR...       run scenario files against a target (--target HOST:PORT),\n"
            "                        one JSON result line per scenario\n"
            "  lint FILE|DIR...      check scenario files without running them\n"
            "  identity new|show DIR create or inspect a persisted relay identity\n"
            "  vectors --out DIR     write the test vectors (vectors/README.md); --check DIR\n"
            "                        verifies a directory of them\n"
            "  help [COMMAND]        show help\n"
            "  version               print the version\n"
            "\n"
            "exit codes (every command):\n"
            "  0  conformant: the target did what the spec requires\n"
            "  1  deviated: the target broke a spec requirement (evidence is printed)\n"
            "  2  usage error\n"
            "  3  target unreachable or timed out\n"
            "  4  harness error: hsprobe itself failed (never a verdict about the target)\n"
            "\n"
            "Run 'hsprobe COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    /* A target that resets mid-write must not kill us with SIGPIPE (we use MSG_NOSIGNAL,
     * this covers anything else that writes to a socket). */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        if (argc > 2 && !strcmp(cmd, "help")) {
            if (!strcmp(argv[2], "handshake"))
                cli_handshake_help();
            else if (!strcmp(argv[2], "run"))
                cli_run_help();
            else if (!strcmp(argv[2], "lint"))
                cli_lint_help();
            else if (!strcmp(argv[2], "identity"))
                cli_identity_help();
            else if (!strcmp(argv[2], "vectors"))
                cli_vectors_help();
            else {
                fprintf(stderr, "hsprobe: no help for unknown command '%s'\n", argv[2]);
                return CLI_EXIT_USAGE;
            }
            return 0;
        }
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("hsprobe %s (GnuTLS %s)\n", HSPROBE_VERSION, gnutls_check_version(NULL));
        return 0;
    }
    if (!strcmp(cmd, "lint"))
        return cli_lint(argc - 1, argv + 1);
    if (!strcmp(cmd, "handshake") || !strcmp(cmd, "run") || !strcmp(cmd, "identity") ||
        !strcmp(cmd, "vectors")) {
        if (gnutls_global_init() < 0) {
            fprintf(stderr, "hsprobe: GnuTLS initialisation failed\n");
            return CLI_EXIT_HARNESS;
        }
        int rc = !strcmp(cmd, "run")        ? cli_run(argc - 1, argv + 1)
                 : !strcmp(cmd, "identity") ? cli_identity(argc - 1, argv + 1)
                 : !strcmp(cmd, "vectors")  ? cli_vectors(argc - 1, argv + 1)
                                            : cli_handshake(argc - 1, argv + 1);
        gnutls_global_deinit();
        return rc;
    }
    fprintf(stderr, "hsprobe: unknown command '%s'\n", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
