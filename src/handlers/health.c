/*
 * health.c: GET /health, liveness plus database reachability.  Needs no
 * credential.
 */
#include "config.h"

#include "app.h"
#include "db.h"
#include "handlers/handlers.h"

static const struct db_stmt ping = { "health_ping", "SELECT 1", 0 };

static void
health(struct lk_ctx *ctx)
{
	json_object *o = json_object_new_object();
	enum lk_err e;

	e = db_exec(ctx->db, &ping, NULL, NULL);
	jsonx_add_str(o, "status", e == LK_OK ? "ok" : "unavailable");
	jsonx_add_str(o, "database", e == LK_OK ? "ok" : "unavailable");
	if (e != LK_OK) {
		/* Monitors read status; clients read the usual error. */
		json_object *err = json_object_new_object();

		jsonx_add_str(err, "code", "database_unavailable");
		jsonx_add_str(err, "message", "the database is unreachable");
		jsonx_add_str(err, "request_id", ctx->req->request_id);
		jsonx_add(o, "error", err);
	}
	reply_success(ctx, e == LK_OK ? 200 : 503, o);
}

static const struct route routes[] = {
	{ HTTP_GET, "/health", health, "Liveness and database reachability" },
};

const struct route_table handlers_health = {
	routes, sizeof(routes) / sizeof(routes[0])
};
