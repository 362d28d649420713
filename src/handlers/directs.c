/*
 * directs.c: direct hashes of the caller's org and mode:
 * GET/POST /v1/directs and DELETE /v1/directs/{id}.  A direct hash boots
 * short-lived tokens for one resource (POST /v1/auth/boot, in boot.c);
 * the secret is returned once, by create, and stored as its SHA-256.
 *
 * Nobody makes a direct that reaches further than they do: creating one
 * for a resource type needs every permission the routes admitting that
 * type require (authority.h); the authorizer checks again at each use,
 * against what the creator holds then.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "apikey.h"
#include "app.h"
#include "authority.h"
#include "db.h"
#include "handlers/handlers.h"
#include "util.h"

/* Distinct permissions of the routes of one resource type that create
 * reads; more means a misconfigured deployment, and is refused. */
#define DIRECT_ROUTE_PERMS_MAX	256

#define DIRECT_COLS \
	"id, resource_type, resource_id, mode, " SQL_TS("created_at") ", " \
	SQL_TS("revoked_at") ", " SQL_CURSOR("created_at", "id")

enum { C_ID, C_TYPE, C_RID, C_MODE, C_CREATED, C_REVOKED, C_CURSOR };

/* A direct made by a key that a service key made is the service's
 * too: no user stands behind either. */
static const struct db_stmt directs_insert = {
	"directs_insert",
	"INSERT INTO latchkey.directs (org_id, mode, direct_hash, "
	    "resource_type, resource_id, created_by_user, created_by_key, "
	    "created_by_service) "
	    "VALUES (latchkey.current_org_id(), latchkey.current_mode(), "
	    "$1::bytea, $2, $3, $4, $5::uuid, $6::boolean OR coalesce(("
	    "SELECT k.created_by_service FROM latchkey.api_keys k "
	    "WHERE k.id = $5::uuid), false)) RETURNING " DIRECT_COLS,
	6
};

/* What the authorizer's routes for a resource type require. */
static const struct db_stmt directs_route_perms = {
	"directs_route_perms",
	"SELECT DISTINCT permission FROM latchkey.routes "
	    "WHERE direct_resource_type = $1 AND permission IS NOT NULL "
	    "ORDER BY permission LIMIT $2",
	2
};

enum { RP_PERMISSION };

static const struct db_stmt directs_list = {
	"directs_list",
	"SELECT " DIRECT_COLS " FROM latchkey.directs WHERE "
	    SQL_AFTER("created_at", "id", "$1", "$2")
	    " ORDER BY created_at, id LIMIT $3",
	3
};

static const struct db_stmt directs_revoke = {
	"directs_revoke",
	"UPDATE latchkey.directs SET revoked_at = coalesce(revoked_at, now()) "
	    "WHERE id = $1 RETURNING id",
	1
};

static json_object *
direct_json(const struct db_res *res, size_t row)
{
	static const struct jsonx_col cols[] = {
		{ "id", C_ID, 0 },
		{ "resource_type", C_TYPE, 0 },
		{ "resource_id", C_RID, 0 },
		{ "mode", C_MODE, 0 },
		{ "created_at", C_CREATED, 0 },
		{ "revoked_at", C_REVOKED, 0 },
	};
	json_object *o = json_object_new_object();

	jsonx_add_cols(o, res, row, cols, JSONX_NCOLS(cols));
	return o;
}

/*
 * Refuses (403, naming them) a direct for type when the caller lacks a
 * permission some route admitting type requires.  Returns 0 when
 * allowed, -1 with the response decided.
 */
static int
reach_check(struct lk_ctx *ctx, const char *type)
{
	char limit[16];
	const char *params[2], **perms;
	struct perm_set missing;
	struct lk_buf names;
	struct db_res *res;
	size_t i, n, total;
	enum lk_err e;

	if ((e = util_snprintf(limit, sizeof(limit), "%d",
	    DIRECT_ROUTE_PERMS_MAX + 1)) != LK_OK) {
		reply_internal(ctx, e, "the route permission bound");
		return -1;
	}
	params[0] = type;
	params[1] = limit;
	if ((e = db_exec(ctx->db, &directs_route_perms, params, &res)) !=
	    LK_OK) {
		reply_db_error(ctx, e);
		return -1;
	}
	n = db_nrows(res);
	if (n > DIRECT_ROUTE_PERMS_MAX) {
		db_res_free(res);
		reply_error(ctx, 403, "permission_denied", "the routes for "
		    "resource type %s require more than %d permissions; "
		    "ask the operator to simplify them", type,
		    DIRECT_ROUTE_PERMS_MAX);
		return -1;
	}
	if ((perms = arena_alloc(ctx->arena, (n + 1) * sizeof(*perms))) ==
	    NULL) {
		db_res_free(res);
		reply_internal(ctx, LK_ENOMEM, "the route permissions");
		return -1;
	}
	for (i = 0; i < n; i++) {
		perms[i] = db_get(res, i, RP_PERMISSION);
	}
	total = authority_direct_missing(&ctx->id, perms, n, &missing);
	db_res_free(res);
	if (total == 0) {
		return 0;
	}
	buf_init(&names, 8192);
	for (i = 0; i < missing.n; i++) {
		buf_printf(&names, "%s%s", i > 0 ? ", " : "",
		    missing.items[i]);
	}
	reply_error(ctx, 403, "permission_denied", "a direct for %s passes "
	    "routes that need permissions you do not hold: %s%s", type,
	    buf_cstr(&names), total > missing.n ? ", ..." : "");
	buf_free(&names);
	return -1;
}

/* The shape of a resource type and id, as the table checks them. */
static int
charset(const char *s, const char *allowed)
{
	return strspn(s, allowed) == strlen(s);
}

static void
create(struct lk_ctx *ctx)
{
	static const char *const allowed[] = { "resource_type",
	    "resource_id", NULL };
	char secret[DIRECT_PREFIX_LEN + DIRECT_SECRET_LEN + 1];
	char hex[DB_HASH_HEX_SIZE];
	unsigned char md[SHA256_DIGEST_LENGTH];
	const char *type, *rid, *params[6];
	struct db_res *res;
	json_object *body, *o;
	enum lk_err e;

	if (require_perm(ctx, "directs.write") == -1 ||
	    validate_body_object(ctx, &body) == -1) {
		return;
	}
	validate_only(ctx, body, allowed);
	validate_string(ctx, body, "resource_type", 1, 1, JWT_RTYPE_MAX, &type);
	validate_string(ctx, body, "resource_id", 1, 1, JWT_RID_MAX, &rid);
	if (type != NULL && !charset(type, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789_")) {
		validate_field_error(ctx, "resource_type",
		    "must be a-z, 0-9 and _");
	}
	if (rid != NULL && !charset(rid, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")) {
		validate_field_error(ctx, "resource_id",
		    "must be letters, digits and . _ : -");
	}
	if (validate_fields_check(ctx) == -1 || reach_check(ctx, type) == -1) {
		return;
	}
	memcpy(secret, DIRECT_PREFIX, DIRECT_PREFIX_LEN);
	if (apikey_random(secret + DIRECT_PREFIX_LEN, DIRECT_SECRET_LEN) !=
	    LK_OK) {
		reply_internal(ctx, LK_ECRYPTO, "a direct secret");
		return;
	}
	secret[sizeof(secret) - 1] = '\0';
	SHA256((const unsigned char *)secret, strlen(secret), md);
	db_hash_hex(md, hex);
	if (tx_begin(ctx, NULL) == -1) {
		OPENSSL_cleanse(secret, sizeof(secret));
		return;
	}
	params[0] = hex;
	params[1] = type;
	params[2] = rid;
	params[3] = ctx->id.user_id[0] != '\0' ? ctx->id.user_id : NULL;
	params[4] = ctx->id.kind == CRED_KEY ? ctx->id.key_id : NULL;
	params[5] = ctx->id.kind == CRED_SERVICE ? "true" : "false";
	if ((e = db_exec(ctx->db, &directs_insert, params, &res)) != LK_OK) {
		OPENSSL_cleanse(secret, sizeof(secret));
		tx_fail(ctx, e);
		return;
	}
	o = direct_json(res, 0);
	jsonx_add_str(o, "direct_hash", secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	tx_audit_reply(ctx, 201, o, "direct.created", "direct",
	    db_get(res, 0, C_ID), NULL);
	db_res_free(res);
}

static void
list(struct lk_ctx *ctx)
{
	const char *params[3];
	struct page pg;

	if (require_perm(ctx, "directs.write") == -1 ||
	    page_parse(ctx, &pg) == -1 || tx_begin(ctx, NULL) == -1) {
		return;
	}
	page_query(ctx, &directs_list, params, 0, &pg, direct_json, C_CURSOR);
}

static void
revoke(struct lk_ctx *ctx)
{
	const char *id;
	struct db_res *res;

	if (require_perm(ctx, "directs.write") == -1 ||
	    tx_begin(ctx, NULL) == -1) {
		return;
	}
	id = validate_path_param(ctx, "id");
	if ((res = tx_one_row(ctx, &directs_revoke, &id, "direct")) ==
	    NULL) {
		return;
	}
	db_res_free(res);
	ctx->auth_changed = 1;
	tx_audit_reply(ctx, 204, NULL, "direct.revoked", "direct", id, NULL);
}

static const struct route routes[] = {
	{ HTTP_GET, "/v1/directs", list, "List the direct hashes" },
	{ HTTP_POST, "/v1/directs", create,
	    "Create a direct hash for one resource; shown once" },
	{ HTTP_DELETE, "/v1/directs/{id}", revoke,
	    "Revoke a direct hash and every token it booted" },
};

const struct route_table handlers_directs = {
	routes, sizeof(routes) / sizeof(routes[0])
};
