// SPDX-License-Identifier: GPL-2.0
/*
 * vipclient: connect to a VIP from many client addresses, and say which
 * real server answered. For each SRC in turn, for each PORT: connect from
 * SRC to VIP:PORT and print one line
 *
 *	SRC PORT NAME PEER     the answer of fakecas
 *	SRC PORT refused       a TCP reset or an ICMP unreachable
 *	SRC PORT timeout       no answer within the timeout
 *	SRC PORT error:TEXT    anything else
 *
 * -w SECONDS keeps every connection open that long before closing them
 * all; -t MS is the timeout of each connection (default 2000); -u is UDP.
 * -l SECONDS goes over the SRCs again and again for that long, each line
 * led by the milliseconds since the start (CLOCK_MONOTONIC's, as MS).
 *
 * usage: vipclient [-u] [-w SECONDS | -l SECONDS] [-t MS] VIP PORT[,PORT...]
 *        SRC...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

/* One connection: its socket (kept open), the answer in @out. */
static int one(const char *src, const char *vip, int port, int udp, int ms,
	       char *out, size_t outlen)
{
	int fd, err, n;

	fd = connect_from(src, vip, port, udp ? SOCK_DGRAM : SOCK_STREAM);
	if (fd < 0) {
		snprintf(out, outlen, "%s", reason(errno));
		return fd;
	}
	err = udp ? 0 : wait_for(fd, POLLOUT, ms);
	if (!err && udp && send(fd, "hi", 2, 0) < 0)
		err = errno;
	if (!err)
		err = wait_for(fd, POLLIN, ms);
	if (!err) {
		n = recv(fd, out, outlen - 1, 0);
		if (n > 0) {
			out[n] = '\0';
			out[strcspn(out, "\n")] = '\0';
			return fd;
		}
		err = n < 0 ? errno : ECONNRESET;
	}
	snprintf(out, outlen, "%s", reason(err));
	return fd;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	int udp = 0, hold = 0, ms = 2000, c, nports = 0, nfds = 0;
	long loop = 0, start = now_ms();
	int ports[64], *fds;
	char *p, ans[256];

	while ((c = getopt(argc, argv, "uw:t:l:")) != -1) {
		switch (c) {
		case 'u':
			udp = 1;
			break;
		case 'w':
			hold = atoi(optarg);
			break;
		case 't':
			ms = atoi(optarg);
			break;
		case 'l':
			loop = atol(optarg) * 1000;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind < 3) {
		fprintf(stderr,
			"usage: vipclient [-u] [-w SECONDS | -l SECONDS] [-t MS] VIP PORT[,PORT...] SRC...\n");
		return 2;
	}
	for (p = strtok(argv[optind + 1], ","); p && nports < 64;
	     p = strtok(NULL, ","))
		ports[nports++] = atoi(p);
	fds = calloc((size_t)(argc - optind) * nports, sizeof(*fds));
	if (!fds)
		return 1;
	do {
		for (int i = optind + 2; i < argc; i++) {
			for (int j = 0; j < nports; j++) {
				long t = now_ms();

				fds[nfds++] = one(argv[i], argv[optind], ports[j],
						  udp, ms, ans, sizeof(ans));
				if (loop)
					printf("%ld ", t - start);
				printf("%s %d %s\n", argv[i], ports[j], ans);
				fflush(stdout);
				if (!hold && fds[--nfds] >= 0)
					close(fds[nfds]);
			}
		}
	} while (now_ms() - start < loop);
	if (hold)
		sleep(hold);
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}
