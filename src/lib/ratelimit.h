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
 */
#ifndef LK_RATELIMIT_H
#define LK_RATELIMIT_H

#include "buf.h"

#define RATELIMIT_WINDOW_S	60

struct rate_info {
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
int	ratelimit_retry_after(const struct rate_info *);

/* Appends the header lines ("Name: value\r\n") for ri to out; nothing
 * when ri->present is 0.  Retry-After only when refused. */
void	ratelimit_headers(const struct rate_info *, struct lk_buf *out);

#endif
