// SPDX-License-Identifier: GPL-2.0
/*
 * vipload: load through a VIP, bounded in time, for the benchmarks.
 *
 *   vipload conn SECONDS INFLIGHT VIP PORT SRC...
 *	New TCP connections, INFLIGHT at a time, from the SRC addresses in
 *	turn: connect, read the server's greeting, close. Prints
 *	"conns_per_s N" and "failed N".
 *   vipload stream SECONDS STREAMS VIP PORT SRC
 *	STREAMS connections that send as fast as they can, then close.
 *	Prints "mbit_per_s N", then the bytes of payload each way:
 *	"sent N" and "received N" (the servers' greetings).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_INFLIGHT 256

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in addr(const char *s, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };

	if (inet_pton(AF_INET, s, &a.sin_addr) != 1) {
		fprintf(stderr, "vipload: bad address %s\n", s);
		exit(2);
	}
	return a;
}

/* A non-blocking connection from @src to @dst, or -1. */
static int dial(const struct sockaddr_in *src, const struct sockaddr_in *dst)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)src, sizeof(*src)) ||
	    (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) &&
	     errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int conn_rate(double secs, int inflight, struct sockaddr_in dst,
		     struct sockaddr_in *srcs, int nsrc)
{
	int ep = epoll_create1(0), next = 0, open = 0;
	long done = 0, failed = 0;
	double start = now(), end = start + secs;
	struct epoll_event evs[MAX_INFLIGHT];
	char buf[256];

	while (now() < end || open) {
		while (open < inflight && now() < end) {
			struct epoll_event ev = { .events = EPOLLIN };
			int fd = dial(&srcs[next++ % nsrc], &dst);

			if (fd < 0) {
				failed++;
				continue;
			}
			ev.data.fd = fd;
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			open++;
		}
		int n = epoll_wait(ep, evs, MAX_INFLIGHT, 1000);

		if (n <= 0 && now() > end + 2)
			break;
		for (int i = 0; i < n; i++) {
			ssize_t r = read(evs[i].data.fd, buf, sizeof(buf));

			if (r > 0)
				done++;
			else
				failed++;
			close(evs[i].data.fd);
			open--;
		}
	}
	printf("conns_per_s %.0f\nfailed %ld\n", done / (now() - start), failed);
	return 0;
}

static int stream(double secs, int streams, struct sockaddr_in dst,
		  struct sockaddr_in src)
{
	static char buf[65536];
	struct epoll_event evs[64];
	int ep = epoll_create1(0), fds[64];
	long long sent = 0, received = 0;
	double start, end;

	if (streams > 64)
		streams = 64;
	for (int i = 0; i < streams; i++) {
		struct timeval tv = { 5, 0 };
		struct epoll_event ev = { .events = EPOLLOUT };
		char greet[256];
		ssize_t n;

		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (fds[i] < 0 ||
		    bind(fds[i], (struct sockaddr *)&src, sizeof(src)) ||
		    connect(fds[i], (struct sockaddr *)&dst, sizeof(dst)) ||
		    (n = read(fds[i], greet, sizeof(greet))) <= 0) {
			perror("vipload: stream");
			return 1;
		}
		received += n;
		ev.data.fd = fds[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	start = now();
	end = start + secs;
	while (now() < end) {
		int n = epoll_wait(ep, evs, 64, 100);

		for (int i = 0; i < n; i++) {
			ssize_t w = send(evs[i].data.fd, buf, sizeof(buf),
					 MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w > 0)
				sent += w;
		}
	}
	printf("mbit_per_s %.0f\nsent %lld\nreceived %lld\n",
	       sent * 8 / 1e6 / (now() - start), sent, received);
	for (int i = 0; i < streams; i++)
		close(fds[i]);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in srcs[256];
	int nsrc = 0;

	if (argc < 7) {
		fprintf(stderr,
			"usage: vipload conn|stream SECONDS N VIP PORT SRC...\n");
		return 2;
	}
	for (int i = 6; i < argc && nsrc < 256; i++)
		srcs[nsrc++] = addr(argv[i], 0);
	if (!strcmp(argv[1], "conn"))
		return conn_rate(atof(argv[2]), atoi(argv[3]) > MAX_INFLIGHT ?
						     MAX_INFLIGHT : atoi(argv[3]),
				 addr(argv[4], atoi(argv[5])), srcs, nsrc);
	return stream(atof(argv[2]), atoi(argv[3]),
		      addr(argv[4], atoi(argv[5])), srcs[0]);
}
