/*
 * auth.c: credential extraction (pure) and resolution (one database round
 * trip at most).  Decides only: the caller turns a failure into a response.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apikey.h"
#include "auth.h"
#include "db.h"
#include "jwt.h"
#include "log.h"
#include "util.h"

#define ROLES_TTL_S	60

static const char *const role_names[] = {
	[ROLE_NONE] = "none",
	[ROLE_VIEWER] = "viewer",
	[ROLE_MEMBER] = "member",
	[ROLE_ADMIN] = "admin",
	[ROLE_OWNER] = "owner",
};

enum role
role_parse(const char *s)
{
	int r;

	if (s == NULL) {
		return ROLE_NONE;
	}
	for (r = ROLE_VIEWER; r <= ROLE_OWNER; r++) {
		if (strcmp(s, role_names[r]) == 0) {
			return (enum role)r;
		}
	}
	return ROLE_NONE;
}

const char *
role_str(enum role r)
{
	if ((unsigned)r > ROLE_OWNER) {
		return "none";
	}
	return role_names[r];
}

static int
refuse(struct auth_fail *f, int status, const char *code, const char *msg)
{
	f->status = status;
	f->code = code;
	f->message = msg;
	return -1;
}

int
auth_extract(const struct auth_input *in, struct credential *cred,
    struct auth_fail *fail)
{
	const char *v = NULL;
	enum cred_kind kind = CRED_NONE;
	int sources = 0;

	if (in->q_token_count > 1 || in->q_accesskey_count > 1) {
		return refuse(fail, 400, "duplicate_credentials",
		    "a credential parameter appears more than once");
	}
	sources = (in->authorization != NULL) + (in->x_api_key != NULL) +
	    (in->q_token != NULL) + (in->q_accesskey != NULL);
	if (sources == 0) {
		return 0;
	}
	if (sources > 1) {
		return refuse(fail, 400, "multiple_credentials",
		    "send exactly one credential: Authorization, X-API-Key, "
		    "?token= or ?accesskey=");
	}
	if (in->authorization != NULL) {
		const char *a = in->authorization;

		if (strncasecmp(a, "Bearer ", 7) != 0) {
			return refuse(fail, 401, "invalid_authorization",
			    "the Authorization header must be "
			    "\"Bearer <token or API key>\"");
		}
		v = a + 7;
		while (*v == ' ') {
			v++;
		}
		kind = apikey_looks_like(v, strlen(v)) ? CRED_KEY : CRED_JWT;
	} else if (in->x_api_key != NULL) {
		v = in->x_api_key;
		kind = CRED_KEY;
	} else if (in->q_token != NULL) {
		v = in->q_token;
		if (apikey_looks_like(v, strlen(v))) {
			return refuse(fail, 401, "wrong_parameter",
			    "an API key was sent in ?token=; send API keys "
			    "in ?accesskey=, X-API-Key or "
			    "Authorization: Bearer");
		}
		kind = CRED_JWT;
	} else {
		v = in->q_accesskey;
		if (jwt_looks_like(v, strlen(v))) {
			return refuse(fail, 401, "wrong_parameter",
			    "a login token was sent in ?accesskey=; send "
			    "tokens in ?token= or Authorization: Bearer");
		}
		kind = CRED_KEY;
	}
	if (*v == '\0') {
		return refuse(fail, 401, "missing_credentials",
		    "the credential is empty");
	}
	cred->kind = kind;
	cred->value = v;
	cred->len = strlen(v);
	return 1;
}

enum lk_err
auth_load_roles(struct db *db, struct role_perms *rp, int64_t now_mono)
{
	static const struct db_stmt st = {
		"auth_role_permissions",
		"SELECT role, pattern FROM latchkey.role_permissions "
		    "ORDER BY role, pattern",
		0
	};
	struct role_perms fresh;
	struct db_res *res;
	enum lk_err e;
	size_t i;

	if (rp->loaded_at != 0 && now_mono - rp->loaded_at < ROLES_TTL_S) {
		return LK_OK;
	}
	if ((e = db_exec(db, &st, NULL, &res)) != LK_OK) {
		return e;
	}
	memset(&fresh, 0, sizeof(fresh));
	for (i = 0; i < db_nrows(res); i++) {
		enum role r = role_parse(db_get(res, i, 0));
		const char *pat = db_get(res, i, 1);

		if (r == ROLE_NONE || pat == NULL ||
		    perm_set_add(&fresh.sets[r], pat) != LK_OK) {
			log_warn("ignoring role permission %s/%s",
			    db_get(res, i, 0), pat != NULL ? pat : "");
		}
	}
	db_res_free(res);
	fresh.loaded_at = now_mono;
	*rp = fresh;
	return LK_OK;
}

static const struct db_stmt user_for_token = {
	"auth_authenticate_user",
	"SELECT email, role, token_version, disabled, org_active, "
	    "cred_limit, org_limit, allowed, cred_remaining, cred_reset_ms, "
	    "org_remaining, org_reset_ms, retry_ms "
	    "FROM latchkey.authenticate_user($1, $2, $3, $4)",
	4
};

/* Reads the rate-limit columns starting at col into *ri. */
static void
read_rate(const struct db_res *res, int col, struct rate_info *ri)
{
	const char *v[8];
	long n[8];
	int i;

	memset(ri, 0, sizeof(*ri));
	for (i = 0; i < 8; i++) {
		v[i] = db_get(res, 0, col + i);
		n[i] = 0;
		if (i != 2 && v[i] != NULL && parse_long(v[i], strlen(v[i]),
		    -2147483647L, 2147483647L, &n[i]) != LK_OK) {
			n[i] = 0;
		}
	}
	if (v[0] == NULL) {
		return;		/* refused before any limit applied */
	}
	ri->present = 1;
	ri->cred_limit = (int)n[0];
	ri->org_limit = (int)n[1];
	ri->allowed = v[2] != NULL && strcmp(v[2], "t") == 0;
	ri->cred_remaining = (int)n[3];
	ri->cred_reset_ms = (int)n[4];
	ri->org_remaining = (int)n[5];
	ri->org_reset_ms = (int)n[6];
	ri->retry_ms = (int)n[7];
}

static enum lk_err
resolve_jwt(const struct auth_env *env, const struct credential *cred,
    struct identity *id, struct auth_fail *fail)
{
	struct jwt_claims c;
	struct db_res *res = NULL;
	const char *params[4];
	const char *email, *ver;
	char verbuf[24];
	enum lk_err e;
	enum role role;
	long v;

	e = jwt_verify(cred->value, cred->len, env->jwt, env->now,
	    env->leeway, &c);
	if (e == LK_EEXPIRED) {
		refuse(fail, 401, "expired_token", "the token has expired");
		return LK_EDENIED;
	}
	if (e != LK_OK) {
		refuse(fail, 401, "invalid_token",
		    "the token is malformed or its signature does not match");
		return LK_EDENIED;
	}
	if (strcmp(c.typ, "user") != 0) {
		refuse(fail, 401, "invalid_token",
		    "this kind of token is not accepted here");
		return LK_EDENIED;
	}
	if (!uuid_valid(c.sub, strlen(c.sub)) ||
	    !uuid_valid(c.org, strlen(c.org))) {
		refuse(fail, 401, "invalid_token", "the token is malformed");
		return LK_EDENIED;
	}
	params[0] = c.sub;
	params[1] = c.org;
	params[2] = env->mode != NULL && strcmp(env->mode, "test") == 0 ?
	    "test" : "live";
	if (snprintf(verbuf, sizeof(verbuf), "%lld", (long long)c.ver) < 0) {
		verbuf[0] = '\0';
	}
	params[3] = verbuf;
	if ((e = db_exec(env->db, &user_for_token, params, &res)) != LK_OK) {
		return e;
	}
	e = LK_EDENIED;
	if (db_nrows(res) != 1) {
		refuse(fail, 401, "invalid_token",
		    "the token's user no longer exists");
		goto done;
	}
	ver = db_get(res, 0, 2);
	if (ver == NULL || parse_long(ver, strlen(ver), 0, 2147483647L, &v) !=
	    LK_OK || v != c.ver) {
		refuse(fail, 401, "revoked_token",
		    "the token was revoked (password or role changed); "
		    "log in again");
		goto done;
	}
	if (strcmp(db_get(res, 0, 3), "t") == 0) {
		refuse(fail, 401, "account_disabled",
		    "the account is disabled");
		goto done;
	}
	if (strcmp(db_get(res, 0, 4), "t") != 0) {
		refuse(fail, 401, "org_inactive",
		    "the organization is inactive");
		goto done;
	}
	role = role_parse(db_get(res, 0, 1));
	email = db_get(res, 0, 0);
	if (role == ROLE_NONE || email == NULL ||
	    strlen(email) > AUTH_EMAIL_MAX) {
		log_err("user %s has an unusable row", c.sub);
		e = LK_EDB;
		goto done;
	}
	memset(id, 0, sizeof(*id));
	id->kind = CRED_JWT;
	memcpy(id->org_id, c.org, sizeof(id->org_id));
	memcpy(id->user_id, c.sub, sizeof(id->user_id));
	memcpy(id->mode, env->mode != NULL && strcmp(env->mode, "test") == 0 ?
	    "test" : "live", 5);
	id->role = role;
	memcpy(id->email, email, strlen(email) + 1);
	id->perms = env->roles->sets[role];
	read_rate(res, 5, &id->rate);
	e = LK_OK;
done:
	db_res_free(res);
	return e;
}

enum lk_err
auth_parse_perm_array(const char *a, struct perm_set *set)
{
	char item[PERM_NAME_MAX + 1];
	const char *p, *end;
	size_t n;
	enum lk_err e;

	memset(set, 0, sizeof(*set));
	n = strlen(a);
	if (n < 2 || a[0] != '{' || a[n - 1] != '}') {
		return LK_EINVAL;
	}
	/* Patterns are [a-z0-9_.*]: PostgreSQL never quotes them. */
	for (p = a + 1, end = a + n - 1; p < end; p++) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t len = (size_t)((comma != NULL ? comma : end) - p);

		if (len == 0 || len > PERM_NAME_MAX) {
			return LK_EINVAL;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if ((e = perm_set_add(set, item)) != LK_OK) {
			return e;
		}
		p += len;
	}
	return LK_OK;
}

static const struct db_stmt key_identity = {
	"auth_authenticate_key",
	"SELECT key_id, org_id, mode, permissions, expired, revoked, "
	    "org_active, user_id, user_role, user_disabled, cred_limit, "
	    "org_limit, allowed, cred_remaining, cred_reset_ms, org_remaining, "
	    "org_reset_ms, retry_ms FROM latchkey.authenticate_key($1::bytea)",
	1
};

enum { K_ID, K_ORG, K_MODE, K_PERMS, K_EXPIRED, K_REVOKED, K_ORG_ACTIVE,
    K_USER, K_ROLE, K_USER_DISABLED, K_RATE };	/* K_RATE: first of 8 */

static int
is_true(const char *v)
{
	return v != NULL && strcmp(v, "t") == 0;
}

static enum lk_err
resolve_key(const struct auth_env *env, const struct credential *cred,
    struct identity *id, struct auth_fail *fail)
{
	char hex[2 + 2 * APIKEY_HASH_LEN + 1];
	const char *params[1] = { hex };
	struct perm_set own;
	struct apikey k;
	struct db_res *res = NULL;
	enum role role;
	enum lk_err e;

	/* Shape, prefix and checksum first: a mistyped key costs no
	 * database round trip. */
	if (apikey_parse(cred->value, cred->len, env->key_prefix, &k) !=
	    LK_OK) {
		refuse(fail, 401, "malformed_api_key",
		    "the API key is malformed: check that it was copied "
		    "whole");
		return LK_EDENIED;
	}
	hex[0] = '\\';
	hex[1] = 'x';
	apikey_hex(k.hash, hex + 2);
	if ((e = db_exec(env->db, &key_identity, params, &res)) != LK_OK) {
		return e;
	}
	e = LK_EDENIED;
	if (db_nrows(res) != 1) {
		refuse(fail, 401, "unknown_api_key", "the API key is not known");
		goto done;
	}
	if (is_true(db_get(res, 0, K_REVOKED))) {
		refuse(fail, 401, "revoked_api_key",
		    "the API key has been revoked");
		goto done;
	}
	if (is_true(db_get(res, 0, K_EXPIRED))) {
		refuse(fail, 401, "expired_api_key", "the API key has expired");
		goto done;
	}
	if (!is_true(db_get(res, 0, K_ORG_ACTIVE))) {
		refuse(fail, 401, "org_inactive",
		    "the organization is inactive");
		goto done;
	}
	role = role_parse(db_get(res, 0, K_ROLE));
	if (db_get(res, 0, K_USER) == NULL || role == ROLE_NONE ||
	    is_true(db_get(res, 0, K_USER_DISABLED))) {
		refuse(fail, 401, "api_key_owner_inactive",
		    "the user who created this API key is disabled or "
		    "removed, so the key no longer works");
		goto done;
	}
	if (auth_parse_perm_array(db_get(res, 0, K_PERMS), &own) != LK_OK) {
		log_err("API key %s has unusable permissions",
		    db_get(res, 0, K_ID));
		e = LK_EDB;
		goto done;
	}
	memset(id, 0, sizeof(*id));
	id->kind = CRED_KEY;
	memcpy(id->org_id, db_get(res, 0, K_ORG), sizeof(id->org_id) - 1);
	memcpy(id->key_id, db_get(res, 0, K_ID), sizeof(id->key_id) - 1);
	memcpy(id->user_id, db_get(res, 0, K_USER), sizeof(id->user_id) - 1);
	memcpy(id->mode, k.mode == APIKEY_TEST ? "test" : "live", 5);
	id->role = role;
	/* A key never exceeds its creator's current role. */
	if (perm_set_intersect(&own, &env->roles->sets[role], &id->perms) !=
	    LK_OK) {
		e = LK_EDB;
		goto done;
	}
	read_rate(res, K_RATE, &id->rate);
	e = LK_OK;
done:
	db_res_free(res);
	return e;
}

enum lk_err
auth_resolve(const struct auth_env *env, const struct credential *cred,
    struct identity *id, struct auth_fail *fail)
{
	switch (cred->kind) {
	case CRED_JWT:
		return resolve_jwt(env, cred, id, fail);
	case CRED_KEY:
		return resolve_key(env, cred, id, fail);
	case CRED_SERVICE:
	case CRED_DIRECT:
	case CRED_NONE:
		break;
	}
	refuse(fail, 401, "invalid_credentials",
	    "this kind of credential is not accepted here");
	return LK_EDENIED;
}
