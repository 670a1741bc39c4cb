// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the DCE/RPC answer parsers on arbitrary bytes. The
 * first byte picks the parser; the rest is what a server sent. The
 * parsers must give an answer, never read out of bounds (ASan and UBSan
 * watch), and agree with the framing: a verdict only on a whole PDU.
 */
#include <stdint.h>
#include <string.h>

#include "dcerpc.h"

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
	len = dce_pdu_length(pdu, size - 1, why);
	if (len <= 0)
		return 0;
	if (data[0] & 1)
		dce_bind_result(pdu, (size_t)len, 1, &dce_epm, why);
	else
		dce_ept_map_result(pdu, (size_t)len, 1, &port, why);
	return 0;
}
