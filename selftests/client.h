/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the lab's clients (vipclient, eptclient) share: addresses from
 * text, TCP connections from a chosen source with a timeout, and the
 * words they print for what went wrong.
 */
#ifndef CASVIP_TEST_CLIENT_H
#define CASVIP_TEST_CLIENT_H

#include <stddef.h>
#include <sys/socket.h>

/* @s (IPv4 or IPv6) and @port; exits 2 if @s is no address. */
void to_sockaddr(const char *s, int port, struct sockaddr_storage *ss,
		 socklen_t *len);
/* "refused", "timeout" or "error:TEXT". */
const char *reason(int err);
/* Wait for @events on @fd; 0, or the error. */
int wait_for(int fd, short events, int ms);
/*
 * A non-blocking socket of @type from @src to @dst:@port, connecting:
 * its descriptor, or -1 with errno.
 */
int connect_from(const char *src, const char *dst, int port, int type);

#endif
