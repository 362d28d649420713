/*
 * catalog.c: GET /v1/permissions and GET /v1/roles, the permission catalog
 * and what each user role grants.  Global, not org-owned: any credential
 * may read them.
 */
#include "config.h"

#include <string.h>

#include "app.h"
#include "db.h"
#include "handlers/handlers.h"

static const struct db_stmt permissions = {
	"catalog_permissions",
	"SELECT name, description, builtin FROM latchkey.permissions "
	    "ORDER BY name",
	0
};

enum { P_NAME, P_DESCRIPTION, P_BUILTIN };

static void
list_permissions(struct lk_ctx *ctx)
{
	struct db_res *res;
	json_object *o, *data, *p;
	enum lk_err e;
	size_t i;

	if (require_auth(ctx) == -1) {
		return;
	}
	if ((e = db_exec(ctx->db, &permissions, NULL, &res)) != LK_OK) {
		reply_db_error(ctx, e);
		return;
	}
	data = json_object_new_array();
	for (i = 0; i < db_nrows(res); i++) {
		p = json_object_new_object();
		jsonx_add_str(p, "name", db_get(res, i, P_NAME));
		jsonx_add_str(p, "description", db_get(res, i, P_DESCRIPTION));
		jsonx_add_bool(p, "builtin", db_get(res, i, P_BUILTIN));
		jsonx_push(data, p);
	}
	db_res_free(res);
	o = json_object_new_object();
	jsonx_add(o, "data", data);
	reply_success(ctx, 200, o);
}

static void
list_roles(struct lk_ctx *ctx)
{
	json_object *o, *data, *r;
	const struct perm_set *set;
	int role;

	/* require_auth() loaded the role table of this worker. */
	if (require_auth(ctx) == -1) {
		return;
	}
	data = json_object_new_array();
	for (role = ROLE_OWNER; role >= ROLE_VIEWER; role--) {
		set = &ctx->w->roles.sets[role];
		r = json_object_new_object();
		jsonx_add_str(r, "name",
		    credential_role_str((enum lk_role)role));
		jsonx_add(r, "rank", json_object_new_int(role));
		jsonx_add(r, "permissions",
		    jsonx_perm_array(set));
		jsonx_push(data, r);
	}
	o = json_object_new_object();
	jsonx_add(o, "data", data);
	reply_success(ctx, 200, o);
}

static const struct route routes[] = {
	{ HTTP_GET, "/v1/permissions", list_permissions,
	    "The permission catalog" },
	{ HTTP_GET, "/v1/roles", list_roles,
	    "The user roles and the permissions each grants" },
};

const struct route_table handlers_catalog = {
	routes, sizeof(routes) / sizeof(routes[0])
};
