/*
 * usage.c: GET /v1/usage, request counts from the history grouped by day,
 * key or status, plus the caller's current rate-limit state and plan.
 * The counts come from the writer's hourly rollups (request_rollup) and
 * only the partial hours at the window's ends from request_log.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "db.h"
#include "handlers/handlers.h"
#include "util.h"

#define USAGE_RANGE_MAX_S	(366L * 24 * 3600)
#define USAGE_DEFAULT_S		(30L * 24 * 3600)
#define HOUR_S			3600L

/*
 * Counts from the hourly rollups the history writer maintains (045) for
 * the whole hours of [since, until), and from request_log only for the
 * parts of an hour at either end ($4: since rounded up to the hour, $5:
 * until rounded down), so the answer is exact to the second, and the
 * cost grows with the window's hours and one hour's rows at each end,
 * never with the history.  Both tables are read by their index on
 * (org_id, mode, time): the policies give org and mode.
 */
#define USAGE_BUCKET(ts) \
	"CASE $3 " \
	"WHEN 'day' THEN to_char(" ts " AT TIME ZONE 'UTC', 'YYYY-MM-DD') " \
	"WHEN 'key' THEN coalesce(credential_id::text, credential_kind) " \
	"ELSE status::text END"

static const struct db_stmt usage_counts = {
	"usage_counts",
	"SELECT bucket, sum(n)::bigint FROM ("
	    "SELECT " USAGE_BUCKET("hour") " AS bucket, requests AS n "
	    "FROM latchkey.request_rollup "
	    "WHERE hour >= to_timestamp($4::bigint) "
	    "AND hour < to_timestamp($5::bigint) "
	    "UNION ALL "
	    "SELECT " USAGE_BUCKET("created_at") ", 1 "
	    "FROM latchkey.request_log "
	    "WHERE created_at >= to_timestamp($1::bigint) "
	    "AND created_at < to_timestamp(least($4::bigint, $2::bigint)) "
	    "UNION ALL "
	    "SELECT " USAGE_BUCKET("created_at") ", 1 "
	    "FROM latchkey.request_log "
	    "WHERE created_at >= "
	    "to_timestamp(greatest($5::bigint, $4::bigint)) "
	    "AND created_at < to_timestamp($2::bigint)"
	    ") t GROUP BY 1 ORDER BY 1",
	5
};

enum { UC_BUCKET, UC_COUNT };

static const struct db_stmt usage_plan = {
	"usage_plan",
	"SELECT p.id, p.name FROM latchkey.orgs o "
	    "JOIN latchkey.plans p ON p.id = o.plan_id "
	    "WHERE o.id = latchkey.current_org_id()",
	0
};

enum { UP_ID, UP_NAME };

/* Reads an optional RFC 3339 parameter into *t; -1 with a 400 decided. */
static int
time_param(struct lk_ctx *ctx, const char *name, int64_t *t)
{
	const char *v;
	enum lk_err e;

	e = http_query(ctx->req, ctx->arena, name, &v, NULL);
	if (e == LK_ENOTFOUND) {
		return 0;
	}
	if (e != LK_OK || util_time_parse(v, strlen(v), t) != LK_OK) {
		reply_error(ctx, 400, "invalid_parameter",
		    "%s must be an RFC 3339 timestamp", name);
		return -1;
	}
	return 0;
}

/* The start of t's UTC hour (t may be before 1970). */
static int64_t
hour_floor(int64_t t)
{
	return t - ((t % HOUR_S) + HOUR_S) % HOUR_S;
}

static json_object *
limit_json(int limit, int remaining, int reset_ms)
{
	json_object *o = json_object_new_object();

	jsonx_add(o, "limit", json_object_new_int(limit));
	jsonx_add(o, "remaining",
	    json_object_new_int(remaining));
	jsonx_add(o, "reset_seconds",
	    json_object_new_int((reset_ms + 999) / 1000));
	jsonx_add(o, "window_seconds",
	    json_object_new_int(RATELIMIT_WINDOW_S));
	return o;
}

static void
usage(struct lk_ctx *ctx)
{
	const char *group = "day", *params[5];
	char since_s[24], until_s[24], lo_s[24], hi_s[24];
	char a[RFC3339_LEN + 1], b[RFC3339_LEN + 1];
	int64_t until = (int64_t)time(NULL) + 1, since;
	struct db_res *res, *plan;
	json_object *o, *data, *row, *rl;
	enum lk_err e;
	size_t i;
	long n;

	if (require_perm(ctx, "usage.read") == -1) {
		return;
	}
	since = until - USAGE_DEFAULT_S;
	if (time_param(ctx, "since", &since) == -1 ||
	    time_param(ctx, "until", &until) == -1) {
		return;
	}
	e = http_query(ctx->req, ctx->arena, "group_by", &group, NULL);
	if ((e != LK_OK && e != LK_ENOTFOUND) || (strcmp(group, "day") != 0 &&
	    strcmp(group, "key") != 0 && strcmp(group, "status") != 0)) {
		reply_error(ctx, 400, "invalid_parameter",
		    "group_by must be day, key or status");
		return;
	}
	if (until <= since || until - since > USAGE_RANGE_MAX_S) {
		reply_error(ctx, 400, "invalid_parameter",
		    "since must come before until, at most 366 days apart");
		return;
	}
	if (util_snprintf(since_s, sizeof(since_s), "%lld",
	    (long long)since) != LK_OK ||
	    util_snprintf(until_s, sizeof(until_s), "%lld",
	    (long long)until) != LK_OK ||
	    util_snprintf(lo_s, sizeof(lo_s), "%lld", (long long)(
	    hour_floor(since) == since ? since : hour_floor(since) + HOUR_S))
	    != LK_OK ||
	    util_snprintf(hi_s, sizeof(hi_s), "%lld",
	    (long long)hour_floor(until)) != LK_OK ||
	    util_time_format(since, a) != LK_OK ||
	    util_time_format(until, b) != LK_OK) {
		reply_error(ctx, 400, "invalid_parameter",
		    "since or until is out of range");
		return;
	}
	if (tx_begin(ctx, NULL) == -1) {
		return;
	}
	params[0] = since_s;
	params[1] = until_s;
	params[2] = group;
	params[3] = lo_s;
	params[4] = hi_s;
	if ((e = db_exec(ctx->db, &usage_counts, params, &res)) != LK_OK) {
		tx_fail(ctx, e);
		return;
	}
	if ((e = db_exec(ctx->db, &usage_plan, NULL, &plan)) != LK_OK) {
		db_res_free(res);
		tx_fail(ctx, e);
		return;
	}
	o = json_object_new_object();
	jsonx_add_str(o, "since", a);
	jsonx_add_str(o, "until", b);
	jsonx_add_str(o, "group_by", group);
	jsonx_add_str(o, "mode", ctx->id.mode);
	data = json_object_new_array();
	for (i = 0; i < db_nrows(res); i++) {
		const char *c = db_get(res, i, UC_COUNT);

		row = json_object_new_object();
		jsonx_add_str(row, group, db_get(res, i, UC_BUCKET));
		jsonx_add(row, "count", json_object_new_int64(
		    c != NULL &&
		    util_parse_long(c, strlen(c), 0, LONG_MAX, &n) == LK_OK ?
		    n : 0));
		jsonx_push(data, row);
	}
	jsonx_add(o, "data", data);
	jsonx_add_str(o, "plan", db_nrows(plan) == 1 ? db_get(plan, 0, UP_ID) :
	    NULL);
	/* This request already took its token: the state is current. */
	rl = json_object_new_object();
	jsonx_add(rl, "credential", limit_json(
	    ctx->id.rate.cred_limit, ctx->id.rate.cred_remaining,
	    ctx->id.rate.cred_reset_ms));
	jsonx_add(rl, "org", limit_json(ctx->id.rate.org_limit,
	    ctx->id.rate.org_remaining, ctx->id.rate.org_reset_ms));
	jsonx_add(o, "rate_limit", rl);
	db_res_free(res);
	db_res_free(plan);
	tx_reply(ctx, 200, o);
}

static const struct route routes[] = {
	{ HTTP_GET, "/v1/usage", usage,
	    "Request counts and the current rate-limit state" },
};

const struct route_table handlers_usage = {
	routes, sizeof(routes) / sizeof(routes[0])
};
