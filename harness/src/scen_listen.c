/* scen_listen.c — see scen_listen.h. */
#include "scen_listen.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PEER_ARGV_CAP 48
#define PEER_ARG_CAP 512
#define PEER_STOP_MS 3000

/* One word of the peer command with its placeholders replaced. */
static bool substitute(const char *w, size_t n, const sc_env_t *env, const sc_listen_rt_t *l,
                       const scenario_t *s, char *out, size_t cap)
{
    char port[8];
    snprintf(port, sizeof port, "%u", l->port);
    const char *keys[] = { "{addr}", "{port}", "{fp}", "{ed}", "{id}", "{dir}" };
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", l->port);
    /* {fp}: the fingerprint the peer is told to expect (`listen pin=`). */
    const char *fp = l->pin == SC_PIN_TARGET ? env->target_fp
                     : l->pin == SC_PIN_NONE ? ""
                                             : env->id_rsa_fp;
    const char *vals[] = { addr, port, fp, env->id_ed_b64, s->id, l->peer_dir };
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        bool hit = false;
        for (size_t k = 0; k < HS_ARRAY_LEN(keys) && !hit; k++) {
            size_t kl = strlen(keys[k]);
            if (i + kl <= n && !memcmp(w + i, keys[k], kl)) {
                size_t vl = strlen(vals[k]);
                if (o + vl >= cap)
                    return false;
                memcpy(out + o, vals[k], vl);
                o += vl;
                i += kl;
                hit = true;
            }
        }
        if (!hit) {
            if (o + 1 >= cap)
                return false;
            out[o++] = w[i++];
        }
    }
    out[o] = 0;
    return true;
}

static int start_peer(const sc_env_t *env, const scenario_t *s, sc_listen_rt_t *l, char *why,
                      size_t whylen)
{
    if (snprintf(l->peer_dir, sizeof l->peer_dir, "%s/%s", env->peer_dir ? env->peer_dir : ".",
                 s->id) >= (int)sizeof l->peer_dir ||
        snprintf(l->peer_log, sizeof l->peer_log, "%s/launcher.log", l->peer_dir) >=
            (int)sizeof l->peer_log) {
        snprintf(why, whylen, "peer directory path too long");
        return -1;
    }
    if (mkdir(l->peer_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(why, whylen, "cannot create %s: %s", l->peer_dir, strerror(errno));
        return -1;
    }
    static char args[PEER_ARGV_CAP][PEER_ARG_CAP];
    char *argv[PEER_ARGV_CAP + 1];
    size_t argc = 0;
    for (const char *p = env->peer_cmd; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (argc == PEER_ARGV_CAP || !substitute(p, n, env, l, s, args[argc], PEER_ARG_CAP)) {
            snprintf(why, whylen, "--peer-cmd has too many or too long words");
            return -1;
        }
        argv[argc] = args[argc];
        argc++;
        p += n;
    }
    argv[argc] = NULL;
    if (!argc) {
        snprintf(why, whylen, "--peer-cmd is empty");
        return -1;
    }
    int out = open(l->peer_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        snprintf(why, whylen, "cannot create %s: %s", l->peer_log, strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        close(out);
        return -1;
    }
    if (pid == 0) {
        /* Its own process group, so that stopping it also stops what it started. */
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(out, 1);
        dup2(out, 2);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        dprintf(2, "hsprobe: cannot run peer command %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid); /* also from here: no race with the child's own call */
    close(out);
    l->peer_pid = pid;
    return 0;
}

int scen_listen_start(const sc_env_t *env, const scenario_t *s, sc_listen_rt_t *l, char *why,
                      size_t whylen)
{
    l->fd = -1;
    net_addr_t a = env->listen;
    if (!a.len) {
        /* 127.0.0.1, port 0: the kernel picks a fresh port for this scenario. */
        struct sockaddr_in *sin = (struct sockaddr_in *)&a.ss;
        memset(&a, 0, sizeof a);
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.len = sizeof(*sin);
        snprintf(a.text, sizeof a.text, "127.0.0.1:0");
    }
    if (net_tcp_listen(&a, &l->fd, &l->port, why, whylen) != NET_OK)
        return -1;
    l->active = true;
    /* A responder scenario that makes a relay extend to us gets its target that way: a peer
     * command started as well would race the relay to our listener. */
    if (scen_makes_relay_extend(s))
        return 0;
    if (env->peer_cmd && l->pin == SC_PIN_TARGET && !env->target_fp[0] &&
        strstr(env->peer_cmd, "{fp}")) {
        snprintf(why, whylen, "pin=target: the peer command names {fp} but the target's "
                 "fingerprint is unknown (hsprobe run --target-fp HEX)");
        return -1;
    }
    if (env->peer_cmd && start_peer(env, s, l, why, whylen) != 0)
        return -1;
    return 0;
}

/* The last lines the peer command printed, for an error message. */
static void peer_tail(const sc_listen_rt_t *l, char *out, size_t cap)
{
    out[0] = 0;
    if (!l->peer_pid)
        return;
    FILE *f = fopen(l->peer_log, "r");
    if (!f)
        return;
    char buf[1200];
    (void)fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long from = size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0;
    (void)fseek(f, from, SEEK_SET);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *start = buf;
    if (from > 0 && strchr(buf, '\n'))
        start = strchr(buf, '\n') + 1; /* whole lines only */
    snprintf(out, cap, "%s", start);
}

net_status_t scen_listen_accept(sc_listen_rt_t *l, hs_ns_t deadline, int *fd, char *why,
                                size_t whylen)
{
    net_addr_t peer;
    char err[200];
    net_status_t st = net_tcp_accept(l->fd, deadline, fd, &peer, err, sizeof err);
    if (st == NET_OK)
        return st;
    char tail[1200];
    peer_tail(l, tail, sizeof tail);
    /* Peek without reaping (WNOWAIT): accept waits in slices, and a peer command that exited
     * early (a client that failed at once) must still be named, and its output quoted, when
     * the last slice gives up; scen_listen_stop reaps it. */
    siginfo_t info = { 0 };
    bool exited = l->peer_pid &&
                  waitid(P_PID, (id_t)l->peer_pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                  info.si_pid == l->peer_pid;
    snprintf(why, whylen, "the target never connected to 127.0.0.1:%u: %s%s%s%s", l->port, err,
             exited ? " (the peer command exited)" : "",
             tail[0] ? "; its last output (" : "", tail[0] ? l->peer_log : "");
    size_t used = strlen(why);
    if (tail[0] && used + 4 < whylen)
        snprintf(why + used, whylen - used, "):\n%s", tail);
    return st;
}

void scen_listen_stop(sc_listen_rt_t *l)
{
    if (l->peer_pid > 0) {
        kill(-l->peer_pid, SIGTERM);
        int status;
        hs_ns_t deadline = hs_deadline_in_ms(PEER_STOP_MS);
        while (waitpid(l->peer_pid, &status, WNOHANG) == 0) {
            if (hs_ms_left(deadline) <= 0) {
                kill(-l->peer_pid, SIGKILL);
                (void)waitpid(l->peer_pid, &status, 0);
                break;
            }
            struct timespec ts = { 0, 10 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
        l->peer_pid = 0;
    }
    if (l->active && l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    l->active = false;
}
