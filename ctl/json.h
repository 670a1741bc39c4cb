/* SPDX-License-Identifier: GPL-2.0 */
/* casvipctl: a small streaming JSON writer. */
#ifndef CASVIPCTL_JSON_H
#define CASVIPCTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JW_DEPTH 16

struct jw {
	FILE *f;
	int depth;
	bool more[JW_DEPTH]; /* a value was written at this depth */
};

/*
 * The length of the well-formed UTF-8 sequence at @s, or 0 for a byte
 * that starts none (U+FFFD stands for it in what casvipctl prints).
 */
size_t jw_utf8_len(const unsigned char *s);

/* @key is NULL inside arrays and at the top. */
void jw_begin(struct jw *w, const char *key, char open);
void jw_end(struct jw *w, char close);
void jw_str(struct jw *w, const char *key, const char *val);
void jw_u64(struct jw *w, const char *key, uint64_t val);
void jw_double(struct jw *w, const char *key, double val);
void jw_bool(struct jw *w, const char *key, bool val);

#endif
