// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the DCE/RPC decoders on arbitrary bytes, casvipctl's
 * answer parsers and the module's (kmod/dce.c, the same source the
 * endpoint-mapper helper runs). The first byte picks the decoder; the
 * rest is what a server or a client sent. They must give an answer,
 * never read out of bounds (ASan and UBSan watch), and agree with the
 * framing: a verdict only on a whole PDU.
 */
#include <stdint.h>
#include <string.h>

#include "dcerpc.h"

/* What the helper reads of a PDU on port 135, as it reads it. */
static void helper_decode(const uint8_t *pdu, size_t n, uint8_t how)
{
	struct dce_result res[8];
	struct dce_tower t[4];
	unsigned int count;
	struct dce_hdr h;
	uint32_t status;
	uint16_t ids[8], opnum;

	if (dce_hdr(pdu, n, &h) != DCE_OK)
		return;
	switch (how % 4) {
	case 0:
		dce_contexts(pdu, n, &h, ids, 8, &count);
		break;
	case 1:
		dce_results(pdu, n, &h, res, 8, &count);
		break;
	default:
		if (dce_call(pdu, n, &h, ids, &opnum) == DCE_OK)
			dce_ept_map_towers(pdu, n, &h, how % 4 == 3, t, 4,
					   &count, &status);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pdu[DCE_MAX_PDU];
	char why[DCE_ERRLEN];
	uint16_t port;
	long len;

	if (size < 1 || size - 1 > sizeof(pdu))
		return 0;
	/* A copy of the exact size, so ASan sees every overread. */
	memcpy(pdu, data + 1, size - 1);
	if (data[0] & 4) {
		helper_decode(pdu, size - 1, data[0]);
		return 0;
	}
	len = dce_pdu_length(pdu, size - 1, why);
	if (len <= 0)
		return 0;
	if (data[0] & 1)
		dce_bind_result(pdu, (size_t)len, 1, &dce_epm, why);
	else
		dce_ept_map_result(pdu, (size_t)len, 1, &port, why);
	return 0;
}
