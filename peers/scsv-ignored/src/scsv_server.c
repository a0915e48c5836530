/* hsprobe known-bad/fixed twin: a TLS echo server that ignores (bad) or enforces (fixed)
 * TLS_FALLBACK_SCSV (RFC 7507).
 *
 *   scsv-server --port N --cert C --key K --mode ignore|enforce|bare-close [--priority P]
 *
 * GnuTLS enforces RFC 7507 itself: with the SCSV (0x5600) in the ClientHello and a version
 * below the best its priority allows, the handshake fails with
 * GNUTLS_E_INAPPROPRIATE_FALLBACK and we send the matching fatal alert 86 (mode "enforce").
 * Mode "bare-close" refuses the same handshakes but closes the TCP connection without any
 * alert: the deviation spec/tls-downgrade.md §2 tells apart from alert 86 (RFC 7507 requires
 * the alert), and the case a tool that cannot see alerts reports as "SCSV supported".
 *
 * Mode "ignore" reproduces a server that never implemented RFC 7507: after the ClientHello is
 * parsed (post-client-hello callback, the documented place to change priorities), it narrows
 * its own priority to exactly the version already negotiated with this client, so "the best
 * version I support" equals the client's and GnuTLS's SCSV check passes.  On the wire this is a
 * server that supports TLS 1.3 for a modern client and completes a TLS 1.1 handshake with a
 * client that signals fallback.  GnuTLS generated the ServerHello random before the callback,
 * while it still counted itself TLS 1.3-capable, and keeps it because the negotiated version does
 * not change: the RFC 8446 §4.1.3 downgrade sentinel ("DOWNGRD\x01" for 1.2, "\x00" for <= 1.1)
 * is present, as it would be in a real SCSV-ignoring TLS 1.3 server.  A TLS 1.3-capable OpenSSL
 * client therefore aborts on its own ("ssl_choose_client_version:inappropriate fallback", no
 * alert from the server); a client capped below 1.3 (gnutls-cli with -VERS-TLS1.3) completes.
 * With --priority NORMAL:-VERS-TLS1.3 the server's best is 1.2 and there is no sentinel.
 *
 * Each connection logs (stderr) the client's offered version, whether 0x5600 was present, and
 * the outcome, so a test can cite the server's side too. */
#include "twin_net.h"

#include <gnutls/gnutls.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum mode { MODE_ENFORCE, MODE_IGNORE, MODE_BARE_CLOSE };

struct conf {
	gnutls_certificate_credentials_t creds;
	const char *priority;
	enum mode mode;
};

/* Facts from the raw ClientHello, filled by the handshake hook. */
struct hello_facts {
	unsigned legacy_version;
	int fallback_scsv;
};

/* ClientHello body: version(2) random(32) session_id<1> cipher_suites<2> ... */
static int hello_hook(gnutls_session_t s, unsigned int htype, unsigned when, unsigned int incoming,
		      const gnutls_datum_t *msg)
{
	struct hello_facts *f = gnutls_session_get_ptr(s);
	const unsigned char *p = msg->data;
	size_t n = msg->size, off, cs_len, i;

	(void)htype;
	(void)when;
	(void)incoming;
	if (n < 35)
		return 0;
	f->legacy_version = (unsigned)(p[0] << 8 | p[1]);
	off = 34u + 1u + p[34];
	if (off + 2 > n)
		return 0;
	cs_len = (size_t)(p[off] << 8 | p[off + 1]);
	off += 2;
	for (i = 0; i + 1 < cs_len && off + i + 1 < n; i += 2)
		if (p[off + i] == 0x56 && p[off + i + 1] == 0x00)
			f->fallback_scsv = 1;
	return 0;
}

/* Mode "ignore": make the already-negotiated version the only one allowed. */
static int narrow_to_client(gnutls_session_t s)
{
	char prio[128];
	const char *name = gnutls_protocol_get_name(gnutls_protocol_get_version(s));
	int ret;

	if (name == NULL)
		return 0;
	snprintf(prio, sizeof prio, "NORMAL:-VERS-ALL:+VERS-%s", name);
	ret = gnutls_priority_set_direct(s, prio, NULL);
	if (ret < 0)
		twin_log("priority %s: %s", prio, gnutls_strerror(ret));
	return 0;
}

static int echo_loop(gnutls_session_t s)
{
	char buf[4096];

	for (;;) {
		ssize_t n = gnutls_record_recv(s, buf, sizeof buf);

		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_REHANDSHAKE) {
			/* Not this twin's subject: refuse politely and go on. */
			gnutls_alert_send(s, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
			continue;
		}
		if (n <= 0)
			return n == 0 ? 0 : -1;
		if (gnutls_record_send(s, buf, (size_t)n) < 0)
			return -1;
	}
}

static int serve(int fd, void *arg)
{
	const struct conf *c = arg;
	struct hello_facts facts = { 0, 0 };
	gnutls_session_t s;
	int ret;

	gnutls_init(&s, GNUTLS_SERVER);
	gnutls_priority_set_direct(s, c->priority, NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->creds);
	gnutls_session_set_ptr(s, &facts);
	gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_CLIENT_HELLO, GNUTLS_HOOK_PRE,
					   hello_hook);
	if (c->mode == MODE_IGNORE)
		gnutls_handshake_set_post_client_hello_function(s, narrow_to_client);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, 10000);
	do {
		ret = gnutls_handshake(s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0) {
		int alert = -1;

		if (c->mode != MODE_BARE_CLOSE || ret != GNUTLS_E_INAPPROPRIATE_FALLBACK)
			alert = gnutls_alert_send_appropriate(s, ret);

		twin_log("client hello version 0x%04x fallback_scsv=%d: handshake failed: %s "
			 "(alert sent: %s)", facts.legacy_version, facts.fallback_scsv,
			 gnutls_strerror(ret), alert == 0 ? "yes" : "no");
		gnutls_deinit(s);
		close(fd);
		return 0;
	}
	twin_log("client hello version 0x%04x fallback_scsv=%d: negotiated %s (%s)",
		 facts.legacy_version, facts.fallback_scsv,
		 gnutls_protocol_get_name(gnutls_protocol_get_version(s)),
		 c->mode == MODE_IGNORE ? "SCSV ignored"
					: "SCSV accepted: no lower version than our best");
	ret = echo_loop(s);
	gnutls_bye(s, GNUTLS_SHUT_WR);
	gnutls_deinit(s);
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "mode", required_argument, NULL, 'm' },
		{ "priority", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf c = { NULL, "NORMAL", MODE_ENFORCE };
	const char *cert = NULL, *key = NULL;
	int port = 0, o, mode_ok = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p': port = atoi(optarg); break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'm':
			mode_ok = 1;
			if (strcmp(optarg, "ignore") == 0)
				c.mode = MODE_IGNORE;
			else if (strcmp(optarg, "enforce") == 0)
				c.mode = MODE_ENFORCE;
			else if (strcmp(optarg, "bare-close") == 0)
				c.mode = MODE_BARE_CLOSE;
			else
				mode_ok = 0;
			break;
		case 'P': c.priority = optarg; break;
		default: return 2;
		}
	}
	if (port <= 0 || port > 65535 || !cert || !key || !mode_ok) {
		fprintf(stderr, "usage: %s --port N --cert C --key K --mode ignore|enforce|bare-close "
			"[--priority P]\n", argv[0]);
		return 2;
	}
	gnutls_global_init();
	c.creds = twin_creds(cert, key);
	twin_serve_forever(twin_listen(port), serve, &c);
	gnutls_certificate_free_credentials(c.creds);
	gnutls_global_deinit();
	return 0;
}
