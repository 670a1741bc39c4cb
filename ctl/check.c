// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl: health checks as non-blocking state machines.
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "check.h"

/* "PORT" or "PORT/PATH": where an http or https check GETs. */
static int parse_http(const char *type, const char *arg, struct check *c,
		      char *err)
{
	const char *slash = strchr(arg, '/');
	char num[8];
	uint32_t port;

	c->type = strcmp(type, "http") ? CHECK_HTTPS : CHECK_HTTP;
	c->status = 200;
	size_t plen = slash ? (size_t)(slash - arg) : strlen(arg);

	snprintf(num, sizeof(num), "%.*s", (int)plen, arg);
	if (plen >= sizeof(num) || cv_parse_u32(num, 65535, &port, err) ||
	    !port) {
		snprintf(err, CV_ERRLEN, "check %s: \"%s\" is not PORT/PATH",
			 type, arg);
		return -1;
	}
	c->port = (uint16_t)port;
	snprintf(c->path, sizeof(c->path), "%s", slash ? slash : "/");
	if (slash && strlen(slash) >= sizeof(c->path)) {
		snprintf(err, CV_ERRLEN, "check %s: the path is longer than %d",
			 type, CHECK_PATH_MAX - 1);
		return -1;
	}
	/* It goes into a request line as it is. */
	for (const char *p = c->path; *p; p++)
		if (*p <= ' ' || *p >= 0x7f) {
			snprintf(err, CV_ERRLEN,
				 "check %s: the path holds a space or control character",
				 type);
			return -1;
		}
	return 0;
}

int check_parse(const char *type, const char *arg, struct check *c,
		char *err)
{
	char word[64], *p, *save;
	uint32_t port;

	memset(c, 0, sizeof(*c));
	if (!strcmp(type, "http") || !strcmp(type, "https"))
		return parse_http(type, arg, c, err);
	if (!strcmp(type, "tcp")) {
		c->type = CHECK_TCP;
		if (cv_parse_u32(arg, 65535, &port, err) || !port) {
			snprintf(err, CV_ERRLEN, "check tcp: \"%s\" is not a port",
				 arg);
			return -1;
		}
		c->port = (uint16_t)port;
		return 0;
	}
	if (strlen(arg) >= sizeof(word)) {
		snprintf(err, CV_ERRLEN, "check %s: \"%s\" is too long", type, arg);
		return -1;
	}
	strcpy(word, arg);
	if (!strcmp(type, "rpc")) {
		c->type = CHECK_RPC;
		c->nifaces = 1;
		p = strchr(word, '@');
		if (!p || (*p = '\0', cv_parse_u32(p + 1, 65535, &port, err)) ||
		    !port) {
			snprintf(err, CV_ERRLEN,
				 "check rpc: \"%s\" is not IFACE@PORT", arg);
			return -1;
		}
		c->port = (uint16_t)port;
		return dce_iface_parse(word, &c->iface[0], err);
	}
	if (!strcmp(type, "epm")) {
		c->type = CHECK_EPM;
		c->port = 135;
		/* strtok_r() would pass over an empty item unsaid. */
		if (!*word || *word == ',' || strstr(word, ",,") ||
		    word[strlen(word) - 1] == ',') {
			snprintf(err, CV_ERRLEN,
				 "check epm: \"%s\" has an empty item", arg);
			return -1;
		}
		for (p = strtok_r(word, ",", &save); p;
		     p = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(p, '=');

			/* No port: wherever the mapper says (follow). */
			port = 0;
			if (c->nifaces == CHECK_MAX_IFACES ||
			    (eq && ((*eq = '\0', cv_parse_u32(eq + 1, 65535,
								&port, err)) ||
				    !port))) {
				snprintf(err, CV_ERRLEN,
					 "check epm: \"%s\" is not IFACE[=PORT][,IFACE[=PORT]] (at most 4)",
					 arg);
				return -1;
			}
			if (dce_iface_parse(p, &c->iface[c->nifaces], err))
				return -1;
			for (unsigned int i = 0; i < c->nifaces; i++)
				if (!memcmp(c->iface[i].uuid,
					    c->iface[c->nifaces].uuid,
					    sizeof(c->iface[i].uuid))) {
					snprintf(err, CV_ERRLEN,
						 "check epm: \"%s\" names %s twice",
						 arg, c->iface[i].name);
					return -1;
				}
			c->want[c->nifaces++] = (uint16_t)port;
		}
		if (c->nifaces)
			return 0;
	}
	snprintf(err, CV_ERRLEN, "check \"%s %s\" is not tcp PORT, rpc IFACE@PORT, epm IFACE[=PORT], http or https PORT/PATH",
		 type, arg);
	return -1;
}

int check_option(int argc, char **argv, struct check *c, char *err)
{
	bool http = c->type == CHECK_HTTP || c->type == CHECK_HTTPS;
	uint32_t v;

	if (strcmp(argv[0], "status") && strcmp(argv[0], "host") &&
	    strcmp(argv[0], "verify"))
		return 0;
	if (!http || (!strcmp(argv[0], "verify") && c->type != CHECK_HTTPS)) {
		snprintf(err, CV_ERRLEN, "\"%s\" is for %s checks", argv[0],
			 strcmp(argv[0], "verify") ? "http and https" : "https");
		return -1;
	}
	if (!strcmp(argv[0], "verify")) {
		c->verify = true;
		return 1;
	}
	if (argc < 2) {
		snprintf(err, CV_ERRLEN, "check %s needs a value", argv[0]);
		return -1;
	}
	if (!strcmp(argv[0], "status")) {
		if (cv_parse_u32(argv[1], 599, &v, err) || v < 100) {
			snprintf(err, CV_ERRLEN,
				 "check status \"%s\" is not an HTTP status (100-599)",
				 argv[1]);
			return -1;
		}
		c->status = (uint16_t)v;
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(c->host) ||
	    strspn(argv[1], "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
		    strlen(argv[1])) {
		snprintf(err, CV_ERRLEN, "check host \"%s\" is not a host name",
			 argv[1]);
		return -1;
	}
	strcpy(c->host, argv[1]);
	return 2;
}

int cv_hcheck_parse(int argc, char **argv, struct cv_hcheck *h, char *err)
{
	if (argc < 2) {
		snprintf(err, CV_ERRLEN,
			 "a check needs a type and its argument: tcp PORT, rpc IFACE@PORT or epm IFACE=PORT");
		return -1;
	}
	if (check_parse(argv[0], argv[1], &h->c, err))
		return -1;
	h->interval_ms = CHECK_INTERVAL_MS;
	h->timeout_ms = CHECK_TIMEOUT_MS;
	h->rise = CHECK_RISE;
	h->fall = CHECK_FALL;
	h->unforwarded = false;
	for (int i = 2, seen = 0; i < argc; i += 2) {
		static const char *const words[] = { "interval", "timeout",
						     "rise", "fall" };
		static const char *const http_words[] = { "status", "host",
							  "verify" };
		unsigned int *to[] = { &h->interval_ms, &h->timeout_ms,
				       &h->rise, &h->fall };
		int k = cv_lookup(words, 4, argv[i]), x;
		uint32_t v;

		if (!strcmp(argv[i], "unforwarded")) {
			h->unforwarded = true;
			i--; /* a word with no value */
			continue;
		}
		x = cv_lookup(http_words, 3, argv[i]);
		if (x >= 0 && (seen & (16 << x))) {
			snprintf(err, CV_ERRLEN, "check %s is given twice",
				 argv[i]);
			return -1;
		}
		if (x >= 0) {
			seen |= 16 << x;
			if (check_option(argc - i, argv + i, &h->c, err) < 0)
				return -1;
			i -= x == 2; /* verify: a word with no value */
			continue;
		}
		if (k < 0) {
			snprintf(err, CV_ERRLEN, "unknown check keyword \"%s\"",
				 argv[i]);
			return -1;
		}
		if (seen & (1 << k)) {
			snprintf(err, CV_ERRLEN, "check %s is given twice",
				 argv[i]);
			return -1;
		}
		seen |= 1 << k;
		if (i + 1 == argc || cv_parse_u32(argv[i + 1], 3600, &v, err) ||
		    !v) {
			snprintf(err, CV_ERRLEN,
				 "check %s needs a number from 1 to 3600", argv[i]);
			return -1;
		}
		*to[k] = k >= 2 ? v : v * 1000;
	}
	if (h->timeout_ms > h->interval_ms) {
		snprintf(err, CV_ERRLEN, "check timeout is longer than its interval");
		return -1;
	}
	return 0;
}

void check_format(const struct check *c, char *buf, size_t len)
{
	char name[64];
	size_t off;

	if (c->type == CHECK_TCP) {
		snprintf(buf, len, "tcp %u", c->port);
		return;
	}
	if (c->type == CHECK_HTTP || c->type == CHECK_HTTPS) {
		off = (size_t)snprintf(buf, len, "%s %u%s",
				       c->type == CHECK_HTTP ? "http" : "https",
				       c->port, c->path);
		if (c->status != 200 && off < len)
			off += (size_t)snprintf(buf + off, len - off,
						" status %u", c->status);
		if (*c->host && off < len)
			off += (size_t)snprintf(buf + off, len - off, " host %s",
						c->host);
		if (c->verify && off < len)
			snprintf(buf + off, len - off, " verify");
		return;
	}
	if (c->type == CHECK_RPC) {
		dce_iface_format(&c->iface[0], name, sizeof(name));
		snprintf(buf, len, "rpc %s@%u", name, c->port);
		return;
	}
	off = (size_t)snprintf(buf, len, "epm");
	for (unsigned int i = 0; i < c->nifaces && off < len; i++) {
		dce_iface_format(&c->iface[i], name, sizeof(name));
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? "," : " ", name);
		if (c->want[i] && off < len)
			off += (size_t)snprintf(buf + off, len - off, "=%u",
						c->want[i]);
	}
}

bool check_same(const struct check *a, const struct check *b)
{
	if (a->type != b->type || a->port != b->port ||
	    a->nifaces != b->nifaces || strcmp(a->path, b->path) ||
	    strcmp(a->host, b->host) || a->status != b->status ||
	    a->verify != b->verify)
		return false;
	for (unsigned int i = 0; i < a->nifaces; i++)
		if (memcmp(a->iface[i].uuid, b->iface[i].uuid,
			   sizeof(a->iface[i].uuid)) ||
		    a->iface[i].major != b->iface[i].major ||
		    a->iface[i].minor != b->iface[i].minor ||
		    a->want[i] != b->want[i])
			return false;
	return true;
}

static void finish(struct check_run *run, bool ok, const char *fmt,
		   const char *arg)
{
	SSL_free(run->ssl);
	run->ssl = NULL;
	if (run->fd >= 0)
		close(run->fd);
	run->fd = -1;
	run->done = true;
	run->ok = ok;
	snprintf(run->why, sizeof(run->why), fmt, arg);
}

static void fail_errno(struct check_run *run, int err)
{
	char port[8];

	snprintf(port, sizeof(port), "%u", run->check->port);
	if (err == ECONNREFUSED)
		finish(run, false, "port %s: connection refused", port);
	else if (err == ECONNRESET || err == EPIPE)
		finish(run, false, "port %s: connection reset", port);
	else
		finish(run, false, "%s", strerror(err));
}

int check_start(struct check_run *run, const struct check *c,
		const struct cv_addr *addr)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t slen;

	memset(run, 0, sizeof(*run));
	run->check = c;
	run->call_id = 1;
	cv_format_addr(addr, run->peer, sizeof(run->peer));
	if (addr->family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr = addr->v4;
		a->sin_port = htons(c->port);
		slen = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = addr->v6;
		a->sin6_port = htons(c->port);
		slen = sizeof(*a);
	}
	run->fd = socket(addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			 0);
	if (run->fd < 0) {
		check_fail(run, strerror(errno));
		run->local = true;
		return -1;
	}
	if (connect(run->fd, (struct sockaddr *)&ss, slen) &&
	    errno != EINPROGRESS) {
		int err = errno;

		fail_errno(run, err);
		/* No local port or memory left: this host's fault. */
		run->local = err == EAGAIN || err == EADDRNOTAVAIL ||
			     err == ENOBUFS || err == ENOMEM;
		return -1;
	}
	return run->fd;
}

short check_events(const struct check_run *run)
{
	if (run->events)
		return run->events;
	return run->step ? POLLIN : POLLOUT;
}

/* One context for every https check: the system's CAs, loaded once. */
static SSL_CTX *tls_ctx(void)
{
	static SSL_CTX *ctx;

	if (!ctx) {
		ctx = SSL_CTX_new(TLS_client_method());
		if (ctx)
			SSL_CTX_set_default_verify_paths(ctx);
	}
	return ctx;
}

/* OpenSSL's reason for the last failure, for the server's reason. */
static void tls_fail(struct check_run *run, const char *what, int ret)
{
	char why[160];
	/* Without verify, OpenSSL judges the certificate all the same. */
	long vr = run->check->verify ? SSL_get_verify_result(run->ssl) :
				       X509_V_OK;
	unsigned long e = ERR_get_error();

	if (vr != X509_V_OK)
		snprintf(why, sizeof(why), "TLS %s: certificate: %s", what,
			 X509_verify_cert_error_string(vr));
	else if (e)
		snprintf(why, sizeof(why), "TLS %s: %s", what,
			 ERR_reason_error_string(e) ?: "failed");
	else if (ret == 0 || errno == 0)
		snprintf(why, sizeof(why), "TLS %s: the server closed the connection",
			 what);
	else
		snprintf(why, sizeof(why), "TLS %s: %s", what, strerror(errno));
	ERR_clear_error();
	finish(run, false, "%s", why);
}

/* The request line and headers of an http or https check. */
static void http_send(struct check_run *run, const char *host)
{
	const struct check *c = run->check;
	bool v6 = !*c->host && strchr(host, ':');
	char req[256];
	int len = snprintf(req, sizeof(req),
			   "GET %s HTTP/1.1\r\nHost: %s%s%s\r\nUser-Agent: casvipctl\r\nConnection: close\r\n\r\n",
			   c->path, v6 ? "[" : "", *c->host ? c->host : host,
			   v6 ? "]" : "");
	int sent;

	run->step = 2;
	run->n = 0;
	sent = run->ssl ? SSL_write(run->ssl, req, len) :
			  (int)send(run->fd, req, (size_t)len, MSG_NOSIGNAL);
	if (sent == len)
		return;
	if (run->ssl)
		tls_fail(run, "write", sent);
	else
		fail_errno(run, errno);
}

/* TLS, until its handshake is done: then the request. */
static void tls_step(struct check_run *run)
{
	int ret = SSL_connect(run->ssl), e;

	if (ret == 1) {
		run->events = 0;
		http_send(run, run->peer);
		return;
	}
	e = SSL_get_error(run->ssl, ret);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		run->events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return;
	}
	tls_fail(run, "handshake", ret);
}

/* Connected: TLS first for https, then the request. */
static void http_start(struct check_run *run)
{
	const struct check *c = run->check;
	SSL_CTX *ctx = c->type == CHECK_HTTPS ? tls_ctx() : NULL;

	if (c->type == CHECK_HTTP) {
		http_send(run, run->peer);
		return;
	}
	run->ssl = ctx ? SSL_new(ctx) : NULL;
	if (!run->ssl || !SSL_set_fd(run->ssl, run->fd)) {
		check_fail(run, "TLS: no memory for a session");
		run->local = true;
		return;
	}
	/* A name to ask for and check: the host given; an address is none. */
	if (*c->host) {
		SSL_set_tlsext_host_name(run->ssl, c->host);
		SSL_set1_host(run->ssl, c->host);
	}
	SSL_set_verify(run->ssl, c->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
		       NULL);
	run->step = 1;
	tls_step(run);
}

/* The status line is in: judge it. */
static void http_judge(struct check_run *run)
{
	const struct check *c = run->check;
	char line[64];
	unsigned int status;
	char *nl = memchr(run->buf, '\n', run->n);

	snprintf(line, sizeof(line), "%.*s",
		 (int)((uint8_t *)nl - run->buf), (const char *)run->buf);
	line[strcspn(line, "\r")] = '\0';
	/* "HTTP/1.x NNN" and a space or nothing: RFC 9112's status line. */
	if (strncmp(line, "HTTP/1.", 7) || (line[7] != '0' && line[7] != '1') ||
	    line[8] != ' ' || !isdigit((unsigned char)line[9]) ||
	    !isdigit((unsigned char)line[10]) ||
	    !isdigit((unsigned char)line[11]) ||
	    (line[12] != ' ' && line[12] != '\0'))
		finish(run, false, "not an HTTP answer: \"%s\"", line);
	else if ((status = (unsigned int)atoi(line + 9)) == c->status)
		finish(run, true, "HTTP %s", line + 9);
	else {
		snprintf(line, sizeof(line), "HTTP %u, not %u", status,
			 c->status);
		finish(run, false, "%s", line);
	}
}

/* Read what came; once the status line is in, the run is over. */
static void http_read(struct check_run *run)
{
	size_t room = sizeof(run->buf) - run->n;
	int r;

	if (run->ssl) {
		r = SSL_read(run->ssl, run->buf + run->n, (int)room);
		if (r <= 0) {
			int e = SSL_get_error(run->ssl, r);

			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				run->events = e == SSL_ERROR_WANT_READ ? POLLIN :
									 POLLOUT;
				return;
			}
			if (e != SSL_ERROR_ZERO_RETURN) {
				tls_fail(run, "read", r);
				return;
			}
			r = 0;
		}
	} else {
		r = (int)recv(run->fd, run->buf + run->n, room, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r < 0) {
			fail_errno(run, errno);
			return;
		}
	}
	run->events = 0;
	run->n += (size_t)r;
	if (memchr(run->buf, '\n', run->n))
		http_judge(run);
	else if (!r || run->n == sizeof(run->buf))
		finish(run, false, "%s",
		       run->n ? "no HTTP status line" :
			       "the server closed the connection without answering");
}

/* Send the PDU of step @step (1: bind; 2..: ept_map of iface step - 2). */
static void send_step(struct check_run *run)
{
	const struct check *c = run->check;
	uint8_t pdu[DCE_MAX_PDU];
	size_t len;

	run->n = 0;
	run->call_id++;
	if (run->step == 1)
		len = dce_bind(pdu, c->type == CHECK_EPM ? &dce_epm : &c->iface[0],
			       run->call_id);
	else
		len = dce_ept_map(pdu, &c->iface[run->step - 2], run->call_id);
	if (send(run->fd, pdu, len, MSG_NOSIGNAL) != (ssize_t)len)
		fail_errno(run, errno);
}

/*
 * Every interface answered as wanted: where each followed one is
 * ("EMSMDB at 49161, NSPI at 52011, followed"), or that the static ports
 * are in effect.
 */
static void epm_found(struct check_run *run)
{
	const struct check *c = run->check;
	char msg[DCE_ERRLEN + 64];
	size_t off = 0;

	for (unsigned int i = 0; i < c->nifaces && off < sizeof(msg); i++)
		if (!c->want[i])
			off += (size_t)snprintf(msg + off, sizeof(msg) - off,
						"%s at %u, ", c->iface[i].name,
						run->found[i]);
	if (!off) {
		finish(run, true, "%s", "every interface is at its port");
		return;
	}
	if (off < sizeof(msg))
		snprintf(msg + off, sizeof(msg) - off, "followed");
	finish(run, true, "%s", msg);
}

/* A whole answer to step @run->step is in the buffer: judge it. */
static void judge(struct check_run *run, size_t len)
{
	const struct check *c = run->check;
	const struct dce_iface *iface;
	char why[DCE_ERRLEN], msg[DCE_ERRLEN + 64];
	uint16_t port;
	int ret;

	if (run->step == 1) {
		iface = c->type == CHECK_EPM ? &dce_epm : &c->iface[0];
		if (dce_bind_result(run->buf, len, run->call_id, iface, why)) {
			finish(run, false, "%s", why);
			return;
		}
		if (c->type == CHECK_RPC) {
			finish(run, true, "bind to %s accepted",
				      iface->name);
			return;
		}
	} else {
		iface = &c->iface[run->step - 2];
		ret = dce_ept_map_result(run->buf, len, run->call_id, &port,
					 why);
		if (ret < 0) {
			finish(run, false, "%s", why);
			return;
		}
		if (ret > 0) {
			snprintf(msg, sizeof(msg),
				 "%s is not registered with the endpoint mapper",
				 iface->name);
			finish(run, false, "%s", msg);
			return;
		}
		run->found[run->step - 2] = port;
		if (c->want[run->step - 2] && port != c->want[run->step - 2]) {
			snprintf(msg, sizeof(msg),
				 "%s registered at %u, service forwards %u — static port not in effect?",
				 iface->name, port, c->want[run->step - 2]);
			finish(run, false, "%s", msg);
			return;
		}
		if (run->step - 1 == (int)c->nifaces) {
			epm_found(run);
			return;
		}
	}
	run->step++;
	send_step(run);
}

bool check_step(struct check_run *run)
{
	char why[DCE_ERRLEN];
	socklen_t elen = sizeof(int);
	long len;
	ssize_t r;
	int err = 0;

	if (run->done)
		return true;
	if (!run->step) {
		getsockopt(run->fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		if (err) {
			fail_errno(run, err);
			return true;
		}
		if (run->check->type == CHECK_TCP) {
			finish(run, true, "%s", "connected");
			return true;
		}
		if (run->check->type >= CHECK_HTTP) {
			http_start(run);
			return run->done;
		}
		run->step = 1;
		send_step(run);
		return run->done;
	}
	if (run->check->type >= CHECK_HTTP) {
		if (run->step == 1)
			tls_step(run);
		else
			http_read(run);
		return run->done;
	}
	r = recv(run->fd, run->buf + run->n, sizeof(run->buf) - run->n, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (r <= 0) {
		if (r < 0)
			fail_errno(run, errno);
		else
			finish(run, false, "%s",
			       run->n ? "the server closed the connection in the middle of an answer" :
					"the server closed the connection without answering");
		return true;
	}
	run->n += (size_t)r;
	len = dce_pdu_length(run->buf, run->n, why);
	if (len < 0)
		finish(run, false, "%s", why);
	else if (len > 0)
		judge(run, (size_t)len);
	return run->done;
}

void check_fail(struct check_run *run, const char *why)
{
	finish(run, false, "%s", why);
}

void check_timeout(struct check_run *run)
{
	if (run->done)
		return;
	finish(run, false, "%s",
	       !run->step ? "no connection within the timeout" :
	       run->n     ? "the answer stopped short: timeout" :
			    "no answer within the timeout");
}
