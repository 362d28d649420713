/*
 * ratelease.h: spending a request's rate-limit tokens from the host's
 * leases or the database.  Knows no credential kinds.
 */
#ifndef LK_RATELEASE_H
#define LK_RATELEASE_H

#include <stdint.h>

#include "err.h"
#include "ratelimit.h"

struct authcache;
struct db;

/*
 * Spends one token of bucket cb (limit cl per minute) and one of ob
 * (limit ol): from cache's leases (NULL: none) when it has them, else by
 * leasing more in one round trip on db.  Fills *ri; ri->allowed says
 * whether the request may go on, and a refused request gives back what it
 * took locally.  Errors: those of db_exec(), LK_EINVAL.
 */
enum lk_err	 ratelease_take(struct db *db, struct authcache *cache,
		    int64_t mono_ms, const char *cb, int cl, const char *ob,
		    int ol, struct ratelimit_info *ri) LK_MUST_CHECK;

#endif
