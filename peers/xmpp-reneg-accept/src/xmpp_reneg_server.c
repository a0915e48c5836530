/* hsprobe known-bad/fixed twins: a minimal XMPP c2s server with STARTTLS whose reaction to a
 * client-initiated TLS renegotiation is chosen by --on-reneg.
 *
 *   xmpp-reneg-server --port N --cert C --key K --on-reneg accept|close
 *
 * RFC 6120 §5.3.5 (spec/tls-downgrade.md §1): a party that detects a renegotiation attempt it
 * does not support closes the TCP connection at once, without a stream error.
 *   close  (fixed) GnuTLS reports the client's new ClientHello as GNUTLS_E_REHANDSHAKE; we close
 *                  the socket (FIN) with no TLS alert and no stream error.
 *   accept (bad)   renegotiates (gnutls_handshake again; RFC 5746 is GnuTLS's default) and
 *                  keeps serving the stream.
 * A third behaviour, "warning no_renegotiation and keep the stream", is not offered: GnuTLS
 * 3.7 leaves the refused ClientHello in its record buffer, so the next gnutls_record_recv()
 * fails with "unexpected TLS packet" and the stream ends anyway (observed with openssl
 * s_client and gnutls-cli) — the twin would not do what its name claimed.
 *
 * The XMPP part is just enough for a client to get through STARTTLS and exchange pings:
 * stream header -> features with <starttls><required/>, <starttls/> -> <proceed/>, TLS, new
 * stream header -> features (SASL PLAIN listed, never used), <iq> with urn:xmpp:ping -> result,
 * </stream:stream> -> </stream:stream>.  Plaintext sent after <starttls/> is discarded.  The
 * matching is textual (substrings), which is enough for the clients the tests use. */
#include "twin_net.h"

#include <errno.h>
#include <getopt.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum on_reneg { RENEG_ACCEPT, RENEG_CLOSE };

struct conf {
	gnutls_certificate_credentials_t creds;
	enum on_reneg mode;
};

#define BUF_MAX 16384

struct stream {
	char buf[BUF_MAX + 1];
	size_t len;
};

static const char STREAM_HDR[] =
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	"xmlns:stream='http://etherx.jabber.org/streams' id='hsprobe-%d' from='localhost' "
	"version='1.0'>";

/* Drop the first n bytes of the buffer. */
static void consume(struct stream *st, size_t n)
{
	memmove(st->buf, st->buf + n, st->len - n);
	st->len -= n;
	st->buf[st->len] = '\0';
}

/* Plain-phase read until `marker` is in the buffer; 0 when found, -1 on close/error/overflow. */
static int plain_until(int fd, struct stream *st, const char *marker)
{
	while (strstr(st->buf, marker) == NULL) {
		ssize_t n;

		if (st->len >= BUF_MAX)
			return -1;
		n = recv(fd, st->buf + st->len, BUF_MAX - st->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		st->len += (size_t)n;
		st->buf[st->len] = '\0';
	}
	return 0;
}

/* End of the opening stream tag: the '>' after "<stream:stream". */
static char *stream_tag_end(struct stream *st)
{
	char *p = strstr(st->buf, "<stream:stream");

	return p ? strchr(p, '>') : NULL;
}

static int tls_send_str(gnutls_session_t s, const char *str)
{
	size_t len = strlen(str);

	while (len > 0) {
		ssize_t n = gnutls_record_send(s, str, len);

		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0)
			return -1;
		str += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Answer complete stanzas in the buffer.  Returns 1 when the client closed the stream. */
static int answer_stanzas(gnutls_session_t s, struct stream *st, int *header_seen)
{
	char out[512];

	for (;;) {
		char *end;

		if (!*header_seen) {
			end = stream_tag_end(st);
			if (end == NULL)
				return 0;
			consume(st, (size_t)(end + 1 - st->buf));
			snprintf(out, sizeof out, STREAM_HDR, (int)getpid());
			tls_send_str(s, out);
			tls_send_str(s, "<stream:features><mechanisms "
				     "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN"
				     "</mechanism></mechanisms></stream:features>");
			*header_seen = 1;
			continue;
		}
		if (strstr(st->buf, "</stream:stream>") != NULL) {
			tls_send_str(s, "</stream:stream>");
			return 1;
		}
		if (strstr(st->buf, "<iq") != NULL) {
			char *iq = strstr(st->buf, "<iq");
			char *close_tag = strstr(iq, "</iq>");
			char id[64] = "none";
			char *idp = strstr(iq, "id=");

			if (close_tag == NULL)
				return 0;
			if (idp && (idp[3] == '\'' || idp[3] == '"')) {
				char q = idp[3];
				char *e = strchr(idp + 4, q);

				if (e && (size_t)(e - idp - 4) < sizeof id) {
					memcpy(id, idp + 4, (size_t)(e - idp - 4));
					id[e - idp - 4] = '\0';
				}
			}
			snprintf(out, sizeof out, "<iq type='result' id='%s' from='localhost'/>", id);
			tls_send_str(s, out);
			twin_log("answered iq id=%s", id);
			consume(st, (size_t)(close_tag + 5 - st->buf));
			continue;
		}
		return 0;
	}
}

static int tls_phase(int fd, const struct conf *c)
{
	struct stream st = { "", 0 };
	gnutls_session_t s;
	int ret, header_seen = 0, rc = 0;

	gnutls_init(&s, GNUTLS_SERVER);
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->creds);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, 10000);
	do {
		ret = gnutls_handshake(s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0) {
		twin_log("TLS handshake failed: %s", gnutls_strerror(ret));
		gnutls_alert_send_appropriate(s, ret);
		gnutls_deinit(s);
		return -1;
	}
	twin_log("TLS established: %s, safe renegotiation (RFC 5746) %s",
		 gnutls_protocol_get_name(gnutls_protocol_get_version(s)),
		 gnutls_safe_renegotiation_status(s) ? "yes" : "no");
	for (;;) {
		ssize_t n;

		if (st.len >= BUF_MAX) {
			rc = -1;
			break;
		}
		n = gnutls_record_recv(s, st.buf + st.len, BUF_MAX - st.len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_REHANDSHAKE) {
			if (c->mode == RENEG_CLOSE) {
				/* RFC 6120 §5.3.5: close the TCP connection, no stream error, no
				 * TLS alert.  close() sends FIN; the session is just dropped. */
				twin_log("renegotiation attempt: closing the TCP connection");
				close(fd);
				gnutls_deinit(s);
				return 0;
			}
			do {
				ret = gnutls_handshake(s);
			} while (ret < 0 && !gnutls_error_is_fatal(ret));
			twin_log("renegotiation attempt: accepted, %s; stream kept",
				 ret < 0 ? gnutls_strerror(ret) : "renegotiated");
			if (ret < 0) {
				rc = -1;
				break;
			}
			continue;
		}
		if (n == GNUTLS_E_WARNING_ALERT_RECEIVED) {
			twin_log("warning alert received: %s",
				 gnutls_alert_get_name(gnutls_alert_get(s)));
			continue;
		}
		if (n <= 0) {
			if (n < 0)
				twin_log("record layer: %s", gnutls_strerror((int)n));
			break;
		}
		st.len += (size_t)n;
		st.buf[st.len] = '\0';
		if (answer_stanzas(s, &st, &header_seen) == 1)
			break;
	}
	gnutls_bye(s, GNUTLS_SHUT_WR);
	gnutls_deinit(s);
	close(fd);
	return rc;
}

static int serve(int fd, void *arg)
{
	struct stream st = { "", 0 };
	char out[512];
	char *end;

	if (plain_until(fd, &st, "<stream:stream") < 0)
		return -1;
	while ((end = stream_tag_end(&st)) == NULL)
		if (plain_until(fd, &st, ">") < 0 || st.len >= BUF_MAX)
			return -1;
	consume(&st, (size_t)(end + 1 - st.buf));
	snprintf(out, sizeof out, STREAM_HDR, (int)getpid());
	twin_send_all(fd, out, strlen(out));
	snprintf(out, sizeof out, "<stream:features><starttls "
		 "xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
		 "</stream:features>");
	twin_send_all(fd, out, strlen(out));
	if (plain_until(fd, &st, "<starttls") < 0)
		return -1;
	while (strstr(strstr(st.buf, "<starttls"), ">") == NULL)
		if (plain_until(fd, &st, ">") < 0)
			return -1;
	if (st.len > 0) {
		/* Whatever came after <starttls/> in clear is dropped (RFC 6120 §5.4.3.3 — the
		 * injection twins are elsewhere). */
		char *after = strchr(strstr(st.buf, "<starttls"), '>') + 1;

		if (*after)
			twin_log("discarding %zu plaintext bytes after <starttls/>", strlen(after));
	}
	snprintf(out, sizeof out, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	if (twin_send_all(fd, out, strlen(out)) < 0)
		return -1;
	return tls_phase(fd, arg);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "on-reneg", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf c = { NULL, RENEG_CLOSE };
	const char *cert = NULL, *key = NULL;
	int port = 0, o, mode_ok = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p': port = atoi(optarg); break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'r':
			mode_ok = 1;
			if (strcmp(optarg, "accept") == 0)
				c.mode = RENEG_ACCEPT;
			else if (strcmp(optarg, "close") == 0)
				c.mode = RENEG_CLOSE;
			else
				mode_ok = 0;
			break;
		default: return 2;
		}
	}
	if (port <= 0 || port > 65535 || !cert || !key || !mode_ok) {
		fprintf(stderr, "usage: %s --port N --cert C --key K --on-reneg accept|close\n",
			argv[0]);
		return 2;
	}
	gnutls_global_init();
	c.creds = twin_creds(cert, key);
	twin_serve_forever(twin_listen(port), serve, &c);
	gnutls_certificate_free_credentials(c.creds);
	gnutls_global_deinit();
	return 0;
}
