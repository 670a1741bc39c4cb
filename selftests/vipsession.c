// SPDX-License-Identifier: GPL-2.0
/*
 * vipsession: long-lived sessions through a VIP, as Outlook keeps them: one
 * TCP connection from each SRC to VIP:PORT (a fakecas -e), which after the
 * server's greeting sends one byte every INTERVAL ms (default 100) and
 * waits for its echo, for SECONDS. Then one line per session:
 *
 *	SRC SERVER GAP_MS STATUS GAP_END
 *
 * SERVER names the server that greeted it; GAP_MS is the longest time
 * between two echoes (or from the start to the first); STATUS is "ok", or
 * "broken" if the connection was reset or closed, or no echo came for
 * 2 s, followed by the milliseconds since the start when it did, and how
 * ("broken 2317 reset"); GAP_END is when the longest gap ended, in ms since
 * the epoch (to set beside other clocks). Exits 1 if any session broke.
 *
 * usage: vipsession [-i MS] SECONDS VIP PORT SRC...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SESSIONS 256
#define BROKEN_MS 2000

struct session {
	const char *src;
	int fd;
	char server[64];
	size_t greeted; /* bytes of the greeting so far */
	bool greeting_done, broken, waiting;
	long last_echo, gap, gap_end, broken_at;
	const char *how;
};

static long clock_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* Take the gap that ends @now if it is the longest. */
static void gap_ends(struct session *s, long now)
{
	if (now - s->last_echo <= s->gap)
		return;
	s->gap = now - s->last_echo;
	s->gap_end = now;
}

static int open_session(const char *src, const struct sockaddr_in *vip)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || inet_pton(AF_INET, src, &a.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    connect(fd, (const struct sockaddr *)vip, sizeof(*vip))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Read what came: the greeting, then echoes. */
static void breaks(struct session *s, long now, const char *how)
{
	s->broken = true;
	s->broken_at = now;
	s->how = how;
}

static void on_read(struct session *s, long now)
{
	char buf[256];
	ssize_t n = read(s->fd, buf, sizeof(buf));

	if (n <= 0) {
		breaks(s, now, n ? "reset" : "closed");
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (!s->greeting_done) {
			if (buf[i] == '\n') {
				s->greeting_done = true;
				s->last_echo = now;
			} else if (buf[i] == ' ') {
				s->greeted = sizeof(s->server); /* then PEER */
			} else if (s->greeted < sizeof(s->server) - 1) {
				s->server[s->greeted++] = buf[i];
			}
			continue;
		}
		gap_ends(s, now);
		s->last_echo = now;
		s->waiting = false;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in vip = { .sin_family = AF_INET };
	static struct session ss[MAX_SESSIONS];
	struct pollfd fds[MAX_SESSIONS];
	long interval = 100, start, end, next, epoch;
	int n = 0, bad = 0;

	if (argc > 2 && !strcmp(argv[1], "-i")) {
		interval = atol(argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc < 5 || inet_pton(AF_INET, argv[2], &vip.sin_addr) != 1 ||
	    argc - 4 > MAX_SESSIONS || interval <= 0) {
		fprintf(stderr,
			"usage: vipsession [-i MS] SECONDS VIP PORT SRC...\n");
		return 2;
	}
	vip.sin_port = htons(atoi(argv[3]));
	start = now_ms();
	epoch = clock_ms(CLOCK_REALTIME) - start;
	end = start + atol(argv[1]) * 1000;
	for (int i = 4; i < argc; i++, n++) {
		ss[n] = (struct session){ .src = argv[i], .last_echo = start };
		ss[n].fd = open_session(argv[i], &vip);
		if (ss[n].fd < 0)
			breaks(&ss[n], start, "refused");
	}
	next = now_ms() + interval;
	while (now_ms() < end) {
		long now = now_ms(), wait = next - now;

		for (int i = 0; i < n; i++)
			fds[i] = (struct pollfd){
				.fd = ss[i].broken ? -1 : ss[i].fd,
				.events = POLLIN };
		if (wait > 0 && poll(fds, n, (int)wait) < 0 && errno != EINTR)
			break;
		now = now_ms();
		for (int i = 0; i < n; i++)
			if (!ss[i].broken && fds[i].revents)
				on_read(&ss[i], now);
		if (now < next)
			continue;
		next += interval;
		for (int i = 0; i < n; i++) {
			struct session *s = &ss[i];

			if (s->broken || !s->greeting_done)
				continue;
			if (now - s->last_echo > BROKEN_MS) {
				breaks(s, now, "silent");
				continue;
			}
			/* A reset session is broken, not a reason to die. */
			if (!s->waiting && send(s->fd, "x", 1, MSG_NOSIGNAL) == 1)
				s->waiting = true;
		}
	}
	for (int i = 0; i < n; i++) {
		struct session *s = &ss[i];
		long now = now_ms();

		if (!s->broken && (!s->greeting_done ||
				   now - s->last_echo > BROKEN_MS))
			breaks(s, now, "silent");
		if (!s->broken)
			gap_ends(s, now);
		printf("%s %s %ld ", s->src, *s->server ? s->server : "-",
		       s->gap);
		if (s->broken)
			printf("broken %ld %s", s->broken_at - start, s->how);
		else
			printf("ok");
		printf(" %ld\n", epoch + s->gap_end);
		bad += s->broken;
	}
	return bad ? 1 : 0;
}
