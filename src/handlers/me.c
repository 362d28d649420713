/*
 * me.c: GET /v1/me, who is calling.  Answers from the identity alone, so a
 * JWT costs one database round trip and nothing more.
 */
#include "config.h"

#include "app.h"
#include "handlers/handlers.h"

static void
me(struct lk_ctx *ctx)
{
	const struct lk_identity *id = &ctx->id;
	json_object *o;

	if (require_auth(ctx) == -1) {
		return;
	}
	o = json_object_new_object();
	jsonx_add_identity(o, id);
	jsonx_add_str(o, "email", app_nonempty(id->email));
	jsonx_add_str(o, "role", id->role != ROLE_NONE ?
	    credential_role_str(id->role) : NULL);
	reply_success(ctx, 200, o);
}

static const struct route routes[] = {
	{ HTTP_GET, "/v1/me", me, "Who is calling" },
};

const struct route_table handlers_me = {
	routes, sizeof(routes) / sizeof(routes[0])
};
