/*
 * activity.c: GET /v1/activity, the audit events of the caller's org,
 * newest first: every mode for a live credential, test-mode events only
 * for a test one (row-level security, sql/020).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "handlers/handlers.h"

enum { C_ID, C_ACTION, C_MODE, C_ACTOR_KIND, C_ACTOR, C_USER, C_TTYPE,
    C_TID, C_DETAIL, C_IP, C_RID, C_CREATED, C_CURSOR };

/*
 * The list, newest first.  A live caller reads the org's whole trail by
 * 009's index (or 054's by action); a test caller only its test events
 * (020), and its statement says mode = 'test' itself so that 054's
 * partial indexes serve it: through the policy alone it would walk the
 * org's live events to find them.
 */
#define ACTIVITY_LIST(name, mode_cond) { \
	name, \
	"SELECT id, action, mode, actor_kind, actor_id, user_id, " \
	    "target_type, target_id, detail::text, client_ip, request_id, " \
	    SQL_TS_US("created_at") ", " SQL_CURSOR("created_at", "id") \
	    " FROM latchkey.audit_events WHERE " mode_cond \
	    "($1::text IS NULL OR action = $1) AND " \
	    SQL_BEFORE("created_at", "id", "$2", "$3") \
	    " ORDER BY created_at DESC, id DESC LIMIT $4", \
	4 \
}

static const struct db_stmt activity_list = ACTIVITY_LIST("activity_list",
    "");
static const struct db_stmt activity_list_test = ACTIVITY_LIST(
    "activity_list_test", "mode = 'test' AND ");

static json_object *
event_json(const struct db_res *res, size_t row)
{
	static const struct jsonx_col head[] = {
		{ "id", C_ID, 0 },
		{ "action", C_ACTION, 0 },
		{ "mode", C_MODE, 0 },
	}, actor_cols[] = {
		{ "kind", C_ACTOR_KIND, 0 },
		{ "id", C_ACTOR, 0 },
		{ "user_id", C_USER, 0 },
	}, target_cols[] = {
		{ "type", C_TTYPE, 0 },
		{ "id", C_TID, 0 },
	}, tail[] = {
		{ "client_ip", C_IP, 0 },
		{ "request_id", C_RID, 0 },
		{ "created_at", C_CREATED, 0 },
	};
	json_object *o = json_object_new_object(), *actor, *target, *detail;

	if (o == NULL) {
		return NULL;
	}
	jsonx_add_cols(o, res, row, head, JSONX_NCOLS(head));
	actor = json_object_new_object();
	jsonx_add_cols(actor, res, row, actor_cols, JSONX_NCOLS(actor_cols));
	jsonx_add(o, "actor", actor);
	target = json_object_new_object();
	jsonx_add_cols(target, res, row, target_cols,
	    JSONX_NCOLS(target_cols));
	jsonx_add(o, "target", target);
	/* Written by latchkey as JSON; parsed back to nest it. */
	detail = json_tokener_parse(db_get(res, row, C_DETAIL) != NULL ?
	    db_get(res, row, C_DETAIL) : "{}");
	jsonx_add(o, "detail", detail != NULL ? detail :
	    json_object_new_object());
	jsonx_add_cols(o, res, row, tail, JSONX_NCOLS(tail));
	return o;
}

static void
list(struct lk_ctx *ctx)
{
	const char *params[4], *action = NULL;
	struct page pg;
	enum lk_err e;

	if (require_perm(ctx, "activity.read") == -1 ||
	    page_parse(ctx, &pg) == -1) {
		return;
	}
	e = http_query(ctx->req, ctx->arena, "action", &action, NULL);
	if (e != LK_OK && e != LK_ENOTFOUND) {
		reply_error(ctx, 400, "invalid_parameter",
		    "action is not valid percent-encoding");
		return;
	}
	if (tx_begin(ctx, NULL) == -1) {
		return;
	}
	params[0] = e == LK_OK && action[0] != '\0' ? action : NULL;
	page_query(ctx, strcmp(ctx->id.mode, "test") == 0 ?
	    &activity_list_test : &activity_list, params, 1, &pg, event_json,
	    C_CURSOR);
}

static const struct route routes[] = {
	{ HTTP_GET, "/v1/activity", list,
	    "Audit events of the org, newest first" },
};

const struct route_table handlers_activity = {
	routes, sizeof(routes) / sizeof(routes[0])
};
