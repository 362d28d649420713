/*
 * tx.c: the caller's org-scoped transaction around a handler's
 * statements: begin in the caller's org and mode, commit then reply (and
 * flush the auth cache when a credential changed), roll back and decide
 * the error, run a statement that must find one row (404 otherwise).  It
 * knows the database only through db.h and the decisions through
 * reply.c; it knows no table.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "app.h"
#include "authcache.h"
#include "db.h"

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
	reply_success(ctx, status, o);
}

void
tx_audit_reply(struct lk_ctx *ctx, int status, json_object *o,
    const char *action, const char *target_type, const char *target_id,
    json_object *detail)
{
	enum lk_err e;

	if ((e = audit_tx(ctx, action, target_type, target_id, detail)) !=
	    LK_OK) {
		json_object_put(o);
		tx_fail(ctx, e);
		return;
	}
	tx_reply(ctx, status, o);
}

void
tx_fail(struct lk_ctx *ctx, enum lk_err e)
{
	db_rollback(ctx->db);
	reply_db_error(ctx, e);
}

void
tx_fail_internal(struct lk_ctx *ctx, enum lk_err e, const char *what)
{
	db_rollback(ctx->db);
	reply_internal(ctx, e, what);
}

void
tx_fail_email(struct lk_ctx *ctx, enum lk_err e)
{
	int taken = e == LK_ECONFLICT &&
	    strcmp(db_last_constraint(ctx->db), "users_email_key") == 0;

	db_rollback(ctx->db);
	if (taken) {
		reply_error(ctx, 409, "email_taken",
		    "an account with this email already exists");
		return;
	}
	reply_db_error(ctx, e);
}

struct db_res *
tx_one_row(struct lk_ctx *ctx, const struct db_stmt *st,
    const char *const *params, const char *what)
{
	struct db_res *res;
	enum lk_err e;

	if ((e = db_exec(ctx->db, st, params, &res)) != LK_OK) {
		tx_fail(ctx, e);
		return NULL;
	}
	if (db_nrows(res) != 1) {
		db_res_free(res);
		db_rollback(ctx->db);
		reply_error(ctx, 404, "not_found", "no such %s", what);
		return NULL;
	}
	return res;
}
