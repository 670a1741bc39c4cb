// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl: health checks as non-blocking state machines.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

int check_parse(const char *type, const char *arg, struct check *c,
		char *err)
{
	char word[64], *p, *save;
	uint32_t port;

	memset(c, 0, sizeof(*c));
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
		if (*word == ',' || strstr(word, ",,") ||
		    word[strlen(word) - 1] == ',') {
			snprintf(err, CV_ERRLEN,
				 "check epm: \"%s\" has an empty item", arg);
			return -1;
		}
		for (p = strtok_r(word, ",", &save); p;
		     p = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(p, '=');

			if (c->nifaces == CHECK_MAX_IFACES || !eq ||
			    (*eq = '\0', cv_parse_u32(eq + 1, 65535, &port, err)) ||
			    !port) {
				snprintf(err, CV_ERRLEN,
					 "check epm: \"%s\" is not IFACE=PORT[,IFACE=PORT] (at most 4)",
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
	snprintf(err, CV_ERRLEN, "check \"%s %s\" is not tcp PORT, rpc IFACE@PORT or epm IFACE=PORT",
		 type, arg);
	return -1;
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
		unsigned int *to[] = { &h->interval_ms, &h->timeout_ms,
				       &h->rise, &h->fall };
		int k = cv_lookup(words, 4, argv[i]);
		uint32_t v;

		if (!strcmp(argv[i], "unforwarded")) {
			h->unforwarded = true;
			i--; /* a word with no value */
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
	if (c->type == CHECK_RPC) {
		dce_iface_format(&c->iface[0], name, sizeof(name));
		snprintf(buf, len, "rpc %s@%u", name, c->port);
		return;
	}
	off = (size_t)snprintf(buf, len, "epm");
	for (unsigned int i = 0; i < c->nifaces && off < len; i++) {
		dce_iface_format(&c->iface[i], name, sizeof(name));
		off += (size_t)snprintf(buf + off, len - off, "%s%s=%u",
					i ? "," : " ", name, c->want[i]);
	}
}

bool check_same(const struct check *a, const struct check *b)
{
	if (a->type != b->type || a->port != b->port ||
	    a->nifaces != b->nifaces)
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
	return run->step ? POLLIN : POLLOUT;
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
		if (port != c->want[run->step - 2]) {
			snprintf(msg, sizeof(msg),
				 "%s registered at %u, service forwards %u — static port not in effect?",
				 iface->name, port, c->want[run->step - 2]);
			finish(run, false, "%s", msg);
			return;
		}
		if (run->step - 1 == (int)c->nifaces) {
			finish(run, true, "%s",
				      "every interface is at its port");
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
		run->step = 1;
		send_step(run);
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
