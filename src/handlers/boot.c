/*
 * boot.c: POST /v1/auth/boot, a direct hash for a short-lived token scoped
 * to one resource, and POST /v1/auth/verify, the authorizer's decision
 * for servers that cannot use the FastCGI AUTHORIZER role (nginx
 * auth_request, backends).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "apikey.h"
#include "app.h"
#include "authority.h"
#include "authz.h"
#include "db.h"
#include "handlers/handlers.h"
#include "util.h"

/* Milliseconds since 1970 beyond which a timestamp is unreadable (2^53,
 * as far as a JSON number is exact). */
#define BOOT_MS_MAX	9007199254740992L

static const struct db_stmt direct_by_hash = {
	"boot_direct_by_hash",
	"SELECT direct_id, org_id, mode, resource_type, resource_id, revoked, "
	    "org_active, by_service, by_key, creator_inactive, "
	    "creator_key_revoked, creator_key_expires_at_ms "
	    "FROM latchkey.direct_identity($1::bytea, NULL)",
	1
};

enum { D_ID, D_ORG, D_MODE, D_TYPE, D_RID, D_REVOKED, D_ACTIVE, D_SERVICE,
    D_BY_KEY, D_INACTIVE, D_KEY_REVOKED, D_KEY_EXPIRES };

/* Returns 1 if the column holds PostgreSQL's true. */
static int
col_true(const struct db_res *res, int c)
{
	const char *v = db_get(res, 0, c);

	return v != NULL && strcmp(v, "t") == 0;
}

/* Whether the direct of the row still lives by its creator (authority.h);
 * fills code and message of the refusal when it does not. */
static int
creator_stands(const struct db_res *res, const char **code,
    const char **message)
{
	struct authority_direct_creator c;
	enum authority_direct_state st;
	struct timespec ts;
	const char *exp = db_get(res, 0, D_KEY_EXPIRES);
	long ms = 0;

	memset(&c, 0, sizeof(c));
	c.by_service = col_true(res, D_SERVICE);
	c.by_key = col_true(res, D_BY_KEY);
	c.user_inactive = col_true(res, D_INACTIVE);
	c.key_revoked = col_true(res, D_KEY_REVOKED);
	if (exp != NULL && util_parse_long(exp, strlen(exp), 1, BOOT_MS_MAX,
	    &ms) != LK_OK) {
		/* Unreadable: the safe reading is "expired". */
		ms = 1;
	}
	c.key_expires_at_ms = ms;
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1) {
		ts.tv_sec = time(NULL);
		ts.tv_nsec = 0;
	}
	st = authority_direct_creator(&c, (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000);
	authority_direct_refusal(st, code, message);
	return st == AUTHORITY_DIRECT_ALIVE;
}

/* Returns 1 if s is "direct." and DIRECT_SECRET_LEN base62 characters. */
static int
direct_shape(const char *s)
{
	size_t i;

	if (strlen(s) != DIRECT_PREFIX_LEN + DIRECT_SECRET_LEN ||
	    strncmp(s, DIRECT_PREFIX, DIRECT_PREFIX_LEN) != 0) {
		return 0;
	}
	for (i = DIRECT_PREFIX_LEN; s[i] != '\0'; i++) {
		if (strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz", s[i]) == NULL) {
			return 0;
		}
	}
	return 1;
}

/* Signs the direct token of the row; adds token and expires_at to o.
 * Returns 0, or -1 with the 500 decided. */
static int
sign_direct(struct lk_ctx *ctx, const struct db_res *res, json_object *o)
{
	static const char typ[] = "direct";
	struct jwt_claims c;
	char token[JWT_MAX_LEN], exp[RFC3339_LEN + 1];
	int64_t now = (int64_t)time(NULL);
	enum lk_err e;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	/* A claim that does not fit is an error, never a shorter claim
	 * signed. */
	if ((e = db_get_copy(res, 0, D_ID, c.sub, sizeof(c.sub))) != LK_OK ||
	    (e = db_get_copy(res, 0, D_ORG, c.org, sizeof(c.org))) != LK_OK ||
	    (e = db_get_copy(res, 0, D_MODE, c.mode, sizeof(c.mode))) !=
	    LK_OK ||
	    (e = db_get_copy(res, 0, D_TYPE, c.rtype, sizeof(c.rtype))) !=
	    LK_OK ||
	    (e = db_get_copy(res, 0, D_RID, c.rid, sizeof(c.rid))) != LK_OK) {
		reply_internal(ctx, e, "direct token claims do not fit");
		return -1;
	}
	_Static_assert(sizeof(typ) <= sizeof(c.typ), "typ fits its claim");
	memcpy(c.typ, typ, sizeof(typ));
	c.iat = now;
	c.exp = now + ctx->cfg->direct_token_ttl;
	if ((e = jwt_sign(&c, ctx->w->jwt.current, ctx->w->jwt.current_len,
	    token, sizeof(token))) == LK_OK &&
	    (e = util_time_format(c.exp, exp)) == LK_OK) {
		jsonx_add_str(o, "token", token);
		jsonx_add_str(o, "expires_at", exp);
		rc = 0;
	} else {
		reply_internal(ctx, e, "signing a direct token");
	}
	OPENSSL_cleanse(token, sizeof(token));
	return rc;
}

static void
boot(struct lk_ctx *ctx)
{
	static const char *const allowed[] = { "direct_hash", NULL };
	char hex[DB_HASH_HEX_SIZE];
	unsigned char md[SHA256_DIGEST_LENGTH];
	const char *hash, *params[1] = { hex }, *code, *message;
	struct db_res *res;
	json_object *body, *v, *o;
	enum lk_err e;

	if (validate_body_object(ctx, &body) == -1) {
		return;
	}
	validate_only(ctx, body, allowed);
	if (validate_fields_check(ctx) == -1) {
		return;
	}
	if (!json_object_object_get_ex(body, "direct_hash", &v) || v == NULL) {
		reply_error(ctx, 400, "missing_direct_hash",
		    "send {\"direct_hash\": \"direct....\"}");
		return;
	}
	hash = json_object_get_string(v);
	if (!json_object_is_type(v, json_type_string) || !direct_shape(hash)) {
		reply_error(ctx, 400, "malformed_direct_hash", "a direct hash "
		    "is \"direct.\" and %d letters and digits",
		    DIRECT_SECRET_LEN);
		return;
	}
	SHA256((const unsigned char *)hash, strlen(hash), md);
	db_hash_hex(md, hex);
	if ((e = db_exec(ctx->db, &direct_by_hash, params, &res)) != LK_OK) {
		reply_db_error(ctx, e);
		return;
	}
	if (db_nrows(res) != 1) {
		db_res_free(res);
		reply_error(ctx, 401, "unknown_direct_hash",
		    "the direct hash is not known");
		return;
	}
	/* Known from here on: the history names the org. */
	if (db_get_copy(res, 0, D_ORG, ctx->id.org_id,
	    sizeof(ctx->id.org_id)) != LK_OK ||
	    db_get_copy(res, 0, D_MODE, ctx->id.mode,
	    sizeof(ctx->id.mode)) != LK_OK) {
		ctx->id.org_id[0] = '\0';	/* the history names no org */
	}
	if (strcmp(db_get(res, 0, D_REVOKED), "t") == 0) {
		db_res_free(res);
		reply_error(ctx, 401, "revoked_direct_hash",
		    "the direct hash has been revoked");
		return;
	}
	if (strcmp(db_get(res, 0, D_ACTIVE), "t") != 0) {
		db_res_free(res);
		reply_error(ctx, 401, "org_inactive",
		    "the organization is inactive");
		return;
	}
	if (!creator_stands(res, &code, &message)) {
		db_res_free(res);
		reply_error(ctx, 401, code, "%s", message);
		return;
	}
	o = json_object_new_object();
	if (sign_direct(ctx, res, o) == -1) {
		json_object_put(o);
		db_res_free(res);
		return;
	}
	jsonx_add_str(o, "type", "direct");
	jsonx_add_str(o, "resource_type", db_get(res, 0, D_TYPE));
	jsonx_add_str(o, "resource_id", db_get(res, 0, D_RID));
	jsonx_add_str(o, "org_id", db_get(res, 0, D_ORG));
	db_res_free(res);
	reply_success(ctx, 200, o);
}

/* Names the verified credential's identity in o. */
static void
identity_json(struct lk_ctx *ctx, json_object *o)
{
	const struct lk_identity *id = &ctx->id;

	jsonx_add_identity(o, id);
	if (id->kind == CRED_DIRECT) {
		jsonx_add_str(o, "resource_type", id->rtype);
		jsonx_add_str(o, "resource_id", id->rid);
	}
}

static void
verify(struct lk_ctx *ctx)
{
	static const char *const allowed[] = { "credential", "permission",
	    "method", "path", NULL };
	const char *cred = NULL, *perm = NULL, *method = NULL, *path = NULL;
	const char *ik = http_param(ctx->req, "HTTP_X_INTERNAL_KEY");
	const struct authz_route *r = NULL;
	json_object *body = NULL, *o, *ro;

	if (ctx->cfg->verify_requires_service_key && (ik == NULL ||
	    !credential_service_key(ctx->cfg->service_keys,
	    ctx->cfg->nservice_keys, ik, strlen(ik)))) {
		reply_error(ctx, 401, "service_key_required", "this "
		    "deployment verifies credentials for servers holding a "
		    "service key: send it in X-Internal-Key");
		return;
	}
	if (ctx->req->body.len > 0) {
		if (validate_body_object(ctx, &body) == -1) {
			return;
		}
		validate_only(ctx, body, allowed);
		validate_string(ctx, body, "credential", 0, 1, JWT_MAX_LEN,
		    &cred);
		validate_string(ctx, body, "permission", 0, 1, PERM_NAME_MAX,
		    &perm);
		validate_string(ctx, body, "method", 0, 1, AUTHZ_METHOD_MAX,
		    &method);
		validate_string(ctx, body, "path", 0, 1, AUTHZ_PATTERN_MAX,
		    &path);
		if (perm != NULL && !perm_name_valid(perm)) {
			validate_field_error(ctx, "permission",
			    "must be a permission name");
		}
		if ((method == NULL) != (path == NULL)) {
			validate_field_error(ctx,
			    method == NULL ? "method" : "path",
			    "method and path go together");
		}
		if (path != NULL && path[0] != '/') {
			validate_field_error(ctx, "path", "must start with /");
		}
		if (validate_fields_check(ctx) == -1) {
			return;
		}
	}
	if (cred == NULL && ctx->cfg->verify_requires_service_key) {
		reply_error(ctx, 400, "missing_credential",
		    "name the credential to verify in \"credential\"");
		return;
	}
	if (cred != NULL && (ctx->cred_override = arena_printf(ctx->arena,
	    "Bearer %s", cred)) == NULL) {
		reply_internal(ctx, LK_ENOMEM, "the credential to verify");
		return;
	}
	ctx->allow_direct = 1;
	if (method != NULL) {
		if (authorizer_route_check(ctx, method, path, strlen(path),
		    &r) == -1) {
			return;
		}
	}
	if ((r == NULL || !r->public) && require_auth(ctx) == -1) {
		return;
	}
	if (perm != NULL) {
		if (ctx->id.kind == CRED_DIRECT) {
			reply_error(ctx, 403, "permission_denied", "a direct "
			    "token holds no permissions, only its resource");
			return;
		}
		if (require_perm(ctx, perm) == -1) {
			return;
		}
	}
	o = json_object_new_object();
	jsonx_add(o, "valid", json_object_new_boolean(1));
	if (ctx->authenticated) {
		identity_json(ctx, o);
	}
	if (r != NULL) {
		ro = json_object_new_object();
		jsonx_add_str(ro, "method", r->method);
		jsonx_add_str(ro, "pattern", r->pattern);
		jsonx_add_str(ro, "permission", r->permission[0] != '\0' ?
		    r->permission : NULL);
		jsonx_add(ro, "public",
		    json_object_new_boolean(r->public));
		jsonx_add(o, "route", ro);
	}
	reply_success(ctx, 200, o);
}

static const struct route routes[] = {
	{ HTTP_POST, "/v1/auth/boot", boot,
	    "Exchange a direct hash for a short-lived resource token" },
	{ HTTP_POST, "/v1/auth/verify", verify,
	    "Verify a credential, a permission or an upstream route" },
};

const struct route_table handlers_boot = {
	routes, sizeof(routes) / sizeof(routes[0])
};
