// SPDX-License-Identifier: GPL-2.0
/*
 * fakerpc: a fake Exchange CAS for the health-check tests. It runs an
 * endpoint mapper on 135 that answers ept_map for the interfaces it serves,
 * and an RPC listener on each of their ports that accepts binds for them.
 *
 * usage: fakerpc [-f FAULT] IFACE=PORT...
 *	IFACE is emsmdb, nspi, rfr or a UUID; the mapper reports PORT.
 *	IFACE=PORT/REAL listens on REAL but the mapper reports PORT: the
 *	static port set in the registry, but the service never restarted.
 *	IFACE=random listens on a port of Windows' dynamic range
 *	(49152-65535) drawn at each start, as a service without a static
 *	port does; "IFACE PORT" on standard output says which.
 *
 * Faults (-f): slow (answers after 3 s), mute (never answers), garbage,
 * reset, nak (bind_nak),
 * fault (a fault PDU), reject (bind rejected), bigendian (big-endian
 * answers), split (answers one byte per segment), callid (wrong call id),
 * notregistered (the mapper knows nothing), hostile (the mapper's answers
 * are mangled: bytes flipped, cut short, run on, doubled), ndr64 (the
 * mapper takes NDR64 only; it answers in the syntax it accepted, NDR or
 * NDR64, either way). SIGUSR1 stops the services
 * (their listeners close and the mapper forgets them), SIGUSR2 starts
 * them again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dcerpc.h"

#define MAX_IFACES 8
#define MAX_FDS 512

static struct iface {
	struct dce_iface iface;
	uint16_t port, real;
	bool drawn; /* IFACE=random */
} ifaces[MAX_IFACES];
static int nifaces;
static const char *fault = "";
static volatile sig_atomic_t stopped, changed;

struct conn {
	int fd;
	int listener; /* index of its listener; -1 for the mapper */
	bool ndr64; /* the mapper's context speaks NDR64 */
	uint8_t buf[DCE_MAX_PDU];
	size_t n;
};

static void on_signal(int sig)
{
	stopped = sig == SIGUSR1;
	changed = 1;
}

/* A listener on @port, or -1 with errno. */
static int try_listen(uint16_t port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port) };
	int fd = socket(AF_INET6, SOCK_STREAM, 0), zero = 0, one = 1;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int listen_on(uint16_t port)
{
	int fd = try_listen(port);

	if (fd < 0) {
		fprintf(stderr, "fakerpc: port %u: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

/* As Windows: a port of the dynamic range, another if that one is taken. */
static int listen_drawn(struct iface *f)
{
	int fd;

	do {
		f->port = f->real = 49152 + (uint16_t)(random() % 16384);
		fd = try_listen(f->real);
	} while (fd < 0 && errno == EADDRINUSE);
	return fd < 0 ? listen_on(f->real) : fd;
}

static void put16(uint8_t *p, uint16_t v, int be)
{
	p[be] = v & 0xff;
	p[!be] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v, int be)
{
	put16(p + (be ? 2 : 0), v & 0xffff, be);
	put16(p + (be ? 0 : 2), v >> 16, be);
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The common header of an answer of @len bytes. */
static void header(uint8_t *o, uint8_t ptype, uint16_t len, uint32_t call_id)
{
	int be = !strcmp(fault, "bigendian");

	memset(o, 0, 16);
	o[0] = 5;
	o[2] = ptype;
	o[3] = 0x03;
	o[4] = be ? 0x00 : 0x10;
	put16(o + 8, len, be);
	put32(o + 12, strcmp(fault, "callid") ? call_id : call_id + 1, be);
}

static int find_iface(const uint8_t *uuid)
{
	for (int i = 0; i < nifaces; i++)
		if (!memcmp(ifaces[i].iface.uuid, uuid, 16))
			return i;
	return -1;
}

static size_t bind_answer(struct conn *c, uint8_t *o)
{
	int be = !strcmp(fault, "bigendian");
	const uint8_t *in = c->buf, *uuid = in + 32;
	uint32_t call_id = get32(in + 12);
	int listener = c->listener, ok, syntax;

	if (!strcmp(fault, "nak")) {
		header(o, DCE_BIND_NAK, 20, call_id);
		put16(o + 16, 2, be); /* local limit exceeded */
		return 20;
	}
	ok = strcmp(fault, "reject") &&
	     (listener < 0 ? !memcmp(uuid, dce_epm.uuid, 16) :
			     !memcmp(uuid, ifaces[listener].iface.uuid, 16));
	syntax = listener >= 0 || strcmp(fault, "ndr64") ||
		 !memcmp(in + 52, dce_ndr64_uuid, 16);
	header(o, DCE_BIND_ACK, 60, call_id);
	put16(o + 16, 4280, be);
	put16(o + 18, 4280, be);
	put32(o + 20, 0x1234, be);
	put16(o + 24, 4, be);
	memcpy(o + 26, listener < 0 ? "135" : "999", 4);
	o[32] = 1; /* one result */
	/* Rejected: the abstract syntax, or the transfer syntaxes. */
	put16(o + 36, ok && syntax ? 0 : 2, be);
	put16(o + 38, !ok ? 1 : syntax ? 0 : 2, be);
	/* The transfer syntax offered, NDR or NDR64, accepted. */
	ok = ok && syntax;
	if (ok)
		memcpy(o + 40, in + 52, 20);
	c->ndr64 = ok && !memcmp(in + 52, dce_ndr64_uuid, 16);
	return 60;
}

/* An NDR pointer, size or count: @w bytes (4, or 8 in NDR64). */
static void put_ndr(uint8_t *p, uint32_t v, size_t w, int be)
{
	memset(p, 0, w);
	put32(p + (be ? w - 4 : 0), v, be);
}

static size_t align(size_t off, size_t a)
{
	return (off + a - 1) / a * a;
}

/*
 * The tower an ept_map request (@n bytes) asks about, in NDR or NDR64
 * (@w: 4 or 8), little-endian: the object pointer and UUID, the tower's
 * pointer, its max_count and length. NULL if it is no ncacn_ip_tcp tower.
 */
static const uint8_t *asked_tower(const uint8_t *in, size_t n, size_t w)
{
	size_t off = 24 + w; /* after the stub's object pointer */

	if (n < off)
		return NULL;
	if (in[24] || in[25] || in[26] || in[27])
		off += 16; /* the object UUID */
	off = align(off + w, w) + w; /* the tower's pointer, its max_count */
	if (off + 4 + 75 > n || get32(in + off) != 75)
		return NULL;
	return in + off + 4;
}

/*
 * An ept_map response with the tower of the interface asked about, in
 * the syntax of the connection @c.
 */
static size_t map_answer(const struct conn *c, size_t n, uint8_t *o)
{
	int be = !strcmp(fault, "bigendian");
	size_t w = c->ndr64 ? 8 : 4, off = 44;
	const uint8_t *tower = asked_tower(c->buf, n, w);
	int i = tower ? find_iface(tower + 5) : -1;
	int found = i >= 0 && !stopped && strcmp(fault, "notregistered");

	/* Context 0; the entry_handle, all zeros. */
	memset(o, 0, DCE_MAX_PDU);
	put32(o + off, found, be); /* num_towers */
	off = align(off + 4, w);
	put_ndr(o + off, 4, w, be); /* max_count, offset, actual_count */
	put_ndr(o + off + 2 * w, found, w, be);
	off += 3 * w;
	if (found) {
		put_ndr(o + off, 3, w, be); /* referent */
		put_ndr(o + off + w, 75, w, be);
		off += 2 * w;
		put32(o + off, 75, be);
		/* The asked tower (little-endian always), the port filled. */
		memcpy(o + off + 4, tower, 75);
		o[off + 4 + 64] = ifaces[i].port >> 8;
		o[off + 4 + 65] = ifaces[i].port & 0xff;
		off += 4 + 75;
	}
	off = align(off, 4);
	put32(o + off, found ? 0 : DCE_EPT_S_NOT_REGISTERED, be);
	off += 4;
	header(o, DCE_RESPONSE, (uint16_t)off, get32(c->buf + 12));
	put32(o + 16, (uint32_t)off - 24, be);
	return off;
}

/* A valid answer, mangled as a hostile server would. */
static size_t mangle(uint8_t *o, size_t len)
{
	size_t n = len;
	int flips = 1 + random() % 8;

	switch (random() % 4) {
	case 0: /* cut short */
		n = 1 + (size_t)random() % len;
		break;
	case 1: /* run on with junk */
		n = len + (size_t)random() % 64;
		for (size_t i = len; i < n; i++)
			o[i] = (uint8_t)random();
		break;
	case 2: /* the answer twice, in one segment */
		memcpy(o + len, o, len);
		n = 2 * len;
		break;
	}
	while (flips--)
		o[(size_t)random() % n] = (uint8_t)random();
	return n;
}

static void send_answer(int fd, const uint8_t *o, size_t len)
{
	if (!strcmp(fault, "split")) {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		for (size_t i = 0; i < len; i++) {
			if (write(fd, o + i, 1) != 1)
				return;
			usleep(2000);
		}
		return;
	}
	if (write(fd, o, len) != (ssize_t)len)
		return;
}

/* Answer every whole PDU in the buffer; -1 to close the connection. */
static int serve(struct conn *c)
{
	uint8_t out[DCE_MAX_PDU];
	char why[DCE_ERRLEN];
	long len;

	while ((len = dce_pdu_length(c->buf, c->n, why)) > 0) {
		size_t olen = 0;

		if (!strcmp(fault, "mute")) { /* hung: reads, never answers */
			c->n = 0;
			return 0;
		}
		if (!strcmp(fault, "slow"))
			sleep(3);
		if (!strcmp(fault, "garbage")) {
			static const char junk[] = "HTTP/1.0 400 Bad Request\r\n\r\n";

			send_answer(c->fd, (const uint8_t *)junk, sizeof(junk) - 1);
			return -1;
		}
		if (!strcmp(fault, "fault")) {
			header(out, DCE_FAULT, 32, get32(c->buf + 12));
			memset(out + 16, 0, 16);
			put32(out + 24, 0x1c010003, 0); /* nca_s_unk_if */
			olen = 32;
		} else if (c->buf[2] == DCE_BIND && len >= 72) {
			olen = bind_answer(c, out);
		} else if (c->buf[2] == DCE_REQUEST && c->listener < 0) {
			olen = map_answer(c, (size_t)len, out);
			if (!strcmp(fault, "hostile"))
				olen = mangle(out, olen);
		}
		if (olen)
			send_answer(c->fd, out, olen);
		memmove(c->buf, c->buf + len, c->n - (size_t)len);
		c->n -= (size_t)len;
	}
	return len < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct pollfd fds[MAX_FDS];
	static struct conn conns[MAX_FDS];
	int nlisten, nfds, c;
	char err[DCE_ERRLEN];

	srandom((unsigned int)getpid() ^ (unsigned int)time(NULL));
	while ((c = getopt(argc, argv, "f:")) != -1)
		if (c == 'f')
			fault = optarg;
	for (int i = optind; i < argc && nifaces < MAX_IFACES; i++) {
		char name[64];
		unsigned int port, real;
		int n = sscanf(argv[i], "%63[^=]=%u/%u", name, &port, &real);
		char *eq = strchr(argv[i], '=');

		/* A port of the dynamic range, each start its own. */
		if (n == 1 && eq && !strcmp(eq, "=random")) {
			port = 0;
			n = 2;
		}
		if (n < 2 || dce_iface_parse(name, &ifaces[nifaces].iface, err)) {
			fprintf(stderr, "fakerpc: bad argument %s\n", argv[i]);
			return 2;
		}
		ifaces[nifaces].drawn = eq && !strcmp(eq, "=random");
		ifaces[nifaces].port = (uint16_t)port;
		ifaces[nifaces].real = (uint16_t)(n == 3 ? real : port);
		nifaces++;
	}
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	signal(SIGPIPE, SIG_IGN);
	fds[0] = (struct pollfd){ .fd = listen_on(135), .events = POLLIN };
	conns[0].listener = -1;
	for (int i = 0; i < nifaces; i++) {
		char name[48];

		fds[i + 1] = (struct pollfd){
			.fd = ifaces[i].drawn ? listen_drawn(&ifaces[i]) :
						listen_on(ifaces[i].real),
			.events = POLLIN
		};
		conns[i + 1].listener = i;
		dce_iface_format(&ifaces[i].iface, name, sizeof(name));
		if (ifaces[i].drawn)
			printf("%s %u\n", name, ifaces[i].port);
	}
	fflush(stdout);
	nlisten = nfds = nifaces + 1;
	for (;;) {
		if (changed) {
			/* Stopped services close their listeners. */
			changed = 0;
			for (int i = 1; i < nlisten; i++) {
				if (stopped && fds[i].fd >= 0) {
					close(fds[i].fd);
					fds[i].fd = -1;
				} else if (!stopped && fds[i].fd < 0) {
					fds[i].fd = listen_on(ifaces[i - 1].real);
				}
			}
		}
		if (poll(fds, nfds, 200) <= 0)
			continue;
		for (int i = 0; i < nfds; i++) {
			ssize_t r;

			if (!fds[i].revents)
				continue;
			if (i < nlisten) {
				int fd = accept(fds[i].fd, NULL, NULL);

				if (fd < 0)
					continue;
				if (!strcmp(fault, "reset") || nfds == MAX_FDS) {
					struct linger l = { 1, 0 };

					setsockopt(fd, SOL_SOCKET, SO_LINGER, &l,
						   sizeof(l));
					close(fd);
					continue;
				}
				conns[nfds] = (struct conn){
					.fd = fd, .listener = conns[i].listener };
				fds[nfds++] = (struct pollfd){ .fd = fd,
							      .events = POLLIN };
				continue;
			}
			r = read(fds[i].fd, conns[i].buf + conns[i].n,
				 sizeof(conns[i].buf) - conns[i].n);
			if (r > 0) {
				conns[i].n += (size_t)r;
				if (!serve(&conns[i]))
					continue;
			}
			close(fds[i].fd);
			nfds--;
			fds[i] = fds[nfds];
			conns[i] = conns[nfds];
			i--;
		}
	}
}
