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

/* An ept_map response with @ntowers towers; the TCP one is last. */
static size_t map_response(uint8_t *p, int ntowers, uint32_t status)
{
	size_t o = 24 + 20;
	int i;

	memset(p, 0, DCE_MAX_PDU);
	p[0] = 5;
	p[2] = DCE_RESPONSE;
	p[3] = 3;
	p[4] = 0x10;
	p[12] = 9;
	p[o] = (uint8_t)ntowers;
	p[o + 4] = 4;
	p[o + 12] = (uint8_t)ntowers;
	o += 16;
	for (i = 0; i < ntowers; i++)
		p[o + 4 * i] = (uint8_t)(i + 3);
	o += 4 * ntowers;
	for (i = 0; i < ntowers; i++) {
		/* Two floors: an interface stand-in, then TCP or HTTP. */
		uint8_t t[] = { 2, 0, 1, 0, 0x0d, 0, 0, 1, 0,
				i == ntowers - 1 ? 0x07 : 0x1f, 2, 0,
				0xea, 0x61 }; /* port 60001 */

		p[o] = p[o + 4] = sizeof(t);
		memcpy(p + o + 8, t, sizeof(t));
		o += 8 + sizeof(t);
		o = (o + 3) & ~(size_t)3;
	}
	memcpy(p + o, &status, 4);
	o += 4;
	p[8] = o & 0xff;
	p[9] = o >> 8;
	return o;
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
	EXPECT_EQ(60001, port);
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
	p[24 + 20 + 16 + 4 + 8 + 9] = 0x1f;
	EXPECT_EQ(-1, dce_ept_map_result(p, n, 9, &port, why));
	EXPECT_NE(NULL, strstr(why, "without a TCP tower"));
}

TEST_HARNESS_MAIN
