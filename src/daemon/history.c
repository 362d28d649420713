/*
 * history.c: what is recorded about a request.  Redacts the query and
 * both bodies, names the caller only when it was identified, and sends
 * the record to the request-history writer through the ring before a
 * byte of the response leaves.  It reads the decided response; it never
 * changes it, and never talks to the database.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "app.h"
#include "log.h"
#include "netaddr.h"
#include "redact.h"
#include "reqlog.h"
#include "sanitize.h"
#include "util.h"

/* Returns 1 when no name of a reply_json() body's list is redacted.  The
 * lists are static and the redaction list the worker's for life: the
 * answer for the last list asked is kept. */
static int
names_clean(struct app_worker *w, const char *const *names)
{
	size_t i;

	if (w->json_names != names) {
		w->json_names_clean = 1;
		for (i = 0; names[i] != NULL; i++) {
			if (redact_name_listed(names[i], w->redact)) {
				w->json_names_clean = 0;
			}
		}
		w->json_names = names;
	}
	return w->json_names_clean;
}

/*
 * Returns 1 when the rendered response (w->out) is a body redact_body()
 * would copy unchanged: latchkey's own JSON (json-c's compact text, or
 * render_decision()'s error object, whose strings buf_json_str() escapes
 * as json-c does), with no member named in the redaction list.  Parsing
 * and re-serialising our own reply to find that out was the largest part
 * of recording a GET /v1/me (about 9 % of a worker's CPU, measured).
 */
static int
reply_clean(const struct lk_ctx *ctx)
{
	static const char *const error_names[] = {
		"error", "code", "message", "fields", "request_id",
	};
	const char *const *fields = ctx->w->redact;
	size_t i;

	if (!sanitize_text_ok(buf_cstr(&ctx->w->out), ctx->w->out.len)) {
		return 0;
	}
	if (ctx->err_code == NULL && ctx->json_names != NULL) {
		return ctx->status != 500 && names_clean(ctx->w,
		    ctx->json_names);
	}
	if (ctx->err_code == NULL) {
		/* A 500 without a code: render_decision() replaced a reply
		 * that was too large; its text is not the reply's. */
		return ctx->status != 500 && ctx->reply != NULL && redact_tree_clean(ctx->reply,
		    fields);
	}
	/* The list is the worker's for life: asked once. */
	if (ctx->w->error_names == 0) {
		ctx->w->error_names = 1;
		for (i = 0; i < sizeof(error_names) / sizeof(error_names[0]);
		    i++) {
			if (redact_name_listed(error_names[i], fields)) {
				ctx->w->error_names = 2;
			}
		}
	}
	if (ctx->w->error_names != 1) {
		return 0;
	}
	return ctx->err_fields == NULL || redact_tree_clean(ctx->err_fields,
	    fields);
}

void
history_record(struct lk_ctx *ctx)
{
	struct app_worker *w = ctx->w;
	struct http_req *req = ctx->req;
	struct lk_buf *q = &w->scratch[0], *rq = &w->scratch[1];
	struct lk_buf *rs = &w->scratch[2];
	struct record_row r;
	struct timespec ts;
	char addr[NETADDR_STR_MAX];
	char id[UUID_LEN + 1];
	int known = ctx->identified || app_nonempty(ctx->id.org_id) != NULL;
	enum lk_err e;

	if (w->ring == NULL) {
		return;
	}
	buf_reset(q);
	buf_reset(rq);
	buf_reset(rs);
	buf_reset(&w->record);
	redact_query(req->query.p, req->query.len, w->redact, q);
	redact_body(req->body.p, req->body.len, w->redact,
	    w->cfg->log_body_max, rq);
	if (reply_clean(ctx)) {
		redact_body_clean(buf_cstr(&w->out), w->out.len,
		    w->cfg->log_body_max, rs);
	} else {
		redact_body(buf_cstr(&w->out), w->out.len, w->redact,
		    w->cfg->log_body_max, rs);
	}
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1) {
		ts.tv_sec = time(NULL);
		ts.tv_nsec = 0;
	}
	/* Time-ordered: each row's key lands at the right end of
	 * request_log's primary key, not on a random page of it. */
	if (util_uuid_v7_pooled(&w->ids, (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000, id) != LK_OK) {
		log_err("request %s: history record lost: no id",
		    req->request_id);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.id = id;
	r.request_id = req->request_id;
	r.org_id = known ? app_nonempty(ctx->id.org_id) : NULL;
	r.mode = r.org_id != NULL ? app_nonempty(ctx->id.mode) : NULL;
	r.role = req->role == HTTP_AUTHORIZER ? "authorizer" : "responder";
	r.credential_kind = ctx->identified ?
	    credential_kind_str(ctx->id.kind) : "none";
	r.credential_id = ctx->identified ? app_nonempty(ctx->id.key_id) : NULL;
	r.user_id = known ? app_nonempty(ctx->id.user_id) : NULL;
	r.method = req->method_str;
	r.path = arena_strndup(ctx->arena, req->path.p, req->path.len);
	r.query = buf_cstr(q);
	r.status = ctx->status;
	r.error_code = ctx->err_code;
	r.duration_us = http_now_us() - req->start_us;
	/* The address the throttles count, not a trusted proxy's. */
	r.client_ip = app_client_ip(ctx, addr);
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
	/* The record says whether it was sanitised. */
	if ((e = record_row_copy(&r, &w->record, NULL)) != LK_OK ||
	    buf_failed(&w->record)) {
		log_err("request %s: history record %s", req->request_id,
		    e != LK_OK ? "refused (an id that is not a uuid, or a "
		    "status out of range)" : "too large");
		return;
	}
	if ((e = reqlog_append(w->ring, REQLOG_REQUEST, buf_cstr(&w->record),
	    w->record.len)) != LK_OK) {
		log_err("request %s: history record lost: %s",
		    req->request_id, lk_err_str(e));
	}
}
