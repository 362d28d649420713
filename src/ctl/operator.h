/*
 * operator.h: what latchkeyctl's limit commands (plan, org, key) share:
 * reading a rate (N, or "default" where a column may fall back to the
 * plan), finding an org by id or name, and keeping the keys' own limits
 * within their cap when a plan's key rate falls, each lowered key
 * recorded in its org's audit trail.
 *
 * It knows the tables those touch (orgs, plans, api_keys, audit_events)
 * through static SQL with $n parameters, and nothing of the command line
 * beyond the argument text it is handed.
 */
#ifndef LK_CTL_OPERATOR_H
#define LK_CTL_OPERATOR_H

#include <libpq-fe.h>

#include "err.h"
#include "lk_limits.h"

#define OP_PLAN_ID_MAX	32	/* sql/002: ^[a-z0-9_]{1,32}$ */
#define OP_ORG_NAME_MAX	200	/* sql/003: orgs_name_check */
#define OP_RATE_SIZE	12	/* a rate as decimal text, with NUL */

/* An org, as found by op_org_find(). */
struct op_org {
	char	 id[UUID_SIZE];
	char	 plan[OP_PLAN_ID_MAX + 1];
	char	 limit[OP_RATE_SIZE];	/* its own org limit; "" for none */
};

/*
 * Reads a rate in requests per minute (RATE_PER_MIN_MIN to
 * RATE_PER_MIN_MAX) from s into *out; with allow_default, "default"
 * gives *out = 0 (the plan's).  Returns 0, or -1 (the caller reports a
 * usage error).
 */
int		 op_rate_parse(const char *s, int allow_default, long *out)
		    LK_MUST_CHECK;

/* Copies s into out in lower case, as PostgreSQL prints a UUID, when s
 * is a UUID (either case).  Returns 0, or -1 when it is not one. */
int		 op_uuid(const char *s, char out[UUID_SIZE]) LK_MUST_CHECK;

/* Returns 1 if s is a plan name: 1 to OP_PLAN_ID_MAX of a-z, 0-9 and _. */
int		 op_plan_name_valid(const char *s);

/*
 * Finds the org that arg names, by id (a UUID, any case) or else by its
 * exact name, and locks it for the open transaction.  Returns 0 with *org
 * filled, or -1 after reporting (as what): no such org, a name that two
 * orgs share (give the id), or a database error.
 */
int		 op_org_find(PGconn *conn, const char *what, const char *arg,
		    struct op_org *org) LK_MUST_CHECK;

/*
 * Lowers to the plan's key rate every own key limit above it, in the orgs
 * on plan (when plan is not NULL) or in org org_id, for keys without an
 * operator limit (theirs is their cap, whatever the plan).  One
 * api_key.limit_changed event per key lowered, in the key's mode.
 * Returns how many keys were lowered, or -1 after reporting (as what).
 * Runs in the caller's transaction.
 */
long		 op_keys_fit_plan(PGconn *conn, const char *what,
		    const char *plan, const char *org_id);

#endif
