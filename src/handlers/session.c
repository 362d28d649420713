/*
 * session.c: POST and DELETE /v1/auth/session, the dashboard's browser
 * session.  POST checks email and password exactly as login does
 * (login_check()) and answers with an HttpOnly, SameSite=Strict cookie
 * instead of a token; DELETE ends the session of the cookie it carries.
 * Resolving a cookie on later requests is auth.c's; the cookie's format
 * and the CSRF rule are session.c's (the pure module).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "app.h"
#include "apikey.h"
#include "db.h"
#include "handlers/handlers.h"
#include "session.h"
#include "util.h"

static const struct db_stmt session_prune = {
	"session_prune",
	"DELETE FROM latchkey.sessions WHERE user_id = $1 "
	    "AND expires_at < now()",
	1
};

static const struct db_stmt session_insert = {
	"session_insert",
	"INSERT INTO latchkey.sessions (org_id, user_id, secret_hash, "
	    "token_version, expires_at, client_ip) VALUES ($1, $2, $3::bytea, "
	    "$4, now() + $5::bigint * interval '1 second', $6) "
	    "RETURNING id, " SQL_TS("expires_at"),
	6
};

enum { SI_ID, SI_EXPIRES };

static const struct db_stmt session_delete = {
	"session_delete",
	"DELETE FROM latchkey.sessions WHERE id = $1",
	1
};

/* Adds the Set-Cookie header: value for max_age seconds, or (value NULL)
 * the instruction to forget the cookie. */
static void
set_cookie(struct lk_ctx *ctx, const char *value, long max_age)
{
	const char *https = http_param(ctx->req, "HTTPS");
	int secure = https != NULL && strcasecmp(https, "on") == 0;

	buf_printf(&ctx->w->headers, "Set-Cookie: " SESSION_COOKIE_NAME
	    "=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s\r\n",
	    value != NULL ? value : "", value != NULL ? max_age : 0L,
	    secure ? "; Secure" : "");
}

static void
create(struct lk_ctx *ctx)
{
	char value[SESSION_VALUE_LEN + 1], ttl[24], ver[24];
	char hex[DB_HASH_HEX_SIZE];
	unsigned char hash[SESSION_HASH_LEN];
	const char *params[6];
	struct login_user u;
	struct db_res *res = NULL;
	json_object *o;
	enum lk_err e;

	/* A page of another site may not sign its visitor in (login
	 * CSRF); a client that sends no Origin (curl) may. */
	if (!require_same_origin(ctx, 0)) {
		reply_error(ctx, 403, "csrf_failed", "sign in from this "
		    "site's own pages: the Origin is another site's");
		return;
	}
	if (login_check(ctx, &u) == -1) {
		return;
	}
	if ((e = session_value_new(value)) != LK_OK ||
	    (e = session_hash(value, SESSION_VALUE_LEN, hash)) != LK_OK) {
		OPENSSL_cleanse(value, sizeof(value));
		reply_db_error(ctx, e);
		return;
	}
	db_hash_hex(hash, hex);
	if (util_snprintf(ttl, sizeof(ttl), "%ld",
	    (long)ctx->cfg->jwt_ttl) != LK_OK ||
	    util_snprintf(ver, sizeof(ver), "%ld", u.token_version) != LK_OK) {
		e = LK_EINVAL;
		goto fail;
	}
	/* The new user's own org; live, where sign-ins are audited. */
	if ((e = db_begin(ctx->db, u.org_id, "live")) != LK_OK) {
		goto fail;
	}
	params[0] = u.user_id;
	if ((e = db_exec(ctx->db, &session_prune, params, NULL)) != LK_OK) {
		goto fail;
	}
	params[0] = u.org_id;
	params[1] = u.user_id;
	params[2] = hex;
	params[3] = ver;
	params[4] = ttl;
	params[5] = ctx->req->remote_addr;
	if ((e = db_exec(ctx->db, &session_insert, params, &res)) != LK_OK) {
		goto fail;
	}
	ctx->id.kind = CRED_JWT;
	if ((e = audit_tx(ctx, "session.created", "session",
	    db_get(res, 0, SI_ID), NULL)) != LK_OK) {
		goto fail;
	}
	/* The cookie only once the session is stored. */
	if ((e = db_commit(ctx->db)) != LK_OK) {
		goto fail;
	}
	o = json_object_new_object();
	jsonx_add(o, "user", login_user_json(&u));
	jsonx_add_str(o, "expires_at", db_get(res, 0, SI_EXPIRES));
	jsonx_add_str(o, "csrf_header", SESSION_CSRF_HEADER);
	set_cookie(ctx, value, (long)ctx->cfg->jwt_ttl);
	OPENSSL_cleanse(value, sizeof(value));
	db_res_free(res);
	reply_success(ctx, 201, o);
	return;
fail:
	OPENSSL_cleanse(value, sizeof(value));
	db_rollback(ctx->db);
	db_res_free(res);
	reply_db_error(ctx, e);
}

static void
destroy(struct lk_ctx *ctx)
{
	const char *params[1];
	enum lk_err e;

	if (require_auth(ctx) == -1) {
		return;
	}
	if (ctx->id.session_id[0] == '\0') {
		reply_error(ctx, 400, "no_session", "this request carries no "
		    "session cookie: it authenticated with another "
		    "credential, which DELETE /v1/auth/session does not end");
		return;
	}
	if (tx_begin(ctx, NULL) == -1) {
		return;
	}
	params[0] = ctx->id.session_id;
	if ((e = db_exec(ctx->db, &session_delete, params, NULL)) != LK_OK ||
	    (e = audit_tx(ctx, "session.ended", "session",
	    ctx->id.session_id, NULL)) != LK_OK) {
		tx_fail(ctx, e);
		return;
	}
	ctx->auth_changed = 1;
	set_cookie(ctx, NULL, 0);
	tx_reply(ctx, 204, NULL);
}

static const struct route routes[] = {
	{ HTTP_POST, "/v1/auth/session", create,
	    "Sign in with email and password: a session cookie" },
	{ HTTP_DELETE, "/v1/auth/session", destroy,
	    "End the session of the cookie sent" },
};

const struct route_table handlers_session = {
	routes, sizeof(routes) / sizeof(routes[0])
};
