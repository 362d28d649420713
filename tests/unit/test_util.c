/*
 * test_util.c: unit tests of the checked number parser, the UUID shape
 * check, RFC 3339 formatting and parsing, the truncation-checking copies
 * and the named limits.  Table-driven.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "util.h"

#define T_MIN	(-62167219200LL)	/* 0000-01-01T00:00:00Z */
#define T_MAX	253402300799LL		/* 9999-12-31T23:59:59Z */

Test(util, parse_long_accepts_decimal_integers_in_range)
{
	static const struct {
		const char	*s;
		long		 min;
		long		 max;
		long		 want;
	} cases[] = {
		{ "0", 0, 10, 0 },
		{ "7", 0, 10, 7 },
		{ "-0", 0, 10, 0 },
		{ "-5", -10, 10, -5 },
		{ "007", 0, 10, 7 },
		{ "1", 1, 65535, 1 },			/* min */
		{ "65535", 1, 65535, 65535 },		/* max */
		{ "9223372036854775807", LONG_MIN, LONG_MAX, LONG_MAX },
		{ "-9223372036854775808", LONG_MIN, LONG_MAX, LONG_MIN },
		/* 32 characters, the longest accepted. */
		{ "00000000000000000000000000000042", 0, 100, 42 },
	};
	size_t i;
	long v;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 12345;
		cr_expect_eq(util_parse_long(cases[i].s, strlen(cases[i].s),
		    cases[i].min, cases[i].max, &v), LK_OK, "\"%s\"",
		    cases[i].s);
		cr_expect_eq(v, cases[i].want, "\"%s\" gave %ld", cases[i].s,
		    v);
	}
}

Test(util, parse_long_refuses_anything_else_and_leaves_out_alone)
{
	static const struct {
		const char	*s;
		long		 min;
		long		 max;
	} cases[] = {
		{ "", 0, 10 },
		{ "-", -10, 10 },
		{ "+1", 0, 10 },
		{ "--1", -10, 10 },
		{ " 1", 0, 10 },
		{ "1 ", 0, 10 },
		{ "\t1", 0, 10 },
		{ "1\n", 0, 10 },
		{ "1a", 0, 10 },
		{ "a1", 0, 10 },
		{ "0x10", 0, 100 },
		{ "1.0", 0, 10 },
		{ "1e2", 0, 1000 },
		{ "- 1", -10, 10 },
		{ "0", 1, 65535 },			/* one below min */
		{ "65536", 1, 65535 },			/* one past max */
		{ "-11", -10, 10 },
		{ "9223372036854775808", LONG_MIN, LONG_MAX },	/* overflow */
		{ "-9223372036854775809", LONG_MIN, LONG_MAX },
		{ "99999999999999999999999999999999", LONG_MIN, LONG_MAX },
		/* 33 characters, over the length limit. */
		{ "000000000000000000000000000000042", 0, 100 },
	};
	size_t i;
	long v;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 12345;
		cr_expect_eq(util_parse_long(cases[i].s, strlen(cases[i].s),
		    cases[i].min, cases[i].max, &v), LK_EINVAL,
		    "\"%s\" accepted", cases[i].s);
		cr_expect_eq(v, 12345, "\"%s\" touched out", cases[i].s);
	}
}

Test(util, parse_long_reads_exactly_len_bytes)
{
	long v = 0;

	cr_expect_eq(util_parse_long("123abc", 3, 0, 1000, &v), LK_OK);
	cr_expect_eq(v, 123);
	cr_expect_eq(util_parse_long("123abc", 4, 0, 1000, &v), LK_EINVAL);
	cr_expect_eq(util_parse_long("123", 0, 0, 1000, &v), LK_EINVAL);
	/* An embedded NUL is not the end of the number. */
	cr_expect_eq(util_parse_long("5\0", 2, 0, 10, &v), LK_EINVAL);
	cr_expect_eq(util_parse_long("5\0" "1", 3, 0, 100, &v), LK_EINVAL);
}

Test(util, uuid_valid_accepts_the_8_4_4_4_12_hex_form)
{
	static const char *const good[] = {
		"123e4567-e89b-12d3-a456-426614174000",
		"123E4567-E89B-12D3-A456-426614174000",
		"00000000-0000-0000-0000-000000000000",
		"ffffffff-ffff-ffff-ffff-ffffffffffff",
		"AbCdEf01-2345-6789-aBcD-eF0123456789",
	};
	static const char *const bad[] = {
		"",
		"123e4567-e89b-12d3-a456-42661417400",		/* 35 */
		"123e4567-e89b-12d3-a456-4266141740000",	/* 37 */
		"123e4567e89b12d3a456426614174000",		/* no dashes */
		"123e4567-e89b-12d3-a4564-26614174000",		/* moved */
		"123e456-7e89b-12d3-a456-426614174000",
		"123e4567-e89b-12d3-a456_426614174000",
		"123e4567--89b-12d3-a456-426614174000",
		"g23e4567-e89b-12d3-a456-426614174000",		/* non-hex */
		"123e4567-e89b-12d3-a456-42661417400z",
		"123e4567-e89b-12d3-a456-42661417400 ",
		"{23e4567-e89b-12d3-a456-426614174000",
		"------------------------------------",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_expect(util_uuid_valid(good[i], strlen(good[i])), "%s",
		    good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect(!util_uuid_valid(bad[i], strlen(bad[i])), "\"%s\"",
		    bad[i]);
	}
}

Test(util, uuid_valid_checks_len_not_the_nul)
{
	static const char s[] = "123e4567-e89b-12d3-a456-426614174000xyz";
	static const char nul[] = "123e4567-e89b-12d3-a456-42661417400\0";

	cr_expect(util_uuid_valid(s, UUID_LEN));
	cr_expect(!util_uuid_valid(s, UUID_LEN + 1));
	cr_expect(!util_uuid_valid(nul, UUID_LEN));
}

/* Timestamps that format and parse back to themselves. */
static const struct {
	int64_t		 t;
	const char	*s;
} round_trips[] = {
	{ 0, "1970-01-01T00:00:00Z" },
	{ 1, "1970-01-01T00:00:01Z" },
	{ -1, "1969-12-31T23:59:59Z" },
	{ 86399, "1970-01-01T23:59:59Z" },
	{ 86400, "1970-01-02T00:00:00Z" },
	{ 951782400, "2000-02-29T00:00:00Z" },	/* leap day, 400 rule */
	{ 1709208000, "2024-02-29T12:00:00Z" },
	{ 1767323045, "2026-01-02T03:04:05Z" },
	{ 2147483647, "2038-01-19T03:14:07Z" },
	{ 2147483648LL, "2038-01-19T03:14:08Z" },
	{ 4107542399LL, "2100-02-28T23:59:59Z" },	/* 2100: no leap day */
	{ 4107542400LL, "2100-03-01T00:00:00Z" },
	{ T_MAX, "9999-12-31T23:59:59Z" },
	{ T_MIN, "0000-01-01T00:00:00Z" },
};

Test(util, time_format_and_parse_round_trip)
{
	char out[RFC3339_LEN + 1];
	int64_t t;
	size_t i;

	for (i = 0; i < sizeof(round_trips) / sizeof(round_trips[0]); i++) {
		memset(out, 'x', sizeof(out));
		cr_expect_eq(util_time_format(round_trips[i].t, out), LK_OK,
		    "%lld", (long long)round_trips[i].t);
		cr_expect_str_eq(out, round_trips[i].s);
		t = 42;
		cr_expect_eq(util_time_parse(round_trips[i].s,
		    strlen(round_trips[i].s), &t), LK_OK, "%s",
		    round_trips[i].s);
		cr_expect_eq(t, round_trips[i].t, "%s gave %lld",
		    round_trips[i].s, (long long)t);
	}
}

Test(util, time_format_refuses_years_outside_0000_to_9999)
{
	char out[RFC3339_LEN + 1] = "untouched";

	cr_expect_eq(util_time_format(T_MAX + 1, out), LK_EINVAL);
	cr_expect_eq(util_time_format(T_MIN - 1, out), LK_EINVAL);
	cr_expect_eq(util_time_format(INT64_MAX, out), LK_EINVAL);
	cr_expect_eq(util_time_format(INT64_MIN, out), LK_EINVAL);
	cr_expect_str_eq(out, "untouched");
}

Test(util, time_parse_accepts_offsets_fractions_and_lower_case)
{
	static const struct {
		const char	*s;
		int64_t		 t;
	} cases[] = {
		{ "2026-01-02T05:04:05+02:00", 1767323045 },
		{ "2026-01-01T22:04:05-05:00", 1767323045 },
		{ "2026-01-02T03:04:05+00:00", 1767323045 },
		{ "2026-01-02T03:04:05-00:00", 1767323045 },
		{ "2026-01-02T08:34:05+05:30", 1767323045 },
		{ "2026-01-03T02:03:05+22:59", 1767323045 },
		{ "2026-01-02T03:04:05.5Z", 1767323045 },
		{ "2026-01-02T03:04:05.999999999Z", 1767323045 },
		{ "2026-01-02T05:04:05.123+02:00", 1767323045 },
		{ "2026-01-02t03:04:05z", 1767323045 },
		/* A leap second counts as the second before it. */
		{ "2016-12-31T23:59:60Z", 1483228799 },
		/* Offsets may take a time past the formatting range. */
		{ "9999-12-31T23:59:59-01:00", T_MAX + 3600 },
		{ "0000-01-01T00:00:00+01:00", T_MIN - 3600 },
		{ "1970-01-01T01:00:00+01:00", 0 },
	};
	size_t i;
	int64_t t;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = 42;
		cr_expect_eq(util_time_parse(cases[i].s, strlen(cases[i].s),
		    &t), LK_OK, "%s", cases[i].s);
		cr_expect_eq(t, cases[i].t, "%s gave %lld", cases[i].s,
		    (long long)t);
	}
}

Test(util, time_parse_checks_the_calendar)
{
	static const struct {
		const char	*s;
		enum lk_err	 want;
	} cases[] = {
		{ "2024-02-29T00:00:00Z", LK_OK },	/* divisible by 4 */
		{ "2000-02-29T00:00:00Z", LK_OK },	/* by 400 */
		{ "2023-02-29T00:00:00Z", LK_EINVAL },
		{ "1900-02-29T00:00:00Z", LK_EINVAL },	/* by 100 only */
		{ "2100-02-29T00:00:00Z", LK_EINVAL },
		{ "2023-02-28T00:00:00Z", LK_OK },
		{ "2024-02-30T00:00:00Z", LK_EINVAL },
		{ "2026-04-30T00:00:00Z", LK_OK },
		{ "2026-04-31T00:00:00Z", LK_EINVAL },
		{ "2026-12-31T00:00:00Z", LK_OK },
		{ "2026-12-32T00:00:00Z", LK_EINVAL },
		{ "2026-01-00T00:00:00Z", LK_EINVAL },
		{ "2026-00-01T00:00:00Z", LK_EINVAL },
		{ "2026-13-01T00:00:00Z", LK_EINVAL },
		{ "2026-01-01T23:59:59Z", LK_OK },
		{ "2026-01-01T24:00:00Z", LK_EINVAL },
		{ "2026-01-01T00:60:00Z", LK_EINVAL },
		{ "2026-01-01T00:00:61Z", LK_EINVAL },
		{ "2026-01-01T00:00:00+23:59", LK_OK },
		{ "2026-01-01T00:00:00+24:00", LK_EINVAL },
		{ "2026-01-01T00:00:00+02:60", LK_EINVAL },
	};
	size_t i;
	int64_t t;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(util_time_parse(cases[i].s, strlen(cases[i].s),
		    &t), cases[i].want, "%s", cases[i].s);
	}
}

Test(util, time_parse_refuses_bad_shapes_and_leaves_out_alone)
{
	static const char *const bad[] = {
		"",
		"2026",
		"2026-01-02",
		"2026-01-02T03:04",
		"2026-01-02T03:04:05",			/* no zone */
		"2026-01-02 03:04:05Z",			/* space for T */
		"2026-01-02T03:04:05ZZ",
		"2026-01-02T03:04:05Z ",
		" 2026-01-02T03:04:05Z",
		"2026-1-02T03:04:05Z",
		"2026-01-2T03:04:05Z",
		"26-01-02T03:04:05Z",
		"+2026-01-02T03:04:05Z",
		"-2026-01-02T03:04:05Z",
		"10000-01-01T00:00:00Z",		/* five-digit year */
		"2026/01/02T03:04:05Z",
		"2026-01-02T03.04.05Z",
		"2026-01-02T03:04:05.Z",		/* empty fraction */
		"2026-01-02T03:04:05,5Z",
		"2026-01-02T03:04:05+0200",
		"2026-01-02T03:04:05+02",
		"2026-01-02T03:04:05+2:00",
		"2026-01-02T03:04:05+02:00Z",
		"2026-01-02T03:04:05UTC",
		"2026-01-02T03:04:05 +02:00",
		"2026-0a-02T03:04:05Z",
		"2026-01-02T03:04:-5Z",
	};
	size_t i;
	int64_t t;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		cr_expect_eq(util_time_parse(bad[i], strlen(bad[i]), &t),
		    LK_EINVAL, "\"%s\" accepted", bad[i]);
		cr_expect_eq(t, 42, "\"%s\" touched out", bad[i]);
	}
}

Test(util, time_parse_reads_exactly_len_bytes)
{
	static const char s[] = "2026-01-02T03:04:05Zjunk";
	static const char nul[] = "2026-01-02T03:04:05Z\0";
	int64_t t;

	cr_expect_eq(util_time_parse(s, RFC3339_LEN, &t), LK_OK);
	cr_expect_eq(t, 1767323045);
	cr_expect_eq(util_time_parse(s, RFC3339_LEN - 1, &t), LK_EINVAL);
	cr_expect_eq(util_time_parse(s, RFC3339_LEN + 1, &t), LK_EINVAL);
	cr_expect_eq(util_time_parse(nul, sizeof(nul) - 1, &t), LK_EINVAL);
	/* A NUL where a separator belongs. */
	cr_expect_eq(util_time_parse("2026-01-02\0" "03:04:05Z", RFC3339_LEN,
	    &t), LK_EINVAL);
}

Test(util, email_valid_accepts_plain_addresses)
{
	static const char *const good[] = {
		"a@b.c",
		"alice@example.com",
		"Alice.Smith+tag@Sub.Example.ORG",
		"x_y-z@xn--bcher-kva.example",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_expect(util_email_valid(good[i]), "%s", good[i]);
	}
}

Test(util, email_valid_refuses_other_shapes)
{
	static const char *const bad[] = {
		"",
		"a@",
		"@b.c",
		"ab",
		"a@b",				/* no dot in the domain */
		"a@.com",
		"a@b.",
		"a@@b.c",
		"a@b@c.d",
		"a b@c.d",
		" a@b.c",
		"a@b.c ",
		"a\t@b.c",
		"a@b.c\n",
		"a\x7f@b.c",
		"alice.example.com",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect(!util_email_valid(bad[i]), "\"%s\" accepted", bad[i]);
	}
}

Test(util, email_valid_bounds_the_length_at_254)
{
	char s[300];

	/* "a@" + 248 x "b" + ".com" is 254 bytes. */
	s[0] = 'a';
	s[1] = '@';
	memset(s + 2, 'b', 248);
	memcpy(s + 250, ".com", 5);
	cr_expect_eq(strlen(s), (size_t)254);
	cr_expect(util_email_valid(s));
	memmove(s + 3, s + 2, 253);
	s[2] = 'b';
	cr_expect_eq(strlen(s), (size_t)255);
	cr_expect(!util_email_valid(s));
}

Test(util, uuid_v4_is_a_valid_version_4_uuid)
{
	char a[UUID_LEN + 1], b[UUID_LEN + 1];

	cr_assert_eq(util_uuid_v4(a), LK_OK);
	cr_assert_eq(util_uuid_v4(b), LK_OK);
	cr_expect_eq(strlen(a), (size_t)UUID_LEN);
	cr_expect(util_uuid_valid(a, strlen(a)), "%s", a);
	cr_expect_eq(a[14], '4', "%s", a);
	cr_expect(strchr("89ab", a[19]) != NULL, "%s", a);
	cr_expect_str_neq(a, b);
	/* Lower case, as PostgreSQL prints a uuid. */
	cr_expect(strpbrk(a, "ABCDEF") == NULL, "%s", a);
}

Test(util, uuid_v7_starts_with_its_milliseconds_and_sorts_by_them)
{
	static const struct {
		int64_t		 ms;
		const char	*prefix;	/* the first 13 characters */
	} cases[] = {
		{ 0, "00000000-0000" },
		{ -5, "00000000-0000" },
		{ 1767225600123LL, "019b76da-a87b" },
		{ 0xffffffffffffLL, "ffffffff-ffff" },
		{ 0x1000000000000LL, "ffffffff-ffff" },
	};
	char a[UUID_LEN + 1], b[UUID_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(util_uuid_v7(cases[i].ms, a), LK_OK);
		cr_expect(util_uuid_valid(a, strlen(a)), "%s", a);
		cr_expect_eq(strncmp(a, cases[i].prefix, 13), 0, "%s", a);
		cr_expect_eq(a[14], '7', "%s", a);
		cr_expect(strchr("89ab", a[19]) != NULL, "%s", a);
		cr_expect(strpbrk(a, "ABCDEF") == NULL, "%s", a);
	}
	cr_assert_eq(util_uuid_v7(1767225600123LL, a), LK_OK);
	cr_assert_eq(util_uuid_v7(1767225600124LL, b), LK_OK);
	cr_expect_lt(strcmp(a, b), 0, "%s %s", a, b);
	cr_assert_eq(util_uuid_v7(1767225600123LL, b), LK_OK);
	cr_expect_str_neq(a, b);
}

Test(util, url_decode_turns_plus_into_space_and_escapes_into_bytes)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "", "" },
		{ "abc", "abc" },
		{ "a+b", "a b" },
		{ "%41%62%2b", "Ab+" },
		{ "%7e%7E", "~~" },
		{ "%c3%a9", "\xc3\xa9" },
		{ "100%25", "100%" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[32];
		size_t n = 99;

		cr_assert_eq(util_url_decode(cases[i].in, strlen(cases[i].in),
		    out, &n), LK_OK, "%s", cases[i].in);
		cr_assert_str_eq(out, cases[i].want, "%s", cases[i].in);
		cr_assert_eq(n, strlen(cases[i].want), "%s", cases[i].in);
	}
}

Test(util, url_decode_refuses_bad_escapes_and_nul_and_leaves_outlen_alone)
{
	static const char *const cases[] = {
		"%", "%4", "a%4", "%zz", "%4g", "%g4", "%00", "a%00b", "x%",
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[32];
		size_t n = 99;

		cr_assert_eq(util_url_decode(cases[i], strlen(cases[i]), out,
		    &n), LK_EINVAL, "%s", cases[i]);
		cr_assert_eq(n, 99, "%s", cases[i]);
	}
}

Test(util, url_decode_reads_exactly_len_bytes)
{
	char out[8];
	size_t n = 0;

	/* The escape is cut by len: "%4" is truncated, not "%41". */
	cr_assert_eq(util_url_decode("a%41", 3, out, &n), LK_EINVAL);
	cr_assert_eq(util_url_decode("a%41", 4, out, &n), LK_OK);
	cr_assert_str_eq(out, "aA");
	cr_assert_eq(n, 2);
}

Test(util, limits_quote_their_numbers_in_messages)
{
	cr_expect_str_eq(LK_XSTR(PASSWORD_MAX_LEN), "72");
	cr_expect_str_eq(LK_XSTR(EMAIL_MAX_LEN), "254");
	cr_expect_eq(UUID_SIZE, 37);
	cr_expect_eq(APIKEY_MODE_SIZE, sizeof("live"));
	cr_expect_eq(KEY_GRACE_MAX, 604800L);
}

Test(util, strlcpy_copies_at_zero_and_up_to_one_below_the_size)
{
	static const struct {
		const char	*src;
		size_t		 size;
		enum lk_err	 want;
	} cases[] = {
		{ "", 1, LK_OK },
		{ "abc", 4, LK_OK },
		{ "abc", 8, LK_OK },
		{ "abcd", 4, LK_ETOOBIG },	/* one past: no room for NUL */
		{ "abcdefgh", 4, LK_ETOOBIG },
		{ "", 0, LK_ETOOBIG },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dst[8];
		enum lk_err e;

		memset(dst, 'x', sizeof(dst));
		e = util_strlcpy(dst, cases[i].src, cases[i].size);
		cr_expect_eq(e, cases[i].want, "case %zu: %d", i, (int)e);
		if (cases[i].want == LK_OK) {
			cr_expect_str_eq(dst, cases[i].src, "case %zu", i);
		} else {
			cr_expect_eq(dst[0], 'x', "case %zu: dst touched", i);
		}
	}
}

Test(util, strlcpy_reads_no_further_than_the_size)
{
	const char unterminated[4] = { 'a', 'b', 'c', 'd' };
	char dst[4] = "zz";

	cr_expect_eq(util_strlcpy(dst, unterminated, sizeof(dst)),
	    LK_ETOOBIG);
	cr_expect_str_eq(dst, "zz");
}

Test(util, memlcpy_terminates_and_refuses_nul_and_overlong_input)
{
	char dst[4] = "zz";

	cr_expect_eq(util_memlcpy(dst, sizeof(dst), "abcdef", 3), LK_OK);
	cr_expect_str_eq(dst, "abc");
	cr_expect_eq(util_memlcpy(dst, sizeof(dst), NULL, 0), LK_OK);
	cr_expect_str_eq(dst, "");
	memcpy(dst, "zz", 3);
	cr_expect_eq(util_memlcpy(dst, sizeof(dst), "abcd", 4), LK_ETOOBIG);
	cr_expect_eq(util_memlcpy(dst, sizeof(dst), "a\0b", 3), LK_EINVAL);
	cr_expect_eq(util_memlcpy(dst, 0, "", 0), LK_ETOOBIG);
	cr_expect_str_eq(dst, "zz");
}

Test(util, snprintf_reports_truncation_as_too_big)
{
	char dst[6];

	cr_expect_eq(util_snprintf(dst, sizeof(dst), "%s-%d", "ab", 12),
	    LK_OK);
	cr_expect_str_eq(dst, "ab-12");
	cr_expect_eq(util_snprintf(dst, sizeof(dst), "%s-%d", "ab", 123),
	    LK_ETOOBIG);
	cr_expect_eq(util_snprintf(dst, sizeof(dst), "%s", ""), LK_OK);
	cr_expect_str_eq(dst, "");
}

Test(util, message_cuts_visibly_at_the_size_and_not_before)
{
	static const struct {
		const char	*arg;
		size_t		 size;
		const char	*want;
	} cases[] = {
		{ "abc", 8, "x: abc" },
		{ "abcd", 8, "x: abcd" },	/* 7 bytes: fits */
		{ "abcde", 8, "x: a..." },	/* one past: cut */
		{ "", 4, "x: " },
		{ "a", 4, "..." },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dst[16];

		util_message(dst, cases[i].size, "x: %s", cases[i].arg);
		cr_expect_str_eq(dst, cases[i].want, "case %zu", i);
	}
}

Test(util, path_step_moves_over_one_segment_of_pattern_and_path)
{
	const char *pattern = "/v1/{id}", *path = "/v1/abc/x";
	const char *pp = pattern, *sp = path, *end = path + strlen(path);
	const char *pseg, *seg;
	size_t plen, slen;

	cr_assert_eq(util_path_step(&pp, &sp, end, &pseg, &plen, &seg,
	    &slen), 1);
	cr_expect(plen == 2 && memcmp(pseg, "v1", 2) == 0);
	cr_expect(slen == 2 && memcmp(seg, "v1", 2) == 0);
	cr_assert_eq(util_path_step(&pp, &sp, end, &pseg, &plen, &seg,
	    &slen), 1);
	cr_expect(plen == 4 && memcmp(pseg, "{id}", 4) == 0);
	cr_expect(slen == 3 && memcmp(seg, "abc", 3) == 0);
	cr_expect_eq(*pp, '\0');
	/* The pattern has ended: nothing moves. */
	cr_expect_eq(util_path_step(&pp, &sp, end, &pseg, &plen, &seg,
	    &slen), 0);
	cr_expect_str_eq(sp, "/x");
	/* The path has ended, or does not stand at a '/'. */
	pp = "/a";
	sp = end;
	cr_expect_eq(util_path_step(&pp, &sp, end, &pseg, &plen, &seg,
	    &slen), 0);
	sp = "a";
	cr_expect_eq(util_path_step(&pp, &sp, sp + 1, &pseg, &plen, &seg,
	    &slen), 0);
	cr_expect_str_eq(pp, "/a");
}

Test(util, pooled_uuids_are_version_4_and_never_repeat_across_refills)
{
	enum { N = 3 * UTIL_UUID_POOL_N + 5 };
	static char ids[N][UUID_LEN + 1];
	struct util_uuid_pool pool;
	size_t i, j;

	memset(&pool, 0, sizeof(pool));
	for (i = 0; i < N; i++) {
		cr_assert_eq(util_uuid_v4_pooled(&pool, ids[i]), LK_OK);
		cr_assert(util_uuid_valid(ids[i], strlen(ids[i])), "%s",
		    ids[i]);
		cr_assert_eq(ids[i][14], '4', "%s", ids[i]);
		cr_assert(strchr("89ab", ids[i][19]) != NULL, "%s", ids[i]);
		for (j = 0; j < i; j++) {
			cr_assert_str_neq(ids[i], ids[j]);
		}
	}
}

Test(util, join_puts_a_colon_between_the_parts_and_never_truncates)
{
	static const struct {
		const char	*parts[UTIL_JOIN_MAX];
		size_t		 n, size;
		enum lk_err	 want;
		const char	*out;
	} cases[] = {
		{ { "key", "7d3f" }, 2, 16, LK_OK, "key:7d3f" },
		{ { "org", "0b9d", "live" }, 3, 16, LK_OK, "org:0b9d:live" },
		{ { "a" }, 1, 2, LK_OK, "a" },
		{ { "", "" }, 2, 2, LK_OK, ":" },
		/* Exactly full (13 bytes and the NUL), then one short. */
		{ { "org", "0b9d", "live" }, 3, 14, LK_OK, "org:0b9d:live" },
		{ { "org", "0b9d", "live" }, 3, 13, LK_ETOOBIG, NULL },
		{ { "a", "b" }, 2, 0, LK_ETOOBIG, NULL },
		{ { "a" }, 0, 8, LK_ETOOBIG, NULL },
		{ { "a", "b", "c", "d" }, UTIL_JOIN_MAX + 1, 64, LK_ETOOBIG,
		    NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dst[64];

		memset(dst, 'x', sizeof(dst));
		cr_expect_eq(util_join(dst, cases[i].size, cases[i].parts,
		    cases[i].n), cases[i].want, "case %zu", i);
		if (cases[i].out != NULL) {
			cr_expect_str_eq(dst, cases[i].out, "case %zu", i);
		} else {
			cr_expect_eq(dst[0], 'x', "case %zu: dst touched", i);
		}
	}
}

Test(util, uuid_bytes_reads_the_16_bytes_of_either_case_and_nothing_else)
{
	static const unsigned char want[UUID_BIN_LEN] = {
		0x0b, 0x9d, 0x6a, 0x52, 0x2b, 0x1c, 0x4f, 0x47,
		0x9e, 0x0f, 0x5d, 0x0c, 0x4f, 0x6a, 0x1e, 0x11
	};
	static const char *const bad[] = {
		"0b9d6a52-2b1c-4f47-9e0f-5d0c4f6a1e1",	/* short */
		"0b9d6a52-2b1c-4f47-9e0f-5d0c4f6a1e111",	/* long */
		"0b9d6a522-b1c-4f47-9e0f-5d0c4f6a1e11",	/* dash moved */
		"0b9d6a52-2b1c-4f47-9e0f-5d0c4f6a1e1g",	/* not hex */
		"0b9d6a52+2b1c-4f47-9e0f-5d0c4f6a1e11",	/* not a dash */
		"0b9d6a52-2b1c-4f47-9e0f-5d0c4f6a1e\0" "1",	/* a NUL */
	};
	unsigned char out[UUID_BIN_LEN];
	size_t i;

	cr_assert_eq(util_uuid_bytes("0b9d6a52-2b1c-4f47-9e0f-5d0c4f6a1e11",
	    UUID_LEN, out), LK_OK);
	cr_expect_arr_eq(out, want, UUID_BIN_LEN);
	memset(out, 0, sizeof(out));
	cr_assert_eq(util_uuid_bytes("0B9D6A52-2B1C-4F47-9E0F-5D0C4F6A1E11",
	    UUID_LEN, out), LK_OK);
	cr_expect_arr_eq(out, want, UUID_BIN_LEN);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 0x5a, sizeof(out));
		cr_expect_eq(util_uuid_bytes(bad[i], i == 5 ? UUID_LEN :
		    strlen(bad[i]), out), LK_EINVAL, "case %zu", i);
		cr_expect_eq(out[0], 0x5a, "case %zu: out touched", i);
	}
}
