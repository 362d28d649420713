/*
 * ratelimit.h: what a rate-limit decision tells the caller.  Pure.
 *
 * The decision itself is taken in PostgreSQL (GCRA, sql/010), in the same
 * round trip as authentication, so every latchkeyd host shares it.  This
 * module turns it into response headers: the IETF draft fields
 * (draft-ietf-httpapi-ratelimit-headers: RateLimit-Policy and RateLimit,
 * one item per policy, "cred" for the credential and "org" for its org)
 * and the widely deployed X-RateLimit-Limit/Remaining/Reset for the
 * tighter of the two, plus Retry-After on a refusal.
 *
 * It also owns the lease arithmetic: a host takes tokens from a
 * PostgreSQL bucket in advance (sql/011) and spends them locally.  The
 * lease size adapts (one token for a slow caller, up to a tenth of the
 * limit, at most RATELIMIT_CHUNK_MAX, for a fast one) and an unspent
 * lease is void after RATELIMIT_LEASE_MS.  Where a lease is kept (shared
 * memory, locks) is daemon/authcache.c's business; this module must not
 * know it, nor how a lease is fetched.
 */
#ifndef LK_RATELIMIT_H
#define LK_RATELIMIT_H

#include <stdint.h>

#include "buf.h"

#define RATELIMIT_WINDOW_S	60
#define RATELIMIT_LEASE_MS	1000	/* an unspent lease is void after */
#define RATELIMIT_CHUNK_MAX	1000	/* tokens leased at once, at most */

struct ratelimit_info {
	int	 present;	/* 0: no limit applied (anonymous request) */
	int	 allowed;
	int	 cred_limit;	/* per minute */
	int	 cred_remaining;
	int	 cred_reset_ms;	/* until the bucket is full again */
	int	 org_limit;
	int	 org_remaining;
	int	 org_reset_ms;
	int	 retry_ms;	/* refused: when to retry */
};

/* Seconds to put in Retry-After: retry_ms rounded up, at least 1. */
int	ratelimit_retry_after(const struct ratelimit_info *);

/* Appends the header lines ("Name: value\r\n") for ri to out; nothing
 * when ri->present is 0.  Retry-After only when refused. */
void	ratelimit_headers(const struct ratelimit_info *, struct lk_buf *out);

/* A host's lease on one bucket.  Zero it, then set chunk to 1. */
struct ratelimit_lease {
	int	 tokens;	/* leased, unspent */
	int	 chunk;		/* size of the next lease */
	int	 limit;
	int	 pg_remaining;	/* the bucket's, after the lease */
	int	 pg_reset_ms;
	int64_t	 leased_ms;
};

/* A token taken (or not) from a lease, and what the caller may tell. */
struct ratelimit_take {
	int	 taken;		/* 1 if a leased token was spent */
	int	 chunk;		/* not taken: how many to lease */
	int	 remaining;	/* best knowledge, for headers */
	int	 reset_ms;
};

/* One row of latchkey.rate_lease(): what PostgreSQL granted for the
 * credential's bucket and its org's (granted 0: none leased). */
struct ratelimit_grant {
	long	 cred_granted;
	long	 cred_remaining;
	long	 cred_reset_ms;
	long	 org_granted;
	long	 org_remaining;
	long	 org_reset_ms;
	long	 retry_ms;
};

/*
 * Spends one token of l (limit per minute) at now_ms if it holds one
 * (t->taken), else says in t->chunk how many to lease.  A lease older
 * than RATELIMIT_LEASE_MS (or from the future) or for another limit is
 * void; one voided unspent halves the next lease, one spent within a
 * quarter of that time doubles it.
 */
void	ratelimit_lease_take(struct ratelimit_lease *l, int limit,
	    int64_t now_ms, struct ratelimit_take *t);

/* Records a lease of granted tokens at now_ms, spend (0 or 1) of which
 * the caller uses at once; pg_remaining and pg_reset_ms are the bucket's
 * after it. */
void	ratelimit_lease_record(struct ratelimit_lease *l, int limit,
	    int granted, int spend, int pg_remaining, int pg_reset_ms,
	    int64_t now_ms);

/*
 * The decision for a credential (limit cl) and its org (limit ol) from
 * the two takes and, when either was not taken locally, the row g of
 * the lease round trip (NULL when both were taken).  Fills *ri with
 * present set; ri->allowed says whether the request may go on.
 */
void	ratelimit_decide(int cl, const struct ratelimit_take *ct, int ol,
	    const struct ratelimit_take *ot, const struct ratelimit_grant *g,
	    struct ratelimit_info *ri);

#endif
