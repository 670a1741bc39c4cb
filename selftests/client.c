// SPDX-License-Identifier: GPL-2.0
/* The lab clients' sockets (client.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

void to_sockaddr(const char *s, int port, struct sockaddr_storage *ss,
		 socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return;
	}
	fprintf(stderr, "bad address %s\n", s);
	exit(2);
}

const char *reason(int err)
{
	static char buf[64];

	if (err == ECONNREFUSED || err == ECONNRESET)
		return "refused";
	if (err == ETIMEDOUT)
		return "timeout";
	snprintf(buf, sizeof(buf), "error:%s", strerror(err));
	return buf;
}

int wait_for(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	socklen_t len = sizeof(int);
	int err = 0;

	if (poll(&p, 1, ms) <= 0)
		return ETIMEDOUT;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	return err;
}

int connect_from(const char *src, const char *dst, int port, int type)
{
	struct sockaddr_storage s, d;
	socklen_t slen, dlen;
	int fd, err;

	to_sockaddr(src, 0, &s, &slen);
	to_sockaddr(dst, port, &d, &dlen);
	fd = socket(d.ss_family, type | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&s, slen) ||
	    (connect(fd, (struct sockaddr *)&d, dlen) && errno != EINPROGRESS)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}
