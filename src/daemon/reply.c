/*
 * reply.c: what a handler decides as the response: a success body, an
 * error (code, message made into text), the mapping of a database error
 * to its answer, an internal error with its log line.  It records
 * decisions in the context and never writes to the web server (app.c
 * renders and sends); it knows no handler, route, SQL or credential.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "app.h"
#include "authcache.h"
#include "db.h"
#include "log.h"
#include "sanitize.h"
#include "util.h"

#define MESSAGE_MAX		512

/*
 * Starts a new decision: whatever an earlier reply_*() decided (a body
 * of any kind, an error code) is forgotten, so the last decision is the
 * one rendered whichever kinds came before it.
 */
static void
decide(struct lk_ctx *ctx, int status, const char *code)
{
	json_object_put(ctx->reply);
	ctx->reply = NULL;
	ctx->status = status;
	ctx->err_code = code;
	ctx->json_names = NULL;
	ctx->text_type = NULL;
	ctx->text_body = NULL;
	ctx->text_len = 0;
}

void
reply_success(struct lk_ctx *ctx, int status, json_object *body)
{
	/* Only 204 and an authorizer's grant have no body: a NULL one
	 * otherwise is a json-c constructor that failed (out of memory). */
	if (body == NULL && status != 204 &&
	    ctx->req->role != HTTP_AUTHORIZER) {
		reply_internal(ctx, LK_ENOMEM, "a json-c constructor");
		return;
	}
	decide(ctx, status, NULL);
	ctx->reply = body;
}

struct lk_buf *
reply_json_buf(struct lk_ctx *ctx)
{
	buf_reset(&ctx->w->body);
	return &ctx->w->body;
}

void
reply_json(struct lk_ctx *ctx, int status, const char *const *names)
{
	if (buf_failed(&ctx->w->body)) {
		reply_internal(ctx, LK_ETOOBIG, "a JSON reply");
		return;
	}
	decide(ctx, status, NULL);
	ctx->json_names = names;
}

void
reply_text(struct lk_ctx *ctx, int status, const char *type,
    const char *body, size_t len)
{
	decide(ctx, status, NULL);
	ctx->text_type = type;
	ctx->text_body = body;
	ctx->text_len = len;
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
	} else if ((size_t)n >= sizeof(msg)) {
		/* Still said, cut; the log keeps the code it belongs to. */
		log_warn("request %s: %s message cut at %zu bytes",
		    ctx->req->request_id, code, sizeof(msg) - 1);
	}
	decide(ctx, status, code);
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
reply_error_static(struct lk_ctx *ctx, int status, const char *code,
    const char *message)
{
	decide(ctx, status, code);
	ctx->err_message = message != NULL ? message : "";
}

void
reply_internal(struct lk_ctx *ctx, enum lk_err e, const char *what)
{
	log_err("request %s: %s: %s", ctx->req->request_id, what,
	    lk_err_str(e));
	reply_error(ctx, 500, "internal_error",
	    "internal error; the request id identifies it in the log");
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


void
reply_uri_too_long(struct lk_ctx *ctx)
{
	reply_error(ctx, 414, "uri_too_long", "the request URI is longer "
	    "than %d bytes", HTTP_URI_MAX);
}
