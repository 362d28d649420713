/*
 * test_lru.c: the bounded least-recently-used set behind the unknown-key
 * cache: what it remembers, for how long, in which generation, and what
 * it forgets when full.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "lru.h"

static struct lru *l;

static void
setup(void)
{
	l = calloc(1, sizeof(*l));
	cr_assert_not_null(l);
	lru_init(l, LRU_CAP_MAX);
}

static void
teardown(void)
{
	free(l);
}

TestSuite(lru, .init = setup, .fini = teardown);

/* A distinct id per n; ids of n and n + LRU_SLOTS share a slot. */
static const unsigned char *
id_of(unsigned int n)
{
	static unsigned char id[LRU_ID_LEN];

	memset(id, 0xa5, sizeof(id));
	memcpy(id, &n, sizeof(n));
	id[LRU_ID_LEN - 1] = (unsigned char)(n >> 24);
	return id;
}

Test(lru, remembers_an_id_for_less_than_its_ttl)
{
	static const struct {
		int64_t	 now_ms;
		int	 hit;
	} cases[] = {
		{ 1000, 1 }, { 1500, 1 }, { 1999, 1 }, { 2000, 0 },
		{ 999, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lru_init(l, 8);
		lru_put(l, id_of(1), 1000, 1);
		cr_expect_eq(lru_get(l, id_of(1), cases[i].now_ms, 1000, 1),
		    cases[i].hit, "case %zu", i);
	}
}

Test(lru, does_not_know_an_id_it_was_not_given)
{
	lru_put(l, id_of(1), 1000, 1);
	cr_assert_eq(lru_get(l, id_of(2), 1000, 1000, 1), 0);
	cr_assert_eq(lru_get(l, id_of(1 + LRU_SLOTS), 1000, 1000, 1), 0);
}

Test(lru, forgets_an_id_of_another_generation)
{
	lru_put(l, id_of(1), 1000, 1);
	cr_assert_eq(lru_get(l, id_of(1), 1001, 1000, 2), 0);
	/* Dropped, not just hidden. */
	cr_assert_eq(lru_count(l), 0);
	cr_assert_eq(lru_get(l, id_of(1), 1001, 1000, 1), 0);
}

Test(lru, forgets_the_least_recently_used_when_full)
{
	lru_init(l, 3);
	lru_put(l, id_of(1), 1000, 1);
	lru_put(l, id_of(2), 1001, 1);
	lru_put(l, id_of(3), 1002, 1);
	/* 1 is used again, so 2 is now the oldest. */
	cr_assert_eq(lru_get(l, id_of(1), 1003, 1000, 1), 1);
	lru_put(l, id_of(4), 1004, 1);
	cr_assert_eq(lru_count(l), 3);
	cr_assert_eq(lru_get(l, id_of(2), 1005, 1000, 1), 0);
	cr_assert_eq(lru_get(l, id_of(1), 1005, 1000, 1), 1);
	cr_assert_eq(lru_get(l, id_of(3), 1005, 1000, 1), 1);
	cr_assert_eq(lru_get(l, id_of(4), 1005, 1000, 1), 1);
}

Test(lru, storing_an_id_again_renews_it_without_a_second_entry)
{
	lru_put(l, id_of(1), 1000, 1);
	lru_put(l, id_of(1), 1900, 1);
	cr_assert_eq(lru_count(l), 1);
	cr_assert_eq(lru_get(l, id_of(1), 2500, 1000, 1), 1);
}

Test(lru, never_holds_more_than_its_capacity_whatever_it_is_given)
{
	static const uint32_t caps[] = { 1, 2, 7, 64, LRU_CAP_MAX };
	size_t i;
	unsigned int n;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		lru_init(l, caps[i]);
		for (n = 0; n < 3 * LRU_CAP_MAX; n++) {
			lru_put(l, id_of(n), 1000 + n, 1);
			cr_assert_leq(lru_count(l), caps[i]);
		}
		cr_expect_eq(lru_count(l), caps[i], "cap %u", caps[i]);
		/* The most recent ones are the ones kept. */
		for (n = 3 * LRU_CAP_MAX - caps[i]; n < 3 * LRU_CAP_MAX;
		    n++) {
			cr_expect_eq(lru_get(l, id_of(n), 1000 + n, 1000000,
			    1), 1, "cap %u: id %u", caps[i], n);
		}
		cr_expect_eq(lru_get(l, id_of(3 * LRU_CAP_MAX - caps[i] - 1),
		    1000, 1000000, 1), 0, "cap %u", caps[i]);
	}
}

Test(lru, keeps_ids_that_share_a_slot_apart_through_evictions)
{
	unsigned int n;

	lru_init(l, 4);
	for (n = 0; n < 4; n++) {
		lru_put(l, id_of(7 + n * LRU_SLOTS), 1000, 1);
	}
	lru_put(l, id_of(7 + 4 * LRU_SLOTS), 1000, 1);
	cr_assert_eq(lru_get(l, id_of(7), 1000, 1000, 1), 0);
	for (n = 1; n <= 4; n++) {
		cr_expect_eq(lru_get(l, id_of(7 + n * LRU_SLOTS), 1000, 1000,
		    1), 1, "id %u", n);
	}
}

Test(lru, clamps_its_capacity)
{
	lru_init(l, 0);
	cr_assert_eq(l->cap, 1);
	lru_init(l, LRU_CAP_MAX + 1);
	cr_assert_eq(l->cap, LRU_CAP_MAX);
}
