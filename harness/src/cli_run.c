/* cli_run.c — `hsprobe run FILE|DIR… --target HOST:PORT …`.
 *
 * Every scenario runs in a child process (up to --jobs at once): a scenario that crashes the
 * engine costs only its own result (recorded as an error), and independent scenarios overlap
 * their waits.  The parent appends each child's JSON line to the results file and flushes it
 * as soon as that scenario finishes, so a run interrupted at any point keeps every result it
 * had.  Once a connect is refused the target is gone: scenarios not started yet are recorded
 * as errors ("target exited") instead of being run against nothing. */
#include "cli_exit.h"
#include "cli_scen.h"
#include "crypto_identity_store.h"
#include "hs_clock.h"
#include "hs_rand.h"
#include "out_result.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN_CAP_JOBS 32
#define RUN_CAP_RESULT (64u * 1024u * 1024u) /* one scenario's JSON line */

void cli_run_help(void)
{
    printf(
        "usage: hsprobe run FILE|DIR... --target HOST:PORT [options]\n"
        "\n"
        "Runs scenario files (a directory means every *.scn below it) against one target and\n"
        "writes one JSON object per scenario (schema: harness/py/hsprobe/schema/\n"
        "result.schema.json), each flushed as soon as its scenario finishes.  If any file\n"
        "fails to parse, nothing runs.  Scenarios of roles the engine cannot play yet are\n"
        "reported as 'unsupported'.\n"
        "\n"
        "options:\n"
        "  --target HOST:PORT     the target (numeric address; required)\n"
        "  --results FILE         append the JSON lines to FILE (default: stdout)\n"
        "  --keylog FILE          append TLS secrets in NSS key log format (for Wireshark)\n"
        "  --identity DIR         the harness's relay identity (keys and names) from DIR, as\n"
        "                         written by 'hsprobe identity new' (default: a fresh one)\n"
        "responder role (the target connects to the harness):\n"
        "  --listen HOST:PORT     where 'listen' listens (loopback only; default 127.0.0.1:0,\n"
        "                         a fresh port per scenario so scenarios can run at once)\n"
        "  --peer-cmd 'ARGV'      started after 'listen' for each scenario, in its own process\n"
        "                         group, ended when the scenario ends; words are split on\n"
        "                         spaces and {addr} {port} {fp} {ed} {id} {dir} replaced by\n"
        "                         the listening address, its port, our RSA fingerprint and\n"
        "                         Ed25519 identity, the scenario id and its peer directory.\n"
        "                         Its output goes to {dir}/launcher.log; an 'accept' that\n"
        "                         times out quotes its last lines\n"
        "  --peer-dir DIR         where the per-scenario peer directories go (default: a new\n"
        "                         directory under /tmp, printed)\n"
        "mitm role (a peer command's client dials the harness, the harness dials --target):\n"
        "  --target-fp HEX        the target's RSA fingerprint: {fp} under 'listen pin=target'\n"
        "                         (the mitm default), so the client expects the real target\n"
        "  --seed N               make every random choice of the harness (challenges,\n"
        "                         CREATE_FAST keys, random: bytes) reproducible; per scenario\n"
        "                         the stream depends only on N and the scenario id\n"
        "  --jobs N               scenarios run at once (default 4, 1-%d)\n"
        "  --negate-last-expect   invert each scenario's last expectation: a target that\n"
        "                         passes must now fail (proves the checks can fail)\n"
        "  --quiet                no progress lines on stderr\n"
        "  -h, --help             this help\n"
        "\n"
        "exit codes:\n"
        "  0  every scenario passed (or is unsupported)\n"
        "  1  at least one scenario failed: the target deviated\n"
        "  2  usage error, or a scenario file has an error (printed as file:line:col)\n"
        "  3  the target could not be reached at all\n"
        "  4  harness error in some scenario (including a target that exited mid-run)\n",
        RUN_CAP_JOBS);
}

typedef struct job {
    pid_t pid;
    int fd;
    size_t idx;
    char *buf;
    size_t len, cap;
    bool overflow;
    hs_ns_t t0;
} job_t;

/* The child: run one scenario, send its JSON line down the pipe, report the verdict in the
 * exit status (bit 3: the target refused the connection). */
static void child(const scenario_t *s, const sc_env_t *shared_env, int fd)
{
    hs_rand_after_fork();
    sc_run_t *run = malloc(sizeof(*run));
    if (!run)
        _exit(70);
    /* A relay reuses an open channel to an identity it knows instead of connecting again, so
     * scenarios that make a relay extend to us would share (and close) each other's
     * connections if they shared an identity: each gets a fresh one. */
    sc_env_t own = *shared_env;
    const sc_env_t *env = &own;
    relay_identity_t fresh;
    memset(&fresh, 0, sizeof(fresh));
    if (scen_makes_relay_extend(s)) {
        if (identity_generate(&fresh, 1024) != 0 ||
            identity_fingerprints(&fresh, own.id_rsa_fp, own.id_ed_b64) != 0)
            _exit(70);
        own.identity = &fresh;
    }
    scen_run(s, env, run);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        _exit(70);
    out_result_write(m, s, env, run);
    fclose(m);
    int status = (int)run->verdict | (run->target_refused ? 8 : 0) |
                 (run->ever_connected ? 16 : 0);
    scen_run_free(run);
    free(run);
    identity_free(&fresh);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(71);
        off += (size_t)w;
    }
    free(text);
    close(fd);
    _exit(status);
}

typedef struct tally {
    size_t n[4];
    size_t done, total;
    bool target_down, any_connected;
    size_t refused;
} tally_t;

static void progress(bool quiet, tally_t *t, const scenario_t *s, const char *verdict, double ms)
{
    if (quiet)
        return;
    fprintf(stderr, "[%3zu/%zu] %-11s %s (%.1f ms)\n", t->done, t->total, verdict, s->id, ms);
}

static int finish_job(job_t *j, const cli_scen_set_t *set, const sc_env_t *env, FILE *out,
                      tally_t *t, bool quiet)
{
    int status = 0;
    while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
        ;
    const scenario_t *s = &set->sc[j->idx];
    double ms = hs_ns_to_ms(hs_mono_ns() - j->t0);
    t->done++;
    bool good = WIFEXITED(status) && WEXITSTATUS(status) < 32 && !j->overflow && j->len &&
                j->buf[j->len - 1] == '\n';
    if (!good) {
        char why[200];
        if (WIFSIGNALED(status))
            snprintf(why, sizeof(why), "engine crashed (signal %d) while running this scenario",
                     WTERMSIG(status));
        else
            snprintf(why, sizeof(why), "engine failed while running this scenario (exit %d%s)",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                     j->overflow ? ", result larger than the cap" : "");
        out_result_not_run(out, s, env, why);
        t->n[SV_ERROR]++;
        progress(quiet, t, s, "error", ms);
    } else {
        int st = WEXITSTATUS(status);
        sc_verdict_t v = (sc_verdict_t)(st & 7);
        if (st & 8) {
            t->target_down = true;
            t->refused++;
        }
        if (st & 16)
            t->any_connected = true;
        fwrite(j->buf, 1, j->len, out);
        t->n[v]++;
        progress(quiet, t, s, sc_verdict_name(v), ms);
    }
    fflush(out);
    free(j->buf);
    close(j->fd);
    memset(j, 0, sizeof(*j));
    return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || v > max || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

int cli_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "target", required_argument, NULL, 't' },
        { "results", required_argument, NULL, 'r' },
        { "keylog", required_argument, NULL, 'k' },
        { "identity", required_argument, NULL, 'i' },
        { "listen", required_argument, NULL, 'l' },
        { "peer-cmd", required_argument, NULL, 'p' },
        { "peer-dir", required_argument, NULL, 'd' },
        { "target-fp", required_argument, NULL, 'f' },
        { "seed", required_argument, NULL, 's' },
        { "jobs", required_argument, NULL, 'j' },
        { "negate-last-expect", no_argument, NULL, 'n' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *target = NULL, *results = NULL, *keylog = NULL, *id_dir = NULL;
    const char *listen_at = NULL, *peer_cmd = NULL, *peer_dir = NULL, *target_fp = NULL;
    uint64_t seed = 0, jobs = 4;
    bool seeded = false, negate = false, quiet = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't': target = optarg; break;
        case 'r': results = optarg; break;
        case 'k': keylog = optarg; break;
        case 'i': id_dir = optarg; break;
        case 'l': listen_at = optarg; break;
        case 'p': peer_cmd = optarg; break;
        case 'd': peer_dir = optarg; break;
        case 'f': target_fp = optarg; break;
        case 's':
            if (parse_u64(optarg, UINT64_MAX, &seed) != 0) {
                fprintf(stderr, "hsprobe run: --seed takes a non-negative integer\n");
                return CLI_EXIT_USAGE;
            }
            seeded = true;
            break;
        case 'j':
            if (parse_u64(optarg, RUN_CAP_JOBS, &jobs) != 0 || jobs == 0) {
                fprintf(stderr, "hsprobe run: --jobs takes 1-%d\n", RUN_CAP_JOBS);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'n': negate = true; break;
        case 'q': quiet = true; break;
        case 'h': cli_run_help(); return 0;
        default:
            fprintf(stderr, "hsprobe run: unknown or incomplete option '%s'\nTry 'hsprobe run "
                    "--help'.\n", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind == argc) {
        fprintf(stderr, "hsprobe run: no scenario files given\nTry 'hsprobe run --help'.\n");
        return CLI_EXIT_USAGE;
    }
    sc_env_t env = { .keylog = keylog, .negate_last = negate, .seeded = seeded, .seed = seed,
                     .peer_cmd = peer_cmd };
    char err[200];
    if (target_fp) {
        if (strlen(target_fp) != 40 || strspn(target_fp, "0123456789ABCDEFabcdef") != 40) {
            fprintf(stderr, "hsprobe run: --target-fp takes the target's RSA fingerprint (40 "
                    "hex digits)\n");
            return CLI_EXIT_USAGE;
        }
        for (size_t i = 0; i < 40; i++)
            env.target_fp[i] = (char)toupper((unsigned char)target_fp[i]);
    }
    if (!target && !peer_cmd && !listen_at) {
        fprintf(stderr, "hsprobe run: --target HOST:PORT is required (or, for responder "
                "scenarios only, --listen / --peer-cmd)\n");
        return CLI_EXIT_USAGE;
    }
    if (net_addr_parse(target ? target : "127.0.0.1:9", &env.target, err, sizeof(err)) != NET_OK) {
        fprintf(stderr, "hsprobe run: --target: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if (!target)
        snprintf(env.target.text, sizeof(env.target.text), "(none: responder scenarios)");
    if (listen_at) {
        if (net_addr_parse(listen_at, &env.listen, err, sizeof(err)) != NET_OK ||
            !net_addr_is_loopback(&env.listen)) {
            fprintf(stderr, "hsprobe run: --listen: %s\n",
                    env.listen.len ? "the harness listens on loopback only" : err);
            return CLI_EXIT_USAGE;
        }
    }
    cli_scen_set_t set;
    if (cli_scen_load(argc - optind, argv + optind, "run", &set) != 0) {
        cli_scen_free(&set);
        return CLI_EXIT_USAGE;
    }
    if (set.n_bad) {
        cli_scen_print_diags(&set);
        fprintf(stderr, "hsprobe run: %zu of %zu scenario files have errors; nothing was run\n",
                set.n_bad, set.n);
        cli_scen_free(&set);
        return CLI_EXIT_USAGE;
    }
    for (size_t i = 0; !target && i < set.n; i++) {
        if (set.sc[i].role != SC_ROLE_RESPONDER) {
            fprintf(stderr, "hsprobe run: %s (role %s) needs --target HOST:PORT\n",
                    set.sc[i].file, sc_role_name(set.sc[i].role));
            cli_scen_free(&set);
            return CLI_EXIT_USAGE;
        }
    }
    char tmpdir[] = "/tmp/hsprobe-peers-XXXXXX";
    if (peer_cmd && !peer_dir) {
        if (!mkdtemp(tmpdir)) {
            fprintf(stderr, "hsprobe run: cannot create a peer directory: %s\n", strerror(errno));
            cli_scen_free(&set);
            return CLI_EXIT_HARNESS;
        }
        peer_dir = tmpdir;
        fprintf(stderr, "hsprobe run: peer directories under %s\n", peer_dir);
    }
    if (peer_dir && mkdir(peer_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "hsprobe run: --peer-dir %s: %s\n", peer_dir, strerror(errno));
        cli_scen_free(&set);
        return CLI_EXIT_USAGE;
    }
    env.peer_dir = peer_dir;
    FILE *out = stdout;
    if (results && !(out = fopen(results, "a"))) {
        fprintf(stderr, "hsprobe run: cannot open %s: %s\n", results, strerror(errno));
        cli_scen_free(&set);
        return CLI_EXIT_USAGE;
    }
    /* One identity for the whole run, made before forking: every child inherits it. */
    relay_identity_t id;
    memset(&id, 0, sizeof(id));
    bool need_id = false;
    for (size_t i = 0; i < set.n; i++)
        need_id = need_id || scen_needs_identity(&set.sc[i]);
    if (need_id || id_dir) {
        char why[300] = "cannot generate the harness identity";
        int bad = id_dir ? identity_load(&id, id_dir, why, sizeof(why))
                         : identity_generate(&id, 1024);
        if (bad || identity_fingerprints(&id, env.id_rsa_fp, env.id_ed_b64) != 0) {
            fprintf(stderr, "hsprobe run: --identity: %s\n", why);
            if (!bad)
                identity_free(&id);
            if (out != stdout)
                fclose(out);
            cli_scen_free(&set);
            return id_dir ? CLI_EXIT_USAGE : CLI_EXIT_HARNESS;
        }
        env.identity = &id;
    }
    tally_t t = { .total = set.n };
    job_t js[RUN_CAP_JOBS];
    memset(js, 0, sizeof(js));
    size_t next = 0, running = 0;
    hs_ns_t t0 = hs_mono_ns();
    int rc = 0;
    while ((next < set.n || running) && rc == 0) {
        while (running < jobs && next < set.n) {
            size_t idx = next++;
            if (t.target_down) {
                char why[200];
                snprintf(why, sizeof(why), "target exited: %s refused the connection before "
                         "this scenario started; not run", env.target.text);
                out_result_not_run(out, &set.sc[idx], &env, why);
                fflush(out);
                t.done++;
                t.n[SV_ERROR]++;
                progress(quiet, &t, &set.sc[idx], "error", 0);
                continue;
            }
            int p[2];
            if (pipe(p) != 0) {
                fprintf(stderr, "hsprobe run: pipe: %s\n", strerror(errno));
                rc = -1;
                break;
            }
            fflush(out);
            fflush(stderr);
            pid_t pid = fork();
            if (pid < 0) {
                fprintf(stderr, "hsprobe run: fork: %s\n", strerror(errno));
                close(p[0]);
                close(p[1]);
                rc = -1;
                break;
            }
            if (pid == 0) {
                close(p[0]);
                for (size_t k = 0; k < RUN_CAP_JOBS; k++)
                    if (js[k].pid)
                        close(js[k].fd);
                child(&set.sc[idx], &env, p[1]);
            }
            close(p[1]);
            for (size_t k = 0; k < RUN_CAP_JOBS; k++) {
                if (js[k].pid)
                    continue;
                js[k] = (job_t){ .pid = pid, .fd = p[0], .idx = idx, .t0 = hs_mono_ns() };
                break;
            }
            running++;
        }
        if (!running)
            break;
        struct pollfd pf[RUN_CAP_JOBS];
        size_t map[RUN_CAP_JOBS], np = 0;
        for (size_t k = 0; k < RUN_CAP_JOBS; k++)
            if (js[k].pid) {
                pf[np] = (struct pollfd){ .fd = js[k].fd, .events = POLLIN };
                map[np++] = k;
            }
        if (poll(pf, np, -1) < 0 && errno != EINTR) {
            fprintf(stderr, "hsprobe run: poll: %s\n", strerror(errno));
            rc = -1;
            break;
        }
        for (size_t q = 0; q < np; q++) {
            if (!(pf[q].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            job_t *j = &js[map[q]];
            if (j->len == j->cap && !j->overflow) {
                size_t nc = j->cap ? j->cap * 2 : 65536;
                char *nb = nc <= RUN_CAP_RESULT ? realloc(j->buf, nc) : NULL;
                if (!nb)
                    j->overflow = true;
                else {
                    j->buf = nb;
                    j->cap = nc;
                }
            }
            char sink[4096];
            ssize_t r = j->overflow ? read(j->fd, sink, sizeof(sink))
                                    : read(j->fd, j->buf + j->len, j->cap - j->len);
            if (r > 0) {
                if (!j->overflow)
                    j->len += (size_t)r;
                continue;
            }
            if (r < 0 && errno == EINTR)
                continue;
            finish_job(j, &set, &env, out, &t, quiet);
            running--;
        }
    }
    if (rc != 0) {
        /* Our own failure: stop the children we started and record what did not finish. */
        for (size_t k = 0; k < RUN_CAP_JOBS; k++)
            if (js[k].pid) {
                kill(js[k].pid, SIGKILL);
                finish_job(&js[k], &set, &env, out, &t, quiet);
            }
    }
    double secs = hs_ns_to_ms(hs_mono_ns() - t0) / 1000.0;
    if (!quiet)
        fprintf(stderr, "%zu scenarios in %.2f s: %zu pass, %zu fail, %zu error, %zu "
                "unsupported\n", set.n, secs, t.n[SV_PASS], t.n[SV_FAIL], t.n[SV_ERROR],
                t.n[SV_UNSUPPORTED]);
    if (out != stdout)
        fclose(out);
    identity_free(&id);
    cli_scen_free(&set);
    if (rc != 0)
        return CLI_EXIT_HARNESS;
    if (t.n[SV_ERROR])
        return t.target_down && !t.any_connected ? CLI_EXIT_UNREACHABLE : CLI_EXIT_HARNESS;
    return t.n[SV_FAIL] ? CLI_EXIT_DEVIATED : 0;
}
