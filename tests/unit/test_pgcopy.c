/*
 * test_pgcopy.c: unit tests of the binary COPY encoder (src/lib/pgcopy.c):
 * the exact bytes of the header, the trailer and every field type, uuid
 * text refused, and a field found again in a tuple (cut tuples refused).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "buf.h"
#include "pgcopy.h"

#define OUT_MAX		4096

static void
assert_bytes(const struct lk_buf *b, const char *want, size_t len)
{
	size_t i;

	cr_assert(!buf_failed(b));
	cr_assert_eq(b->len, len, "length %zu, want %zu", b->len, len);
	for (i = 0; i < len; i++) {
		cr_assert_eq((unsigned char)b->p[i], (unsigned char)want[i],
		    "byte %zu: %02x, want %02x", i, (unsigned char)b->p[i],
		    (unsigned char)want[i]);
	}
}

Test(pgcopy, writes_the_header_postgresql_expects)
{
	static const char want[PGCOPY_HEADER_LEN] =
	    "PGCOPY\n\377\r\n\0" "\0\0\0\0" "\0\0\0\0";
	struct lk_buf b;

	buf_init(&b, OUT_MAX);
	pgcopy_header(&b);
	assert_bytes(&b, want, sizeof(want));
	buf_free(&b);
}

Test(pgcopy, writes_the_trailer_as_a_field_count_of_minus_one)
{
	struct lk_buf b;

	buf_init(&b, OUT_MAX);
	pgcopy_trailer(&b);
	assert_bytes(&b, "\377\377", PGCOPY_TRAILER_LEN);
	buf_free(&b);
}

/* Each field writer, its input and the exact bytes it must append. */
enum kind { NUL, TEXT, INT2, INT4, INT8, BOOL, TSTZ, TUPLE };

static const struct {
	const char	*name;
	enum kind	 kind;
	int64_t		 v;
	const char	*s;
	size_t		 slen;
	const char	*want;
	size_t		 len;
} fields[] = {
	{ "null", NUL, 0, NULL, 0, "\377\377\377\377", 4 },
	{ "empty text", TEXT, 0, "", 0, "\0\0\0\0", 4 },
	{ "text", TEXT, 0, "GET", 3, "\0\0\0\3GET", 7 },
	{ "text with UTF-8", TEXT, 0, "\xc3\xa9", 2, "\0\0\0\2\xc3\xa9", 6 },
	{ "int2 200", INT2, 200, NULL, 0, "\0\0\0\2\0\310", 6 },
	{ "int2 -1", INT2, -1, NULL, 0, "\0\0\0\2\377\377", 6 },
	{ "int4 1234567", INT4, 1234567, NULL, 0,
	    "\0\0\0\4\0\022\326\207", 8 },
	{ "int4 minimum", INT4, INT32_MIN, NULL, 0, "\0\0\0\4\200\0\0\0", 8 },
	{ "int8 2^40+1", INT8, (INT64_C(1) << 40) + 1, NULL, 0,
	    "\0\0\0\10\0\0\1\0\0\0\0\1", 12 },
	{ "bool true", BOOL, 7, NULL, 0, "\0\0\0\1\1", 5 },
	{ "bool false", BOOL, 0, NULL, 0, "\0\0\0\1\0", 5 },
	/* 2000-01-01T00:00:00Z is PostgreSQL's zero. */
	{ "timestamptz at PostgreSQL's epoch", TSTZ,
	    INT64_C(946684800000000), NULL, 0,
	    "\0\0\0\10\0\0\0\0\0\0\0\0", 12 },
	/* 2026-01-01T00:00:00.123456Z: 820540800123456 us after it. */
	{ "timestamptz in 2026", TSTZ, INT64_C(1767225600123456), NULL, 0,
	    "\0\0\0\10\0\2\352\107\12\352\102\100", 12 },
	{ "timestamptz before 2000", TSTZ, 0, NULL, 0,
	    "\0\0\0\10\377\374\242\376\304\310\40\0", 12 },
	{ "tuple of 20 fields", TUPLE, 20, NULL, 0, "\0\24", 2 },
};

Test(pgcopy, writes_each_field_exactly)
{
	struct lk_buf b;
	size_t i;

	buf_init(&b, OUT_MAX);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		buf_reset(&b);
		switch (fields[i].kind) {
		case NUL: pgcopy_null(&b); break;
		case TEXT: pgcopy_text(&b, fields[i].s, fields[i].slen); break;
		case INT2: pgcopy_int2(&b, (int16_t)fields[i].v); break;
		case INT4: pgcopy_int4(&b, (int32_t)fields[i].v); break;
		case INT8: pgcopy_int8(&b, fields[i].v); break;
		case BOOL: pgcopy_bool(&b, (int)fields[i].v); break;
		case TSTZ: pgcopy_timestamptz(&b, fields[i].v); break;
		case TUPLE: pgcopy_tuple(&b, (uint16_t)fields[i].v); break;
		}
		cr_log_info("%s", fields[i].name);
		assert_bytes(&b, fields[i].want, fields[i].len);
	}
	buf_free(&b);
}

Test(pgcopy, writes_a_uuid_as_its_sixteen_bytes_in_either_case)
{
	static const char want[] = "\0\0\0\20"
	    "\x6f\x1c\x8c\x1e\x8a\x43\x4d\x42\x9b\x8e\x1d\x1f\x3f\x5b\x2a\x10";
	struct lk_buf b;

	buf_init(&b, OUT_MAX);
	cr_assert_eq(pgcopy_uuid(&b, "6f1c8c1e-8a43-4d42-9b8e-1d1f3f5b2a10"),
	    LK_OK);
	assert_bytes(&b, want, sizeof(want) - 1);
	buf_reset(&b);
	cr_assert_eq(pgcopy_uuid(&b, "6F1C8C1E-8A43-4D42-9B8E-1D1F3F5B2A10"),
	    LK_OK);
	assert_bytes(&b, want, sizeof(want) - 1);
	buf_free(&b);
}

Test(pgcopy, refuses_text_that_is_not_a_uuid_and_appends_nothing)
{
	static const char *const bad[] = {
		"",
		"6f1c8c1e-8a43-4d42-9b8e-1d1f3f5b2a1",		/* short */
		"6f1c8c1e-8a43-4d42-9b8e-1d1f3f5b2a100",	/* long */
		"6f1c8c1e08a43-4d42-9b8e-1d1f3f5b2a10",		/* dash */
		"6f1c8c1e-8a43-4d42-9b8e-1d1f3f5b2a1g",		/* hex */
		"6f1c8c1e8a434d429b8e1d1f3f5b2a10abcd",		/* no dashes */
	};
	struct lk_buf b;
	size_t i;

	buf_init(&b, OUT_MAX);
	cr_assert_eq(pgcopy_uuid(&b, NULL), LK_EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(pgcopy_uuid(&b, bad[i]), LK_EINVAL, "%s", bad[i]);
	}
	cr_assert_eq(b.len, 0);
	buf_free(&b);
}

Test(pgcopy, fails_the_buffer_when_a_tuple_does_not_fit)
{
	struct lk_buf b;

	buf_init(&b, 8);
	pgcopy_tuple(&b, 1);
	pgcopy_text(&b, "0123456789", 10);
	cr_assert(buf_failed(&b));
	buf_free(&b);
}

Test(pgcopy, finds_each_field_of_a_tuple_again)
{
	const char *p = NULL;
	struct lk_buf b;
	int32_t n = 0;

	buf_init(&b, OUT_MAX);
	pgcopy_tuple(&b, 3);
	pgcopy_int4(&b, 5);
	pgcopy_null(&b);
	pgcopy_text(&b, "rid-1", 5);
	cr_assert(!buf_failed(&b));
	cr_assert_eq(pgcopy_field(b.p, b.len, 2, &p, &n), LK_OK);
	cr_assert_eq(n, 5);
	cr_assert_eq(memcmp(p, "rid-1", 5), 0);
	cr_assert_eq(pgcopy_field(b.p, b.len, 1, &p, &n), LK_OK);
	cr_assert_null(p);
	cr_assert_eq(n, -1);
	cr_assert_eq(pgcopy_field(b.p, b.len, 0, &p, &n), LK_OK);
	cr_assert_eq(n, 4);
	cr_assert_eq(pgcopy_field(b.p, b.len, 3, &p, &n), LK_EINVAL);
	buf_free(&b);
}

Test(pgcopy, refuses_to_read_past_a_tuple_cut_short)
{
	const char *p = NULL;
	struct lk_buf b;
	int32_t n = 0;
	size_t len;

	buf_init(&b, OUT_MAX);
	pgcopy_tuple(&b, 2);
	pgcopy_text(&b, "abc", 3);
	pgcopy_text(&b, "rid-1", 5);
	cr_assert(!buf_failed(&b));
	/* Every prefix that stops inside field 1 is refused. */
	for (len = 0; len < b.len; len++) {
		cr_assert_eq(pgcopy_field(b.p, len, 1, &p, &n), LK_EINVAL,
		    "cut at %zu", len);
	}
	cr_assert_eq(pgcopy_field(b.p, b.len, 1, &p, &n), LK_OK);
	/* A length past the end. */
	b.p[2 + 4 + 3 + 3] = 9;
	cr_assert_eq(pgcopy_field(b.p, b.len, 1, &p, &n), LK_EINVAL);
	buf_free(&b);
}
