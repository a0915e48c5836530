/* cli_vectors.c — `hsprobe vectors --out DIR [--seed N] [--identities DIR]` and
 * `hsprobe vectors --check DIR`.
 *
 * Writing goes through a temporary file per family renamed into place, so an interrupted run
 * never leaves a half-written vector file that looks complete. */
#include "cli_vectors.h"

#include "cli_exit.h"
#include "out_vcheck.h"
#include "out_vec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cli_vectors_help(void)
{
    printf("usage: hsprobe vectors --out DIR [--seed N] [--identities DIR]\n"
           "       hsprobe vectors --check DIR\n"
           "\n"
           "--out DIR     writes the test vectors, one JSON file per family, into DIR (created\n"
           "              if missing): certs.json, cells.json, handshake.json,\n"
           "              authenticate.json, negative.json, tor-observed.json.  Everything is\n"
           "              derived from the identities harness-a and harness-b (--identities,\n"
           "              default vectors/identities), the seed (--seed, default %u) and fixed\n"
           "              times recorded in the files: the output is byte-for-byte the same on\n"
           "              any machine, any day.  vectors/README.md describes every value.\n"
           "--check DIR   verifies the vector files in DIR (ours or another implementation's)\n"
           "              with the engine's parsers and verifiers: fields against the bytes,\n"
           "              signatures, digests and derived values recomputed, chains judged,\n"
           "              negative vectors rejected for the stated reason.  Prints OK or DIFF\n"
           "              per vector, and for a DIFF each field with the file's value\n"
           "              (expected) and the recomputed one (got).  Missing family files are\n"
           "              skipped and named.\n"
           "\n"
           "exit codes: 0 written / every vector checked OK, 1 some vector DIFFers, 2 usage\n"
           "error (including unreadable identities or no vector files in DIR), 4 harness\n"
           "error\n",
           VEC_DEFAULT_SEED);
}

static int write_all(const char *out, const char *identities, uint64_t seed)
{
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "hsprobe vectors: cannot create %s: %s\n", out, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    vec_ctx_t ctx;
    if (vec_ctx_init(&ctx, identities, seed) != 0) {
        fprintf(stderr, "hsprobe vectors: %s\n", ctx.err);
        return CLI_EXIT_USAGE;
    }
    size_t n;
    const vec_family_t *fams = vec_families(&n);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char path[4096], tmp[4200];
        if (snprintf(path, sizeof path, "%s/%s", out, fams[i].file) >= (int)sizeof path) {
            fprintf(stderr, "hsprobe vectors: output path too long\n");
            rc = CLI_EXIT_USAGE;
            break;
        }
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *f = fopen(tmp, "w");
        if (!f) {
            fprintf(stderr, "hsprobe vectors: cannot write %s: %s\n", tmp, strerror(errno));
            rc = CLI_EXIT_USAGE;
            break;
        }
        ctx.err[0] = 0;
        int w = fams[i].write(&ctx, f);
        int closed = fclose(f);
        if (w != 0 || closed != 0) {
            fprintf(stderr, "hsprobe vectors: %s: %s\n", fams[i].file,
                    w != 0 ? ctx.err : "write failed");
            remove(tmp);
            rc = CLI_EXIT_HARNESS;
        } else if (rename(tmp, path) != 0) {
            fprintf(stderr, "hsprobe vectors: cannot rename %s: %s\n", tmp, strerror(errno));
            remove(tmp);
            rc = CLI_EXIT_HARNESS;
        } else {
            printf("wrote %s\n", path);
        }
    }
    vec_ctx_free(&ctx);
    return rc;
}

static int check_all(const char *dir)
{
    vc_t *c = calloc(1, sizeof *c);
    if (!c) {
        fprintf(stderr, "hsprobe vectors: out of memory\n");
        return CLI_EXIT_HARNESS;
    }
    int rc = vcheck_dir(c, dir, stdout);
    int exit_code = rc != 0 ? (c->fault ? CLI_EXIT_HARNESS : CLI_EXIT_USAGE)
                    : c->n_diff ? CLI_EXIT_DEVIATED
                                : CLI_EXIT_CONFORMANT;
    vcheck_free(c);
    free(c);
    return exit_code;
}

int cli_vectors(int argc, char **argv)
{
    const char *out = NULL, *check = NULL, *identities = "vectors/identities";
    uint64_t seed = VEC_DEFAULT_SEED;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            cli_vectors_help();
            return 0;
        } else if (has_val && !strcmp(a, "--out")) {
            out = argv[++i];
        } else if (has_val && !strcmp(a, "--check")) {
            check = argv[++i];
        } else if (has_val && !strcmp(a, "--identities")) {
            identities = argv[++i];
        } else if (has_val && !strcmp(a, "--seed")) {
            char *end = NULL;
            errno = 0;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (errno || !end || *end || argv[i][0] == '-' || !argv[i][0]) {
                fprintf(stderr, "hsprobe vectors: --seed takes a non-negative integer\n");
                return CLI_EXIT_USAGE;
            }
            seed = v;
        } else {
            fprintf(stderr, "hsprobe vectors: unknown or incomplete option '%s'\n"
                            "Try 'hsprobe vectors --help'.\n", a);
            return CLI_EXIT_USAGE;
        }
    }
    if (!out == !check) {
        fprintf(stderr, "hsprobe vectors: give exactly one of --out DIR and --check DIR\n"
                        "Try 'hsprobe vectors --help'.\n");
        return CLI_EXIT_USAGE;
    }
    return out ? write_all(out, identities, seed) : check_all(check);
}
