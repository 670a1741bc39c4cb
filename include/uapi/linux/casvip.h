/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * casvip: a VIP load balancer with source-IP persistence shared across all
 * ports of a service (built for Exchange CAS arrays: 135 + static RPC ports).
 *
 * Generic netlink family "casvip", version 1. All state is per network
 * namespace: a request acts on the namespace of the socket it came from.
 * Every command needs CAP_NET_ADMIN (GENL_ADMIN_PERM), the GETs too: the
 * persistence table lists every client address on the network.
 *
 * Every request carries its arguments in nested attributes. Services are
 * named by CASVIP_A_SERVICE, real servers by CASVIP_A_SERVER inside the
 * request (not inside the service nest):
 *
 * CASVIP_CMD_SERVICE_NEW  (create; -EEXIST if the name is taken)
 * CASVIP_CMD_SERVICE_SET  (change the attributes given; -ENOENT if unknown)
 *    CASVIP_A_SERVICE: NLA_NESTED
 *       CASVIP_A_SERVICE_NAME: NLA_NUL_STRING, 1..CASVIP_NAME_MAX-1 bytes of
 *                              [A-Za-z0-9_.-], starting with a letter or digit
 *       CASVIP_A_SERVICE_VIP: NLA_BINARY, 4 bytes (IPv4) or 16 bytes (IPv6),
 *                             network byte order; required by NEW
 *       CASVIP_A_SERVICE_PROTO: NLA_U8, IPPROTO_TCP (default) or IPPROTO_UDP
 *       CASVIP_A_SERVICE_PORTS: NLA_BINARY, an array of 1..CASVIP_MAX_RANGES
 *                               struct casvip_port_range in host byte order,
 *                               1 <= first <= last <= 65535, sorted and not
 *                               overlapping; required by NEW
 *       CASVIP_A_SERVICE_SCHED: NLA_U8, enum casvip_sched (default MH)
 *       CASVIP_A_SERVICE_PERSIST_TIMEOUT: NLA_U32, seconds a client stays on
 *                               its server after its last connection closed,
 *                               0..CASVIP_PERSIST_TIMEOUT_MAX, 0 = no
 *                               persistence (default 3600)
 *       CASVIP_A_SERVICE_PERSIST_NETMASK: NLA_U8, prefix length applied to
 *                               the client address to form the persistence
 *                               key: 0..32 for IPv4, 0..128 for IPv6
 *                               (default: the full address)
 *       CASVIP_A_SERVICE_PERSIST_MAX: NLA_U32, the most persistence entries
 *                               the service keeps; 0, the default, follows
 *                               the conntrack table's size (the sysctl
 *                               net.netfilter.nf_conntrack_max: a client
 *                               with a live connection holds a conntrack
 *                               entry). At the limit new clients get no
 *                               entry until the eviction (asked for at most
 *                               ten times a second) has removed unproven
 *                               entries (see CASVIP_A_PERSIST_UNPROVEN),
 *                               oldest first, then idle ones, down to 7/8
 *                               of it; never a proven client with a live
 *                               connection.
 *       CASVIP_A_SERVICE_SNAT: NLA_U8, enum casvip_snat (default OFF)
 *       CASVIP_A_SERVICE_SNAT_ADDR: NLA_BINARY, 4 or 16 bytes, same family as
 *                               the VIP; required when SNAT is ADDR
 *       CASVIP_A_SERVICE_ALLDOWN: NLA_U8, enum casvip_alldown (default
 *                               OPEN): see CASVIP_CMD_SERVER_SET
 *       CASVIP_A_SERVICE_FOLLOW: NLA_BINARY, an array of 0..CASVIP_MAX_FOLLOW
 *                               struct casvip_iface: the DCE/RPC interfaces
 *                               whose ports the service takes from its
 *                               servers' endpoint mappers (empty: none,
 *                               the default). Needs TCP and port 135 among
 *                               the ports. A client that asks the mapper
 *                               through VIP:135 and is told port P for one
 *                               of them reaches, at VIP:P, the server whose
 *                               mapper told it: the answer opens VIP:P to
 *                               that client (a conntrack expectation of the
 *                               "casvip-epm" helper) for as long as its
 *                               connection to 135 lives (closed: conntrack's
 *                               TIME_WAIT, 2 minutes), at most 5 minutes;
 *                               never a port below 1024 or one another
 *                               service of the VIP claims. An interface
 *                               matches by UUID and major version.
 *                               Its connections there are the service's.
 *       CASVIP_A_SERVICE_FOLLOW_MAX: NLA_U32, the most such expectations
 *                               the service holds at once; 0, the default,
 *                               is the size conntrack gives its own table
 *                               by default (1/64 of nf_conntrack_buckets,
 *                               as nf_conntrack_expect_max). One that
 *                               expires or ends with its connection to
 *                               135 frees its place within a second, one
 *                               a newer answer replaces at once. At the
 *                               limit answers open nothing
 *                               (CASVIP_A_STATS_DECLINED).
 *       CASVIP_A_SERVICE_ANNOUNCED: NLA_BINARY, an array of
 *                               0..CASVIP_MAX_ANNOUNCED __u16 ports, in host
 *                               byte order, rising, none below 1024: the
 *                               ports the servers'
 *                               endpoint mappers announce for the followed
 *                               interfaces (healthd's epm checks find them).
 *                               The service forwards them as it does its
 *                               ports, persistence choosing the server: a
 *                               client whose answer opened a port no more
 *                               still reaches its server there; a port
 *                               dropped from the list is closed, and its
 *                               connections end. A following service only;
 *                               a change to the VIP or ports keeps them.
 *       CASVIP_A_SERVICE_USERDATA: NLA_BINARY, at most CASVIP_USERDATA_MAX
 *                               bytes the kernel keeps with the service and
 *                               dumps as given, never reads (as nftables'
 *                               NFTA_TABLE_USERDATA). casvipctl keeps the
 *                               service's health checks there, as config
 *                               lines. Absent from SET: unchanged; empty:
 *                               none.
 *
 *    CASVIP_A_SERVERS: NLA_NESTED, NEW only: the service's first servers,
 *       each a CASVIP_A_SERVER nest as for CASVIP_CMD_SERVER_NEW (repeated
 *       if they need more than 64 KiB). The service takes its first client
 *       with all of them, or is not created.
 *
 *    Two services may not claim the same VIP, protocol and port: -EEXIST.
 *    SET may change everything but the name; the VIP's family may not change.
 *    A change of VIP, protocol, ports or SNAT takes effect at once for new
 *    connections, with no moment in which they match nothing; connections
 *    to a VIP or port the service no longer claims end, as a deleted
 *    service's. A change of the netmask, or of persistence between on and
 *    off, forgets every client.
 *
 * CASVIP_CMD_SERVICE_DEL
 *    CASVIP_A_SERVICE: NLA_NESTED
 *       CASVIP_A_SERVICE_NAME
 *       CASVIP_A_SERVICE_KEEP_CONNS: NLA_FLAG
 *    Deletes the service with all its real servers, and its connections
 *    (conntrack entries), whose clients then reconnect and are refused or
 *    reach whatever now serves the VIP. With CASVIP_A_SERVICE_KEEP_CONNS
 *    the connections stay, NATed as they were, until they end (the module
 *    looks for them every minute) or CASVIP_CMD_FLUSH ends them.
 *
 * CASVIP_CMD_SERVICE_GET
 *    doit: CASVIP_A_SERVICE { CASVIP_A_SERVICE_NAME } names the service.
 *    dumpit: no attributes; one message per service, in creation order.
 *    Either replies with messages of this form:
 *    CASVIP_A_SERVICE: NLA_NESTED
 *       CASVIP_A_SERVICE_NAME, _VIP, _PROTO, _PORTS, _SCHED,
 *       _PERSIST_TIMEOUT, _PERSIST_NETMASK, _SNAT, and _SNAT_ADDR,
 *       _FOLLOW and _ANNOUNCED if set
 *       CASVIP_A_SERVICE_NUM_SERVERS: NLA_U32
 *       CASVIP_A_SERVICE_NUM_PERSIST: NLA_U32, persistence entries
 *       CASVIP_A_SERVICE_PERSIST_MAX: NLA_U32, as set (0: the default)
 *       CASVIP_A_SERVICE_PERSIST_LIMIT: NLA_U32, the limit in effect
 *                               (0: none, when nf_conntrack_max is 0 too)
 *       CASVIP_A_SERVICE_ALLDOWN: NLA_U8, as set
 *       CASVIP_A_SERVICE_FOLLOW_MAX: NLA_U32, as set (0: the default)
 *       CASVIP_A_SERVICE_FOLLOW_LIMIT: NLA_U32, the limit in effect
 *       CASVIP_A_SERVICE_NUM_EXPECTED: NLA_U32, expectations the service's
 *                               connections to 135 hold now
 *       CASVIP_A_SERVICE_USERDATA, if any
 *       CASVIP_A_SERVICE_NUM_ELIGIBLE: NLA_U32, servers that take new
 *                               clients now
 *       CASVIP_A_SERVICE_FAILING_OPEN: NLA_U8, 1 while the service fails
 *                               open (see CASVIP_CMD_SERVER_SET)
 *       CASVIP_A_SERVICE_ON_BACKUP: NLA_U8, 1 while backup servers take
 *                               the new clients
 *       CASVIP_A_SERVICE_STATS: NLA_NESTED, see CASVIP_A_STATS_*
 *       CASVIP_A_SERVICE_PORT_STATS: NLA_NESTED, one nest per port of the
 *                               port list, in order; a range that would
 *                               take the service past CASVIP_PORT_COUNTERS
 *                               counters has one nest for it all:
 *          CASVIP_A_PORTS_ENTRY: NLA_NESTED
 *             CASVIP_A_PORT_FIRST, CASVIP_A_PORT_LAST: NLA_U16
 *             CASVIP_A_PORT_STATS: NLA_NESTED, CASVIP_A_STATS_CONNS and
 *                               CASVIP_A_STATS_DROP_NOSERVER of the
 *                               connections to that port or range,
 *                               counted since the port list last changed
 *
 * CASVIP_CMD_SERVER_NEW  (add; -EEXIST if the service has that address)
 * CASVIP_CMD_SERVER_SET  (change the attributes given)
 *    CASVIP_A_SERVICE: NLA_NESTED
 *       CASVIP_A_SERVICE_NAME
 *    CASVIP_A_SERVER: NLA_NESTED
 *       CASVIP_A_SERVER_ADDR: NLA_BINARY, 4 or 16 bytes, the family of the
 *                             service's VIP; required
 *       CASVIP_A_SERVER_WEIGHT: NLA_U32, 0..CASVIP_WEIGHT_MAX (default 100);
 *                             a server of weight 0 gets no new clients
 *       CASVIP_A_SERVER_ADMIN: NLA_U8, enum casvip_admin (default ENABLED)
 *       CASVIP_A_SERVER_HEALTH: NLA_U8, enum casvip_health (default UP);
 *                             what the health checker last decided
 *       CASVIP_A_SERVER_HEALTH_REASON: NLA_NUL_STRING, at most
 *                             CASVIP_REASON_MAX-1 bytes: why (the checker's
 *                             last result); kept until the next one
 *       CASVIP_A_SERVER_BACKUP: NLA_U8, 1: a backup (sorry) server, which
 *                             takes new clients only while no other
 *                             server can (default 0)
 *       CASVIP_A_SERVER_KEEP_CONNS: NLA_FLAG, SET only: see below
 *    or
 *    CASVIP_A_SERVERS: NLA_NESTED, of any number of CASVIP_A_SERVER nests,
 *       all of one service: one request for them all (at most
 *       CASVIP_MAX_SERVERS). An attribute holds at most 64 KiB: the
 *       attribute may be repeated, and its nests count together. The
 *       request succeeds or changes nothing; the servers that stop taking
 *       clients share one grace period.
 *
 *    New clients go to servers that are ENABLED, UP and of weight > 0. A
 *    DRAINING server, or one of weight 0, keeps its clients and their
 *    connections. While no server but backups could take a new client, the
 *    backup servers that are ENABLED, UP and of weight > 0 take them; once
 *    another can again, the backups lose their clients (not their live
 *    connections) to it.
 *
 *    When no server but DISABLED ones is UP, a service of
 *    CASVIP_ALLDOWN_OPEN (the default) with an ENABLED server of weight > 0
 *    fails open, as if every check were wrong rather than every server:
 *    health is ignored, so new clients go to the ENABLED servers of weight
 *    > 0, and the servers that went DOWN last keep their clients. It stops
 *    failing open when a server comes UP, or no ENABLED server of weight
 *    > 0 is left, or CASVIP_ALLDOWN_CLOSED is set; then the DOWN servers
 *    lose their persistence entries (their clients come to the servers
 *    UP) but keep their connections. With CASVIP_ALLDOWN_CLOSED new
 *    clients are refused instead.
 *
 *    A server set DISABLED or DOWN loses its persistence entries and its
 *    connections (conntrack entries), so that its clients reconnect at
 *    once to another server; with CASVIP_A_SERVER_KEEP_CONNS it keeps the
 *    connections.
 *
 * CASVIP_CMD_SERVER_DEL
 *    CASVIP_A_SERVICE { CASVIP_A_SERVICE_NAME }
 *    CASVIP_A_SERVER { CASVIP_A_SERVER_ADDR, CASVIP_A_SERVER_KEEP_CONNS },
 *    or CASVIP_A_SERVERS of such nests.
 *    Removes the server, its persistence entries and, without
 *    CASVIP_A_SERVER_KEEP_CONNS, its connections. When the request returns
 *    they are gone.
 *
 * CASVIP_CMD_SERVER_GET
 *    doit: CASVIP_A_SERVICE { _NAME } and CASVIP_A_SERVER { _ADDR } name one
 *    server. dumpit: CASVIP_A_SERVICE { _NAME } names the service whose
 *    servers are dumped, in the order they were added. Replies:
 *    CASVIP_A_SERVICE: NLA_NESTED
 *       CASVIP_A_SERVICE_NAME
 *    CASVIP_A_SERVER: NLA_NESTED
 *       CASVIP_A_SERVER_ADDR, _WEIGHT, _ADMIN, _HEALTH, _HEALTH_REASON
 *       CASVIP_A_SERVER_HEALTH_AGE: NLA_U64, milliseconds since its health
 *                             was last set (or since it was added): a
 *                             checker that stopped leaves it growing
 *       CASVIP_A_SERVER_CLIENTS: NLA_U32, clients bound to it (persistence
 *                             entries), as counted every second
 *       CASVIP_A_SERVER_STATS: NLA_NESTED, see CASVIP_A_STATS_*
 *
 * CASVIP_CMD_PERSIST_GET (dump only)
 *    CASVIP_A_SERVICE { CASVIP_A_SERVICE_NAME } names the service. One
 *    message per persistence entry:
 *    CASVIP_A_SERVICE { CASVIP_A_SERVICE_NAME }
 *    CASVIP_A_PERSIST: NLA_NESTED
 *       CASVIP_A_PERSIST_CLIENT: NLA_BINARY, 4 or 16 bytes, the client's
 *                                address under the service's netmask
 *       CASVIP_A_PERSIST_SERVER: NLA_BINARY, the real server's address
 *       CASVIP_A_PERSIST_CONNS: NLA_U32, the client's live connections
 *       CASVIP_A_PERSIST_EXPIRES: NLA_U32, seconds until the entry expires;
 *                                only while the client has no connection
 *       CASVIP_A_PERSIST_UNPROVEN: NLA_FLAG, the client's first connection
 *                                has not completed its handshake yet
 *
 *    An entry lives while its client has a live connection through the
 *    service (until the GC, which looks each connection up in the conntrack
 *    table at an interval of its own, finds it closed or gone), and the
 *    persistence timeout after the last one closed. A new
 *    client is unproven until its first connection is ASSURED in conntrack
 *    (a TCP handshake completed; for UDP, traffic both ways for more than
 *    two seconds): until then its entry lives only as long as its
 *    connections, so that spoofed sources leave nothing behind. A service
 *    without persistence keeps one entry per client and server, to count
 *    the live connections.
 *
 * CASVIP_CMD_PERSIST_NEW
 *    CASVIP_A_SERVICE { CASVIP_A_SERVICE_NAME }
 *    CASVIP_A_PERSIST { CASVIP_A_PERSIST_CLIENT, CASVIP_A_PERSIST_SERVER }
 *    Binds the client (masked by the service's netmask) to that server of
 *    the service, as if it had connected there: for pinning a client, or
 *    restoring the entries of another balancer. The service must persist.
 *    The client counts as proven. -ENOMEM if the table is full.
 *
 * CASVIP_CMD_PERSIST_LEARN
 *    No attributes. Learns persistence from the namespace's conntrack
 *    table: the client of every live connection that a service NATed to
 *    one of its servers that can take clients is bound to that server, as
 *    the connection had been made here: a client already bound keeps its
 *    server unless it can no longer take clients; an idle entry starts its
 *    timeout again. For the standby of a pair, whose conntrack table
 *    conntrackd fills: at takeover every client with a live connection
 *    stays on its server. Learnt clients count as proven. Replies with
 *    CASVIP_A_LEARNED: NLA_U32, the connections whose clients were bound.
 *
 * CASVIP_CMD_PERSIST_DEL
 *    CASVIP_A_SERVICE { CASVIP_A_SERVICE_NAME }
 *    CASVIP_A_PERSIST { CASVIP_A_PERSIST_CLIENT } (optional)
 *    Forgets the entries of that client (masked by the service's netmask),
 *    or all the service's entries. Connections are left alone.
 *
 * CASVIP_CMD_FLUSH
 *    No attributes. Deletes every service of the namespace, and ends their
 *    connections, those kept by earlier deletions too.
 *
 * CASVIP_CMD_ZERO
 *    CASVIP_A_SERVICE { CASVIP_A_SERVICE_NAME } (optional)
 *    Zeroes the counters of that service, its servers and its ports, or
 *    of every service: they count again from there (as ipvsadm --zero).
 *    CASVIP_A_STATS_ACTIVE, the live connections, is not a counter.
 *
 * Dumps. A dump is split over as many messages as it needs and resumes where
 * the previous part stopped. If services or servers are added or removed
 * while a dump is in progress, the rest of the dump carries NLM_F_DUMP_INTR
 * (genl_dump_check_consistent): the reader should discard what it has and
 * dump again. Changes to existing objects do not interrupt a dump. A
 * persistence dump is interrupted if its service is deleted, or if the
 * table is resized under it (an entry may then be seen twice); entries
 * that come and go meanwhile may or may not be in it.
 *
 * Statistics (CASVIP_A_SERVICE_STATS, CASVIP_A_SERVER_STATS), all NLA_U64:
 *    CASVIP_A_STATS_CONNS        connections scheduled
 *    CASVIP_A_STATS_ACTIVE       connections alive now (as the GC last
 *                                counted them against the conntrack table,
 *                                up to a second ago; new ones at once)
 *    CASVIP_A_STATS_PKTS_IN      packets client -> server
 *    CASVIP_A_STATS_PKTS_OUT     packets server -> client
 *    CASVIP_A_STATS_BYTES_IN     bytes client -> server
 *    CASVIP_A_STATS_BYTES_OUT    bytes server -> client
 *    CASVIP_A_STATS_DROP_NOSERVER new connections refused: no eligible server
 *                                (service only)
 *    CASVIP_A_STATS_DROP_NAT     new connections dropped because the NAT
 *                                engine could not set them up (no memory,
 *                                or a tuple taken) for that server
 *    CASVIP_A_STATS_ENDED        live connections the balancer ended
 *                                (deleted from conntrack) because their
 *                                server was removed, disabled or went
 *                                DOWN, or their service no longer claims
 *                                their VIP or port
 *    CASVIP_A_STATS_WATCHED      new connections watched for their first
 *                                reply: a few of each server's at a time
 *                                (8, each until the GC, every second, sees
 *                                its answer), the first ones of each
 *                                second; a connection that ends before the
 *                                GC decided is not counted
 *    CASVIP_A_STATS_UNREPLIED    of those, connections the server did not
 *                                answer within 3 seconds: a server that
 *                                passes its checks but lost its route back
 *                                to the clients shows here
 *    CASVIP_A_STATS_EVICTED      persistence entries evicted at the limit
 *                                (service only)
 *    CASVIP_A_STATS_FOLLOWED     ports its endpoint mappers' answers opened
 *                                to a client (CASVIP_A_SERVICE_FOLLOW;
 *                                service only)
 *    CASVIP_A_STATS_DECLINED     data on its port 135 the helper could not
 *                                read (split over segments, fragmented,
 *                                not DCE/RPC), and ports it could not open
 *                                (conntrack's expectation table full): no
 *                                port followed from them (service only)
 *    A service's figures are those of its servers added up, and of the
 *    servers it had: a deleted server's count stays in its service's.
 *
 * Events. The multicast group CASVIP_GENL_MCGRP_EVENTS carries a message
 * for each change below, in the order they happened, in the namespace of
 * the listener. Joining needs CAP_NET_ADMIN in the user namespace of the
 * network namespace; a kernel that cannot ask for it (no
 * GENL_MCAST_CAP_NET_ADMIN) has no such group. No event carries a
 * client's address, and persistence changes send none. A message may be
 * larger than a page: read with a buffer of 8 KiB or more (casvipctl's
 * is 64 KiB), as for the replies to GET.
 *    CASVIP_CMD_SERVICE_NEW, _SET   a service added or changed: as a GET
 *                                   reply
 *    CASVIP_CMD_SERVICE_DEL         CASVIP_A_SERVICE { _NAME }
 *    CASVIP_CMD_SERVER_NEW, _SET    a server added, or its weight, admin
 *                                   state or backup flag changed: as a GET
 *                                   reply (one message per server; the
 *                                   servers of a deleted service, or of a
 *                                   flush, go with it unannounced)
 *    CASVIP_CMD_SERVER_DEL          CASVIP_A_SERVICE { _NAME },
 *                                   CASVIP_A_SERVER { _ADDR }
 *    CASVIP_CMD_HEALTH              a server's health changed: as a server
 *                                   GET reply, with the new health and its
 *                                   reason
 *    CASVIP_CMD_DRAINED             a server DRAINING, or ENABLED of
 *                                   weight 0, has no connection and no
 *                                   client left (the GC sees it within a
 *                                   second): as a server GET reply
 *    CASVIP_CMD_SERVICE_STATE       a service started or stopped failing
 *                                   open, sending new clients to its
 *                                   backups, or having servers none of
 *                                   which is eligible: as a service GET
 *                                   reply
 *    CASVIP_CMD_PERSIST_FULL        a service's persistence table reached
 *                                   its limit (at most once in 10 s per
 *                                   service): as a service GET reply
 *    CASVIP_CMD_FLUSH               every service was deleted
 * A listener that cannot keep up gets ENOBUFS from its socket, as does
 * one that missed an event the kernel had no memory to send: it should
 * dump the state again.
 *
 * Errors. Every rejected request leaves the state as it was and, where the
 * fault is in an attribute, carries an extended ACK message naming it:
 *    -EINVAL     an attribute is malformed, or one that is needed is missing,
 *                or a deletion names a server twice
 *    -ERANGE     a number is outside the range its attribute allows
 *    -ENOENT     the named service or server does not exist
 *    -EEXIST     the name or address is taken, or a port is claimed by
 *                another service on the same VIP and protocol
 *    -ENOSPC     a limit below would be exceeded
 *    -ENOMEM     no memory for the change
 *    -EAFNOSUPPORT an address is not of the service's family
 *    -EPERM      the caller lacks CAP_NET_ADMIN
 */

#ifndef _UAPI_LINUX_CASVIP_H
#define _UAPI_LINUX_CASVIP_H

#include <linux/types.h>

#define CASVIP_GENL_NAME "casvip"
#define CASVIP_GENL_VERSION 1
#define CASVIP_GENL_MCGRP_EVENTS "events"

/* Limits, enforced by the kernel. */
#define CASVIP_NAME_MAX 32 /* including the NUL */
#define CASVIP_MAX_RANGES 64 /* port ranges per service */
#define CASVIP_MAX_SERVERS 4096 /* real servers per service */
#define CASVIP_MAX_SERVICES 65536 /* services per network namespace */
#define CASVIP_WEIGHT_MAX 65535
#define CASVIP_PERSIST_TIMEOUT_MAX (30 * 24 * 3600) /* 30 days */
#define CASVIP_PERSIST_TIMEOUT_DEFAULT 3600
#define CASVIP_WEIGHT_DEFAULT 100
#define CASVIP_REASON_MAX 128 /* including the NUL */
#define CASVIP_USERDATA_MAX 2048 /* bytes of a service's user data */
#define CASVIP_PORT_COUNTERS 64 /* per-port counters of a service */

struct casvip_port_range {
	__u16 first;
	__u16 last;
};

#define CASVIP_MAX_FOLLOW 8 /* interfaces a service follows */
#define CASVIP_MAX_ANNOUNCED 64 /* ports its mappers announce */

/*
 * A DCE/RPC interface: its UUID in wire (GUID) order, its version in host
 * byte order.
 */
struct casvip_iface {
	__u8 uuid[16];
	__u16 major;
	__u16 minor;
};

enum casvip_sched {
	CASVIP_SCHED_RR, /* round robin */
	CASVIP_SCHED_WRR, /* weighted round robin */
	CASVIP_SCHED_LC, /* least connections */
	CASVIP_SCHED_WLC, /* weighted least connections */
	CASVIP_SCHED_SH, /* source hash */
	CASVIP_SCHED_MH, /* Maglev consistent hash */
	__CASVIP_SCHED_MAX
};

#define CASVIP_SCHED_MAX (__CASVIP_SCHED_MAX - 1)

enum casvip_snat {
	CASVIP_SNAT_OFF,
	CASVIP_SNAT_MASQUERADE, /* the address of the outgoing interface */
	CASVIP_SNAT_ADDR, /* CASVIP_A_SERVICE_SNAT_ADDR */
	__CASVIP_SNAT_MAX
};

#define CASVIP_SNAT_MAX (__CASVIP_SNAT_MAX - 1)

enum casvip_admin {
	CASVIP_ADMIN_ENABLED,
	CASVIP_ADMIN_DRAINING, /* keeps its clients, gets no new ones */
	CASVIP_ADMIN_DISABLED, /* loses its clients */
	__CASVIP_ADMIN_MAX
};

#define CASVIP_ADMIN_MAX (__CASVIP_ADMIN_MAX - 1)

enum casvip_health {
	CASVIP_HEALTH_UP,
	CASVIP_HEALTH_DOWN,
	__CASVIP_HEALTH_MAX
};

#define CASVIP_HEALTH_MAX (__CASVIP_HEALTH_MAX - 1)

/* What a service does when every server that may take clients is DOWN. */
enum casvip_alldown {
	CASVIP_ALLDOWN_OPEN, /* new clients go to the ENABLED servers anyway */
	CASVIP_ALLDOWN_CLOSED, /* new clients are refused */
	__CASVIP_ALLDOWN_MAX
};

#define CASVIP_ALLDOWN_MAX (__CASVIP_ALLDOWN_MAX - 1)

enum casvip_cmd {
	CASVIP_CMD_UNSPEC,
	CASVIP_CMD_SERVICE_NEW,
	CASVIP_CMD_SERVICE_SET,
	CASVIP_CMD_SERVICE_DEL,
	CASVIP_CMD_SERVICE_GET,
	CASVIP_CMD_SERVER_NEW,
	CASVIP_CMD_SERVER_SET,
	CASVIP_CMD_SERVER_DEL,
	CASVIP_CMD_SERVER_GET,
	CASVIP_CMD_FLUSH,
	CASVIP_CMD_PERSIST_GET,
	CASVIP_CMD_PERSIST_DEL,
	CASVIP_CMD_PERSIST_NEW,
	CASVIP_CMD_PERSIST_LEARN,
	CASVIP_CMD_HEALTH, /* notification only */
	CASVIP_CMD_DRAINED, /* notification only */
	CASVIP_CMD_PERSIST_FULL, /* notification only */
	CASVIP_CMD_SERVICE_STATE, /* notification only */
	CASVIP_CMD_ZERO,
	__CASVIP_CMD_MAX
};

#define CASVIP_CMD_MAX (__CASVIP_CMD_MAX - 1)

enum casvip_attr {
	CASVIP_A_UNSPEC,
	CASVIP_A_SERVICE,
	CASVIP_A_SERVER,
	CASVIP_A_PERSIST,
	CASVIP_A_SERVERS,
	CASVIP_A_LEARNED,
	__CASVIP_A_MAX
};

#define CASVIP_A_MAX (__CASVIP_A_MAX - 1)

enum casvip_service_attr {
	CASVIP_A_SERVICE_UNSPEC,
	CASVIP_A_SERVICE_NAME,
	CASVIP_A_SERVICE_VIP,
	CASVIP_A_SERVICE_PROTO,
	CASVIP_A_SERVICE_PORTS,
	CASVIP_A_SERVICE_SCHED,
	CASVIP_A_SERVICE_PERSIST_TIMEOUT,
	CASVIP_A_SERVICE_PERSIST_NETMASK,
	CASVIP_A_SERVICE_SNAT,
	CASVIP_A_SERVICE_SNAT_ADDR,
	CASVIP_A_SERVICE_NUM_SERVERS,
	CASVIP_A_SERVICE_STATS,
	CASVIP_A_SERVICE_PAD,
	CASVIP_A_SERVICE_NUM_PERSIST,
	CASVIP_A_SERVICE_PERSIST_MAX,
	CASVIP_A_SERVICE_KEEP_CONNS,
	CASVIP_A_SERVICE_PERSIST_LIMIT,
	CASVIP_A_SERVICE_ALLDOWN,
	CASVIP_A_SERVICE_NUM_ELIGIBLE,
	CASVIP_A_SERVICE_FAILING_OPEN,
	CASVIP_A_SERVICE_USERDATA,
	CASVIP_A_SERVICE_ON_BACKUP,
	CASVIP_A_SERVICE_PORT_STATS,
	CASVIP_A_SERVICE_FOLLOW,
	CASVIP_A_SERVICE_ANNOUNCED,
	CASVIP_A_SERVICE_FOLLOW_MAX,
	CASVIP_A_SERVICE_FOLLOW_LIMIT,
	CASVIP_A_SERVICE_NUM_EXPECTED,
	__CASVIP_A_SERVICE_MAX
};

#define CASVIP_A_SERVICE_MAX (__CASVIP_A_SERVICE_MAX - 1)

enum casvip_server_attr {
	CASVIP_A_SERVER_UNSPEC,
	CASVIP_A_SERVER_ADDR,
	CASVIP_A_SERVER_WEIGHT,
	CASVIP_A_SERVER_ADMIN,
	CASVIP_A_SERVER_HEALTH,
	CASVIP_A_SERVER_STATS,
	CASVIP_A_SERVER_PAD,
	CASVIP_A_SERVER_KEEP_CONNS,
	CASVIP_A_SERVER_HEALTH_REASON,
	CASVIP_A_SERVER_HEALTH_AGE,
	CASVIP_A_SERVER_CLIENTS,
	CASVIP_A_SERVER_BACKUP,
	__CASVIP_A_SERVER_MAX
};

#define CASVIP_A_SERVER_MAX (__CASVIP_A_SERVER_MAX - 1)

enum casvip_persist_attr {
	CASVIP_A_PERSIST_UNSPEC,
	CASVIP_A_PERSIST_CLIENT,
	CASVIP_A_PERSIST_SERVER,
	CASVIP_A_PERSIST_CONNS,
	CASVIP_A_PERSIST_EXPIRES,
	CASVIP_A_PERSIST_UNPROVEN,
	__CASVIP_A_PERSIST_MAX
};

#define CASVIP_A_PERSIST_MAX (__CASVIP_A_PERSIST_MAX - 1)

enum casvip_stats_attr {
	CASVIP_A_STATS_UNSPEC,
	CASVIP_A_STATS_CONNS,
	CASVIP_A_STATS_ACTIVE,
	CASVIP_A_STATS_PKTS_IN,
	CASVIP_A_STATS_PKTS_OUT,
	CASVIP_A_STATS_BYTES_IN,
	CASVIP_A_STATS_BYTES_OUT,
	CASVIP_A_STATS_DROP_NOSERVER,
	CASVIP_A_STATS_PAD,
	CASVIP_A_STATS_EVICTED,
	CASVIP_A_STATS_DROP_NAT,
	CASVIP_A_STATS_ENDED,
	CASVIP_A_STATS_WATCHED,
	CASVIP_A_STATS_UNREPLIED,
	CASVIP_A_STATS_FOLLOWED,
	CASVIP_A_STATS_DECLINED,
	__CASVIP_A_STATS_MAX
};

#define CASVIP_A_STATS_MAX (__CASVIP_A_STATS_MAX - 1)

enum casvip_ports_attr {
	CASVIP_A_PORTS_UNSPEC,
	CASVIP_A_PORTS_ENTRY,
	__CASVIP_A_PORTS_MAX
};

#define CASVIP_A_PORTS_MAX (__CASVIP_A_PORTS_MAX - 1)

enum casvip_port_attr {
	CASVIP_A_PORT_UNSPEC,
	CASVIP_A_PORT_FIRST,
	CASVIP_A_PORT_LAST,
	CASVIP_A_PORT_STATS,
	__CASVIP_A_PORT_MAX
};

#define CASVIP_A_PORT_MAX (__CASVIP_A_PORT_MAX - 1)

#endif /* _UAPI_LINUX_CASVIP_H */
