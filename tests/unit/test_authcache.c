/*
 * test_authcache.c: the shared identity cache, the unknown-key cache,
 * rate-limit leases and remembered refusals.
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>

#include "authcache.h"

static struct authcache *c;

static void
setup(void)
{
	c = authcache_create();
	cr_assert_not_null(c);
}

TestSuite(authcache, .init = setup);

static void
id_of(unsigned char id[AUTHCACHE_ID_LEN], int n)
{
	memset(id, 0, AUTHCACHE_ID_LEN);
	id[0] = (unsigned char)n;
	id[31] = (unsigned char)(n >> 8);
}

static struct authcache_ident
ident(const char *key_id)
{
	struct authcache_ident x;

	memset(&x, 0, sizeof(x));
	x.status = AUTHCACHE_VALID;
	memcpy(x.key_id, key_id, strlen(key_id) + 1);
	x.cred_limit = 60;
	return x;
}

Test(authcache, returns_what_was_stored_until_the_ttl)
{
	unsigned char id[AUTHCACHE_ID_LEN];
	struct authcache_ident in = ident("k1"), out;

	id_of(id, 1);
	cr_assert_eq(authcache_get(c, id, 1000, 1000, &out), 0);
	authcache_put(c, id, authcache_epoch(c), 1000, &in);
	cr_assert_eq(authcache_get(c, id, 1500, 1000, &out), 1);
	cr_assert_str_eq(out.key_id, "k1");
	cr_assert_eq(authcache_get(c, id, 1999, 1000, &out), 1);
	cr_assert_eq(authcache_get(c, id, 2000, 1000, &out), 0);
}

Test(authcache, forgets_everything_on_a_flush)
{
	unsigned char id[AUTHCACHE_ID_LEN];
	struct authcache_ident in = ident("k1"), out;
	uint64_t before = authcache_epoch(c);

	id_of(id, 2);
	authcache_put(c, id, before, 1000, &in);
	authcache_flush(c);
	cr_assert_neq(authcache_epoch(c), before);
	cr_assert_eq(authcache_get(c, id, 1001, 1000, &out), 0);
}

Test(authcache, does_not_keep_an_answer_overtaken_by_a_flush)
{
	unsigned char id[AUTHCACHE_ID_LEN];
	struct authcache_ident in = ident("k1"), out;
	uint64_t epoch = authcache_epoch(c);

	id_of(id, 3);
	authcache_flush(c);		/* a revocation while we asked */
	authcache_put(c, id, epoch, 1000, &in);
	cr_assert_eq(authcache_get(c, id, 1001, 1000, &out), 0);
}

Test(authcache, is_disabled_by_a_zero_ttl)
{
	unsigned char id[AUTHCACHE_ID_LEN];
	struct authcache_ident in = ident("k1"), out;

	id_of(id, 4);
	authcache_put(c, id, authcache_epoch(c), 1000, &in);
	cr_assert_eq(authcache_get(c, id, 1000, 0, &out), 0);
}

Test(authcache, keeps_distinct_ids_that_share_a_set)
{
	unsigned char a[AUTHCACHE_ID_LEN], b[AUTHCACHE_ID_LEN];
	struct authcache_ident ia = ident("a"), ib = ident("b"), out;

	id_of(a, 5);
	memcpy(b, a, sizeof(b));
	b[20] = 1;			/* same first 8 bytes: same set */
	authcache_put(c, a, authcache_epoch(c), 1000, &ia);
	authcache_put(c, b, authcache_epoch(c), 1000, &ib);
	cr_assert_eq(authcache_get(c, a, 1001, 1000, &out), 1);
	cr_assert_str_eq(out.key_id, "a");
	cr_assert_eq(authcache_get(c, b, 1001, 1000, &out), 1);
	cr_assert_str_eq(out.key_id, "b");
}

Test(authcache, spends_leased_tokens_then_asks_for_a_lease)
{
	struct ratelimit_take t;

	authcache_take(c, "key:x", 600, 1000, &t);
	cr_assert_eq(t.taken, 0);
	cr_assert_eq(t.chunk, 1);
	authcache_leased(c, "key:x", 600, 3, 1, 100, 5000, 1000);
	authcache_take(c, "key:x", 600, 1010, &t);
	cr_assert_eq(t.taken, 1);
	cr_assert_eq(t.remaining, 101);
	authcache_take(c, "key:x", 600, 1020, &t);
	cr_assert_eq(t.taken, 1);
	cr_assert_eq(t.remaining, 100);
	authcache_take(c, "key:x", 600, 1030, &t);
	cr_assert_eq(t.taken, 0);
	/* Spent within a quarter second: the next lease is bigger. */
	cr_assert_eq(t.chunk, 2);
}

Test(authcache, caps_the_lease_at_a_two_hundredth_of_the_limit)
{
	struct ratelimit_take t;
	int i;

	/* Every lease spent at once: the size doubles up to the cap. */
	for (i = 0; i < 10; i++) {
		authcache_take(c, "key:cap", 6000, 1000 + i, &t);
		cr_assert_eq(t.taken, 0);
		authcache_leased(c, "key:cap", 6000, t.chunk, t.chunk, 0, 0,
		    1000 + i);
	}
	cr_assert_eq(t.chunk, 30);
}

Test(authcache, owes_back_a_lease_after_a_second_and_drops_it_for_a_new_limit)
{
	struct ratelimit_take t;

	authcache_leased(c, "key:old", 600, 10, 1, 0, 0, 1000);
	authcache_take(c, "key:old", 600, 2000, &t);
	cr_assert_eq(t.taken, 0);
	cr_assert_eq(t.back, 9);
	authcache_leased(c, "key:lim", 600, 10, 1, 0, 0, 1000);
	authcache_take(c, "key:lim", 5, 1001, &t);
	cr_assert_eq(t.taken, 0);
	cr_assert_eq(t.back, 0);
}

Test(authcache, answers_a_refused_bucket_from_memory_until_its_retry_time)
{
	struct ratelimit_info ri = { 1, 0, 60, 0, 4000, 1000, 500, 600,
	    3000 };
	struct ratelimit_take t;

	authcache_leased(c, "key:r", 60, 0, 0, 0, 4000, 1000);
	authcache_refused(c, "key:r", 60, &ri, 1000);
	authcache_take(c, "key:r", 60, 2000, &t);
	cr_assert_eq(t.taken, 0);
	cr_assert_eq(t.refused, 1);
	cr_assert_eq(t.refusal.retry_ms, 2000);
	cr_assert_eq(t.refusal.cred_reset_ms, 3000);
	authcache_take(c, "key:r", 60, 4000, &t);
	cr_assert_eq(t.refused, 0);
}

Test(authcache, remembers_unknown_keys_until_a_flush)
{
	unsigned char a[AUTHCACHE_ID_LEN], b[AUTHCACHE_ID_LEN];

	id_of(a, 7);
	id_of(b, 8);
	cr_assert_eq(authcache_unknown(c, a, 1000), 0);
	authcache_put_unknown(c, a, authcache_epoch(c), 1000);
	cr_assert_eq(authcache_unknown(c, a, 1001), 1);
	cr_assert_eq(authcache_unknown(c, b, 1001), 0);
	cr_assert_eq(authcache_unknown(c, a, 1000 + AUTH_UNKNOWN_TTL_MS - 1),
	    1);
	authcache_flush(c);
	cr_assert_eq(authcache_unknown(c, a, 1002), 0);
}

Test(authcache, does_not_remember_an_unknown_key_overtaken_by_a_flush)
{
	unsigned char a[AUTHCACHE_ID_LEN];
	uint64_t epoch = authcache_epoch(c);

	id_of(a, 9);
	authcache_flush(c);
	authcache_put_unknown(c, a, epoch, 1000);
	cr_assert_eq(authcache_unknown(c, a, 1001), 0);
}

Test(authcache, gives_back_an_untaken_token)
{
	struct ratelimit_take t;

	authcache_leased(c, "org:y", 600, 2, 1, 0, 0, 1000);
	authcache_take(c, "org:y", 600, 1001, &t);
	cr_assert_eq(t.taken, 1);
	authcache_take(c, "org:y", 600, 1002, &t);
	cr_assert_eq(t.taken, 0);
	authcache_giveback(c, "org:y", 1, 0);
	authcache_take(c, "org:y", 600, 1003, &t);
	cr_assert_eq(t.taken, 1);
}

Test(authcache, counts_unknown_keys_per_client_address)
{
	int k, retry;

	/* Looking at an address never seen stores nothing and allows. */
	cr_assert_eq(authcache_addr_unknown(c, "192.0.2.1", 3, 1000, 0,
	    &retry), 1);
	for (k = 0; k < 3; k++) {
		cr_assert_eq(authcache_addr_unknown(c, "192.0.2.1", 3, 1000, 1,
		    &retry), 1);
	}
	cr_assert_eq(authcache_addr_unknown(c, "192.0.2.1", 3, 1000, 0,
	    &retry), 0);
	cr_assert_eq(retry, 20000);
	cr_assert_eq(authcache_addr_unknown(c, "192.0.2.2", 3, 1000, 0,
	    &retry), 1);
	cr_assert_eq(authcache_addr_unknown(c, "192.0.2.1", 3, 21000, 0,
	    &retry), 1);
}
