// SPDX-License-Identifier: GPL-2.0
/* casvipctl: a small streaming JSON writer. */
#include <inttypes.h>

#include "json.h"

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void key(struct jw *w, const char *k)
{
	if (w->more[w->depth])
		fputc(',', w->f);
	w->more[w->depth] = true;
	if (k) {
		put_string(w->f, k);
		fputc(':', w->f);
	}
}

void jw_begin(struct jw *w, const char *k, char open)
{
	key(w, k);
	fputc(open, w->f);
	w->more[++w->depth] = false;
}

void jw_end(struct jw *w, char close)
{
	w->depth--;
	fputc(close, w->f);
	if (!w->depth)
		fputc('\n', w->f);
}

void jw_str(struct jw *w, const char *k, const char *val)
{
	key(w, k);
	put_string(w->f, val);
}

void jw_u64(struct jw *w, const char *k, uint64_t val)
{
	key(w, k);
	fprintf(w->f, "%" PRIu64, val);
}

void jw_bool(struct jw *w, const char *k, bool val)
{
	key(w, k);
	fputs(val ? "true" : "false", w->f);
}
