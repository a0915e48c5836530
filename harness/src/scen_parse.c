/* scen_parse.c — see scen_parse.h.  One pass over the lines: header keys, then steps.  Each
 * line is split into tokens (words, quoted strings, '|', '{', '}') that remember their column;
 * every step keyword has its own small parser that validates arguments against the field
 * table below and the state so far (connections opened, variables captured). */
#include "scen_parse.h"
#include "tls_conn.h"
#include "scen_certedit.h"
#include "scen_hello.h"
#include "scen_rawtls.h"
#include "wire_relay.h"

#include "wire_cell.h"
#include "wire_tls_alert.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANY_CMD 1000
#define SC_ARENA_CAP (4u * 1024u * 1024u)
#define SC_TOK_CAP 96u

struct sc_arena_blk {
    struct sc_arena_blk *next;
    size_t size;
    max_align_t data[];
};

const char *sc_role_name(sc_role_t r)
{
    switch (r) {
    case SC_ROLE_INITIATOR: return "initiator";
    case SC_ROLE_RESPONDER: return "responder";
    case SC_ROLE_MITM: return "mitm";
    }
    return "?";
}

static const char *const protocols[] = {
    "tor-link", "tls", "smtp-starttls", "imap-starttls", "pop3-starttls", "nntp-starttls",
    "xmpp-starttls",
};

bool sc_protocol_known(const char *name)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(protocols); i++)
        if (!strcmp(name, protocols[i]))
            return true;
    return false;
}

bool sc_protocol_is_starttls(const char *name)
{
    size_t n = strlen(name);
    return n > 9 && !strcmp(name + n - 9, "-starttls");
}

bool sc_protocol_is_text(const char *name) { return strcmp(name, "tor-link") != 0; }

const char *sc_reneg_class_name(sc_reneg_class_t c)
{
    switch (c) {
    case RENEG_ACCEPTED: return "accepted";
    case RENEG_REFUSED_KEPT_OPEN: return "refused-kept-open";
    case RENEG_REFUSED_CLOSED: return "refused-closed";
    case RENEG_NO_ANSWER: return "no-answer";
    case RENEG_COUNT: break;
    }
    return "?";
}

const char *sc_level_name(sc_level_t l)
{
    switch (l) {
    case SC_MUST: return "MUST";
    case SC_SHOULD: return "SHOULD";
    case SC_MAY: return "MAY";
    }
    return "?";
}

const char *sc_op_name(sc_op_t op)
{
    switch (op) {
    case OP_EQ: return "=";
    case OP_NE: return "!=";
    case OP_LE: return "<=";
    case OP_GE: return ">=";
    case OP_HAS: return "has";
    }
    return "?";
}

/* ---------------------------------------------------------------------------------------- */
/* Field table: which fields a cell takes when sent and which can be constrained when
 * expected, with the value kind each takes. */

typedef struct field_def {
    const char *name;
    sc_field_t f;
    sc_vkind_t kind;
    int send[3];   /* commands (ANY_CMD = all); -1 ends */
    int expect[3];
} field_def_t;

static const field_def_t fields[] = {
    { "circ", F_CIRC, V_INT, { ANY_CMD, -1 }, { ANY_CMD, -1 } },
    { "width", F_WIDTH, V_INT, { ANY_CMD, -1 }, { ANY_CMD, -1 } },
    { "body", F_BODY, V_BYTES, { ANY_CMD, -1 }, { ANY_CMD, -1 } },
    { "len", F_LEN, V_INT, { -1 }, { ANY_CMD, -1 } },
    { "versions", F_VERSIONS, V_LIST, { CELL_VERSIONS, -1 }, { CELL_VERSIONS, -1 } },
    { "time", F_TIME, V_TIME, { CELL_NETINFO, -1 }, { CELL_NETINFO, -1 } },
    { "skew", F_SKEW, V_INT, { -1 }, { CELL_NETINFO, -1 } },
    { "other", F_OTHER, V_ADDR, { CELL_NETINFO, -1 }, { CELL_NETINFO, -1 } },
    { "my", F_MY, V_ADDRS, { CELL_NETINFO, -1 }, { CELL_NETINFO, -1 } },
    { "certs", F_CERTS, V_LIST, { CELL_CERTS, -1 }, { -1 } },
    { "expired", F_EXPIRED, V_LIST, { CELL_CERTS, -1 }, { -1 } },
    { "types", F_TYPES, V_LIST, { -1 }, { CELL_CERTS, -1 } },
    { "valid", F_VALID, V_WORD, { -1 }, { CELL_CERTS, -1 } },
    { "failure", F_FAILURE, V_WORD, { -1 }, { CELL_CERTS, -1 } },
    { "challenge", F_CHALLENGE, V_BYTES, { CELL_AUTH_CHALLENGE, -1 }, { CELL_AUTH_CHALLENGE, -1 } },
    { "methods", F_METHODS, V_LIST, { CELL_AUTH_CHALLENGE, -1 }, { CELL_AUTH_CHALLENGE, -1 } },
    { "type", F_AUTH_TYPE, V_INT, { CELL_AUTHENTICATE, -1 }, { CELL_AUTHENTICATE, -1 } },
    { "auth", F_AUTH, V_BYTES, { CELL_AUTHENTICATE, -1 }, { -1 } },
    { "authlen", F_AUTHLEN, V_INT, { CELL_AUTHENTICATE, -1 }, { CELL_AUTHENTICATE, -1 } },
    { "key", F_KEY, V_BYTES, { CELL_CREATE_FAST, -1 }, { -1 } },
    { "kh", F_KH, V_WORD, { -1 }, { CELL_CREATED_FAST, -1 } },
    { "reason", F_REASON, V_INT, { CELL_DESTROY, -1 }, { CELL_DESTROY, CELL_RELAY, -1 } },
    { "version", F_PN_VERSION, V_INT, { CELL_PADDING_NEGOTIATE, -1 }, { CELL_PADDING_NEGOTIATE, -1 } },
    { "command", F_PN_COMMAND, V_INT, { CELL_PADDING_NEGOTIATE, -1 }, { CELL_PADDING_NEGOTIATE, -1 } },
    { "low", F_PN_LOW, V_INT, { CELL_PADDING_NEGOTIATE, -1 }, { CELL_PADDING_NEGOTIATE, -1 } },
    { "high", F_PN_HIGH, V_INT, { CELL_PADDING_NEGOTIATE, -1 }, { CELL_PADDING_NEGOTIATE, -1 } },
    { "cid", F_A_CID, V_BYTES, { CELL_AUTHENTICATE, -1 }, { -1 } },
    { "sid", F_A_SID, V_BYTES, { CELL_AUTHENTICATE, -1 }, { -1 } },
    { "cid_ed", F_A_CID_ED, V_BYTES, { CELL_AUTHENTICATE, -1 }, { -1 } },
    { "sid_ed", F_A_SID_ED, V_BYTES, { CELL_AUTHENTICATE, -1 }, { -1 } },
    { "slog", F_A_SLOG, V_BYTES, { CELL_AUTHENTICATE, -1 }, { -1 } },
    { "clog", F_A_CLOG, V_BYTES, { CELL_AUTHENTICATE, -1 }, { -1 } },
    { "scert", F_A_SCERT, V_BYTES, { CELL_AUTHENTICATE, -1 }, { -1 } },
    { "tlssecrets", F_A_TLSSECRETS, V_BYTES, { CELL_AUTHENTICATE, -1 }, { -1 } },
    { "rand", F_A_RAND, V_BYTES, { CELL_AUTHENTICATE, -1 }, { -1 } },
    { "sig", F_A_SIG, V_BYTES, { CELL_AUTHENTICATE, -1 }, { -1 } },
    { "context", F_A_CONTEXT, V_BYTES, { CELL_AUTHENTICATE, -1 }, { -1 } },
    { "addr", F_X_ADDR, V_ADDR, { SC_CMD_EXTEND2, -1 }, { -1 } },
    { "port", F_X_PORT, V_INT, { SC_CMD_EXTEND2, -1 }, { -1 } },
    { "id", F_X_ID, V_BYTES, { SC_CMD_EXTEND2, -1 }, { -1 } },
    { "ed", F_X_ED, V_BYTES, { SC_CMD_EXTEND2, -1 }, { -1 } },
    { "htype", F_HTYPE, V_INT, { SC_CMD_EXTEND2, -1 }, { CELL_CREATE2, -1 } },
    { "hdata", F_HDATA, V_BYTES, { SC_CMD_EXTEND2, CELL_CREATED2, -1 }, { CELL_CREATE2, -1 } },
    { "early", F_EARLY, V_WORD, { SC_CMD_EXTEND2, -1 }, { -1 } },
    { "rcmd", F_RCMD, V_WORD, { -1 }, { CELL_RELAY, CELL_RELAY_EARLY, -1 } },
    { "verified", F_VERIFIED, V_WORD, { -1 }, { CELL_AUTHENTICATE, -1 } },
    { "mismatch", F_MISMATCH, V_WORD, { -1 }, { CELL_AUTHENTICATE, -1 } },
};

static const field_def_t *field_by_name(const char *name, size_t n)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(fields); i++)
        if (strlen(fields[i].name) == n && !memcmp(fields[i].name, name, n))
            return &fields[i];
    return NULL;
}

static const field_def_t *field_def(sc_field_t f)
{
    for (size_t i = 0; i < HS_ARRAY_LEN(fields); i++)
        if (fields[i].f == f)
            return &fields[i];
    return NULL;
}

const char *sc_field_name(sc_field_t f)
{
    const field_def_t *d = field_def(f);
    return d ? d->name : "?";
}

static bool cmd_in(const int *list, int cmd)
{
    for (size_t i = 0; i < 3 && list[i] != -1; i++)
        if (list[i] == ANY_CMD || list[i] == cmd)
            return true;
    return false;
}

bool sc_field_for_send(sc_field_t f, int cmd)
{
    const field_def_t *d = field_def(f);
    return d && cmd_in(d->send, cmd);
}

bool sc_field_for_expect(sc_field_t f, int cmd)
{
    const field_def_t *d = field_def(f);
    return d && cmd_in(d->expect, cmd);
}

sc_vkind_t sc_field_kind(sc_field_t f, bool expect)
{
    (void)expect;
    const field_def_t *d = field_def(f);
    return d ? d->kind : V_INT;
}

/* "versions, time, other" — the fields a command takes, for messages. */
static void fields_for(int cmd, bool expect, char *buf, size_t cap)
{
    buf[0] = 0;
    for (size_t i = 0; i < HS_ARRAY_LEN(fields); i++) {
        if (!cmd_in(expect ? fields[i].expect : fields[i].send, cmd))
            continue;
        size_t used = strlen(buf);
        snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", fields[i].name);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Parser state and diagnostics. */

typedef struct tok {
    const char *s;
    size_t len;
    int col;
    bool quoted; /* contains a quoted string (value is decoded later) */
} tok_t;

typedef struct conn_state {
    bool tls_fail_expected;
    int tls_version;
    bool starttls;     /* a starttls step ran on it (expect injection needs one) */
    bool renegotiated; /* a renegotiate step ran on it (expect renegotiation needs one) */
} conn_state_t;

typedef struct parser {
    scenario_t *sc;
    sc_diags_t *d;
    int line;
    bool bad; /* any diagnostic */
    bool in_steps;
    bool in_mitm;
    sc_step_t *mitm_step;
    int cur_conn;
    conn_state_t conn[SC_CAP_CONNS];
    bool seen[16];
    int header_line[16];
    int last_key; /* for continuation lines */
    bool listening;
    int listen_tls_version;
} parser_t;

static void diag(parser_t *p, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void diag(parser_t *p, int col, const char *fmt, ...)
{
    p->bad = true;
    if (p->d->n == SC_CAP_DIAGS) {
        p->d->more = true;
        return;
    }
    sc_diag_t *x = &p->d->d[p->d->n++];
    x->line = p->line;
    x->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
    va_end(ap);
}

static void *arena_alloc(parser_t *p, size_t n)
{
    scenario_t *s = p->sc;
    if (s->arena_used + n > SC_ARENA_CAP) {
        diag(p, 1, "scenario needs more than %u bytes of values (the cap per file)",
             SC_ARENA_CAP);
        return NULL;
    }
    sc_arena_blk_t *b = calloc(1, sizeof(*b) + n + 1);
    if (!b) {
        diag(p, 1, "out of memory");
        return NULL;
    }
    b->size = n;
    b->next = s->arena;
    s->arena = b;
    s->arena_used += n;
    return b->data;
}

static bool tok_is(const tok_t *t, const char *w)
{
    return t->len == strlen(w) && !memcmp(t->s, w, t->len);
}

static void tok_copy(const tok_t *t, char *out, size_t cap)
{
    size_t n = t->len < cap - 1 ? t->len : cap - 1;
    memcpy(out, t->s, n);
    out[n] = 0;
}

/* Splits one line into tokens.  Returns the count, -1 after a diagnostic. */
static int tokenize(parser_t *p, const char *line, size_t len, tok_t *out, size_t cap)
{
    size_t n = 0, i = 0;
    while (i < len) {
        char c = line[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        if (c == '#')
            break;
        if (n == cap) {
            diag(p, (int)i + 1, "too many words on one line (at most %zu)", cap);
            return -1;
        }
        tok_t *t = &out[n++];
        t->s = line + i;
        t->col = (int)i + 1;
        t->quoted = false;
        if (c == '|' || c == '{' || c == '}') {
            t->len = 1;
            i++;
            continue;
        }
        size_t start = i;
        while (i < len) {
            c = line[i];
            if (c == ' ' || c == '\t' || c == '\r' || c == '|' || c == '#')
                break;
            if (c == '"') {
                t->quoted = true;
                i++;
                while (i < len && line[i] != '"') {
                    if (line[i] == '\\' && i + 1 < len)
                        i++;
                    i++;
                }
                if (i >= len) {
                    diag(p, t->col, "unterminated string: expected a closing '\"'");
                    return -1;
                }
            }
            i++;
        }
        t->len = i - start;
    }
    return (int)n;
}

/* ---------------------------------------------------------------------------------------- */
/* Values. */

static bool parse_i64(const char *s, size_t n, int64_t *out)
{
    char buf[40];
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 0);
    if (*end || errno)
        return false;
    /* "010" would be octal to strtoll; nobody means that in a test plan. */
    if (buf[0] == '0' && n > 1 && buf[1] != 'x' && buf[1] != 'X')
        return false;
    *out = v;
    return true;
}

static bool int_value(parser_t *p, int col, const char *s, size_t n, int64_t lo, int64_t hi,
                      const char *what, int64_t *out)
{
    int64_t v;
    if (!parse_i64(s, n, &v)) {
        diag(p, col, "expected %s (a number such as 42 or 0x2a), got '%.*s'", what, (int)n, s);
        return false;
    }
    if (v < lo || v > hi) {
        diag(p, col, "%s must be in %lld..%lld, got %lld", what, (long long)lo, (long long)hi,
             (long long)v);
        return false;
    }
    *out = v;
    return true;
}

static bool duration_value(parser_t *p, int col, const char *s, size_t n, int64_t *ms)
{
    int64_t v, mult;
    if (n > 2 && !memcmp(s + n - 2, "ms", 2)) {
        n -= 2;
        mult = 1;
    } else if (n > 1 && s[n - 1] == 's') {
        n -= 1;
        mult = 1000;
    } else {
        diag(p, col, "expected a duration such as 250ms or 2s, got '%.*s'", (int)n, s);
        return false;
    }
    if (!parse_i64(s, n, &v) || v <= 0 || v > 600000 / mult) {
        diag(p, col, "expected a duration between 1ms and 600s, got '%.*s%s'", (int)n, s,
             mult == 1 ? "ms" : "s");
        return false;
    }
    *ms = v * mult;
    return true;
}

static bool list_value(parser_t *p, int col, const char *s, size_t n, int64_t lo, int64_t hi,
                       int64_t *out, size_t *count)
{
    *count = 0;
    size_t i = 0;
    if (n == 0) {
        diag(p, col, "expected a list such as 3,4,5");
        return false;
    }
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != ',')
            j++;
        if (*count == SC_CAP_LIST) {
            diag(p, col, "a list holds at most %u values", SC_CAP_LIST);
            return false;
        }
        if (!int_value(p, col + (int)i, s + i, j - i, lo, hi, "a list element", &out[*count]))
            return false;
        (*count)++;
        i = j + 1;
    }
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static bool bytes_value(parser_t *p, int col, const char *s, size_t n, sc_bytes_t *out)
{
    memset(out, 0, sizeof(*out));
    if (n >= 4 && !memcmp(s, "hex:", 4)) {
        s += 4;
        n -= 4;
        if (n % 2) {
            diag(p, col + 4, "hex bytes need an even number of digits, got %zu", n);
            return false;
        }
        out->len = n / 2;
        out->p = arena_alloc(p, out->len);
        if (!out->p)
            return false;
        for (size_t i = 0; i < out->len; i++) {
            int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                diag(p, col + 4 + (int)(2 * i), "expected hex digits 0-9a-f");
                return false;
            }
            out->p[i] = (uint8_t)(hi << 4 | lo);
        }
        return true;
    }
    if ((n > 6 && !memcmp(s, "zeros:", 6)) || (n > 7 && !memcmp(s, "random:", 7))) {
        bool rnd = s[0] == 'r';
        size_t skip = rnd ? 7 : 6;
        int64_t v;
        if (!int_value(p, col + (int)skip, s + skip, n - skip, 0, HS_CAP_CELL_BODY, "a byte count",
                       &v))
            return false;
        out->random = rnd;
        out->len = (size_t)v;
        out->p = arena_alloc(p, out->len);
        return out->p != NULL;
    }
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        out->p = arena_alloc(p, n);
        if (!out->p)
            return false;
        size_t o = 0;
        for (size_t i = 1; i + 1 < n; i++) {
            char c = s[i];
            if (c == '\\') {
                char e = s[++i];
                if (e == 'n')
                    c = '\n';
                else if (e == 'r')
                    c = '\r';
                else if (e == 't')
                    c = '\t';
                else if (e == '\\' || e == '"')
                    c = e;
                else if (e == 'x' && i + 2 < n - 1 && hexval(s[i + 1]) >= 0 &&
                         hexval(s[i + 2]) >= 0) {
                    c = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
                    i += 2;
                } else {
                    diag(p, col + (int)i, "unknown escape '\\%c' (expected \\r \\n \\t \\\\ \\\" "
                         "or \\xNN)", e);
                    return false;
                }
            }
            out->p[o++] = (uint8_t)c;
        }
        out->len = o;
        return true;
    }
    diag(p, col, "expected bytes: hex:00ff…, zeros:N, random:N or a \"quoted string\", got "
         "'%.*s'", (int)n, s);
    return false;
}

static bool addr_value(parser_t *p, int col, const char *s, size_t n, sc_addr_t *out)
{
    memset(out, 0, sizeof(*out));
    char buf[128];
    if (n >= sizeof(buf)) {
        diag(p, col, "address too long");
        return false;
    }
    memcpy(buf, s, n);
    buf[n] = 0;
    if (!strcmp(buf, "target")) {
        out->target = true;
        return true;
    }
    if (buf[0] == '[' && buf[n - 1] == ']') {
        buf[n - 1] = 0;
        if (inet_pton(AF_INET6, buf + 1, out->a.val) != 1) {
            diag(p, col, "'%s]' is not an IPv6 address", buf);
            return false;
        }
        out->a.atype = NETINFO_ATYPE_IPV6;
        out->a.alen = 16;
        return true;
    }
    if (strchr(buf, '/')) {
        char *a = buf, *b = strchr(a, '/');
        *b++ = 0;
        char *c = strchr(b, '/');
        if (!c) {
            diag(p, col, "a raw address is TYPE/LEN/BYTES, e.g. 9/4/hex:01020304");
            return false;
        }
        *c++ = 0;
        int64_t t, l;
        if (!int_value(p, col, a, strlen(a), 0, 255, "an address type", &t) ||
            !int_value(p, col, b, strlen(b), 0, 255, "an address length", &l))
            return false;
        sc_bytes_t v;
        if (!bytes_value(p, col + (int)(c - buf), c, strlen(c), &v))
            return false;
        if (v.random || v.len > 255) {
            diag(p, col, "address bytes must be literal and at most 255 bytes");
            return false;
        }
        out->a.atype = (uint8_t)t;
        out->a.alen = (uint8_t)l; /* may differ from the bytes given: that is the point */
        memcpy(out->a.val, v.p, v.len);
        /* The builder writes ALEN then exactly alen bytes; keep what was given. */
        if (v.len != (size_t)l) {
            diag(p, col, "raw address: LEN %lld but %zu bytes given (give exactly LEN bytes; "
                 "to lie about the length use a NETINFO body= instead)", (long long)l, v.len);
            return false;
        }
        return true;
    }
    if (inet_pton(AF_INET, buf, out->a.val) == 1) {
        out->a.atype = NETINFO_ATYPE_IPV4;
        out->a.alen = 4;
        return true;
    }
    diag(p, col, "expected an address: target, 127.0.0.1, [::1] or TYPE/LEN/hex:BYTES, got '%s'",
         buf);
    return false;
}

static int var_index(const scenario_t *s, const char *name, size_t n)
{
    for (size_t i = 0; i < s->n_vars; i++)
        if (strlen(s->vars[i].name) == n && !memcmp(s->vars[i].name, name, n))
            return (int)i;
    return -1;
}

/* A value for field f (kind k) from text.  Variable references are allowed in constraints. */
static bool value_for(parser_t *p, int col, const field_def_t *fd, bool expect, const char *s,
                      size_t n, sc_value_t *v)
{
    memset(v, 0, sizeof(*v));
    v->kind = fd->kind;
    if (n == 0) {
        diag(p, col, "expected a value after '%s='", fd->name);
        return false;
    }
    if (s[0] == '$') {
        if (!expect) {
            diag(p, col, "a variable field can only be compared in an expectation; send a "
                 "captured cell whole with 'send $VAR'");
            return false;
        }
        const char *dot = memchr(s, '.', n);
        if (!dot) {
            diag(p, col, "expected $VAR.FIELD, e.g. $ch.challenge");
            return false;
        }
        int vi = var_index(p->sc, s + 1, (size_t)(dot - s - 1));
        if (vi < 0) {
            diag(p, col, "undefined variable '%.*s' (capture it first with 'as NAME')",
                 (int)(dot - s - 1), s + 1);
            return false;
        }
        const field_def_t *rf = field_by_name(dot + 1, n - (size_t)(dot + 1 - s));
        int vcmd = p->sc->vars[vi].cmd;
        if (!rf || !cmd_in(rf->expect, vcmd)) {
            diag(p, col + (int)(dot + 1 - s), "variable '%s' holds a %s cell, which has no "
                 "field '%.*s'", p->sc->vars[vi].name, cell_cmd_name((uint8_t)vcmd),
                 (int)(n - (size_t)(dot + 1 - s)), dot + 1);
            return false;
        }
        if (rf->kind != fd->kind) {
            diag(p, col, "'%s' and '%s' hold different kinds of value", fd->name, rf->name);
            return false;
        }
        v->kind = V_VARREF;
        v->var = vi;
        v->field = rf->f;
        return true;
    }
    switch (fd->kind) {
    case V_INT: {
        int64_t lo = 0, hi = UINT32_MAX;
        if (fd->f == F_WIDTH) {
            if (!int_value(p, col, s, n, 2, 4, "width", &v->i))
                return false;
            if (v->i == 3) {
                diag(p, col, "width must be 2 or 4");
                return false;
            }
            return true;
        }
        if (fd->f == F_SKEW)
            lo = 0;
        if (fd->f == F_AUTH_TYPE || fd->f == F_AUTHLEN || fd->f == F_PN_LOW ||
            fd->f == F_PN_HIGH)
            hi = 65535;
        if (fd->f == F_REASON || fd->f == F_PN_VERSION || fd->f == F_PN_COMMAND)
            hi = 255;
        if (fd->f == F_X_PORT || fd->f == F_HTYPE)
            hi = 65535;
        if (fd->f == F_LEN)
            hi = HS_CAP_CELL_BODY;
        return int_value(p, col, s, n, lo, hi, fd->name, &v->i);
    }
    case V_LIST: {
        int64_t hi = 65535;
        if (fd->f == F_CERTS || fd->f == F_EXPIRED) {
            if (!list_value(p, col, s, n, 1, 7, v->list, &v->n))
                return false;
            return true;
        }
        if (fd->f == F_TYPES)
            hi = 255;
        return list_value(p, col, s, n, 0, hi, v->list, &v->n);
    }
    case V_BYTES:
        if (fd->f == F_A_CONTEXT && ((n == 2 && !memcmp(s, "ed", 2)) ||
                                     (n == 3 && !memcmp(s, "cid", 3)))) {
            memcpy(v->word, s, n); /* a named context: our Ed25519 identity, or the CID */
            v->word[n] = 0;
            return true;
        }
        if (!bytes_value(p, col, s, n, &v->bytes))
            return false;
        if (fd->f == F_CHALLENGE && !expect && v->bytes.len != 32) {
            diag(p, col, "challenge is 32 bytes, got %zu (to send another size use body=)",
                 v->bytes.len);
            return false;
        }
        if (fd->f == F_KEY && v->bytes.len != 20) {
            diag(p, col, "CREATE_FAST key is 20 bytes, got %zu", v->bytes.len);
            return false;
        }
        if (expect && v->bytes.random) {
            diag(p, col, "random bytes cannot be expected");
            return false;
        }
        return true;
    case V_TIME:
        if (n >= 3 && !memcmp(s, "now", 3)) {
            v->time_rel = true;
            if (n == 3)
                return true;
            if (s[3] != '+' && s[3] != '-') {
                diag(p, col, "expected now, now+N or now-N (seconds), got '%.*s'", (int)n, s);
                return false;
            }
            if (!int_value(p, col + 4, s + 4, n - 4, 0, 100L * 365 * 86400, "a time offset",
                           &v->i))
                return false;
            if (s[3] == '-')
                v->i = -v->i;
            return true;
        }
        return int_value(p, col, s, n, 0, UINT32_MAX, "a time (seconds since the epoch)", &v->i);
    case V_ADDR:
        v->addrs = arena_alloc(p, sizeof(sc_addr_t));
        return v->addrs && addr_value(p, col, s, n, v->addrs);
    case V_ADDRS: {
        if (n == 4 && !memcmp(s, "none", 4))
            return true;
        size_t count = 1;
        for (size_t i = 0; i < n; i++)
            count += s[i] == ',';
        if (count > HS_CAP_NETINFO_ADDRS) {
            diag(p, col, "at most %u addresses", HS_CAP_NETINFO_ADDRS);
            return false;
        }
        v->addrs = arena_alloc(p, count * sizeof(sc_addr_t));
        if (!v->addrs)
            return false;
        size_t i = 0;
        while (i <= n && v->n < count) {
            size_t j = i;
            while (j < n && s[j] != ',')
                j++;
            if (!addr_value(p, col + (int)i, s + i, j - i, &v->addrs[v->n]))
                return false;
            v->n++;
            i = j + 1;
        }
        return true;
    }
    case V_WORD:
        if (n >= sizeof(v->word)) {
            diag(p, col, "value too long");
            return false;
        }
        memcpy(v->word, s, n);
        v->word[n] = 0;
        if ((fd->f == F_VALID) && strcmp(v->word, "yes") && strcmp(v->word, "no")) {
            diag(p, col, "valid is yes or no, got '%s'", v->word);
            return false;
        }
        if ((fd->f == F_VERIFIED || fd->f == F_EARLY) && strcmp(v->word, "yes") &&
            strcmp(v->word, "no")) {
            diag(p, col, "%s is yes or no, got '%s'", fd->name, v->word);
            return false;
        }
        if (fd->f == F_RCMD && relay_cmd_from_name(v->word) < 0 &&
            strcmp(v->word, "unrecognized")) {
            diag(p, col, "rcmd is a relay command name (EXTENDED2, TRUNCATED, END, …) or "
                 "'unrecognized', got '%s'", v->word);
            return false;
        }
        if (fd->f == F_MISMATCH && strcmp(v->word, "none") && strcmp(v->word, "type") &&
            strcmp(v->word, "authlen") && strcmp(v->word, "certs") && strcmp(v->word, "cid") &&
            strcmp(v->word, "sid") && strcmp(v->word, "cid_ed") && strcmp(v->word, "sid_ed") &&
            strcmp(v->word, "slog") && strcmp(v->word, "clog") && strcmp(v->word, "scert") &&
            strcmp(v->word, "tlssecrets") && strcmp(v->word, "sig")) {
            diag(p, col, "mismatch is none or an authenticator field (type, authlen, certs, cid, "
                 "sid, cid_ed, sid_ed, slog, clog, scert, tlssecrets, sig), got '%s'", v->word);
            return false;
        }
        if (fd->f == F_KH && strcmp(v->word, "ok") && strcmp(v->word, "bad")) {
            diag(p, col, "kh is ok or bad, got '%s'", v->word);
            return false;
        }
        return true;
    case V_VARREF:
        break;
    }
    return false;
}

/* ---------------------------------------------------------------------------------------- */
/* Header. */

enum {
    H_ID,
    H_TITLE,
    H_ROLE,
    H_PROTOCOL,
    H_PEERS,
    H_SPEC,
    H_LEVEL,
    H_REQUIREMENT,
    H_CATALOGUE,
    H_TIMEOUT,
    H_NOTE,
    H_WIRE_SHA256,
    H_COUNT
};
static const char *const header_keys[H_COUNT] = {
    "id", "title", "role", "protocol", "peers", "spec", "level", "requirement", "catalogue",
    "timeout", "note", "wire-sha256",
};
static const bool header_required[H_COUNT] = { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 };

static void set_text(parser_t *p, int col, char *dst, size_t cap, const char *v, size_t n,
                     bool append)
{
    size_t used = append ? strlen(dst) : 0;
    size_t need = used + (append ? 1 : 0) + n;
    if (need >= cap) {
        diag(p, col, "value too long (at most %zu characters)", cap - 1);
        return;
    }
    if (append)
        dst[used++] = ' ';
    memcpy(dst + used, v, n);
    dst[used + n] = 0;
}

/* `wire-sha256: [CONN.]sent=HEX64 [CONN.]recv=HEX64 …` (spaces or commas between).  The
 * connection names are checked against the steps once the whole file is read. */
static void wire_hashes_value(parser_t *p, int col, const char *buf, size_t n)
{
    scenario_t *s = p->sc;
    size_t i = 0;
    for (;;) {
        while (i < n && (buf[i] == ' ' || buf[i] == ',' || buf[i] == '\t'))
            i++;
        if (i == n)
            break;
        size_t j = i;
        while (j < n && buf[j] != ' ' && buf[j] != ',' && buf[j] != '\t')
            j++;
        const char *item = buf + i;
        size_t len = j - i;
        int icol = col + (int)i;
        i = j;
        const char *eq = memchr(item, '=', len);
        if (!eq) {
            diag(p, icol, "expected [CONNECTION.]sent=HEX or [CONNECTION.]recv=HEX (SHA-256, 64 "
                 "hex digits)");
            continue;
        }
        size_t klen = (size_t)(eq - item);
        const char *dot = memchr(item, '.', klen);
        const char *dir = dot ? dot + 1 : item;
        size_t dlen = klen - (size_t)(dir - item);
        size_t clen = dot ? (size_t)(dot - item) : 0;
        bool sent = dlen == 4 && !memcmp(dir, "sent", 4);
        if (!sent && !(dlen == 4 && !memcmp(dir, "recv", 4))) {
            diag(p, icol, "a wire digest is for 'sent' (what the harness sent) or 'recv' (what "
                 "the target sent); got '%.*s'", (int)klen, item);
            continue;
        }
        if (dot && (clen == 0 || clen >= SC_CAP_NAME)) {
            diag(p, icol, "bad connection name before '.%.*s'", (int)dlen, dir);
            continue;
        }
        const char *hex = eq + 1;
        size_t hlen = len - klen - 1;
        bool good = hlen == 64;
        for (size_t k = 0; good && k < hlen; k++)
            good = hexval(hex[k]) >= 0;
        if (!good) {
            diag(p, icol + (int)klen + 1, "a SHA-256 digest is 64 hex digits; got '%.*s'",
                 (int)hlen, hex);
            continue;
        }
        if (s->n_wire_hashes == SC_CAP_WIRE_HASHES) {
            diag(p, icol, "at most %u wire digests", SC_CAP_WIRE_HASHES);
            return;
        }
        sc_wire_hash_t *w = &s->wire_hashes[s->n_wire_hashes++];
        memset(w, 0, sizeof(*w));
        if (dot)
            memcpy(w->conn, item, clen);
        else
            strcpy(w->conn, "main");
        w->sent = sent;
        for (size_t k = 0; k < 32; k++)
            w->sha256[k] = (uint8_t)(hexval(hex[2 * k]) << 4 | hexval(hex[2 * k + 1]));
        w->line = p->line;
        w->col = icol;
        for (size_t k = 0; k + 1 < s->n_wire_hashes; k++)
            if (!strcmp(s->wire_hashes[k].conn, w->conn) && s->wire_hashes[k].sent == sent)
                diag(p, icol, "a second digest for %s.%s", w->conn, sent ? "sent" : "recv");
    }
}

static void header_value(parser_t *p, int key, int col, const char *v, size_t n)
{
    scenario_t *s = p->sc;
    char buf[SC_CAP_TEXT];
    if (n >= sizeof(buf)) {
        diag(p, col, "value too long");
        return;
    }
    memcpy(buf, v, n);
    buf[n] = 0;
    switch (key) {
    case H_ID:
        if (!n || !islower((unsigned char)buf[0]) || strspn(buf, "abcdefghijklmnopqrstuvwxyz"
                                                                   "0123456789.-") != n) {
            diag(p, col, "an id is lowercase letters, digits, '.' and '-', starting with a "
                 "letter; got '%s'", buf);
            return;
        }
        set_text(p, col, s->id, sizeof(s->id), v, n, false);
        s->id_line = p->line;
        return;
    case H_TITLE: set_text(p, col, s->title, sizeof(s->title), v, n, false); return;
    case H_ROLE:
        if (!strcmp(buf, "initiator"))
            s->role = SC_ROLE_INITIATOR;
        else if (!strcmp(buf, "responder"))
            s->role = SC_ROLE_RESPONDER;
        else if (!strcmp(buf, "mitm"))
            s->role = SC_ROLE_MITM;
        else
            diag(p, col, "role is initiator, responder or mitm; got '%s'", buf);
        return;
    case H_PROTOCOL:
        if (!sc_protocol_known(buf)) {
            char known[200] = "";
            for (size_t i = 0; i < HS_ARRAY_LEN(protocols); i++)
                snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
                         i ? ", " : "", protocols[i]);
            diag(p, col, "protocol is one of %s; got '%s'", known, buf);
        }
        set_text(p, col, s->protocol, sizeof(s->protocol), v, n, false);
        return;
    case H_PEERS: {
        size_t i = 0;
        while (i < n) {
            size_t j = i;
            while (j < n && buf[j] != ',')
                j++;
            size_t k = i;
            while (k < j && buf[k] == ' ')
                k++;
            size_t e = j;
            while (e > k && buf[e - 1] == ' ')
                e--;
            if (e == k || e - k >= SC_CAP_NAME || strspn(buf + k, "abcdefghijklmnopqrstuvwxyz"
                                                                  "0123456789-") < e - k) {
                diag(p, col + (int)k, "a peer is a directory name under peers/ (lowercase, "
                     "digits, '-')");
                return;
            }
            if (s->n_peers == HS_ARRAY_LEN(s->peers)) {
                diag(p, col, "at most %zu peers", HS_ARRAY_LEN(s->peers));
                return;
            }
            memcpy(s->peers[s->n_peers], buf + k, e - k);
            s->peers[s->n_peers++][e - k] = 0;
            i = j + 1;
        }
        if (!s->n_peers)
            diag(p, col, "expected at least one peer");
        return;
    }
    case H_SPEC: set_text(p, col, s->spec, sizeof(s->spec), v, n, false); return;
    case H_LEVEL:
        if (!strcmp(buf, "MUST"))
            s->level = SC_MUST;
        else if (!strcmp(buf, "SHOULD"))
            s->level = SC_SHOULD;
        else if (!strcmp(buf, "MAY"))
            s->level = SC_MAY;
        else
            diag(p, col, "level is MUST, SHOULD or MAY; got '%s'", buf);
        return;
    case H_REQUIREMENT:
        set_text(p, col, s->requirement, sizeof(s->requirement), v, n, false);
        return;
    case H_CATALOGUE:
        if (n < 2 || n > 5 || !isupper((unsigned char)buf[0]) ||
            strspn(buf + 1, "0123456789") != n - 1)
            diag(p, col, "catalogue is a tor-link.md §6 case id such as A04; got '%s'", buf);
        else
            set_text(p, col, s->catalogue, sizeof(s->catalogue), v, n, false);
        return;
    case H_TIMEOUT:
        (void)duration_value(p, col, v, n, &s->timeout_ms);
        return;
    case H_NOTE: set_text(p, col, s->note, sizeof(s->note), v, n, false); return;
    case H_WIRE_SHA256: wire_hashes_value(p, col, buf, n); return;
    }
}

/* Returns true if the line was a header line (key: value). */
static bool header_line(parser_t *p, const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    size_t k = i;
    while (k < len && (islower((unsigned char)line[k]) || line[k] == '-' ||
                       (k > i && isdigit((unsigned char)line[k]))))
        k++;
    if (k == i || k >= len || line[k] != ':')
        return false;
    if (p->in_steps) {
        diag(p, (int)i + 1, "header key '%.*s:' after the first step (the header comes first)",
             (int)(k - i), line + i);
        return true;
    }
    int key = -1;
    for (int h = 0; h < H_COUNT; h++)
        if (strlen(header_keys[h]) == k - i && !memcmp(header_keys[h], line + i, k - i))
            key = h;
    if (key < 0) {
        diag(p, (int)i + 1, "unknown header key '%.*s' (expected one of id, title, role, "
             "protocol, peers, spec, level, requirement, catalogue, timeout, note, wire-sha256)",
             (int)(k - i), line + i);
        return true;
    }
    if (p->seen[key]) {
        diag(p, (int)i + 1, "'%s' given twice (first at line %d)", header_keys[key],
             p->header_line[key]);
        return true;
    }
    p->seen[key] = true;
    p->header_line[key] = p->line;
    p->last_key = key;
    size_t v = k + 1;
    while (v < len && (line[v] == ' ' || line[v] == '\t'))
        v++;
    size_t e = len;
    while (e > v && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '\r'))
        e--;
    if (e == v) {
        diag(p, (int)k + 2, "expected a value after '%s:'", header_keys[key]);
        return true;
    }
    header_value(p, key, (int)v + 1, line + v, e - v);
    return true;
}

static void header_continuation(parser_t *p, const char *line, size_t len)
{
    size_t v = 0;
    while (v < len && (line[v] == ' ' || line[v] == '\t'))
        v++;
    size_t e = len;
    while (e > v && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '\r'))
        e--;
    scenario_t *s = p->sc;
    switch (p->last_key) {
    case H_REQUIREMENT:
        set_text(p, (int)v + 1, s->requirement, sizeof(s->requirement), line + v, e - v, true);
        return;
    case H_NOTE: set_text(p, (int)v + 1, s->note, sizeof(s->note), line + v, e - v, true); return;
    case H_TITLE: set_text(p, (int)v + 1, s->title, sizeof(s->title), line + v, e - v, true); return;
    default:
        diag(p, (int)v + 1, "only title, requirement and note continue on indented lines");
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Steps. */

static sc_step_t *new_step(parser_t *p, sc_kind_t kind, const char *line, size_t len)
{
    scenario_t *s = p->sc;
    if (s->n_steps == SC_CAP_STEPS) {
        diag(p, 1, "too many steps (at most %u per scenario)", SC_CAP_STEPS);
        return NULL;
    }
    sc_step_t *st = &s->steps[s->n_steps++];
    memset(st, 0, sizeof(*st));
    st->kind = kind;
    st->line = p->line;
    st->conn = p->cur_conn;
    st->within_ms = -1;
    st->as_var = st->use_var = -1;
    st->alert_level = st->alert_desc = -1;
    st->tls_ri = -1;
    size_t b = 0, e = len;
    while (b < e && (line[b] == ' ' || line[b] == '\t'))
        b++;
    while (e > b && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '\r'))
        e--;
    snprintf(st->text, sizeof(st->text), "%.*s", (int)(e - b), line + b);
    return st;
}

static bool need_conn(parser_t *p, const tok_t *t)
{
    if (p->cur_conn >= 0)
        return true;
    if (p->sc->role == SC_ROLE_INITIATOR)
        diag(p, t->col, "'%.*s' needs a connection: add 'connect' before it", (int)t->len, t->s);
    else
        diag(p, t->col, "'%.*s' needs a connection: add 'accept' (or 'connect') before it",
             (int)t->len, t->s);
    return false;
}

static int cell_from_tok(parser_t *p, const tok_t *t)
{
    char name[40];
    tok_copy(t, name, sizeof(name));
    int cmd = cell_cmd_from_name(name);
    if (cmd >= 0)
        return cmd;
    if (!strcmp(name, "EXTEND2"))
        return SC_CMD_EXTEND2;
    int64_t v;
    if (parse_i64(t->s, t->len, &v) && v >= 0 && v <= 255)
        return (int)v;
    diag(p, t->col, "unknown cell '%s' (expected a command name such as VERSIONS, NETINFO, "
         "CERTS, or a number 0-255)", name);
    return -1;
}

/* Splits "key=value" / "key!=value" / "key<=value" / "key>=value". */
static bool split_kv(const tok_t *t, size_t *klen, sc_op_t *op, const char **v, size_t *vlen)
{
    for (size_t i = 0; i < t->len; i++) {
        char c = t->s[i];
        if (c == '"')
            return false;
        if (c == '=' || ((c == '!' || c == '<' || c == '>') && i + 1 < t->len &&
                         t->s[i + 1] == '=')) {
            *klen = i;
            size_t skip = c == '=' ? 1 : 2;
            *op = c == '=' ? OP_EQ : c == '!' ? OP_NE : c == '<' ? OP_LE : OP_GE;
            *v = t->s + i + skip;
            *vlen = t->len - i - skip;
            return i > 0;
        }
    }
    return false;
}

static bool as_var(parser_t *p, const tok_t *toks, int n, int *i, int cmd, int *out)
{
    if (*i + 1 >= n) {
        diag(p, toks[*i].col, "expected a variable name after 'as'");
        return false;
    }
    const tok_t *t = &toks[++*i];
    if (!t->len || t->len >= SC_CAP_NAME || !islower((unsigned char)t->s[0]) ||
        strspn(t->s, "abcdefghijklmnopqrstuvwxyz0123456789_") < t->len) {
        diag(p, t->col, "a variable name is lowercase letters, digits and '_'");
        return false;
    }
    int existing = var_index(p->sc, t->s, t->len);
    if (existing >= 0) {
        diag(p, t->col, "variable '%.*s' is already defined at line %d", (int)t->len, t->s,
             p->sc->vars[existing].line);
        return false;
    }
    if (p->sc->n_vars == SC_CAP_VARS) {
        diag(p, t->col, "at most %u variables", SC_CAP_VARS);
        return false;
    }
    sc_var_t *v = &p->sc->vars[p->sc->n_vars];
    tok_copy(t, v->name, sizeof(v->name));
    v->cmd = cmd;
    v->line = p->line;
    *out = (int)p->sc->n_vars++;
    return true;
}

static bool within(parser_t *p, const tok_t *toks, int n, int *i, int64_t *ms)
{
    if (*i + 1 >= n) {
        diag(p, toks[*i].col, "expected a duration after 'within', e.g. within 1s");
        return false;
    }
    ++*i;
    return duration_value(p, toks[*i].col, toks[*i].s, toks[*i].len, ms);
}

static bool is_var_cmd(int cmd) { return cmd == CELL_VERSIONS || cmd >= 128; }

/* The FIELD=VALUE of `cert-edit T FIELD=VALUE` (scen_certedit.h), checked against type T. */
static bool cert_edit_value(parser_t *p, const tok_t *t, sc_mut_t *m)
{
    size_t kl, vl;
    sc_op_t op;
    const char *v;
    sc_certedit_t *e = &m->edit;
    int type = (int)m->a;
    if (!split_kv(t, &kl, &op, &v, &vl) || op != OP_EQ) {
        diag(p, t->col, "expected FIELD=VALUE after 'cert-edit %d' (version, cert-type, "
             "key-type, key, ext, expires or append), got '%.*s'", type, (int)t->len, t->s);
        return false;
    }
    int vcol = t->col + (int)(v - t->s);
    if (!scen_certedit_field_from_name(t->s, kl, &e->field)) {
        diag(p, t->col, "cert-edit has no field '%.*s' (expected version, cert-type, key-type, "
             "key, ext, expires or append)", (int)kl, t->s);
        return false;
    }
    if (!scen_certedit_applies(e->field, type)) {
        diag(p, t->col, "a type-%d certificate has no '%s' to edit (%s)", type,
             scen_certedit_field_name(e->field),
             e->field == CE_KEY ? "key= edits the Ed25519 certs 4-6 and the cross-cert 7"
                                : "it belongs to the Ed25519 certs 4-6");
        return false;
    }
    switch (e->field) {
    case CE_VERSION:
    case CE_CERT_TYPE:
    case CE_KEY_TYPE:
        return int_value(p, vcol, v, vl, 0, 255, "a byte value", &e->v);
    case CE_EXT_NONE:
        if (vl != 4 || memcmp(v, "none", 4)) {
            diag(p, vcol, "ext takes 'none' (a certificate without extensions), got '%.*s'",
                 (int)vl, v);
            return false;
        }
        return true;
    case CE_KEY:
        if (vl > 7 && !memcmp(v, "sha256:", 7)) {
            int64_t src;
            if (!int_value(p, vcol + 7, v + 7, vl - 7, 1, 7, "a certificate type (1-7)", &src))
                return false;
            if (src == type) {
                diag(p, vcol + 7, "key=sha256:%lld names the certificate being edited",
                     (long long)src);
                return false;
            }
            e->key_of = (int)src;
            return true;
        }
        if (!bytes_value(p, vcol, v, vl, &m->bytes))
            return false;
        if (m->bytes.len != 32) {
            diag(p, vcol, "key is 32 bytes (or sha256:T, the digest of our type-T "
                 "certificate), got %zu", m->bytes.len);
            return false;
        }
        return true;
    case CE_EXPIRES: {
        sc_value_t tv;
        if (!value_for(p, vcol, field_def(F_TIME), false, v, vl, &tv))
            return false;
        e->v = tv.i;
        e->rel = tv.time_rel;
        return true;
    }
    case CE_APPEND:
        return bytes_value(p, vcol, v, vl, &m->bytes);
    }
    return false;
}

/* Mutations after '|': returns false after a diagnostic. */
static bool mutation(parser_t *p, const tok_t *toks, int n, int *i, int cmd, sc_mut_t *m)
{
    const tok_t *t = &toks[*i];
    static const struct {
        const char *name;
        sc_mut_kind_t kind;
        int nargs;
        bool certs_only;
    } muts[] = {
        { "drop-cert", M_DROP_CERT, 1, true }, { "dup-cert", M_DUP_CERT, 1, true },
        { "order-certs", M_ORDER_CERTS, 1, true }, { "corrupt-cert", M_CORRUPT_CERT, 1, true },
        { "add-cert", M_ADD_CERT, 2, true }, { "cert-edit", M_CERT_EDIT, 2, true },
        { "truncate", M_TRUNCATE, 1, false }, { "flip", M_FLIP, 1, false },
        { "poke", M_POKE, 2, false }, { "append", M_APPEND, 1, false },
        { "length", M_LENGTH, 1, false }, { "cmd", M_CMD, 1, false },
    };
    int which = -1;
    for (size_t k = 0; k < HS_ARRAY_LEN(muts); k++)
        if (tok_is(t, muts[k].name))
            which = (int)k;
    if (which < 0) {
        diag(p, t->col, "unknown mutation '%.*s' (expected drop-cert, dup-cert, order-certs, "
             "corrupt-cert, add-cert, cert-edit, truncate, flip, poke, append, length or cmd)",
             (int)t->len, t->s);
        return false;
    }
    memset(m, 0, sizeof(*m));
    m->kind = muts[which].kind;
    if (*i + muts[which].nargs >= n) {
        diag(p, t->col, "'%s' takes %d argument%s", muts[which].name, muts[which].nargs,
             muts[which].nargs > 1 ? "s" : "");
        return false;
    }
    if (muts[which].certs_only && cmd != CELL_CERTS) {
        diag(p, t->col, "'%s' applies to CERTS cells only", muts[which].name);
        return false;
    }
    const tok_t *a = &toks[++*i];
    switch (m->kind) {
    case M_DROP_CERT:
    case M_DUP_CERT:
    case M_CORRUPT_CERT:
        return int_value(p, a->col, a->s, a->len, 1, 255, "a cert type", &m->a);
    case M_ORDER_CERTS:
        return list_value(p, a->col, a->s, a->len, 1, 255, m->list, &m->n);
    case M_ADD_CERT:
        if (!int_value(p, a->col, a->s, a->len, 0, 255, "a cert type", &m->a))
            return false;
        a = &toks[++*i];
        if (!bytes_value(p, a->col, a->s, a->len, &m->bytes))
            return false;
        if (m->bytes.len > UINT16_MAX) {
            diag(p, a->col, "a certificate holds at most 65535 bytes, got %zu", m->bytes.len);
            return false;
        }
        return true;
    case M_CERT_EDIT:
        if (!int_value(p, a->col, a->s, a->len, 1, 7, "the type of one of our certificates (1-7)",
                       &m->a))
            return false;
        a = &toks[++*i];
        return cert_edit_value(p, a, m);
    case M_TRUNCATE:
        return int_value(p, a->col, a->s, a->len, 0, 7 + HS_CAP_CELL_BODY, "a byte count", &m->a);
    case M_FLIP: {
        const char *dot = memchr(a->s, '.', a->len);
        size_t olen = dot ? (size_t)(dot - a->s) : a->len;
        if (!int_value(p, a->col, a->s, olen, 0, 7 + HS_CAP_CELL_BODY, "a byte offset", &m->a))
            return false;
        if (dot)
            return int_value(p, a->col + (int)olen + 1, dot + 1, a->len - olen - 1, 0, 7,
                             "a bit number", &m->b);
        return true;
    }
    case M_POKE:
        if (!int_value(p, a->col, a->s, a->len, 0, 7 + HS_CAP_CELL_BODY, "a byte offset", &m->a))
            return false;
        a = &toks[++*i];
        if (!bytes_value(p, a->col, a->s, a->len, &m->bytes))
            return false;
        return true;
    case M_APPEND:
        return bytes_value(p, a->col, a->s, a->len, &m->bytes);
    case M_LENGTH:
        if (cmd >= 0 && !is_var_cmd(cmd)) {
            diag(p, t->col, "'length' rewrites a variable-length cell's Length field; %s is a "
                 "fixed-length cell", cell_cmd_name((uint8_t)cmd));
            return false;
        }
        return int_value(p, a->col, a->s, a->len, 0, 65535, "a length", &m->a);
    case M_CMD:
        return int_value(p, a->col, a->s, a->len, 0, 255, "a command number", &m->a);
    }
    return false;
}

/* Fields and mutations of a send / hook: tokens from *i on.  stop_at_as: 'as' ends it. */
static bool send_args(parser_t *p, const tok_t *toks, int n, int i, int cmd, sc_setting_t *fl,
                      size_t *nf, sc_mut_t *ml, size_t *nm, int *as_out)
{
    bool in_muts = false;
    for (; i < n; i++) {
        const tok_t *t = &toks[i];
        if (tok_is(t, "|")) {
            if (i + 1 >= n) {
                diag(p, t->col, "expected a mutation after '|'");
                return false;
            }
            if (*nm == SC_CAP_MUTS) {
                diag(p, t->col, "at most %u mutations", SC_CAP_MUTS);
                return false;
            }
            in_muts = true;
            i++;
            if (!mutation(p, toks, n, &i, cmd, &ml[(*nm)++]))
                return false;
            continue;
        }
        if (tok_is(t, "as") && as_out) {
            if (!as_var(p, toks, n, &i, cmd, as_out))
                return false;
            continue;
        }
        if (in_muts) {
            diag(p, t->col, "unexpected '%.*s' after a mutation (fields come before the first "
                 "'|'; each mutation starts with '|')", (int)t->len, t->s);
            return false;
        }
        size_t kl, vl;
        sc_op_t op;
        const char *v;
        if (!split_kv(t, &kl, &op, &v, &vl) || op != OP_EQ) {
            diag(p, t->col, "expected FIELD=VALUE, '| MUTATION' or 'as VAR', got '%.*s'",
                 (int)t->len, t->s);
            return false;
        }
        const field_def_t *fd = field_by_name(t->s, kl);
        if (!fd || !cmd_in(fd->send, cmd)) {
            char list[200];
            fields_for(cmd, false, list, sizeof(list));
            diag(p, t->col, "%s has no field '%.*s' to send (fields: %s)",
                 cell_cmd_name((uint8_t)cmd), (int)kl, t->s, list);
            return false;
        }
        for (size_t k = 0; k < *nf; k++)
            if (fl[k].field == fd->f) {
                diag(p, t->col, "field '%s' given twice", fd->name);
                return false;
            }
        if (*nf == SC_CAP_FIELDS) {
            diag(p, t->col, "too many fields");
            return false;
        }
        sc_setting_t *s = &fl[(*nf)++];
        s->field = fd->f;
        s->op = OP_EQ;
        s->col = t->col;
        if (!value_for(p, t->col + (int)kl + 1, fd, false, v, vl, &s->v))
            return false;
    }
    return true;
}

static bool has_field(const sc_step_t *st, sc_field_t f)
{
    for (size_t i = 0; i < st->n_fields; i++)
        if (st->fields[i].field == f)
            return true;
    return false;
}

/* AUTHENTICATE: either auth=BYTES (the whole Authentication field, literal) or an
 * authenticator the engine computes for type 1 or 3, with single fields forced. */
static void check_authenticate(parser_t *p, const sc_step_t *st, const tok_t *cmd_tok)
{
    bool literal = has_field(st, F_AUTH) || has_field(st, F_BODY);
    int64_t type = 3;
    for (size_t k = 0; k < st->n_fields; k++)
        if (st->fields[k].field == F_AUTH_TYPE)
            type = st->fields[k].v.i;
    for (size_t k = 0; k < st->n_fields; k++) {
        const sc_setting_t *f = &st->fields[k];
        if (f->field < F_A_CID || f->field > F_A_CONTEXT)
            continue;
        if (literal) {
            diag(p, f->col, "'%s' forces one field of a computed authenticator; it cannot be "
                 "combined with auth= or body=", sc_field_name(f->field));
            continue;
        }
        if (type == 1 && (f->field == F_A_CID_ED || f->field == F_A_SID_ED)) {
            diag(p, f->col, "a type-1 authenticator has no '%s' field", sc_field_name(f->field));
            continue;
        }
        if (f->field == F_A_CONTEXT) {
            if (type != 3)
                diag(p, f->col, "context= is the RFC 5705 exporter context of a type-3 "
                     "authenticator");
            else if (has_field(st, F_A_TLSSECRETS))
                diag(p, f->col, "context= computes TLSSECRETS; it cannot be combined with "
                     "tlssecrets=");
            else if (!f->v.word[0] && f->v.bytes.random)
                diag(p, f->col, "context= is ed, cid or literal bytes (not random:)");
            continue;
        }
        size_t want = f->field == F_A_RAND ? 24 : f->field == F_A_SIG ? (type == 1 ? 128 : 64) : 32;
        if (f->v.bytes.len != want)
            diag(p, f->col, "'%s' is %zu bytes in a type-%d authenticator; got %zu",
                 sc_field_name(f->field), want, (int)type, f->v.bytes.len);
    }
    if (!literal && type != 1 && type != 3)
        diag(p, cmd_tok->col, "the engine computes authenticators of type 1 and 3 only; give "
             "type %d its bytes with auth=BYTES", (int)type);
}

static void rawtls_diag(void *ctx, int col, const char *msg) { diag(ctx, col, "%s", msg); }

/* The raw-TLS steps (scen_rawtls.h) parse there; they need a plain TCP connection. */
static void parse_rawtls(parser_t *p, sc_kind_t kind, const tok_t *toks, int n,
                         const char *line, size_t len)
{
    if (p->conn[p->cur_conn].tls_version >= 0) {
        diag(p, toks[1].col, "'%.*s' writes/reads raw TLS records: it needs a plain TCP "
             "connection (connect tls=none)", (int)toks[1].len, toks[1].s);
        return;
    }
    sc_step_t *st = new_step(p, kind, line, len);
    sc_word_t w[SC_TOK_CAP];
    for (int i = 0; st && i < n; i++)
        w[i] = (sc_word_t){ toks[i].s, toks[i].len, toks[i].col };
    if (st)
        scen_rawtls_parse(st, w, (size_t)n, rawtls_diag, p);
}

/* expect client-hello (scen_hello.h): on a TLS connection the target opened to us. */
static void parse_client_hello(parser_t *p, const tok_t *toks, int n, const char *line,
                               size_t len)
{
    bool accepted = false;
    for (size_t i = 0; i < p->sc->n_steps; i++)
        accepted |= p->sc->steps[i].kind == ST_ACCEPT && p->sc->steps[i].conn == p->cur_conn;
    if (!accepted || p->conn[p->cur_conn].tls_version < 0) {
        diag(p, toks[1].col, "'expect client-hello' reads the ClientHello of a TLS connection "
             "the target opened to us: it needs 'listen' with TLS and 'accept' before it");
        return;
    }
    sc_step_t *st = new_step(p, ST_EXPECT_CLIENT_HELLO, line, len);
    if (!st || !(st->hello = arena_alloc(p, sizeof(*st->hello))))
        return;
    sc_word_t w[SC_TOK_CAP];
    for (int i = 0; i < n; i++)
        w[i] = (sc_word_t){ toks[i].s, toks[i].len, toks[i].col };
    scen_hello_parse(st->hello, w, (size_t)n, rawtls_diag, p);
}

static void parse_send(parser_t *p, const tok_t *toks, int n, const char *line, size_t len)
{
    if (!need_conn(p, &toks[0]))
        return;
    if (n < 2) {
        diag(p, toks[0].col + 5, "expected what to send: a cell name, sslv2-hello, 'raw BYTES' or $VAR");
        return;
    }
    if (p->conn[p->cur_conn].tls_fail_expected) {
        diag(p, toks[0].col, "this connection's TLS handshake is expected to fail; nothing can "
             "be sent on it");
        return;
    }
    if (tok_is(&toks[1], "sslv2-hello")) {
        parse_rawtls(p, ST_SEND_SSLV2_HELLO, toks, n, line, len);
        return;
    }
    if (tok_is(&toks[1], "line")) {
        /* A text protocol's line: the string, then CRLF. */
        sc_step_t *st = new_step(p, ST_SEND_RAW, line, len);
        if (!st)
            return;
        sc_bytes_t b;
        if (n != 3 || !toks[2].quoted) {
            diag(p, toks[1].col, "expected one quoted string after 'send line' (CRLF is added)");
            return;
        }
        if (!bytes_value(p, toks[2].col, toks[2].s, toks[2].len, &b))
            return;
        st->raw.len = b.len + 2;
        st->raw.p = arena_alloc(p, st->raw.len);
        if (!st->raw.p)
            return;
        memcpy(st->raw.p, b.p, b.len);
        memcpy(st->raw.p + b.len, "\r\n", 2);
        return;
    }
    if (tok_is(&toks[1], "raw")) {
        sc_step_t *st = new_step(p, ST_SEND_RAW, line, len);
        if (!st)
            return;
        if (n != 3) {
            diag(p, toks[1].col, "expected exactly one value after 'send raw'");
            return;
        }
        (void)bytes_value(p, toks[2].col, toks[2].s, toks[2].len, &st->raw);
        return;
    }
    if (toks[1].s[0] == '$') {
        sc_step_t *st = new_step(p, ST_SEND_VAR, line, len);
        if (!st)
            return;
        st->use_var = var_index(p->sc, toks[1].s + 1, toks[1].len - 1);
        if (st->use_var < 0) {
            diag(p, toks[1].col, "undefined variable '%.*s' (capture it first with 'as NAME')",
                 (int)toks[1].len - 1, toks[1].s + 1);
            return;
        }
        st->cmd = p->sc->vars[st->use_var].cmd;
        size_t nf = 0;
        (void)send_args(p, toks, n, 2, st->cmd, st->fields, &nf, st->muts, &st->n_muts, NULL);
        if (nf)
            diag(p, toks[2].col, "a replayed cell is sent as captured; change it with "
                 "mutations ('| poke …') instead of fields");
        return;
    }
    sc_step_t *st = new_step(p, ST_SEND, line, len);
    if (!st)
        return;
    st->cmd = cell_from_tok(p, &toks[1]);
    if (st->cmd < 0)
        return;
    if (!send_args(p, toks, n, 2, st->cmd, st->fields, &st->n_fields, st->muts, &st->n_muts,
                   &st->as_var))
        return;
    if (st->cmd == CELL_AUTHENTICATE)
        check_authenticate(p, st, &toks[1]);
    if (has_field(st, F_BODY) && st->n_fields > 1)
        for (size_t k = 0; k < st->n_fields; k++)
            if (st->fields[k].field != F_BODY && st->fields[k].field != F_CIRC &&
                st->fields[k].field != F_WIDTH) {
                diag(p, st->fields[k].col, "body= replaces the whole body; '%s' cannot be "
                     "combined with it", sc_field_name(st->fields[k].field));
                return;
            }
}

static bool tls_opt(parser_t *p, const tok_t *t, sc_tls_choice_t *tls)
{
    size_t kl, vl;
    sc_op_t op;
    const char *v;
    if (!split_kv(t, &kl, &op, &v, &vl) || op != OP_EQ) {
        if (t->quoted && t->len > 9 && !memcmp(t->s, "priority=", 9)) {
            kl = 8;
            v = t->s + 9;
            vl = t->len - 9;
        } else {
            return false;
        }
    }
    char key[16];
    snprintf(key, sizeof(key), "%.*s", (int)(kl < 15 ? kl : 15), t->s);
    int col = t->col + (int)kl + 1;
    if (!strcmp(key, "scsv") || !strcmp(key, "reneg")) {
        bool scsv = key[0] == 's';
        if (scsv && vl == 3 && !memcmp(v, "yes", 3))
            tls->scsv = true;
        else if (scsv && vl == 2 && !memcmp(v, "no", 2))
            tls->scsv = false;
        else if (!scsv && vl == 4 && !memcmp(v, "safe", 4))
            tls->reneg = TLS_RENEG_SAFE;
        else if (!scsv && vl == 6 && !memcmp(v, "unsafe", 6))
            tls->reneg = TLS_RENEG_UNSAFE;
        else if (!scsv && vl == 4 && !memcmp(v, "none", 4))
            tls->reneg = TLS_RENEG_NONE;
        else
            diag(p, col, scsv ? "scsv is yes or no" : "reneg is safe, unsafe or none");
        return true;
    }
    if (!strcmp(key, "tls")) {
        if (vl == 3 && !memcmp(v, "1.0", 3))
            tls->version = 10;
        else if (vl == 3 && !memcmp(v, "1.1", 3))
            tls->version = 11;
        else if (vl == 3 && !memcmp(v, "1.2", 3))
            tls->version = 12;
        else if (vl == 3 && !memcmp(v, "1.3", 3))
            tls->version = 13;
        else if (vl == 3 && !memcmp(v, "any", 3))
            tls->version = 0;
        else if (vl == 4 && !memcmp(v, "none", 4))
            tls->version = -1;
        else
            diag(p, col, "tls is 1.0, 1.1, 1.2, 1.3, any or none; got '%.*s'", (int)vl, v);
        return true;
    }
    char *dst = NULL;
    size_t cap = 0;
    if (!strcmp(key, "ciphers")) {
        dst = tls->ciphers;
        cap = sizeof(tls->ciphers);
    } else if (!strcmp(key, "groups")) {
        dst = tls->groups;
        cap = sizeof(tls->groups);
    } else if (!strcmp(key, "kx")) {
        dst = tls->kx;
        cap = sizeof(tls->kx);
    } else if (!strcmp(key, "priority")) {
        dst = tls->priority;
        cap = sizeof(tls->priority);
        if (vl < 2 || v[0] != '"' || v[vl - 1] != '"') {
            diag(p, col, "priority is a quoted GnuTLS priority string");
            return true;
        }
        v++;
        vl -= 2;
    } else {
        return false;
    }
    if (vl == 0 || vl >= cap) {
        diag(p, col, "%s: expected 1..%zu characters", key, cap - 1);
        return true;
    }
    if (dst != tls->priority && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-,") < vl) {
        diag(p, col, "%s is a comma list of GnuTLS names in capitals, e.g. AES-128-GCM", key);
        return true;
    }
    memcpy(dst, v, vl);
    dst[vl] = 0;
    return true;
}

static int conn_index(const scenario_t *s, const char *name, size_t n)
{
    for (size_t i = 0; i < s->n_conns; i++)
        if (strlen(s->conns[i]) == n && !memcmp(s->conns[i], name, n))
            return (int)i;
    return -1;
}

/* listen cert=link|expired|ecdsa: the certificate accept's TLS server handshake presents. */
static void listen_cert(parser_t *p, const tok_t *t, sc_step_t *st)
{
    static const char *const kinds[] = { "link", "expired", "ecdsa" };
    size_t vl = t->len - 5;
    for (size_t k = 0; k < HS_ARRAY_LEN(kinds); k++)
        if (vl == strlen(kinds[k]) && !memcmp(t->s + 5, kinds[k], vl)) {
            st->cert = (sc_cert_kind_t)k;
            if (sc_protocol_is_starttls(p->sc->protocol))
                diag(p, t->col, "cert= chooses the certificate of accept's TLS handshake; a "
                     "STARTTLS server's certificate is not configurable");
            return;
        }
    diag(p, t->col + 5, "cert is link, expired or ecdsa; got '%.*s'", (int)vl, t->s + 5);
}

static void parse_connect(parser_t *p, const tok_t *toks, int n, const char *line, size_t len,
                          bool listen)
{
    scenario_t *s = p->sc;
    if (listen && s->role == SC_ROLE_INITIATOR) {
        diag(p, toks[0].col, "'listen' belongs to the responder and mitm roles (this file's "
             "role is initiator)");
        return;
    }
    if (!listen && s->role == SC_ROLE_RESPONDER) {
        /* A responder may open a side connection of its own — the trigger that makes a relay
         * extend a circuit to us (R<-RI) — but the target's connection is the one it accepts. */
        bool named = false;
        for (int i = 1; i + 1 < n; i++)
            named |= tok_is(&toks[i], "as");
        if (!named) {
            diag(p, toks[0].col, "a responder's target connects to it ('listen' and 'accept'); "
                 "a side connection of its own must be named: connect … as NAME");
            return;
        }
    }
    sc_step_t *st = new_step(p, listen ? ST_LISTEN : ST_CONNECT, line, len);
    if (!st)
        return;
    if (sc_protocol_is_starttls(s->protocol))
        st->tls.version = -1; /* STARTTLS protocols begin in clear */
    char name[SC_CAP_NAME] = "";
    for (int i = 1; i < n; i++) {
        const tok_t *t = &toks[i];
        if (tok_is(t, "as")) {
            if (i + 1 >= n) {
                diag(p, t->col, "expected a connection name after 'as'");
                return;
            }
            t = &toks[++i];
            if (!t->len || t->len >= SC_CAP_NAME || !islower((unsigned char)t->s[0]) ||
                strspn(t->s, "abcdefghijklmnopqrstuvwxyz0123456789_") < t->len) {
                diag(p, t->col, "a connection name is lowercase letters, digits and '_'");
                return;
            }
            tok_copy(t, name, sizeof(name));
            continue;
        }
        if (tok_is(t, "within")) {
            if (!within(p, toks, n, &i, &st->within_ms))
                return;
            continue;
        }
        if (listen && t->len > 4 && !memcmp(t->s, "pin=", 4)) {
            static const char *const pins[] = { "harness", "target", "none" };
            for (size_t k = 0; k < HS_ARRAY_LEN(pins); k++)
                if (t->len - 4 == strlen(pins[k]) && !memcmp(t->s + 4, pins[k], t->len - 4))
                    st->pin = (sc_pin_t)(SC_PIN_HARNESS + k);
            if (st->pin == SC_PIN_DEFAULT)
                diag(p, t->col + 4, "pin is harness, target or none; got '%.*s'",
                     (int)t->len - 4, t->s + 4);
            if (st->pin == SC_PIN_TARGET && s->role != SC_ROLE_MITM)
                diag(p, t->col + 4, "pin=target belongs to the mitm role (a real target's "
                     "fingerprint)");
            continue;
        }
        if (listen && t->len > 5 && !memcmp(t->s, "cert=", 5)) {
            listen_cert(p, t, st);
            continue;
        }
        if (!tls_opt(p, t, &st->tls)) {
            diag(p, t->col, "unknown %s option '%.*s' (expected tls=, ciphers=, groups=, kx=, "
                 "priority=, scsv=, reneg=, %sas NAME, within DUR)", listen ? "listen" : "connect",
                 (int)t->len, t->s, listen ? "pin=, cert=, " : "");
            return;
        }
    }
    if (listen) {
        p->listening = true;
        p->listen_tls_version = st->tls.version;
        return;
    }
    if (!name[0] && s->role == SC_ROLE_MITM && conn_index(s, "server", 6) < 0)
        strcpy(name, "server"); /* the MITM's leg toward the real target */
    if (!name[0]) {
        if (s->n_conns) {
            diag(p, toks[0].col, "a second connection needs a name: 'connect … as NAME'");
            return;
        }
        strcpy(name, "main");
    }
    if (conn_index(s, name, strlen(name)) >= 0) {
        diag(p, toks[0].col, "connection '%s' is already open", name);
        return;
    }
    if (s->n_conns == SC_CAP_CONNS) {
        diag(p, toks[0].col, "at most %u connections", SC_CAP_CONNS);
        return;
    }
    strcpy(s->conns[s->n_conns], name);
    p->cur_conn = (int)s->n_conns++;
    p->conn[p->cur_conn].tls_version = st->tls.version;
    st->conn = p->cur_conn;
}

static void parse_expect_cell(parser_t *p, const tok_t *toks, int n, sc_step_t *st)
{
    st->cmd = cell_from_tok(p, &toks[1]);
    if (st->cmd < 0)
        return;
    if (sc_cmd_is_relay_msg(st->cmd)) {
        diag(p, toks[1].col, "relay messages arrive inside RELAY cells: expect RELAY rcmd=NAME");
        return;
    }
    for (int i = 2; i < n; i++) {
        const tok_t *t = &toks[i];
        if (tok_is(t, "as")) {
            if (!as_var(p, toks, n, &i, st->cmd, &st->as_var))
                return;
            continue;
        }
        if (tok_is(t, "within")) {
            if (!within(p, toks, n, &i, &st->within_ms))
                return;
            continue;
        }
        size_t kl, vl;
        sc_op_t op;
        const char *v;
        if (i + 2 < n && tok_is(&toks[i + 1], "has")) {
            kl = t->len;
            op = OP_HAS;
            v = toks[i + 2].s;
            vl = toks[i + 2].len;
            i += 2;
        } else if (!split_kv(t, &kl, &op, &v, &vl)) {
            diag(p, t->col, "expected a constraint FIELD=VALUE (or !=, <=, >=, 'FIELD has V'), "
                 "'as VAR' or 'within DUR'; got '%.*s'", (int)t->len, t->s);
            return;
        }
        const field_def_t *fd = field_by_name(t->s, kl);
        if (!fd || !cmd_in(fd->expect, st->cmd)) {
            char list[200];
            fields_for(st->cmd, true, list, sizeof(list));
            diag(p, t->col, "an expected %s has no field '%.*s' (fields: %s)",
                 cell_cmd_name((uint8_t)st->cmd), (int)kl, t->s, list);
            return;
        }
        bool ordered = fd->kind == V_INT || fd->kind == V_TIME;
        bool listy = fd->kind == V_LIST || fd->kind == V_ADDRS;
        if ((op == OP_LE || op == OP_GE) && !ordered) {
            diag(p, t->col, "'%s' is not a number: use = or !=", fd->name);
            return;
        }
        if (op == OP_HAS && !listy) {
            diag(p, t->col, "'has' tests list membership; '%s' is not a list", fd->name);
            return;
        }
        if (st->n_fields == SC_CAP_FIELDS) {
            diag(p, t->col, "too many constraints");
            return;
        }
        sc_setting_t *s = &st->fields[st->n_fields++];
        s->field = fd->f;
        s->op = op;
        s->col = t->col;
        if (op == OP_HAS) {
            /* The element: a number for lists, an address for address lists. */
            field_def_t elem = *fd;
            elem.kind = fd->kind == V_LIST ? V_INT : V_ADDR;
            if (!value_for(p, toks[i].col, &elem, true, v, vl, &s->v))
                return;
            if (s->v.kind == V_INT)
                s->v.kind = V_INT;
            continue;
        }
        if (!value_for(p, t->col + (int)kl + (op == OP_EQ ? 1 : 2), fd, true, v, vl, &s->v))
            return;
    }
}

/* A quoted string as a NUL-terminated arena copy (escapes decoded; no NUL inside). */
static const char *string_value(parser_t *p, int col, const char *s, size_t n)
{
    sc_bytes_t b;
    if (n < 2 || s[0] != '"') {
        diag(p, col, "expected a quoted string, e.g. \"250 *\"");
        return NULL;
    }
    if (!bytes_value(p, col, s, n, &b))
        return NULL;
    if (memchr(b.p, 0, b.len)) {
        diag(p, col, "a pattern cannot contain a NUL byte");
        return NULL;
    }
    char *out = arena_alloc(p, b.len + 1);
    if (!out)
        return NULL;
    memcpy(out, b.p, b.len);
    out[b.len] = 0;
    return out;
}

/* expect line "GLOB" · expect reply "GLOB" · expect text "SUBSTRING" — each [has="S"]…
 * [lacks="S"]… [within DUR]; expect injection class=LIST · expect renegotiation LIST. */
static void parse_expect_text(parser_t *p, const tok_t *toks, int n, const char *line,
                              size_t len)
{
    const tok_t *w = &toks[1];
    conn_state_t *cs = &p->conn[p->cur_conn];
    if (tok_is(w, "injection") || tok_is(w, "renegotiation")) {
        bool inj = w->s[0] == 'i';
        if (inj ? !cs->starttls : !cs->renegotiated) {
            diag(p, w->col, "'expect %.*s' judges what the last '%s' on this connection saw; "
                 "there is none before it", (int)w->len, w->s, inj ? "starttls" : "renegotiate");
            return;
        }
        sc_step_t *st = new_step(p, inj ? ST_EXPECT_INJECTION : ST_EXPECT_RENEG, line, len);
        if (!st)
            return;
        for (int i = 2; i < n; i++) {
            const tok_t *t = &toks[i];
            if (tok_is(t, "within")) {
                if (!within(p, toks, n, &i, &st->within_ms))
                    return;
                continue;
            }
            const char *v = t->s;
            size_t vl = t->len;
            if (inj) {
                if (vl < 7 || memcmp(v, "class=", 6)) {
                    diag(p, t->col, "expected class=LIST (1 discarded, 2 dropped, 3 answered "
                         "in clear, 4 answered inside TLS) or 'within DUR'");
                    return;
                }
                v += 6;
                vl -= 6;
            }
            /* A comma list of classes: numbers 1-4, or renegotiation outcome names. */
            size_t a = 0;
            while (a < vl) {
                size_t b = a;
                while (b < vl && v[b] != ',')
                    b++;
                int cls = -1;
                if (inj && b - a == 1 && v[a] >= '1' && v[a] <= '4')
                    cls = v[a] - '0';
                for (int c = 0; !inj && c < RENEG_COUNT; c++)
                    if (strlen(sc_reneg_class_name((sc_reneg_class_t)c)) == b - a &&
                        !memcmp(v + a, sc_reneg_class_name((sc_reneg_class_t)c), b - a))
                        cls = c;
                if (cls < 0) {
                    diag(p, t->col + (int)(v - t->s + (long)a), inj
                         ? "an injection class is 1, 2, 3 or 4"
                         : "a renegotiation outcome is accepted, refused-kept-open, "
                           "refused-closed or no-answer");
                    return;
                }
                st->accept_mask |= 1u << cls;
                a = b + 1;
            }
        }
        if (!st->accept_mask)
            diag(p, w->col, inj ? "expected class=LIST" : "expected the acceptable outcomes, "
                 "e.g. 'expect renegotiation refused-kept-open,refused-closed'");
        return;
    }
    if (cs->tls_version >= 0 && !cs->starttls && p->sc->role != SC_ROLE_RESPONDER &&
        !strcmp(p->sc->protocol, "tor-link")) {
        diag(p, w->col, "text expectations belong to text protocols (this file is tor-link)");
        return;
    }
    sc_kind_t kind = tok_is(w, "line") ? ST_EXPECT_LINE
                     : tok_is(w, "reply") ? ST_EXPECT_REPLY : ST_EXPECT_TEXT;
    sc_step_t *st = new_step(p, kind, line, len);
    if (!st)
        return;
    if (n < 3 || !toks[2].quoted) {
        diag(p, w->col, kind == ST_EXPECT_TEXT ? "expected 'expect text \"SUBSTRING\"'"
                                               : "expected 'expect %.*s \"PATTERN\"' (a glob: * "
                                                 "any text, ? one character)",
             (int)w->len, w->s);
        return;
    }
    st->texp.pat = string_value(p, toks[2].col, toks[2].s, toks[2].len);
    if (!st->texp.pat)
        return;
    if (kind == ST_EXPECT_TEXT && !st->texp.pat[0]) {
        diag(p, toks[2].col, "the substring must not be empty");
        return;
    }
    for (int i = 3; i < n; i++) {
        const tok_t *t = &toks[i];
        if (tok_is(t, "within")) {
            if (!within(p, toks, n, &i, &st->within_ms))
                return;
            continue;
        }
        bool has = t->len > 4 && !memcmp(t->s, "has=", 4);
        bool lacks = t->len > 6 && !memcmp(t->s, "lacks=", 6);
        if (!has && !lacks) {
            diag(p, t->col, "expected has=\"TEXT\", lacks=\"TEXT\" or 'within DUR', got '%.*s'",
                 (int)t->len, t->s);
            return;
        }
        size_t *cnt = has ? &st->texp.n_has : &st->texp.n_lacks;
        if (*cnt == SC_CAP_TEXT_CHECKS) {
            diag(p, t->col, "at most %u has= and %u lacks= per expectation", SC_CAP_TEXT_CHECKS,
                 SC_CAP_TEXT_CHECKS);
            return;
        }
        size_t skip = has ? 4 : 6;
        const char *v = string_value(p, t->col + (int)skip, t->s + skip, t->len - skip);
        if (!v)
            return;
        (has ? st->texp.has : st->texp.lacks)[(*cnt)++] = v;
    }
}

/* starttls [tls=… ciphers=… priority=… scsv=… reneg=…] [settle=DUR] [observe=DUR] [within DUR] */
static void parse_starttls(parser_t *p, const tok_t *toks, int n, const char *line, size_t len)
{
    if (!need_conn(p, &toks[0]))
        return;
    conn_state_t *cs = &p->conn[p->cur_conn];
    if (cs->tls_version >= 0 || cs->starttls) {
        diag(p, toks[0].col, "'starttls' upgrades a connection that is still in clear; this one "
             "%s", cs->starttls ? "already ran starttls" : "has TLS from the start (tls=none "
             "opens it in clear)");
        return;
    }
    sc_step_t *st = new_step(p, ST_STARTTLS, line, len);
    if (!st)
        return;
    st->tls.version = 0;
    for (int i = 1; i < n; i++) {
        const tok_t *t = &toks[i];
        if (tok_is(t, "within")) {
            if (!within(p, toks, n, &i, &st->within_ms))
                return;
            continue;
        }
        bool settle = t->len > 7 && !memcmp(t->s, "settle=", 7);
        bool observe = t->len > 8 && !memcmp(t->s, "observe=", 8);
        if (settle || observe) {
            size_t k = settle ? 7 : 8;
            if (!duration_value(p, t->col + (int)k, t->s + k, t->len - k,
                                settle ? &st->settle_ms : &st->observe_ms))
                return;
            continue;
        }
        if (!tls_opt(p, t, &st->tls) || st->tls.version < 0) {
            diag(p, t->col, "unknown starttls option '%.*s' (expected tls=1.0|1.1|1.2|1.3|any, "
                 "ciphers=, groups=, kx=, priority=, scsv=, reneg=, settle=DUR, observe=DUR, "
                 "within DUR)", (int)t->len, t->s);
            return;
        }
    }
    cs->starttls = true;
    cs->tls_version = st->tls.version;
}

static void parse_expect(parser_t *p, const tok_t *toks, int n, const char *line, size_t len)
{
    if (!need_conn(p, &toks[0]))
        return;
    if (n < 2) {
        diag(p, toks[0].col + 7, "expected what to expect: a cell name, close, silence, alert, server-hello, alert-record, "
             "client-hello, tls or tls-failure");
        return;
    }
    const tok_t *w = &toks[1];
    scenario_t *s = p->sc;
    conn_state_t *cs = &p->conn[p->cur_conn];
    bool prev_connect = s->n_steps > 0 && (s->steps[s->n_steps - 1].kind == ST_CONNECT ||
                                           s->steps[s->n_steps - 1].kind == ST_ACCEPT ||
                                           s->steps[s->n_steps - 1].kind == ST_STARTTLS) &&
                        s->steps[s->n_steps - 1].conn == p->cur_conn;
    if (tok_is(w, "tls-failure") || tok_is(w, "tls")) {
        bool fail = w->len > 3;
        if (!prev_connect) {
            diag(p, w->col, "'expect %.*s' checks the TLS handshake: it must directly follow "
                 "the 'connect', 'accept' or 'starttls' of its connection", (int)w->len, w->s);
            return;
        }
        if (cs->tls_version < 0) {
            diag(p, w->col, "this connection has no TLS (tls=none)");
            return;
        }
        sc_step_t *st = new_step(p, fail ? ST_EXPECT_TLS_FAILURE : ST_EXPECT_TLS, line, len);
        if (!st)
            return;
        if (fail)
            cs->tls_fail_expected = true;
        for (int i = 2; i < n; i++) {
            const tok_t *t = &toks[i];
            size_t kl, vl;
            sc_op_t op;
            const char *v;
            if (!split_kv(t, &kl, &op, &v, &vl) || op != OP_EQ) {
                diag(p, t->col, "expected KEY=VALUE, got '%.*s'", (int)t->len, t->s);
                return;
            }
            char key[16], val[48];
            snprintf(key, sizeof(key), "%.*s", (int)(kl < 15 ? kl : 15), t->s);
            snprintf(val, sizeof(val), "%.*s", (int)(vl < 47 ? vl : 47), v);
            int col = t->col + (int)kl + 1;
            if (fail && !strcmp(key, "alert")) {
                int64_t code;
                st->alert_desc = tls_alert_from_name(val);
                if (st->alert_desc < 0 && parse_i64(v, vl, &code) && code >= 0 && code <= 255)
                    st->alert_desc = (int)code;
                if (st->alert_desc < 0)
                    diag(p, col, "unknown alert '%s' (use the RFC name, e.g. protocol_version, "
                         "handshake_failure, or a number)", val);
            } else if (!fail && !strcmp(key, "version")) {
                if (strcmp(val, "TLS1.0") && strcmp(val, "TLS1.1") && strcmp(val, "TLS1.2") &&
                    strcmp(val, "TLS1.3"))
                    diag(p, col, "version is TLS1.0, TLS1.1, TLS1.2 or TLS1.3");
                snprintf(st->tls_version, sizeof(st->tls_version), "%.15s", val);
            } else if (!fail && !strcmp(key, "ri")) {
                st->tls_ri = !strcmp(val, "yes") ? 1 : !strcmp(val, "no") ? 0 : -1;
                if (st->tls_ri < 0)
                    diag(p, col, "ri (RFC 5746 renegotiation_info negotiated) is yes or no");
            } else if (!fail && !strcmp(key, "cipher")) {
                strcpy(st->tls_cipher, val);
            } else if (!fail && !strcmp(key, "kx")) {
                snprintf(st->tls_kx, sizeof(st->tls_kx), "%s", val);
            } else if (!fail && !strcmp(key, "group")) {
                snprintf(st->tls_group, sizeof(st->tls_group), "%s", val);
            } else {
                diag(p, t->col, "unknown key '%s' (expected %s)", key,
                     fail ? "alert=" : "version=, cipher=, kx=, group=, ri=");
                return;
            }
        }
        return;
    }
    if (cs->tls_fail_expected) {
        diag(p, w->col, "this connection's TLS handshake is expected to fail; nothing more can "
             "be expected on it");
        return;
    }
    if (tok_is(w, "client-hello")) {
        parse_client_hello(p, toks, n, line, len);
        return;
    }
    if (tok_is(w, "server-hello") || tok_is(w, "alert-record")) {
        parse_rawtls(p, tok_is(w, "alert-record") ? ST_EXPECT_ALERT_RECORD
                                                  : ST_EXPECT_SERVER_HELLO, toks, n, line, len);
        return;
    }
    if (tok_is(w, "line") || tok_is(w, "reply") || tok_is(w, "text") ||
        tok_is(w, "injection") || tok_is(w, "renegotiation")) {
        parse_expect_text(p, toks, n, line, len);
        return;
    }
    if (tok_is(w, "close")) {
        sc_step_t *st = new_step(p, ST_EXPECT_CLOSE, line, len);
        if (!st)
            return;
        for (int i = 2; i < n; i++) {
            if (tok_is(&toks[i], "fin"))
                st->close_kind = 1;
            else if (tok_is(&toks[i], "rst"))
                st->close_kind = 2;
            else if (tok_is(&toks[i], "within")) {
                if (!within(p, toks, n, &i, &st->within_ms))
                    return;
            } else {
                diag(p, toks[i].col, "expected fin, rst or 'within DUR', got '%.*s'",
                     (int)toks[i].len, toks[i].s);
                return;
            }
        }
        return;
    }
    if (tok_is(w, "silence")) {
        sc_step_t *st = new_step(p, ST_EXPECT_SILENCE, line, len);
        if (!st)
            return;
        if (n != 3) {
            diag(p, w->col, "expected 'expect silence DUR', e.g. expect silence 500ms");
            return;
        }
        (void)duration_value(p, toks[2].col, toks[2].s, toks[2].len, &st->within_ms);
        return;
    }
    if (tok_is(w, "alert")) {
        sc_step_t *st = new_step(p, ST_EXPECT_ALERT, line, len);
        if (!st)
            return;
        if (cs->tls_version < 0) {
            diag(p, w->col, "this connection has no TLS (tls=none): no alert can arrive");
            return;
        }
        for (int i = 2; i < n; i++) {
            const tok_t *t = &toks[i];
            if (tok_is(t, "within")) {
                if (!within(p, toks, n, &i, &st->within_ms))
                    return;
                continue;
            }
            if (t->len > 6 && !memcmp(t->s, "level=", 6)) {
                if (t->len == 13 && !memcmp(t->s + 6, "warning", 7))
                    st->alert_level = 1;
                else if (t->len == 11 && !memcmp(t->s + 6, "fatal", 5))
                    st->alert_level = 2;
                else
                    diag(p, t->col + 6, "level is warning or fatal");
                continue;
            }
            if (t->len > 5 && !memcmp(t->s, "desc=", 5)) {
                char val[48];
                int64_t code;
                snprintf(val, sizeof(val), "%.*s", (int)(t->len - 5 < 47 ? t->len - 5 : 47),
                         t->s + 5);
                st->alert_desc = tls_alert_from_name(val);
                if (st->alert_desc < 0 && parse_i64(t->s + 5, t->len - 5, &code) && code >= 0 &&
                    code <= 255)
                    st->alert_desc = (int)code;
                if (st->alert_desc < 0)
                    diag(p, t->col + 5, "unknown alert '%s' (use the RFC name, e.g. "
                         "no_renegotiation, or a number)", val);
                continue;
            }
            diag(p, t->col, "expected level=, desc= or 'within DUR', got '%.*s'", (int)t->len,
                 t->s);
            return;
        }
        return;
    }
    sc_step_t *st = new_step(p, ST_EXPECT_CELL, line, len);
    if (st)
        parse_expect_cell(p, toks, n, st);
}

static void parse_mitm_hook(parser_t *p, const tok_t *toks, int n)
{
    sc_step_t *m = p->mitm_step;
    if (m->n_hooks == SC_CAP_HOOKS) {
        diag(p, toks[0].col, "at most %u hooks in a mitm block", SC_CAP_HOOKS);
        return;
    }
    sc_hook_t *h = &m->hooks[m->n_hooks];
    memset(h, 0, sizeof(*h));
    if (tok_is(&toks[0], "to-server"))
        h->to_server = true;
    else if (!tok_is(&toks[0], "to-client")) {
        diag(p, toks[0].col, "expected a hook 'to-server CELL …' or 'to-client CELL …', or '}'");
        return;
    }
    if (n < 3) {
        diag(p, toks[0].col, "a hook is DIRECTION CELL then 'drop', fields or mutations");
        return;
    }
    h->cmd = cell_from_tok(p, &toks[1]);
    if (h->cmd < 0)
        return;
    if (tok_is(&toks[2], "drop")) {
        if (n > 3)
            diag(p, toks[3].col, "nothing may follow 'drop'");
        h->drop = true;
    } else if (!send_args(p, toks, n, 2, h->cmd, h->fields, &h->n_fields, h->muts, &h->n_muts,
                          NULL)) {
        return;
    }
    m->n_hooks++;
}

static void parse_step(parser_t *p, const char *line, size_t len)
{
    tok_t toks[SC_TOK_CAP];
    int n = tokenize(p, line, len, toks, SC_TOK_CAP);
    if (n <= 0)
        return;
    p->in_steps = true;
    scenario_t *s = p->sc;
    const tok_t *k = &toks[0];
    if (p->in_mitm) {
        if (tok_is(k, "}")) {
            if (n > 1)
                diag(p, toks[1].col, "nothing may follow '}'");
            p->in_mitm = false;
            return;
        }
        parse_mitm_hook(p, toks, n);
        return;
    }
    if (tok_is(k, "connect") || tok_is(k, "listen")) {
        parse_connect(p, toks, n, line, len, tok_is(k, "listen"));
    } else if (tok_is(k, "use")) {
        if (n != 2) {
            diag(p, k->col, "expected 'use NAME'");
            return;
        }
        int c = conn_index(s, toks[1].s, toks[1].len);
        if (c < 0) {
            diag(p, toks[1].col, "no connection named '%.*s' (open it with 'connect … as %.*s')",
                 (int)toks[1].len, toks[1].s, (int)toks[1].len, toks[1].s);
            return;
        }
        p->cur_conn = c;
        sc_step_t *st = new_step(p, ST_USE, line, len);
        if (st)
            st->conn = c;
    } else if (tok_is(k, "send")) {
        parse_send(p, toks, n, line, len);
    } else if (tok_is(k, "expect")) {
        parse_expect(p, toks, n, line, len);
    } else if (tok_is(k, "renegotiate")) {
        if (!need_conn(p, k))
            return;
        int v = p->conn[p->cur_conn].tls_version;
        if (v == 13 || v < 0) {
            diag(p, k->col, "renegotiation needs TLS 1.2 (this connection is %s)",
                 v < 0 ? "plain TCP" : "TLS 1.3 only");
            return;
        }
        sc_step_t *st = new_step(p, ST_RENEGOTIATE, line, len);
        p->conn[p->cur_conn].renegotiated = true;
        for (int i = 1; st && i < n; i++) {
            if (!tok_is(&toks[i], "within")) {
                diag(p, toks[i].col, "expected 'within DUR'");
                return;
            }
            if (!within(p, toks, n, &i, &st->within_ms))
                return;
        }
    } else if (tok_is(k, "starttls")) {
        parse_starttls(p, toks, n, line, len);
    } else if (tok_is(k, "close")) {
        if (!need_conn(p, k))
            return;
        if (n > 1)
            diag(p, toks[1].col, "'close' takes no arguments");
        (void)new_step(p, ST_CLOSE, line, len);
    } else if (tok_is(k, "accept")) {
        if (s->role == SC_ROLE_INITIATOR) {
            diag(p, k->col, "'accept' belongs to the responder and mitm roles");
            return;
        }
        if (!p->listening) {
            diag(p, k->col, "'accept' needs a 'listen' before it");
            return;
        }
        sc_step_t *st = new_step(p, ST_ACCEPT, line, len);
        if (!st)
            return;
        for (int i = 1; i < n; i++) {
            if (!tok_is(&toks[i], "within")) {
                diag(p, toks[i].col, "expected 'within DUR'");
                return;
            }
            if (!within(p, toks, n, &i, &st->within_ms))
                return;
        }
        char name[SC_CAP_NAME];
        snprintf(name, sizeof(name), "accepted%zu", s->n_conns);
        if (s->role == SC_ROLE_MITM && conn_index(s, "client", 6) < 0)
            strcpy(name, "client"); /* the MITM's leg toward the target that dialled it */
        if (s->n_conns == SC_CAP_CONNS) {
            diag(p, k->col, "at most %u connections", SC_CAP_CONNS);
            return;
        }
        strcpy(s->conns[s->n_conns], name);
        p->cur_conn = (int)s->n_conns++;
        p->conn[p->cur_conn].tls_version = p->listen_tls_version;
        st->conn = p->cur_conn;
    } else if (tok_is(k, "mitm")) {
        if (s->role != SC_ROLE_MITM) {
            diag(p, k->col, "a 'mitm' block needs 'role: mitm'");
            return;
        }
        if (n < 2 || !tok_is(&toks[n - 1], "{") || (n != 2 && (n != 4 ||
                                                              !tok_is(&toks[1], "within")))) {
            diag(p, k->col, "expected 'mitm [within DUR] {' (hooks follow, one per line, then "
                 "'}')");
            return;
        }
        int legs[2] = { conn_index(s, "client", 6), conn_index(s, "server", 6) };
        if (legs[0] < 0 || legs[1] < 0) {
            diag(p, k->col, "a 'mitm' block joins two legs: 'accept' (the client leg) and "
                 "'connect' (the server leg) must come before it");
            return;
        }
        sc_step_t *st = new_step(p, ST_MITM, line, len);
        if (!st)
            return;
        int wi = 1;
        if (n == 4 && !within(p, toks, n - 1, &wi, &st->within_ms))
            return;
        st->mitm_client = legs[0];
        st->mitm_server = legs[1];
        st->hooks = arena_alloc(p, SC_CAP_HOOKS * sizeof(sc_hook_t));
        if (!st->hooks)
            return;
        p->mitm_step = st;
        p->in_mitm = true;
    } else {
        diag(p, k->col, "unknown step '%.*s' (expected connect, use, send, expect, renegotiate, "
             "starttls, close, listen, accept or mitm)", (int)k->len, k->s);
    }
}

/* ---------------------------------------------------------------------------------------- */

int scen_parse_text(const char *path, const char *text, size_t len, scenario_t *out,
                    sc_diags_t *diags)
{
    memset(out, 0, sizeof(*out));
    memset(diags, 0, sizeof(*diags));
    snprintf(out->file, sizeof(out->file), "%s", path);
    out->timeout_ms = SC_DEFAULT_TIMEOUT_MS;
    parser_t p = { .sc = out, .d = diags, .cur_conn = -1, .last_key = -1 };
    out->steps = calloc(SC_CAP_STEPS, sizeof(sc_step_t));
    if (!out->steps) {
        diag(&p, 1, "out of memory");
        return -1;
    }
    if (memchr(text, 0, len)) {
        p.line = 1;
        diag(&p, 1, "the file contains a NUL byte: scenario files are text");
        return -1;
    }
    size_t i = 0;
    while (i < len) {
        const char *line = text + i;
        const char *nl = memchr(line, '\n', len - i);
        size_t n = nl ? (size_t)(nl - line) : len - i;
        i += n + 1;
        p.line++;
        size_t b = 0;
        while (b < n && (line[b] == ' ' || line[b] == '\t' || line[b] == '\r'))
            b++;
        if (b == n || line[b] == '#')
            continue;
        if (!p.in_steps && b > 0 && p.last_key >= 0) {
            header_continuation(&p, line, n);
            continue;
        }
        if (header_line(&p, line, n))
            continue;
        if (!p.in_steps) {
            /* The header ends here: check it before the steps use role etc. */
            for (int h = 0; h < H_COUNT; h++)
                if (header_required[h] && !p.seen[h])
                    diag(&p, 1, "missing header key '%s:' before the first step",
                         header_keys[h]);
            if (p.bad)
                p.in_steps = true; /* keep checking steps, but the role may be wrong */
        }
        parse_step(&p, line, n);
    }
    p.line = p.line ? p.line : 1;
    if (!p.in_steps) {
        for (int h = 0; h < H_COUNT; h++)
            if (header_required[h] && !p.seen[h])
                diag(&p, 1, "missing header key '%s:'", header_keys[h]);
        diag(&p, 1, "no steps: a scenario needs at least a connection and an expectation");
    }
    if (p.in_mitm)
        diag(&p, 1, "unterminated 'mitm {' block: expected '}'");
    for (size_t k = 0; k < out->n_wire_hashes; k++) {
        const sc_wire_hash_t *w = &out->wire_hashes[k];
        bool known = false;
        for (size_t c = 0; c < out->n_conns; c++)
            known = known || !strcmp(out->conns[c], w->conn);
        if (!known && p.in_steps) {
            int saved = p.line;
            p.line = w->line;
            diag(&p, w->col, "wire-sha256 names connection '%s', which no step opens", w->conn);
            p.line = saved;
        }
    }
    bool any_expect = false;
    for (size_t k = 0; k < out->n_steps; k++)
        any_expect = any_expect || sc_kind_is_expect(out->steps[k].kind);
    if (p.in_steps && !any_expect)
        diag(&p, 1, "no 'expect' step: a scenario that expects nothing checks nothing");
    return p.bad ? -1 : 0;
}

int scen_parse_file(const char *path, scenario_t *out, sc_diags_t *diags)
{
    memset(out, 0, sizeof(*out));
    memset(diags, 0, sizeof(*diags));
    FILE *f = fopen(path, "rb");
    if (!f) {
        diags->n = 1;
        diags->d[0].line = 0;
        snprintf(diags->d[0].msg, sizeof(diags->d[0].msg), "cannot open: %s", strerror(errno));
        return -1;
    }
    char *buf = malloc(SC_CAP_FILE + 1);
    size_t n = buf ? fread(buf, 1, SC_CAP_FILE + 1, f) : 0;
    bool err = ferror(f);
    fclose(f);
    if (!buf || err || n > SC_CAP_FILE) {
        diags->n = 1;
        snprintf(diags->d[0].msg, sizeof(diags->d[0].msg), "%s",
                 !buf ? "out of memory" : err ? "read error" : "file larger than the cap "
                                                              "(256 KiB)");
        free(buf);
        return -1;
    }
    int rc = scen_parse_text(path, buf, n, out, diags);
    free(buf);
    return rc;
}

void scen_free(scenario_t *s)
{
    sc_arena_blk_t *b = s->arena;
    while (b) {
        sc_arena_blk_t *next = b->next;
        free(b);
        b = next;
    }
    free(s->steps);
    memset(s, 0, sizeof(*s));
}
