// SPDX-License-Identifier: GPL-2.0
/*
 * fakecas: a stand-in real server for the tests. On every TCP port given it
 * accepts connections and answers "NAME PEER\n" (PEER: the address it sees
 * the client at), then holds the connection until the client closes it,
 * echoing what the client sends with -e (a session kept alive); on UDP
 * (-u) it answers every datagram the same way. IPv4 and IPv6.
 *
 * usage: fakecas [-u|-e] NAME PORT...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 4096

static const char *name;

static int listen_on(int type, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port) };
	int fd = socket(AF_INET6, type, 0), zero = 0, one = 1;

	if (fd < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (type == SOCK_STREAM && listen(fd, 512))) {
		fprintf(stderr, "fakecas: port %d: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

static int answer(char *buf, size_t len, const struct sockaddr_in6 *peer)
{
	char addr[INET6_ADDRSTRLEN];

	if (IN6_IS_ADDR_V4MAPPED(&peer->sin6_addr))
		inet_ntop(AF_INET, &peer->sin6_addr.s6_addr[12], addr,
			  sizeof(addr));
	else
		inet_ntop(AF_INET6, &peer->sin6_addr, addr, sizeof(addr));
	return snprintf(buf, len, "%s %s\n", name, addr);
}

int main(int argc, char **argv)
{
	struct pollfd fds[MAX_FDS];
	int nlisten = 0, nfds, udp = 0, echo = 0;
	char buf[256];

	if (argc > 1 && (!strcmp(argv[1], "-u") || !strcmp(argv[1], "-e"))) {
		udp = argv[1][1] == 'u';
		echo = argv[1][1] == 'e';
		argv++;
		argc--;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: fakecas [-u|-e] NAME PORT...\n");
		return 2;
	}
	name = argv[1];
	for (int i = 2; i < argc; i++) {
		fds[nlisten++] = (struct pollfd){
			.fd = listen_on(udp ? SOCK_DGRAM : SOCK_STREAM,
					atoi(argv[i])),
			.events = POLLIN };
	}
	nfds = nlisten;
	for (;;) {
		if (poll(fds, nfds, -1) < 0)
			continue;
		for (int i = 0; i < nfds; i++) {
			struct sockaddr_in6 peer;
			socklen_t plen = sizeof(peer);
			int fd, n;

			if (!fds[i].revents)
				continue;
			if (i < nlisten && udp) {
				if (recvfrom(fds[i].fd, buf, sizeof(buf), 0,
					     (struct sockaddr *)&peer,
					     &plen) < 0)
					continue;
				n = answer(buf, sizeof(buf), &peer);
				sendto(fds[i].fd, buf, n, 0,
				       (struct sockaddr *)&peer, plen);
			} else if (i < nlisten) {
				fd = accept(fds[i].fd, (struct sockaddr *)&peer,
					    &plen);
				if (fd < 0)
					continue;
				n = answer(buf, sizeof(buf), &peer);
				/*
				 * A client gone (reset) is no reason to die:
				 * no SIGPIPE, here or on an echo.
				 */
				if (send(fd, buf, n, MSG_NOSIGNAL) != n ||
				    nfds == MAX_FDS) {
					close(fd);
					continue;
				}
				fds[nfds++] = (struct pollfd){ .fd = fd,
							      .events = POLLIN };
			} else if ((n = read(fds[i].fd, buf, sizeof(buf))) <= 0 ||
				   (echo && send(fds[i].fd, buf, n,
						 MSG_NOSIGNAL) != n)) {
				/* The client closed: so do we. */
				close(fds[i].fd);
				fds[i--] = fds[--nfds];
			}
		}
	}
}
