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

/* A take as ratelimit_decide() sees it. */
#define TK(taken_, chunk_, remaining_, reset_)				\
	{ .taken = (taken_), .chunk = (chunk_), .remaining = (remaining_), \
	  .reset_ms = (reset_) }

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

Test(ratelimit, sizes_the_largest_lease_from_the_limit)
{
	static const struct {
		int	 limit;
		int	 cap;
	} cases[] = {
		{ 1, 1 }, { 5, 1 }, { 60, 1 }, { 399, 1 }, { 400, 2 },
		{ 600, 3 }, { 6000, 30 }, { 200000, RATELIMIT_CHUNK_MAX },
		{ 1000000000, RATELIMIT_CHUNK_MAX },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(ratelimit_chunk_cap(cases[i].limit),
		    cases[i].cap, "limit %d", cases[i].limit);
	}
}

Test(ratelimit, the_lease_size_doubles_up_to_its_cap)
{
	static const struct {
		int	 limit;
		int	 cap;
	} cases[] = {
		{ 5, 1 }, { 60, 1 }, { 600, 3 }, { 6000, 30 },
		{ 1000000, RATELIMIT_CHUNK_MAX },
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

Test(ratelimit, a_lease_is_owed_back_when_old_or_from_the_future)
{
	static const struct {
		int64_t	 now_ms;
		int	 taken, back;
	} cases[] = {
		{ 1000 + RATELIMIT_LEASE_MS, 0, 9 },	/* just too old */
		{ 999, 0, 9 },				/* before the lease */
		{ 1000 + RATELIMIT_LEASE_MS - 1, 1, 0 },	/* in time */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ratelimit_lease l = fresh_lease();
		struct ratelimit_take t;

		ratelimit_lease_record(&l, 6000, 10, 1, 0, 0, 1000);
		ratelimit_lease_take(&l, 6000, cases[i].now_ms, &t);
		cr_expect_eq(t.taken, cases[i].taken, "case %zu", i);
		cr_expect_eq(t.back, cases[i].back, "case %zu", i);
		if (!t.taken) {
			cr_expect_eq(l.tokens, 0, "case %zu", i);
		}
		/* What is owed is handed over once. */
		ratelimit_lease_take(&l, 6000, cases[i].now_ms, &t);
		cr_expect_eq(t.back, 0, "case %zu", i);
	}
}

Test(ratelimit, a_lease_for_another_limit_is_dropped_not_owed)
{
	struct ratelimit_lease l = fresh_lease();
	struct ratelimit_take t;

	ratelimit_lease_record(&l, 6000, 10, 1, 0, 0, 1000);
	ratelimit_lease_take(&l, 5, 1001, &t);
	cr_assert_eq(t.taken, 0);
	cr_assert_eq(t.back, 0);
	cr_assert_eq(l.tokens, 0);
	cr_assert_eq(t.chunk, 1);
}

Test(ratelimit, an_unspent_lease_halves_the_next_one)
{
	struct ratelimit_lease l = fresh_lease();
	struct ratelimit_take t;

	ratelimit_lease_record(&l, 60000, 8, 1, 0, 0, 1000);
	l.chunk = 8;
	ratelimit_lease_take(&l, 60000, 1000 + RATELIMIT_LEASE_MS, &t);
	cr_assert_eq(t.taken, 0);
	cr_assert_eq(t.chunk, 4);
	cr_assert_eq(t.back, 7);
}

Test(ratelimit, leases_of_concurrent_workers_add_up)
{
	struct ratelimit_lease l = fresh_lease();
	struct ratelimit_take t;
	int k;

	/* Two workers found the lease empty and leased 6 each. */
	ratelimit_lease_record(&l, 6000, 6, 1, 50, 100, 1000);
	ratelimit_lease_record(&l, 6000, 6, 1, 44, 200, 1002);
	cr_assert_eq(l.tokens, 10);
	for (k = 0; k < 10; k++) {
		ratelimit_lease_take(&l, 6000, 1003 + k, &t);
		cr_assert_eq(t.taken, 1, "token %d", k);
	}
	cr_assert_eq(t.remaining, 44);
	ratelimit_lease_take(&l, 6000, 1020, &t);
	cr_assert_eq(t.taken, 0);
}

Test(ratelimit, a_grant_of_nothing_keeps_the_tokens_and_their_age)
{
	struct ratelimit_lease l = fresh_lease();
	struct ratelimit_take t;

	ratelimit_lease_record(&l, 6000, 4, 1, 10, 100, 1000);
	ratelimit_lease_record(&l, 6000, 0, 0, 0, 900, 1500);
	cr_assert_eq(l.tokens, 3);
	/* Still owed back a lease time after the lease, not the look. */
	ratelimit_lease_take(&l, 6000, 1000 + RATELIMIT_LEASE_MS, &t);
	cr_assert_eq(t.taken, 0);
	cr_assert_eq(t.back, 3);
	cr_assert_eq(t.reset_ms, 400);
}

Test(ratelimit, gives_back_a_token_and_what_was_owed)
{
	struct ratelimit_lease l = fresh_lease();
	struct ratelimit_take t;

	ratelimit_lease_record(&l, 6000, 2, 1, 0, 0, 1000);
	ratelimit_lease_take(&l, 6000, 1001, &t);
	cr_assert_eq(t.taken, 1);
	ratelimit_lease_giveback(&l, 1, 0);
	cr_assert_eq(l.tokens, 1);
	/* Owed, handed over, not delivered: owed again. */
	ratelimit_lease_take(&l, 6000, 1000 + RATELIMIT_LEASE_MS, &t);
	cr_assert_eq(t.back, 1);
	ratelimit_lease_giveback(&l, 0, t.back);
	ratelimit_lease_take(&l, 6000, 1000 + RATELIMIT_LEASE_MS + 1, &t);
	cr_assert_eq(t.taken, 0);
	cr_assert_eq(t.back, 1);
}

Test(ratelimit, answers_a_refusal_from_memory_counted_down_to_now)
{
	static const struct {
		int64_t	 now_ms;
		int	 refused, retry, cred_reset, org_reset;
	} cases[] = {
		{ 5000, 1, 1500, 30000, 700 },
		{ 5600, 1, 900, 29400, 100 },
		{ 6000, 1, 500, 29000, 0 },
		{ 6499, 1, 1, 28501, 0 },
		{ 6500, 0, 0, 0, 0 },		/* its retry time */
		{ 4999, 0, 0, 0, 0 },		/* before it was refused */
	};
	struct ratelimit_info ri = { 1, 0, 2, 0, 30000, 1000, 900, 700,
	    1500 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ratelimit_lease l = fresh_lease();
		struct ratelimit_take t;

		ratelimit_lease_record(&l, 2, 0, 0, 0, 30000, 5000);
		ratelimit_lease_refused(&l, 2, &ri, 5000);
		ratelimit_lease_take(&l, 2, cases[i].now_ms, &t);
		cr_expect_eq(t.taken, 0, "case %zu", i);
		cr_expect_eq(t.refused, cases[i].refused, "case %zu", i);
		if (!t.refused) {
			continue;
		}
		cr_expect_eq(t.refusal.allowed, 0, "case %zu", i);
		cr_expect_eq(t.refusal.cred_remaining, 0, "case %zu", i);
		cr_expect_eq(t.refusal.org_remaining, 900, "case %zu", i);
		cr_expect_eq(t.refusal.retry_ms, cases[i].retry, "case %zu",
		    i);
		cr_expect_eq(t.refusal.cred_reset_ms, cases[i].cred_reset,
		    "case %zu", i);
		cr_expect_eq(t.refusal.org_reset_ms, cases[i].org_reset,
		    "case %zu", i);
	}
}

Test(ratelimit, a_refusal_ends_with_a_grant_or_a_new_limit)
{
	struct ratelimit_info ri = { 1, 0, 60, 0, 1000, 1000, 9, 99, 1000 };
	struct ratelimit_lease l = fresh_lease();
	struct ratelimit_take t;

	ratelimit_lease_refused(&l, 60, &ri, 1000);
	ratelimit_lease_record(&l, 60, 1, 1, 0, 1000, 1100);
	ratelimit_lease_take(&l, 60, 1200, &t);
	cr_assert_eq(t.refused, 0);
	ratelimit_lease_refused(&l, 60, &ri, 1300);
	ratelimit_lease_take(&l, 120, 1400, &t);
	cr_assert_eq(t.refused, 0);
}

Test(ratelimit, spends_tokens_held_before_saying_refused)
{
	struct ratelimit_info ri = { 1, 0, 6000, 0, 1000, 1000, 9, 99, 900 };
	struct ratelimit_lease l = fresh_lease();
	struct ratelimit_take t;

	/* Another worker's lease landed after this worker's refusal. */
	ratelimit_lease_refused(&l, 6000, &ri, 1000);
	ratelimit_lease_record(&l, 6000, 2, 0, 0, 1000, 999);
	ratelimit_lease_refused(&l, 6000, &ri, 1000);
	ratelimit_lease_take(&l, 6000, 1001, &t);
	cr_assert_eq(t.taken, 1);
	ratelimit_lease_take(&l, 6000, 1002, &t);
	cr_assert_eq(t.taken, 1);
	ratelimit_lease_take(&l, 6000, 1003, &t);
	cr_assert_eq(t.taken, 0);
	cr_assert_eq(t.refused, 1);
}

Test(ratelimit, an_org_refusal_carries_the_credentials_own_figures)
{
	struct ratelimit_take ct, ot;
	struct ratelimit_info ri;

	memset(&ct, 0, sizeof(ct));
	memset(&ot, 0, sizeof(ot));
	ct.taken = 1;
	ct.remaining = 41;
	ct.reset_ms = 3000;
	ot.refused = 1;
	ot.refusal = (struct ratelimit_info){ 1, 0, 5, 0, 60000, 1000, 0,
	    2000, 2000 };
	ratelimit_refused_by_org(60, &ct, &ot, &ri);
	cr_assert_eq(ri.present, 1);
	cr_assert_eq(ri.allowed, 0);
	cr_assert_eq(ri.cred_limit, 60);
	cr_assert_eq(ri.cred_remaining, 42);	/* its token went back */
	cr_assert_eq(ri.cred_reset_ms, 3000);
	cr_assert_eq(ri.org_limit, 1000);
	cr_assert_eq(ri.org_remaining, 0);
	cr_assert_eq(ri.retry_ms, 2000);
}

/*
 * The burst: H hosts of W workers each share one bucket of limit L,
 * modelled as sql/032 grants (a lease only while RESERVE leases' worth
 * remain, else one token), with no refill, as in a burst shorter than
 * one emission interval.  In each round every worker with a request
 * takes locally at once; those that found nothing ask the bucket one
 * after another, and all record their grants only after every ask (the
 * worst interleaving).  L requests must all be served, within 2 %.
 */
static int
bucket_grant(int *avail, int n)
{
	int g;

	if (n > 1 && *avail < n * RATELIMIT_LEASE_RESERVE) {
		n = 1;
	}
	g = n < *avail ? n : *avail;
	*avail -= g;
	return g;
}

static int
burst(int limit, int hosts, int workers)
{
	struct ratelimit_lease lease[4];
	int avail = limit, left = limit, served = 0, granted[64], want[64];
	int64_t now = 1000;
	int h, w, n = hosts * workers, round;

	cr_assert(hosts <= 4 && n <= 64);
	for (h = 0; h < hosts; h++) {
		lease[h] = fresh_lease();
	}
	for (round = 0; left > 0 && round < 100000; round++, now++) {
		for (w = 0; w < n && left > 0; w++) {
			struct ratelimit_take t;

			left--;
			want[w] = 0;
			ratelimit_lease_take(&lease[w / workers], limit, now,
			    &t);
			if (t.taken) {
				served++;
			} else {
				want[w] = t.chunk;
			}
		}
		for (w = 0; w < n; w++) {
			granted[w] = want[w] > 0 ? bucket_grant(&avail,
			    want[w]) : -1;
		}
		for (w = 0; w < n; w++) {
			if (granted[w] < 0) {
				continue;
			}
			served += granted[w] > 0;
			ratelimit_lease_record(&lease[w / workers], limit,
			    granted[w], granted[w] > 0, avail, 0, now);
		}
		for (w = 0; w < n; w++) {
			want[w] = 0;
		}
	}
	return served;
}

Test(ratelimit, a_burst_of_the_limit_is_served_within_two_percent)
{
	static const struct {
		int	 limit, hosts, workers;
	} cases[] = {
		{ 60, 1, 4 }, { 60, 2, 4 }, { 600, 1, 4 }, { 600, 2, 4 },
		{ 600, 2, 8 }, { 6000, 2, 4 }, { 60000, 2, 8 },
		{ 1000, 1, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int served = burst(cases[i].limit, cases[i].hosts,
		    cases[i].workers);

		cr_expect_leq(served, cases[i].limit, "case %zu", i);
		cr_expect_geq(served * 100, cases[i].limit * 98,
		    "limit %d, %d hosts of %d workers: %d served",
		    cases[i].limit, cases[i].hosts, cases[i].workers, served);
	}
}

Test(ratelimit, decides_from_two_local_tokens_without_a_grant)
{
	struct ratelimit_take ct = TK(1, 0, 41, 900), ot = TK(1, 0, 7, 300);
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
		{ TK(0, 4, 0, 0), TK(0, 2, 0, 0),
		  { 4, 50, 1000, 2, 900, 2000, 0 },
		  1, 53, 901, 1000, 2000, 0 },
		/* The credential's bucket is empty: refused, none spent. */
		{ TK(0, 1, 0, 0), TK(0, 1, 0, 0),
		  { 0, 0, 3000, 1, 900, 2000, 3000 },
		  0, 0, 901, 3000, 2000, 3000 },
		/* The org's token was local; the credential's leased. */
		{ TK(0, 2, 0, 0), TK(1, 0, 77, 500),
		  { 2, 10, 800, 0, 0, 0, 0 },
		  1, 11, 77, 800, 500, 0 },
		/* The credential's token was local; the org refused. */
		{ TK(1, 0, 5, 100), TK(0, 1, 0, 0),
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

Test(ratelimit, a_host_only_bucket_gives_a_burst_of_its_limit_then_refills)
{
	static const struct {
		int	 limit;
		int	 burst;		/* tokens at one instant */
		int	 retry_ms;	/* then, until the next */
	} cases[] = {
		{ 1, 1, 60000 }, { 30, 30, 2000 }, { 60, 60, 1000 },
		{ 0, 1, 60000 },	/* a limit below 1 counts as 1 */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t tat = 0;
		int k, retry = -1;

		for (k = 0; k < cases[i].burst; k++) {
			cr_assert_eq(ratelimit_local(&tat, cases[i].limit,
			    100000, 1, &retry), 1, "case %zu: token %d", i, k);
			cr_assert_eq(retry, 0);
		}
		cr_expect_eq(ratelimit_local(&tat, cases[i].limit, 100000, 1,
		    &retry), 0, "case %zu", i);
		cr_expect_eq(retry, cases[i].retry_ms, "case %zu: %d", i,
		    retry);
		/* Looking does not spend; the refill comes on time. */
		cr_expect_eq(ratelimit_local(&tat, cases[i].limit,
		    100000 + cases[i].retry_ms - 1, 0, &retry), 0,
		    "case %zu", i);
		cr_expect_eq(retry, 1, "case %zu", i);
		cr_expect_eq(ratelimit_local(&tat, cases[i].limit,
		    100000 + cases[i].retry_ms, 0, &retry), 1, "case %zu", i);
		cr_expect_eq(ratelimit_local(&tat, cases[i].limit,
		    100000 + cases[i].retry_ms, 1, &retry), 1, "case %zu", i);
		cr_expect_eq(ratelimit_local(&tat, cases[i].limit,
		    100000 + cases[i].retry_ms, 1, &retry), 0, "case %zu", i);
	}
}
