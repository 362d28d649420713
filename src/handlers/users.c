/*
 * users.c: the members of the caller's org: GET/POST /v1/users and
 * GET/PATCH/DELETE /v1/users/{id}.
 *
 * Rules: reading needs users.read, changing needs users.write, and
 * both a live credential (members are live data: authority.h's sandbox
 * rule).  Who may change whom is decided in authority.c
 * (authority_user_decide()); this file gathers the facts and acts.
 * Row-level security keeps every statement inside the caller's org, so
 * another org's id is simply not found.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "app.h"
#include "authority.h"
#include "db.h"
#include "handlers/handlers.h"
#include "log.h"
#include "util.h"

#define USER_COLS \
	"id, org_id, email, role, disabled, " SQL_TS("created_at") ", " \
	SQL_TS("updated_at") ", " SQL_CURSOR("created_at", "id")

enum { C_ID, C_ORG, C_EMAIL, C_ROLE, C_DISABLED, C_CREATED, C_UPDATED,
    C_CURSOR };

static const struct db_stmt users_list = {
	"users_list",
	"SELECT " USER_COLS " FROM latchkey.users WHERE "
	    SQL_AFTER("created_at", "id", "$1", "$2")
	    " ORDER BY created_at, id LIMIT $3",
	3
};

static const struct db_stmt users_get = {
	"users_get",
	"SELECT " USER_COLS " FROM latchkey.users WHERE id = $1",
	1
};

static const struct db_stmt users_insert = {
	"users_insert",
	"INSERT INTO latchkey.users (org_id, email, password_hash, role) "
	    "VALUES (latchkey.current_org_id(), $1, $2, $3) "
	    "RETURNING " USER_COLS,
	3
};

/* Serialises user management within one org, so two requests cannot
 * each remove one of the last two owners. */
static const struct db_stmt org_lock = {
	"users_org_lock",
	"SELECT 1 FROM latchkey.orgs WHERE id = latchkey.current_org_id() "
	    "FOR UPDATE",
	0
};

static const struct db_stmt active_owners = {
	"users_active_owners",
	"SELECT count(*) FROM latchkey.users "
	    "WHERE role = 'owner' AND NOT disabled",
	0
};

enum { AO_COUNT };

static const struct db_stmt users_update = {
	"users_update",
	"UPDATE latchkey.users SET email = coalesce($2, email), "
	    "role = coalesce($3, role), "
	    "disabled = coalesce($4::boolean, disabled), "
	    "password_hash = coalesce($5, password_hash), "
	    "token_version = token_version + "
	    "CASE WHEN $6::boolean THEN 1 ELSE 0 END, "
	    "updated_at = now() WHERE id = $1 RETURNING " USER_COLS,
	6
};

static const struct db_stmt users_hash = {
	"users_hash",
	"SELECT password_hash FROM latchkey.users WHERE id = $1",
	1
};

enum { H_HASH };

/* A guess at one's current password spends a token from the login
 * throttle's email bucket (login.c): a stolen token buys no more guesses
 * than the login form gives. */
static const struct db_stmt guess_throttle = {
	"users_guess_throttle",
	"SELECT t.granted = 1, t.retry_ms FROM latchkey.users u, "
	    "latchkey.rate_take('login:email:' || lower(u.email), $2, 1) t "
	    "WHERE u.id = $1",
	2
};

enum { G_ALLOWED, G_RETRY_MS };

static const struct db_stmt users_delete = {
	"users_delete",
	"DELETE FROM latchkey.users WHERE id = $1",
	1
};

static json_object *
user_json(const struct db_res *res, size_t row)
{
	static const struct jsonx_col cols[] = {
		{ "id", C_ID, 0 },
		{ "org_id", C_ORG, 0 },
		{ "email", C_EMAIL, 0 },
		{ "role", C_ROLE, 0 },
		{ "disabled", C_DISABLED, 1 },
		{ "created_at", C_CREATED, 0 },
		{ "updated_at", C_UPDATED, 0 },
	};
	json_object *u = json_object_new_object();

	jsonx_add_cols(u, res, row, cols, JSONX_NCOLS(cols));
	return u;
}


static void
list(struct lk_ctx *ctx)
{
	const char *params[3];
	struct page pg;

	if (require_live(ctx) == -1 || require_perm(ctx, "users.read") == -1 ||
	    page_parse(ctx, &pg) == -1 || tx_begin(ctx, NULL) == -1) {
		return;
	}
	page_query(ctx, &users_list, params, 0, &pg, user_json, C_CURSOR);
}

/* Fetches one user of the org; decides 404 when absent. */
static struct db_res *
fetch(struct lk_ctx *ctx, const char *id)
{
	return tx_one_row(ctx, &users_get, &id, "user");
}

static void
get(struct lk_ctx *ctx)
{
	struct db_res *res;
	json_object *o;

	if (require_live(ctx) == -1 || require_perm(ctx, "users.read") == -1 ||
	    tx_begin(ctx, NULL) == -1) {
		return;
	}
	if ((res = fetch(ctx, validate_path_param(ctx, "id"))) == NULL) {
		return;
	}
	o = user_json(res, 0);
	db_res_free(res);
	tx_reply(ctx, 200, o);
}

/* Returns the role a field names, recording a field error if invalid. */
static enum lk_role
role_field(struct lk_ctx *ctx, const char *s)
{
	enum lk_role r = credential_role_parse(s);

	if (s != NULL && r == ROLE_NONE) {
		validate_field_error(ctx, "role",
		    "must be one of owner, admin, member, viewer");
	}
	return r;
}


static void
email_field(struct lk_ctx *ctx, const char *email)
{
	if (email != NULL && !util_email_valid(email)) {
		validate_field_error(ctx, "email", "is not an email address");
	}
}

/*
 * Decides the response for a refused act (rule != AUTHORITY_USER_OK).
 * The transaction, if any, is the caller's to roll back first.
 */
static void
refuse(struct lk_ctx *ctx, enum authority_user_rule rule,
    const struct authority_user_act *a)
{
	switch (rule) {
	case AUTHORITY_USER_OK:
		log_err("request %s: refuse() called for an allowed act",
		    ctx->req->request_id);
		reply_internal(ctx, LK_EINVAL, "refuse() of an allowed act");
		return;
	case AUTHORITY_USER_ROLE_TOO_HIGH:
		reply_error(ctx, 403, "role_too_high",
		    "you cannot grant the role %s, above your own (%s)",
		    credential_role_str(a->new_role),
		    credential_role_str(a->caller));
		return;
	case AUTHORITY_USER_TARGET_TOO_HIGH:
		reply_error(ctx, 403, "role_too_high",
		    "you cannot manage a user whose role (%s) is above yours",
		    credential_role_str(a->target));
		return;
	case AUTHORITY_USER_PASSWORD_RANK:
		reply_error(ctx, 403, "role_too_high",
		    "changing another user's password needs a role above "
		    "theirs (%s)", credential_role_str(a->target));
		return;
	case AUTHORITY_USER_CURRENT_PASSWORD:
		validate_field_error(ctx, "current_password",
		    "is required to change your own email or password");
		if (validate_fields_check(ctx) == -1) {
			return;
		}
		reply_internal(ctx, LK_ENOMEM, "a field error");
		return;
	case AUTHORITY_USER_LAST_OWNER:
		reply_error(ctx, 409, "last_owner", "%s", a->remove ?
		    "the org's last owner cannot be removed" :
		    "the org's last owner cannot be demoted or disabled");
		return;
	}
	reply_internal(ctx, LK_EINVAL, "an unknown authority rule");
}

static void
create(struct lk_ctx *ctx)
{
	static const char *const allowed[] = { "email", "password", "role",
	    NULL };
	const char *email, *password, *role_s, *params[3];
	char hash[PASSWORD_HASH_MAX];
	struct authority_user_act act;
	enum authority_user_rule rule;
	struct db_res *res;
	json_object *body, *o, *d;
	enum lk_role role;
	enum lk_err e;

	if (require_live(ctx) == -1 || require_perm(ctx, "users.write") == -1 ||
	    validate_body_object(ctx, &body) == -1) {
		return;
	}
	validate_only(ctx, body, allowed);
	validate_string(ctx, body, "email", 1, EMAIL_MIN_LEN, EMAIL_MAX_LEN,
	    &email);
	validate_string(ctx, body, "password", 1, 0, APP_SECRET_FIELD_MAX,
	    &password);
	validate_string(ctx, body, "role", 0, 1, APP_WORD_MAX, &role_s);
	email_field(ctx, email);
	validate_password(ctx, "password", password);
	role = role_s != NULL ? role_field(ctx, role_s) : ROLE_MEMBER;
	if (validate_fields_check(ctx) == -1) {
		return;
	}
	memset(&act, 0, sizeof(act));
	act.kind = ctx->id.kind;
	act.caller = ctx->id.role;
	act.target = ROLE_NONE;
	act.new_role = role;
	act.password = 1;
	if ((rule = authority_user_decide(&act)) != AUTHORITY_USER_OK) {
		refuse(ctx, rule, &act);
		return;
	}
	e = password_hash(password, strlen(password), ctx->cfg->bcrypt_cost,
	    hash);
	if (e != LK_OK) {
		reply_db_error(ctx, e);
		return;
	}
	if (tx_begin(ctx, NULL) == -1) {
		OPENSSL_cleanse(hash, sizeof(hash));
		return;
	}
	params[0] = email;
	params[1] = hash;
	params[2] = credential_role_str(role);
	e = db_exec(ctx->db, &users_insert, params, &res);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (e != LK_OK) {
		tx_fail_email(ctx, e);
		return;
	}
	o = user_json(res, 0);
	d = json_object_new_object();
	jsonx_add_str(d, "email", email);
	jsonx_add_str(d, "role", credential_role_str(role));
	e = audit_tx(ctx, "user.created", "user", db_get(res, 0, C_ID), d);
	db_res_free(res);
	if (e != LK_OK) {
		json_object_put(o);
		tx_fail_email(ctx, e);
		return;
	}
	tx_reply(ctx, 201, o);
}

/*
 * Locks the org and the target, and fills in what act needs to know of
 * them (the target's role and state, the org's active owners).  Returns
 * the target's row, or NULL with the response decided.
 */
static struct db_res *
lock_target(struct lk_ctx *ctx, const char *id, struct authority_user_act *a)
{
	struct db_res *res, *cnt;
	const char *n;
	enum lk_err e;

	if ((e = db_exec(ctx->db, &org_lock, NULL, NULL)) != LK_OK) {
		tx_fail_email(ctx, e);
		return NULL;
	}
	if ((res = fetch(ctx, id)) == NULL) {
		return NULL;
	}
	if ((e = db_exec(ctx->db, &active_owners, NULL, &cnt)) != LK_OK) {
		db_res_free(res);
		tx_fail_email(ctx, e);
		return NULL;
	}
	n = db_get(cnt, 0, AO_COUNT);
	if (n == NULL || util_parse_long(n, strlen(n), 0, LONG_MAX,
	    &a->active_owners) != LK_OK) {
		a->active_owners = 0;
	}
	db_res_free(cnt);
	a->kind = ctx->id.kind;
	a->caller = ctx->id.role;
	a->self = ctx->id.kind == CRED_JWT &&
	    strcmp(id, ctx->id.user_id) == 0;
	a->target = credential_role_parse(db_get(res, 0, C_ROLE));
	a->target_active = strcmp(db_get(res, 0, C_DISABLED), "t") != 0;
	return res;
}

/*
 * Checks the caller's current password inside the open transaction.
 * Returns 0 when it matches, -1 with the response decided (403
 * wrong_password, or the error) and the transaction rolled back.
 */
static int
check_current(struct lk_ctx *ctx, const char *id, const char *current)
{
	struct db_res *res;
	enum lk_err e;
	int match = 0;

	if ((e = db_exec(ctx->db, &users_hash, &id, &res)) != LK_OK) {
		tx_fail_email(ctx, e);
		return -1;
	}
	e = password_verify(current, strlen(current), db_nrows(res) == 1 ?
	    db_get(res, 0, H_HASH) : ctx->w->dummy_hash, &match);
	if (e == LK_OK && db_nrows(res) != 1) {
		match = 0;
	}
	db_res_free(res);
	if (e != LK_OK) {
		log_err("request %s: password verification failed: %s",
		    ctx->req->request_id, lk_err_str(e));
		tx_fail(ctx, e);
		return -1;
	}
	if (!match) {
		db_rollback(ctx->db);
		audit_send(ctx, "user.password_change_refused", "user", id,
		    NULL);
		reply_error(ctx, 403, "wrong_password",
		    "current_password is not your current password");
		return -1;
	}
	return 0;
}

/*
 * Spends one password guess of user id in a transaction of its own, so
 * that a refused change does not give the token back.  Returns 0, or -1
 * with the response decided (429 with Retry-After, or the error).
 */
static int
throttle_guess(struct lk_ctx *ctx, const char *id)
{
	char lim[16];
	const char *params[2] = { id, lim };
	struct db_res *res;
	const char *r;
	enum lk_err e;
	long retry = 0;
	int ok;

	if ((e = util_snprintf(lim, sizeof(lim), "%d",
	    ctx->cfg->login_rate_per_min)) != LK_OK) {
		reply_internal(ctx, e, "the login rate");
		return -1;
	}
	if (tx_begin(ctx, NULL) == -1) {
		return -1;
	}
	if ((e = db_exec(ctx->db, &guess_throttle, params, &res)) != LK_OK) {
		tx_fail(ctx, e);
		return -1;
	}
	if ((e = db_commit(ctx->db)) != LK_OK) {
		db_res_free(res);
		reply_db_error(ctx, e);
		return -1;
	}
	/* No row: the user is gone; the change will answer 404. */
	ok = db_nrows(res) != 1 || strcmp(db_get(res, 0, G_ALLOWED), "t") == 0;
	r = db_nrows(res) == 1 ? db_get(res, 0, G_RETRY_MS) : NULL;
	if (!ok && (r == NULL || util_parse_long(r, strlen(r), 0, 3600000L,
	    &retry) != LK_OK)) {
		retry = 60000;
	}
	db_res_free(res);
	if (ok) {
		return 0;
	}
	buf_printf(&ctx->w->headers, "Retry-After: %ld\r\n",
	    retry / 1000 + 1);
	reply_error(ctx, 429, "rate_limited", "too many password attempts; "
	    "retry in %ld s", retry / 1000 + 1);
	return -1;
}

static void
patch(struct lk_ctx *ctx)
{
	static const char *const allowed[] = { "email", "password", "role",
	    "disabled", "current_password", NULL };
	const char *id, *email, *password, *current, *role_s, *params[6];
	char hash[PASSWORD_HASH_MAX];
	struct authority_user_act act;
	enum authority_user_rule rule;
	struct db_res *res, *upd;
	json_object *body, *o, *d;
	enum lk_role role = ROLE_NONE;
	enum lk_err e;
	int disabled;

	if (require_live(ctx) == -1 || validate_body_object(ctx, &body) == -1) {
		return;
	}
	id = validate_path_param(ctx, "id");
	validate_only(ctx, body, allowed);
	validate_string(ctx, body, "email", 0, EMAIL_MIN_LEN, EMAIL_MAX_LEN,
	    &email);
	validate_string(ctx, body, "password", 0, 0, APP_SECRET_FIELD_MAX,
	    &password);
	validate_string(ctx, body, "current_password", 0, 1,
	    APP_SECRET_FIELD_MAX, &current);
	validate_string(ctx, body, "role", 0, 1, APP_WORD_MAX, &role_s);
	validate_bool(ctx, body, "disabled", &disabled);
	email_field(ctx, email);
	validate_password(ctx, "password", password);
	if (role_s != NULL) {
		role = role_field(ctx, role_s);
	}
	if (email == NULL && password == NULL && role_s == NULL &&
	    disabled == -1 && ctx->err_fields == NULL) {
		validate_field_error(ctx, "body",
		    "name at least one field to change");
	}
	if (validate_fields_check(ctx) == -1) {
		return;
	}
	/* Users may change their own email and password without
	 * users.write; everything else needs it. */
	if (!(ctx->id.kind == CRED_JWT && strcmp(id, ctx->id.user_id) == 0 &&
	    role_s == NULL && disabled == -1) &&
	    require_perm(ctx, "users.write") == -1) {
		return;
	}
	if ((password != NULL || email != NULL) && current != NULL &&
	    ctx->id.kind == CRED_JWT && strcmp(id, ctx->id.user_id) == 0 &&
	    throttle_guess(ctx, id) == -1) {
		return;
	}
	if (tx_begin(ctx, NULL) == -1) {
		return;
	}
	memset(&act, 0, sizeof(act));
	if ((res = lock_target(ctx, id, &act)) == NULL) {
		return;
	}
	db_res_free(res);
	act.new_role = role;
	act.disable = disabled == 1;
	act.password = password != NULL;
	act.current_password = current != NULL;
	act.email = email != NULL;
	if ((rule = authority_user_decide(&act)) != AUTHORITY_USER_OK) {
		db_rollback(ctx->db);
		refuse(ctx, rule, &act);
		return;
	}
	if ((password != NULL || email != NULL) && act.self &&
	    check_current(ctx, id, current) == -1) {
		return;
	}
	hash[0] = '\0';
	if (password != NULL && (e = password_hash(password,
	    strlen(password), ctx->cfg->bcrypt_cost, hash)) != LK_OK) {
		tx_fail(ctx, e);
		return;
	}
	params[0] = id;
	params[1] = email;
	params[2] = role != ROLE_NONE ? credential_role_str(role) : NULL;
	params[3] = disabled == -1 ? NULL : disabled ? "true" : "false";
	params[4] = password != NULL ? hash : NULL;
	/* New password or disabled: every token of the user dies, the
	 * caller's own included. */
	params[5] = password != NULL || disabled == 1 ? "true" : "false";
	e = db_exec(ctx->db, &users_update, params, &upd);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (e != LK_OK) {
		tx_fail_email(ctx, e);
		return;
	}
	o = user_json(upd, 0);
	db_res_free(upd);
	/* What changed, never to what secret. */
	d = json_object_new_object();
	if (email != NULL) {
		jsonx_add_str(d, "email", email);
	}
	if (role != ROLE_NONE) {
		jsonx_add_str(d, "role", credential_role_str(role));
	}
	if (disabled != -1) {
		jsonx_add(d, "disabled",
		    json_object_new_boolean(disabled));
	}
	if (password != NULL) {
		jsonx_add(d, "password_changed",
		    json_object_new_boolean(1));
	}
	ctx->auth_changed = 1;
	if ((e = audit_tx(ctx, role != ROLE_NONE ? "user.role_changed" :
	    disabled == 1 ? "user.disabled" : "user.changed", "user", id,
	    d)) != LK_OK) {
		json_object_put(o);
		tx_fail_email(ctx, e);
		return;
	}
	tx_reply(ctx, 200, o);
}

static void
del(struct lk_ctx *ctx)
{
	struct authority_user_act act;
	enum authority_user_rule rule;
	struct db_res *res;
	const char *id;
	enum lk_err e;

	if (require_live(ctx) == -1 || require_perm(ctx, "users.write") == -1 ||
	    tx_begin(ctx, NULL) == -1) {
		return;
	}
	id = validate_path_param(ctx, "id");
	memset(&act, 0, sizeof(act));
	if ((res = lock_target(ctx, id, &act)) == NULL) {
		return;
	}
	db_res_free(res);
	act.remove = 1;
	if ((rule = authority_user_decide(&act)) != AUTHORITY_USER_OK) {
		db_rollback(ctx->db);
		refuse(ctx, rule, &act);
		return;
	}
	ctx->auth_changed = 1;
	if ((e = db_exec(ctx->db, &users_delete, &id, NULL)) != LK_OK ||
	    (e = audit_tx(ctx, "user.deleted", "user", id, NULL)) != LK_OK) {
		tx_fail_email(ctx, e);
		return;
	}
	tx_reply(ctx, 204, NULL);
}

static const struct route routes[] = {
	{ HTTP_GET, "/v1/users", list, "List the members of the org" },
	{ HTTP_POST, "/v1/users", create, "Add a member to the org" },
	{ HTTP_GET, "/v1/users/{id}", get, "Read one member" },
	{ HTTP_PATCH, "/v1/users/{id}", patch,
	    "Change a member's email, password, role or disabled flag" },
	{ HTTP_DELETE, "/v1/users/{id}", del, "Remove a member" },
};

const struct route_table handlers_users = {
	routes, sizeof(routes) / sizeof(routes[0])
};
