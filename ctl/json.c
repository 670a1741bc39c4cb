// SPDX-License-Identifier: GPL-2.0
/* casvipctl: a small streaming JSON writer. */
#include <inttypes.h>

#include "json.h"

/*
 * The length of the well-formed UTF-8 sequence at @s (RFC 3629: no
 * overlong form, no surrogate, nothing above U+10FFFF), or 0.
 */
size_t jw_utf8_len(const unsigned char *s)
{
	unsigned int cp, min;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* a NUL ends it too */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string: escaped, and a byte that is no UTF-8 as U+FFFD. */
static void put_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		size_t n = jw_utf8_len(s);

		if (!n) {
			fputs("\\ufffd", f);
			s++;
		} else if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
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

void jw_double(struct jw *w, const char *k, double val)
{
	key(w, k);
	fprintf(w->f, "%.3f", val);
}

void jw_bool(struct jw *w, const char *k, bool val)
{
	key(w, k);
	fputs(val ? "true" : "false", w->f);
}
