/* SPDX-License-Identifier: GPL-2.0 */
/*
 * casvipctl: the generic netlink client of the casvip family (libmnl).
 */
#ifndef CASVIPCTL_NL_H
#define CASVIPCTL_NL_H

#include <libmnl/libmnl.h>

#include "model.h"

struct cv_nl;

/*
 * Open a socket and resolve the family. On failure print why (the module is
 * not loaded, ...) and return NULL.
 */
struct cv_nl *cv_nl_open(void);
void cv_nl_close(struct cv_nl *nl);

/*
 * The largest request: room for a service's CASVIP_MAX_SERVERS servers
 * (each nest at most 40 bytes), below the default socket send buffer.
 */
#define CV_NL_REQ_MAX (192 * 1024)

/* Start a request for @cmd in the socket's buffer. */
struct nlmsghdr *cv_nl_req(struct cv_nl *nl, uint8_t cmd, uint16_t flags);

/*
 * Send @nlh and read the answer, handing each message to @cb. Returns 0, or
 * a negative errno; -EINTR means a dump was interrupted by a change.
 * The kernel's extended ACK message, if any, is in cv_nl_errmsg().
 */
int cv_nl_talk(struct cv_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
	       void *data);
const char *cv_nl_errmsg(const struct cv_nl *nl);

/* The socket and the family id, for callers that speak raw netlink. */
struct mnl_socket *cv_nl_socket(const struct cv_nl *nl);
uint16_t cv_nl_family(const struct cv_nl *nl);
/* The multicast group of events (0: the module has none). */
uint32_t cv_nl_events(const struct cv_nl *nl);

/* Encode the fields given in @svc / @srv. */
void cv_put_service(struct nlmsghdr *nlh, const struct cv_service *svc);
void cv_put_service_name(struct nlmsghdr *nlh, const char *name);
void cv_put_server(struct nlmsghdr *nlh, const struct cv_server *srv);
/* The same as a nest of another @type: an element of CASVIP_A_SERVERS. */
void cv_put_server_as(struct nlmsghdr *nlh, uint16_t type,
		      const struct cv_server *srv);

/*
 * Put as many of @srvs[0..n) as the request holds, in CASVIP_A_SERVERS
 * nests (repeated, since a nest holds 64 KiB); returns how many.
 */
size_t cv_put_servers(struct nlmsghdr *nlh, const struct cv_server *srvs,
		      size_t n);
/*
 * @cmd (CASVIP_CMD_SERVER_NEW, _SET or _DEL) for @srvs[0..n) of service
 * @name, each with its ->given fields: in as few requests as hold them,
 * each of which the kernel does whole or not at all. 0, or the first
 * request's error (those before it are done).
 */
int cv_servers_talk(struct cv_nl *nl, uint8_t cmd, const char *name,
		    const struct cv_server *srvs, size_t n);

/* A service or server message (a GET reply, an event) as an object. */
void cv_parse_service(const struct nlmsghdr *nlh, struct cv_service *svc);
void cv_parse_server(const struct nlmsghdr *nlh, struct cv_server *srv);

/* Whole objects from the kernel. */
int cv_get_service(struct cv_nl *nl, const char *name, struct cv_service *svc);
int cv_dump_services(struct cv_nl *nl, struct cv_service **svcs, size_t *n);
int cv_dump_servers(struct cv_nl *nl, struct cv_service *svc);
void cv_free_services(struct cv_service *svcs, size_t n);
/* Free what a service read from the kernel holds: servers, checks. */
void cv_service_clear(struct cv_service *svc);
/* The service @name, or every service if @name is NULL. */
int cv_get_services(struct cv_nl *nl, const char *name,
		    struct cv_service **svcs, size_t *n);
int cv_dump_persist(struct cv_nl *nl, const char *service,
		    struct cv_persist **entries, size_t *n);

#endif
