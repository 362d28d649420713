/*
 * keys.c: API keys of the caller's org and mode: GET/POST /v1/api-keys,
 * GET/PATCH/DELETE /v1/api-keys/{id}, POST /v1/api-keys/{id}/roll.
 *
 * The secret is returned once, by create and roll; the database keeps only
 * its SHA-256.  A caller cannot give a key a permission it does not hold
 * itself, and changes, rolls or revokes only keys it dominates
 * (authority.h: 403 key_out_of_reach otherwise).  Revoking a key revokes
 * every key it made, transitively, in the same transaction.  Row-level
 * security scopes every statement to the org and mode of the
 * transaction, so a test credential never sees a live key.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apikey.h"
#include "app.h"
#include "authority.h"
#include "db.h"
#include "handlers/handlers.h"
#include "handlers/keys.h"
#include "lk_limits.h"
#include "log.h"
#include "util.h"

/* KEY_GRACE_MAX is an expression: its value is checked here, once. */
#define GRACE_MESSAGE	"must be a number of seconds from 0 to 604800"
_Static_assert(KEY_GRACE_MAX == 604800, "GRACE_MESSAGE states KEY_GRACE_MAX");

/* The plan's key rate is read per row: the effective limit and the cap
 * are computed from it (key_json()). */
#define KEY_COLS \
	"id, name, detail, display_prefix, last4, mode, permissions, " \
	SQL_TS("created_at") ", " SQL_TS("updated_at") ", " \
	SQL_TS("expires_at") ", " SQL_TS("revoked_at") ", " \
	SQL_TS("last_used_at") ", created_by_user, created_by_key, " \
	SQL_CURSOR("created_at", "id") ", rate_limit_per_min, " \
	"operator_rate_limit_per_min, (SELECT p.key_rate_per_min " \
	"FROM latchkey.orgs o JOIN latchkey.plans p ON p.id = o.plan_id " \
	"WHERE o.id = api_keys.org_id)"

enum { C_ID, C_NAME, C_DETAIL, C_PREFIX, C_LAST4, C_MODE, C_PERMS,
    C_CREATED, C_UPDATED, C_EXPIRES, C_REVOKED, C_USED, C_BY_USER,
    C_BY_KEY, C_CURSOR, C_RATE, C_OPERATOR_RATE, C_PLAN_RATE };

/* A key made by a key that a service key made is the service's too: no
 * user stands behind either. */
static const struct db_stmt keys_insert = {
	"keys_insert",
	"INSERT INTO latchkey.api_keys (org_id, mode, name, detail, "
	    "display_prefix, last4, key_hash, permissions, created_by_user, "
	    "created_by_key, expires_at, created_by_service, "
	    "rate_limit_per_min) VALUES "
	    "(latchkey.current_org_id(), $1, $2, coalesce($3, ''), $4, $5, "
	    "$6::bytea, $7::text[], $8, $9::uuid, to_timestamp($10::bigint), "
	    "$11::boolean OR coalesce((SELECT p.created_by_service FROM "
	    "latchkey.api_keys p WHERE p.id = $9::uuid), false), "
	    "$12::integer) RETURNING " KEY_COLS,
	12
};

static const struct db_stmt keys_list = {
	"keys_list",
	"SELECT " KEY_COLS " FROM latchkey.api_keys WHERE "
	    SQL_AFTER("created_at", "id", "$1", "$2")
	    " ORDER BY created_at, id LIMIT $3",
	3
};

static const struct db_stmt keys_get = {
	"keys_get",
	"SELECT " KEY_COLS " FROM latchkey.api_keys WHERE id = $1",
	1
};

/* $5 says whether to set the limit: to $6, or with $6 null to the key's
 * default, its operator limit (NULL: its plan's key rate). */
static const struct db_stmt keys_update = {
	"keys_update",
	"UPDATE latchkey.api_keys SET name = coalesce($2, name), "
	    "detail = coalesce($3, detail), "
	    "permissions = coalesce($4::text[], permissions), "
	    "rate_limit_per_min = CASE WHEN NOT $5::boolean "
	    "THEN rate_limit_per_min "
	    "ELSE coalesce($6::integer, operator_rate_limit_per_min) END, "
	    "updated_at = now() WHERE id = $1 RETURNING " KEY_COLS,
	6
};

/*
 * Revokes a key and every key it made, transitively (the walk stops at
 * 64 generations; latchkeyd makes no chain longer than
 * AUTHORITY_LINEAGE_MAX).  Revoking twice keeps the first time: DELETE is
 * idempotent.  Returns the key itself first (depth 0), then each
 * descendant revoked now; descendants revoked before are left as they
 * were.
 */
static const struct db_stmt keys_revoke = {
	"keys_revoke",
	"WITH RECURSIVE tree (id, depth) AS ("
	    "SELECT k.id, 0 FROM latchkey.api_keys k WHERE k.id = $1 "
	    "UNION ALL "
	    "SELECT c.id, t.depth + 1 FROM tree t "
	    "JOIN latchkey.api_keys c ON c.created_by_key = t.id "
	    "WHERE t.depth < 64), "
	    "done AS (UPDATE latchkey.api_keys a SET revoked_at = "
	    "coalesce(a.revoked_at, now()), previous_hash = NULL, "
	    "previous_expires_at = NULL FROM tree t "
	    "WHERE a.id = t.id AND (t.depth = 0 OR a.revoked_at IS NULL) "
	    "RETURNING a.id, t.depth) "
	    "SELECT id, depth FROM done ORDER BY depth, id",
	1
};

enum { REV_ID, REV_DEPTH };

/* The old secret lives on for the grace period, then dies. */
static const struct db_stmt keys_roll = {
	"keys_roll",
	"UPDATE latchkey.api_keys SET "
	    "previous_hash = CASE WHEN $3::integer > 0 THEN key_hash END, "
	    "previous_expires_at = CASE WHEN $3::integer > 0 THEN "
	    "now() + $3::integer * interval '1 second' END, "
	    "key_hash = $2::bytea, last4 = $4, updated_at = now() "
	    "WHERE id = $1 AND revoked_at IS NULL RETURNING " KEY_COLS,
	4
};

/* Builds the JSON of a key row; the secret is added by the caller. */
static json_object *
key_json(const struct db_res *res, size_t row)
{
	static const struct jsonx_col head[] = {
		{ "id", C_ID, 0 },
		{ "name", C_NAME, 0 },
		{ "detail", C_DETAIL, 0 },
		{ "prefix", C_PREFIX, 0 },
		{ "last4", C_LAST4, 0 },
		{ "mode", C_MODE, 0 },
	}, times[] = {
		{ "created_at", C_CREATED, 0 },
		{ "updated_at", C_UPDATED, 0 },
		{ "expires_at", C_EXPIRES, 0 },
		{ "revoked_at", C_REVOKED, 0 },
		{ "last_used_at", C_USED, 0 },
	}, creator[] = {
		{ "user_id", C_BY_USER, 0 },
		{ "api_key_id", C_BY_KEY, 0 },
	};
	json_object *o = json_object_new_object(), *by;
	const char *own = db_get(res, row, C_RATE);
	const char *op = db_get(res, row, C_OPERATOR_RATE);
	const char *plan = db_get(res, row, C_PLAN_RATE);
	struct perm_set set;

	jsonx_add_cols(o, res, row, head, JSONX_NCOLS(head));
	if (credential_perm_array_parse(db_get(res, row, C_PERMS),
	    &set) != LK_OK) {
		set.n = 0;
	}
	if (o != NULL) {
		jsonx_add(o, "permissions",
		    jsonx_perm_array(&set));
	}
	jsonx_add_cols(o, res, row, times, JSONX_NCOLS(times));
	by = json_object_new_object();
	jsonx_add_cols(by, res, row, creator, JSONX_NCOLS(creator));
	if (o != NULL) {
		jsonx_add(o, "created_by", by);
	} else {
		json_object_put(by);
	}
	/* As api_key_identity() computes it (sql/017), and its cap. */
	org_add_rate(o, "rate_limit_per_min", own);
	org_add_rate(o, "effective_rate_limit_per_min",
	    own != NULL ? own : plan);
	org_add_rate(o, "max_rate_limit_per_min", op != NULL ? op : plan);
	org_add_rate(o, "operator_rate_limit_per_min", op);
	return o;
}

/* Writes a PostgreSQL array literal of set into the arena.  Patterns are
 * [a-z0-9_.*] only, so nothing needs quoting. */
static const char *
pg_array(struct lk_ctx *ctx, const struct perm_set *set)
{
	struct lk_buf b;
	const char *s;
	size_t i;

	buf_init(&b, (PERM_NAME_MAX + 1) * PERM_SET_MAX + 3);
	buf_putc(&b, '{');
	for (i = 0; i < set->n; i++) {
		if (i > 0) {
			buf_putc(&b, ',');
		}
		buf_puts(&b, set->items[i]);
	}
	buf_putc(&b, '}');
	s = buf_failed(&b) ? NULL : arena_strdup(ctx->arena, buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* The mode a new key gets: the key caller's own, or as asked. */
static const char *
mode_for_new_key(struct lk_ctx *ctx, const char *asked)
{
	if (asked == NULL) {
		return ctx->id.mode;
	}
	if (strcmp(asked, "live") != 0 && strcmp(asked, "test") != 0) {
		validate_field_error(ctx, "mode", "must be live or test");
		return NULL;
	}
	return asked;
}

/*
 * Generates a key and adds "key" to o: the one time the secret leaves
 * latchkey.  hexhash receives "\x<sha256 hex>" for the database.
 */
static int
new_secret(struct lk_ctx *ctx, const char *mode, char *key, size_t keysz,
    struct apikey *k, char hexhash[DB_HASH_HEX_SIZE])
{
	enum apikey_mode m = strcmp(mode, "test") == 0 ? APIKEY_TEST :
	    APIKEY_LIVE;

	if (apikey_generate(ctx->cfg->api_key_prefix, m, key, keysz, k) !=
	    LK_OK) {
		return -1;
	}
	db_hash_hex(k->hash, hexhash);
	return 0;
}

enum lk_err
keys_issue(struct lk_ctx *ctx, const char *mode, const char *name,
    const char *detail, const struct perm_set *perms, int64_t expires_at,
    const char *rate_limit, json_object **out)
{
	char key[APIKEY_MAX_LEN + 1], hexhash[DB_HASH_HEX_SIZE];
	char expires[24];
	const char *params[12];
	struct db_res *res;
	struct apikey k;
	enum lk_err e;

	if (new_secret(ctx, mode, key, sizeof(key), &k, hexhash) == -1) {
		return LK_ECRYPTO;
	}
	if (util_snprintf(expires, sizeof(expires), "%lld",
	    (long long)expires_at) != LK_OK) {
		OPENSSL_cleanse(key, sizeof(key));
		return LK_ETOOBIG;	/* tx_fail(): logged, 500 */
	}
	params[0] = mode;
	params[1] = name;
	params[2] = detail;
	params[3] = k.display;
	params[4] = k.last4;
	params[5] = hexhash;
	params[6] = pg_array(ctx, perms);
	params[7] = ctx->id.user_id[0] != '\0' ? ctx->id.user_id : NULL;
	params[8] = ctx->id.kind == CRED_KEY ? ctx->id.key_id : NULL;
	params[9] = expires_at > 0 ? expires : NULL;
	/* No user stands behind a service key: its keys are bounded by
	 * their own permissions only. */
	params[10] = ctx->id.kind == CRED_SERVICE ? "true" : "false";
	params[11] = rate_limit;
	if ((e = db_exec(ctx->db, &keys_insert, params, &res)) != LK_OK) {
		OPENSSL_cleanse(key, sizeof(key));
		return e;
	}
	*out = key_json(res, 0);
	db_res_free(res);
	jsonx_add_str(*out, "key", key);
	OPENSSL_cleanse(key, sizeof(key));
	return LK_OK;
}

/* The audit detail of a key change: its name, permissions and limit. */
static json_object *
detail_of(const char *name, const struct perm_set *perms,
    const struct keys_rate_ask *rate)
{
	json_object *d = json_object_new_object();

	if (name != NULL) {
		jsonx_add_str(d, "name", name);
	}
	if (perms != NULL && d != NULL) {
		jsonx_add(d, "permissions",
		    jsonx_perm_array(perms));
	}
	if (rate->given) {
		org_add_rate(d, "rate_limit_per_min", rate->value);
	}
	return d;
}

/*
 * The permissions of a key created without any: its creator's own.  A
 * login or service key gives "*", which the creator's role bounds at
 * every use like any key's set; a key gives its own effective set, as a
 * key made by a key is bounded by that key's user, not by that key.
 */
static enum lk_err
default_permissions(const struct lk_ctx *ctx, struct perm_set *want)
{
	memset(want, 0, sizeof(*want));
	if (ctx->id.kind == CRED_KEY) {
		*want = ctx->id.perms;
		return LK_OK;
	}
	return perm_set_add(want, "*");
}

/*
 * The first steps of create and change: keys.write, the body, no unknown
 * member, and name (required when name_required) and detail.  Returns
 * -1 with the response decided; field errors are left for the caller's
 * validate_fields_check().
 */
static int
key_body(struct lk_ctx *ctx, const char *const *allowed, int name_required,
    json_object **body, const char **name, const char **detail)
{
	if (require_perm(ctx, "keys.write") == -1 ||
	    validate_body_object(ctx, body) == -1) {
		return -1;
	}
	validate_only(ctx, *body, allowed);
	validate_string(ctx, *body, "name", name_required, 1, KEY_NAME_MAX,
	    name);
	validate_string(ctx, *body, "detail", 0, 0, KEY_DETAIL_MAX, detail);
	return 0;
}

static void
create(struct lk_ctx *ctx)
{
	static const char *const allowed[] = { "name", "detail",
	    "permissions", "expires_at", "expires_in", "mode",
	    "rate_limit_per_min", NULL };
	const char *name, *detail, *mode_s, *mode;
	struct perm_set want;
	struct keys_rate_ask rate;
	json_object *body, *o;
	int64_t exp;
	enum lk_err e;
	int absent = 1;

	if (key_body(ctx, allowed, 1, &body, &name, &detail) == -1) {
		return;
	}
	validate_string(ctx, body, "mode", 0, 1, APP_WORD_MAX, &mode_s);
	keys_expiry_field(ctx, body, &exp);
	keys_rate_field(ctx, body, &rate);
	mode = mode_for_new_key(ctx, mode_s);
	if (ctx->err_fields == NULL &&
	    (absent = keys_permissions_field(ctx, body, &want)) == -1) {
		return;
	}
	if (validate_fields_check(ctx) == -1) {
		return;
	}
	if (mode == NULL) {
		return;		/* unreachable: validate_fields_check()
				 * caught it */
	}
	if (absent == 1 && (e = default_permissions(ctx, &want)) != LK_OK) {
		reply_internal(ctx, e, "the default permissions");
		return;
	}
	if (ctx->id.kind != CRED_JWT && strcmp(mode, ctx->id.mode) != 0) {
		reply_error(ctx, 403, "mode_mismatch",
		    "a %s credential can only create %s keys", ctx->id.mode,
		    ctx->id.mode);
		return;
	}
	if (tx_begin(ctx, mode) == -1 || keys_lineage_check(ctx) == -1 ||
	    keys_rate_within_cap(ctx, NULL, &rate) == -1) {
		return;
	}
	if ((e = keys_issue(ctx, mode, name, detail, &want, exp, rate.value,
	    &o)) != LK_OK) {
		tx_fail(ctx, e);
		return;
	}
	tx_audit_reply(ctx, 201, o, "api_key.created", "api_key",
	    json_object_get_string(json_object_object_get(o, "id")),
	    detail_of(name, &want, &rate));
}

static void
list(struct lk_ctx *ctx)
{
	const char *params[3];
	struct page pg;

	if (require_perm(ctx, "keys.read") == -1 ||
	    page_parse(ctx, &pg) == -1 || tx_begin(ctx, ctx->id.mode) == -1) {
		return;
	}
	page_query(ctx, &keys_list, params, 0, &pg, key_json, C_CURSOR);
}

/* Runs a one-row statement on the key in the path; 404 when absent. */
static struct db_res *
one(struct lk_ctx *ctx, const struct db_stmt *st, const char *const *params)
{
	return tx_one_row(ctx, st, params, "API key");
}

static void
get(struct lk_ctx *ctx)
{
	const char *id;
	struct db_res *res;
	json_object *o;

	if (require_perm(ctx, "keys.read") == -1 ||
	    tx_begin(ctx, ctx->id.mode) == -1) {
		return;
	}
	id = validate_path_param(ctx, "id");
	if ((res = one(ctx, &keys_get, &id)) == NULL) {
		return;
	}
	o = key_json(res, 0);
	db_res_free(res);
	tx_reply(ctx, 200, o);
}

static void
patch(struct lk_ctx *ctx)
{
	static const char *const allowed[] = { "name", "detail",
	    "permissions", "rate_limit_per_min", NULL };
	const char *name, *detail, *params[6];
	struct perm_set want;
	struct keys_rate_ask rate;
	struct db_res *res;
	json_object *body, *o;
	int absent = 1;

	if (key_body(ctx, allowed, 0, &body, &name, &detail) == -1) {
		return;
	}
	keys_rate_field(ctx, body, &rate);
	if (ctx->err_fields == NULL &&
	    (absent = keys_permissions_field(ctx, body, &want)) == -1) {
		return;
	}
	if (name == NULL && detail == NULL && absent == 1 && !rate.given &&
	    ctx->err_fields == NULL) {
		validate_field_error(ctx, "body",
		    "name at least one field to change");
	}
	if (validate_fields_check(ctx) == -1 ||
	    tx_begin(ctx, ctx->id.mode) == -1) {
		return;
	}
	params[0] = validate_path_param(ctx, "id");
	if (keys_within_reach(ctx, params[0], "change") == -1 ||
	    keys_rate_within_cap(ctx, params[0], &rate) == -1) {
		return;
	}
	params[1] = name;
	params[2] = detail;
	params[3] = absent == 1 ? NULL : pg_array(ctx, &want);
	params[4] = rate.given ? "true" : "false";
	params[5] = rate.value;
	if ((res = one(ctx, &keys_update, params)) == NULL) {
		return;
	}
	o = key_json(res, 0);
	db_res_free(res);
	ctx->auth_changed = 1;
	tx_audit_reply(ctx, 200, o, "api_key.changed", "api_key", params[0],
	    detail_of(name, absent == 1 ? NULL : &want, &rate));
}

/*
 * Revokes the key and its descendants: one api_key.revoked event each,
 * a descendant's naming the ancestor it was revoked with.
 */
static void
revoke(struct lk_ctx *ctx)
{
	const char *id;
	struct db_res *res;
	json_object *d;
	enum lk_err e;
	size_t i, n;

	if (require_perm(ctx, "keys.write") == -1 ||
	    tx_begin(ctx, ctx->id.mode) == -1) {
		return;
	}
	id = validate_path_param(ctx, "id");
	if (keys_within_reach(ctx, id, "revoke") == -1) {
		return;
	}
	if ((e = db_exec(ctx->db, &keys_revoke, &id, &res)) != LK_OK) {
		tx_fail(ctx, e);
		return;
	}
	/* within_reach() locked the key: it is there. */
	if ((n = db_nrows(res)) == 0) {
		db_res_free(res);
		tx_fail(ctx, LK_EDB);
		return;
	}
	ctx->auth_changed = 1;
	d = NULL;
	if (n > 1) {
		d = json_object_new_object();
		jsonx_add(d, "descendants_revoked",
		    json_object_new_int64((int64_t)(n - 1)));
	}
	e = audit_tx(ctx, "api_key.revoked", "api_key", id, d);
	/* Row 0 is the key itself; the rest, its descendants. */
	for (i = 1; i < n && e == LK_OK; i++) {
		d = json_object_new_object();
		jsonx_add_str(d, "revoked_with_ancestor", id);
		e = audit_tx(ctx, "api_key.revoked", "api_key",
		    db_get(res, i, REV_ID), d);
	}
	db_res_free(res);
	if (e != LK_OK) {
		tx_fail(ctx, e);
		return;
	}
	tx_reply(ctx, 204, NULL);
}

static void
roll(struct lk_ctx *ctx)
{
	static const char *const allowed[] = { "grace_seconds", NULL };
	char key[APIKEY_MAX_LEN + 1], hexhash[DB_HASH_HEX_SIZE];
	char grace_s[24];
	const char *params[4];
	struct db_res *res;
	struct apikey k;
	json_object *body = NULL, *v, *o, *d;
	int64_t grace = 0;
	enum lk_err e;

	if (require_perm(ctx, "keys.write") == -1) {
		return;
	}
	/* The body is optional: an empty POST rolls with no grace. */
	if (ctx->req->body.len > 0) {
		if (validate_body_object(ctx, &body) == -1) {
			return;
		}
		validate_only(ctx, body, allowed);
		if (json_object_object_get_ex(body, "grace_seconds", &v) &&
		    v != NULL) {
			if (!json_object_is_type(v, json_type_int) ||
			    (grace = json_object_get_int64(v)) < 0 ||
			    grace > KEY_GRACE_MAX) {
				validate_field_error(ctx, "grace_seconds",
				    GRACE_MESSAGE);
			}
		}
		if (validate_fields_check(ctx) == -1) {
			return;
		}
	}
	if (new_secret(ctx, ctx->id.mode, key, sizeof(key), &k, hexhash) ==
	    -1) {
		reply_internal(ctx, LK_ECRYPTO, "a new API key");
		return;
	}
	if (util_snprintf(grace_s, sizeof(grace_s), "%lld",
	    (long long)grace) != LK_OK ||
	    tx_begin(ctx, ctx->id.mode) == -1) {
		OPENSSL_cleanse(key, sizeof(key));
		return;
	}
	params[0] = validate_path_param(ctx, "id");
	params[1] = hexhash;
	params[2] = grace_s;
	params[3] = k.last4;
	if (keys_within_reach(ctx, params[0], "roll") == -1) {
		OPENSSL_cleanse(key, sizeof(key));
		return;
	}
	if ((e = db_exec(ctx->db, &keys_roll, params, &res)) != LK_OK) {
		OPENSSL_cleanse(key, sizeof(key));
		tx_fail(ctx, e);
		return;
	}
	if (db_nrows(res) != 1) {
		/* within_reach() found and locked it: it is revoked. */
		db_res_free(res);
		OPENSSL_cleanse(key, sizeof(key));
		db_rollback(ctx->db);
		reply_error(ctx, 409, "api_key_revoked",
		    "a revoked API key cannot be rolled");
		return;
	}
	o = key_json(res, 0);
	db_res_free(res);
	jsonx_add_str(o, "key", key);
	OPENSSL_cleanse(key, sizeof(key));
	d = json_object_new_object();
	jsonx_add(d, "grace_seconds",
	    json_object_new_int64(grace));
	ctx->auth_changed = 1;
	tx_audit_reply(ctx, 200, o, "api_key.rolled", "api_key", params[0],
	    d);
}

static const struct route routes[] = {
	{ HTTP_GET, "/v1/api-keys", list, "List the API keys of this mode" },
	{ HTTP_POST, "/v1/api-keys", create,
	    "Create an API key; the secret is shown once" },
	{ HTTP_GET, "/v1/api-keys/{id}", get, "Read one API key" },
	{ HTTP_PATCH, "/v1/api-keys/{id}", patch,
	    "Rename a key, change its detail, permissions or rate limit" },
	{ HTTP_DELETE, "/v1/api-keys/{id}", revoke,
	    "Revoke a key now; revoking again is harmless" },
	{ HTTP_POST, "/v1/api-keys/{id}/roll", roll,
	    "Replace the secret; the old one lives on for grace_seconds" },
};

const struct route_table handlers_keys = {
	routes, sizeof(routes) / sizeof(routes[0])
};
