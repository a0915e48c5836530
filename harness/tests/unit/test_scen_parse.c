/* test_scen_parse.c — the scenario parser: a valid file becomes the right steps, and every
 * kind of mistake is reported at the right line and column with a message that says what was
 * expected (issue 3: "any unknown keyword, bad value or impossible step is an error"). */
#include "unit.h"

#include "scen_parse.h"
#include "wire_cell.h"

#define HEADER                                                                                    \
    "id: tor.test.case\n"                                                                         \
    "title: a test\n"                                                                             \
    "role: initiator\n"                                                                           \
    "protocol: tor-link\n"                                                                        \
    "peers: tor-relay\n"                                                                          \
    "spec: tor-spec §4.1\n"                                                                       \
    "level: MUST\n"                                                                               \
    "requirement: the target does\n"                                                              \
    "  what it must.\n" /* line 9 */

#define HEADER_RESPONDER                                                                          \
    "id: tor.r.y\ntitle: t\nrole: responder\nprotocol: tor-link\npeers: tor-client\nspec: s\n"   \
    "level: MUST\nrequirement: r\n" /* 8 lines */

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int parse(const char *text, scenario_t *s, sc_diags_t *d)
{
    return scen_parse_text("t.scn", text, strlen(text), s, d);
}

/* Asserts exactly one diagnostic at line:col whose message contains want. */
static void expect_error(const char *text, int line, int col, const char *want)
{
    scenario_t s;
    sc_diags_t d;
    int rc = parse(text, &s, &d);
    ck_assert_msg(rc == -1, "accepted:\n%s", text);
    ck_assert_msg(d.n >= 1, "no diagnostic for:\n%s", text);
    ck_assert_msg(d.d[0].line == line && d.d[0].col == col,
                  "diagnostic at %d:%d (%s), expected %d:%d", d.d[0].line, d.d[0].col,
                  d.d[0].msg, line, col);
    ck_assert_msg(strstr(d.d[0].msg, want), "message '%s' lacks '%s'", d.d[0].msg, want);
    scen_free(&s);
}

START_TEST(test_valid_file)
{
    scenario_t s;
    sc_diags_t d;
    const char *text = HEADER "catalogue: A01\n"
                              "\n"
                              "connect tls=1.3 groups=X25519\n"           /* 12 */
                              "send VERSIONS versions=3,4,5 as v\n"       /* 13 */
                              "expect VERSIONS versions=3,4,5 within 1s\n" /* 14 */
                              "expect CERTS valid=yes types has 4\n"       /* 15 */
                              "expect AUTH_CHALLENGE as ch\n"              /* 16 */
                              "send CERTS certs=2,4,6,7 | drop-cert 6 | truncate 100\n"
                              "connect as b  # a second connection\n"
                              "send $v | flip 3.1\n"
                              "expect AUTH_CHALLENGE challenge!=$ch.challenge\n"
                              "send NETINFO time=now-7200 other=9/4/hex:01020304 my=none\n"
                              "send raw \"GET /\\r\\n\"\n"
                              "expect close fin within 500ms\n";
    int rc = parse(text, &s, &d);
    ck_assert_msg(rc == 0, "%zu diags, first %d:%d %s", d.n, d.d[0].line, d.d[0].col,
                  d.d[0].msg);
    ck_assert_str_eq(s.id, "tor.test.case");
    ck_assert_str_eq(s.requirement, "the target does what it must.");
    ck_assert_str_eq(s.catalogue, "A01");
    ck_assert_int_eq(s.level, SC_MUST);
    ck_assert_uint_eq(s.n_steps, 12);
    ck_assert_uint_eq(s.n_conns, 2);
    ck_assert_uint_eq(s.n_vars, 2);
    ck_assert_int_eq(s.steps[0].kind, ST_CONNECT);
    ck_assert_int_eq(s.steps[0].tls.version, 13);
    ck_assert_str_eq(s.steps[0].tls.groups, "X25519");
    ck_assert_int_eq(s.steps[1].cmd, CELL_VERSIONS);
    ck_assert_int_eq(s.steps[1].as_var, 0);
    ck_assert_int_eq(s.steps[2].within_ms, 1000);
    ck_assert_int_eq(s.steps[3].fields[1].op, OP_HAS);
    ck_assert_uint_eq(s.steps[5].n_muts, 2);
    ck_assert_int_eq(s.steps[5].muts[0].kind, M_DROP_CERT);
    ck_assert_int_eq(s.steps[5].muts[1].a, 100);
    ck_assert_int_eq(s.steps[6].conn, 1);
    ck_assert_int_eq(s.steps[7].kind, ST_SEND_VAR);
    ck_assert_int_eq(s.steps[7].muts[0].b, 1);
    ck_assert_int_eq(s.steps[8].fields[0].v.kind, V_VARREF);
    ck_assert_int_eq(s.steps[9].fields[0].v.i, -7200);
    ck_assert_int_eq(s.steps[9].fields[1].v.addrs[0].a.atype, 9);
    ck_assert_uint_eq(s.steps[10].raw.len, 7);
    ck_assert_int_eq(s.steps[11].close_kind, 1);
    ck_assert_int_eq(s.steps[11].within_ms, 500);
    ck_assert_str_eq(s.steps[11].text, "expect close fin within 500ms");
    scen_free(&s);
}
END_TEST

START_TEST(test_header_errors)
{
    expect_error("id: Bad_Id\n", 1, 5, "lowercase");
    expect_error(HEADER "colour: blue\nconnect\nexpect close\n", 10, 1, "unknown header key");
    expect_error(HEADER "level: MUST\nconnect\nexpect close\n", 10, 1, "given twice");
    expect_error("id: tor.x\ntitle: t\nrole: initiator\nprotocol: tor-link\npeers: tor-relay\n"
                 "spec: s\nlevel: MUST\nconnect\nexpect close\n",
                 8, 1, "missing header key 'requirement:'");
    expect_error("id: tor.x\ntitle: t\nrole: attacker\n", 3, 7, "role is initiator");
    expect_error("id: tor.x\nlevel: must\n", 2, 8, "MUST, SHOULD or MAY");
    expect_error(HEADER "catalogue: 42\nconnect\nexpect close\n", 10, 12, "catalogue");
    expect_error(HEADER "connect\nexpect close\ntitle: late\n", 12, 1, "after the first step");
    expect_error(HEADER, 9, 1, "no steps");
}
END_TEST

START_TEST(test_step_errors)
{
    expect_error(HEADER "conect\n", 10, 1, "unknown step 'conect'");
    expect_error(HEADER "send VERSIONS\n", 10, 1, "add 'connect' before it");
    expect_error(HEADER "connect\nsend VERSION\n", 11, 6, "unknown cell 'VERSION'");
    expect_error(HEADER "connect\nsend VERSIONS version=3\n", 11, 15, "has no field 'version'");
    expect_error(HEADER "connect\nsend VERSIONS versions=3,x\n", 11, 26, "list element");
    expect_error(HEADER "connect\nsend NETINFO time=later\n", 11, 19, "a time");
    expect_error(HEADER "connect\nsend NETINFO other=300.1.1.1\n", 11, 20, "expected an address");
    expect_error(HEADER "connect\nsend CERTS body=hex:0\n", 11, 21, "even number");
    expect_error(HEADER "connect\nsend NETINFO | drop-cert 6\n", 11, 16, "CERTS cells only");
    expect_error(HEADER "connect\nsend NETINFO | length 3\n", 11, 16, "fixed-length");
    expect_error(HEADER "connect\nsend VERSIONS | shred 3\n", 11, 17, "unknown mutation");
    expect_error(HEADER "connect\nsend VERSIONS | flip 3.9\n", 11, 24, "bit number");
    expect_error(HEADER "connect\nsend $nope\n", 11, 6, "undefined variable 'nope'");
    expect_error(HEADER "connect\nexpect CERTS challenge=hex:00\n", 11, 14, "has no field");
    expect_error(HEADER "connect\nexpect VERSIONS versions<=3\n", 11, 17, "not a number");
    expect_error(HEADER "connect\nexpect CERTS valid=maybe\n", 11, 20, "yes or no");
    expect_error(HEADER "connect\nexpect close within 5 s\n", 11, 21, "duration");
    expect_error(HEADER "connect\nexpect silence\n", 11, 8, "expect silence DUR");
    expect_error(HEADER "connect\nsend VERSIONS\nexpect tls-failure\n", 12, 8, "directly follow");
    expect_error(HEADER "connect tls=1.3\nrenegotiate\n", 11, 1, "needs TLS 1.2");
    expect_error(HEADER "connect tls=1.4\n", 10, 13, "tls is 1.0, 1.1, 1.2, 1.3");
    expect_error(HEADER "connect\nconnect\n", 11, 1, "needs a name");
    expect_error(HEADER "connect\nuse other\n", 11, 5, "no connection named 'other'");
    /* Header wire digests: well-formed values parse; bad ones point at the value. */
    {
        scenario_t s;
        sc_diags_t d;
        const char *ok = HEADER "wire-sha256: sent=" HEX64 ", b.recv=" HEX64 "\n"
                                "connect\nconnect as b\nexpect close\n";
        ck_assert_int_eq(parse(ok, &s, &d), 0);
        ck_assert_uint_eq(s.n_wire_hashes, 2);
        ck_assert_str_eq(s.wire_hashes[0].conn, "main");
        ck_assert(s.wire_hashes[0].sent && !s.wire_hashes[1].sent);
        ck_assert_str_eq(s.wire_hashes[1].conn, "b");
        ck_assert_uint_eq(s.wire_hashes[1].sha256[31], 0xef);
        scen_free(&s);
    }
    expect_error(HEADER "wire-sha256: sent=abcd\nconnect\nexpect close\n", 10, 19, "64 hex");
    expect_error(HEADER "wire-sha256: main.both=" HEX64 "\nconnect\nexpect close\n", 10, 14,
                 "'sent'");
    expect_error(HEADER "wire-sha256: zz.sent=" HEX64 "\nconnect\nexpect close\n", 10, 14,
                 "no step opens");
    expect_error(HEADER "connect\nsend AUTHENTICATE type=2\nexpect close\n", 11, 6,
                 "type 1 and 3 only");
    expect_error(HEADER "connect\nsend AUTHENTICATE slog=zeros:31\nexpect close\n", 11, 19,
                 "32 bytes");
    expect_error(HEADER "connect\nsend AUTHENTICATE type=1 sid_ed=zeros:32\nexpect close\n", 11,
                 26, "no 'sid_ed'");
    expect_error(HEADER "connect\nsend AUTHENTICATE auth=zeros:352 sig=zeros:64\nexpect close\n",
                 11, 34, "cannot be combined");
    expect_error(HEADER "connect\nexpect VERSIONS as v\nexpect CERTS as v\n", 12, 17,
                 "already defined at line 11");
    expect_error(HEADER "connect\nexpect CERTS as c\nexpect VERSIONS versions=$c.methods\n", 12,
                 29, "holds a CERTS cell, which has no field 'methods'");
    expect_error(HEADER "connect\nsend VERSIONS\n", 11, 1, "no 'expect' step");
    expect_error(HEADER "listen\n", 10, 1, "responder and mitm roles");
    expect_error(HEADER "connect\nsend raw \"abc\n", 11, 10, "unterminated string");
}
END_TEST

START_TEST(test_roles_parse_but_mark_role)
{
    scenario_t s;
    sc_diags_t d;
    const char *text = "id: tor.r.x\ntitle: t\nrole: mitm\nprotocol: tor-link\n"
                       "peers: tor-relay,tor-client\nspec: s\nlevel: SHOULD\nrequirement: r\n"
                       "listen tls=any\naccept within 10s\nconnect\n"
                       "mitm {\n  to-server VERSIONS versions=3\n  to-client CERTS | drop-cert 5\n"
                       "  to-server AUTHENTICATE drop\n}\nexpect close within 2s\n";
    int rc = parse(text, &s, &d);
    ck_assert_msg(rc == 0, "%d:%d %s", d.d[0].line, d.d[0].col, d.d[0].msg);
    ck_assert_int_eq(s.role, SC_ROLE_MITM);
    ck_assert_uint_eq(s.n_peers, 2);
    ck_assert_int_eq(s.steps[3].kind, ST_MITM);
    ck_assert_uint_eq(s.steps[3].n_hooks, 3);
    ck_assert(s.steps[3].hooks[2].drop);
    scen_free(&s);
    expect_error("id: tor.r.x\ntitle: t\nrole: mitm\nprotocol: tor-link\npeers: p\nspec: s\n"
                 "level: MAY\nrequirement: r\nlisten\naccept\nconnect\nmitm {\n"
                 "  sideways VERSIONS drop\n}\nexpect close\n",
                 13, 3, "to-server");
}
END_TEST

#define MITM_HEADER                                                                               \
    "id: tor.m.x\ntitle: t\nrole: mitm\nprotocol: tor-link\npeers: tor-relay\nspec: s\n"          \
    "level: MUST\nrequirement: r\n" /* 8 lines */

/* The MITM role's legs, bound and pin (scen_mitm.h, scenarios/README.md "MITM role"). */
START_TEST(test_mitm_block)
{
    scenario_t s;
    sc_diags_t d;
    const char *text = MITM_HEADER "listen tls=any pin=none\naccept within 5s\nconnect tls=1.3\n"
                                   "mitm within 1500ms {\n  to-client CERTS certs=1,2,4,5,7\n}\n"
                                   "use client\nexpect VERSIONS\nuse server\nexpect close\n";
    int rc = parse(text, &s, &d);
    ck_assert_msg(rc == 0, "%d:%d %s", d.d[0].line, d.d[0].col, d.d[0].msg);
    ck_assert_str_eq(s.conns[0], "client"); /* accept names the client leg */
    ck_assert_str_eq(s.conns[1], "server"); /* connect names the server leg */
    ck_assert_int_eq(s.steps[0].pin, SC_PIN_NONE);
    ck_assert_int_eq(s.steps[3].kind, ST_MITM);
    ck_assert_int_eq(s.steps[3].within_ms, 1500);
    ck_assert_int_eq(s.steps[3].mitm_client, 0);
    ck_assert_int_eq(s.steps[3].mitm_server, 1);
    ck_assert_uint_eq(s.steps[3].hooks[0].n_fields, 1);
    scen_free(&s);
    /* Both legs must be open before the block. */
    expect_error(MITM_HEADER "listen\naccept\nmitm {\n}\nexpect close\n", 11, 1,
                 "joins two legs");
    expect_error(MITM_HEADER "listen pin=sideways\naccept\nconnect\nmitm {\n}\nexpect close\n",
                 9, 12, "pin is harness, target or none");
    expect_error(MITM_HEADER "listen\naccept\nconnect\nmitm within {\n}\nexpect close\n", 12,
                 1, "mitm [within DUR] {");
    /* pin=target names a real target's fingerprint: the responder role has none. */
    expect_error(HEADER_RESPONDER "listen pin=target\naccept\nexpect VERSIONS\n", 9, 12,
                 "pin=target belongs to the mitm role");
}
END_TEST

/* The options this issue added: listen cert=, expect client-hello, AUTHENTICATE context=. */
START_TEST(test_cert_hello_context)
{
    scenario_t s;
    sc_diags_t d;
    const char *ok = HEADER_RESPONDER "listen tls=any cert=ecdsa\n"             /* 9 */
                                      "accept\n"                                /* 10 */
                                      "expect client-hello suites has 0x1301 len=508 "
                                      "exts=0,11 sni=\"www.*.com\"\n";         /* 11 */
    ck_assert_int_eq(parse(ok, &s, &d), 0);
    ck_assert_int_eq(s.steps[0].cert, SC_CERT_ECDSA);
    const sc_step_t *h = &s.steps[2];
    ck_assert_int_eq(h->kind, ST_EXPECT_CLIENT_HELLO);
    ck_assert_uint_eq(h->hello->n, 4);
    ck_assert_int_eq(h->hello->c[0].field, CH_SUITES);
    ck_assert_int_eq(h->hello->c[0].op, CH_OP_HAS);
    ck_assert_uint_eq(h->hello->c[0].v[0], 0x1301);
    ck_assert_uint_eq(h->hello->c[2].n, 2);
    ck_assert_str_eq(h->hello->c[3].glob, "www.*.com");
    scen_free(&s);
    ck_assert_int_eq(parse(HEADER "connect\nsend AUTHENTICATE context=ed\nexpect close\n", &s,
                           &d), 0);
    ck_assert_str_eq(s.steps[1].fields[0].v.word, "ed");
    scen_free(&s);
    ck_assert_int_eq(parse(HEADER "connect\nsend AUTHENTICATE context=hex:0102\nexpect close\n",
                           &s, &d), 0);
    ck_assert_uint_eq(s.steps[1].fields[0].v.bytes.len, 2);
    scen_free(&s);

    expect_error(HEADER_RESPONDER "listen cert=dsa\naccept\nexpect VERSIONS\n", 9, 13,
                 "cert is link, expired or ecdsa");
    expect_error(HEADER_RESPONDER "listen\naccept\nexpect client-hello colour=1\n", 11, 21,
                 "unknown client-hello field");
    expect_error(HEADER_RESPONDER "listen\naccept\nexpect client-hello len has 5\n", 11, 21,
                 "applies to lists");
    expect_error(HEADER_RESPONDER "listen\naccept\nexpect client-hello suites=0x1301,x\n", 11,
                 35, "a number 0-65535");
    expect_error(HEADER_RESPONDER "listen\naccept\nexpect client-hello sni=www\n", 11, 25,
                 "quoted glob");
    expect_error(HEADER_RESPONDER "listen\naccept\nexpect client-hello\n", 11, 8,
                 "at least one check");
    expect_error(HEADER_RESPONDER "listen tls=none\naccept\nexpect client-hello len=5\n", 11, 8,
                 "needs 'listen' with TLS");
    expect_error(HEADER "connect\nexpect client-hello len=5\n", 11, 8, "needs 'listen' with TLS");
    expect_error(HEADER "connect\nsend AUTHENTICATE type=1 context=ed\nexpect close\n", 11, 26,
                 "type-3 authenticator");
    expect_error(HEADER "connect\nsend AUTHENTICATE context=cid tlssecrets=zeros:32\n"
                 "expect close\n", 11, 19, "cannot be combined with tlssecrets=");
}
END_TEST

START_TEST(test_every_error_is_reported)
{
    /* Parsing goes on after an error: one lint pass shows every problem. */
    scenario_t s;
    sc_diags_t d;
    int rc = parse(HEADER "connect\nsend VERSION\nexpect CLOSE\nexpect close within 0ms\n", &s,
                   &d);
    ck_assert_int_eq(rc, -1);
    ck_assert_uint_eq(d.n, 3);
    ck_assert_int_eq(d.d[0].line, 11);
    ck_assert_int_eq(d.d[1].line, 12);
    ck_assert_int_eq(d.d[2].line, 13);
    scen_free(&s);
}
END_TEST

Suite *suite_scen_parse(void)
{
    Suite *s = suite_create("scen_parse");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_valid_file);
    tcase_add_test(tc, test_header_errors);
    tcase_add_test(tc, test_step_errors);
    tcase_add_test(tc, test_roles_parse_but_mark_role);
    tcase_add_test(tc, test_cert_hello_context);
    tcase_add_test(tc, test_mitm_block);
    tcase_add_test(tc, test_every_error_is_reported);
    suite_add_tcase(s, tc);
    return s;
}

/* Mutations rewrite the encoded cell exactly where the file says (scen_build.c). */
#include "scen_build.h"

START_TEST(test_mutations_on_encoded_bytes)
{
    scenario_t s;
    sc_diags_t d;
    const char *text = HEADER "connect\n"
                              "send VERSIONS versions=3,4 width=2 circ=0x1234 | flip 4.0 | "
                              "poke 2 hex:80 | append hex:aabb | length 9\n"
                              "send VERSIONS | truncate 3\n"
                              "send NETINFO | truncate 600\n"
                              "send VERSIONS width=2 circ=0x10000\n"
                              "expect close\n";
    ck_assert_int_eq(parse(text, &s, &d), 0);
    sc_env_t env;
    memset(&env, 0, sizeof(env));
    sc_conn_rt_t c;
    memset(&c, 0, sizeof(c));
    bld_t b;
    cell_t meta;
    char err[240];
    ck_assert_int_eq(scen_build_send(&s.steps[1], &env, &c, &b, &meta, err, sizeof(err)), 0);
    /* 12 34 | 07→80 | 00 04→00 05→00 09 | 00 03 00 04 | aa bb */
    ck_assert_uint_eq(b.len, 11);
    const uint8_t want[] = { 0x12, 0x34, 0x80, 0x00, 0x09, 0x00, 0x03, 0x00, 0x04, 0xaa, 0xbb };
    ck_assert_mem_eq(b.buf, want, sizeof(want));
    ck_assert_uint_eq(meta.circ_id, 0x1234);
    ck_assert_uint_eq(c.n_sent_versions, 2); /* the first VERSIONS decides the link */
    bld_free(&b);
    ck_assert_int_eq(scen_build_send(&s.steps[2], &env, &c, &b, &meta, err, sizeof(err)), 0);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_uint_eq(c.n_sent_versions, 2); /* a later one does not */
    bld_free(&b);
    /* Truncating past the end is an error the run reports, not a silent no-op. */
    ck_assert_int_eq(scen_build_send(&s.steps[3], &env, &c, &b, &meta, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "only 514 bytes") || strstr(err, "only 512 bytes"), "%s", err);
    bld_free(&b);
    /* A step that fails before encoding still leaves a builder the caller can free. */
    ck_assert_int_eq(scen_build_send(&s.steps[4], &env, &c, &b, &meta, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "does not fit a 2-byte circ id"), "%s", err);
    bld_free(&b);
    scen_free(&s);
}
END_TEST

/* The raw-TLS steps (scen_rawtls.c): values land in the step, mistakes point at the value. */
#define TLS_HEADER                                                                                \
    "id: tls.test.case\ntitle: a test\nrole: initiator\nprotocol: tls\npeers: gnutls-serv\n"     \
    "spec: RFC 5246 App. E.2\nlevel: MAY\nrequirement: x\n" /* 8 lines */

START_TEST(test_rawtls_steps)
{
    scenario_t s;
    sc_diags_t d;
    const char *ok = TLS_HEADER
        "connect tls=none\n"
        "send sslv2-hello version=TLS1.0 suites=0xc02f,0x002f v2specs=0x010080 challenge=hex:"
        "000102030405060708090a0b0c0d0e0f | poke 5 hex:00ff | truncate 20\n"
        "expect server-hello version=0x0301 suite=0x002f ri=no within 3s\n"
        "expect alert-record level=fatal desc=decode_error\n"
        "expect close\n";
    ck_assert_msg(parse(ok, &s, &d) == 0, "%s", d.n ? d.d[0].msg : "");
    ck_assert_uint_eq(s.n_steps, 5);
    const sc_rawtls_args_t *a = &s.steps[1].rawtls;
    ck_assert_int_eq(s.steps[1].kind, ST_SEND_SSLV2_HELLO);
    ck_assert_uint_eq(a->version, 0x0301);
    ck_assert_uint_eq(a->n_suites, 2);
    ck_assert_uint_eq(a->suites[1], 0x002f);
    ck_assert_uint_eq(a->n_v2, 1);
    ck_assert_uint_eq(a->v2[0], 0x010080);
    ck_assert(!a->challenge_random);
    ck_assert_uint_eq(a->challenge_len, 16);
    ck_assert_int_eq(a->truncate, 20);
    ck_assert_uint_eq(a->n_pokes, 1);
    ck_assert_uint_eq(a->pokes[0].off, 5);
    ck_assert_int_eq(s.steps[2].kind, ST_EXPECT_SERVER_HELLO);
    ck_assert_uint_eq(s.steps[2].rawtls.want_version, 0x0301);
    ck_assert_int_eq(s.steps[2].rawtls.want_suite, 0x2f);
    ck_assert_int_eq(s.steps[2].rawtls.want_ri, 0);
    ck_assert_int_eq(s.steps[2].within_ms, 3000);
    ck_assert_int_eq(s.steps[3].alert_level, 2);
    ck_assert_int_eq(s.steps[3].alert_desc, 50);
    scen_free(&s);
    /* defaults: TLS 1.2, the built-in suites, 32 random challenge bytes */
    ck_assert(parse(TLS_HEADER "connect tls=none\nsend sslv2-hello\nexpect close\n", &s, &d) == 0);
    ck_assert_uint_eq(s.steps[1].rawtls.version, 0x0303);
    ck_assert(s.steps[1].rawtls.challenge_random && s.steps[1].rawtls.challenge_len == 32);
    ck_assert_uint_gt(s.steps[1].rawtls.n_suites, 4);
    scen_free(&s);

    expect_error(TLS_HEADER "connect\nsend sslv2-hello\n", 10, 6, "connect tls=none");
    expect_error(TLS_HEADER "connect tls=1.2\nexpect server-hello\n", 10, 8, "connect tls=none");
    expect_error(TLS_HEADER "connect tls=none\nsend sslv2-hello version=TLS9\n", 10, 26,
                 "version is TLS1.0");
    expect_error(TLS_HEADER "connect tls=none\nsend sslv2-hello suites=0xc02f,zz\n", 10, 32,
                 "expected a number");
    expect_error(TLS_HEADER "connect tls=none\nsend sslv2-hello challenge=random:8\n", 10, 28,
                 "add 'unchecked'");
    expect_error(TLS_HEADER "connect tls=none\nsend sslv2-hello suites=none\n", 10, 6,
                 "at least one cipher spec");
    expect_error(TLS_HEADER "connect tls=none\nsend sslv2-hello colour=red\n", 10, 18,
                 "unknown sslv2-hello field 'colour'");
    expect_error(TLS_HEADER "connect tls=none\nsend sslv2-hello | shred 3\n", 10, 20,
                 "truncate N");
    expect_error(TLS_HEADER "connect tls=none\nexpect server-hello ri=maybe\n", 10, 24,
                 "ri is yes or no");
    expect_error(TLS_HEADER "connect tls=none\nexpect alert-record desc=nosuch\n", 10, 26,
                 "unknown alert 'nosuch'");
    expect_error(TLS_HEADER "connect tls=none\nexpect alert-record within 2\n", 10, 28,
                 "duration");
}
END_TEST

/* The certificate-list operators as the MITM applies them to a relayed CERTS list. */
START_TEST(test_cert_list_operators)
{
    scenario_t s;
    sc_diags_t d;
    const char *text = "id: tor.m.x\ntitle: t\nrole: mitm\nprotocol: tor-link\npeers: p\nspec: s\n"
                       "level: MUST\nrequirement: r\nlisten\naccept\nconnect\nmitm {\n"
                       "  to-client CERTS | drop-cert 4 | dup-cert 2 | order-certs 7,2,5,1,2 | "
                       "corrupt-cert 7\n  to-client CERTS | drop-cert 6\n}\nexpect close\n";
    ck_assert_int_eq(parse(text, &s, &d), 0);
    sc_cert_item_t items[HS_CAP_CERTS_ENTRIES];
    const uint8_t types[] = { 1, 2, 4, 5, 7 };
    size_t n = 0;
    for (; n < sizeof(types); n++) {
        items[n].type = types[n];
        bld_init(&items[n].b, 16);
        bld_u8(&items[n].b, (uint8_t)(0x10 * types[n]));
        bld_u8(&items[n].b, 0x00);
    }
    char err[240];
    const sc_hook_t *h = &s.steps[3].hooks[0];
    ck_assert_int_eq(scen_certs_mutate(h->muts, h->n_muts, items, &n, err, sizeof(err)), 0);
    ck_assert_uint_eq(n, 5);
    const uint8_t want[] = { 7, 2, 5, 1, 2 };
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(items[i].type, want[i]);
    ck_assert_uint_eq(items[0].b.buf[1], 0x01); /* corrupt-cert: the last byte flipped */
    ck_assert_uint_eq(items[1].b.buf[1], 0x00);
    /* An operator naming a type the relayed list lacks is an error, not a silent no-op. */
    h = &s.steps[3].hooks[1];
    ck_assert_int_eq(scen_certs_mutate(h->muts, h->n_muts, items, &n, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "drop-cert 6"), "%s", err);
    for (size_t i = 0; i < n; i++)
        bld_free(&items[i].b);
    scen_free(&s);
}
END_TEST

Suite *suite_scen_build(void)
{
    Suite *s = suite_create("scen_build");
    TCase *tc = tcase_create("build");
    tcase_add_test(tc, test_mutations_on_encoded_bytes);
    tcase_add_test(tc, test_rawtls_steps);
    tcase_add_test(tc, test_cert_list_operators);
    suite_add_tcase(s, tc);
    return s;
}
