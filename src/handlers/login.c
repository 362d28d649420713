/*
 * login.c: POST /v1/auth/signup and POST /v1/auth/login.  Need no
 * credential; they are how a caller gets one.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "app.h"
#include "db.h"
#include "handlers/handlers.h"
#include "log.h"
#include "netaddr.h"
#include "util.h"

static const struct db_stmt org_insert = {
	"signup_org_insert",
	"INSERT INTO latchkey.orgs (id, name) VALUES ($1, $2) "
	    "RETURNING " SQL_TS("created_at"),
	2
};

enum { ORG_CREATED };

static const struct db_stmt owner_insert = {
	"signup_owner_insert",
	"INSERT INTO latchkey.users (org_id, email, password_hash, role) "
	    "VALUES ($1, $2, $3, 'owner') RETURNING id, token_version",
	3
};

enum { OWNER_ID, OWNER_TOKEN_VERSION };

/* Switches the open signup transaction to test mode for its test key. */
static const struct db_stmt set_mode = {
	"signup_set_mode",
	"SELECT set_config('latchkey.mode', $1, true)",
	1
};

/* The email bucket is folded by PostgreSQL's lower(), the same function
 * that makes emails unique (users_email_key), so every spelling of one
 * account shares one bucket, whatever letters it uses. */
static const struct db_stmt login_throttle = {
	"login_throttle",
	"SELECT allowed, retry_ms FROM latchkey.rate_take_login($1, $2, "
	    "'login:email:' || lower($3))",
	3
};

static const struct db_stmt signup_throttle = {
	"signup_throttle",
	"SELECT granted = 1, retry_ms FROM latchkey.rate_take($1, $2, 1)",
	2
};

/* The columns of both throttles. */
enum { T_ALLOWED, T_RETRY_MS };

#define ORG_NAME_MAX	200

/* The bucket of the request's client address: "<what>:ip:<address>". */
#define IP_BUCKET_MAX	(16 + NETADDR_STR_MAX)

static int
ip_bucket(struct lk_ctx *ctx, const char *what, char out[IP_BUCKET_MAX])
{
	char addr[NETADDR_STR_MAX];

	app_client_addr(ctx, 1, addr);
	return util_snprintf(out, IP_BUCKET_MAX, "%s:ip:%s", what, addr) ==
	    LK_OK ? 0 : -1;
}

/*
 * Takes one token through st (parameters: the address bucket, the limit,
 * then email if not NULL).  Returns 0, or -1 with the response decided
 * (429 with Retry-After, or 503 when the database is down).
 */
static int
throttle(struct lk_ctx *ctx, const struct db_stmt *st, const char *what,
    int limit, const char *email)
{
	char ipb[IP_BUCKET_MAX], lim[16];
	const char *params[3] = { ipb, lim, email };
	struct db_res *res;
	enum lk_err e;
	long retry = 0;
	const char *r;

	if (ip_bucket(ctx, what, ipb) == -1 ||
	    util_snprintf(lim, sizeof(lim), "%d", limit) != LK_OK) {
		reply_internal(ctx, LK_ETOOBIG, "the throttle bucket");
		return -1;
	}
	if ((e = db_exec(ctx->db, st, params, &res)) != LK_OK) {
		reply_db_error(ctx, e);
		return -1;
	}
	if (db_nrows(res) == 1 && strcmp(db_get(res, 0, T_ALLOWED), "t") == 0) {
		db_res_free(res);
		return 0;
	}
	r = db_nrows(res) == 1 ? db_get(res, 0, T_RETRY_MS) : NULL;
	if (r == NULL || util_parse_long(r, strlen(r), 0, 3600000L, &retry) !=
	    LK_OK) {
		retry = 60000;
	}
	db_res_free(res);
	buf_printf(&ctx->w->headers, "Retry-After: %ld\r\n",
	    retry / 1000 + 1);
	reply_error(ctx, 429, "rate_limited", "too many %s attempts; "
	    "retry in %ld s", what, retry / 1000 + 1);
	return -1;
}

/* Names the account for the history and the audit trail. */
static void
identify(struct lk_ctx *ctx, const char *user_id, const char *org_id)
{
	memset(&ctx->id, 0, sizeof(ctx->id));
	memcpy(ctx->id.user_id, user_id, UUID_LEN);
	memcpy(ctx->id.org_id, org_id, UUID_LEN);
	memcpy(ctx->id.mode, "live", 5);
}

static const struct db_stmt user_for_login = {
	"login_user_for_login",
	"SELECT user_id, org_id, email, password_hash, role, token_version, "
	    "disabled, org_active FROM latchkey.user_for_login($1)",
	1
};

enum { L_USER_ID, L_ORG_ID, L_EMAIL, L_HASH, L_ROLE, L_TOKEN_VERSION,
    L_DISABLED, L_ORG_ACTIVE };

static const char *
nonempty_id(const char *s)
{
	return s[0] != '\0' ? s : NULL;
}

/* Adds token, token_type and expires_at for a user to o. */
static int
add_token(struct lk_ctx *ctx, json_object *o, const char *user_id,
    const char *org_id, long ver)
{
	struct jwt_claims c;
	char token[JWT_MAX_LEN], exp[RFC3339_LEN + 1];
	int64_t now = (int64_t)time(NULL);

	memset(&c, 0, sizeof(c));
	memcpy(c.sub, user_id, UUID_LEN);
	memcpy(c.org, org_id, UUID_LEN);
	memcpy(c.typ, "user", 5);
	c.ver = ver;
	c.iat = now;
	c.exp = now + ctx->cfg->jwt_ttl;
	if (jwt_sign(&c, ctx->w->jwt.current, ctx->w->jwt.current_len,
	    token, sizeof(token)) != LK_OK ||
	    util_time_format(c.exp, exp) != LK_OK) {
		return -1;
	}
	jsonx_add_str(o, "token", token);
	jsonx_add_str(o, "token_type", "Bearer");
	jsonx_add_str(o, "expires_at", exp);
	OPENSSL_cleanse(token, sizeof(token));
	return 0;
}

static json_object *
user_json(const char *id, const char *email, const char *role,
    const char *org_id)
{
	json_object *u = json_object_new_object();

	jsonx_add_str(u, "id", id);
	jsonx_add_str(u, "email", email);
	jsonx_add_str(u, "role", role);
	jsonx_add_str(u, "org_id", org_id);
	return u;
}

static void
signup(struct lk_ctx *ctx)
{
	static const char *const allowed[] = { "org_name", "email",
	    "password", NULL };
	const char *org_name, *email, *password, *params[3], *v;
	char hash[PASSWORD_HASH_MAX], org_id[UUID_LEN + 1];
	struct db_res *res = NULL, *ures = NULL;
	json_object *body, *o, *org, *key = NULL;
	struct perm_set all;
	enum lk_err e;
	long ver;

	if (ctx->cfg->signup_closed) {
		reply_error(ctx, 403, "signup_closed", "signup is closed on "
		    "this deployment; ask its operator for an account");
		return;
	}
	if (throttle(ctx, &signup_throttle, "signup",
	    ctx->cfg->signup_rate_per_min, NULL) == -1 ||
	    validate_body_object(ctx, &body) == -1) {
		return;
	}
	validate_only(ctx, body, allowed);
	validate_string(ctx, body, "org_name", 1, 1, ORG_NAME_MAX, &org_name);
	validate_string(ctx, body, "email", 1, EMAIL_MIN_LEN, EMAIL_MAX_LEN,
	    &email);
	validate_string(ctx, body, "password", 1, 0, APP_SECRET_FIELD_MAX,
	    &password);
	if (email != NULL && !util_email_valid(email)) {
		validate_field_error(ctx, "email", "is not an email address");
	}
	validate_password(ctx, "password", password);
	if (validate_fields_check(ctx) == -1) {
		return;
	}
	memset(&all, 0, sizeof(all));
	e = password_hash(password, strlen(password), ctx->cfg->bcrypt_cost,
	    hash);
	if (e != LK_OK || util_uuid_v4(org_id) != LK_OK) {
		OPENSSL_cleanse(hash, sizeof(hash));
		reply_db_error(ctx, e != LK_OK ? e : LK_ECRYPTO);
		return;
	}
	/* The org and its owner are org-wide, live data; the first key
	 * signup hands out is a test key, issued in test mode. */
	if ((e = db_begin(ctx->db, org_id, "live")) != LK_OK) {
		goto fail;
	}
	params[0] = org_id;
	params[1] = org_name;
	if ((e = db_exec(ctx->db, &org_insert, params, &res)) != LK_OK) {
		goto fail;
	}
	params[1] = email;
	params[2] = hash;
	if ((e = db_exec(ctx->db, &owner_insert, params, &ures)) != LK_OK) {
		goto fail;
	}
	/* The key's creator is the new owner. */
	memset(&ctx->id, 0, sizeof(ctx->id));
	ctx->id.kind = CRED_JWT;
	memcpy(ctx->id.org_id, org_id, sizeof(ctx->id.org_id));
	memcpy(ctx->id.user_id, db_get(ures, 0, OWNER_ID), UUID_LEN);
	memcpy(ctx->id.mode, "live", 5);
	ctx->id.role = ROLE_OWNER;
	params[0] = "test";
	if ((e = audit_tx(ctx, "org.created", "org", org_id, NULL)) !=
	    LK_OK ||
	    (e = db_exec(ctx->db, &set_mode, params, NULL)) != LK_OK ||
	    (e = perm_set_add(&all, "*")) != LK_OK ||
	    (e = keys_issue(ctx, "test", "Default test key", NULL, &all, 0,
	    NULL, &key)) != LK_OK) {
		json_object_put(key);
		goto fail;
	}
	if ((e = db_commit(ctx->db)) != LK_OK) {
		json_object_put(key);
		goto fail;
	}
	OPENSSL_cleanse(hash, sizeof(hash));
	v = db_get(ures, 0, OWNER_TOKEN_VERSION);
	if (v == NULL || util_parse_long(v, strlen(v), 0, INT_MAX, &ver) !=
	    LK_OK) {
		ver = 1;
	}
	o = json_object_new_object();
	jsonx_add(o, "api_key", key);
	org = json_object_new_object();
	jsonx_add_str(org, "id", org_id);
	jsonx_add_str(org, "name", org_name);
	jsonx_add_str(org, "created_at", db_get(res, 0, ORG_CREATED));
	jsonx_add(o, "org", org);
	jsonx_add(o, "user", user_json(db_get(ures, 0, OWNER_ID),
	    email, "owner", org_id));
	if (add_token(ctx, o, db_get(ures, 0, OWNER_ID), org_id, ver) == -1) {
		json_object_put(o);
		e = LK_ECRYPTO;
		goto fail;
	}
	db_res_free(res);
	db_res_free(ures);
	reply_success(ctx, 201, o);
	return;
fail:
	OPENSSL_cleanse(hash, sizeof(hash));
	db_res_free(res);
	db_res_free(ures);
	tx_fail_email(ctx, e);
}

int
login_check(struct lk_ctx *ctx, struct login_user *u)
{
	static const char *const allowed[] = { "email", "password", NULL };
	const char *email, *password, *hash, *ver;
	struct db_res *res = NULL;
	json_object *body;
	enum lk_err e;
	int match = 0;
	long v;

	if (validate_body_object(ctx, &body) == -1) {
		return -1;
	}
	validate_only(ctx, body, allowed);
	validate_string(ctx, body, "email", 1, 1, EMAIL_MAX_LEN, &email);
	validate_string(ctx, body, "password", 1, 1, APP_SECRET_FIELD_MAX,
	    &password);
	if (validate_fields_check(ctx) == -1 ||
	    throttle(ctx, &login_throttle, "login",
	    ctx->cfg->login_rate_per_min, email) == -1) {
		return -1;
	}
	if ((e = db_exec(ctx->db, &user_for_login, &email, &res)) != LK_OK) {
		reply_db_error(ctx, e);
		return -1;
	}
	/* An unknown email runs bcrypt too: same cost, same answer. */
	hash = db_nrows(res) == 1 ? db_get(res, 0, L_HASH) : ctx->w->dummy_hash;
	e = password_verify(password, strlen(password), hash, &match);
	if (e != LK_OK) {
		log_err("request %s: password verification failed: %s",
		    ctx->req->request_id, lk_err_str(e));
		db_res_free(res);
		reply_db_error(ctx, e);
		return -1;
	}
	if (db_nrows(res) == 1) {
		identify(ctx, db_get(res, 0, L_USER_ID),
		    db_get(res, 0, L_ORG_ID));
	}
	if (db_nrows(res) != 1 || !match) {
		json_object *d = json_object_new_object();

		jsonx_add_str(d, "email", email);
		jsonx_add_str(d, "reason", db_nrows(res) == 1 ?
		    "wrong_password" : "unknown_email");
		db_res_free(res);
		audit_send(ctx, "login.failed", "user",
		    nonempty_id(ctx->id.user_id), d);
		reply_error(ctx, 401, "invalid_credentials",
		    "the email or password is wrong");
		return -1;
	}
	if (strcmp(db_get(res, 0, L_DISABLED), "t") == 0) {
		db_res_free(res);
		reply_error(ctx, 401, "account_disabled",
		    "the account is disabled");
		return -1;
	}
	if (strcmp(db_get(res, 0, L_ORG_ACTIVE), "t") != 0) {
		db_res_free(res);
		reply_error(ctx, 401, "org_inactive",
		    "the organization is inactive");
		return -1;
	}
	ver = db_get(res, 0, L_TOKEN_VERSION);
	if (util_parse_long(ver, strlen(ver), 0, 2147483647L, &v) != LK_OK ||
	    db_get_copy(res, 0, L_EMAIL, u->email, sizeof(u->email)) != LK_OK ||
	    db_get_copy(res, 0, L_ROLE, u->role, sizeof(u->role)) != LK_OK ||
	    db_get_copy(res, 0, L_USER_ID, u->user_id,
	    sizeof(u->user_id)) != LK_OK ||
	    db_get_copy(res, 0, L_ORG_ID, u->org_id,
	    sizeof(u->org_id)) != LK_OK) {
		db_res_free(res);
		reply_internal(ctx, LK_ETOOBIG, "a user row does not fit");
		return -1;
	}
	u->token_version = v;
	db_res_free(res);
	return 0;
}

json_object *
login_user_json(const struct login_user *u)
{
	return user_json(u->user_id, u->email, u->role, u->org_id);
}

static void
login(struct lk_ctx *ctx)
{
	struct login_user u;
	json_object *o;

	if (login_check(ctx, &u) == -1) {
		return;
	}
	o = json_object_new_object();
	if (add_token(ctx, o, u.user_id, u.org_id, u.token_version) == -1) {
		json_object_put(o);
		reply_internal(ctx, LK_ECRYPTO, "signing a login token");
		return;
	}
	jsonx_add(o, "user", login_user_json(&u));
	audit_send(ctx, "login.succeeded", "user", ctx->id.user_id, NULL);
	reply_success(ctx, 200, o);
}

static const struct route routes[] = {
	{ HTTP_POST, "/v1/auth/signup", signup,
	    "Create an org, its owner and a login token" },
	{ HTTP_POST, "/v1/auth/login", login,
	    "Exchange email and password for a login token" },
};

const struct route_table handlers_auth = {
	routes, sizeof(routes) / sizeof(routes[0])
};
