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
 * PostgreSQL bucket in advance (sql/011, sql/032) and spends them
 * locally.  Limits stay exact (docs/decisions.md, "Exact limits"):
 *
 *  - a lease is at most 1/RATELIMIT_LEASE_SHARE of the limit (at most
 *    RATELIMIT_CHUNK_MAX); below two tokens nothing is leased ahead, so
 *    a small limit is counted token by token in PostgreSQL;
 *  - PostgreSQL grants more than one token only while the bucket holds
 *    RATELIMIT_LEASE_RESERVE leases' worth, so the last tokens of a
 *    bucket go one by one to the requests that spend them;
 *  - leases of concurrent workers add up, never overwrite each other;
 *  - a lease unspent after RATELIMIT_LEASE_MS is owed back, and the next
 *    round trip for its bucket returns it (tokens are never just lost).
 *
 * And the arithmetic of a refusal remembered: a bucket that refused is
 * known empty until its retry time, so the host answers 429 from memory.
 *
 * Where a lease is kept (shared memory, locks) is daemon/authcache.c's
 * business; this module must not know it, nor how a lease is fetched.
 */
#ifndef LK_RATELIMIT_H
#define LK_RATELIMIT_H

#include <stdint.h>

#include "buf.h"

#define RATELIMIT_WINDOW_S	60
#define RATELIMIT_LEASE_MS	1000	/* an unspent lease is owed back
					 * after */
#define RATELIMIT_CHUNK_MAX	1000	/* tokens leased at once, at most */
#define RATELIMIT_LEASE_SHARE	200	/* a lease is at most limit/200 */
#define RATELIMIT_LEASE_RESERVE	8	/* sql/032 grants a lease of n > 1
					 * only while 8n tokens remain */

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
	int	 pg_remaining;	/* the bucket's, at known_ms */
	int	 pg_reset_ms;
	int64_t	 known_ms;	/* when PostgreSQL last told; 0: never */
	int64_t	 leased_ms;	/* when tokens were last leased */
	int	 back;		/* unspent in time: owed to the bucket */
	int64_t	 refused_ms;	/* when the bucket last refused */
	int64_t	 refused_until_ms;	/* its retry time; 0: none */
	struct ratelimit_info refusal;	/* the answer given then */
};

/* A token taken (or not) from a lease, and what the caller may tell. */
struct ratelimit_take {
	int	 taken;		/* 1 if a leased token was spent */
	int	 chunk;		/* not taken: how many to lease */
	int	 remaining;	/* best knowledge, for headers */
	int	 reset_ms;
	int	 back;		/* not taken: tokens to give back now (the
				 * caller owes them to the bucket) */
	int	 refused;	/* not taken: the bucket is known empty */
	struct ratelimit_info refusal;	/* refused: the answer to give */
};

/* One row of latchkey.rate_spend(): what PostgreSQL granted for the
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

/* The largest lease for a limit: limit / RATELIMIT_LEASE_SHARE, at most
 * RATELIMIT_CHUNK_MAX; 1 (nothing leased ahead) below two. */
int	ratelimit_chunk_cap(int limit);

/*
 * Spends one token of l (limit per minute) at now_ms if it holds one
 * (t->taken).  Else, if the bucket refused and its retry time has not
 * come, says so (t->refused, t->refusal with times counted down to
 * now_ms); else says in t->chunk how many to lease and hands over in
 * t->back the tokens owed back, which the caller returns in its round
 * trip or gives back with ratelimit_lease_giveback().  A lease older
 * than RATELIMIT_LEASE_MS (or from the future) is owed back; one for
 * another limit is dropped with the refusal.  An unspent lease halves
 * the next, one spent within a quarter of the lease time doubles it.
 * t->remaining and t->reset_ms are the best knowledge in every case.
 */
void	ratelimit_lease_take(struct ratelimit_lease *l, int limit,
	    int64_t now_ms, struct ratelimit_take *t);

/* Records a lease of granted tokens at now_ms, spend (0 or 1) of which
 * the caller uses at once; pg_remaining and pg_reset_ms are the bucket's
 * after it.  Tokens another worker leased meanwhile are kept. */
void	ratelimit_lease_record(struct ratelimit_lease *l, int limit,
	    int granted, int spend, int pg_remaining, int pg_reset_ms,
	    int64_t now_ms);

/* Gives back what a take handed over and the request did not use: a
 * token (0 or 1) and tokens owed to the bucket (back). */
void	ratelimit_lease_giveback(struct ratelimit_lease *l, int token,
	    int back);

/* Remembers that the bucket refused at now_ms with the answer ri (its
 * retry time is now_ms + ri->retry_ms). */
void	ratelimit_lease_refused(struct ratelimit_lease *l, int limit,
	    const struct ratelimit_info *ri, int64_t now_ms);

/* The answer for a request refused from memory because its org's bucket
 * is known empty (or->refusal), with the credential's own figures from
 * its take ct (limit cl). */
void	ratelimit_refused_by_org(int cl, const struct ratelimit_take *ct,
	    const struct ratelimit_take *ot, struct ratelimit_info *ri);

/*
 * The decision for a credential (limit cl) and its org (limit ol) from
 * the two takes and, when either was not taken locally, the row g of
 * the lease round trip (NULL when both were taken).  Fills *ri with
 * present set; ri->allowed says whether the request may go on.
 */
void	ratelimit_decide(int cl, const struct ratelimit_take *ct, int ol,
	    const struct ratelimit_take *ot, const struct ratelimit_grant *g,
	    struct ratelimit_info *ri);

/*
 * A bucket one host keeps alone, without PostgreSQL: GCRA on one number,
 * *tat_ms (0 for a new bucket), limit per minute.  Returns 1 if a token
 * is available at now_ms, and takes it when spend is 1; else 0 with
 * *retry_ms set to when one will be.
 */
int	ratelimit_local(int64_t *tat_ms, int limit, int64_t now_ms, int spend,
	    int *retry_ms);

#endif
