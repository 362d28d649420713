/*
 * app.c: from an accepted FastCGI request to a sent response.  Reads the
 * request (http.c), routes it (router.c), lets the handler decide, then
 * writes the decision.  Also holds the steps handlers share, so no handler
 * repeats body parsing, authentication, validation or pagination.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <fcgiapp.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "apikey.h"
#include "app.h"
#include "authcache.h"
#include "authority.h"
#include "authz.h"
#include "db.h"
#include "handlers/handlers.h"
#include "jsoncheck.h"
#include "log.h"
#include "redact.h"
#include "reqlog.h"
#include "sanitize.h"
#include "session.h"
#include "util.h"

#define RESPONSE_MAX		(16u * 1024 * 1024)
#define HEADERS_MAX		(16u * 1024)
#define MESSAGE_MAX		512

static const struct route_table *const tables[] = {
	&handlers_health,
	&handlers_auth,
	&handlers_me,
	&handlers_users,
	&handlers_keys,
	&handlers_catalog,
	&handlers_requests,
	&handlers_activity,
	&handlers_usage,
	&handlers_openapi,
	&handlers_directs,
	&handlers_boot,
	&handlers_session,
};

#define NTABLES	(sizeof(tables) / sizeof(tables[0]))

const struct route_table *const *
app_route_tables(size_t *n)
{
	*n = NTABLES;
	return tables;
}


/* The names redacted from recorded bodies and query strings: the
 * defaults plus the configured ones. */
static void
redact_list(struct worker *w, const char *extra)
{
	size_t n = 0, i;
	char *p, *tok;

	for (i = 0; redact_default_fields[i] != NULL && n < APP_REDACT_MAX;
	    i++) {
		w->redact[n++] = redact_default_fields[i];
	}
	if (snprintf(w->redact_names, sizeof(w->redact_names), "%s", extra) <
	    0) {
		w->redact_names[0] = '\0';
	}
	for (p = w->redact_names; *p != '\0' && n < APP_REDACT_MAX; ) {
		p += strspn(p, ", ");
		tok = p;
		p += strcspn(p, ", ");
		if (*p != '\0') {
			*p++ = '\0';
		}
		if (*tok != '\0') {
			w->redact[n++] = tok;
		}
	}
	w->redact[n] = NULL;
}

enum lk_err
app_worker_init(struct worker *w, const struct lk_config *cfg)
{
	unsigned char pw[PASSWORD_MIN_LEN * 2];
	enum lk_err e;

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->jwt.current = (const unsigned char *)cfg->jwt_secret;
	w->jwt.current_len = strlen(cfg->jwt_secret);
	if (cfg->jwt_secret_previous[0] != '\0') {
		w->jwt.previous =
		    (const unsigned char *)cfg->jwt_secret_previous;
		w->jwt.previous_len = strlen(cfg->jwt_secret_previous);
	}
	buf_init(&w->out, RESPONSE_MAX);
	buf_init(&w->headers, HEADERS_MAX);
	buf_init(&w->record, REQLOG_MSG_MAX);
	for (size_t i = 0; i < sizeof(w->scratch) / sizeof(w->scratch[0]);
	    i++) {
		buf_init(&w->scratch[i], REQLOG_MSG_MAX);
	}
	redact_list(w, cfg->redact_fields);
	if ((w->db = db_new(cfg->database_url)) == NULL ||
	    (w->arena = arena_new(APP_ARENA_LIMIT)) == NULL) {
		app_worker_free(w);
		return LK_ENOMEM;
	}
	/*
	 * Login of an unknown email verifies against this hash, so it costs
	 * exactly what a wrong password costs and tells nothing.
	 */
	if (RAND_bytes(pw, sizeof(pw)) != 1) {
		app_worker_free(w);
		return LK_ECRYPTO;
	}
	for (size_t i = 0; i < sizeof(pw); i++) {
		pw[i] = (unsigned char)('a' + pw[i] % 26);
	}
	e = password_hash((const char *)pw, sizeof(pw), cfg->bcrypt_cost,
	    w->dummy_hash);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (e != LK_OK) {
		app_worker_free(w);
		return e;
	}
	return LK_OK;
}

void
app_worker_free(struct worker *w)
{
	db_free(w->db);
	arena_free(w->arena);
	free(w->routes);
	w->routes = NULL;
	buf_free(&w->out);
	buf_free(&w->headers);
	buf_free(&w->record);
	for (size_t i = 0; i < sizeof(w->scratch) / sizeof(w->scratch[0]);
	    i++) {
		buf_free(&w->scratch[i]);
	}
	w->db = NULL;
	w->arena = NULL;
}

void
reply(struct lk_ctx *ctx, int status, json_object *body)
{
	json_object_put(ctx->reply);
	ctx->status = status;
	ctx->reply = body;
	ctx->err_code = NULL;
}

void
reply_error(struct lk_ctx *ctx, int status, const char *code,
    const char *fmt, ...)
{
	char msg[MESSAGE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		msg[0] = '\0';
	}
	json_object_put(ctx->reply);
	ctx->reply = NULL;
	ctx->status = status;
	ctx->err_code = code;
	if (sanitize_text_ok(msg, strlen(msg))) {
		ctx->err_message = arena_strdup(ctx->arena, msg);
	} else {
		/* A message quoting the caller's bytes (a path), or cut
		 * inside a character, still goes out as text. */
		struct lk_buf t;

		buf_init(&t, sizeof(msg) * 4 + 1);
		(void)sanitize_text(msg, strlen(msg), &t); /* known: changed */
		ctx->err_message = buf_failed(&t) ? NULL :
		    arena_strndup(ctx->arena, t.p, t.len);
		buf_free(&t);
	}
	if (ctx->err_message == NULL) {
		ctx->err_message = "";
	}
}

void
reply_db_error(struct lk_ctx *ctx, enum lk_err e)
{
	int status = http_status_for(e);

	switch (status) {
	case 503:
		reply_error(ctx, 503, "database_unavailable",
		    "the database is unavailable; retry later");
		break;
	case 409:
		reply_error(ctx, 409, "conflict",
		    "the request conflicts with the current state");
		break;
	case 422:
		reply_error(ctx, 422, "validation_failed",
		    "a value was rejected by the database");
		break;
	case 404:
		reply_error(ctx, 404, "not_found", "no such resource");
		break;
	default:
		log_err("request %s: %s", ctx->req->request_id,
		    lk_err_str(e));
		reply_error(ctx, 500, "internal_error",
		    "internal error; the request id identifies it in the log");
		break;
	}
}

static void
own(struct lk_ctx *ctx, json_object *o)
{
	if (ctx->nowned < APP_OWNED_MAX) {
		ctx->owned[ctx->nowned++] = o;
	} else {
		/* Unreachable with the handlers we have; leak-free anyway. */
		log_err("too many owned JSON objects");
		json_object_put(o);
	}
}

int
body_object(struct lk_ctx *ctx, json_object **out)
{
	const char *ct = ctx->req->content_type;
	struct json_tokener *tok;
	json_object *o;
	size_t n, at = 0;
	enum lk_err e;

	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
		reply_error(ctx, 415, "unsupported_media_type",
		    "send the body as Content-Type: application/json");
		return -1;
	}
	n = ctx->req->body.len;
	if (n == 0) {
		reply_error(ctx, 400, "malformed_json", "the body is empty");
		return -1;
	}
	/* Text PostgreSQL can store, or nothing reaches a handler (json-c
	 * alone lets \u0000, lone surrogates and some invalid UTF-8 in). */
	if (sanitize_json_check(ctx->req->body.p, n, &at) != LK_OK) {
		reply_error(ctx, 400, "invalid_json", "the body must be UTF-8 "
		    "text without NUL, \\u0000 or unpaired surrogates "
		    "(first bad byte at offset %zu)", at);
		return -1;
	}
	/* RFC 8259 and no more: json-c's strict mode still takes single
	 * quotes, NaN, Infinity and raw control characters in strings,
	 * which a client's parser and the history's redactor read
	 * otherwise. */
	if ((e = jsoncheck_strict(ctx->req->body.p, n, APP_JSON_DEPTH,
	    &at)) != LK_OK) {
		if (e == LK_ETOOBIG) {
			reply_error(ctx, 400, "malformed_json", "the body nests "
			    "deeper than %d arrays and objects",
			    APP_JSON_DEPTH);
		} else {
			reply_error(ctx, 400, "malformed_json", "the body is "
			    "not valid JSON (RFC 8259; first error at offset "
			    "%zu)", at);
		}
		return -1;
	}
	if ((tok = json_tokener_new_ex(APP_JSON_DEPTH)) == NULL) {
		reply_error(ctx, 500, "internal_error", "out of memory");
		return -1;
	}
	/* Strict: no comments or other extensions, which the redactor of
	 * the request history does not understand either. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, ctx->req->body.p, (int)n);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != n) {
		json_object_put(o);
		json_tokener_free(tok);
		reply_error(ctx, 400, "malformed_json",
		    "the body is not valid JSON");
		return -1;
	}
	json_tokener_free(tok);
	own(ctx, o);
	if (!json_object_is_type(o, json_type_object)) {
		reply_error(ctx, 400, "malformed_json",
		    "the body must be a JSON object");
		return -1;
	}
	*out = o;
	return 0;
}

void
field_error(struct lk_ctx *ctx, const char *field, const char *msg)
{
	json_object *list;

	if (ctx->err_fields == NULL &&
	    (ctx->err_fields = json_object_new_object()) == NULL) {
		return;
	}
	if (!json_object_object_get_ex(ctx->err_fields, field, &list)) {
		list = json_object_new_array();
		json_object_object_add(ctx->err_fields, field, list);
	}
	json_object_array_add(list, json_object_new_string(msg));
}

int
fields_check(struct lk_ctx *ctx)
{
	if (ctx->err_fields == NULL) {
		return 0;
	}
	reply_error(ctx, 422, "validation_failed",
	    "some fields are invalid; see fields");
	return -1;
}

void
field_string(struct lk_ctx *ctx, json_object *obj, const char *name,
    int required, size_t minlen, size_t maxlen, const char **out)
{
	json_object *v;
	const char *s;
	size_t len;

	*out = NULL;
	if (!json_object_object_get_ex(obj, name, &v) || v == NULL) {
		if (required) {
			field_error(ctx, name, "is required");
		}
		return;
	}
	if (!json_object_is_type(v, json_type_string)) {
		field_error(ctx, name, "must be a string");
		return;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', len) != NULL) {
		field_error(ctx, name, "must not contain NUL characters");
		return;
	}
	if (len < minlen || len > maxlen) {
		char msg[96];

		if (snprintf(msg, sizeof(msg), "must be %zu to %zu bytes long",
		    minlen, maxlen) < 0) {
			msg[0] = '\0';
		}
		field_error(ctx, name, msg);
		return;
	}
	*out = s;
}

void
field_bool(struct lk_ctx *ctx, json_object *obj, const char *name, int *out)
{
	json_object *v;

	*out = -1;
	if (!json_object_object_get_ex(obj, name, &v) || v == NULL) {
		return;
	}
	if (!json_object_is_type(v, json_type_boolean)) {
		field_error(ctx, name, "must be true or false");
		return;
	}
	*out = json_object_get_boolean(v) ? 1 : 0;
}

void
fields_only(struct lk_ctx *ctx, json_object *obj, const char *const *allowed)
{
	size_t i;

	json_object_object_foreach(obj, key, val) {
		(void)val;	/* only the names matter here */
		for (i = 0; allowed[i] != NULL; i++) {
			if (strcmp(key, allowed[i]) == 0) {
				break;
			}
		}
		if (allowed[i] == NULL) {
			field_error(ctx, key, "is not a known field");
		}
	}
}

int
page_parse(struct lk_ctx *ctx, struct page *pg)
{
	const char *v, *dot;
	enum lk_err e;
	long us;

	pg->limit = APP_LIST_DEFAULT;
	pg->after_us = NULL;
	pg->after_id = NULL;
	e = http_query(ctx->req, ctx->arena, "limit", &v, NULL);
	if (e == LK_OK && parse_long(v, strlen(v), 1, APP_LIST_MAX,
	    &pg->limit) != LK_OK) {
		reply_error(ctx, 400, "invalid_limit",
		    "limit must be an integer from 1 to %d", APP_LIST_MAX);
		return -1;
	}
	if (e != LK_OK && e != LK_ENOTFOUND) {
		reply_error(ctx, 400, "invalid_limit", "limit is malformed");
		return -1;
	}
	e = http_query(ctx->req, ctx->arena, "cursor", &v, NULL);
	if (e == LK_ENOTFOUND) {
		return 0;
	}
	if (e != LK_OK || (dot = strchr(v, '.')) == NULL ||
	    parse_long(v, (size_t)(dot - v), 0, LONG_MAX, &us) != LK_OK ||
	    !uuid_valid(dot + 1, strlen(dot + 1))) {
		reply_error(ctx, 400, "invalid_cursor",
		    "cursor must be a next_cursor value from a previous page");
		return -1;
	}
	pg->after_us = arena_strndup(ctx->arena, v, (size_t)(dot - v));
	pg->after_id = dot + 1;
	if (pg->after_us == NULL) {
		reply_error(ctx, 500, "internal_error", "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Wraps data (up to limit + 1 items, cursors[i] the cursor of item i) in
 * {"data", "has_more", "next_cursor"}, dropping the extra item.  Takes
 * ownership of data.
 */
static json_object *
page_wrap(json_object *data, const struct page *pg,
    const char *const *cursors)
{
	json_object *o = json_object_new_object();
	size_t n = json_object_array_length(data);
	int more = n > (size_t)pg->limit;

	if (more) {
		json_object_array_del_idx(data, (size_t)pg->limit, 1);
	}
	json_object_object_add(o, "data", data);
	json_object_object_add(o, "has_more", json_object_new_boolean(more));
	json_object_object_add(o, "next_cursor", more ?
	    json_object_new_string(cursors[pg->limit - 1]) : NULL);
	return o;
}

int
tx_begin(struct lk_ctx *ctx, const char *mode)
{
	enum lk_err e;

	e = db_begin(ctx->db, ctx->id.org_id, mode != NULL ? mode :
	    ctx->id.mode);
	if (e != LK_OK) {
		reply_db_error(ctx, e);
		return -1;
	}
	return 0;
}

void
tx_reply(struct lk_ctx *ctx, int status, json_object *o)
{
	enum lk_err e;

	if ((e = db_commit(ctx->db)) != LK_OK) {
		json_object_put(o);
		reply_db_error(ctx, e);
		return;
	}
	/* This host forgets at once; others hear of it by NOTIFY. */
	if (ctx->auth_changed && ctx->w->cache != NULL) {
		authcache_flush(ctx->w->cache);
	}
	reply(ctx, status, o);
}

void
tx_fail(struct lk_ctx *ctx, enum lk_err e)
{
	db_rollback(ctx->db);
	reply_db_error(ctx, e);
}

void
page_query(struct lk_ctx *ctx, const struct db_stmt *st, const char **params,
    size_t nfilters, const struct page *pg,
    json_object *(*row)(const struct db_res *, size_t), int ccol)
{
	const char **cursors;
	struct db_res *res;
	json_object *data;
	enum lk_err e;
	size_t i, n;

	params[nfilters] = pg->after_us;
	params[nfilters + 1] = pg->after_id;
	params[nfilters + 2] = arena_printf(ctx->arena, "%ld", pg->limit + 1);
	if ((e = db_exec(ctx->db, st, params, &res)) != LK_OK) {
		tx_fail(ctx, e);
		return;
	}
	n = db_nrows(res);
	if ((cursors = arena_alloc(ctx->arena, (n + 1) * sizeof(*cursors))) ==
	    NULL) {
		db_res_free(res);
		tx_fail(ctx, LK_ENOMEM);
		return;
	}
	data = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object_array_add(data, row(res, i));
		cursors[i] = arena_strdup(ctx->arena, db_get(res, i, ccol));
	}
	db_res_free(res);
	tx_reply(ctx, 200, page_wrap(data, pg, cursors));
}

const char *
path_param(struct lk_ctx *ctx, const char *name)
{
	struct lk_str v = router_param(&ctx->match, name);

	return arena_strndup(ctx->arena, v.p, v.len);
}

json_object *
json_str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

void
json_add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_str_or_null(value));
}

void
json_add_bool(json_object *o, const char *key, const char *pg_bool)
{
	json_object_object_add(o, key, json_object_new_boolean(
	    pg_bool != NULL && strcmp(pg_bool, "t") == 0));
}

/* Reads every place a credential may come from. */
static int
transports(struct lk_ctx *ctx, struct auth_input *in)
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
app_same_origin(struct lk_ctx *ctx, int required)
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

	return h != NULL && strcmp(h, "1") == 0 && app_same_origin(ctx, 1);
}

int
require_auth(struct lk_ctx *ctx)
{
	struct auth_input in;
	struct credential cred;
	struct auth_fail fail;
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
	if ((r = auth_extract(&in, &cred, &fail)) == -1) {
		reply_error(ctx, fail.status, fail.code, "%s", fail.message);
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
	if (env.mode != NULL && strcmp(env.mode, "live") != 0 &&
	    strcmp(env.mode, "test") != 0) {
		reply_error(ctx, 400, "invalid_mode",
		    "X-Latchkey-Mode must be live or test");
		return -1;
	}
	e = auth_resolve(&env, &cred, &ctx->id, &fail);
	if (e == LK_EDENIED) {
		reply_error(ctx, fail.status, fail.code, "%s", fail.message);
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
		reply_error(ctx, 429, "rate_limited", "rate limit exceeded; "
		    "retry in %d s", ratelimit_retry_after(&ctx->id.rate));
		return -1;
	}
	ctx->authenticated = 1;
	return 0;
}

static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

static const struct db_stmt audit_insert = {
	"app_audit_insert",
	"INSERT INTO latchkey.audit_events (org_id, mode, action, "
	    "actor_kind, actor_id, user_id, target_type, target_id, detail, "
	    "client_ip, request_id) VALUES (latchkey.current_org_id(), "
	    "latchkey.current_mode(), $1, $2, $3, $4, $5, $6, "
	    "coalesce($7::jsonb, '{}'), $8, $9)",
	9
};

/* The columns of an event, in audit_insert's parameter order. */
static void
audit_params(struct lk_ctx *ctx, const char *action,
    const char *target_type, const char *target_id, const char *detail,
    const char *params[9])
{
	const struct identity *id = &ctx->id;
	const char *actor = id->kind == CRED_KEY ? id->key_id :
	    id->kind == CRED_JWT ? id->user_id : NULL;

	params[0] = action;
	params[1] = auth_kind_str(id->kind);
	params[2] = nonempty(actor);
	params[3] = nonempty(id->user_id);
	params[4] = target_type;
	params[5] = target_id;
	params[6] = detail;
	params[7] = ctx->req->remote_addr;
	params[8] = ctx->req->request_id;
}

enum lk_err
audit_tx(struct lk_ctx *ctx, const char *action, const char *target_type,
    const char *target_id, json_object *detail)
{
	const char *params[9];
	enum lk_err e;

	audit_params(ctx, action, target_type, target_id, detail != NULL ?
	    json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN) :
	    NULL, params);
	e = db_exec(ctx->db, &audit_insert, params, NULL);
	json_object_put(detail);
	return e;
}

/* Appends "key":value, the value a JSON string or null. */
static void
json_member(struct lk_buf *b, const char *key, const char *value)
{
	buf_printf(b, "%s\"%s\":", b->len > 1 ? "," : "", key);
	if (value != NULL) {
		buf_json_str(b, value, strlen(value));
	} else {
		buf_puts(b, "null");
	}
}

void
audit_send(struct lk_ctx *ctx, const char *action, const char *target_type,
    const char *target_id, json_object *detail)
{
	static const char *const keys[] = { "action", "actor_kind",
	    "actor_id", "user_id", "target_type", "target_id" };
	const char *params[9];
	char id[UUID_LEN + 1];
	struct lk_buf b;
	size_t i;

	if (ctx->w->ring == NULL || uuid_v4(id) != LK_OK) {
		json_object_put(detail);
		return;
	}
	audit_params(ctx, action, target_type, target_id, detail != NULL ?
	    json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN) :
	    "{}", params);
	buf_init(&b, REQLOG_MSG_MAX);
	buf_putc(&b, '{');
	/* The id makes a replayed event a no-op (026). */
	json_member(&b, "id", id);
	json_member(&b, "org_id", nonempty(ctx->id.org_id));
	json_member(&b, "mode", nonempty(ctx->id.mode));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_member(&b, keys[i], params[i]);
	}
	buf_printf(&b, ",\"detail\":%s", params[6]);
	json_member(&b, "client_ip", params[7]);
	json_member(&b, "request_id", params[8]);
	buf_putc(&b, '}');
	if (buf_failed(&b) || reqlog_append(ctx->w->ring, REQLOG_EVENT,
	    buf_cstr(&b), b.len) != LK_OK) {
		log_warn("request %s: audit event %s lost",
		    ctx->req->request_id, action);
	}
	buf_free(&b);
	json_object_put(detail);
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

		json_add_str(d, "permission", perm);
		json_add_str(d, "path", arena_text(ctx->arena,
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

/* Appends a header line after checking the value for injection. */
static void
add_header(struct worker *w, const char *name, const char *value)
{
	if (!http_header_safe(value, strlen(value))) {
		log_err("dropping unsafe %s header", name);
		return;
	}
	buf_printf(&w->headers, "%s: %s\r\n", name, value);
}

/* Renders the decision into w->out (and the status it ends with). */
static void
render_decision(struct lk_ctx *ctx)
{
	struct worker *w = ctx->w;
	const char *s;

	buf_reset(&w->out);
	if (ctx->status == 0) {
		log_err("request %s: handler decided nothing",
		    ctx->req->request_id);
		reply_error(ctx, 500, "internal_error", "no response");
	}
	if (ctx->err_code != NULL) {
		buf_puts(&w->out, "{\"error\":{\"code\":");
		buf_json_str(&w->out, ctx->err_code, strlen(ctx->err_code));
		buf_puts(&w->out, ",\"message\":");
		buf_json_str(&w->out, ctx->err_message,
		    strlen(ctx->err_message));
		if (ctx->err_fields != NULL) {
			s = json_object_to_json_string_ext(ctx->err_fields,
			    JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE);
			buf_puts(&w->out, ",\"fields\":");
			buf_puts(&w->out, s);
		}
		buf_puts(&w->out, ",\"request_id\":");
		buf_json_str(&w->out, ctx->req->request_id,
		    strlen(ctx->req->request_id));
		buf_puts(&w->out, "}}");
	} else if (ctx->reply != NULL && ctx->status != 204) {
		buf_puts(&w->out, json_object_to_json_string_ext(ctx->reply,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	if (buf_failed(&w->out) || buf_failed(&w->headers)) {
		log_err("request %s: response too large",
		    ctx->req->request_id);
		buf_reset(&w->headers);
		buf_reset(&w->out);
		buf_puts(&w->out, "{\"error\":{\"code\":\"internal_error\","
		    "\"message\":\"response too large\"}}");
		ctx->status = 500;
	}
}

/* Sends the rendered decision.  libfcgi buffers 8 KiB: a longer
 * response starts leaving here, so the history record goes first. */
static void
send_decision(struct lk_ctx *ctx)
{
	struct worker *w = ctx->w;
	enum lk_err e;

	if (ctx->req->role == HTTP_AUTHORIZER && ctx->status == 200) {
		/* A grant carries only the variables: Apache would copy any
		 * other header onto the upstream's response. */
		e = http_send_grant(ctx->req, buf_cstr(&w->headers));
	} else {
		e = http_send(ctx->req, ctx->status, buf_cstr(&w->headers),
		    buf_cstr(&w->out), w->out.len);
	}
	if (e != LK_OK) {
		log_warn("request %s: client went away",
		    ctx->req->request_id);
	}
}

/* Judging a prefix of the URI would judge another request. */
static void
reply_uri_too_long(struct lk_ctx *ctx)
{
	reply_error(ctx, 414, "uri_too_long", "the request URI is longer "
	    "than %d bytes", HTTP_URI_MAX);
}

static void
route(struct lk_ctx *ctx)
{
	struct http_req *req = ctx->req;
	unsigned allowed = 0;

	if (req->uri_too_long) {
		reply_uri_too_long(ctx);
		return;
	}
	if (req->body_too_big) {
		reply_error(ctx, 413, "body_too_large",
		    "the body is larger than %zu bytes",
		    ctx->cfg->max_body_bytes);
		return;
	}
	switch (router_match(tables, NTABLES, req->method, req->path.p,
	    req->path.len, &ctx->match, &allowed)) {
	case ROUTER_FOUND:
		ctx->match.route->handler(ctx);
		return;
	case ROUTER_BAD_METHOD: {
		struct lk_buf allow;

		buf_init(&allow, 128);
		http_methods_join(allowed, &allow);
		add_header(ctx->w, "Allow", buf_cstr(&allow));
		buf_free(&allow);
		reply_error(ctx, 405, "method_not_allowed",
		    "%s is not allowed here", req->method_str);
		return;
	}
	case ROUTER_NOT_FOUND:
		reply_error(ctx, 404, "not_found",
		    "no such path: %.*s", (int)(req->path.len > 200 ?
		    200 : req->path.len), req->path.p);
		return;
	}
}

#define ROUTES_MAX		10000
#define ROUTES_TTL_S		60

static const struct db_stmt routes_all = {
	"app_routes",
	"SELECT id, method, pattern, coalesce(permission, ''), public, "
	    "coalesce(direct_resource_type, '') FROM latchkey.routes",
	0
};

/* Copies src into a fixed field, failing when it does not fit. */
static int
field(char *dst, size_t dstsz, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= dstsz) {
		return -1;
	}
	memcpy(dst, src != NULL ? src : "", n);
	dst[n] = '\0';
	return 0;
}

/* Loads the routes when they are older than a minute or the auth cache
 * was flushed since (a route changed: NOTIFY). */
static enum lk_err
load_routes(struct worker *w)
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
	if ((e = db_exec(w->db, &routes_all, NULL, &res)) != LK_OK) {
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
		if (field(rs[i].id, sizeof(rs[i].id), db_get(res, i, 0)) ||
		    field(rs[i].method, sizeof(rs[i].method),
		    db_get(res, i, 1)) ||
		    field(rs[i].pattern, sizeof(rs[i].pattern),
		    db_get(res, i, 2)) ||
		    field(rs[i].permission, sizeof(rs[i].permission),
		    db_get(res, i, 3)) ||
		    field(rs[i].direct_type, sizeof(rs[i].direct_type),
		    db_get(res, i, 5))) {
			log_err("route %s does not fit; ignored",
			    db_get(res, i, 0));
			memset(&rs[i], 0, sizeof(rs[i]));
			continue;
		}
		rs[i].public = strcmp(db_get(res, i, 4), "t") == 0;
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
variable(struct worker *w, const char *name, const char *value)
{
	char hdr[64];

	if (value == NULL || value[0] == '\0' ||
	    snprintf(hdr, sizeof(hdr), "Variable-%s", name) < 0) {
		return;
	}
	add_header(w, hdr, value);
}

int
route_check(struct lk_ctx *ctx, const char *method, const char *path,
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
		    method, (int)(len > 200 ? 200 : len), path);
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
	return 0;
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
	    auth_service_key(ctx->cfg->service_keys,
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
 * authenticated request carried exactly one (auth_extract() refuses
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

/*
 * The AUTHORIZER role: the request is for the upstream API.  An allowed
 * request gets 200 and the caller's identity as Variable-* headers, which
 * the web server hands the upstream; a refused one the same JSON error
 * the management API gives.
 */
static void
authorize(struct lk_ctx *ctx)
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
	if (route_check(ctx, req->method_str, req->path.p, req->path.len,
	    &r) == -1) {
		return;
	}
	variable(ctx->w, "LK_REQUEST_ID", req->request_id);
	if (r != NULL && r->public) {
		variable(ctx->w, "LK_CREDENTIAL_IN", credential_in(ctx, 0));
		reply(ctx, 200, NULL);
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
	variable(ctx->w, "LK_CREDENTIAL_KIND", auth_kind_str(ctx->id.kind));
	variable(ctx->w, "LK_CREDENTIAL_IN", credential_in(ctx, 1));
	variable(ctx->w, "LK_RESOURCE_TYPE", ctx->id.rtype);
	variable(ctx->w, "LK_RESOURCE_ID", ctx->id.rid);
	buf_free(&perms);
	reply(ctx, 200, NULL);
}

/* Sends the request's history record to the writer. */
static void
record(struct lk_ctx *ctx)
{
	struct worker *w = ctx->w;
	struct http_req *req = ctx->req;
	struct lk_buf *q = &w->scratch[0], *rq = &w->scratch[1];
	struct lk_buf *rs = &w->scratch[2];
	struct reqlog_row r;
	struct timespec ts;
	char id[UUID_LEN + 1];
	int known = ctx->identified || nonempty(ctx->id.org_id) != NULL;
	enum lk_err e;

	if (w->ring == NULL || uuid_v4(id) != LK_OK) {
		return;
	}
	buf_reset(q);
	buf_reset(rq);
	buf_reset(rs);
	buf_reset(&w->record);
	redact_query(req->query.p, req->query.len, w->redact, q);
	redact_body(req->body.p, req->body.len, w->redact,
	    w->cfg->log_body_max, rq);
	redact_body(buf_cstr(&w->out), w->out.len, w->redact,
	    w->cfg->log_body_max, rs);
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1) {
		ts.tv_sec = time(NULL);
		ts.tv_nsec = 0;
	}
	memset(&r, 0, sizeof(r));
	r.id = id;
	r.request_id = req->request_id;
	r.org_id = known ? nonempty(ctx->id.org_id) : NULL;
	r.mode = r.org_id != NULL ? nonempty(ctx->id.mode) : NULL;
	r.role = req->role == HTTP_AUTHORIZER ? "authorizer" : "responder";
	r.credential_kind = ctx->identified ? auth_kind_str(ctx->id.kind) : "none";
	r.credential_id = ctx->identified ? nonempty(ctx->id.key_id) : NULL;
	r.user_id = known ? nonempty(ctx->id.user_id) : NULL;
	r.method = req->method_str;
	r.path = arena_strndup(ctx->arena, req->path.p, req->path.len);
	r.query = buf_cstr(q);
	r.status = ctx->status;
	r.error_code = ctx->err_code;
	r.duration_us = http_now_us() - req->start_us;
	r.client_ip = req->remote_addr;
	r.user_agent = req->user_agent;
	r.request_body = req->body.len > 0 && !buf_failed(rq) ?
	    buf_cstr(rq) : NULL;
	r.request_body_len = rq->len;
	r.response_body = w->out.len > 0 && !buf_failed(rs) ? buf_cstr(rs) :
	    NULL;
	r.response_body_len = rs->len;
	r.created_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (r.path == NULL) {
		r.path = "";
	}
	(void)reqlog_row_json(&r, &w->record);	/* the record says it */
	if (buf_failed(&w->record)) {
		log_err("request %s: history record too large",
		    req->request_id);
		return;
	}
	if ((e = reqlog_append(w->ring, REQLOG_REQUEST, buf_cstr(&w->record),
	    w->record.len)) != LK_OK) {
		log_err("request %s: history record lost: %s",
		    req->request_id, lk_err_str(e));
	}
}

void
app_handle(struct worker *w, struct FCGX_Request *f)
{
	struct http_req req;
	struct lk_ctx ctx;
	size_t i;
	enum lk_err e;

	arena_reset(w->arena);
	buf_reset(&w->headers);
	memset(&ctx, 0, sizeof(ctx));
	ctx.w = w;
	ctx.cfg = w->cfg;
	ctx.req = &req;
	ctx.arena = w->arena;
	ctx.db = w->db;
	e = http_read(&req, f, w->arena, w->cfg->mount_prefix,
	    w->cfg->max_body_bytes);
	if (e != LK_OK) {
		log_err("cannot read request: %s", lk_err_str(e));
		if (e == LK_EIO) {
			return;
		}
		reply_error(&ctx, 500, "internal_error", "cannot read request");
	} else if (req.role == HTTP_AUTHORIZER) {
		authorize(&ctx);
	} else {
		route(&ctx);
	}
	add_header(w, "X-Frame-Options", "DENY");
	render_decision(&ctx);
	/* Before a byte of the response leaves (a long one is flushed as
	 * it is written, the rest by FCGX_Finish_r()): a worker killed
	 * from here on leaves the record in the ring. */
	if (e == LK_OK) {
		record(&ctx);
	}
	send_decision(&ctx);
	db_rollback(w->db);	/* a handler that failed mid-transaction */
	json_object_put(ctx.reply);
	json_object_put(ctx.err_fields);
	for (i = 0; i < ctx.nowned; i++) {
		json_object_put(ctx.owned[i]);
	}
}
