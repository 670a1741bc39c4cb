/* SPDX-License-Identifier: GPL-2.0 */
/*
 * casvip: decoding the DCE/RPC (connection-oriented, ncacn_ip_tcp) PDUs
 * that say where an interface listens: a bind's or alter_context's
 * presentation contexts, their answers, and an ept_map response's towers.
 *
 * Pure functions over a byte buffer that trust nothing in it, in the C
 * that both the module (the endpoint-mapper helper) and casvipctl (its
 * checks) compile: one decoder, fuzzed in user space.
 */
#ifndef _CASVIP_DCE_H
#define _CASVIP_DCE_H

#include <linux/types.h>
#ifndef __KERNEL__
#include <stdbool.h>
#include <stddef.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
#endif

#define DCE_HDR_LEN 16

enum {
	DCE_REQUEST = 0,
	DCE_RESPONSE = 2,
	DCE_FAULT = 3,
	DCE_BIND = 11,
	DCE_BIND_ACK = 12,
	DCE_BIND_NAK = 13,
	DCE_ALTER = 14,
	DCE_ALTER_RESP = 15,
};

/* pfc_flags: the first and the last fragment of a call's PDU. */
#define DCE_PFC_WHOLE 0x03

#define DCE_EPT_S_NOT_REGISTERED 0x16c9a0d6u

/* What a decoder says: the PDU is decoded, or why it is not. */
enum dce_err {
	DCE_OK,
	DCE_MORE,		/* not whole: more bytes are needed */
	DCE_E_VERSION,		/* not DCE/RPC version 5.0 */
	DCE_E_DREP,		/* an unknown data representation */
	DCE_E_LENGTH,		/* frag_length shorter than the header */
	DCE_E_FRAGMENT,		/* one fragment of a longer PDU */
	DCE_E_TYPE,		/* not the type of PDU asked for */
	DCE_E_TRUNCATED,	/* the body ends before its fields do */
	DCE_E_COUNT,		/* more elements than it may have */
	DCE_E_NDR,		/* NDR that does not add up */
	DCE_E_MAX
};

/* A PDU's common header. */
struct dce_hdr {
	u8 ptype, pfc_flags;
	bool le;		/* integers little-endian (drep) */
	u16 frag_len, auth_len;
	u32 call_id;
};

/* Transfer syntaxes. */
enum dce_syntax { DCE_SYNTAX_OTHER, DCE_SYNTAX_NDR, DCE_SYNTAX_NDR64 };
/* NDR's UUID (version 2.0) and NDR64's (1.0), in wire order. */
extern const u8 dce_ndr_uuid[16];
extern const u8 dce_ndr64_uuid[16];

/* One result of a bind_ack or alter_context_resp, in the offer's order. */
struct dce_result {
	u16 result, reason;
	u8 syntax;		/* enum dce_syntax */
};

/* One tower of an ept_map response. */
struct dce_tower {
	u8 uuid[16];		/* the interface, in wire (GUID) order */
	u16 major, minor;
	u16 port;		/* its TCP port; 0 if the tower has none */
};

/*
 * The header at the start of @buf (@n bytes there): DCE_OK, DCE_MORE if
 * fewer than 16 bytes are there, or why it is not a header.
 */
int dce_hdr(const u8 *buf, size_t n, struct dce_hdr *h);

/*
 * The decoders below take a PDU whose header @h is, and the @n bytes at
 * @pdu: DCE_MORE if the PDU is longer, DCE_E_FRAGMENT if it is one
 * fragment of a longer one.
 *
 * The context ids a bind or alter_context offers, in its order, and
 * their number in @count (at most @max).
 */
int dce_contexts(const u8 *pdu, size_t n, const struct dce_hdr *h, u16 *ids,
		 unsigned int max, unsigned int *count);

/* The results of a bind_ack or alter_context_resp, as dce_contexts(). */
int dce_results(const u8 *pdu, size_t n, const struct dce_hdr *h,
		struct dce_result *res, unsigned int max, unsigned int *count);

/*
 * The presentation context a request or response is on, and a request's
 * operation (0 for a response).
 */
int dce_call(const u8 *pdu, size_t n, const struct dce_hdr *h, u16 *ctx,
	     u16 *opnum);

/*
 * An ept_map response in NDR or NDR64 (@ndr64): the towers that name an
 * interface, up to @max, their number in @count, and the call's status
 * (0 is success).
 */
int dce_ept_map_towers(const u8 *pdu, size_t n, const struct dce_hdr *h,
		       bool ndr64, struct dce_tower *towers, unsigned int max,
		       unsigned int *count, u32 *status);

#endif
