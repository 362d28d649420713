/*
 * test_jsoncheck.c: unit tests of jsoncheck.c, RFC 8259's grammar and
 * nothing more.  Table-driven: each row a text and the answer it gets.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include <criterion/criterion.h>

#include "err.h"
#include "jsoncheck.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

struct row {
	const char	*text;
	enum lk_err	 want;
	size_t		 at;	/* where the error is, when there is one */
};

static void
check(const struct row *rows, size_t n, int depth)
{
	size_t i, at;

	for (i = 0; i < n; i++) {
		enum lk_err e;

		at = 12345;
		e = jsoncheck_strict(rows[i].text, strlen(rows[i].text), depth,
		    &at);
		cr_expect_eq(e, rows[i].want, "%s: got %d, want %d",
		    rows[i].text, e, rows[i].want);
		if (rows[i].want == LK_OK) {
			cr_expect_eq(at, 12345, "%s: *at touched on success",
			    rows[i].text);
		} else {
			cr_expect_eq(at, rows[i].at,
			    "%s: error at %zu, not %zu",
			    rows[i].text, at, rows[i].at);
		}
	}
}

Test(jsoncheck, accepts_every_kind_of_value_as_rfc_8259_writes_it)
{
	static const struct row rows[] = {
		{ "{}", LK_OK, 0 },
		{ " \t\r\n{ } \n", LK_OK, 0 },
		{ "[]", LK_OK, 0 },
		{ "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
		    LK_OK, 0 },
		{ "\"text\"", LK_OK, 0 },
		{ "0", LK_OK, 0 },
		{ "-0.5e+10", LK_OK, 0 },
		{ "12E3", LK_OK, 0 },
		{ "[1.25,-3,4e-2]", LK_OK, 0 },
		{ "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\"",
		    LK_OK, 0 },
		{ "\"caf\xc3\xa9\"", LK_OK, 0 },	/* UTF-8:
							 * sanitize.c's */
		{ "[ 1 , 2 ]", LK_OK, 0 },
	};

	check(rows, NITEMS(rows), 16);
}

Test(jsoncheck, refuses_what_json_c_strict_mode_still_takes)
{
	static const struct row rows[] = {
		{ "{'a':1}", LK_EINVAL, 1 },
		{ "{\"a\":'x'}", LK_EINVAL, 5 },
		{ "[NaN]", LK_EINVAL, 1 },
		{ "[Infinity]", LK_EINVAL, 1 },
		{ "[-Infinity]", LK_EINVAL, 2 },
		{ "\"a\tb\"", LK_EINVAL, 2 },		/* raw control char */
		{ "\"a\nb\"", LK_EINVAL, 2 },
		{ "{\"a\":1,}", LK_EINVAL, 7 },	/* trailing comma */
		{ "[1,]", LK_EINVAL, 3 },
		{ "{\"a\":1}/*c*/", LK_EINVAL, 7 },	/* comment */
		{ "// c\n{}", LK_EINVAL, 0 },
		{ "{a:1}", LK_EINVAL, 1 },		/* bare name */
		{ "[01]", LK_EINVAL, 2 },		/* leading zero */
		{ "[+1]", LK_EINVAL, 1 },
		{ "[.5]", LK_EINVAL, 1 },
		{ "[1.]", LK_EINVAL, 3 },
		{ "[1e]", LK_EINVAL, 3 },
		{ "[0x10]", LK_EINVAL, 2 },
		{ "\"\\x41\"", LK_EINVAL, 2 },	/* no such escape */
		{ "\"\\u12g4\"", LK_EINVAL, 5 },
		{ "[True]", LK_EINVAL, 1 },
		{ "[nul]", LK_EINVAL, 4 },
	};

	check(rows, NITEMS(rows), 16);
}

Test(jsoncheck, refuses_text_that_ends_too_soon_or_goes_on)
{
	static const struct row rows[] = {
		{ "", LK_EINVAL, 0 },
		{ "   ", LK_EINVAL, 3 },
		{ "{", LK_EINVAL, 1 },
		{ "{\"a\"", LK_EINVAL, 4 },
		{ "{\"a\":", LK_EINVAL, 5 },
		{ "[1,", LK_EINVAL, 3 },
		{ "\"open", LK_EINVAL, 5 },
		{ "\"\\", LK_EINVAL, 2 },
		{ "\"\\u12", LK_EINVAL, 5 },
		{ "-", LK_EINVAL, 1 },
		{ "{}{}", LK_EINVAL, 2 },		/* two values */
		{ "{} x", LK_EINVAL, 3 },
		{ "[1 2]", LK_EINVAL, 3 },
		{ "{\"a\" 1}", LK_EINVAL, 5 },
	};

	check(rows, NITEMS(rows), 16);
}

Test(jsoncheck, bounds_the_depth_at_the_limit_and_one_past_it)
{
	static const struct row at_limit[] = {
		{ "[[[]]]", LK_OK, 0 },
		{ "{\"a\":{\"b\":[]}}", LK_OK, 0 },
		{ "[[[[]]]]", LK_ETOOBIG, 3 },
		{ "{\"a\":[{\"b\":[]}]}", LK_ETOOBIG, 11 },
	};

	check(at_limit, NITEMS(at_limit), 3);
}

Test(jsoncheck, survives_a_deep_hostile_body_without_recursing_past_the_limit)
{
	static char deep[100001];
	size_t at = 0;

	memset(deep, '[', sizeof(deep) - 1);
	cr_expect_eq(jsoncheck_strict(deep, sizeof(deep) - 1, 16, &at),
	    LK_ETOOBIG);
	cr_expect_eq(at, 16);
}

Test(jsoncheck, reads_no_byte_past_the_length_it_is_given)
{
	size_t at = 0;

	/* "{}" followed by bytes that are not part of the text. */
	cr_expect_eq(jsoncheck_strict("{}garbage", 2, 16, &at), LK_OK);
	cr_expect_eq(jsoncheck_strict("\"abc\"", 4, 16, &at), LK_EINVAL);
	cr_expect_eq(at, 4);
	cr_expect_eq(jsoncheck_strict("true", 3, 16, &at), LK_EINVAL);
	cr_expect_eq(at, 3);
}
