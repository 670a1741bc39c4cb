// SPDX-License-Identifier: GPL-2.0
/*
 * eptclient: what an RPC client's runtime does before its calls, through
 * a VIP. For each SRC in turn, for each IFACE: connect from SRC to
 * VIP:135, bind to the endpoint mapper, ask ept_map where IFACE listens,
 * close; then connect from SRC to VIP at that port and bind to IFACE.
 * One line each:
 *
 *	SRC IFACE PORT ok             the bind at VIP:PORT was accepted
 *	SRC IFACE PORT refused        ... the connection was refused
 *	SRC IFACE PORT timeout        ... or not answered
 *	SRC IFACE PORT bind:REASON    ... or the bind was not accepted
 *	SRC IFACE - epm:REASON        the mapper gave no port
 *
 * -p PORT binds at VIP:PORT without asking the mapper (PORT shows as
 * given); -t MS is the timeout of each step (default 2000).
 *
 * usage: eptclient [-t MS] [-p PORT] VIP IFACE[,IFACE...] SRC...
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "dcerpc.h"

static int ms = 2000;

/* Send @len bytes of @pdu, and read the whole PDU that answers it. */
static int call(int fd, const uint8_t *pdu, size_t len, uint8_t *ans,
		size_t *n, char *why)
{
	long plen = 0;
	int err;

	if (send(fd, pdu, len, MSG_NOSIGNAL) != (ssize_t)len)
		return errno;
	*n = 0;
	while (!plen) {
		ssize_t r;

		err = wait_for(fd, POLLIN, ms);
		if (err)
			return err;
		r = recv(fd, ans + *n, DCE_MAX_PDU - *n, 0);
		if (r <= 0)
			return r ? errno : ECONNRESET;
		*n += (size_t)r;
		plen = dce_pdu_length(ans, *n, why);
		if (plen < 0)
			return EPROTO;
	}
	*n = (size_t)plen;
	return 0;
}

/* A connection from @src to @vip:@port, bound to @iface: 0 or an errno. */
static int bound(const char *src, const char *vip, int port,
		 const struct dce_iface *iface, char *why)
{
	uint8_t pdu[DCE_MAX_PDU], ans[DCE_MAX_PDU];
	size_t n;
	int fd, err;

	fd = connect_from(src, vip, port, SOCK_STREAM);
	if (fd < 0)
		return errno;
	err = wait_for(fd, POLLOUT, ms);
	if (!err)
		err = call(fd, pdu, dce_bind(pdu, iface, 1), ans, &n, why);
	if (!err && dce_bind_result(ans, n, 1, iface, why))
		err = EPROTO;
	close(fd);
	return err;
}

/* Ask the mapper at @vip:135 from @src where @iface is: its port, or -1. */
static int ask(const char *src, const char *vip, const struct dce_iface *iface,
	       char *why)
{
	uint8_t pdu[DCE_MAX_PDU], ans[DCE_MAX_PDU];
	uint16_t port;
	size_t n;
	int fd, err;

	fd = connect_from(src, vip, 135, SOCK_STREAM);
	if (fd < 0) {
		snprintf(why, DCE_ERRLEN, "%s", reason(errno));
		return -1;
	}
	err = wait_for(fd, POLLOUT, ms);
	if (!err)
		err = call(fd, pdu, dce_bind(pdu, &dce_epm, 1), ans, &n, why);
	if (!err && dce_bind_result(ans, n, 1, &dce_epm, why))
		err = EPROTO;
	if (!err)
		err = call(fd, pdu, dce_ept_map(pdu, iface, 2), ans, &n, why);
	if (!err) {
		int ret = dce_ept_map_result(ans, n, 2, &port, why);

		if (ret == 1)
			snprintf(why, DCE_ERRLEN, "not-registered");
		if (ret)
			err = EPROTO;
	}
	close(fd);
	if (err && err != EPROTO)
		snprintf(why, DCE_ERRLEN, "%s", reason(err));
	return err ? -1 : port;
}

int main(int argc, char **argv)
{
	struct dce_iface ifaces[8];
	int c, given = 0, niface = 0;
	char why[DCE_ERRLEN], *p;

	while ((c = getopt(argc, argv, "t:p:")) != -1) {
		if (c == 't')
			ms = atoi(optarg);
		else if (c == 'p')
			given = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind < 3) {
		fprintf(stderr,
			"usage: eptclient [-t MS] [-p PORT] VIP IFACE[,IFACE...] SRC...\n");
		return 2;
	}
	for (p = strtok(argv[optind + 1], ","); p && niface < 8;
	     p = strtok(NULL, ","))
		if (dce_iface_parse(p, &ifaces[niface++], why)) {
			fprintf(stderr, "eptclient: %s\n", why);
			return 2;
		}
	for (int i = optind + 2; i < argc; i++) {
		for (int k = 0; k < niface; k++) {
			const char *src = argv[i], *vip = argv[optind];
			char name[48];
			int port = given ? given : ask(src, vip, &ifaces[k], why);
			int err;

			dce_iface_format(&ifaces[k], name, sizeof(name));
			if (port < 0) {
				printf("%s %s - epm:%s\n", src, name, why);
				continue;
			}
			err = bound(src, vip, port, &ifaces[k], why);
			printf("%s %s %d %s%s\n", src, name, port,
			       err == EPROTO ? "bind:" : "",
			       !err ? "ok" : err == EPROTO ? why : reason(err));
			fflush(stdout);
		}
	}
	return 0;
}
