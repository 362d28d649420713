/*
 * buf.c: string views and bounded, growable buffers with a sticky
 * failure flag.  Pure: no I/O.  Must not know what is built in them;
 * the request arena is arena.c's.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BUF_MIN_CAP	256

/* Word-at-a-time byte tests (Bit Twiddling Hacks, "Determine if a word
 * has a byte less than n"; exact for n <= 128). */
#define BYTES(c)	(UINT64_C(0x0101010101010101) * (uint8_t)(c))
#define HAS_LESS(w, n)	(((w) - BYTES(n)) & ~(w) & BYTES(0x80))
#define HAS_ZERO(w)	HAS_LESS(w, 1)

struct lk_str
lk_str_c(const char *s)
{
	struct lk_str v = { "", 0 };

	if (s != NULL) {
		v.p = s;
		v.len = strlen(s);
	}
	return v;
}

int
lk_str_eq(struct lk_str a, const char *s)
{
	size_t n = strlen(s);

	return a.len == n && memcmp(a.p, s, n) == 0;
}

void
buf_init(struct lk_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->failed = 0;
}

void
buf_free(struct lk_buf *b)
{
	free(b->p);
	buf_init(b, b->max);
}

void
buf_reset(struct lk_buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->p != NULL) {
		b->p[0] = '\0';
	}
}

/* Makes room for n more bytes plus the terminating NUL. */
static int
reserve(struct lk_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->failed) {
		return -1;
	}
	if (n > b->max || b->len > b->max - n) {
		b->failed = 1;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap) {
		return 0;
	}
	cap = b->cap < BUF_MIN_CAP ? BUF_MIN_CAP : b->cap;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			b->failed = 1;
			return -1;
		}
		cap *= 2;
	}
	if ((p = realloc(b->p, cap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void
buf_append(struct lk_buf *b, const void *data, size_t n)
{
	if (reserve(b, n) == -1) {
		return;
	}
	if (n > 0) {
		memcpy(b->p + b->len, data, n);
	}
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_puts(struct lk_buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_putc(struct lk_buf *b, char c)
{
	buf_append(b, &c, 1);
}

void
buf_vprintf(struct lk_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	size_t room;
	int n;

	if (b->failed) {
		return;
	}
	/* Straight into the room there is, which is usually enough: one
	 * formatting pass instead of a measuring one and a writing one. */
	room = b->p != NULL ? b->cap - b->len : 0;
	if (room > 1) {
		va_copy(cp, ap);
		n = vsnprintf(b->p + b->len, room, fmt, cp);
		va_end(cp);
		if (n >= 0 && (size_t)n < room) {
			if ((size_t)n > b->max || b->len > b->max - (size_t)n) {
				b->p[b->len] = '\0';	/* undo it */
				b->failed = 1;
				return;
			}
			b->len += (size_t)n;
			return;
		}
		b->p[b->len] = '\0';
	}
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (reserve(b, (size_t)n) == -1) {
		return;
	}
	if (vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap) != n) {
		b->failed = 1;
		return;
	}
	b->len += (size_t)n;
}

void
buf_printf(struct lk_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_put_i64(struct lk_buf *b, int64_t v)
{
	char d[24];
	size_t i = sizeof(d);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0) {
		d[--i] = '-';
	}
	buf_append(b, d + i, sizeof(d) - i);
}

/* buf_json_str() appending run by run: for a buffer too close to its
 * maximum to reserve the worst case, where only the exact size counts. */
static void
json_str_exact(struct lk_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run;

	buf_putc(b, '"');
	for (i = 0; i < len; i = run) {
		unsigned char c = (unsigned char)s[i];

		for (run = i; run < len; run++) {
			c = (unsigned char)s[run];
			if (c < 0x20 || c == '"' || c == '\\') {
				break;
			}
		}
		buf_append(b, s + i, run - i);
		if (run == len) {
			break;
		}
		switch (c) {
		case '"':
			buf_puts(b, "\\\"");
			break;
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		case '\b':
			buf_puts(b, "\\b");
			break;
		case '\f':
			buf_puts(b, "\\f");
			break;
		default: {
			char esc[6] = { '\\', 'u', '0', '0',
			    hex[c >> 4], hex[c & 0xf] };

			buf_append(b, esc, sizeof(esc));
			break;
		}
		}
		run++;
	}
	buf_putc(b, '"');
}


/*
 * Writes s as a JSON string literal into room reserved for the worst case
 * (every byte a six-byte \u00XX), in one pass: a history record escapes
 * a whole response body with it, and appending run by run between quotes
 * cost a tenth of a worker's instructions (callgrind).  Escapes as json-c
 * writes them (\b and \f too), so that what is written here reads back
 * through json-c unchanged.
 */
void
buf_json_str(struct lk_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char *o;
	size_t i;

	if (b->failed) {
		return;
	}
	if (len > (SIZE_MAX - 2) / 6 || len * 6 + 2 > b->max - b->len) {
		json_str_exact(b, s, len);
		return;
	}
	if (reserve(b, len * 6 + 2) == -1) {
		return;
	}
	o = b->p + b->len;
	*o++ = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Eight bytes with nothing to escape (no control, no '"',
		 * no '\\') are copied at once. */
		if (len - i >= 8) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if (!HAS_LESS(w, 0x20) && !HAS_ZERO(w ^ BYTES('"')) &&
			    !HAS_ZERO(w ^ BYTES('\\'))) {
				memcpy(o, s + i, 8);
				o += 8;
				i += 7;
				continue;
			}
		}

		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"':
		case '\\':
			*o++ = (char)c;
			break;
		case '\n':
			*o++ = 'n';
			break;
		case '\r':
			*o++ = 'r';
			break;
		case '\t':
			*o++ = 't';
			break;
		case '\b':
			*o++ = 'b';
			break;
		case '\f':
			*o++ = 'f';
			break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 0xf];
			break;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	b->p[b->len] = '\0';
}

int
buf_failed(const struct lk_buf *b)
{
	return b->failed;
}

const char *
buf_cstr(const struct lk_buf *b)
{
	return b->p != NULL ? b->p : "";
}
