/* See twin_net.h. */
#include "twin_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void twin_log(const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "%lld.%03ld [%d] ", (long long)ts.tv_sec, ts.tv_nsec / 1000000L,
		(int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

int twin_listen(int port)
{
	struct sockaddr_in sa;
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 only, never INADDR_ANY */
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 64) < 0) {
		perror("bind/listen 127.0.0.1");
		exit(1);
	}
	return fd;
}

void twin_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void twin_serve_forever(int lfd, int (*serve)(int fd, void *arg), void *arg)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop; /* no SA_RESTART: accept() returns EINTR and the loop ends */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDWAIT; /* children are reaped by the kernel: no zombies */
	sigaction(SIGCHLD, &sa, NULL);

	while (!stop_requested) {
		int fd = accept(lfd, NULL, NULL);
		pid_t pid;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("accept");
			break;
		}
		pid = fork();
		if (pid == 0) {
			close(lfd);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			alarm(TWIN_CONN_SECONDS);
			twin_nodelay(fd);
			_exit(serve(fd, arg) == 0 ? 0 : 1);
		}
		if (pid < 0)
			perror("fork");
		close(fd);
	}
	close(lfd);
	twin_log("stopping");
}

gnutls_certificate_credentials_t twin_creds(const char *cert, const char *key)
{
	gnutls_certificate_credentials_t c;
	int ret;

	if (gnutls_certificate_allocate_credentials(&c) < 0)
		exit(1);
	ret = gnutls_certificate_set_x509_key_file(c, cert, key, GNUTLS_X509_FMT_PEM);
	if (ret < 0) {
		fprintf(stderr, "loading %s / %s: %s\n", cert, key, gnutls_strerror(ret));
		exit(1);
	}
	return c;
}

int twin_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
