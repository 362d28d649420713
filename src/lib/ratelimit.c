/*
 * ratelimit.c: rate-limit response headers, the arithmetic of a host's
 * leases and of a refusal remembered.  Pure: must not know where a lease is stored, how it is
 * locked, or how PostgreSQL is asked for one.
 */
#include "config.h"

#include <limits.h>
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

/* The headers' text, built on the stack and appended once. */
struct hdr {
	char	 s[512];	/* the fixed text and twelve ints: < 400 */
	size_t	 n;
	int	 over;
};

/* Appends text, then v in decimal ("%d" without printf). */
static void
put_num(struct hdr *h, const char *text, int v)
{
	char d[12];
	size_t k = sizeof(d), len = strlen(text);
	unsigned u = v < 0 ? 0U - (unsigned)v : (unsigned)v;

	do {
		d[--k] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0) {
		d[--k] = '-';
	}
	if (h->over || len + sizeof(d) - k > sizeof(h->s) - h->n) {
		h->over = 1;
		return;
	}
	memcpy(h->s + h->n, text, len);
	h->n += len;
	memcpy(h->s + h->n, d + k, sizeof(d) - k);
	h->n += sizeof(d) - k;
}

/*
 * Digits by hand into one stack buffer, appended once: the four
 * buf_printf() calls these headers took were about 6k instructions of a
 * GET /v1/me by API key, appending piece by piece about 3k (callgrind,
 * bench/callgrind).
 */
void
ratelimit_headers(const struct ratelimit_info *ri, struct lk_buf *out)
{
	struct hdr h;
	int limit, remaining, reset;

	if (!ri->present) {
		return;
	}
	h.n = 0;
	h.over = 0;
	put_num(&h, "RateLimit-Policy: \"cred\";q=", ri->cred_limit);
	put_num(&h, ";w=", RATELIMIT_WINDOW_S);
	put_num(&h, ", \"org\";q=", ri->org_limit);
	put_num(&h, ";w=", RATELIMIT_WINDOW_S);
	put_num(&h, "\r\nRateLimit: \"cred\";r=", ri->cred_remaining);
	put_num(&h, ";t=", ceil_s(ri->cred_reset_ms));
	put_num(&h, ", \"org\";r=", ri->org_remaining);
	put_num(&h, ";t=", ceil_s(ri->org_reset_ms));
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
	put_num(&h, "\r\nX-RateLimit-Limit: ", limit);
	put_num(&h, "\r\nX-RateLimit-Remaining: ", remaining);
	put_num(&h, "\r\nX-RateLimit-Reset: ", reset);
	if (!ri->allowed) {
		put_num(&h, "\r\nRetry-After: ", ratelimit_retry_after(ri));
	}
	if (h.over || sizeof(h.s) - h.n < 2) {
		out->failed = 1;	/* cannot happen: see struct hdr */
		return;
	}
	memcpy(h.s + h.n, "\r\n", 2);
	buf_append(out, h.s, h.n + 2);
}

int
ratelimit_chunk_cap(int limit)
{
	int cap = limit / RATELIMIT_LEASE_SHARE;

	if (cap < 2) {
		return 1;
	}
	return cap > RATELIMIT_CHUNK_MAX ? RATELIMIT_CHUNK_MAX : cap;
}

/* v - d, never below zero (d may be any age). */
static int
count_down(int v, int64_t d)
{
	if (d <= 0) {
		return v;
	}
	return d >= v ? 0 : v - (int)d;
}

/* a + b for token counts, which stay far below INT_MAX: saturates. */
static int
add_tokens(int a, int b)
{
	if (b <= 0) {
		return a;
	}
	return a > INT_MAX - b ? INT_MAX : a + b;
}

/* Forgets what was leased or refused under another limit.  Its tokens
 * are dropped, not returned: the bucket's arithmetic changed with the
 * limit (an error in the caller's disfavour, once per limit change). */
static void
adopt_limit(struct ratelimit_lease *l, int limit)
{
	if (l->limit == limit) {
		return;
	}
	l->limit = limit;
	l->tokens = 0;
	l->back = 0;
	l->chunk = 1;
	l->refused_until_ms = 0;
}

/* Tokens leased too long ago are owed back; the next lease is smaller,
 * since this one was too big. */
static void
expire(struct ratelimit_lease *l, int64_t age)
{
	if (l->tokens > 0 && (age >= RATELIMIT_LEASE_MS || age < 0)) {
		l->back = add_tokens(l->back, l->tokens);
		l->tokens = 0;
		if (l->chunk > 1) {
			l->chunk /= 2;
		}
	}
}

void
ratelimit_lease_take(struct ratelimit_lease *l, int limit, int64_t now_ms,
    struct ratelimit_take *t)
{
	int64_t age = now_ms - l->leased_ms, since;

	memset(t, 0, sizeof(*t));
	t->chunk = 1;
	adopt_limit(l, limit);
	expire(l, age);
	if (l->known_ms == 0) {
		/* Nothing known: a bucket nobody here has touched. */
		t->remaining = limit;
	} else {
		t->remaining = add_tokens(l->pg_remaining, l->tokens);
		t->reset_ms = count_down(l->pg_reset_ms,
		    now_ms - l->known_ms);
	}
	if (l->tokens > 0) {
		l->tokens--;
		t->taken = 1;
		t->remaining--;
		return;
	}
	if (l->refused_until_ms > now_ms && now_ms >= l->refused_ms) {
		/* Known empty until its retry time: the same answer,
		 * counted down. */
		since = now_ms - l->refused_ms;
		t->refused = 1;
		t->refusal = l->refusal;
		t->refusal.cred_reset_ms = count_down(l->refusal.cred_reset_ms,
		    since);
		t->refusal.org_reset_ms = count_down(l->refusal.org_reset_ms,
		    since);
		t->refusal.retry_ms = (int)(l->refused_until_ms - now_ms);
		return;
	}
	/* Spent fast: lease more next time. */
	if (l->leased_ms != 0 && age >= 0 && age < CHUNK_FAST_MS &&
	    l->chunk <= RATELIMIT_CHUNK_MAX) {
		l->chunk *= 2;
	}
	if (l->chunk > ratelimit_chunk_cap(limit)) {
		l->chunk = ratelimit_chunk_cap(limit);
	}
	if (l->chunk < 1) {
		l->chunk = 1;
	}
	t->chunk = l->chunk;
	t->back = l->back;
	l->back = 0;
}

void
ratelimit_lease_record(struct ratelimit_lease *l, int limit, int granted,
    int spend, int pg_remaining, int pg_reset_ms, int64_t now_ms)
{
	adopt_limit(l, limit);
	expire(l, now_ms - l->leased_ms);
	l->pg_remaining = pg_remaining;
	l->pg_reset_ms = pg_reset_ms;
	l->known_ms = now_ms;
	if (granted > 0) {
		/* Tokens other workers leased meanwhile stay, and live as
		 * long as this lease.  The bucket gave: whatever refused
		 * before is over. */
		l->tokens = add_tokens(l->tokens, granted - spend);
		l->leased_ms = now_ms;
		l->refused_until_ms = 0;
	}
}

void
ratelimit_lease_giveback(struct ratelimit_lease *l, int token, int back)
{
	l->tokens = add_tokens(l->tokens, token);
	l->back = add_tokens(l->back, back);
}

void
ratelimit_lease_refused(struct ratelimit_lease *l, int limit,
    const struct ratelimit_info *ri, int64_t now_ms)
{
	adopt_limit(l, limit);
	l->refusal = *ri;
	l->refused_ms = now_ms;
	l->refused_until_ms = now_ms + (ri->retry_ms > 0 ? ri->retry_ms : 1);
}

void
ratelimit_refused_by_org(int cl, const struct ratelimit_take *ct,
    const struct ratelimit_take *ot, struct ratelimit_info *ri)
{
	*ri = ot->refusal;
	ri->present = 1;
	ri->allowed = 0;
	ri->cred_limit = cl;
	/* A token ct took was given back. */
	ri->cred_remaining = ct->taken ? add_tokens(ct->remaining, 1) :
	    ct->remaining;
	ri->cred_reset_ms = ct->reset_ms;
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

int
ratelimit_local(int64_t *tat_ms, int limit, int64_t now_ms, int spend,
    int *retry_ms)
{
	int64_t t, tau, tat;

	if (limit < 1) {
		limit = 1;
	}
	t = (int64_t)RATELIMIT_WINDOW_S * 1000 / limit;
	if (t < 1) {
		t = 1;
	}
	tau = (int64_t)RATELIMIT_WINDOW_S * 1000 - t;
	tat = *tat_ms > now_ms ? *tat_ms : now_ms;
	if (tat - tau > now_ms) {
		*retry_ms = (int)(tat - tau - now_ms);
		return 0;
	}
	if (spend) {
		*tat_ms = tat + t;
	}
	*retry_ms = 0;
	return 1;
}
