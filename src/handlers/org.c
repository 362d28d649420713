/*
 * org.c: GET /v1/org, the caller's org: its plan, its own limit and the
 * limits in effect.
 *
 * Any credential of the org may read it, in either mode and with no
 * permission, as /v1/me: a caller needs its limits to pace itself, and
 * they are no secret within the org.  Only latchkeyctl changes plans and
 * limits (plan, org set-plan, org set-limit), so this file only reads.
 * Row-level security scopes the one statement to the caller's org.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "handlers/handlers.h"
#include "util.h"

static const struct db_stmt org_get = {
	"org_get",
	"SELECT o.id, o.name, " SQL_TS("o.created_at") ", p.id, p.name, "
	    "p.key_rate_per_min, p.org_rate_per_min, o.rate_limit_per_min, "
	    "coalesce(o.rate_limit_per_min, p.org_rate_per_min) "
	    "FROM latchkey.orgs o JOIN latchkey.plans p ON p.id = o.plan_id "
	    "WHERE o.id = latchkey.current_org_id()",
	0
};

enum { C_ID, C_NAME, C_CREATED, C_PLAN_ID, C_PLAN_NAME, C_KEY_RATE,
    C_ORG_RATE, C_OWN, C_EFFECTIVE_ORG };

void
org_add_rate(json_object *o, const char *key, const char *v)
{
	long n;

	/* The columns are PostgreSQL integers: a parse cannot fail but for
	 * a broken result, shown as null. */
	if (v == NULL || util_parse_long(v, strlen(v), 0, LONG_MAX, &n) !=
	    LK_OK) {
		jsonx_add(o, key, NULL);
		return;
	}
	jsonx_add(o, key, json_object_new_int64(n));
}

static json_object *
org_json(const struct db_res *res)
{
	static const struct jsonx_col head[] = {
		{ "id", C_ID, 0 },
		{ "name", C_NAME, 0 },
		{ "created_at", C_CREATED, 0 },
	}, plan_cols[] = {
		{ "id", C_PLAN_ID, 0 },
		{ "name", C_PLAN_NAME, 0 },
	};
	json_object *o = json_object_new_object();
	json_object *plan = json_object_new_object();
	json_object *eff = json_object_new_object();

	jsonx_add_cols(o, res, 0, head, JSONX_NCOLS(head));
	jsonx_add_cols(plan, res, 0, plan_cols, JSONX_NCOLS(plan_cols));
	org_add_rate(plan, "key_rate_per_min", db_get(res, 0, C_KEY_RATE));
	org_add_rate(plan, "org_rate_per_min", db_get(res, 0, C_ORG_RATE));
	jsonx_add(o, "plan", plan);
	org_add_rate(o, "rate_limit_per_min", db_get(res, 0, C_OWN));
	org_add_rate(eff, "key_rate_per_min", db_get(res, 0, C_KEY_RATE));
	org_add_rate(eff, "org_rate_per_min",
	    db_get(res, 0, C_EFFECTIVE_ORG));
	jsonx_add(o, "effective", eff);
	return o;
}

static void
get(struct lk_ctx *ctx)
{
	struct db_res *res;
	json_object *o;

	if (require_auth(ctx) == -1 || tx_begin(ctx, NULL) == -1) {
		return;
	}
	if ((res = tx_one_row(ctx, &org_get, NULL, "org")) == NULL) {
		return;
	}
	o = org_json(res);
	db_res_free(res);
	tx_reply(ctx, 200, o);
}

static const struct route routes[] = {
	{ HTTP_GET, "/v1/org", get, "The caller's org, its plan and limits" },
};

const struct route_table handlers_org = {
	routes, sizeof(routes) / sizeof(routes[0])
};
