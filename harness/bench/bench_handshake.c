/* bench_handshake.c — N full initiator handshakes (TLS + link handshake + CREATE_FAST) per
 * TLS version against one target, in one process; prints median, p95 and peak RSS.
 *
 * A benchmark, not a test: it prints figures and fails only if a handshake fails.  Usage:
 *   bench_handshake HOST:PORT [N]      (default N = 50) */
#include "link_initiator.h"

#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int bench_one(const net_addr_t *addr, int tls_version, int n)
{
    double *ms = calloc((size_t)n, sizeof(double));
    double *flight = calloc((size_t)n, sizeof(double));
    li_result_t *r = calloc(1, sizeof(*r));
    if (!ms || !flight || !r)
        return -1;
    li_opts_t o = { .versions = { 3, 4, 5 }, .n_versions = 3, .timeout_ms = 5000 };
    o.tls.version = tls_version;
    for (int i = 0; i < n; i++) {
        link_chan_t ch;
        if (li_run(addr, &o, &ch, r) != 0 || r->verdict != LI_CONFORMANT) {
            fprintf(stderr, "handshake %d failed: %s\n", i, r->summary);
            link_chan_free(&ch, hs_deadline_in_ms(100));
            free(ms), free(flight), free(r);
            return -1;
        }
        ms[i] = r->t_total;
        flight[i] = r->t_netinfo - r->t_tls;
        link_chan_free(&ch, hs_deadline_in_ms(100));
    }
    qsort(ms, (size_t)n, sizeof(double), cmp_double);
    qsort(flight, (size_t)n, sizeof(double), cmp_double);
    int p95 = (int)((n * 95 + 99) / 100) - 1;
    printf("TLS 1.%d  n=%d  full handshake median %.2f ms  p95 %.2f ms  |  "
           "responder flight (VERSIONS..NETINFO) median %.2f ms  p95 %.2f ms\n",
           tls_version % 10, n, ms[n / 2], ms[p95], flight[n / 2], flight[p95]);
    free(ms), free(flight), free(r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_handshake HOST:PORT [N]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 50;
    if (n < 1 || n > 10000) {
        fprintf(stderr, "N must be 1-10000\n");
        return 2;
    }
    net_addr_t addr;
    char err[256];
    if (net_addr_parse(argv[1], &addr, err, sizeof(err)) != NET_OK) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    if (gnutls_global_init() < 0)
        return 4;
    int rc = bench_one(&addr, 12, n) || bench_one(&addr, 13, n);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("engine peak RSS %ld KiB\n", ru.ru_maxrss);
    gnutls_global_deinit();
    return rc ? 1 : 0;
}
