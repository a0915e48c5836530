/* cli_exit.h — the CLI's exit codes, one meaning each (documented in --help). */
#ifndef CLI_EXIT_H
#define CLI_EXIT_H

enum {
    CLI_EXIT_CONFORMANT = 0,  /* the target did what the spec requires */
    CLI_EXIT_DEVIATED = 1,    /* the target deviated from the spec (evidence printed) */
    CLI_EXIT_USAGE = 2,       /* bad command line */
    CLI_EXIT_UNREACHABLE = 3, /* target unreachable, or it timed out */
    CLI_EXIT_HARNESS = 4,     /* hsprobe itself failed: never a verdict about the target */
};

#endif
