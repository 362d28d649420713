/*
 * util.c: checked number parsing, UUIDs, email shape and RFC 3339 time.
 * Pure but for util_uuid_v4(), which reads the CSPRNG.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "util.h"

#define NUM_MAX_LEN	32

enum lk_err
util_parse_long(const char *s, size_t len, long min, long max, long *out)
{
	char tmp[NUM_MAX_LEN + 1], *end;
	long v;

	if (len == 0 || len > NUM_MAX_LEN) {
		return LK_EINVAL;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	/* strtol accepts leading spaces and '+'; we do not. */
	if (!(isdigit((unsigned char)tmp[0]) ||
	    (tmp[0] == '-' && len > 1 && isdigit((unsigned char)tmp[1])))) {
		return LK_EINVAL;
	}
	errno = 0;
	v = strtol(tmp, &end, 10);
	/* end, not *end: a NUL inside s must not end the number early. */
	if (errno != 0 || end != tmp + len || v < min || v > max) {
		return LK_EINVAL;
	}
	*out = v;
	return LK_OK;
}

enum lk_err
util_uuid_bytes(const char *s, size_t len, unsigned char out[UUID_BIN_LEN])
{
	static const unsigned char at[UUID_BIN_LEN] = {
		0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34
	};
	unsigned char u[UUID_BIN_LEN];
	size_t k;
	int hi, lo;

	if (len != UUID_LEN || s[8] != '-' || s[13] != '-' || s[18] != '-' ||
	    s[23] != '-') {
		return LK_EINVAL;
	}
	for (k = 0; k < UUID_BIN_LEN; k++) {
		hi = util_hex_digit((unsigned char)s[at[k]]);
		lo = util_hex_digit((unsigned char)s[at[k] + 1]);
		if (hi < 0 || lo < 0) {
			return LK_EINVAL;
		}
		u[k] = (unsigned char)(hi << 4 | lo);
	}
	memcpy(out, u, UUID_BIN_LEN);
	return LK_OK;
}

enum lk_err
util_url_decode(const char *s, size_t len, char *out, size_t *outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= len) {
				return LK_EINVAL;
			}
			hi = util_hex_digit((unsigned char)s[i + 1]);
			lo = util_hex_digit((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0) {
				return LK_EINVAL;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	if (memchr(out, '\0', o) != NULL) {
		return LK_EINVAL;	/* %00 has no business in a value */
	}
	*outlen = o;
	return LK_OK;
}

int
util_uuid_valid(const char *s, size_t len)
{
	size_t i;

	if (len != UUID_LEN) {
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-') {
				return 0;
			}
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

#define TIME_MIN	(-62167219200LL)	/* 0000-01-01T00:00:00Z */
#define TIME_MAX	253402300799LL		/* 9999-12-31T23:59:59Z */

/* Writes v (0 <= v < 10^n) as exactly n decimal digits at p. */
static void
put_digits(char *p, int64_t v, size_t n)
{
	while (n > 0) {
		p[--n] = (char)('0' + v % 10);
		v /= 10;
	}
}

enum lk_err
util_time_format(int64_t t, char out[RFC3339_LEN + 1])
{
	int64_t days, secs, y, m, d;

	if (t < TIME_MIN || t > TIME_MAX) {
		return LK_EINVAL;
	}
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	/* TIME_MIN and TIME_MAX keep y within four digits.  Written by
	 * hand: snprintf() here was a visible part of each history
	 * record's cost (measured). */
	if (y < 0 || y > 9999) {
		return LK_EINVAL;
	}
	put_digits(out, y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = 'T';
	put_digits(out + 11, secs / 3600, 2);
	out[13] = ':';
	put_digits(out + 14, secs / 60 % 60, 2);
	out[16] = ':';
	put_digits(out + 17, secs % 60, 2);
	out[19] = 'Z';
	out[20] = '\0';
	return LK_OK;
}

/* Reads exactly n digits at *p into *v. */
static int
digits(const char **p, const char *end, int n, int64_t *v)
{
	int64_t x = 0;
	int i;

	if (end - *p < n) {
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i])) {
			return -1;
		}
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

static int
expect(const char **p, const char *end, const char *set)
{
	if (*p >= end || strchr(set, **p) == NULL || **p == '\0') {
		return -1;
	}
	(*p)++;
	return 0;
}

enum lk_err
util_time_parse(const char *s, size_t len, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	const char *p = s, *end = s + len;
	int64_t y, mo, d, h, mi, sec, oh = 0, om = 0, t;
	int sign = 0;

	if (digits(&p, end, 4, &y) == -1 || expect(&p, end, "-") == -1 ||
	    digits(&p, end, 2, &mo) == -1 || expect(&p, end, "-") == -1 ||
	    digits(&p, end, 2, &d) == -1 || expect(&p, end, "Tt") == -1 ||
	    digits(&p, end, 2, &h) == -1 || expect(&p, end, ":") == -1 ||
	    digits(&p, end, 2, &mi) == -1 || expect(&p, end, ":") == -1 ||
	    digits(&p, end, 2, &sec) == -1) {
		return LK_EINVAL;
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !isdigit((unsigned char)*p)) {
			return LK_EINVAL;
		}
		while (p < end && isdigit((unsigned char)*p)) {
			p++;
		}
	}
	if (p < end && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (digits(&p, end, 2, &oh) == -1 ||
		    expect(&p, end, ":") == -1 ||
		    digits(&p, end, 2, &om) == -1 || oh > 23 || om > 59) {
			return LK_EINVAL;
		}
	} else {
		return LK_EINVAL;
	}
	if (p != end || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 60) {
		return LK_EINVAL;
	}
	if (mo == 2 && d == 29 &&
	    !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
		return LK_EINVAL;
	}
	if (sec == 60) {
		sec = 59;	/* a leap second counts as the one before */
	}
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	*out = t;
	return LK_OK;
}

int
util_email_valid(const char *s)
{
	const char *at, *dot;
	size_t i, n = strlen(s);

	if (n < EMAIL_MIN_LEN || n > EMAIL_MAX_LEN ||
	    (at = strchr(s, '@')) == NULL || at == s ||
	    strchr(at + 1, '@') != NULL) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f) {
			return 0;
		}
	}
	dot = strrchr(at + 1, '.');
	return dot != NULL && dot > at + 1 && dot[1] != '\0';
}

/* Writes the 16 bytes of r as a UUID's text. */
static void
uuid_text(const unsigned char r[16], char out[UUID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			out[o++] = '-';
		}
		out[o++] = hex[r[i] >> 4];
		out[o++] = hex[r[i] & 0xf];
	}
	out[o] = '\0';
}

/* Writes the version 4 UUID of the 16 random bytes r. */
static void
uuid_v4_text(unsigned char r[16], char out[UUID_LEN + 1])
{
	r[6] = (r[6] & 0x0f) | 0x40;	/* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	uuid_text(r, out);
}

/* Writes the version 7 UUID of unix_ms and the random bytes r[6..15]. */
static void
uuid_v7_text(unsigned char r[16], int64_t unix_ms, char out[UUID_LEN + 1])
{
	uint64_t ms;
	int i;

	ms = unix_ms < 0 ? 0 : unix_ms > (int64_t)0xffffffffffff ?
	    0xffffffffffff : (uint64_t)unix_ms;
	for (i = 0; i < 6; i++) {
		r[i] = (unsigned char)(ms >> (8 * (5 - i)));
	}
	r[6] = (r[6] & 0x0f) | 0x70;	/* version 7 */
	r[8] = (r[8] & 0x3f) | 0x80;	/* RFC 9562 variant */
	uuid_text(r, out);
}

/* The next 16 bytes of the pool p, refilled when spent. */
static unsigned char *
pool_take(struct util_uuid_pool *p)
{
	unsigned char *r;

	if (p->used == 0 || p->used > sizeof(p->bytes) - 16) {
		if (RAND_bytes(p->bytes, sizeof(p->bytes)) != 1) {
			p->used = 0;
			return NULL;
		}
		p->used = 0;
	}
	r = p->bytes + p->used;
	p->used += 16;
	return r;
}

enum lk_err
util_uuid_v4(char out[UUID_LEN + 1])
{
	unsigned char r[16];

	if (RAND_bytes(r, sizeof(r)) != 1) {
		return LK_ECRYPTO;
	}
	uuid_v4_text(r, out);
	return LK_OK;
}

enum lk_err
util_uuid_v7(int64_t unix_ms, char out[UUID_LEN + 1])
{
	unsigned char r[16];

	if (RAND_bytes(r + 6, sizeof(r) - 6) != 1) {
		return LK_ECRYPTO;
	}
	uuid_v7_text(r, unix_ms, out);
	return LK_OK;
}

enum lk_err
util_uuid_v4_pooled(struct util_uuid_pool *p, char out[UUID_LEN + 1])
{
	unsigned char *r;

	if ((r = pool_take(p)) == NULL) {
		return LK_ECRYPTO;
	}
	uuid_v4_text(r, out);
	return LK_OK;
}

enum lk_err
util_uuid_v7_pooled(struct util_uuid_pool *p, int64_t unix_ms,
    char out[UUID_LEN + 1])
{
	unsigned char *r;

	if ((r = pool_take(p)) == NULL) {
		return LK_ECRYPTO;
	}
	uuid_v7_text(r, unix_ms, out);
	return LK_OK;
}

enum lk_err
util_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n;

	if (size == 0) {
		return LK_ETOOBIG;
	}
	n = strnlen(src, size);
	if (n == size) {
		return LK_ETOOBIG;
	}
	memcpy(dst, src, n + 1);
	return LK_OK;
}

enum lk_err
util_join(char *dst, size_t size, const char *const *parts, size_t n)
{
	size_t i, len[UTIL_JOIN_MAX], total = 0, at = 0;

	if (n == 0 || n > UTIL_JOIN_MAX) {
		return LK_ETOOBIG;
	}
	for (i = 0; i < n; i++) {
		len[i] = strnlen(parts[i], size);
		total += len[i] + (i > 0);
		if (total >= size) {
			return LK_ETOOBIG;
		}
	}
	for (i = 0; i < n; i++) {
		if (i > 0) {
			dst[at++] = ':';
		}
		memcpy(dst + at, parts[i], len[i]);
		at += len[i];
	}
	dst[at] = '\0';
	return LK_OK;
}

enum lk_err
util_memlcpy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size) {
		return LK_ETOOBIG;
	}
	if (len > 0 && memchr(src, '\0', len) != NULL) {
		return LK_EINVAL;
	}
	if (len > 0) {
		memcpy(dst, src, len);
	}
	dst[len] = '\0';
	return LK_OK;
}

enum lk_err
util_snprintf(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0) {
		return LK_EINVAL;
	}
	if ((size_t)n >= size) {
		return LK_ETOOBIG;
	}
	return LK_OK;
}

void
util_vmessage(char *dst, size_t size, const char *fmt, va_list ap)
{
	static const char unprintable[] = "(unprintable)";
	int n;

	if (size < 4) {
		if (size > 0) {
			dst[0] = '\0';
		}
		return;
	}
	n = vsnprintf(dst, size, fmt, ap);
	if (n < 0) {
		if (size >= sizeof(unprintable)) {
			memcpy(dst, unprintable, sizeof(unprintable));
		} else {
			memcpy(dst, "?", 2);	/* size is at least 4 */
		}
	} else if ((size_t)n >= size) {
		memcpy(dst + size - 4, "...", 4);
	}
}

void
util_message(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_vmessage(dst, size, fmt, ap);
	va_end(ap);
}

int
util_path_step(const char **pp, const char **sp, const char *end,
    const char **pseg, size_t *plen, const char **seg, size_t *slen)
{
	const char *p = *pp, *q = *sp;

	if (*p != '/' || q >= end || *q != '/') {
		return 0;
	}
	*pseg = ++p;
	while (*p != '\0' && *p != '/') {
		p++;
	}
	*plen = (size_t)(p - *pseg);
	*seg = ++q;
	while (q < end && *q != '/') {
		q++;
	}
	*slen = (size_t)(q - *seg);
	*pp = p;
	*sp = q;
	return 1;
}
