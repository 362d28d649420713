/*
 * ratelimit.c: rate-limit response headers and the arithmetic of a
 * host's leases.  Pure: must not know where a lease is stored, how it is
 * locked, or how PostgreSQL is asked for one.
 */
#include "config.h"

#include <string.h>

#include "ratelimit.h"

#define CHUNK_FAST_MS	(RATELIMIT_LEASE_MS / 4)

static int
ceil_s(int ms)
{
	if (ms <= 0) {
		return 0;
	}
	return (ms + 999) / 1000;
}

int
ratelimit_retry_after(const struct ratelimit_info *ri)
{
	int s = ceil_s(ri->retry_ms);

	return s < 1 ? 1 : s;
}

void
ratelimit_headers(const struct ratelimit_info *ri, struct lk_buf *out)
{
	int limit, remaining, reset;

	if (!ri->present) {
		return;
	}
	buf_printf(out, "RateLimit-Policy: \"cred\";q=%d;w=%d, "
	    "\"org\";q=%d;w=%d\r\n", ri->cred_limit, RATELIMIT_WINDOW_S,
	    ri->org_limit, RATELIMIT_WINDOW_S);
	buf_printf(out, "RateLimit: \"cred\";r=%d;t=%d, \"org\";r=%d;t=%d\r\n",
	    ri->cred_remaining, ceil_s(ri->cred_reset_ms), ri->org_remaining,
	    ceil_s(ri->org_reset_ms));
	/* The legacy fields describe whichever policy is closer to
	 * refusing. */
	if (ri->org_remaining < ri->cred_remaining) {
		limit = ri->org_limit;
		remaining = ri->org_remaining;
		reset = ceil_s(ri->org_reset_ms);
	} else {
		limit = ri->cred_limit;
		remaining = ri->cred_remaining;
		reset = ceil_s(ri->cred_reset_ms);
	}
	buf_printf(out, "X-RateLimit-Limit: %d\r\nX-RateLimit-Remaining: %d\r\n"
	    "X-RateLimit-Reset: %d\r\n", limit, remaining, reset);
	if (!ri->allowed) {
		buf_printf(out, "Retry-After: %d\r\n",
		    ratelimit_retry_after(ri));
	}
}

static int
chunk_cap(int limit)
{
	int cap = limit / 10;

	if (cap < 1) {
		cap = 1;
	}
	return cap > RATELIMIT_CHUNK_MAX ? RATELIMIT_CHUNK_MAX : cap;
}

void
ratelimit_lease_take(struct ratelimit_lease *l, int limit, int64_t now_ms,
    struct ratelimit_take *t)
{
	int64_t age = now_ms - l->leased_ms;

	memset(t, 0, sizeof(*t));
	t->chunk = 1;
	if (l->limit != limit || age >= RATELIMIT_LEASE_MS || age < 0) {
		/* A changed limit or an old lease: its tokens are void.
		 * Unspent tokens mean the lease was too big. */
		if (l->tokens > 0 && l->chunk > 1) {
			l->chunk /= 2;
		}
		l->tokens = 0;
		l->limit = limit;
	}
	if (l->tokens > 0) {
		l->tokens--;
		t->taken = 1;
		t->remaining = l->pg_remaining + l->tokens;
		/* age is in [0, RATELIMIT_LEASE_MS) here. */
		t->reset_ms = l->pg_reset_ms - (int)age;
		if (t->reset_ms < 0) {
			t->reset_ms = 0;
		}
		return;
	}
	/* Spent fast: lease more next time. */
	if (l->leased_ms != 0 && age < CHUNK_FAST_MS &&
	    l->chunk <= RATELIMIT_CHUNK_MAX) {
		l->chunk *= 2;
	}
	if (l->chunk > chunk_cap(limit)) {
		l->chunk = chunk_cap(limit);
	}
	if (l->chunk < 1) {
		l->chunk = 1;
	}
	t->chunk = l->chunk;
}

void
ratelimit_lease_record(struct ratelimit_lease *l, int limit, int granted,
    int spend, int pg_remaining, int pg_reset_ms, int64_t now_ms)
{
	l->limit = limit;
	l->tokens = granted > spend ? granted - spend : 0;
	l->pg_remaining = pg_remaining;
	l->pg_reset_ms = pg_reset_ms;
	l->leased_ms = now_ms;
}

void
ratelimit_decide(int cl, const struct ratelimit_take *ct, int ol,
    const struct ratelimit_take *ot, const struct ratelimit_grant *g,
    struct ratelimit_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->present = 1;
	ri->cred_limit = cl;
	ri->org_limit = ol;
	if (g == NULL) {
		ri->allowed = ct->taken && ot->taken;
		ri->cred_remaining = ct->remaining;
		ri->cred_reset_ms = ct->reset_ms;
		ri->org_remaining = ot->remaining;
		ri->org_reset_ms = ot->reset_ms;
		return;
	}
	ri->allowed = (ct->taken || g->cred_granted > 0) &&
	    (ot->taken || g->org_granted > 0);
	ri->retry_ms = (int)g->retry_ms;
	ri->cred_remaining = ct->taken ? ct->remaining :
	    (int)g->cred_remaining + (int)(g->cred_granted > 0 ?
	    g->cred_granted - ri->allowed : 0);
	ri->cred_reset_ms = ct->taken ? ct->reset_ms : (int)g->cred_reset_ms;
	ri->org_remaining = ot->taken ? ot->remaining :
	    (int)g->org_remaining + (int)(g->org_granted > 0 ?
	    g->org_granted - ri->allowed : 0);
	ri->org_reset_ms = ot->taken ? ot->reset_ms : (int)g->org_reset_ms;
}
