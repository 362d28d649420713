/*
 * test_ratelimit.c: the headers a rate-limit decision produces, the
 * arithmetic of a host's leases and the decision from takes and grants.
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>

#include "ratelimit.h"

static const char *
headers(const struct ratelimit_info *ri, struct lk_buf *b)
{
	buf_init(b, 4096);
	ratelimit_headers(ri, b);
	cr_assert(!buf_failed(b));
	return buf_cstr(b);
}

Test(ratelimit, writes_nothing_for_an_unlimited_request)
{
	struct ratelimit_info ri = { 0 };
	struct lk_buf b;

	cr_assert_str_eq(headers(&ri, &b), "");
	buf_free(&b);
}

Test(ratelimit, describes_both_policies_and_the_tighter_one)
{
	struct ratelimit_info ri = { 1, 1, 60, 59, 1000, 1000, 990, 600, 0 };
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
	struct ratelimit_info ri = { 1, 1, 60, 50, 10000, 1000, 3, 59000, 0 };
	struct lk_buf b;
	const char *h = headers(&ri, &b);

	cr_assert_not_null(strstr(h, "X-RateLimit-Limit: 1000\r\n"));
	cr_assert_not_null(strstr(h, "X-RateLimit-Remaining: 3\r\n"));
	cr_assert_not_null(strstr(h, "X-RateLimit-Reset: 59\r\n"));
	buf_free(&b);
}

Test(ratelimit, adds_retry_after_rounded_up_on_a_refusal)
{
	struct ratelimit_info ri = { 1, 0, 60, 0, 60000, 1000, 900, 6000,
	    1001 };
	struct lk_buf b;
	const char *h = headers(&ri, &b);

	cr_assert_not_null(strstr(h, "Retry-After: 2\r\n"));
	cr_assert_eq(ratelimit_retry_after(&ri), 2);
	buf_free(&b);
}

Test(ratelimit, never_says_retry_after_zero)
{
	struct ratelimit_info ri = { 1, 0, 60, 0, 0, 1000, 0, 0, 0 };

	cr_assert_eq(ratelimit_retry_after(&ri), 1);
	ri.retry_ms = -5;
	cr_assert_eq(ratelimit_retry_after(&ri), 1);
	ri.retry_ms = 1000;
	cr_assert_eq(ratelimit_retry_after(&ri), 1);
}

static struct ratelimit_lease
fresh_lease(void)
{
	struct ratelimit_lease l;

	memset(&l, 0, sizeof(l));
	l.chunk = 1;
	return l;
}

Test(ratelimit, a_fresh_lease_has_no_token_and_asks_for_one)
{
	struct ratelimit_lease l = fresh_lease();
	struct ratelimit_take t;

	ratelimit_lease_take(&l, 600, 1000, &t);
	cr_assert_eq(t.taken, 0);
	cr_assert_eq(t.chunk, 1);
}

Test(ratelimit, a_lease_is_spent_token_by_token_with_what_remains)
{
	struct ratelimit_lease l = fresh_lease();
	struct ratelimit_take t;

	ratelimit_lease_record(&l, 600, 3, 1, 100, 5000, 1000);
	cr_assert_eq(l.tokens, 2);
	ratelimit_lease_take(&l, 600, 1010, &t);
	cr_assert_eq(t.taken, 1);
	cr_assert_eq(t.remaining, 101);
	cr_assert_eq(t.reset_ms, 4990);
	ratelimit_lease_take(&l, 600, 1020, &t);
	cr_assert_eq(t.taken, 1);
	cr_assert_eq(t.remaining, 100);
	ratelimit_lease_take(&l, 600, 1030, &t);
	cr_assert_eq(t.taken, 0);
	/* Spent within a quarter of the lease time: the next is bigger. */
	cr_assert_eq(t.chunk, 2);
}

Test(ratelimit, the_reset_of_a_taken_token_never_goes_below_zero)
{
	struct ratelimit_lease l = fresh_lease();
	struct ratelimit_take t;

	ratelimit_lease_record(&l, 600, 5, 1, 10, 100, 1000);
	ratelimit_lease_take(&l, 600, 1500, &t);
	cr_assert_eq(t.taken, 1);
	cr_assert_eq(t.reset_ms, 0);
}

Test(ratelimit, the_lease_size_doubles_up_to_a_tenth_of_the_limit)
{
	static const struct {
		int	 limit;
		int	 cap;
	} cases[] = {
		{ 5, 1 }, { 60, 6 }, { 600, 60 },
		{ 100000, RATELIMIT_CHUNK_MAX },
	};
	size_t i;
	int k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ratelimit_lease l = fresh_lease();
		struct ratelimit_take t;

		for (k = 0; k < 20; k++) {
			ratelimit_lease_take(&l, cases[i].limit, 1000 + k, &t);
			cr_assert_eq(t.taken, 0);
			ratelimit_lease_record(&l, cases[i].limit, t.chunk,
			    t.chunk, 0, 0, 1000 + k);
		}
		cr_expect_eq(t.chunk, cases[i].cap, "limit %d: chunk %d",
		    cases[i].limit, t.chunk);
	}
}

Test(ratelimit, a_lease_is_void_when_old_from_the_future_or_for_a_new_limit)
{
	static const struct {
		int	 limit;
		int64_t	 now_ms;
	} cases[] = {
		{ 600, 1000 + RATELIMIT_LEASE_MS },	/* just too old */
		{ 600, 999 },				/* before the lease */
		{ 5, 1001 },				/* another limit */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ratelimit_lease l = fresh_lease();
		struct ratelimit_take t;

		ratelimit_lease_record(&l, 600, 10, 1, 0, 0, 1000);
		ratelimit_lease_take(&l, cases[i].limit, cases[i].now_ms, &t);
		cr_expect_eq(t.taken, 0, "case %zu", i);
		cr_expect_eq(l.tokens, 0, "case %zu", i);
	}
	{
		struct ratelimit_lease l = fresh_lease();
		struct ratelimit_take t;

		ratelimit_lease_record(&l, 600, 10, 1, 0, 0, 1000);
		ratelimit_lease_take(&l, 600,
		    1000 + RATELIMIT_LEASE_MS - 1, &t);
		cr_expect_eq(t.taken, 1, "one below the lease time");
	}
}

Test(ratelimit, an_unspent_voided_lease_halves_the_next_one)
{
	struct ratelimit_lease l = fresh_lease();
	struct ratelimit_take t;

	l.chunk = 8;
	ratelimit_lease_record(&l, 600, 8, 1, 0, 0, 1000);
	ratelimit_lease_take(&l, 600, 1000 + RATELIMIT_LEASE_MS, &t);
	cr_assert_eq(t.taken, 0);
	cr_assert_eq(t.chunk, 4);
}

Test(ratelimit, decides_from_two_local_tokens_without_a_grant)
{
	struct ratelimit_take ct = { 1, 0, 41, 900 }, ot = { 1, 0, 7, 300 };
	struct ratelimit_info ri;

	ratelimit_decide(60, &ct, 1000, &ot, NULL, &ri);
	cr_assert_eq(ri.present, 1);
	cr_assert_eq(ri.allowed, 1);
	cr_assert_eq(ri.cred_limit, 60);
	cr_assert_eq(ri.org_limit, 1000);
	cr_assert_eq(ri.cred_remaining, 41);
	cr_assert_eq(ri.cred_reset_ms, 900);
	cr_assert_eq(ri.org_remaining, 7);
	cr_assert_eq(ri.org_reset_ms, 300);
	cr_assert_eq(ri.retry_ms, 0);
}

Test(ratelimit, decides_from_a_grant_counting_the_spent_token_once)
{
	static const struct {
		struct ratelimit_take	 ct, ot;
		struct ratelimit_grant	 g;
		int			 allowed, cred_rem, org_rem;
		int			 cred_reset, org_reset, retry;
	} cases[] = {
		/* Both leased: one token of each is spent now. */
		{ { 0, 4, 0, 0 }, { 0, 2, 0, 0 },
		  { 4, 50, 1000, 2, 900, 2000, 0 },
		  1, 53, 901, 1000, 2000, 0 },
		/* The credential's bucket is empty: refused, none spent. */
		{ { 0, 1, 0, 0 }, { 0, 1, 0, 0 },
		  { 0, 0, 3000, 1, 900, 2000, 3000 },
		  0, 0, 901, 3000, 2000, 3000 },
		/* The org's token was local; the credential's leased. */
		{ { 0, 2, 0, 0 }, { 1, 0, 77, 500 },
		  { 2, 10, 800, 0, 0, 0, 0 },
		  1, 11, 77, 800, 500, 0 },
		/* The credential's token was local; the org refused. */
		{ { 1, 0, 5, 100 }, { 0, 1, 0, 0 },
		  { 0, 0, 0, 0, 0, 4000, 4000 },
		  0, 5, 0, 100, 4000, 4000 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ratelimit_info ri;

		ratelimit_decide(60, &cases[i].ct, 1000, &cases[i].ot,
		    &cases[i].g, &ri);
		cr_expect_eq(ri.present, 1, "case %zu", i);
		cr_expect_eq(ri.allowed, cases[i].allowed, "case %zu", i);
		cr_expect_eq(ri.cred_remaining, cases[i].cred_rem,
		    "case %zu: %d", i, ri.cred_remaining);
		cr_expect_eq(ri.org_remaining, cases[i].org_rem,
		    "case %zu: %d", i, ri.org_remaining);
		cr_expect_eq(ri.cred_reset_ms, cases[i].cred_reset, "case %zu",
		    i);
		cr_expect_eq(ri.org_reset_ms, cases[i].org_reset, "case %zu",
		    i);
		cr_expect_eq(ri.retry_ms, cases[i].retry, "case %zu", i);
	}
}
