/*
 * app.c: the worker and the request loop's one step, from an accepted
 * FastCGI request to a sent response.  Sets up what lives as long as a
 * worker, reads the request (http.c), routes it (router.c) to a handler
 * or the authorizer, renders the decision as JSON, records the request
 * (history.c) and sends.  The steps handlers share live beside it:
 * reply.c, tx.c, validate.c, page.c, require.c, audit.c, jsonx.c.  It
 * knows no SQL and no credential format.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "app.h"
#include "db.h"
#include "handlers/handlers.h"
#include "log.h"
#include "metrics.h"
#include "redact.h"
#include "reqlog.h"
#include "util.h"

#define RESPONSE_MAX		(16u * 1024 * 1024)
#define HEADERS_MAX		(16u * 1024)

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
	&handlers_org,
	&handlers_routes,
	&handlers_metrics,
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
static enum lk_err
redact_list(struct app_worker *w, const char *extra)
{
	size_t n = 0, i;
	char *p, *tok;

	for (i = 0; redact_default_fields[i] != NULL && n < APP_REDACT_MAX;
	    i++) {
		w->redact[n++] = redact_default_fields[i];
	}
	if (util_strlcpy(w->redact_names, extra, sizeof(w->redact_names)) !=
	    LK_OK) {
		log_err("redact_fields: longer than %zu bytes",
		    sizeof(w->redact_names) - 1);
		return LK_ETOOBIG;
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
	return LK_OK;
}

enum lk_err
app_worker_init(struct app_worker *w, const struct lk_config *cfg)
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
	/* HMAC's key schedule once per worker, not per token (jwt.h). */
	if ((e = jwt_keys_prepare(&w->jwt)) != LK_OK) {
		return e;
	}
	buf_init(&w->out, RESPONSE_MAX);
	buf_init(&w->headers, HEADERS_MAX);
	buf_init(&w->record, REQLOG_MSG_MAX);
	buf_init(&w->body, RESPONSE_MAX);
	for (size_t i = 0; i < sizeof(w->scratch) / sizeof(w->scratch[0]);
	    i++) {
		buf_init(&w->scratch[i], REQLOG_MSG_MAX);
	}
	if ((e = redact_list(w, cfg->redact_fields)) != LK_OK) {
		app_worker_free(w);
		return e;
	}
	if ((w->db = db_new(cfg->database_url, cfg->database_prepare ?
	    DB_PREPARED : DB_UNPREPARED)) == NULL ||
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
app_worker_free(struct app_worker *w)
{
	jwt_keys_wipe(&w->jwt);
	db_free(w->db);
	arena_free(w->arena);
	free(w->routes);
	w->routes = NULL;
	free(w->org_routes);
	free(w->org_route_orgs);
	w->org_routes = NULL;
	w->org_route_orgs = NULL;
	buf_free(&w->out);
	buf_free(&w->headers);
	buf_free(&w->record);
	buf_free(&w->body);
	for (size_t i = 0; i < sizeof(w->scratch) / sizeof(w->scratch[0]);
	    i++) {
		buf_free(&w->scratch[i]);
	}
	w->db = NULL;
	w->arena = NULL;
}

void
app_add_header(struct app_worker *w, const char *name, const char *value)
{
	if (!http_header_safe(value, strlen(value))) {
		log_err("dropping unsafe %s header", name);
		return;
	}
	buf_puts(&w->headers, name);
	buf_puts(&w->headers, ": ");
	buf_puts(&w->headers, value);
	buf_puts(&w->headers, "\r\n");
}

void
app_client_addr(const struct lk_ctx *ctx, int throttle_v6_64,
    char out[NETADDR_STR_MAX])
{
	/* X-Forwarded-For is read only where netaddr_client() may use it. */
	netaddr_client(ctx->req->remote_addr, ctx->cfg->ntrusted_proxies > 0 ?
	    http_param(ctx->req, "HTTP_X_FORWARDED_FOR") : NULL,
	    ctx->cfg->trusted_proxies, ctx->cfg->ntrusted_proxies,
	    throttle_v6_64, out);
}

const char *
app_client_ip(const struct lk_ctx *ctx, char buf[NETADDR_STR_MAX])
{
	/* Without a trusted proxy the peer is the client, as the web
	 * server wrote it: parsing it and printing it back cost about 3k
	 * instructions of every request's history record (callgrind). */
	if (ctx->cfg->ntrusted_proxies == 0) {
		return ctx->req->remote_addr;
	}
	app_client_addr(ctx, 0, buf);
	return strcmp(buf, "-") == 0 ? ctx->req->remote_addr : buf;
}

/* Renders the decision into w->out (and the status it ends with). */
static void
render_decision(struct lk_ctx *ctx)
{
	struct app_worker *w = ctx->w;
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
	} else if (ctx->text_body != NULL) {
		buf_append(&w->out, ctx->text_body, ctx->text_len);
	} else if (ctx->json_names != NULL) {
		buf_append(&w->out, w->body.p, w->body.len);
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
	struct app_worker *w = ctx->w;
	enum lk_err e;

	if (ctx->req->role == HTTP_AUTHORIZER && ctx->status == 200) {
		/* A grant carries only the variables: Apache would copy any
		 * other header onto the upstream's response. */
		e = http_send_grant(ctx->req, buf_cstr(&w->headers));
	} else {
		e = http_send_type(ctx->req, ctx->status,
		    ctx->err_code == NULL && ctx->text_body != NULL ?
		    ctx->text_type : HTTP_TYPE_JSON, buf_cstr(&w->headers),
		    buf_cstr(&w->out), w->out.len);
	}
	if (e != LK_OK) {
		log_warn("request %s: client went away",
		    ctx->req->request_id);
	}
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
		router_methods_join(allowed, &allow);
		app_add_header(ctx->w, "Allow", buf_cstr(&allow));
		buf_free(&allow);
		reply_error(ctx, 405, "method_not_allowed",
		    "%s is not allowed here", req->method_str);
		return;
	}
	case ROUTER_NOT_FOUND:
		reply_error(ctx, 404, "not_found",
		    "no such path: %.*s", (int)(req->path.len > APP_ECHO_MAX ?
		    APP_ECHO_MAX : req->path.len), req->path.p);
		return;
	}
}

/* Zeroes ctx but for its identity's permission sets, which are only
 * emptied (credential_identity_clear()). */
static void
ctx_clear(struct lk_ctx *ctx)
{
	size_t end = offsetof(struct lk_ctx, id) + sizeof(ctx->id);

	memset(ctx, 0, offsetof(struct lk_ctx, id));
	credential_identity_clear(&ctx->id);
	memset((char *)ctx + end, 0, sizeof(*ctx) - end);
}

size_t
app_metrics_labels(const char **labels, size_t max)
{
	size_t i, k, n = 0;

	if (max < STATS_ROUTE_FIRST) {
		return 0;
	}
	labels[STATS_ROUTE_UNMATCHED] = "(unmatched)";
	labels[STATS_ROUTE_UPSTREAM] = "(upstream)";
	n = STATS_ROUTE_FIRST;
	for (i = 0; i < NTABLES; i++) {
		for (k = 0; k < tables[i]->n && n < max; k++) {
			labels[n++] = tables[i]->routes[k].pattern;
		}
	}
	return n;
}

/* The metrics label index of the route that answered (stats.h). */
static size_t
route_index(const struct lk_ctx *ctx)
{
	const struct route *r = ctx->match.route;
	size_t i, k, n = STATS_ROUTE_FIRST;

	if (ctx->req->role == HTTP_AUTHORIZER) {
		return STATS_ROUTE_UPSTREAM;
	}
	for (i = 0; r != NULL && i < NTABLES; i++) {
		for (k = 0; k < tables[i]->n; k++, n++) {
			if (&tables[i]->routes[k] == r) {
				return n;
			}
		}
	}
	return STATS_ROUTE_UNMATCHED;
}

/* Counts the decided request in the host's metrics: two relaxed
 * atomic additions (and a third for a rate-limit refusal), no lock, no
 * system call (the monotonic clock is read through the vDSO). */
static void
count_request(const struct lk_ctx *ctx)
{
	struct stats_block *m = metrics_block();

	if (m == NULL) {
		return;
	}
	stats_request(m, ctx->req->role == HTTP_AUTHORIZER ?
	    STATS_AUTHORIZER : STATS_RESPONDER, route_index(ctx),
	    ctx->req->method, ctx->status, http_now_us() - ctx->req->start_us);
	if (ctx->err_code != NULL && strcmp(ctx->err_code, "rate_limited") ==
	    0) {
		stats_add(m, STATS_RATE_REFUSALS, 1);
	}
}

void
app_handle(struct app_worker *w, struct http_conn *f)
{
	struct http_req req;
	struct lk_ctx ctx;
	size_t i;
	enum lk_err e;

	arena_reset(w->arena);
	buf_reset(&w->headers);
	ctx_clear(&ctx);
	ctx.w = w;
	ctx.cfg = w->cfg;
	ctx.req = &req;
	ctx.arena = w->arena;
	ctx.db = w->db;
	e = http_read(&req, f, w->arena, &w->ids, w->cfg->mount_prefix,
	    w->cfg->max_body_bytes);
	if (e != LK_OK) {
		log_err("cannot read request: %s", lk_err_str(e));
		if (e == LK_EIO) {
			return;
		}
		reply_error(&ctx, 500, "internal_error", "cannot read request");
	} else if (req.role == HTTP_AUTHORIZER) {
		authorizer_handle(&ctx);
	} else {
		route(&ctx);
	}
	app_add_header(w, "X-Frame-Options", "DENY");
	render_decision(&ctx);
	/* Before a byte of the response leaves (a long one is flushed as
	 * it is written, the rest by FCGX_Finish_r()): a worker killed
	 * from here on leaves the record in the ring. */
	if (e == LK_OK && !(ctx.no_history && ctx.err_code == NULL)) {
		history_record(&ctx);
	}
	/* Counted before it leaves, as it is recorded: whoever has the
	 * response finds it in the next scrape. */
	if (e == LK_OK) {
		count_request(&ctx);
	}
	send_decision(&ctx);
	db_rollback(w->db);	/* a handler that failed mid-transaction */
	json_object_put(ctx.reply);
	json_object_put(ctx.err_fields);
	for (i = 0; i < ctx.nowned; i++) {
		json_object_put(ctx.owned[i]);
	}
}
