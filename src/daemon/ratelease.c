/*
 * ratelease.c: spending a request's rate-limit tokens.  One token of the
 * credential's bucket and one of its org's, from this host's leases in
 * the shared auth cache when it holds them, else by leasing more from
 * PostgreSQL in one round trip (latchkey.rate_lease).  It knows buckets
 * by name and limits by number; what a credential is, and whether the
 * request is then refused, is auth.c's and require.c's.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "authcache.h"
#include "db.h"
#include "ratelease.h"
#include "ratelimit.h"
#include "util.h"

static const struct db_stmt rate_lease = {
	"auth_rate_lease",
	"SELECT cred_granted, cred_remaining, cred_reset_ms, org_granted, "
	    "org_remaining, org_reset_ms, retry_ms "
	    "FROM latchkey.rate_lease($1, $2, $3, $4, $5, $6)",
	6
};

enum { L_CRED_GRANTED, L_CRED_REMAINING, L_CRED_RESET_MS, L_ORG_GRANTED,
    L_ORG_REMAINING, L_ORG_RESET_MS, L_RETRY_MS };

enum lk_err
ratelease_take(struct db *db, struct authcache *cache, int64_t mono_ms,
    const char *cb, int cl, const char *ob, int ol, struct ratelimit_info *ri)
{
	struct ratelimit_take ct = { 0, 1, 0, 0 }, ot = { 0, 1, 0, 0 };
	struct ratelimit_grant g;
	char cls[16], cn[16], ols[16], on[16];
	const char *params[6] = { cb, cls, cn, ob, ols, on };
	struct db_res *res;
	enum lk_err e;

	memset(ri, 0, sizeof(*ri));
	ri->present = 1;
	ri->cred_limit = cl;
	ri->org_limit = ol;
	if (cache != NULL) {
		authcache_take(cache, cb, cl, mono_ms, &ct);
		authcache_take(cache, ob, ol, mono_ms, &ot);
	}
	if (ct.taken && ot.taken) {
		ratelimit_decide(cl, &ct, ol, &ot, NULL, ri);
		return LK_OK;
	}
	if ((e = util_snprintf(cls, sizeof(cls), "%d", cl)) != LK_OK ||
	    (e = util_snprintf(cn, sizeof(cn), "%d",
	    ct.taken ? 0 : ct.chunk)) != LK_OK ||
	    (e = util_snprintf(ols, sizeof(ols), "%d", ol)) != LK_OK ||
	    (e = util_snprintf(on, sizeof(on), "%d",
	    ot.taken ? 0 : ot.chunk)) != LK_OK) {
		goto giveback;
	}
	if ((e = db_exec(db, &rate_lease, params, &res)) != LK_OK) {
		goto giveback;
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
	if (cache != NULL) {
		if (!ct.taken) {
			authcache_leased(cache, cb, cl, (int)g.cred_granted,
			    ri->allowed, (int)g.cred_remaining,
			    (int)g.cred_reset_ms, mono_ms);
		}
		if (!ot.taken) {
			authcache_leased(cache, ob, ol, (int)g.org_granted,
			    ri->allowed, (int)g.org_remaining,
			    (int)g.org_reset_ms, mono_ms);
		}
	}
	if (ri->allowed) {
		return LK_OK;
	}
	e = LK_OK;
giveback:
	/* Refused (or failed): a token spent locally goes back. */
	if (cache != NULL && ct.taken) {
		authcache_untake(cache, cb);
	}
	if (cache != NULL && ot.taken) {
		authcache_untake(cache, ob);
	}
	return e;
}
