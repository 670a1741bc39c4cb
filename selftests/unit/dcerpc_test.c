// SPDX-License-Identifier: GPL-2.0
/*
 * The DCE/RPC encoders against the byte layouts of dcerpc.md, and the
 * parsers against hostile answers: each gives a reason, none crashes.
 */
#include <string.h>

#include "kselftest_harness.h"

#include "dcerpc.h"

TEST(bind_layout)
{
	static const uint8_t start[12] = { 0x05, 0x00, 0x0b, 0x03, 0x10, 0x00,
					   0x00, 0x00, 0x48, 0x00, 0x00, 0x00 };
	uint8_t pdu[DCE_MAX_PDU];
	struct dce_iface emsmdb;
	char err[DCE_ERRLEN];

	ASSERT_EQ(72, dce_bind(pdu, &dce_epm, 7));
	EXPECT_EQ(0, memcmp(pdu, start, 12));
	EXPECT_EQ(7, pdu[12]);
	/* The abstract syntax: e1af8308-5d1f-11c9-... in GUID order, v3.0 */
	EXPECT_EQ(0x08, pdu[32]);
	EXPECT_EQ(0xe1, pdu[35]);
	EXPECT_EQ(0x1f, pdu[36]);
	EXPECT_EQ(3, pdu[48]);
	ASSERT_EQ(0, dce_iface_parse("emsmdb", &emsmdb, err));
	dce_bind(pdu, &emsmdb, 1);
	/* EMSMDB version 0.81: bytes 00 00 51 00 */
	EXPECT_EQ(0, memcmp(pdu + 48, "\x00\x00\x51\x00", 4));
	/* NDR 8a885d04-1ceb-11c9-9fe8-08002b104860 version 2 */
	EXPECT_EQ(0, memcmp(pdu + 52, "\x04\x5d\x88\x8a\xeb\x1c\xc9\x11", 8));
	EXPECT_EQ(2, pdu[68]);
}

TEST(ept_map_layout)
{
	uint8_t pdu[DCE_MAX_PDU];
	struct dce_iface nspi;
	char err[DCE_ERRLEN];

	ASSERT_EQ(0, dce_iface_parse("nspi", &nspi, err));
	ASSERT_EQ(156, dce_ept_map(pdu, &nspi, 2));
	EXPECT_EQ(0, pdu[2]); /* request */
	EXPECT_EQ(156, pdu[8]);
	EXPECT_EQ(3, pdu[22]); /* opnum ept_map */
	EXPECT_EQ(1, pdu[24]); /* object referent 1 */
	EXPECT_EQ(2, pdu[44]); /* tower referent 2 */
	EXPECT_EQ(75, pdu[48]); /* max_count = tower length */
	EXPECT_EQ(75, pdu[52]);
	EXPECT_EQ(5, pdu[56]); /* five floors */
	EXPECT_EQ(19, pdu[58]);
	EXPECT_EQ(0x0d, pdu[60]);
	EXPECT_EQ(0, memcmp(pdu + 61, nspi.uuid, 16));
	EXPECT_EQ(56, pdu[77]); /* NSPI 56.0 */
	EXPECT_EQ(0x07, pdu[56 + 2 + 25 + 25 + 7 + 2]); /* floor 4: TCP */
	EXPECT_EQ(4, pdu[152]); /* max_towers */
}

TEST(interfaces)
{
	struct dce_iface i;
	char err[DCE_ERRLEN];

	ASSERT_EQ(0, dce_iface_parse("a4f1db00-ca47-1067-b31f-00dd010662da:0.81",
				     &i, err));
	EXPECT_EQ(0x00, i.uuid[0]);
	EXPECT_EQ(0xa4, i.uuid[3]);
	EXPECT_EQ(81, i.minor);
	EXPECT_EQ(-1, dce_iface_parse("outlook", &i, err));
	EXPECT_NE(NULL, strstr(err, "is not epm, emsmdb"));
	EXPECT_EQ(-1, dce_iface_parse("a4f1db00-ca47-1067-b31f-00dd010662:0.81",
				      &i, err));
	EXPECT_EQ(-1, dce_iface_parse("a4f1db00-ca47-1067-b31f-00dd010662da", &i,
				      err));
}

/* A bind_ack for call 5: little- or big-endian, result and reason. */
static size_t bind_ack(uint8_t *p, int be, uint16_t result, uint16_t reason)
{
	memset(p, 0, 60);
	p[0] = 5;
	p[2] = DCE_BIND_ACK;
	p[3] = 3;
	p[4] = be ? 0 : 0x10;
	p[be ? 9 : 8] = 60;
	p[be ? 15 : 12] = 5;
	p[be ? 25 : 24] = 4; /* secondary address "135" */
	memcpy(p + 26, "135", 4);
	p[32] = 1;
	p[be ? 37 : 36] = (uint8_t)result;
	p[be ? 39 : 38] = (uint8_t)reason;
	return 60;
}

TEST(bind_answers)
{
	uint8_t p[DCE_MAX_PDU];
	char why[DCE_ERRLEN];
	size_t n;

	n = bind_ack(p, 0, 0, 0);
	EXPECT_EQ(60, dce_pdu_length(p, n, why));
	EXPECT_EQ(0, dce_bind_result(p, n, 5, &dce_epm, why));
	n = bind_ack(p, 1, 0, 0);
	EXPECT_EQ(60, dce_pdu_length(p, n, why));
	EXPECT_EQ(0, dce_bind_result(p, n, 5, &dce_epm, why));
	n = bind_ack(p, 0, 2, 1);
	EXPECT_EQ(-1, dce_bind_result(p, n, 5, &dce_epm, why));
	EXPECT_NE(NULL, strstr(why, "EPM is not offered here"));
	n = bind_ack(p, 0, 1, 0);
	EXPECT_EQ(-1, dce_bind_result(p, n, 5, &dce_epm, why));
	EXPECT_NE(NULL, strstr(why, "not offered here"));
	n = bind_ack(p, 0, 0, 0);
	EXPECT_EQ(-1, dce_bind_result(p, n, 6, &dce_epm, why));
	EXPECT_NE(NULL, strstr(why, "wrong call id"));
	p[2] = DCE_BIND_NAK;
	EXPECT_EQ(-1, dce_bind_result(p, n, 5, &dce_epm, why));
	EXPECT_NE(NULL, strstr(why, "bind_nak"));
	p[2] = DCE_FAULT;
	EXPECT_EQ(-1, dce_bind_result(p, n, 5, &dce_epm, why));
	EXPECT_NE(NULL, strstr(why, "fault 0x"));
	/* Truncated: the result lies past the end. */
	n = bind_ack(p, 0, 0, 0);
	EXPECT_EQ(-1, dce_bind_result(p, 34, 5, &dce_epm, why));
	EXPECT_NE(NULL, strstr(why, "truncated"));
	/* A whole PDU shorter than where the bind_ack's fields lie (found by
	 * the fuzzer: the offset must not run past the end).
	 */
	p[8] = 20;
	EXPECT_EQ(-1, dce_bind_result(p, 20, 5, &dce_epm, why));
	EXPECT_NE(NULL, strstr(why, "truncated"));
	p[8] = 60;
	/* A secondary address longer than the PDU. */
	p[24] = 0xff;
	EXPECT_EQ(-1, dce_bind_result(p, n, 5, &dce_epm, why));
}

TEST(pdu_framing)
{
	uint8_t p[64] = { 5, 0, DCE_BIND_ACK, 3, 0x10, 0, 0, 0, 60, 0 };
	char why[DCE_ERRLEN];

	EXPECT_EQ(0, dce_pdu_length(p, 10, why)); /* wait for more */
	EXPECT_EQ(0, dce_pdu_length(p, 59, why));
	EXPECT_EQ(60, dce_pdu_length(p, 64, why)); /* two PDUs: the first */
	p[8] = 8;
	EXPECT_EQ(-1, dce_pdu_length(p, 64, why));
	EXPECT_NE(NULL, strstr(why, "shorter than a header"));
	p[8] = 0xff;
	p[9] = 0xff;
	EXPECT_EQ(-1, dce_pdu_length(p, 64, why));
	EXPECT_NE(NULL, strstr(why, "too large"));
	memcpy(p, "HTTP/1.1 400", 12);
	EXPECT_EQ(-1, dce_pdu_length(p, 12, why));
	EXPECT_NE(NULL, strstr(why, "not DCE/RPC"));
}

/* A writer of a PDU's integers in either byte order. */
struct wr {
	uint8_t *p;
	size_t off;
	int be, ndr64;
};

static void w_int(struct wr *w, uint64_t v, size_t size)
{
	for (size_t i = 0; i < size; i++)
		w->p[w->off + (w->be ? size - 1 - i : i)] = (uint8_t)(v >> 8 * i);
	w->off += size;
}

static void w_align(struct wr *w, size_t a)
{
	while (w->off % a)
		w->p[w->off++] = 0;
}

/* A size, count or pointer: 4 bytes in NDR, 8 in NDR64. */
static void w_ndr(struct wr *w, uint64_t v)
{
	w_align(w, w->ndr64 ? 8 : 4);
	w_int(w, v, w->ndr64 ? 8 : 4);
}

/* An ncacn_ip_tcp-like tower: @iface's floor, then TCP (or HTTP) @port. */
static size_t tower(uint8_t *t, const struct dce_iface *iface, int http,
		    uint16_t port)
{
	uint8_t *p = t;

	*p++ = 2; /* floors, little-endian whatever the drep */
	*p++ = 0;
	*p++ = 19;
	*p++ = 0;
	*p++ = 0x0d;
	memcpy(p, iface->uuid, 16);
	p += 16;
	*p++ = iface->major & 0xff;
	*p++ = iface->major >> 8;
	*p++ = 2;
	*p++ = 0;
	*p++ = iface->minor & 0xff;
	*p++ = iface->minor >> 8;
	*p++ = 1;
	*p++ = 0;
	*p++ = http ? 0x1f : 0x07;
	*p++ = 2;
	*p++ = 0;
	*p++ = port >> 8; /* big-endian */
	*p++ = port & 0xff;
	return (size_t)(p - t);
}

/*
 * An ept_map response for call 9 with @ntowers towers of EMSMDB, the TCP
 * one last, on port 60001 + its index; NDR or NDR64, little- or
 * big-endian.
 */
static size_t map_response_as(uint8_t *p, int ntowers, uint32_t status,
			      int be, int ndr64)
{
	struct wr w = { .p = p, .be = be, .ndr64 = ndr64 };
	struct dce_iface emsmdb;
	char err[DCE_ERRLEN];
	int i;

	dce_iface_parse("emsmdb", &emsmdb, err);
	memset(p, 0, DCE_MAX_PDU);
	p[0] = 5;
	p[2] = DCE_RESPONSE;
	p[3] = 3;
	p[4] = be ? 0 : 0x10;
	w.off = 12;
	w_int(&w, 9, 4);
	w.off = 24;
	w.off += 20; /* entry_handle */
	w_int(&w, (uint64_t)ntowers, 4);
	w_ndr(&w, 4); /* max_count */
	w_ndr(&w, 0); /* offset */
	w_ndr(&w, (uint64_t)ntowers);
	for (i = 0; i < ntowers; i++)
		w_ndr(&w, (uint64_t)i + 3);
	for (i = 0; i < ntowers; i++) {
		uint8_t t[64];
		size_t len = tower(t, &emsmdb, i != ntowers - 1,
				   (uint16_t)(60001 + i));

		w_ndr(&w, len);
		w_int(&w, len, 4);
		memcpy(p + w.off, t, len);
		w.off += len;
	}
	w_align(&w, 4);
	w_int(&w, status, 4);
	i = (int)w.off;
	w.off = 8;
	w_int(&w, (uint64_t)i, 2);
	return (size_t)i;
}

static size_t map_response(uint8_t *p, int ntowers, uint32_t status)
{
	return map_response_as(p, ntowers, status, 0, 0);
}

TEST(ept_map_answers)
{
	uint8_t p[DCE_MAX_PDU];
	char why[DCE_ERRLEN];
	uint16_t port = 0;
	size_t n;

	n = map_response(p, 1, 0);
	EXPECT_EQ(0, dce_ept_map_result(p, n, 9, &port, why));
	EXPECT_EQ(60001, port);
	/* Several towers: the port comes from the TCP floor, not the first. */
	port = 0;
	n = map_response(p, 3, 0);
	EXPECT_EQ(0, dce_ept_map_result(p, n, 9, &port, why));
	EXPECT_EQ(60003, port);
	n = map_response(p, 0, DCE_EPT_S_NOT_REGISTERED);
	EXPECT_EQ(1, dce_ept_map_result(p, n, 9, &port, why));
	n = map_response(p, 0, 0x1c010003);
	EXPECT_EQ(-1, dce_ept_map_result(p, n, 9, &port, why));
	EXPECT_NE(NULL, strstr(why, "status 0x1c010003"));
	n = map_response(p, 1, 0);
	for (size_t cut = 24; cut < n; cut += 7) {
		EXPECT_EQ(-1, dce_ept_map_result(p, cut, 9, &port, why));
		EXPECT_NE(NULL, strstr(why, "truncated"));
	}
	/* A count of towers the PDU cannot hold. */
	p[24 + 20 + 12] = 200;
	EXPECT_EQ(-1, dce_ept_map_result(p, n, 9, &port, why));
	/* No TCP floor at all. */
	n = map_response(p, 1, 0);
	p[24 + 20 + 16 + 4 + 8 + 29] = 0x1f;
	EXPECT_EQ(-1, dce_ept_map_result(p, n, 9, &port, why));
	EXPECT_NE(NULL, strstr(why, "without a TCP tower"));
}

/* The shared decoder: what the module's helper reads of each answer. */
static int towers_of(const uint8_t *p, size_t n, int ndr64,
		     struct dce_tower *t, unsigned int *count)
{
	struct dce_hdr h;
	uint32_t status;
	int err = dce_hdr(p, n, &h);

	return err ? err : dce_ept_map_towers(p, n, &h, ndr64, t, 4, count,
					      &status);
}

TEST(towers_every_encoding)
{
	uint8_t p[DCE_MAX_PDU];
	struct dce_tower t[4];
	struct dce_iface emsmdb;
	char err[DCE_ERRLEN];
	unsigned int count;
	size_t n;

	dce_iface_parse("emsmdb", &emsmdb, err);
	for (int be = 0; be <= 1; be++)
		for (int ndr64 = 0; ndr64 <= 1; ndr64++) {
			n = map_response_as(p, 2, 0, be, ndr64);
			ASSERT_EQ(DCE_OK, towers_of(p, n, ndr64, t, &count));
			ASSERT_EQ(2, count);
			EXPECT_EQ(0, memcmp(t[1].uuid, emsmdb.uuid, 16));
			EXPECT_EQ(0, t[1].major);
			EXPECT_EQ(81, t[1].minor);
			EXPECT_EQ(60002, t[1].port);
			EXPECT_EQ(0, t[0].port); /* HTTP: no TCP port */
			/* Read in the other syntax, it does not add up. */
			EXPECT_NE(DCE_OK, towers_of(p, n, !ndr64, t, &count));
			/* Every cut short of the whole is "more". */
			for (size_t cut = 16; cut < n; cut++)
				EXPECT_EQ(DCE_MORE,
					  towers_of(p, cut, ndr64, t, &count));
		}
	/* A 64-bit count past 32 bits means nothing a PDU holds. */
	n = map_response_as(p, 1, 0, 0, 1);
	p[24 + 20 + 4 + 4] = 1; /* max_count's high half */
	EXPECT_EQ(DCE_E_NDR, towers_of(p, n, 1, t, &count));
	/* One fragment of a longer answer is declined. */
	n = map_response(p, 1, 0);
	p[3] = 0x01;
	EXPECT_EQ(DCE_E_FRAGMENT, towers_of(p, n, 0, t, &count));
	/* An authenticated answer: the verifier is not read as towers. */
	n = map_response(p, 1, 0);
	memset(p + n, 0xee, 8 + 16);
	p[8] = (uint8_t)(n + 24);
	p[10] = 16;
	EXPECT_EQ(DCE_OK, towers_of(p, n + 24, 0, t, &count));
	EXPECT_EQ(1, count);
	EXPECT_EQ(60001, t[0].port);
	p[10] = 200; /* a verifier longer than the PDU */
	EXPECT_EQ(DCE_E_TRUNCATED, towers_of(p, n + 24, 0, t, &count));
	/* A stub that ends before its status: the verifier is not it. */
	p[8] = (uint8_t)(n - 4 + 24);
	p[10] = 16;
	EXPECT_EQ(DCE_E_TRUNCATED, towers_of(p, n - 4 + 24, 0, t, &count));
	/* A tower whose floor runs past it is skipped, the rest read. */
	n = map_response_as(p, 2, 0, 0, 0);
	p[24 + 20 + 16 + 8 + 8 + 2] = 200; /* the first tower's lhs_len */
	ASSERT_EQ(DCE_OK, towers_of(p, n, 0, t, &count));
	EXPECT_EQ(1, count);
	EXPECT_EQ(60002, t[0].port);
	/* Not a response at all. */
	p[2] = DCE_REQUEST;
	EXPECT_EQ(DCE_E_TYPE, towers_of(p, n, 0, t, &count));
}

TEST(contexts_and_results)
{
	/* A bind offering context 0 with NDR and context 1 with NDR64. */
	static const uint8_t ndr64[16] = { 0x33, 0x05, 0x71, 0x71, 0xba, 0xbe,
					   0x37, 0x49, 0x83, 0x19, 0xb5, 0xdb,
					   0xef, 0x9c, 0xcc, 0x36 };
	uint8_t p[256] = { 5, 0, DCE_BIND, 3, 0x10 };
	struct dce_result res[4];
	unsigned int count;
	struct dce_hdr h;
	uint16_t ids[4];
	size_t o = 28;

	p[24] = 2; /* two contexts */
	for (int c = 0; c < 2; c++) {
		p[o] = (uint8_t)(c + 7); /* context ids 7 and 8 */
		p[o + 2] = 1; /* one transfer syntax */
		memcpy(p + o + 4, dce_epm.uuid, 16);
		p[o + 20] = 3;
		memcpy(p + o + 24, c ? ndr64 : dce_ndr_uuid, 16);
		o += 44;
	}
	p[8] = (uint8_t)o;
	ASSERT_EQ(DCE_OK, dce_hdr(p, o, &h));
	ASSERT_EQ(DCE_OK, dce_contexts(p, o, &h, ids, 4, &count));
	ASSERT_EQ(2, count);
	EXPECT_EQ(7, ids[0]);
	EXPECT_EQ(8, ids[1]);
	EXPECT_EQ(DCE_E_COUNT, dce_contexts(p, o, &h, ids, 1, &count));
	/* A PDU that ends inside its second context. */
	p[8] = 60;
	ASSERT_EQ(DCE_OK, dce_hdr(p, 60, &h));
	EXPECT_EQ(DCE_E_TRUNCATED, dce_contexts(p, 60, &h, ids, 4, &count));
	/* Its answer, big-endian: NDR rejected, NDR64 taken. */
	memset(p, 0, sizeof(p));
	p[0] = 5;
	p[2] = DCE_BIND_ACK;
	p[3] = 3;
	p[9] = 84;
	p[25] = 4; /* secondary address "135" */
	memcpy(p + 26, "135", 4);
	p[32] = 2;
	p[37] = 2; /* provider rejection */
	p[39] = 2; /* transfer syntaxes not supported */
	memcpy(p + 64, ndr64, 16); /* the second result's syntax */
	ASSERT_EQ(DCE_OK, dce_hdr(p, 84, &h));
	ASSERT_EQ(DCE_OK, dce_results(p, 84, &h, res, 4, &count));
	ASSERT_EQ(2, count);
	EXPECT_EQ(2, res[0].result);
	EXPECT_EQ(2, res[0].reason);
	EXPECT_EQ(DCE_SYNTAX_OTHER, res[0].syntax);
	EXPECT_EQ(0, res[1].result);
	EXPECT_EQ(DCE_SYNTAX_NDR64, res[1].syntax);
	/* A request names its context and operation. */
	uint8_t req[32] = { 5, 0, DCE_REQUEST, 3, 0x10, 0, 0, 0, 32 };
	uint16_t ctx, opnum;

	req[20] = 8;
	req[22] = 3;
	ASSERT_EQ(DCE_OK, dce_hdr(req, 32, &h));
	ASSERT_EQ(DCE_OK, dce_call(req, 32, &h, &ctx, &opnum));
	EXPECT_EQ(8, ctx);
	EXPECT_EQ(3, opnum);
	req[2] = DCE_RESPONSE;
	ASSERT_EQ(DCE_OK, dce_hdr(req, 32, &h));
	ASSERT_EQ(DCE_OK, dce_call(req, 32, &h, &ctx, &opnum));
	EXPECT_EQ(0, opnum);
	EXPECT_EQ(DCE_E_TYPE, dce_results(req, 32, &h, res, 4, &count));
}

TEST_HARNESS_MAIN
