/*
 * pgcopy.c: PostgreSQL's binary COPY format, written and (one field at a
 * time) read back.  Pure: knows the wire form of a few types, not the
 * tables they go to nor the connection that carries them.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "pgcopy.h"
#include "util.h"

/* PostgreSQL's epoch (2000-01-01 UTC) in microseconds after Unix's. */
#define PG_EPOCH_UNIX_US	INT64_C(946684800000000)

static void
put_be(struct lk_buf *b, uint64_t v, size_t n)
{
	unsigned char o[8];
	size_t i;

	for (i = 0; i < n; i++) {
		o[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
	}
	buf_append(b, o, n);
}

static uint32_t
get_be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
	    (uint32_t)u[2] << 8 | (uint32_t)u[3];
}

void
pgcopy_header(struct lk_buf *b)
{
	static const char sig[11] = "PGCOPY\n\377\r\n";	/* and a NUL */

	buf_append(b, sig, sizeof(sig));
	put_be(b, 0, 4);	/* flags: no OIDs */
	put_be(b, 0, 4);	/* header extension length */
}

void
pgcopy_trailer(struct lk_buf *b)
{
	put_be(b, 0xffff, 2);
}

void
pgcopy_tuple(struct lk_buf *b, uint16_t nfields)
{
	if (nfields > INT16_MAX) {
		b->failed = 1;
		return;
	}
	put_be(b, nfields, 2);
}

void
pgcopy_null(struct lk_buf *b)
{
	put_be(b, 0xffffffffu, 4);
}

void
pgcopy_text(struct lk_buf *b, const char *s, size_t len)
{
	if (len > INT32_MAX) {
		b->failed = 1;
		return;
	}
	put_be(b, len, 4);
	buf_append(b, s, len);
}

void
pgcopy_int2(struct lk_buf *b, int16_t v)
{
	put_be(b, 2, 4);
	put_be(b, (uint16_t)v, 2);
}

void
pgcopy_int4(struct lk_buf *b, int32_t v)
{
	put_be(b, 4, 4);
	put_be(b, (uint32_t)v, 4);
}

void
pgcopy_int8(struct lk_buf *b, int64_t v)
{
	put_be(b, 8, 4);
	put_be(b, (uint64_t)v, 8);
}

void
pgcopy_bool(struct lk_buf *b, int v)
{
	put_be(b, 1, 4);
	put_be(b, v != 0, 1);
}

void
pgcopy_timestamptz(struct lk_buf *b, int64_t unix_us)
{
	/* Years past 294 000 cannot be stored anyway: clamp, never wrap. */
	if (unix_us < INT64_MIN + PG_EPOCH_UNIX_US) {
		unix_us = INT64_MIN + PG_EPOCH_UNIX_US;
	}
	pgcopy_int8(b, unix_us - PG_EPOCH_UNIX_US);
}

/* The field in one append (util_uuid_bytes(): the dashes checked once,
 * the 16 byte pairs at fixed offsets): a history record holds four
 * uuids, and the character-by-character loop took about 2.7k
 * instructions of a GET /v1/me by API key (bench/callgrind). */
enum lk_err
pgcopy_uuid(struct lk_buf *b, const char *text)
{
	unsigned char o[4 + UUID_BIN_LEN] = { 0, 0, 0, UUID_BIN_LEN };

	if (text == NULL || util_uuid_bytes(text, strnlen(text,
	    PGCOPY_UUID_TEXT_LEN + 1), o + 4) != LK_OK) {
		return LK_EINVAL;
	}
	buf_append(b, o, sizeof(o));
	return LK_OK;
}

enum lk_err
pgcopy_field(const char *t, size_t len, unsigned index, const char **p,
    int32_t *flen)
{
	size_t off = 2;
	uint32_t n, nfields, i;

	if (len < 2) {
		return LK_EINVAL;
	}
	nfields = (uint32_t)((unsigned char)t[0] << 8 | (unsigned char)t[1]);
	if (nfields > INT16_MAX || index >= nfields) {
		return LK_EINVAL;
	}
	/* Bounded by nfields, each step checked against len. */
	for (i = 0; i <= index; i++) {
		if (len - off < 4) {
			return LK_EINVAL;
		}
		n = get_be32(t + off);
		off += 4;
		if (n == 0xffffffffu) {
			if (i == index) {
				*p = NULL;
				*flen = -1;
				return LK_OK;
			}
			continue;
		}
		if (n > INT32_MAX || n > len - off) {
			return LK_EINVAL;
		}
		if (i == index) {
			*p = t + off;
			*flen = (int32_t)n;
			return LK_OK;
		}
		off += n;
	}
	return LK_EINVAL;	/* not reached: index < nfields */
}
