/* cli_scen.c — see cli_scen.h. */
#include "cli_scen.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int add_path(cli_scen_set_t *set, size_t *cap, const char *p)
{
    if (set->n == CLI_CAP_SCENARIOS) {
        fprintf(stderr, "hsprobe: more than %u scenario files\n", CLI_CAP_SCENARIOS);
        return -1;
    }
    if (set->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        char **np = realloc(set->paths, nc * sizeof(*np));
        if (!np)
            return -1;
        set->paths = np;
        *cap = nc;
    }
    set->paths[set->n] = strdup(p);
    if (!set->paths[set->n])
        return -1;
    set->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(cli_scen_set_t *set, size_t *cap, const char *dir, int depth)
{
    if (depth > 16) {
        fprintf(stderr, "hsprobe: %s: directories nested too deep\n", dir);
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "hsprobe: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    size_t first = set->n;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= sizeof(p))
            continue;
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            rc = walk(set, cap, p, depth + 1);
        } else {
            size_t l = strlen(e->d_name);
            if (l > 4 && !strcmp(e->d_name + l - 4, ".scn"))
                rc = add_path(set, cap, p);
        }
    }
    closedir(d);
    if (rc == 0)
        qsort(set->paths + first, set->n - first, sizeof(char *), cmp_str);
    return rc;
}

int cli_scen_load(int argc, char **argv, const char *cmd, cli_scen_set_t *set)
{
    memset(set, 0, sizeof(*set));
    size_t cap = 0;
    for (int i = 0; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "hsprobe %s: %s: %s\n", cmd, argv[i], strerror(errno));
            return -1;
        }
        if ((S_ISDIR(st.st_mode) ? walk(set, &cap, argv[i], 0) : add_path(set, &cap, argv[i])) != 0)
            return -1;
    }
    if (!set->n) {
        fprintf(stderr, "hsprobe %s: no scenario files (*.scn) given\n", cmd);
        return -1;
    }
    set->sc = calloc(set->n, sizeof(*set->sc));
    set->diags = calloc(set->n, sizeof(*set->diags));
    set->ok = calloc(set->n, sizeof(*set->ok));
    if (!set->sc || !set->diags || !set->ok) {
        fprintf(stderr, "hsprobe %s: out of memory\n", cmd);
        return -1;
    }
    for (size_t i = 0; i < set->n; i++) {
        set->ok[i] = scen_parse_file(set->paths[i], &set->sc[i], &set->diags[i]) == 0;
        /* Ids are keys for baselines and reports: two files may not share one. */
        for (size_t k = 0; k < i && set->sc[i].id[0]; k++) {
            if (strcmp(set->sc[k].id, set->sc[i].id))
                continue;
            sc_diags_t *d = &set->diags[i];
            if (d->n < SC_CAP_DIAGS) {
                d->d[d->n].line = set->sc[i].id_line;
                d->d[d->n].col = 1;
                snprintf(d->d[d->n].msg, sizeof(d->d[d->n].msg),
                         "id '%s' is already used by %s:%d", set->sc[i].id, set->paths[k],
                         set->sc[k].id_line);
                d->n++;
            }
            set->ok[i] = false;
            break;
        }
        if (!set->ok[i])
            set->n_bad++;
    }
    return 0;
}

void cli_scen_print_diags(const cli_scen_set_t *set)
{
    for (size_t i = 0; i < set->n; i++) {
        const sc_diags_t *d = &set->diags[i];
        for (size_t k = 0; k < d->n; k++)
            fprintf(stderr, "%s:%d:%d: error: %s\n", set->paths[i], d->d[k].line, d->d[k].col,
                    d->d[k].msg);
        if (d->more)
            fprintf(stderr, "%s: (more errors not shown)\n", set->paths[i]);
    }
}

void cli_scen_free(cli_scen_set_t *set)
{
    for (size_t i = 0; i < set->n; i++) {
        if (set->sc)
            scen_free(&set->sc[i]);
        free(set->paths[i]);
    }
    free(set->paths);
    free(set->sc);
    free(set->diags);
    free(set->ok);
    memset(set, 0, sizeof(*set));
}
