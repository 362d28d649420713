/*
 * ratelease.c: spending a request's rate-limit tokens.  One token of the
 * credential's bucket and one of its org's, from this host's leases in
 * the shared auth cache when it holds them, else by leasing more from
 * PostgreSQL in one round trip (latchkey.rate_spend, sql/032), which also
 * gives back the tokens a lease did not spend in time.  A bucket that
 * refused is remembered until its retry time, and the refusal is
 * answered from memory: zero round trips.  It knows buckets by name and
 * limits by number; what a credential is, and how a refusal is rendered,
 * is auth.c's and require.c's; the arithmetic is ratelimit.c's.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "authcache.h"
#include "db.h"
#include "ratelease.h"
#include "ratelimit.h"
#include "util.h"

static const struct db_stmt rate_spend = {
	"auth_rate_spend",
	"SELECT cred_granted, cred_remaining, cred_reset_ms, org_granted, "
	    "org_remaining, org_reset_ms, retry_ms "
	    "FROM latchkey.rate_spend($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	9
};

enum { L_CRED_GRANTED, L_CRED_REMAINING, L_CRED_RESET_MS, L_ORG_GRANTED,
    L_ORG_REMAINING, L_ORG_RESET_MS, L_RETRY_MS };

/* A number as a statement parameter. */
static enum lk_err
param(char *dst, size_t dstsz, int v)
{
	return util_snprintf(dst, dstsz, "%d", v);
}

/* Gives back what a take handed over: a token it spent, tokens owed. */
static void
giveback(struct authcache *cache, const char *bucket,
    const struct ratelimit_take *t, int token, int back)
{
	if (cache != NULL && ((token && t->taken) || (back && t->back > 0))) {
		authcache_giveback(cache, bucket, token && t->taken,
		    back ? t->back : 0);
	}
}

/* Remembers this host's part of the round trip's answer g: the leases,
 * and which bucket refused, if one did. */
static void
remember(struct authcache *cache, int64_t mono_ms, const char *cb, int cl,
    const struct ratelimit_take *ct, const char *ob, int ol,
    const struct ratelimit_take *ot, const struct ratelimit_grant *g,
    const struct ratelimit_info *ri)
{
	if (cache == NULL) {
		return;
	}
	if (!ct->taken) {
		authcache_leased(cache, cb, cl, (int)g->cred_granted,
		    ri->allowed, (int)g->cred_remaining, (int)g->cred_reset_ms,
		    mono_ms);
	}
	if (!ot->taken) {
		authcache_leased(cache, ob, ol, (int)g->org_granted,
		    ri->allowed, (int)g->org_remaining, (int)g->org_reset_ms,
		    mono_ms);
	}
	if (ri->allowed) {
		return;
	}
	if (!ct->taken && g->cred_granted == 0) {
		authcache_refused(cache, cb, cl, ri, mono_ms);
	} else if (!ot->taken && g->org_granted == 0) {
		authcache_refused(cache, ob, ol, ri, mono_ms);
	}
}

enum lk_err
ratelease_take(struct db *db, struct authcache *cache, int64_t mono_ms,
    const char *cb, int cl, const char *ob, int ol, struct ratelimit_info *ri)
{
	struct ratelimit_take ct, ot;
	struct ratelimit_grant g;
	char cls[16], cn[16], cback[16], ols[16], on[16], oback[16],
	    reserve[16];
	const char *params[9] = { cb, cls, cn, cback, ob, ols, on, oback,
	    reserve };
	struct db_res *res;
	enum lk_err e;

	memset(ri, 0, sizeof(*ri));
	memset(&ct, 0, sizeof(ct));
	memset(&ot, 0, sizeof(ot));
	ct.chunk = ot.chunk = 1;
	ri->present = 1;
	ri->cred_limit = cl;
	ri->org_limit = ol;
	if (cache != NULL) {
		authcache_take(cache, cb, cl, mono_ms, &ct);
		if (!ct.taken && ct.refused) {
			*ri = ct.refusal;
			return LK_OK;
		}
		authcache_take(cache, ob, ol, mono_ms, &ot);
		if (!ot.taken && ot.refused) {
			giveback(cache, cb, &ct, 1, 1);
			ratelimit_refused_by_org(cl, &ct, &ot, ri);
			return LK_OK;
		}
	}
	if (ct.taken && ot.taken) {
		ratelimit_decide(cl, &ct, ol, &ot, NULL, ri);
		return LK_OK;
	}
	if ((e = param(cls, sizeof(cls), cl)) != LK_OK ||
	    (e = param(cn, sizeof(cn), ct.taken ? 0 : ct.chunk)) != LK_OK ||
	    (e = param(cback, sizeof(cback), ct.back)) != LK_OK ||
	    (e = param(ols, sizeof(ols), ol)) != LK_OK ||
	    (e = param(on, sizeof(on), ot.taken ? 0 : ot.chunk)) != LK_OK ||
	    (e = param(oback, sizeof(oback), ot.back)) != LK_OK ||
	    (e = param(reserve, sizeof(reserve), RATELIMIT_LEASE_RESERVE)) !=
	    LK_OK) {
		goto fail;
	}
	if ((e = db_exec(db, &rate_spend, params, &res)) != LK_OK) {
		goto fail;
	}
	g.cred_granted = db_get_num(res, 0, L_CRED_GRANTED);
	g.cred_remaining = db_get_num(res, 0, L_CRED_REMAINING);
	g.cred_reset_ms = db_get_num(res, 0, L_CRED_RESET_MS);
	g.org_granted = db_get_num(res, 0, L_ORG_GRANTED);
	g.org_remaining = db_get_num(res, 0, L_ORG_REMAINING);
	g.org_reset_ms = db_get_num(res, 0, L_ORG_RESET_MS);
	g.retry_ms = db_get_num(res, 0, L_RETRY_MS);
	db_res_free(res);
	ratelimit_decide(cl, &ct, ol, &ot, &g, ri);
	remember(cache, mono_ms, cb, cl, &ct, ob, ol, &ot, &g, ri);
	if (!ri->allowed) {
		/* Refused: a token spent locally goes back (what was owed
		 * went back in the round trip). */
		giveback(cache, cb, &ct, 1, 0);
		giveback(cache, ob, &ot, 1, 0);
	}
	return LK_OK;
fail:
	/* Nothing reached the database: all goes back. */
	giveback(cache, cb, &ct, 1, 1);
	giveback(cache, ob, &ot, 1, 1);
	return e;
}
