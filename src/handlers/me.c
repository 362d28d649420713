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
	const struct identity *id = &ctx->id;
	json_object *o, *perms;
	size_t i;

	if (require_auth(ctx) == -1) {
		return;
	}
	o = json_object_new_object();
	json_add_str(o, "kind", auth_kind_str(id->kind));
	json_add_str(o, "org_id", id->org_id);
	json_add_str(o, "mode", id->mode);
	json_add_str(o, "user_id", id->user_id[0] != '\0' ? id->user_id :
	    NULL);
	json_add_str(o, "email", id->email[0] != '\0' ? id->email : NULL);
	json_add_str(o, "role", id->role != ROLE_NONE ? role_str(id->role) :
	    NULL);
	json_add_str(o, "api_key_id", id->key_id[0] != '\0' ? id->key_id :
	    NULL);
	perms = json_object_new_array();
	for (i = 0; i < id->perms.n; i++) {
		json_object_array_add(perms,
		    json_object_new_string(id->perms.items[i]));
	}
	json_object_object_add(o, "permissions", perms);
	reply(ctx, 200, o);
}

static const struct route routes[] = {
	{ HTTP_GET, "/v1/me", me, "Who is calling" },
};

const struct route_table handlers_me = {
	routes, sizeof(routes) / sizeof(routes[0])
};
