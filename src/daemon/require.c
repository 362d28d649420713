/*
 * require.c: the authentication steps of a handler.  Gathers the
 * credential from every transport (headers, cookie, query), checks CSRF
 * for cookie-authenticated unsafe requests, resolves the caller through
 * auth.c with the worker's clocks, roles and cache, applies the rate
 * limit, and requires a permission or live mode, auditing a refusal.  It
 * decides 4xx answers only; how a credential is verified is auth.c's, and
 * what a resource allows is the handler's.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "app.h"
#include "authcache.h"
#include "authority.h"
#include "log.h"
#include "sanitize.h"
#include "session.h"
#include "util.h"


/* Reads every place a credential may come from. */
static int
transports(struct lk_ctx *ctx, struct credential_input *in)
{
	enum lk_err e;

	in->authorization = http_param(ctx->req, "HTTP_AUTHORIZATION");
	in->x_api_key = http_param(ctx->req, "HTTP_X_API_KEY");
	in->x_internal_key = http_param(ctx->req, "HTTP_X_INTERNAL_KEY");
	/* The session cookie is the dashboard's credential for the
	 * management API only: an upstream behind the authorizer never
	 * accepts it, or every page of the site could call it. */
	in->cookie = ctx->req->role == HTTP_RESPONDER ?
	    http_param(ctx->req, "HTTP_COOKIE") : NULL;
	e = http_query(ctx->req, ctx->arena, "token", &in->q_token,
	    &in->q_token_count);
	if (e == LK_ENOTFOUND) {
		in->q_token = NULL;
	} else if (e != LK_OK) {
		reply_error(ctx, 400, "malformed_query",
		    "the token parameter is not valid percent-encoding");
		return -1;
	}
	e = http_query(ctx->req, ctx->arena, "accesskey", &in->q_accesskey,
	    &in->q_accesskey_count);
	if (e == LK_ENOTFOUND) {
		in->q_accesskey = NULL;
	} else if (e != LK_OK) {
		reply_error(ctx, 400, "malformed_query",
		    "the accesskey parameter is not valid percent-encoding");
		return -1;
	}
	return 0;
}

int
require_same_origin(struct lk_ctx *ctx, int required)
{
	struct session_origin o;
	const char *https = http_param(ctx->req, "HTTPS");

	o.origin = http_param(ctx->req, "HTTP_ORIGIN");
	o.referer = http_param(ctx->req, "HTTP_REFERER");
	o.host = http_param(ctx->req, "HTTP_HOST");
	o.https = https != NULL && strcasecmp(https, "on") == 0;
	return session_same_origin(&o, required);
}

/* A cookie-authenticated unsafe request: from our own origin, with the
 * header only our pages send (a cross-site form cannot set it). */
static int
csrf_ok(struct lk_ctx *ctx)
{
	const char *h = http_param(ctx->req, SESSION_CSRF_PARAM);

	return h != NULL && strcmp(h, "1") == 0 && require_same_origin(ctx, 1);
}

/*
 * 429 rate_limited, "rate limit exceeded; retry in N s", its digits
 * written by hand: a refusal is answered from the host's memory many
 * times a second, and vsnprintf() was about 1.5k of its instructions
 * (callgrind, bench/callgrind).
 */
static void
refuse_rate(struct lk_ctx *ctx, int retry_s)
{
	static const char head[] = "rate limit exceeded; retry in ";
	char msg[sizeof(head) + 16], digits[12];
	size_t n = 0, k = sizeof(digits);
	unsigned v = retry_s > 0 ? (unsigned)retry_s : 0;
	const char *s;

	do {
		digits[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && k > 0);
	memcpy(msg, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	memcpy(msg + n, digits + k, sizeof(digits) - k);
	n += sizeof(digits) - k;
	memcpy(msg + n, " s", 2);
	n += 2;
	if ((s = arena_strndup(ctx->arena, msg, n)) == NULL) {
		reply_error(ctx, 429, "rate_limited", "rate limit exceeded; "
		    "retry in %d s", retry_s);
		return;
	}
	reply_error_static(ctx, 429, "rate_limited", s);
}

int
require_auth(struct lk_ctx *ctx)
{
	struct credential_input in;
	struct credential cred;
	struct credential_fail fail;
	struct auth_env env;
	struct timespec ts;
	enum lk_err e;
	int r;

	if (ctx->authenticated) {
		return 0;
	}
	memset(&in, 0, sizeof(in));
	memset(&cred, 0, sizeof(cred));
	if (ctx->cred_override != NULL) {
		/* POST /v1/auth/verify: the credential asked about. */
		in.authorization = ctx->cred_override;
	} else if (transports(ctx, &in) == -1) {
		return -1;
	}
	if ((r = credential_extract(&in, &cred, &fail)) == -1) {
		reply_error_static(ctx, fail.status, fail.code, fail.message);
		return -1;
	}
	if (r == 1 && cred.cookie &&
	    !session_method_safe(ctx->req->method_str) &&
	    !csrf_ok(ctx)) {
		reply_error(ctx, 403, "csrf_failed", "a request authenticated "
		    "by the session cookie must come from this site's own "
		    "pages: same Origin and the " SESSION_CSRF_HEADER
		    " header");
		return -1;
	}
	if (r == 0) {
		reply_error(ctx, 401, "missing_credentials",
		    "send a credential: Authorization: Bearer <token or API "
		    "key>, X-API-Key, ?token= or ?accesskey=");
		return -1;
	}
	memset(&env, 0, sizeof(env));
	env.cache = ctx->w->cache;
	env.cache_ttl_ms = ctx->cfg->auth_cache_ttl_ms;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
		ts.tv_sec = 0;
		ts.tv_nsec = 0;
	}
	env.mono_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if ((e = auth_load_roles(ctx->db, &ctx->w->roles,
	    (int64_t)ts.tv_sec + 1, env.cache != NULL ?
	    authcache_epoch(env.cache) : 0)) != LK_OK) {
		reply_db_error(ctx, e);
		return -1;
	}
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1) {
		ts.tv_sec = time(NULL);
		ts.tv_nsec = 0;
	}
	env.now = (int64_t)ts.tv_sec;
	env.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	env.db = ctx->db;
	env.jwt = &ctx->w->jwt;
	env.leeway = ctx->cfg->jwt_leeway;
	env.roles = &ctx->w->roles;
	env.key_prefix = ctx->cfg->api_key_prefix;
	env.mode = http_param(ctx->req, "HTTP_X_LATCHKEY_MODE");
	env.org_header = http_param(ctx->req, "HTTP_X_ORG_ID");
	env.service_keys = ctx->cfg->service_keys;
	env.nservice_keys = ctx->cfg->nservice_keys;
	env.remote_addr = ctx->req->remote_addr;
	/* Read only where netaddr_client() may use it. */
	env.forwarded_for = ctx->cfg->ntrusted_proxies > 0 ?
	    http_param(ctx->req, "HTTP_X_FORWARDED_FOR") : NULL;
	env.proxies = ctx->cfg->trusted_proxies;
	env.nproxies = ctx->cfg->ntrusted_proxies;
	if (env.mode != NULL && strcmp(env.mode, "live") != 0 &&
	    strcmp(env.mode, "test") != 0) {
		reply_error(ctx, 400, "invalid_mode",
		    "X-Latchkey-Mode must be live or test");
		return -1;
	}
	e = auth_resolve(&env, &cred, &ctx->id, &fail);
	if (e == LK_EDENIED) {
		if (fail.retry_after_s > 0) {
			buf_printf(&ctx->w->headers, "Retry-After: %d\r\n",
			    fail.retry_after_s);
		}
		reply_error_static(ctx, fail.status, fail.code, fail.message);
		return -1;
	}
	if (e != LK_OK) {
		reply_db_error(ctx, e);
		return -1;
	}
	ctx->identified = 1;
	if (ctx->id.kind == CRED_DIRECT && !ctx->allow_direct) {
		reply_error(ctx, 403, "direct_token_not_allowed", "a direct "
		    "token reaches only the upstream routes of its resource, "
		    "never the management API");
		return -1;
	}
	ratelimit_headers(&ctx->id.rate, &ctx->w->headers);
	if (ctx->id.rate.present && !ctx->id.rate.allowed) {
		refuse_rate(ctx, ratelimit_retry_after(&ctx->id.rate));
		return -1;
	}
	ctx->authenticated = 1;
	return 0;
}

/* Returns an arena copy of p[0..len) made into text (sanitize_text()),
 * or NULL when the arena is full. */
static const char *
arena_text(struct lk_arena *a, const char *p, size_t len)
{
	struct lk_buf t;
	const char *s;

	if (sanitize_text_ok(p, len)) {
		return arena_strndup(a, p, len);
	}
	buf_init(&t, len * 4 + 1);
	(void)sanitize_text(p, len, &t);	/* known: changed */
	s = buf_failed(&t) ? NULL : arena_strndup(a, t.p, t.len);
	buf_free(&t);
	return s;
}

int
require_perm(struct lk_ctx *ctx, const char *perm)
{
	if (require_auth(ctx) == -1) {
		return -1;
	}
	if (!perm_set_allows(&ctx->id.perms, perm)) {
		json_object *d = json_object_new_object();

		jsonx_add_str(d, "permission", perm);
		jsonx_add_str(d, "path", arena_text(ctx->arena,
		    ctx->req->path.p, ctx->req->path.len));
		audit_send(ctx, "permission.denied", NULL, NULL, d);
		reply_error(ctx, 403, "permission_denied",
		    "this credential lacks the permission %s", perm);
		return -1;
	}
	return 0;
}

int
require_live(struct lk_ctx *ctx)
{
	if (require_auth(ctx) == -1) {
		return -1;
	}
	if (authority_live_required(ctx->id.mode) != LK_OK) {
		reply_error(ctx, 403, "live_mode_required",
		    "org-wide data (users, roles, settings) is live data: "
		    "use a live credential");
		return -1;
	}
	return 0;
}
