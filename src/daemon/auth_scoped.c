/*
 * auth_scoped.c: resolving the two credentials that stand on another:
 * a direct token (one resource of one org, alive while its direct hash
 * and its creator stand, authority.h) and a session cookie (a user's
 * login kept by the browser, alive while the session and the user's
 * token_version stand).  Shares auth.c's cached look-up and its user
 * identity (auth_internal.h); must not know how the credential was sent
 * or how a refusal is rendered.
 */
#include "config.h"

#include <string.h>

#include <openssl/sha.h>

#include "auth.h"
#include "auth_internal.h"
#include "authcache.h"
#include "authority.h"
#include "db.h"
#include "jwt.h"
#include "log.h"
#include "session.h"
#include "util.h"

enum { D_DIRECT_ID, D_ORG_ID, D_MODE, D_RTYPE, D_RID, D_REVOKED,
    D_ORG_ACTIVE, D_CRED_LIMIT, D_ORG_LIMIT, D_BY_SERVICE, D_BY_KEY,
    D_CREATOR_ROLE, D_CREATOR_INACTIVE, D_CREATOR_PERMS,
    D_CREATOR_KEY_REVOKED, D_CREATOR_KEY_EXPIRES_MS };
enum { S_SESSION_ID, S_ORG_ID, S_USER_ID, S_EXPIRES_MS, S_REVOKED, S_EMAIL,
    S_ROLE, S_DISABLED, S_ORG_ACTIVE, S_CRED_LIMIT, S_ORG_LIMIT };

/* A direct, and whoever made it as it stands now: its state and
 * permissions (a key's own; "*" for a user or service key, bounded by
 * the creator's rank when the token is used). */
static enum lk_err
fill_direct(const struct db_res *res, const void *arg,
    struct authcache_ident *out)
{
	(void)arg;	/* the direct id is the cache key */
	out->status = auth_flag(res, D_REVOKED) ? AUTHCACHE_REVOKED :
	    !auth_flag(res, D_ORG_ACTIVE) ? AUTHCACHE_ORG_INACTIVE :
	    AUTHCACHE_VALID;
	auth_col(res, D_DIRECT_ID, out->key_id, sizeof(out->key_id));
	auth_col(res, D_ORG_ID, out->org_id, sizeof(out->org_id));
	auth_col(res, D_MODE, out->mode, sizeof(out->mode));
	auth_col(res, D_RTYPE, out->rtype, sizeof(out->rtype));
	auth_col(res, D_RID, out->rid, sizeof(out->rid));
	out->cred_limit = (int)auth_num(res, D_CRED_LIMIT);
	out->org_limit = (int)auth_num(res, D_ORG_LIMIT);
	out->by_service = auth_flag(res, D_BY_SERVICE);
	out->by_key = auth_flag(res, D_BY_KEY);
	out->role = credential_role_parse(db_get(res, 0, D_CREATOR_ROLE));
	out->creator_inactive = auth_flag(res, D_CREATOR_INACTIVE);
	out->creator_key_revoked = auth_flag(res, D_CREATOR_KEY_REVOKED);
	out->expires_at_ms = auth_num(res, D_CREATOR_KEY_EXPIRES_MS);
	if (auth_perms_col(res, D_CREATOR_PERMS, out->perms,
	    sizeof(out->perms)) != LK_OK) {
		log_err("direct %s: its creator's permissions are unusable",
		    out->key_id);
		return LK_EDB;
	}
	return LK_OK;
}
static const struct db_stmt direct_by_id = {
	"auth_direct_by_id",
	"SELECT direct_id, org_id, mode, resource_type, resource_id, revoked, "
	    "org_active, cred_limit, org_limit, by_service, by_key, "
	    "creator_role, creator_inactive, creator_perms, "
	    "creator_key_revoked, creator_key_expires_at_ms "
	    "FROM latchkey.direct_identity(NULL, $1)",
	1
};

/* A direct token: one resource of one org, for as long as its direct
 * hash is not revoked and its creator stands (authority.h). */
enum lk_err
auth_resolve_direct(const struct auth_env *env, const struct jwt_claims *c,
    struct lk_identity *id, struct credential_fail *fail)
{
	unsigned char key[AUTHCACHE_ID_LEN];
	char ref[48], cb[AUTHCACHE_BUCKET_MAX + 1];
	const char *params[1], *code, *msg;
	struct authority_direct_creator creator;
	enum authority_direct_state state;
	struct perm_set own;
	struct authcache_ident d;
	enum lk_err e;

	if (!util_uuid_valid(c->sub, strlen(c->sub)) ||
	    util_snprintf(ref, sizeof(ref), "direct:%s", c->sub) != LK_OK) {
		credential_refuse(fail, 401, "invalid_token",
		    "the token is malformed");
		return LK_EDENIED;
	}
	SHA256((const unsigned char *)ref, strlen(ref), key);
	params[0] = c->sub;
	if ((e = auth_lookup(env, key, &direct_by_id, params, fill_direct, NULL,
	    &d)) != LK_OK) {
		return e;
	}
	if (d.status == AUTHCACHE_REVOKED) {
		credential_refuse(fail, 401, "revoked_token",
		    "the direct hash behind this token was revoked");
		return LK_EDENIED;
	}
	if (d.status == AUTHCACHE_ORG_INACTIVE) {
		credential_refuse(fail, 401, "org_inactive",
		    "the organization is inactive");
		return LK_EDENIED;
	}
	/* The claims must still describe the direct they came from. */
	if (d.status != AUTHCACHE_VALID || strcmp(d.org_id, c->org) != 0 ||
	    strcmp(d.mode, c->mode) != 0 || strcmp(d.rtype, c->rtype) != 0 ||
	    strcmp(d.rid, c->rid) != 0) {
		credential_refuse(fail, 401, "invalid_token",
		    "the token's direct hash no longer exists");
		return LK_EDENIED;
	}
	memset(&creator, 0, sizeof(creator));
	creator.by_service = d.by_service;
	creator.by_key = d.by_key;
	creator.user_inactive = d.creator_inactive;
	creator.key_revoked = d.creator_key_revoked;
	creator.key_expires_at_ms = d.expires_at_ms;
	state = authority_direct_creator(&creator, env->now_ms);
	if (state != AUTHORITY_DIRECT_ALIVE) {
		authority_direct_refusal(state, &code, &msg);
		credential_refuse(fail, 401, code, msg);
		return LK_EDENIED;
	}
	if (credential_perms_split(d.perms, strlen(d.perms), &own) != LK_OK) {
		log_err("direct %s: unusable creator permissions", d.key_id);
		return LK_EDB;
	}
	credential_identity_clear(id);
	id->kind = CRED_DIRECT;
	memcpy(id->org_id, d.org_id, sizeof(id->org_id));
	memcpy(id->key_id, d.key_id, sizeof(id->key_id));
	memcpy(id->mode, d.mode, sizeof(id->mode));
	memcpy(id->rtype, c->rtype, strlen(c->rtype) + 1);
	memcpy(id->rid, c->rid, strlen(c->rid) + 1);
	/* The routes it passes stay within what its creator holds now. */
	if (authority_key_perms(&own, env->roles, authority_key_creator_rank(
	    d.by_service, (enum lk_role)d.role), &id->creator_perms) != LK_OK) {
		return LK_EDB;
	}
	if (util_join(cb, sizeof(cb), (const char *const[]){ "direct",
	    d.key_id }, 2) != LK_OK) {
		return LK_EINVAL;
	}
	return auth_take(env, cb, d.cred_limit, d.org_id, d.mode, d.org_limit,
	    &id->rate);
}

static const struct db_stmt session_identity = {
	"auth_session_identity",
	"SELECT session_id, org_id, user_id, expires_at_ms, revoked, email, "
	    "role, disabled, org_active, cred_limit, org_limit "
	    "FROM latchkey.session_identity($1::bytea)",
	1
};

/* The session is kept in fields a key would use otherwise: its id in
 * key_id. */
static enum lk_err
fill_session(const struct db_res *res, const void *arg,
    struct authcache_ident *out)
{
	(void)arg;	/* the hash is the cache key */
	out->status = auth_flag(res, S_REVOKED) ? AUTHCACHE_REVOKED :
	    auth_flag(res, S_DISABLED) ? AUTHCACHE_DISABLED :
	    !auth_flag(res, S_ORG_ACTIVE) ? AUTHCACHE_ORG_INACTIVE :
	    AUTHCACHE_VALID;
	auth_col(res, S_SESSION_ID, out->key_id, sizeof(out->key_id));
	auth_col(res, S_ORG_ID, out->org_id, sizeof(out->org_id));
	auth_col(res, S_USER_ID, out->user_id, sizeof(out->user_id));
	out->expires_at_ms = auth_num(res, S_EXPIRES_MS);
	auth_col(res, S_EMAIL, out->email, sizeof(out->email));
	out->role = credential_role_parse(db_get(res, 0, S_ROLE));
	out->cred_limit = (int)auth_num(res, S_CRED_LIMIT);
	out->org_limit = (int)auth_num(res, S_ORG_LIMIT);
	return LK_OK;
}

/*
 * A session cookie: the user behind it, as a login token would give,
 * for as long as the session exists, has not expired and the user's
 * token_version has not moved on.
 */
enum lk_err
auth_resolve_session(const struct auth_env *env, const struct credential *cred,
    struct lk_identity *id, struct credential_fail *fail)
{
	unsigned char hash[SESSION_HASH_LEN], key[AUTHCACHE_ID_LEN];
	char hex[DB_HASH_HEX_SIZE], ref[80];
	const char *params[1];
	struct authcache_ident s;
	enum lk_err e;
	int retry_ms;

	if (!session_value_valid(cred->value, cred->len)) {
		credential_refuse(fail, 401, "invalid_session",
		    "the session cookie is malformed; sign in again");
		return LK_EDENIED;
	}
	if ((e = session_hash(cred->value, cred->len, hash)) != LK_OK) {
		return e;
	}
	db_hash_hex(hash, hex);
	/* Its own cache key space: never the hash of a key. */
	if (util_snprintf(ref, sizeof(ref), "session:%s", hex + 2) != LK_OK) {
		return LK_EINVAL;
	}
	SHA256((const unsigned char *)ref, strlen(ref), key);
	params[0] = hex;
	/* Anyone can make a well-formed cookie: random ones are
	 * remembered unknown and bounded per address as API keys are.  A
	 * new session's value was never looked up before (32 random bytes
	 * nobody could have guessed), so no "unknown" entry shadows it;
	 * sign-out deletes the row and flushes the cache, and a session is
	 * never remembered unknown while its row exists. */
	if ((e = auth_lookup_guarded(env, key, &session_identity, params,
	    fill_session, NULL, &s, &retry_ms)) != LK_OK) {
		return e;
	}
	if (retry_ms > 0) {
		credential_refuse(fail, 429, "rate_limited", "too many unknown "
		    "session cookies from this client address; retry after "
		    "Retry-After seconds");
		fail->retry_after_s = (retry_ms + 999) / 1000;
		return LK_EDENIED;
	}
	switch (s.status) {
	case AUTHCACHE_VALID:
		break;
	case AUTHCACHE_UNKNOWN:
		credential_refuse(fail, 401, "invalid_session",
		    "the session has ended or never existed; sign in again");
		return LK_EDENIED;
	case AUTHCACHE_REVOKED:
	case AUTHCACHE_ANCESTOR_REVOKED:	/* keys only; never a
						 * session's */
		credential_refuse(fail, 401, "revoked_session",
		    "the session was ended by a password change or a "
		    "disabled account; sign in again");
		return LK_EDENIED;
	case AUTHCACHE_DISABLED:
	case AUTHCACHE_CREATOR_INACTIVE:
		credential_refuse(fail, 401, "account_disabled",
		    "the account is disabled");
		return LK_EDENIED;
	case AUTHCACHE_ORG_INACTIVE:
		credential_refuse(fail, 401, "org_inactive",
		    "the organization is inactive");
		return LK_EDENIED;
	}
	if (s.expires_at_ms <= env->now_ms) {
		credential_refuse(fail, 401, "expired_session",
		    "the session has expired; sign in again");
		return LK_EDENIED;
	}
	if ((e = auth_user_identity(env, s.org_id, s.user_id, &s, id)) !=
	    LK_OK) {
		return e;
	}
	/* After auth_user_identity(), which starts the identity afresh. */
	if (util_strlcpy(id->session_id, s.key_id, sizeof(id->session_id)) !=
	    LK_OK) {
		return LK_EDB;
	}
	return LK_OK;
}
