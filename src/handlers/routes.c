/*
 * routes.c: the org's own upstream routes: GET/POST /v1/routes and
 * DELETE /v1/routes/{id} (latchkey.org_routes, sql/038).
 *
 * The operator's routes (latchkey.routes, latchkeyctl route) are
 * deployment-wide and stay the operator's.  An org's route only adds a
 * requirement for the org's own callers: the authorizer lets a request
 * through when the operator's route does and the caller also holds the
 * permission of the org's most specific matching route.  So an org route
 * is never public and names no direct resource type, and a permission
 * must be in the catalog (a typo would lock every key out).  Org-wide
 * data: reading needs routes.read, changing routes.write and a live
 * credential.  A change reaches every worker of every host as the
 * operator's routes do: the table's trigger NOTIFYs latchkey_auth.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "authz.h"
#include "db.h"
#include "handlers/handlers.h"
#include "perm.h"
#include "util.h"

#define ROUTE_COLS \
	"id, method, pattern, permission, created_by_user, created_by_key, " \
	SQL_TS("created_at") ", " SQL_CURSOR("created_at", "id")

enum { C_ID, C_METHOD, C_PATTERN, C_PERMISSION, C_BY_USER, C_BY_KEY,
    C_CREATED, C_CURSOR };

/* Inserts nothing when the permission is not in the catalog. */
static const struct db_stmt routes_insert = {
	"org_routes_insert",
	"INSERT INTO latchkey.org_routes (org_id, method, pattern, "
	    "permission, created_by_user, created_by_key) "
	    "SELECT latchkey.current_org_id(), $1, $2, $3, $4::uuid, $5::uuid "
	    "WHERE EXISTS (SELECT 1 FROM latchkey.permissions p "
	    "WHERE p.name = $3) RETURNING " ROUTE_COLS,
	5
};

/* The org's routes and the deployment's, against the bounds. */
static const struct db_stmt routes_count = {
	"org_routes_count",
	"SELECT (SELECT count(*) FROM latchkey.org_routes), "
	    "latchkey.org_routes_count()",
	0
};

enum { N_ORG, N_ALL };

static const struct db_stmt routes_list = {
	"org_routes_list",
	"SELECT " ROUTE_COLS " FROM latchkey.org_routes WHERE "
	    SQL_AFTER("created_at", "id", "$1", "$2")
	    " ORDER BY created_at, id LIMIT $3",
	3
};

static const struct db_stmt routes_delete = {
	"org_routes_delete",
	"DELETE FROM latchkey.org_routes WHERE id = $1 "
	    "RETURNING id, method, pattern, permission",
	1
};

enum { D_ID, D_METHOD, D_PATTERN, D_PERMISSION };

static json_object *
route_json(const struct db_res *res, size_t row)
{
	static const struct jsonx_col cols[] = {
		{ "id", C_ID, 0 },
		{ "method", C_METHOD, 0 },
		{ "pattern", C_PATTERN, 0 },
		{ "permission", C_PERMISSION, 0 },
		{ "created_by_user", C_BY_USER, 0 },
		{ "created_by_key", C_BY_KEY, 0 },
		{ "created_at", C_CREATED, 0 },
	};
	json_object *o = json_object_new_object();

	jsonx_add_cols(o, res, row, cols, JSONX_NCOLS(cols));
	return o;
}

/* Returns 1 if m is "*" or 1..AUTHZ_METHOD_MAX capital letters, the
 * table's rule (015, 038). */
static int
method_valid(const char *m)
{
	size_t n = strlen(m);

	return strcmp(m, "*") == 0 || (n >= 1 && n <= AUTHZ_METHOD_MAX &&
	    strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n);
}

/* Checks the body's fields; records field errors. */
static void
check_fields(struct lk_ctx *ctx, json_object *body, const char **method,
    const char **pattern, const char **perm)
{
	static const char *const allowed[] = { "method", "pattern",
	    "permission", "public", "direct_resource_type", NULL };
	static const char operator_only[] = "an org's route only adds a "
	    "permission for the org's own callers; public routes and direct "
	    "resource types are the operator's (latchkeyctl route add)";

	validate_only(ctx, body, allowed);
	validate_string(ctx, body, "method", 1, 1, AUTHZ_METHOD_MAX, method);
	validate_string(ctx, body, "pattern", 1, 1, AUTHZ_PATTERN_MAX,
	    pattern);
	validate_string(ctx, body, "permission", 1, 1, AUTHZ_PERMISSION_MAX,
	    perm);
	if (*method != NULL && !method_valid(*method)) {
		validate_field_error(ctx, "method", "must be a method in "
		    "capitals (GET, POST...) or *");
	}
	if (*pattern != NULL && !authz_pattern_valid(*pattern)) {
		validate_field_error(ctx, "pattern", "must be a path starting "
		    "with /, with * only as a whole segment");
	}
	if (*perm != NULL && !perm_name_valid(*perm)) {
		validate_field_error(ctx, "permission", "must be a permission "
		    "name: a-z, 0-9 and _, in dot-separated parts");
	}
	if (json_object_object_get_ex(body, "public", NULL)) {
		validate_field_error(ctx, "public", operator_only);
	}
	if (json_object_object_get_ex(body, "direct_resource_type", NULL)) {
		validate_field_error(ctx, "direct_resource_type",
		    operator_only);
	}
}

/* Refuses (409 route_limit) a route past the org's or the deployment's
 * bound.  Returns 0 when there is room, -1 with the response decided
 * and the transaction rolled back. */
static int
room_check(struct lk_ctx *ctx)
{
	struct db_res *res;
	long org, all;
	enum lk_err e;

	if ((e = db_exec(ctx->db, &routes_count, NULL, &res)) != LK_OK) {
		tx_fail(ctx, e);
		return -1;
	}
	org = db_get_num(res, 0, N_ORG);
	all = db_get_num(res, 0, N_ALL);
	db_res_free(res);
	if (org >= AUTHZ_ORG_ROUTES_MAX || all >= AUTHZ_ORG_ROUTES_TOTAL_MAX) {
		db_rollback(ctx->db);
		reply_error(ctx, 409, "route_limit", "%s holds as many routes "
		    "as it may (%d per org, %d over the deployment)",
		    org >= AUTHZ_ORG_ROUTES_MAX ? "the org" : "the deployment",
		    AUTHZ_ORG_ROUTES_MAX, AUTHZ_ORG_ROUTES_TOTAL_MAX);
		return -1;
	}
	return 0;
}

static void
create(struct lk_ctx *ctx)
{
	const char *method = NULL, *pattern = NULL, *perm = NULL;
	const char *params[5];
	struct db_res *res;
	json_object *body, *o, *detail;
	enum lk_err e;

	if (require_live(ctx) == -1 || require_perm(ctx, "routes.write") ==
	    -1 || validate_body_object(ctx, &body) == -1) {
		return;
	}
	check_fields(ctx, body, &method, &pattern, &perm);
	if (validate_fields_check(ctx) == -1 || tx_begin(ctx, NULL) == -1 ||
	    room_check(ctx) == -1) {
		return;
	}
	params[0] = method;
	params[1] = pattern;
	params[2] = perm;
	params[3] = app_nonempty(ctx->id.user_id);
	params[4] = ctx->id.kind == CRED_KEY ? ctx->id.key_id : NULL;
	if ((e = db_exec(ctx->db, &routes_insert, params, &res)) != LK_OK) {
		if (e == LK_ECONFLICT && strcmp(db_last_constraint(ctx->db),
		    "org_routes_org_method_pattern_key") == 0) {
			db_rollback(ctx->db);
			reply_error(ctx, 409, "route_exists", "the org already "
			    "has a route for %s %s; delete it first", method,
			    pattern);
			return;
		}
		tx_fail(ctx, e);
		return;
	}
	if (db_nrows(res) != 1) {
		db_res_free(res);
		db_rollback(ctx->db);
		validate_field_error(ctx, "permission",
		    "is not in the permission catalog (GET /v1/permissions)");
		if (validate_fields_check(ctx) == -1) {
			return;
		}
		reply_internal(ctx, LK_EINVAL, "the permission check");
		return;
	}
	o = route_json(res, 0);
	detail = json_object_new_object();
	jsonx_add_str(detail, "method", method);
	jsonx_add_str(detail, "pattern", pattern);
	jsonx_add_str(detail, "permission", perm);
	ctx->auth_changed = 1;
	tx_audit_reply(ctx, 201, o, "route.created", "route",
	    db_get(res, 0, C_ID), detail);
	db_res_free(res);
}

static void
list(struct lk_ctx *ctx)
{
	const char *params[3];
	struct page pg;

	if (require_perm(ctx, "routes.read") == -1 ||
	    page_parse(ctx, &pg) == -1 || tx_begin(ctx, NULL) == -1) {
		return;
	}
	page_query(ctx, &routes_list, params, 0, &pg, route_json, C_CURSOR);
}

static void
delete(struct lk_ctx *ctx)
{
	const char *id;
	struct db_res *res;
	json_object *detail;

	if (require_live(ctx) == -1 || require_perm(ctx, "routes.write") ==
	    -1 || tx_begin(ctx, NULL) == -1) {
		return;
	}
	id = validate_path_param(ctx, "id");
	if ((res = tx_one_row(ctx, &routes_delete, &id, "route")) == NULL) {
		return;
	}
	detail = json_object_new_object();
	jsonx_add_str(detail, "method", db_get(res, 0, D_METHOD));
	jsonx_add_str(detail, "pattern", db_get(res, 0, D_PATTERN));
	jsonx_add_str(detail, "permission", db_get(res, 0, D_PERMISSION));
	db_res_free(res);
	ctx->auth_changed = 1;
	tx_audit_reply(ctx, 204, NULL, "route.deleted", "route", id, detail);
}

static const struct route routes[] = {
	{ HTTP_GET, "/v1/routes", list, "List the org's upstream routes" },
	{ HTTP_POST, "/v1/routes", create,
	    "Add a route: the org's callers also need its permission" },
	{ HTTP_DELETE, "/v1/routes/{id}", delete, "Remove one of the "
	    "org's routes" },
};

const struct route_table handlers_routes = {
	routes, sizeof(routes) / sizeof(routes[0])
};
