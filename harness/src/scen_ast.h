/* scen_ast.h — a parsed scenario file: header, and steps with typed, validated arguments.
 *
 * The language is documented in scenarios/README.md.  Everything the interpreter needs is
 * decided at parse time (field kinds, which cell a mutation applies to, which connection a
 * step uses), so a file that parses can only fail at run time because of the target or the
 * environment, never because of a typo discovered halfway through a run. */
#ifndef SCEN_AST_H
#define SCEN_AST_H

#include "hs_common.h"
#include "scen_hello_ast.h"
#include "scen_rawtls_ast.h"
#include "wire_netinfo.h"

#define SC_CAP_STEPS 256u
#define SC_CAP_FIELDS 16u
#define SC_CAP_MUTS 12u
#define SC_CAP_LIST 64u
#define SC_CAP_NAME 32u
#define SC_CAP_TEXT 512u
#define SC_CAP_CONNS 8u
#define SC_CAP_VARS 16u
#define SC_CAP_HOOKS 16u
#define SC_CAP_DIAGS 32u
#define SC_CAP_FILE (256u * 1024u) /* a scenario file larger than this is refused */
#define SC_DEFAULT_TIMEOUT_MS 2000

/* Pseudo-commands a step may name besides the cell commands 0-255: relay messages that travel
 * inside a RELAY / RELAY_EARLY cell on a circuit the engine keyed (crypto_relay.h). */
#define SC_CMD_EXTEND2 (256 + 14)
static inline bool sc_cmd_is_relay_msg(int cmd) { return cmd >= 256; }

typedef enum sc_role { SC_ROLE_INITIATOR, SC_ROLE_RESPONDER, SC_ROLE_MITM } sc_role_t;
const char *sc_role_name(sc_role_t r);

/* The header's protocol: tor-link (cells), tls (application data after a TLS handshake) or a
 * STARTTLS protocol (<proto>-starttls: lines in clear, then TLS).  Every protocol but tor-link
 * is read as text (expect line / reply / text). */
bool sc_protocol_known(const char *name);
bool sc_protocol_is_starttls(const char *name);
bool sc_protocol_is_text(const char *name);

typedef enum sc_level { SC_MUST, SC_SHOULD, SC_MAY } sc_level_t;
const char *sc_level_name(sc_level_t l);

typedef enum sc_kind {
    ST_CONNECT,
    ST_USE,
    ST_SEND,      /* a cell built from fields */
    ST_SEND_RAW,  /* bytes as given */
    ST_SEND_VAR,  /* replay a captured cell */
    ST_RENEGOTIATE,
    ST_STARTTLS, /* TLS over a connection that began in clear (client, or server if accepted) */
    ST_CLOSE,
    ST_EXPECT_CELL,
    ST_EXPECT_CLOSE,
    ST_EXPECT_SILENCE,
    ST_EXPECT_ALERT,
    ST_EXPECT_TLS_FAILURE,
    ST_EXPECT_LINE,      /* text protocols: the next line matches a pattern */
    ST_EXPECT_REPLY,     /* lines up to the first that matches (a multi-line reply) */
    ST_EXPECT_TEXT,      /* bytes up to a substring (XMPP: no lines) */
    ST_EXPECT_INJECTION, /* the class of what the last starttls saw (tls-downgrade.md §2) */
    ST_EXPECT_RENEG,     /* what the last renegotiate got: accepted / refused-… / no-answer */
    ST_EXPECT_TLS,
    ST_LISTEN, /* responder / MITM roles: parsed, not yet run */
    ST_ACCEPT,
    ST_MITM,
    ST_SEND_SSLV2_HELLO,     /* raw TLS on a tls=none connection (scen_rawtls.h) */
    ST_EXPECT_SERVER_HELLO,
    ST_EXPECT_ALERT_RECORD,
    ST_EXPECT_CLIENT_HELLO, /* the ClientHello of an accepted connection (scen_hello.h) */
} sc_kind_t;

static inline bool sc_kind_is_expect(sc_kind_t k)
{
    return (k >= ST_EXPECT_CELL && k <= ST_EXPECT_TLS) || k == ST_EXPECT_SERVER_HELLO ||
           k == ST_EXPECT_ALERT_RECORD || k == ST_EXPECT_CLIENT_HELLO;
}

/* Byte values: literal bytes (hex:, "text", zeros:N) or N random bytes drawn at run time. */
typedef struct sc_bytes {
    bool random;
    size_t len;
    uint8_t *p; /* literal bytes (owned by the scenario arena) */
} sc_bytes_t;

typedef enum sc_vkind {
    V_INT,
    V_LIST,
    V_BYTES,
    V_TIME,  /* now ± offset, or absolute */
    V_ADDR,  /* one NETINFO address (or "target") */
    V_ADDRS, /* list of addresses, possibly empty (none) */
    V_WORD,  /* yes/no, ok/bad, a check id */
    V_VARREF /* $VAR.FIELD */
} sc_vkind_t;

typedef struct sc_addr {
    bool target; /* the target's IP as dialled */
    netinfo_addr_t a;
} sc_addr_t;

typedef struct sc_value {
    sc_vkind_t kind;
    int64_t i; /* V_INT; V_TIME offset */
    bool time_rel; /* V_TIME relative to now */
    size_t n;      /* V_LIST, V_ADDRS */
    int64_t list[SC_CAP_LIST];
    sc_bytes_t bytes;
    sc_addr_t *addrs; /* V_ADDR (one) / V_ADDRS (n); arena */
    char word[SC_CAP_NAME * 2];
    int var;   /* V_VARREF: index into the scenario's variables */
    int field; /* V_VARREF: sc_field_t */
} sc_value_t;

typedef enum sc_field {
    F_CIRC,
    F_WIDTH,
    F_BODY,
    F_LEN,
    F_VERSIONS,
    F_TIME,
    F_SKEW,
    F_OTHER,
    F_MY,
    F_CERTS,
    F_EXPIRED,
    F_TYPES,
    F_VALID,
    F_FAILURE,
    F_CHALLENGE,
    F_METHODS,
    F_AUTH_TYPE,
    F_AUTH,
    F_AUTHLEN,
    F_KEY,
    F_KH,
    F_REASON,
    F_PN_VERSION,
    F_PN_COMMAND,
    F_PN_LOW,
    F_PN_HIGH,
    /* AUTHENTICATE authenticator fields forced by the scenario (the rest are computed). */
    F_A_CID,
    F_A_SID,
    F_A_CID_ED,
    F_A_SID_ED,
    F_A_SLOG,
    F_A_CLOG,
    F_A_SCERT,
    F_A_TLSSECRETS,
    F_A_RAND,
    F_A_SIG,
    F_A_CONTEXT, /* type 3: the exporter context of TLSSECRETS (word "ed"/"cid", or bytes) */
    /* EXTEND2 (a relay message sent on a CREATE_FAST circuit) and what the extension carries */
    F_X_ADDR,
    F_X_PORT,
    F_X_ID,
    F_X_ED,
    F_HTYPE,
    F_HDATA,
    F_EARLY,
    F_RCMD,     /* expect RELAY: the relay command of the decrypted, recognised payload */
    /* expect AUTHENTICATE from an initiator (responder role): verified against the channel */
    F_VERIFIED,
    F_MISMATCH,
    F_COUNT,
} sc_field_t;
const char *sc_field_name(sc_field_t f);

typedef enum sc_op { OP_EQ, OP_NE, OP_LE, OP_GE, OP_HAS } sc_op_t;
const char *sc_op_name(sc_op_t op);

typedef struct sc_setting {
    sc_field_t field;
    sc_op_t op; /* OP_EQ for send fields */
    sc_value_t v;
    int col;
} sc_setting_t;

typedef enum sc_mut_kind {
    M_DROP_CERT,
    M_DUP_CERT,
    M_ORDER_CERTS,
    M_CORRUPT_CERT,
    M_ADD_CERT,  /* add-cert T BYTES: an extra entry of any type with these bytes */
    M_CERT_EDIT, /* cert-edit T FIELD=VALUE: our own type-T cert built with one field changed */
    M_TRUNCATE,
    M_FLIP,
    M_POKE,
    M_APPEND,
    M_LENGTH,
    M_CMD,
} sc_mut_kind_t;

/* The certificate-list operators act on a CERTS cell's list, before it is encoded. */
static inline bool sc_mut_is_cert_op(sc_mut_kind_t k) { return k <= M_CERT_EDIT; }

/* cert-edit T FIELD=VALUE (scen_certedit.h): the field of the harness's own type-T
 * certificate that is given another value before the certificate is signed. */
typedef enum sc_certedit_field {
    CE_VERSION,   /* Ed25519 certs: the VERSION byte */
    CE_CERT_TYPE, /* Ed25519 certs: the CERT_TYPE byte */
    CE_KEY_TYPE,  /* Ed25519 certs: the CERT_KEY_TYPE byte */
    CE_KEY,       /* Ed25519 certs: CERTIFIED_KEY; type 7: ED25519_KEY */
    CE_EXT_NONE,  /* Ed25519 certs: no extensions (type 4 loses its signed-with-key one) */
    CE_EXPIRES,   /* any type: X.509 notAfter, or the expiry hour of an Ed25519/cross cert */
    CE_APPEND,    /* any type: bytes after the encoded certificate (outside its signature) */
} sc_certedit_field_t;

typedef struct sc_certedit {
    sc_certedit_field_t field;
    int64_t v;  /* VERSION / CERT_TYPE / CERT_KEY_TYPE byte; CE_EXPIRES: seconds */
    bool rel;   /* CE_EXPIRES: v is an offset from now */
    int key_of; /* CE_KEY: SHA-256 of this list's type-key_of cert; 0: the literal bytes */
} sc_certedit_t;

typedef struct sc_mut {
    sc_mut_kind_t kind;
    int64_t a, b;      /* cert type / byte count / offset; bit */
    size_t n;          /* M_ORDER_CERTS */
    int64_t list[SC_CAP_LIST];
    sc_bytes_t bytes;  /* M_POKE, M_APPEND, M_ADD_CERT; M_CERT_EDIT key= / append= */
    sc_certedit_t edit; /* M_CERT_EDIT */
} sc_mut_t;

/* What the last renegotiate got, as `expect renegotiation` names it. */
typedef enum sc_reneg_class {
    RENEG_ACCEPTED,          /* the new handshake completed */
    RENEG_REFUSED_KEPT_OPEN, /* a warning alert (no_renegotiation), the connection still up */
    RENEG_REFUSED_CLOSED,    /* a fatal alert or a close (with or without a warning first) */
    RENEG_NO_ANSWER,         /* nothing within the bound */
    RENEG_COUNT,
} sc_reneg_class_t;
const char *sc_reneg_class_name(sc_reneg_class_t c);

#define SC_CAP_TEXT_CHECKS 4u /* has= / lacks= per text expectation */

/* A text expectation: the pattern that ends it and substrings the consumed text must / must
 * not contain (strings live in the scenario arena). */
typedef struct sc_text_expect {
    const char *pat; /* line/reply: a glob for a whole line; text: a substring */
    size_t n_has, n_lacks;
    const char *has[SC_CAP_TEXT_CHECKS], *lacks[SC_CAP_TEXT_CHECKS];
} sc_text_expect_t;
/* Whose RSA fingerprint `{fp}` gives the peer command of `listen` (`pin=`): the harness's (the
 * responder role's default), the real target's (the MITM role's default: a client pinned to the
 * relay it thinks it reaches), or none (a bridge line without a fingerprint). */
typedef enum sc_pin { SC_PIN_DEFAULT, SC_PIN_HARNESS, SC_PIN_TARGET, SC_PIN_NONE } sc_pin_t;
/* The TLS certificate an accepted connection presents (`listen cert=`): the RSA link
 * certificate our identity issues, valid from yesterday for a year (the default); the same
 * expired ten days ago; or an ECDSA P-256 key certified by our RSA identity.  CERTS types 1
 * and 5 describe whichever it is (catalogue D35: the Ed25519 path binds the TLS certificate by
 * its digest only). */
typedef enum sc_cert_kind { SC_CERT_LINK, SC_CERT_EXPIRED, SC_CERT_ECDSA } sc_cert_kind_t;

typedef struct sc_tls_choice {
    int version; /* -1 none (plain TCP), 0 any (1.2 and 1.3), 10, 11, 12, 13 */
    bool scsv;   /* TLS_FALLBACK_SCSV in the suite list */
    int reneg;   /* tls_reneg_t: safe (default), unsafe, none */
    char ciphers[128], groups[128], kx[64];
    char priority[400];
} sc_tls_choice_t;

typedef struct sc_hook {
    bool to_server;
    int cmd;
    bool drop;
    size_t n_fields;
    sc_setting_t fields[SC_CAP_FIELDS];
    size_t n_muts;
    sc_mut_t muts[SC_CAP_MUTS];
} sc_hook_t;

typedef struct sc_step {
    sc_kind_t kind;
    int line;
    char text[160]; /* the step as written, for failed_step */
    int conn;       /* connection index the step acts on (-1: none) */
    int64_t within_ms;
    /* connect / listen */
    sc_tls_choice_t tls;
    sc_pin_t pin; /* listen */
    sc_cert_kind_t cert; /* listen */
    /* send / expect cell */
    int cmd;
    size_t n_fields;
    sc_setting_t fields[SC_CAP_FIELDS];
    size_t n_muts;
    sc_mut_t muts[SC_CAP_MUTS];
    int as_var;  /* -1 or the variable this step captures into */
    int use_var; /* ST_SEND_VAR */
    sc_bytes_t raw;
    /* expect close: 0 any, 1 fin, 2 rst */
    int close_kind;
    /* expect alert / tls-failure: -1 any */
    int alert_level, alert_desc;
    /* expect tls */
    char tls_version[16], tls_cipher[48], tls_kx[48], tls_group[48];
    int tls_ri; /* expect tls ri=yes|no: -1 unchecked */
    /* expect line / reply / text */
    sc_text_expect_t texp;
    /* starttls: plaintext wait before the handshake, observation inside TLS after it */
    int64_t settle_ms, observe_ms;
    /* expect injection (bit N: class N is acceptable) / expect renegotiation (bit per class) */
    unsigned accept_mask;
    /* send sslv2-hello / expect server-hello */
    sc_rawtls_args_t rawtls;
    /* expect client-hello (arena) */
    sc_hello_args_t *hello;
    /* mitm block */
    /* mitm block (scen_mitm.h): the legs it joins, its hooks */
    int mitm_client, mitm_server;
    size_t n_hooks;
    sc_hook_t *hooks; /* arena */
} sc_step_t;

typedef struct sc_var {
    char name[SC_CAP_NAME];
    int cmd;     /* the cell kind it holds (fields resolve against it) */
    int line;    /* where it was defined */
} sc_var_t;

typedef struct sc_arena_blk sc_arena_blk_t;

#define SC_CAP_WIRE_HASHES 8u

/* A digest the scenario declares for a deterministic stream (header `wire-sha256:`): SHA-256
 * of everything one side sent above TLS on one connection.  The wire check recomputes it
 * from the decrypted capture; the engine only carries it into the result. */
typedef struct sc_wire_hash {
    char conn[SC_CAP_NAME];
    bool sent; /* the harness's direction; false: what the target sent */
    uint8_t sha256[32];
    int line, col;
} sc_wire_hash_t;

typedef struct scenario {
    char file[256];
    char id[96];
    char title[200];
    sc_role_t role;
    char protocol[32];
    char peers[8][SC_CAP_NAME];
    size_t n_peers;
    char spec[96];
    sc_level_t level;
    char requirement[SC_CAP_TEXT];
    char catalogue[16];
    char note[SC_CAP_TEXT];
    int64_t timeout_ms;
    size_t n_wire_hashes;
    sc_wire_hash_t wire_hashes[SC_CAP_WIRE_HASHES];
    int id_line; /* for duplicate-id diagnostics */
    size_t n_steps;
    sc_step_t *steps; /* SC_CAP_STEPS, heap */
    size_t n_conns;
    char conns[SC_CAP_CONNS][SC_CAP_NAME];
    size_t n_vars;
    sc_var_t vars[SC_CAP_VARS];
    sc_arena_blk_t *arena;
    size_t arena_used;
} scenario_t;

typedef struct sc_diag {
    int line, col;
    char msg[240];
} sc_diag_t;

typedef struct sc_diags {
    size_t n;
    bool more; /* diagnostics beyond the cap were dropped */
    sc_diag_t d[SC_CAP_DIAGS];
} sc_diags_t;

#endif
