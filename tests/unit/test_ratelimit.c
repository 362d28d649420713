/*
 * test_ratelimit.c: the headers a rate-limit decision produces.
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>

#include "ratelimit.h"

static const char *
headers(const struct rate_info *ri, struct lk_buf *b)
{
	buf_init(b, 4096);
	ratelimit_headers(ri, b);
	cr_assert(!buf_failed(b));
	return buf_cstr(b);
}

Test(ratelimit, writes_nothing_for_an_unlimited_request)
{
	struct rate_info ri = { 0 };
	struct lk_buf b;

	cr_assert_str_eq(headers(&ri, &b), "");
	buf_free(&b);
}

Test(ratelimit, describes_both_policies_and_the_tighter_one)
{
	struct rate_info ri = { 1, 1, 60, 59, 1000, 1000, 990, 600, 0 };
	struct lk_buf b;
	const char *h = headers(&ri, &b);

	cr_assert_not_null(strstr(h, "RateLimit-Policy: \"cred\";q=60;w=60, "
	    "\"org\";q=1000;w=60\r\n"));
	cr_assert_not_null(strstr(h, "RateLimit: \"cred\";r=59;t=1, "
	    "\"org\";r=990;t=1\r\n"));
	cr_assert_not_null(strstr(h, "X-RateLimit-Limit: 60\r\n"));
	cr_assert_not_null(strstr(h, "X-RateLimit-Remaining: 59\r\n"));
	cr_assert_null(strstr(h, "Retry-After"));
	buf_free(&b);
}

Test(ratelimit, reports_the_org_when_it_is_closer_to_refusing)
{
	struct rate_info ri = { 1, 1, 60, 50, 10000, 1000, 3, 59000, 0 };
	struct lk_buf b;
	const char *h = headers(&ri, &b);

	cr_assert_not_null(strstr(h, "X-RateLimit-Limit: 1000\r\n"));
	cr_assert_not_null(strstr(h, "X-RateLimit-Remaining: 3\r\n"));
	cr_assert_not_null(strstr(h, "X-RateLimit-Reset: 59\r\n"));
	buf_free(&b);
}

Test(ratelimit, adds_retry_after_rounded_up_on_a_refusal)
{
	struct rate_info ri = { 1, 0, 60, 0, 60000, 1000, 900, 6000, 1001 };
	struct lk_buf b;
	const char *h = headers(&ri, &b);

	cr_assert_not_null(strstr(h, "Retry-After: 2\r\n"));
	cr_assert_eq(ratelimit_retry_after(&ri), 2);
	buf_free(&b);
}

Test(ratelimit, never_says_retry_after_zero)
{
	struct rate_info ri = { 1, 0, 60, 0, 0, 1000, 0, 0, 0 };

	cr_assert_eq(ratelimit_retry_after(&ri), 1);
	ri.retry_ms = -5;
	cr_assert_eq(ratelimit_retry_after(&ri), 1);
	ri.retry_ms = 1000;
	cr_assert_eq(ratelimit_retry_after(&ri), 1);
}
