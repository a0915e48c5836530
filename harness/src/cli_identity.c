/* cli_identity.c — `hsprobe identity new DIR` / `hsprobe identity show DIR`.
 *
 * A persisted identity lets a run present the same relay keys every time (its fingerprint can
 * be looked for in a target's logs, or configured in a target), and is what the committed
 * test vectors are derived from. */
#include "cli_exit.h"
#include "cli_scen.h"
#include "crypto_identity_store.h"
#include "hs_rand.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_identity_help(void)
{
    printf("usage: hsprobe identity new DIR [--seed N] [--link-bits N]\n"
           "       hsprobe identity show DIR\n"
           "\n"
           "new   creates a relay identity in DIR (created 0700 if missing; files overwritten):\n"
           "      RSA-1024 identity and type-3 auth keys, the RSA TLS link key (--link-bits,\n"
           "      default 2048 as tor uses; 1024-4096), Ed25519 identity, signing and link-auth\n"
           "      keys, and the certificate names.  Private key files are mode 0600.\n"
           "      --seed N makes the Ed25519 keys and the names reproducible (the RSA keys\n"
           "      come from GnuTLS's generator and are not).\n"
           "show  loads DIR and prints the RSA fingerprint and Ed25519 identity (the ID digest\n"
           "      tor logs for a peer using it).\n"
           "\n"
           "Use the identity with 'hsprobe run --identity DIR'.\n"
           "exit codes: 0 done, 2 usage error or an unreadable/invalid identity, 4 harness error\n");
}

static int show(const relay_identity_t *id, const char *dir)
{
    char fp[41], b64[44];
    if (identity_fingerprints(id, fp, b64) != 0) {
        fprintf(stderr, "hsprobe identity: cannot compute the fingerprints\n");
        return CLI_EXIT_HARNESS;
    }
    printf("identity %s\nrsa-sha1 %s\ned25519  %s\nid-cn    %s\n", dir, fp, b64, id->id_cn);
    return 0;
}

int cli_identity(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        cli_identity_help();
        return 0;
    }
    if (argc < 3 || (strcmp(argv[1], "new") && strcmp(argv[1], "show"))) {
        fprintf(stderr, "hsprobe identity: expected 'new DIR' or 'show DIR'\nTry 'hsprobe "
                "identity --help'.\n");
        return CLI_EXIT_USAGE;
    }
    bool create = !strcmp(argv[1], "new");
    const char *dir = argv[2];
    unsigned long bits = 2048;
    for (int i = 3; i < argc; i++) {
        char *end = NULL;
        bool has_val = i + 1 < argc;
        if (create && has_val && !strcmp(argv[i], "--seed")) {
            errno = 0;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (errno || !end || *end || argv[i][0] == '-') {
                fprintf(stderr, "hsprobe identity: --seed takes a non-negative integer\n");
                return CLI_EXIT_USAGE;
            }
            hs_rand_seed(v, "identity");
        } else if (create && has_val && !strcmp(argv[i], "--link-bits")) {
            bits = strtoul(argv[++i], &end, 10);
            if (!end || *end || bits < 1024 || bits > 4096) {
                fprintf(stderr, "hsprobe identity: --link-bits takes 1024-4096\n");
                return CLI_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "hsprobe identity: unknown or incomplete option '%s'\n", argv[i]);
            return CLI_EXIT_USAGE;
        }
    }
    relay_identity_t id;
    char err[300];
    if (!create) {
        if (identity_load(&id, dir, err, sizeof err) != 0) {
            fprintf(stderr, "hsprobe identity: %s\n", err);
            return CLI_EXIT_USAGE;
        }
        int rc = show(&id, dir);
        identity_free(&id);
        return rc;
    }
    if (identity_generate(&id, (unsigned)bits) != 0) {
        fprintf(stderr, "hsprobe identity: cannot generate keys\n");
        return CLI_EXIT_HARNESS;
    }
    int rc = identity_save(&id, dir, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "hsprobe identity: %s\n", err);
    else
        rc = show(&id, dir);
    identity_free(&id);
    return rc ? CLI_EXIT_USAGE : 0;
}
