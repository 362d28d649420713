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
    const char *cb, int cl, const char *ob, int ol, struct rate_info *ri)
{
	struct ac_take ct = { 0, 1, 0, 0 }, ot = { 0, 1, 0, 0 };
	char cls[16], cn[16], ols[16], on[16];
	const char *params[6] = { cb, cls, cn, ob, ols, on };
	struct db_res *res;
	long cg, og;
	int cr, cz, orem, oz;
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
		ri->allowed = 1;
		ri->cred_remaining = ct.remaining;
		ri->cred_reset_ms = ct.reset_ms;
		ri->org_remaining = ot.remaining;
		ri->org_reset_ms = ot.reset_ms;
		return LK_OK;
	}
	if (util_snprintf(cls, sizeof(cls), "%d", cl) != LK_OK ||
	    util_snprintf(cn, sizeof(cn), "%d", ct.taken ? 0 : ct.chunk) !=
	    LK_OK ||
	    util_snprintf(ols, sizeof(ols), "%d", ol) != LK_OK ||
	    util_snprintf(on, sizeof(on), "%d", ot.taken ? 0 : ot.chunk) !=
	    LK_OK) {
		e = LK_EINVAL;
		goto giveback;
	}
	if ((e = db_exec(db, &rate_lease, params, &res)) != LK_OK) {
		goto giveback;
	}
	cg = db_get_num(res, 0, L_CRED_GRANTED);
	og = db_get_num(res, 0, L_ORG_GRANTED);
	ri->allowed = (ct.taken || cg > 0) && (ot.taken || og > 0);
	ri->retry_ms = (int)db_get_num(res, 0, L_RETRY_MS);
	cr = (int)db_get_num(res, 0, L_CRED_REMAINING);
	cz = (int)db_get_num(res, 0, L_CRED_RESET_MS);
	orem = (int)db_get_num(res, 0, L_ORG_REMAINING);
	oz = (int)db_get_num(res, 0, L_ORG_RESET_MS);
	ri->cred_remaining = ct.taken ? ct.remaining : cr +
	    (int)(cg > 0 ? cg - ri->allowed : 0);
	ri->cred_reset_ms = ct.taken ? ct.reset_ms : cz;
	ri->org_remaining = ot.taken ? ot.remaining : orem +
	    (int)(og > 0 ? og - ri->allowed : 0);
	ri->org_reset_ms = ot.taken ? ot.reset_ms : oz;
	if (cache != NULL) {
		if (!ct.taken) {
			authcache_leased(cache, cb, cl, (int)cg,
			    ri->allowed, cr, cz, mono_ms);
		}
		if (!ot.taken) {
			authcache_leased(cache, ob, ol, (int)og,
			    ri->allowed, orem, oz, mono_ms);
		}
	}
	db_res_free(res);
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
