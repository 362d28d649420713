/*
 * me.c: GET /v1/me, who is calling.  Answers from the identity alone, so a
 * JWT costs one database round trip and nothing more.
 */
#include "config.h"

#include "app.h"
#include "handlers/handlers.h"

/* Every member name of the reply, for the history (reply_json()). */
static const char *const me_names[] = {
	JSONX_IDENTITY_NAMES, "email", "role", NULL
};

/* The reply is written as JSON text, byte for byte what json-c printed
 * (tests/integration check the body): see reply_json() for the saving. */
static void
me(struct lk_ctx *ctx)
{
	const struct lk_identity *id = &ctx->id;
	struct lk_buf *b;

	if (require_auth(ctx) == -1) {
		return;
	}
	b = reply_json_buf(ctx);
	buf_putc(b, '{');
	jsonx_text_identity(b, id, 1);
	jsonx_text_str(b, "email", app_nonempty(id->email), 0);
	jsonx_text_str(b, "role", id->role != ROLE_NONE ?
	    credential_role_str(id->role) : NULL, 0);
	buf_putc(b, '}');
	reply_json(ctx, 200, me_names);
}

static const struct route routes[] = {
	{ HTTP_GET, "/v1/me", me, "Who is calling" },
};

const struct route_table handlers_me = {
	routes, sizeof(routes) / sizeof(routes[0])
};
