/*
 * authorizer.c: the FastCGI AUTHORIZER role, latchkey in front of the
 * upstream API.  Loads the operator's routes and every org's own
 * (refreshed each minute or on an auth-cache flush), decides a request
 * by its most specific route, then by the caller's org's most specific
 * route, which can only add a permission, and renders a grant as
 * Variable-* headers naming the caller, plus where the credential came
 * from so the web server can strip it.  It
 * decides; app.c renders and sends.  It knows nothing of the management
 * API's handlers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "apikey.h"
#include "app.h"
#include "authcache.h"
#include "authority.h"
#include "authz.h"
#include "db.h"
#include "log.h"
#include "util.h"


#define ROUTES_MAX		10000
#define ROUTES_TTL_S		60

static const struct db_stmt routes_all = {
	"app_routes",
	"SELECT id, method, pattern, coalesce(permission, ''), public, "
	    "coalesce(direct_resource_type, '') FROM latchkey.routes",
	0
};

enum { R_ID, R_METHOD, R_PATTERN, R_PERMISSION, R_PUBLIC, R_DIRECT_TYPE };

/* Every org's own routes (sql/038), ordered by org as strcmp() orders. */
static const struct db_stmt org_routes_all = {
	"app_org_routes",
	"SELECT id, org_id, method, pattern, permission "
	    "FROM latchkey.org_routes_all($1)",
	1
};

enum { O_ID, O_ORG, O_METHOD, O_PATTERN, O_PERMISSION };

/* What a worker loads at most: POST /v1/routes keeps the total under
 * AUTHZ_ORG_ROUTES_TOTAL_MAX, and a race between two creations can pass
 * it by little.  Past this the authorizer fails closed. */
#define ORG_ROUTES_LOAD_MAX	(2 * AUTHZ_ORG_ROUTES_TOTAL_MAX)

/* Loads every org's routes into w.  An org route only tightens, so
 * dropping one would open what it closes: too many is an error. */
static enum lk_err
load_org_routes(struct app_worker *w)
{
	char limit[16];
	const char *params[1] = { limit };
	struct authz_route *rs;
	char (*orgs)[37];
	struct db_res *res;
	size_t i, n;
	enum lk_err e;

	if ((e = util_snprintf(limit, sizeof(limit), "%d",
	    ORG_ROUTES_LOAD_MAX + 1)) != LK_OK) {
		return e;
	}
	if ((e = db_exec(w->db, &org_routes_all, params, &res)) != LK_OK) {
		return e;
	}
	n = db_nrows(res);
	if (n > ORG_ROUTES_LOAD_MAX) {
		log_err("more than %d org routes: the authorizer refuses "
		    "until some are deleted", ORG_ROUTES_LOAD_MAX);
		db_res_free(res);
		return LK_ETOOBIG;
	}
	rs = calloc(n + 1, sizeof(*rs));
	orgs = calloc(n + 1, sizeof(*orgs));
	if (rs == NULL || orgs == NULL) {
		free(rs);
		free(orgs);
		db_res_free(res);
		return LK_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (db_get_copy(res, i, O_ID, rs[i].id, sizeof(rs[i].id)) !=
		    LK_OK ||
		    db_get_copy(res, i, O_ORG, orgs[i], sizeof(orgs[i])) !=
		    LK_OK ||
		    db_get_copy(res, i, O_METHOD, rs[i].method,
		    sizeof(rs[i].method)) != LK_OK ||
		    db_get_copy(res, i, O_PATTERN, rs[i].pattern,
		    sizeof(rs[i].pattern)) != LK_OK ||
		    db_get_copy(res, i, O_PERMISSION, rs[i].permission,
		    sizeof(rs[i].permission)) != LK_OK) {
			/* The table's checks make this impossible; failing
			 * closed keeps a tightening rule from being lost. */
			log_err("org route %s does not fit",
			    db_get(res, i, O_ID));
			free(rs);
			free(orgs);
			db_res_free(res);
			return LK_ETOOBIG;
		}
	}
	db_res_free(res);
	free(w->org_routes);
	free(w->org_route_orgs);
	w->org_routes = rs;
	w->org_route_orgs = orgs;
	w->norg_routes = n;
	return LK_OK;
}

/* The most specific of org's own routes for method and path, or NULL. */
static const struct authz_route *
org_route(const struct app_worker *w, const char *org, const char *method,
    const char *path, size_t len)
{
	size_t lo = 0, hi = w->norg_routes, mid, end;
	int k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(w->org_route_orgs[mid], org) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	for (end = lo; end < w->norg_routes &&
	    strcmp(w->org_route_orgs[end], org) == 0; end++) {
		;
	}
	if (end == lo) {
		return NULL;
	}
	k = authz_match(w->org_routes + lo, end - lo, method, path, len);
	return k >= 0 ? &w->org_routes[lo + (size_t)k] : NULL;
}

/* Loads the routes when they are older than a minute or the auth cache
 * was flushed since (a route changed: NOTIFY). */
static enum lk_err
load_routes(struct app_worker *w)
{
	struct timespec ts;
	struct authz_route *rs;
	struct db_res *res;
	uint64_t epoch = w->cache != NULL ? authcache_epoch(w->cache) : 0;
	size_t i, n;
	enum lk_err e;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
		ts.tv_sec = 0;
	}
	if (w->routes_loaded != 0 && epoch == w->routes_epoch &&
	    ts.tv_sec - w->routes_loaded < ROUTES_TTL_S) {
		return LK_OK;
	}
	if ((e = load_org_routes(w)) != LK_OK ||
	    (e = db_exec(w->db, &routes_all, NULL, &res)) != LK_OK) {
		return e;
	}
	n = db_nrows(res);
	if (n > ROUTES_MAX) {
		log_err("%zu routes: only the first %d are used", n,
		    ROUTES_MAX);
		n = ROUTES_MAX;
	}
	if ((rs = calloc(n + 1, sizeof(*rs))) == NULL) {
		db_res_free(res);
		return LK_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (db_get_copy(res, i, R_ID, rs[i].id, sizeof(rs[i].id)) !=
		    LK_OK ||
		    db_get_copy(res, i, R_METHOD, rs[i].method,
		    sizeof(rs[i].method)) != LK_OK ||
		    db_get_copy(res, i, R_PATTERN, rs[i].pattern,
		    sizeof(rs[i].pattern)) != LK_OK ||
		    db_get_copy(res, i, R_PERMISSION, rs[i].permission,
		    sizeof(rs[i].permission)) != LK_OK ||
		    db_get_copy(res, i, R_DIRECT_TYPE, rs[i].direct_type,
		    sizeof(rs[i].direct_type)) != LK_OK) {
			log_err("route %s does not fit; ignored",
			    db_get(res, i, R_ID));
			memset(&rs[i], 0, sizeof(rs[i]));
			continue;
		}
		rs[i].public = strcmp(db_get(res, i, R_PUBLIC), "t") == 0;
	}
	db_res_free(res);
	free(w->routes);
	w->routes = rs;
	w->nroutes = n;
	w->routes_epoch = epoch;
	w->routes_loaded = ts.tv_sec != 0 ? ts.tv_sec : 1;
	return LK_OK;
}

/* Adds "Variable-NAME: value" for the web server to hand upstream. */
static void
variable(struct app_worker *w, const char *name, const char *value)
{
	char hdr[64];

	if (value == NULL || value[0] == '\0' ||
	    util_snprintf(hdr, sizeof(hdr), "Variable-%s", name) != LK_OK) {
		return;
	}
	app_add_header(w, hdr, value);
}

/* The caller's org's own route, on top of the operator's: 0 when it
 * passes (or there is none), -1 with the refusal decided. */
static int
org_route_check(struct lk_ctx *ctx, const char *method, const char *path,
    size_t len)
{
	const struct authz_route *o;

	if (ctx->id.org_id[0] == '\0' || (o = org_route(ctx->w,
	    ctx->id.org_id, method, path, len)) == NULL) {
		return 0;
	}
	if (ctx->id.kind != CRED_DIRECT) {
		return require_perm(ctx, o->permission);
	}
	if (!authority_direct_may_pass(&ctx->id, o->permission)) {
		reply_error(ctx, 403, "direct_creator_lacks_permission",
		    "your org's route needs %s, which the creator of this "
		    "direct hash does not hold", o->permission);
		return -1;
	}
	return 0;
}

int
authorizer_route_check(struct lk_ctx *ctx, const char *method, const char *path,
    size_t len, const struct authz_route **route)
{
	const struct authz_route *r = NULL;
	enum lk_err e;
	int k;

	*route = NULL;
	if (!authz_path_canonical(path, len)) {
		reply_error(ctx, 400, "malformed_path", "the path must be "
		    "canonical: no . or .. or empty segments, no ';', no "
		    "escaped separators or plain characters");
		return -1;
	}
	if ((e = load_routes(ctx->w)) != LK_OK) {
		reply_db_error(ctx, e);
		return -1;
	}
	k = authz_match(ctx->w->routes, ctx->w->nroutes, method, path, len);
	if (k >= 0) {
		r = &ctx->w->routes[k];
	} else if (!ctx->cfg->authorizer_allow_unrouted) {
		/* Who may not call learns nothing of what is routed. */
		ctx->allow_direct = 1;
		if (require_auth(ctx) == -1) {
			return -1;
		}
		reply_error(ctx, 403, "no_route", "no route allows %s %.*s",
		    method, (int)(len > APP_ECHO_MAX ? APP_ECHO_MAX : len),
		    path);
		return -1;
	}
	*route = r;
	if (r != NULL && r->public) {
		return 0;
	}
	ctx->allow_direct = 1;
	if (require_auth(ctx) == -1) {
		return -1;
	}
	if (ctx->id.kind == CRED_DIRECT && (r == NULL ||
	    r->direct_type[0] == '\0' ||
	    strcmp(r->direct_type, ctx->id.rtype) != 0)) {
		reply_error(ctx, 403, "direct_token_out_of_scope",
		    "this direct token is for a %s, not for this route",
		    ctx->id.rtype);
		return -1;
	}
	if (ctx->id.kind == CRED_DIRECT &&
	    !authority_direct_may_pass(&ctx->id, r->permission)) {
		reply_error(ctx, 403, "direct_creator_lacks_permission",
		    "this route needs %s, which the creator of this direct "
		    "hash no longer holds", r->permission);
		return -1;
	}
	if (ctx->id.kind != CRED_DIRECT && r != NULL &&
	    r->permission[0] != '\0' &&
	    require_perm(ctx, r->permission) == -1) {
		return -1;
	}
	return org_route_check(ctx, method, path, len);
}

/*
 * Returns 1 if an Authorization header value is "Bearer <v>" with v a
 * latchkey credential: a well-formed API key, a service key, or a token
 * signed with latchkey's JWT secret (expired or not).  For public routes,
 * where nothing is authenticated: the upstream may use Authorization for
 * its own scheme, but must never receive one of latchkey's secrets.
 */
static int
bearer_is_latchkey(struct lk_ctx *ctx, const char *a)
{
	struct jwt_claims c;
	const char *v;
	size_t len;
	enum lk_err e;

	if (strncasecmp(a, "Bearer ", 7) != 0) {
		return 0;
	}
	for (v = a + 7; *v == ' '; v++) {
		;
	}
	len = strlen(v);
	if (apikey_looks_like(v, len) ||
	    credential_service_key(ctx->cfg->service_keys,
	    ctx->cfg->nservice_keys, v, len)) {
		return 1;
	}
	e = jwt_verify(v, len, &ctx->w->jwt, (int64_t)time(NULL),
	    ctx->cfg->jwt_leeway, &c);
	OPENSSL_cleanse(&c, sizeof(c));
	return e == LK_OK || e == LK_EEXPIRED;
}

/*
 * Where the request's latchkey credential came from, for the web server
 * to remove it before the upstream: "authorization", "header" (X-API-Key,
 * X-Internal-Key), "query" (?accesskey=, ?token=), or NULL for none.  An
 * authenticated request carried exactly one (credential_extract() refuses
 * more), so whatever transport is present is the credential.  The
 * configs always remove the headers and parameters that only latchkey
 * reads; Authorization only when this says so.
 */
static const char *
credential_in(struct lk_ctx *ctx, int authenticated)
{
	const char *a = http_param(ctx->req, "HTTP_AUTHORIZATION");

	if (a != NULL && (authenticated || bearer_is_latchkey(ctx, a))) {
		return "authorization";
	}
	if (!authenticated) {
		return NULL;
	}
	if (http_param(ctx->req, "HTTP_X_API_KEY") != NULL ||
	    http_param(ctx->req, "HTTP_X_INTERNAL_KEY") != NULL) {
		return "header";
	}
	return "query";
}

void
authorizer_handle(struct lk_ctx *ctx)
{
	struct http_req *req = ctx->req;
	const struct authz_route *r;
	struct lk_buf perms;
	size_t i;

	if (req->uri_too_long) {
		reply_uri_too_long(ctx);
		return;
	}
	/* http_read() left the upstream's own path whole. */
	if (authorizer_route_check(ctx, req->method_str, req->path.p,
	    req->path.len, &r) == -1) {
		return;
	}
	variable(ctx->w, "LK_REQUEST_ID", req->request_id);
	if (r != NULL && r->public) {
		variable(ctx->w, "LK_CREDENTIAL_IN", credential_in(ctx, 0));
		reply_success(ctx, 200, NULL);
		return;
	}
	buf_init(&perms, 8192);
	for (i = 0; i < ctx->id.perms.n; i++) {
		buf_puts(&perms, i > 0 ? "," : "");
		buf_puts(&perms, ctx->id.perms.items[i]);
	}
	variable(ctx->w, "LK_ORG_ID", ctx->id.org_id);
	variable(ctx->w, "LK_MODE", ctx->id.mode);
	variable(ctx->w, "LK_KEY_ID", ctx->id.kind == CRED_KEY ?
	    ctx->id.key_id : NULL);
	variable(ctx->w, "LK_USER_ID", ctx->id.user_id);
	variable(ctx->w, "LK_PERMISSIONS", buf_failed(&perms) ? NULL :
	    buf_cstr(&perms));
	variable(ctx->w, "LK_CREDENTIAL_KIND",
	    credential_kind_str(ctx->id.kind));
	variable(ctx->w, "LK_CREDENTIAL_IN", credential_in(ctx, 1));
	variable(ctx->w, "LK_RESOURCE_TYPE", ctx->id.rtype);
	variable(ctx->w, "LK_RESOURCE_ID", ctx->id.rid);
	buf_free(&perms);
	reply_success(ctx, 200, NULL);
}
