/*
 * requests.c: the request history of the caller's org and mode:
 * GET /v1/requests (filters, newest first, keyset pagination) and
 * GET /v1/requests/{id} (with the recorded, redacted bodies).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "handlers/handlers.h"
#include "util.h"

#define REQ_COLS \
	"id, request_id, method, path, query, status, error_code, " \
	"duration_us, credential_kind, credential_id, user_id, client_ip, " \
	"user_agent, " SQL_TS_US("created_at") ", " \
	SQL_CURSOR("created_at", "id") ", sanitized"

enum { C_ID, C_RID, C_METHOD, C_PATH, C_QUERY, C_STATUS, C_ERROR, C_DUR,
    C_KIND, C_CRED, C_USER, C_IP, C_UA, C_CREATED, C_CURSOR, C_SANITIZED,
    C_REQ_BODY, C_RESP_BODY };
/* The list's two flags after REQ_COLS (page_query_scan()). */
enum { C_EDGE = C_SANITIZED + 1 };

#define STATUS_MAX	999	/* three digits */

/*
 * How the first page's cost stays bounded.  The list is planned for
 * each call's values, never by a generic plan (requests_plan_each):
 * then "$n IS NULL OR ..." folds away and each filter that is set meets
 * its index (046, 047: status class, method; 030: key, time).  A
 * generic plan must serve every combination at once and can only walk
 * the org's history newest first, filtering: all of it when nothing
 * matches.
 *
 * One filter steers (the class, else the method, else the key): the
 * inner query is the window scanned, the rows of that filter, the time
 * range and the cursor, all conditions of one index range, newest
 * first, at most $12 (PAGE_SCAN_ROWS) of them.  The outer query keeps
 * the rows that match the other filters (hit) and the window's last row
 * (edge), matching or not: when the edge is reached the page ends there,
 * however few rows matched, and the next page continues the scan from
 * it (page_query_scan()).  So a filter no index serves (a path prefix, a
 * user, an exact status among its class's rows, a method under a class)
 * costs at most the window, not a walk of the org's history.
 *
 * The planner does not know the org (the policy compares with
 * current_org_id()), so it estimates a filter by the whole table:
 * ?status=4xx looks common when other orgs have 4xx rows, and walking
 * the time index backwards looks cheapest, though this org has none.
 * So a class or method filter is steered to its own index: it is
 * written as a range (x >= v AND x <= v, which makes no equivalence
 * class) and put first in ORDER BY (LIST_ORDER), which only that index
 * yields without sorting everything; the CASE folds to NULL, an ignored
 * constant, when the filter is not set.  Each such condition must be
 * leakproof to be an index condition under row-level security (hence
 * status_class, 046, not status / 100).  An exact status also sets its
 * class (filters()).  A key has its own index (030), which the planner
 * picks.  A path prefix has none: an index on (org_id, mode, path
 * text_pattern_ops) cost the writer about 6 us of PostgreSQL CPU per
 * row in bench/ingest (more than the rest of the row), and yields no
 * time order.
 */
#define LIST_ORDER \
	"CASE WHEN $2::integer IS NOT NULL THEN status_class END DESC, " \
	"CASE WHEN $2::integer IS NULL AND $3::text IS NOT NULL " \
	"THEN method END DESC, created_at DESC, id DESC"

static const struct db_stmt requests_list = {
	"requests_list",
	"SELECT " REQ_COLS ", edge, hit FROM ("
	    "SELECT id, request_id, method, path, query, status, "
	    "status_class, error_code, duration_us, credential_kind, "
	    "credential_id, user_id, client_ip, user_agent, created_at, "
	    "sanitized, "
	    "row_number() OVER (ORDER BY " LIST_ORDER ") = $12::bigint "
	    "AS edge, "
	    "(($1::smallint IS NULL OR status = $1) AND "
	    "($2::integer IS NULL OR $3::text IS NULL OR method = $3) AND "
	    "($4::text IS NULL OR left(path, length($4)) = $4) AND "
	    "(($2::integer IS NULL AND $3::text IS NULL) OR "
	    "$5::uuid IS NULL OR credential_id = $5) AND "
	    "($6::uuid IS NULL OR user_id = $6)) AS hit "
	    "FROM latchkey.request_log WHERE "
	    "($2::integer IS NULL OR "
	    "(status_class >= $2 AND status_class <= $2)) AND "
	    "($2::integer IS NOT NULL OR $3::text IS NULL OR "
	    "(method >= $3 AND method <= $3)) AND "
	    "($2::integer IS NOT NULL OR $3::text IS NOT NULL OR "
	    "$5::uuid IS NULL OR credential_id = $5) AND "
	    "($7::timestamptz IS NULL OR created_at >= $7) AND "
	    "($8::timestamptz IS NULL OR created_at < $8) AND "
	    SQL_BEFORE("created_at", "id", "$9", "$10")
	    " ORDER BY " LIST_ORDER " LIMIT $12) w "
	    "WHERE hit OR edge ORDER BY " LIST_ORDER " LIMIT $11",
	12
};

/*
 * Whether the api_key_id filter names a key of the caller's org and
 * mode (row-level security): another org's key would steer the window
 * to that key's rows, which the policy hides from the caller one by one,
 * and walk all of them.
 */
static const struct db_stmt requests_key_visible = {
	"requests_key_visible",
	"SELECT 1 FROM latchkey.api_keys WHERE id = $1",
	1
};

static const struct db_stmt requests_plan_each = {
	"requests_plan_each",
	"SELECT set_config('plan_cache_mode', 'force_custom_plan', true)",
	0
};

static const struct db_stmt requests_get = {
	"requests_get",
	"SELECT " REQ_COLS ", request_body, response_body "
	    "FROM latchkey.request_log WHERE id = $1",
	1
};

static json_object *
request_json(const struct db_res *res, size_t row, int bodies)
{
	static const struct jsonx_col head[] = {
		{ "id", C_ID, 0 },
		{ "request_id", C_RID, 0 },
		{ "method", C_METHOD, 0 },
		{ "path", C_PATH, 0 },
		{ "query", C_QUERY, 0 },
	}, cred_cols[] = {
		{ "kind", C_KIND, 0 },
		{ "id", C_CRED, 0 },
	}, tail[] = {
		{ "user_id", C_USER, 0 },
		{ "client_ip", C_IP, 0 },
		{ "user_agent", C_UA, 0 },
		{ "created_at", C_CREATED, 0 },
		{ "sanitized", C_SANITIZED, 1 },
	}, bodies_cols[] = {
		{ "request_body", C_REQ_BODY, 0 },
		{ "response_body", C_RESP_BODY, 0 },
	};
	json_object *o = json_object_new_object(), *cred;
	const char *v;
	long n;

	if (o == NULL) {
		return NULL;
	}
	jsonx_add_cols(o, res, row, head, JSONX_NCOLS(head));
	v = db_get(res, row, C_STATUS);
	jsonx_add(o, "status", json_object_new_int(v != NULL &&
	    util_parse_long(v, strlen(v), 0, STATUS_MAX, &n) == LK_OK ?
	    (int)n : 0));
	jsonx_add_str(o, "error_code", db_get(res, row, C_ERROR));
	v = db_get(res, row, C_DUR);
	jsonx_add(o, "duration_us", json_object_new_int64(
	    v != NULL && util_parse_long(v, strlen(v), 0, INT_MAX, &n) ==
	    LK_OK ? n : 0));
	cred = json_object_new_object();
	jsonx_add_cols(cred, res, row, cred_cols, JSONX_NCOLS(cred_cols));
	jsonx_add(o, "credential", cred);
	jsonx_add_cols(o, res, row, tail, JSONX_NCOLS(tail));
	if (bodies) {
		jsonx_add_cols(o, res, row, bodies_cols,
		    JSONX_NCOLS(bodies_cols));
	}
	return o;
}

/* Reads an optional query parameter; -1 with a 400 decided if it is
 * malformed. */
static int
param(struct lk_ctx *ctx, const char *name, const char **out)
{
	enum lk_err e;

	*out = NULL;
	e = http_query(ctx->req, ctx->arena, name, out, NULL);
	if (e == LK_ENOTFOUND || (e == LK_OK && **out == '\0')) {
		*out = NULL;
		return 0;
	}
	if (e != LK_OK) {
		reply_error(ctx, 400, "invalid_parameter",
		    "%s is not valid percent-encoding", name);
		return -1;
	}
	return 0;
}

static int
bad(struct lk_ctx *ctx, const char *name, const char *what)
{
	reply_error(ctx, 400, "invalid_parameter", "%s must be %s", name,
	    what);
	return -1;
}

/* Reads the filters into params[0..7]. */
static int
filters(struct lk_ctx *ctx, const char **params)
{
	const char *status, *method, *prefix, *key, *user, *since, *until;
	int64_t t;
	long n;

	if (param(ctx, "status", &status) == -1 ||
	    param(ctx, "method", &method) == -1 ||
	    param(ctx, "path", &prefix) == -1 ||
	    param(ctx, "api_key_id", &key) == -1 ||
	    param(ctx, "user_id", &user) == -1 ||
	    param(ctx, "since", &since) == -1 ||
	    param(ctx, "until", &until) == -1) {
		return -1;
	}
	params[0] = params[1] = NULL;
	if (status != NULL) {
		size_t len = strlen(status);

		if (len == 3 && (status[1] == 'x' || status[1] == 'X') &&
		    (status[2] == 'x' || status[2] == 'X') &&
		    status[0] >= '1' && status[0] <= '5') {
			params[1] = arena_strndup(ctx->arena, status, 1);
		} else if (util_parse_long(status, len, 100, 599,
		    &n) == LK_OK) {
			params[0] = status;
			/* Its class steers the plan (see requests_list). */
			params[1] = arena_strndup(ctx->arena, status, 1);
		} else {
			return bad(ctx, "status",
			    "a status code (404) or class (4xx)");
		}
	}
	if (method != NULL && router_method_parse(method) == 0) {
		return bad(ctx, "method", "an HTTP method in capitals");
	}
	if (prefix != NULL && prefix[0] != '/') {
		return bad(ctx, "path", "a path prefix starting with /");
	}
	if (key != NULL && !util_uuid_valid(key, strlen(key))) {
		return bad(ctx, "api_key_id", "a UUID");
	}
	if (user != NULL && !util_uuid_valid(user, strlen(user))) {
		return bad(ctx, "user_id", "a UUID");
	}
	if (since != NULL &&
	    util_time_parse(since, strlen(since), &t) != LK_OK) {
		return bad(ctx, "since", "an RFC 3339 timestamp");
	}
	if (until != NULL &&
	    util_time_parse(until, strlen(until), &t) != LK_OK) {
		return bad(ctx, "until", "an RFC 3339 timestamp");
	}
	params[2] = method;
	params[3] = prefix;
	params[4] = key;
	params[5] = user;
	params[6] = since;
	params[7] = until;
	return 0;
}

static json_object *
summary_json(const struct db_res *res, size_t row)
{
	return request_json(res, row, 0);
}

static void
list(struct lk_ctx *ctx)
{
	const char *params[12];
	struct db_res *res;
	struct page pg;
	enum lk_err e;
	int visible;

	if (require_perm(ctx, "requests.read") == -1 ||
	    page_parse(ctx, &pg) == -1 || filters(ctx, params) == -1 ||
	    tx_begin(ctx, NULL) == -1) {
		return;
	}
	if (params[4] != NULL) {
		if ((e = db_exec(ctx->db, &requests_key_visible, &params[4],
		    &res)) != LK_OK) {
			tx_fail(ctx, e);
			return;
		}
		visible = db_nrows(res) > 0;
		db_res_free(res);
		if (!visible) {
			page_reply_empty(ctx, &pg);	/* no row of it is ours */
			return;
		}
	}
	if ((e = db_exec(ctx->db, &requests_plan_each, NULL, NULL)) !=
	    LK_OK) {
		tx_fail(ctx, e);
		return;
	}
	page_query_scan(ctx, &requests_list, params, 8, &pg, summary_json,
	    C_CURSOR, C_EDGE);
}

static void
get(struct lk_ctx *ctx)
{
	const char *id;
	struct db_res *res;
	json_object *o;

	if (require_perm(ctx, "requests.read") == -1 ||
	    tx_begin(ctx, NULL) == -1) {
		return;
	}
	id = validate_path_param(ctx, "id");
	if ((res = tx_one_row(ctx, &requests_get, &id, "request")) ==
	    NULL) {
		return;
	}
	o = request_json(res, 0, 1);
	db_res_free(res);
	tx_reply(ctx, 200, o);
}

static const struct route routes[] = {
	{ HTTP_GET, "/v1/requests", list,
	    "The request history, newest first, with filters" },
	{ HTTP_GET, "/v1/requests/{id}", get,
	    "One recorded request with its redacted bodies" },
};

const struct route_table handlers_requests = {
	routes, sizeof(routes) / sizeof(routes[0])
};
