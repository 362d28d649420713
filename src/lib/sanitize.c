/*
 * sanitize.c: is it text, and if not, what text records it.  Pure: knows
 * UTF-8 and the JSON string syntax, nothing of HTTP, FastCGI or the
 * database (see sanitize.h for why json-c's own check is not enough).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "sanitize.h"

/*
 * Returns the length (1..4) of the well-formed UTF-8 sequence at s[0..n),
 * n > 0, or 0 if s[0] starts none.  NUL is not accepted.  The second-byte
 * ranges are RFC 3629's table, which rules out overlong forms, the
 * surrogates U+D800..U+DFFF and everything past U+10FFFF.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0x01 && c <= 0x7f) {
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0) {
			lo = 0xa0;
		} else if (c == 0xed) {
			hi = 0x9f;
		}
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0) {
			lo = 0x90;
		} else if (c == 0xf4) {
			hi = 0x8f;
		}
	} else {
		return 0;	/* NUL, a continuation byte, C0, C1, F5..FF */
	}
	if (n < len || s[1] < lo || s[1] > hi) {
		return 0;
	}
	for (i = 2; i < len; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf) {
			return 0;
		}
	}
	return len;
}

int
sanitize_text_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < len) {
		/* Eight bytes of ASCII without NUL at a time: every string of
		 * a history record is checked, most are plain ASCII. */
		if (len - i >= 8) {
			uint64_t w;

			memcpy(&w, p + i, 8);
			if ((w & UINT64_C(0x8080808080808080)) == 0 &&
			    ((w - UINT64_C(0x0101010101010101)) & ~w &
			    UINT64_C(0x8080808080808080)) == 0) {
				i += 8;
				continue;
			}
		}
		/* ASCII runs are the common case: no call per byte. */
		if (p[i] >= 0x01 && p[i] <= 0x7f) {
			i++;
			continue;
		}
		if ((k = utf8_seq(p + i, len - i)) == 0) {
			return 0;
		}
		i += k;
	}
	return 1;
}

/* Returns the value of the 4 hex digits at s, or -1. */
static long
hex4(const unsigned char *s)
{
	long v = 0;
	size_t i;

	for (i = 0; i < 4; i++) {
		unsigned char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9') {
			v |= c - '0';
		} else if (c >= 'a' && c <= 'f') {
			v |= c - 'a' + 10;
		} else if (c >= 'A' && c <= 'F') {
			v |= c - 'A' + 10;
		} else {
			return -1;
		}
	}
	return v;
}

enum lk_err
sanitize_json_check(const char *s, size_t len, size_t *at)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	int in_string = 0;
	long u, lo;

	while (i < len) {
		if (p[i] >= 0x80 || p[i] == 0) {
			if ((k = utf8_seq(p + i, len - i)) == 0) {
				goto bad;
			}
			i += k;
			continue;
		}
		if (p[i] == '"') {
			in_string = !in_string;
			i++;
			continue;
		}
		if (!in_string || p[i] != '\\') {
			i++;
			continue;
		}
		/* An escape inside a string. */
		if (i + 1 >= len) {
			goto bad;
		}
		if (p[i + 1] == 0 || p[i + 1] >= 0x80) {
			/* Not an escape: the byte is judged as any other
			 * (a NUL or invalid UTF-8 after '\\' is refused). */
			i++;
			continue;
		}
		if (p[i + 1] != 'u') {
			i += 2;		/* \" \\ \n ...: json-c judges
					 * the rest */
			continue;
		}
		if (i + 6 > len || (u = hex4(p + i + 2)) < 0 || u == 0) {
			goto bad;
		}
		if (u >= 0xdc00 && u <= 0xdfff) {
			goto bad;	/* a low surrogate with no high one */
		}
		if (u >= 0xd800 && u <= 0xdbff) {
			/* A high surrogate needs a low one right after. */
			if (i + 12 > len || p[i + 6] != '\\' ||
			    p[i + 7] != 'u' ||
			    (lo = hex4(p + i + 8)) < 0xdc00 || lo > 0xdfff) {
				goto bad;
			}
			i += 12;
			continue;
		}
		i += 6;
	}
	if (in_string) {
		goto bad;
	}
	return LK_OK;
bad:
	if (at != NULL) {
		*at = i;
	}
	return LK_EINVAL;
}

int
sanitize_text(const char *s, size_t len, struct lk_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run, k;
	int changed = 0;

	while (i < len) {
		/* Copy the longest well-formed run in one append. */
		for (run = i; run < len; run += k) {
			if (p[run] >= 0x01 && p[run] <= 0x7f) {
				k = 1;
			} else if ((k = utf8_seq(p + run, len - run)) == 0) {
				break;
			}
		}
		buf_append(out, s + i, run - i);
		if (run == len) {
			break;
		}
		{
			char esc[4] = { '\\', 'x', hex[p[run] >> 4],
			    hex[p[run] & 0xf] };

			buf_append(out, esc, sizeof(esc));
		}
		changed = 1;
		i = run + 1;
	}
	return changed;
}
