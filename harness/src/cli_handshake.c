/* cli_handshake.c — `hsprobe handshake HOST:PORT [options]`. */
#include "cli_handshake.h"

#include "bytes_encode.h"
#include "cli_exit.h"
#include "link_initiator.h"
#include "out_json.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cli_handshake_help(void)
{
    printf(
        "usage: hsprobe handshake HOST:PORT [options]\n"
        "\n"
        "Connects to a Tor relay's ORPort as an unauthenticated initiator (like a tor client),\n"
        "runs the link handshake (TLS, VERSIONS, CERTS, AUTH_CHALLENGE, NETINFO), validates\n"
        "every certificate the responder sends as tor-spec requires (Ed25519 path and RSA-only\n"
        "path), sends NETINFO and proves the channel is open with CREATE_FAST/CREATED_FAST.\n"
        "\n"
        "options:\n"
        "  --tls 1.2|1.3       offer only this TLS version (default: offer 1.3 and 1.2)\n"
        "  --versions LIST     link versions to offer, comma-separated (default 3,4,5).  If the\n"
        "                      list has none of 3,4,5 the spec requires the responder to close:\n"
        "                      a close is then the conformant outcome (exit 0)\n"
        "  --keylog FILE       append the TLS secrets in NSS key log format (for Wireshark)\n"
        "  --timeout MS        bound on each wait: connect, TLS, every expected cell (default\n"
        "                      5000, 1-600000)\n"
        "  --json              print one JSON object instead of the text report\n"
        "  --ciphers LIST      GnuTLS cipher names, e.g. AES-128-GCM,CHACHA20-POLY1305\n"
        "  --groups LIST       GnuTLS group names, e.g. X25519,SECP256R1,FFDHE2048\n"
        "  --kx LIST           TLS 1.2 key exchanges, e.g. ECDHE-RSA,DHE-RSA\n"
        "  --priority STRING   a complete GnuTLS priority string (overrides the four above)\n"
        "  -h, --help          this help\n"
        "\n"
        "The report: negotiated link version; TLS version, suite and group; the TLS\n"
        "certificate's shape; each CERTS entry with its validity; the responder's RSA\n"
        "fingerprint and Ed25519 identity; the AUTH_CHALLENGE methods; NETINFO clock skew and\n"
        "addresses; per-step timings; and every check with its spec reference.\n"
        "\n"
        "exit codes:\n"
        "  0  conformant: handshake completed, every check passed (or, with no common\n"
        "     version offered, the responder closed as required)\n"
        "  1  deviated: the responder broke a requirement, e.g. a bad certificate chain,\n"
        "     an out-of-order cell, a close mid-handshake, or a failed TLS handshake\n"
        "  2  usage error\n"
        "  3  target unreachable (refused, no route) or timed out (no answer within --timeout)\n"
        "  4  harness error: hsprobe itself failed\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "hsprobe handshake: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'hsprobe handshake --help'.\n");
    va_end(ap);
    return CLI_EXIT_USAGE;
}

static bool parse_versions(const char *s, li_opts_t *o)
{
    o->n_versions = 0;
    const char *p = s;
    if (!*p)
        return false;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > 65535 || o->n_versions == HS_CAP_VERSIONS)
            return false;
        o->versions[o->n_versions++] = (uint16_t)v;
        if (*end == 0)
            return true;
        if (*end != ',')
            return false;
        p = end + 1;
    }
}

static void fmt_time(int64_t t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%SZ", &tm))
        snprintf(buf, n, "%lld", (long long)t);
}

static const char *dir_name(const link_rec_t *r) { return r->sent ? "sent" : "recv"; }

static void print_text(const char *target, const li_result_t *r, const link_chan_t *ch)
{
    printf("hsprobe handshake %s: %s\n", target, li_verdict_name(r->verdict));
    printf("  %s\n", r->summary);
    if (r->link_version)
        printf("  link version     %u\n", r->link_version);
    if (r->have_their_versions) {
        printf("  their VERSIONS   ");
        for (size_t i = 0; i < r->their_versions.n; i++)
            printf("%s%u", i ? "," : "", r->their_versions.v[i]);
        printf("\n");
    }
    if (r->tls_done)
        printf("  TLS              %s %s, kx %s, group %s\n", r->tls.version, r->tls.cipher,
               r->tls.kx ? r->tls.kx : "-", r->tls.group ? r->tls.group : "-");
    if (r->tls_cert_decoded) {
        char nb[32], na[32], h[65];
        fmt_time(r->tls_cert.not_before, nb, sizeof(nb));
        fmt_time(r->tls_cert.not_after, na, sizeof(na));
        hex_encode_upper(r->tls_cert.sha256, 32, h);
        printf("  TLS certificate  %s-%u, subject %s, issuer %s, %u extension(s)\n"
               "                   valid %s .. %s, sha256 %s\n",
               r->tls_cert.key_alg, r->tls_cert.key_bits, r->tls_cert.subject, r->tls_cert.issuer,
               r->tls_cert.n_extensions, nb, na, h);
    }
    if (r->have_certs) {
        printf("  CERTS            %s path\n", r->certs.ed_path ? "Ed25519" : "RSA-only");
        for (size_t i = 0; i < r->certs.n_certs; i++) {
            const certs_cert_info_t *c = &r->certs.certs[i];
            char exp[32] = "-";
            if (c->has_expiry)
                fmt_time(c->expires, exp, sizeof(exp));
            printf("    type %u %-22s %4zu bytes  %s  expires %s%s%s%s\n", c->type,
                   cert_type_name(c->type), c->len, c->decoded ? "decoded" : "UNDECODABLE", exp,
                   c->expired ? " EXPIRED" : "", c->note[0] ? "  " : "", c->note);
        }
        char fp[41] = "-", ed[45] = "-";
        if (r->certs.have_rsa_id)
            hex_encode_upper(r->certs.rsa_id_sha1, 20, fp);
        if (r->certs.have_ed_id)
            base64_encode_nopad(r->certs.ed_id, 32, ed);
        printf("  identity         rsa %s  ed25519 %s\n", fp, ed);
    }
    if (r->have_challenge) {
        printf("  AUTH_CHALLENGE   methods");
        for (unsigned i = 0; i < r->challenge.n_methods; i++)
            printf(" %u", r->challenge.methods[i]);
        printf("\n");
    }
    if (r->have_netinfo) {
        char o[64];
        netinfo_addr_format(&r->netinfo.other, o, sizeof(o));
        printf("  NETINFO          time skew %+lld s, other %s, my", (long long)r->netinfo_skew_s, o);
        if (!r->netinfo.n_kept)
            printf(" (none)");
        for (size_t i = 0; i < r->netinfo.n_kept; i++) {
            netinfo_addr_format(&r->netinfo.my[i], o, sizeof(o));
            printf(" %s", o);
        }
        printf("\n");
    }
    if (r->open_attempted)
        printf("  channel          CREATE_FAST circ 0x%x -> %s%s\n", r->circ_id,
               r->created_fast ? "CREATED_FAST" : r->got_destroy ? "DESTROY" : "no answer",
               r->created_fast ? (r->kh_ok ? ", KH ok" : ", KH WRONG") : "");
    if (r->closed)
        printf("  target closed    %s after %.1f ms%s\n", r->closed_rst ? "RST" : "FIN",
               r->close_ms, r->pending_bytes_at_close ? " (mid-cell)" : "");
    printf("  timings (ms)     tcp %.2f", r->t_connect);
    if (r->t_tls)
        printf("  tls %.2f", r->t_tls - r->t_connect);
    if (r->t_versions)
        printf("  versions %.2f", r->t_versions - r->t_tls);
    if (r->t_netinfo)
        printf("  flight %.2f", r->t_netinfo - r->t_tls);
    if (r->t_created)
        printf("  create_fast %.2f", r->t_created - r->t_netinfo);
    printf("  total %.2f\n", r->t_total);
    size_t failed = 0;
    for (size_t i = 0; i < r->n_checks; i++)
        failed += !r->checks[i].ok;
    printf("  checks           %zu passed, %zu failed\n", r->n_checks - failed, failed);
    for (size_t i = 0; i < r->n_checks; i++)
        if (!r->checks[i].ok)
            printf("    FAIL %s (%s): %s\n", r->checks[i].id, r->checks[i].spec,
                   r->checks[i].detail);
    (void)ch;
}

static void print_json(const char *target, const li_opts_t *o, const li_result_t *r,
                       const link_chan_t *ch)
{
    json_out_t j;
    json_init(&j, stdout);
    json_obj_begin(&j, NULL);
    json_str(&j, "target", target);
    json_int(&j, "exit_code", li_exit_code(r->verdict));
    json_str(&j, "verdict", li_verdict_name(r->verdict));
    json_str(&j, "summary", r->summary);
    json_str(&j, "stopped_in", li_state_name(r->stopped_in));
    if (r->link_version)
        json_int(&j, "link_version", r->link_version);
    else
        json_null(&j, "link_version");
    json_arr_begin(&j, "versions_offered");
    for (size_t i = 0; i < o->n_versions; i++)
        json_int(&j, NULL, o->versions[i]);
    json_arr_end(&j);
    if (r->have_their_versions) {
        json_arr_begin(&j, "versions_received");
        for (size_t i = 0; i < r->their_versions.n; i++)
            json_int(&j, NULL, r->their_versions.v[i]);
        json_arr_end(&j);
    } else {
        json_null(&j, "versions_received");
    }
    if (r->tls_done) {
        json_obj_begin(&j, "tls");
        json_str(&j, "version", r->tls.version);
        json_str(&j, "cipher", r->tls.cipher);
        json_str(&j, "kx", r->tls.kx);
        json_str(&j, "group", r->tls.group);
        json_str(&j, "priority", r->tls_priority);
        if (r->tls_cert_decoded) {
            json_obj_begin(&j, "cert");
            json_str(&j, "subject", r->tls_cert.subject);
            json_str(&j, "issuer", r->tls_cert.issuer);
            json_str(&j, "key_alg", r->tls_cert.key_alg);
            json_int(&j, "key_bits", r->tls_cert.key_bits);
            json_int(&j, "not_before", r->tls_cert.not_before);
            json_int(&j, "not_after", r->tls_cert.not_after);
            json_hex(&j, "sha256", r->tls_cert.sha256, 32);
            json_int(&j, "extensions", r->tls_cert.n_extensions);
            json_obj_end(&j);
        } else {
            json_null(&j, "cert");
        }
        json_obj_end(&j);
    } else {
        json_null(&j, "tls");
    }
    json_arr_begin(&j, "certs");
    for (size_t i = 0; r->have_certs && i < r->certs.n_certs; i++) {
        const certs_cert_info_t *c = &r->certs.certs[i];
        json_obj_begin(&j, NULL);
        json_int(&j, "type", c->type);
        json_str(&j, "name", cert_type_name(c->type));
        json_int(&j, "len", (int64_t)c->len);
        json_hex(&j, "sha256", c->sha256, 32);
        json_bool(&j, "decoded", c->decoded);
        if (c->has_expiry)
            json_int(&j, "expires", c->expires);
        else
            json_null(&j, "expires");
        json_bool(&j, "expired", c->expired);
        json_str(&j, "note", c->note);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    if (r->have_certs) {
        char fp[41], ed[45];
        json_obj_begin(&j, "identity");
        json_str(&j, "path", r->certs.ed_path ? "ed25519" : "rsa-only");
        if (r->certs.have_rsa_id) {
            hex_encode_upper(r->certs.rsa_id_sha1, 20, fp);
            json_str(&j, "rsa_fingerprint", fp);
        } else {
            json_null(&j, "rsa_fingerprint");
        }
        if (r->certs.have_ed_id) {
            base64_encode_nopad(r->certs.ed_id, 32, ed);
            json_str(&j, "ed25519", ed);
        } else {
            json_null(&j, "ed25519");
        }
        json_obj_end(&j);
    } else {
        json_null(&j, "identity");
    }
    if (r->have_challenge) {
        json_obj_begin(&j, "auth_challenge");
        json_hex(&j, "challenge", r->challenge.challenge, 32);
        json_arr_begin(&j, "methods");
        for (unsigned i = 0; i < r->challenge.n_methods; i++)
            json_int(&j, NULL, r->challenge.methods[i]);
        json_arr_end(&j);
        json_obj_end(&j);
    } else {
        json_null(&j, "auth_challenge");
    }
    if (r->have_netinfo) {
        char a[64];
        json_obj_begin(&j, "netinfo");
        json_int(&j, "time", r->netinfo.time);
        json_int(&j, "skew_seconds", r->netinfo_skew_s);
        netinfo_addr_format(&r->netinfo.other, a, sizeof(a));
        json_str(&j, "other_addr", a);
        json_arr_begin(&j, "my_addrs");
        for (size_t i = 0; i < r->netinfo.n_kept; i++) {
            netinfo_addr_format(&r->netinfo.my[i], a, sizeof(a));
            json_str(&j, NULL, a);
        }
        json_arr_end(&j);
        json_obj_end(&j);
    } else {
        json_null(&j, "netinfo");
    }
    json_arr_begin(&j, "checks");
    for (size_t i = 0; i < r->n_checks; i++) {
        json_obj_begin(&j, NULL);
        json_str(&j, "id", r->checks[i].id);
        json_str(&j, "spec", r->checks[i].spec);
        json_bool(&j, "ok", r->checks[i].ok);
        json_str(&j, "detail", r->checks[i].detail);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    if (r->open_attempted) {
        json_obj_begin(&j, "channel_open");
        json_int(&j, "circ_id", r->circ_id);
        json_bool(&j, "created_fast", r->created_fast);
        json_bool(&j, "kh_ok", r->kh_ok);
        json_obj_end(&j);
    } else {
        json_null(&j, "channel_open");
    }
    if (r->closed) {
        json_obj_begin(&j, "close");
        json_str(&j, "kind", r->closed_rst ? "RST" : "FIN");
        json_num(&j, "after_ms", r->close_ms);
        json_int(&j, "pending_bytes", (int64_t)r->pending_bytes_at_close);
        json_obj_end(&j);
    } else {
        json_null(&j, "close");
    }
    if (r->alert_desc >= 0) {
        json_obj_begin(&j, "alert");
        json_int(&j, "level", r->alert_level);
        json_int(&j, "description", r->alert_desc);
        json_obj_end(&j);
    } else {
        json_null(&j, "alert");
    }
    json_obj_begin(&j, "timings_ms");
    json_num(&j, "tcp_connect", r->t_connect);
    json_num(&j, "tls_handshake", r->t_tls ? r->t_tls - r->t_connect : 0);
    json_num(&j, "versions", r->t_versions ? r->t_versions - r->t_tls : 0);
    json_num(&j, "certs", r->t_certs ? r->t_certs - r->t_tls : 0);
    json_num(&j, "auth_challenge", r->t_auth_challenge ? r->t_auth_challenge - r->t_tls : 0);
    json_num(&j, "netinfo", r->t_netinfo ? r->t_netinfo - r->t_tls : 0);
    json_num(&j, "create_fast", r->t_created ? r->t_created - r->t_netinfo : 0);
    json_num(&j, "total", r->t_total);
    json_obj_end(&j);
    json_arr_begin(&j, "transcript");
    for (size_t i = 0; i < ch->n_recs; i++) {
        const link_rec_t *rec = &ch->recs[i];
        const bld_t *log = rec->sent ? &ch->sent_log : &ch->recv_log;
        json_obj_begin(&j, NULL);
        json_str(&j, "dir", dir_name(rec));
        json_str(&j, "cmd", rec->circ_width ? cell_cmd_name(rec->cmd) : "RAW");
        json_int(&j, "circ_id", rec->circ_id);
        json_int(&j, "circ_width", rec->circ_width);
        json_int(&j, "len", (int64_t)rec->len);
        json_num(&j, "t_ms", hs_ns_to_ms(rec->t));
        json_hex(&j, "hex", log->buf + rec->off, rec->len);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    json_bool(&j, "transcript_overflow", ch->log_overflow);
    json_obj_end(&j);
}

int cli_handshake(int argc, char **argv)
{
    static const struct option opts[] = {
        { "tls", required_argument, NULL, 't' },      { "versions", required_argument, NULL, 'v' },
        { "keylog", required_argument, NULL, 'k' },   { "timeout", required_argument, NULL, 'T' },
        { "json", no_argument, NULL, 'j' },           { "ciphers", required_argument, NULL, 'c' },
        { "groups", required_argument, NULL, 'g' },   { "kx", required_argument, NULL, 'x' },
        { "priority", required_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    li_opts_t o;
    memset(&o, 0, sizeof(o));
    o.timeout_ms = 5000;
    o.versions[0] = 3, o.versions[1] = 4, o.versions[2] = 5, o.n_versions = 3;
    bool json = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (!strcmp(optarg, "1.2")) o.tls.version = 12;
            else if (!strcmp(optarg, "1.3")) o.tls.version = 13;
            else return usage_error("--tls takes 1.2 or 1.3, not '%s'", optarg);
            break;
        case 'v':
            if (!parse_versions(optarg, &o))
                return usage_error("--versions takes a comma-separated list of 0-65535, not '%s'",
                                   optarg);
            break;
        case 'k': o.tls.keylog_path = optarg; break;
        case 'T': {
            char *end;
            errno = 0;
            long t = strtol(optarg, &end, 10);
            if (*end || end == optarg || errno || t < 1 || t > 600000)
                return usage_error("--timeout takes milliseconds, 1-600000, not '%s'", optarg);
            o.timeout_ms = t;
            break;
        }
        case 'j': json = true; break;
        case 'c': o.tls.ciphers = optarg; break;
        case 'g': o.tls.groups = optarg; break;
        case 'x': o.tls.kx = optarg; break;
        case 'p': o.tls.priority = optarg; break;
        case 'h': cli_handshake_help(); return CLI_EXIT_CONFORMANT;
        case ':': return usage_error("option %s needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("%s", "missing HOST:PORT");
    if (optind + 1 < argc)
        return usage_error("unexpected argument '%s'", argv[optind + 1]);
    const char *target = argv[optind];
    net_addr_t addr;
    char err[256];
    net_status_t ns = net_addr_parse(target, &addr, err, sizeof(err));
    if (ns != NET_OK)
        return usage_error("%s", err);

    link_chan_t ch;
    li_result_t *r = calloc(1, sizeof(*r));
    if (!r) {
        fprintf(stderr, "hsprobe handshake: out of memory\n");
        return CLI_EXIT_HARNESS;
    }
    if (li_run(&addr, &o, &ch, r) != 0) {
        fprintf(stderr, "hsprobe handshake: %s\n", r->summary);
        link_chan_free(&ch, hs_deadline_in_ms(200));
        free(r);
        return CLI_EXIT_HARNESS;
    }
    if (json)
        print_json(target, &o, r, &ch);
    else
        print_text(target, r, &ch);
    if (r->verdict != LI_CONFORMANT)
        fprintf(stderr, "hsprobe handshake: %s\n", r->summary);
    int rc = li_exit_code(r->verdict);
    link_chan_free(&ch, hs_deadline_in_ms(200));
    free(r);
    return rc;
}
