// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl: DCE/RPC encoders and parsers (see dcerpc.md: The Open Group
 * C706 ch. 12, MS-RPCE).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcerpc.h"

static const struct {
	const char *word, *uuid;
	uint16_t major, minor;
} known[] = {
	{ "epm", "e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 0 },
	{ "emsmdb", "a4f1db00-ca47-1067-b31f-00dd010662da", 0, 81 },
	{ "asyncemsmdb", "5261574a-4572-206e-b268-6b199213b4e4", 0, 1 },
	{ "nspi", "f5cc5a18-4264-101a-8c59-08002b2f8426", 56, 0 },
	{ "rfr", "1544f5e0-613c-11d1-93df-00c04fd7bd09", 1, 0 },
};

/* Text UUID to wire order: the first three fields little-endian. */
static int uuid_parse(const char *s, uint8_t *out)
{
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
				       8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t b[16];
	int n = 0;

	/* 8-4-4-4-12 hex digits, the dashes where they belong. */
	if (strlen(s) != 36)
		return -1;
	for (int i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ?
			    s[i] != '-' :
			    !isxdigit((unsigned char)s[i]))
			return -1;
	for (const char *p = s; *p && n < 16; p++) {
		if (*p == '-')
			continue;
		sscanf(p, "%2hhx", &b[n++]);
		p++;
	}
	for (int i = 0; i < 16; i++)
		out[i] = b[order[i]];
	return 0;
}

const struct dce_iface dce_epm = {
	.name = "EPM",
	.uuid = { 0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4,
		  0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa },
	.major = 3,
};

static int bad_iface(const char *s, char *err)
{
	snprintf(err, DCE_ERRLEN,
		 "interface \"%s\" is not epm, emsmdb, asyncemsmdb, nspi, rfr or UUID:MAJOR.MINOR",
		 s);
	return -1;
}

int dce_iface_parse(const char *s, struct dce_iface *iface, char *err)
{
	unsigned long major, minor;
	char uuid[37], *e;

	memset(iface, 0, sizeof(*iface));
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(s, known[i].word))
			continue;
		for (size_t j = 0; s[j] && j < sizeof(iface->name) - 1; j++)
			iface->name[j] = (char)toupper((unsigned char)s[j]);
		uuid_parse(known[i].uuid, iface->uuid);
		iface->major = known[i].major;
		iface->minor = known[i].minor;
		return 0;
	}
	/* UUID:MAJOR.MINOR, and nothing more. */
	if (strlen(s) < 40 || s[36] != ':' || !isdigit((unsigned char)s[37]))
		return bad_iface(s, err);
	memcpy(uuid, s, 36);
	uuid[36] = '\0';
	major = strtoul(s + 37, &e, 10);
	if (*e != '.' || !isdigit((unsigned char)e[1]))
		return bad_iface(s, err);
	minor = strtoul(e + 1, &e, 10);
	if (*e || major > 65535 || minor > 65535 || uuid_parse(uuid, iface->uuid))
		return bad_iface(s, err);
	snprintf(iface->name, sizeof(iface->name), "%.8s", uuid);
	iface->major = (uint16_t)major;
	iface->minor = (uint16_t)minor;
	return 0;
}

void dce_iface_format(const struct dce_iface *iface, char *buf, size_t len)
{
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
				       8, 9, 10, 11, 12, 13, 14, 15 };
	const uint8_t *u = iface->uuid;
	uint8_t b[16], w[16];

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!uuid_parse(known[i].uuid, w) && !memcmp(w, u, 16) &&
		    known[i].major == iface->major &&
		    known[i].minor == iface->minor) {
			snprintf(buf, len, "%s", known[i].word);
			return;
		}
	for (int i = 0; i < 16; i++)
		b[order[i]] = u[i];
	snprintf(buf, len,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x:%u.%u",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15], iface->major,
		 iface->minor);
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, v & 0xffff);
	return put16(p, v >> 16);
}

static uint8_t *put(uint8_t *p, const void *v, size_t n)
{
	memcpy(p, v, n);
	return p + n;
}

static uint8_t *header(uint8_t *p, uint8_t ptype, uint16_t len,
		       uint32_t call_id)
{
	static const uint8_t start[8] = { 5, 0, 0, 0x03, 0x10, 0, 0, 0 };

	p = put(p, start, 8);
	p[-6] = ptype; /* first and last fragment, little-endian drep */
	p = put16(p, len);
	p = put16(p, 0);
	return put32(p, call_id);
}

size_t dce_bind(uint8_t *buf, const struct dce_iface *iface, uint32_t call_id)
{
	uint8_t *p = header(buf, DCE_BIND, 72, call_id);

	p = put16(p, 4280); /* max_xmit_frag */
	p = put16(p, 4280); /* max_recv_frag */
	p = put32(p, 0); /* assoc_group_id */
	p = put32(p, 1); /* one context, 3 reserved bytes */
	p = put16(p, 0); /* context id */
	p = put16(p, 1); /* one transfer syntax, reserved byte */
	p = put(p, iface->uuid, 16);
	p = put16(p, iface->major);
	p = put16(p, iface->minor);
	p = put(p, dce_ndr_uuid, 16);
	p = put32(p, 2);
	return (size_t)(p - buf);
}

/* The ncacn_ip_tcp tower for @iface, port and host left 0: 75 bytes. */
static uint8_t *tower(uint8_t *p, const struct dce_iface *iface)
{
	p = put16(p, 5);
	p = put16(p, 19);
	*p++ = 0x0d;
	p = put(p, iface->uuid, 16);
	p = put16(p, iface->major);
	p = put16(p, 2);
	p = put16(p, iface->minor);
	p = put16(p, 19);
	*p++ = 0x0d;
	p = put(p, dce_ndr_uuid, 16);
	p = put16(p, 2);
	p = put16(p, 2);
	p = put16(p, 0);
	p = put16(p, 1);
	*p++ = 0x0b;
	p = put16(p, 2);
	p = put16(p, 0);
	p = put16(p, 1);
	*p++ = 0x07;
	p = put16(p, 2);
	p = put16(p, 0);
	p = put16(p, 1);
	*p++ = 0x09;
	p = put16(p, 4);
	return put32(p, 0);
}

size_t dce_ept_map(uint8_t *buf, const struct dce_iface *iface,
		   uint32_t call_id)
{
	static const uint8_t zero[20];
	uint8_t *p = header(buf, DCE_REQUEST, 156, call_id);

	p = put32(p, 132); /* alloc_hint */
	p = put16(p, 0); /* context id */
	p = put16(p, 3); /* opnum: ept_map */
	p = put32(p, 1); /* object: referent 1, nil UUID */
	p = put(p, zero, 16);
	p = put32(p, 2); /* map_tower: referent 2 */
	p = put32(p, 75);
	p = put32(p, 75);
	p = tower(p, iface);
	*p++ = 0; /* pad to 4 */
	p = put(p, zero, 20); /* entry_handle */
	p = put32(p, 4); /* max_towers */
	return (size_t)(p - buf);
}

static int why_set(char *why, const char *msg)
{
	snprintf(why, DCE_ERRLEN, "%s", msg);
	return -1;
}

long dce_pdu_length(const uint8_t *buf, size_t n, char *why)
{
	struct dce_hdr h;

	switch (dce_hdr(buf, n, &h)) {
	case DCE_OK:
		break;
	case DCE_MORE:
		return 0;
	case DCE_E_VERSION:
		return why_set(why, "the answer is not DCE/RPC version 5.0");
	case DCE_E_DREP:
		return why_set(why, "the answer has an unknown data representation");
	default:
		return why_set(why, "the answer's frag_length is shorter than a header");
	}
	if (h.frag_len > DCE_MAX_PDU)
		return why_set(why, "the answer's frag_length is too large");
	return n >= h.frag_len ? h.frag_len : 0;
}

/* A u16 or u32 at @off of a PDU of @n bytes, in its byte order. */
static uint32_t pdu_int(const uint8_t *pdu, size_t n, const struct dce_hdr *h,
			size_t off, size_t size)
{
	uint32_t v = 0;

	for (size_t i = 0; i < size && off + size <= n; i++)
		v |= (uint32_t)pdu[off + (h->le ? i : size - 1 - i)] << (8 * i);
	return v;
}

/*
 * The header of a whole PDU, the answer to @call_id; -1 with the reason
 * if it is not.
 */
static int pdu_open(const uint8_t *pdu, size_t n, uint32_t call_id,
		    struct dce_hdr *h, char *why)
{
	if (dce_hdr(pdu, n, h) != DCE_OK || n < h->frag_len)
		return why_set(why, "the answer is truncated");
	if ((h->pfc_flags & DCE_PFC_WHOLE) != DCE_PFC_WHOLE)
		return why_set(why, "the answer is fragmented, which a check does not take");
	if (h->call_id != call_id)
		return why_set(why, "the answer is for another call (wrong call id)");
	if (h->ptype == DCE_FAULT) {
		snprintf(why, DCE_ERRLEN, "the server answered with fault 0x%08x",
			 pdu_int(pdu, h->frag_len, h, 24, 4));
		return -1;
	}
	return 0;
}

int dce_bind_result(const uint8_t *pdu, size_t n, uint32_t call_id,
		    const struct dce_iface *iface, char *why)
{
	struct dce_result res[8];
	struct dce_hdr h;
	unsigned int count;

	if (pdu_open(pdu, n, call_id, &h, why))
		return -1;
	if (h.ptype == DCE_BIND_NAK) {
		snprintf(why, DCE_ERRLEN,
			 "bind to %s refused (bind_nak, reason %u): protocol or resource trouble",
			 iface->name, pdu_int(pdu, h.frag_len, &h, 16, 2));
		return -1;
	}
	switch (dce_results(pdu, n, &h, res, 8, &count)) {
	case DCE_OK:
		break;
	case DCE_E_TYPE:
		return why_set(why, "the answer to a bind is not a bind_ack");
	case DCE_E_COUNT:
		return why_set(why, "the bind_ack has more results than were offered");
	default:
		return why_set(why, "the bind_ack is truncated");
	}
	if (!count)
		return why_set(why, "the bind_ack has no result");
	if (res[0].result == 0)
		return 0;
	if (res[0].result == 1 || (res[0].result == 2 && res[0].reason == 1)) {
		snprintf(why, DCE_ERRLEN,
			 "%s is not offered here (bind rejected: abstract syntax not supported)",
			 iface->name);
		return -1;
	}
	if (res[0].result == 2 && res[0].reason == 2) {
		snprintf(why, DCE_ERRLEN,
			 "bind to %s rejected: it does not take NDR (transfer syntax not supported)",
			 iface->name);
		return -1;
	}
	snprintf(why, DCE_ERRLEN, "bind to %s rejected (result %u, reason %u)",
		 iface->name, res[0].result, res[0].reason);
	return -1;
}

int dce_ept_map_result(const uint8_t *pdu, size_t n, uint32_t call_id,
		       uint16_t *port, char *why)
{
	struct dce_tower towers[4];
	unsigned int count;
	struct dce_hdr h;
	uint32_t status;

	if (pdu_open(pdu, n, call_id, &h, why))
		return -1;
	/* A check binds with NDR only. */
	switch (dce_ept_map_towers(pdu, n, &h, false, towers, 4, &count,
				   &status)) {
	case DCE_OK:
		break;
	case DCE_E_TYPE:
		return why_set(why, "the answer to ept_map is not a response");
	case DCE_E_COUNT:
		return why_set(why, "the ept_map response claims too many towers");
	case DCE_E_NDR:
		return why_set(why, "the ept_map response's counts do not add up");
	default:
		return why_set(why, "the ept_map response is truncated");
	}
	if (status == DCE_EPT_S_NOT_REGISTERED)
		return 1;
	if (status) {
		snprintf(why, DCE_ERRLEN, "ept_map failed with status 0x%08x",
			 status);
		return -1;
	}
	for (unsigned int i = 0; i < count; i++)
		if (towers[i].port) {
			*port = towers[i].port;
			return 0;
		}
	return why_set(why, "the endpoint mapper answered without a TCP tower");
}
