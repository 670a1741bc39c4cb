// SPDX-License-Identifier: GPL-2.0
/*
 * casvip: the DCE/RPC decoder both sides share (see dce.h, and The Open
 * Group C706 ch. 12 and 14, MS-RPCE 2.2.5 for NDR64).
 *
 * Every read goes through a bounded reader: a field that would end past
 * the PDU marks the reader bad, and the decoder says so, so no caller
 * can read a byte the buffer does not have.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include "dce.h"

/* The most towers an ept_map response may announce. */
#define DCE_MAX_TOWERS 64
/* The most floors a tower may have (an ncacn_ip_tcp tower has 5). */
#define DCE_MAX_FLOORS 16

/* NDR 8a885d04-1ceb-11c9-9fe8-08002b104860, in wire order. */
const u8 dce_ndr_uuid[16] = { 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9,
				 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10,
				 0x48, 0x60 };
/* NDR64 71710533-beba-4937-8319-b5dbef9ccc36, in wire order. */
const u8 dce_ndr64_uuid[16] = { 0x33, 0x05, 0x71, 0x71, 0xba, 0xbe,
				0x37, 0x49, 0x83, 0x19, 0xb5, 0xdb,
				0xef, 0x9c, 0xcc, 0x36 };

/* A bounded reader of a PDU's fields, in its byte order. */
struct rd {
	const u8 *p;
	size_t n, off;
	bool le;
	bool bad;		/* a field ended past the end */
	bool ndr_bad;		/* an NDR value does not fit */
};

static bool rd_room(struct rd *r, size_t size)
{
	if (r->bad || r->off > r->n || r->n - r->off < size)
		r->bad = true;
	return !r->bad;
}

static const u8 *rd_bytes(struct rd *r, size_t size)
{
	if (!rd_room(r, size))
		return NULL;
	r->off += size;
	return r->p + r->off - size;
}

/* An integer of 1, 2 or 4 bytes; 0 past the end. */
static u32 rd_int(struct rd *r, size_t size)
{
	const u8 *b = rd_bytes(r, size);
	u32 v = 0;
	size_t i;

	if (!b)
		return 0;
	for (i = 0; i < size; i++)
		v |= (u32)b[r->le ? i : size - 1 - i] << (8 * i);
	return v;
}

/* NDR aligns a field to its size, from the start of the PDU's body. */
static void rd_align(struct rd *r, size_t a)
{
	rd_bytes(r, (a - r->off % a) % a);
}

/*
 * A size, count or pointer: 4 bytes in NDR, 8 in NDR64, aligned to its
 * size. A value past 32 bits is none a PDU of 64 KB can mean.
 */
static u32 rd_ndr(struct rd *r, bool ndr64)
{
	u32 lo, hi;

	if (!ndr64) {
		rd_align(r, 4);
		return rd_int(r, 4);
	}
	rd_align(r, 8);
	lo = rd_int(r, 4);
	hi = rd_int(r, 4);
	if (!r->le) {
		u32 t = lo;

		lo = hi;
		hi = t;
	}
	if (hi)
		r->ndr_bad = true;
	return lo;
}

static int rd_err(const struct rd *r)
{
	if (r->bad)
		return DCE_E_TRUNCATED;
	return r->ndr_bad ? DCE_E_NDR : DCE_OK;
}

static u16 get16(const u8 *b, bool le)
{
	return le ? (u16)(b[0] | b[1] << 8) : (u16)(b[1] | b[0] << 8);
}

int dce_hdr(const u8 *buf, size_t n, struct dce_hdr *h)
{
	if ((n >= 1 && buf[0] != 5) || (n >= 2 && buf[1] != 0))
		return DCE_E_VERSION;
	if (n < DCE_HDR_LEN)
		return DCE_MORE;
	/* drep's integer representation: 1 little-endian, 0 big-endian. */
	if ((buf[4] & 0xf0) != 0x10 && (buf[4] & 0xf0) != 0)
		return DCE_E_DREP;
	h->ptype = buf[2];
	h->pfc_flags = buf[3];
	h->le = buf[4] & 0x10;
	h->frag_len = get16(buf + 8, h->le);
	h->auth_len = get16(buf + 10, h->le);
	h->call_id = (u32)get16(buf + 12, h->le) << (h->le ? 0 : 16) |
		     (u32)get16(buf + 14, h->le) << (h->le ? 16 : 0);
	return h->frag_len < DCE_HDR_LEN ? DCE_E_LENGTH : DCE_OK;
}

/*
 * A reader of a whole, single-fragment PDU of type @a or @b, at @off:
 * DCE_OK, or why not.
 */
static int rd_open(struct rd *r, const u8 *pdu, size_t n,
		   const struct dce_hdr *h, u8 a, u8 b, size_t off)
{
	if (n < h->frag_len)
		return DCE_MORE;
	if (h->ptype != a && h->ptype != b)
		return DCE_E_TYPE;
	if ((h->pfc_flags & DCE_PFC_WHOLE) != DCE_PFC_WHOLE)
		return DCE_E_FRAGMENT;
	*r = (struct rd){ .p = pdu, .n = h->frag_len, .off = off,
			  .le = h->le };
	return DCE_OK;
}

int dce_contexts(const u8 *pdu, size_t n, const struct dce_hdr *h, u16 *ids,
		 unsigned int max, unsigned int *count)
{
	unsigned int i, nctx;
	struct rd r;
	int err;

	err = rd_open(&r, pdu, n, h, DCE_BIND, DCE_ALTER, DCE_HDR_LEN);
	if (err)
		return err;
	rd_bytes(&r, 8); /* max_xmit_frag, max_recv_frag, assoc_group_id */
	nctx = rd_int(&r, 1);
	rd_bytes(&r, 3);
	if (nctx > max)
		return DCE_E_COUNT;
	for (i = 0; i < nctx && !r.bad; i++) {
		size_t nts;

		ids[i] = (u16)rd_int(&r, 2);
		nts = rd_int(&r, 1);
		/* reserved, the abstract syntax, the transfer syntaxes */
		rd_bytes(&r, 1 + 20 + 20 * nts);
	}
	*count = nctx;
	return rd_err(&r);
}

static u8 syntax_of(const u8 *uuid)
{
	if (!memcmp(uuid, dce_ndr_uuid, 16))
		return DCE_SYNTAX_NDR;
	if (!memcmp(uuid, dce_ndr64_uuid, 16))
		return DCE_SYNTAX_NDR64;
	return DCE_SYNTAX_OTHER;
}

int dce_results(const u8 *pdu, size_t n, const struct dce_hdr *h,
		struct dce_result *res, unsigned int max, unsigned int *count)
{
	unsigned int i, nres;
	struct rd r;
	int err;

	err = rd_open(&r, pdu, n, h, DCE_BIND_ACK, DCE_ALTER_RESP,
		      DCE_HDR_LEN);
	if (err)
		return err;
	rd_bytes(&r, 8); /* max_xmit_frag, max_recv_frag, assoc_group_id */
	rd_bytes(&r, rd_int(&r, 2)); /* the secondary address */
	rd_align(&r, 4);
	nres = rd_int(&r, 1);
	rd_bytes(&r, 3);
	if (nres > max)
		return DCE_E_COUNT;
	for (i = 0; i < nres && !r.bad; i++) {
		const u8 *uuid;

		res[i].result = (u16)rd_int(&r, 2);
		res[i].reason = (u16)rd_int(&r, 2);
		uuid = rd_bytes(&r, 16);
		rd_bytes(&r, 4); /* the syntax's version */
		res[i].syntax = uuid ? syntax_of(uuid) : DCE_SYNTAX_OTHER;
	}
	*count = nres;
	return rd_err(&r);
}

int dce_call(const u8 *pdu, size_t n, const struct dce_hdr *h, u16 *ctx,
	     u16 *opnum)
{
	struct rd r;
	int err;

	/* After alloc_hint. */
	err = rd_open(&r, pdu, n, h, DCE_REQUEST, DCE_RESPONSE,
		      DCE_HDR_LEN + 4);
	if (err)
		return err;
	*ctx = (u16)rd_int(&r, 2);
	/* A response has its cancel count there. */
	*opnum = h->ptype == DCE_REQUEST ? (u16)rd_int(&r, 2) : 0;
	return rd_err(&r);
}

/*
 * A tower: its interface (the first UUID floor) and its TCP port (the
 * floor whose protocol is 0x07). Counts in a tower are little-endian
 * whatever the PDU's drep, the port big-endian. False if it has no
 * interface, or a floor runs past the tower.
 */
static bool tower_decode(const u8 *t, size_t len, struct dce_tower *out)
{
	struct rd r = { .p = t, .n = len, .le = true };
	unsigned int i, floors = rd_int(&r, 2);
	bool iface = false;

	out->port = 0;
	if (floors > DCE_MAX_FLOORS)
		return false;
	for (i = 0; i < floors; i++) {
		u16 lhs_len = (u16)rd_int(&r, 2);
		const u8 *lhs = rd_bytes(&r, lhs_len);
		u16 rhs_len = (u16)rd_int(&r, 2);
		const u8 *rhs = rd_bytes(&r, rhs_len);

		if (r.bad)
			return false;
		if (!iface && lhs_len == 19 && lhs[0] == 0x0d && rhs_len == 2) {
			memcpy(out->uuid, lhs + 1, 16);
			out->major = get16(lhs + 17, true);
			out->minor = get16(rhs, true);
			iface = true;
		} else if (lhs_len >= 1 && lhs[0] == 0x07 && rhs_len == 2) {
			out->port = get16(rhs, false);
		}
	}
	return iface;
}

int dce_ept_map_towers(const u8 *pdu, size_t n, const struct dce_hdr *h,
		       bool ndr64, struct dce_tower *towers, unsigned int max,
		       unsigned int *count, u32 *status)
{
	u32 ntowers, max_count, offset, actual, i;
	u64 present = 0;
	unsigned int found = 0;
	struct rd r;
	int err;

	/* The stub, after alloc_hint, context id, cancel count, reserved. */
	err = rd_open(&r, pdu, n, h, DCE_RESPONSE, DCE_RESPONSE,
		      DCE_HDR_LEN + 8);
	if (err)
		return err;
	/* An authenticated call's verifier ends the PDU: 8 bytes and more. */
	if (h->auth_len) {
		if (h->frag_len < DCE_HDR_LEN + 8 + 8 + h->auth_len)
			return DCE_E_TRUNCATED;
		r.n -= 8 + h->auth_len;
	}
	rd_bytes(&r, 20); /* entry_handle */
	ntowers = rd_int(&r, 4);
	max_count = rd_ndr(&r, ndr64);
	offset = rd_ndr(&r, ndr64);
	actual = rd_ndr(&r, ndr64);
	err = rd_err(&r);
	if (err)
		return err;
	if (actual > DCE_MAX_TOWERS)
		return DCE_E_COUNT;
	if (offset || actual > max_count || actual != ntowers)
		return DCE_E_NDR;
	for (i = 0; i < actual; i++)
		if (rd_ndr(&r, ndr64))
			present |= 1ULL << i;
	for (i = 0; i < actual && !r.bad; i++) {
		const u8 *t;
		u32 len;

		if (!(present & 1ULL << i))
			continue;
		/* twr_t: conformant, its max_count first; tower_length. */
		len = rd_ndr(&r, ndr64);
		if (rd_int(&r, 4) != len)
			r.ndr_bad = true;
		t = rd_bytes(&r, len);
		if (t && found < max && tower_decode(t, len, &towers[found]))
			found++;
	}
	rd_align(&r, 4);
	*status = rd_int(&r, 4);
	*count = found;
	return rd_err(&r);
}
