/* SPDX-License-Identifier: GPL-2.0 */
/*
 * casvipctl: the little of DCE/RPC (connection-oriented, ncacn_ip_tcp) a
 * health check needs: bind to an interface, and ask the endpoint mapper
 * where an interface listens (ept_map). The parsers trust nothing: every
 * failure comes back as a reason a person can act on.
 */
#ifndef CASVIPCTL_DCERPC_H
#define CASVIPCTL_DCERPC_H

#include <stddef.h>
#include <stdint.h>

#include "dce.h"

#define DCE_ERRLEN 160
/* The largest PDU a check accepts. */
#define DCE_MAX_PDU 8192

struct dce_iface {
	char name[16]; /* EMSMDB, NSPI, ... or the UUID */
	uint8_t uuid[16]; /* in wire (GUID) order */
	uint16_t major, minor;
};

/* "epm", "emsmdb", "nspi", "rfr", "asyncemsmdb", or "UUID:MAJOR.MINOR". */
int dce_iface_parse(const char *s, struct dce_iface *iface, char *err);
/* Back to what dce_iface_parse() takes: a word, or UUID:MAJOR.MINOR. */
void dce_iface_format(const struct dce_iface *iface, char *buf, size_t len);
extern const struct dce_iface dce_epm;

/* Encoders: the PDU's length (72 and 156 bytes). */
size_t dce_bind(uint8_t *buf, const struct dce_iface *iface, uint32_t call_id);
size_t dce_ept_map(uint8_t *buf, const struct dce_iface *iface,
		   uint32_t call_id);

/*
 * Is there a whole PDU at the start of @buf? Its length; 0 if more bytes
 * are needed; -1 with the reason if what is there is no PDU of ours.
 */
long dce_pdu_length(const uint8_t *buf, size_t n, char *why);

/* A bind's answer: 0 if accepted, else -1 and the reason. */
int dce_bind_result(const uint8_t *pdu, size_t n, uint32_t call_id,
		    const struct dce_iface *iface, char *why);

/*
 * An ept_map answer: 0 and the port; 1 if the interface is not registered;
 * -1 and the reason for anything else.
 */
int dce_ept_map_result(const uint8_t *pdu, size_t n, uint32_t call_id,
		       uint16_t *port, char *why);

#endif
