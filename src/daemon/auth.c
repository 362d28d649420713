/*
 * auth.c: credential resolution: verifies the credential that
 * credential.c extracted and resolves it to an identity, touching the
 * database at most once (or not at all when the host's cache answers),
 * and spends the rate-limit tokens in the same round trip.  Decides only:
 * the caller turns a failure into a response.  Must not know how the
 * credential was sent (credential.c) or how a refusal is rendered.
 * API keys, login tokens and service keys are resolved here; direct
 * tokens and sessions in auth_scoped.c, over the look-up and user
 * identity this file shares with it (auth_internal.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "apikey.h"
#include "auth.h"
#include "auth_internal.h"
#include "authcache.h"
#include "authority.h"
#include "db.h"
#include "jwt.h"
#include "log.h"
#include "netaddr.h"
#include "metrics.h"
#include "ratelease.h"
#include "session.h"
#include "util.h"

#define ROLES_TTL_S	60

_Static_assert(APIKEY_HASH_LEN == DB_HASH_LEN && SESSION_HASH_LEN ==
    DB_HASH_LEN, "a secret's hash is a bytea of DB_HASH_LEN bytes");

/* Resolution refuses as extraction does (credential.c). */
static int
refuse(struct credential_fail *f, int status, const char *code, const char *msg)
{
	return credential_refuse(f, status, code, msg);
}

enum lk_err
auth_load_roles(struct db *db, struct credential_role_perms *rp,
    int64_t now_mono, uint64_t epoch)
{
	static const struct db_stmt st = {
		"auth_role_permissions",
		"SELECT role, pattern FROM latchkey.role_permissions "
		    "ORDER BY role, pattern",
		0
	};
	enum { RP_ROLE, RP_PATTERN };
	struct credential_role_perms fresh;
	struct db_res *res;
	enum lk_err e;
	size_t i;

	if (rp->loaded_at != 0 && now_mono - rp->loaded_at < ROLES_TTL_S &&
	    rp->epoch == epoch) {
		return LK_OK;
	}
	if ((e = db_exec(db, &st, NULL, &res)) != LK_OK) {
		return e;
	}
	memset(&fresh, 0, sizeof(fresh));
	for (i = 0; i < db_nrows(res); i++) {
		enum lk_role r = credential_role_parse(db_get(res, i, RP_ROLE));
		const char *pat = db_get(res, i, RP_PATTERN);

		if (r == ROLE_NONE || pat == NULL ||
		    perm_set_add(&fresh.sets[r], pat) != LK_OK) {
			log_warn("ignoring role permission %s/%s",
			    db_get(res, i, RP_ROLE), pat != NULL ? pat : "");
		}
	}
	db_res_free(res);
	fresh.loaded_at = now_mono;
	fresh.epoch = epoch;
	*rp = fresh;
	return LK_OK;
}

static const struct db_stmt user_for_token = {
	"auth_user_for_token",
	"SELECT email, role, token_version, disabled, org_active, "
	    "cred_limit, org_limit FROM latchkey.user_for_token($1, $2)",
	2
};

enum { U_EMAIL, U_ROLE, U_TOKEN_VERSION, U_DISABLED, U_ORG_ACTIVE,
    U_CRED_LIMIT, U_ORG_LIMIT };

static const struct db_stmt key_identity = {
	"auth_api_key_identity",
	"SELECT key_id, org_id, mode, permissions, expires_at_ms, revoked, "
	    "org_active, user_id, user_role, user_disabled, cred_limit, "
	    "org_limit, ancestor_revoked, ancestor_expires_at_ms "
	    "FROM latchkey.api_key_identity($1::bytea)",
	1
};

enum { K_KEY_ID, K_ORG_ID, K_MODE, K_PERMS, K_EXPIRES_MS, K_REVOKED,
    K_ORG_ACTIVE, K_USER_ID, K_USER_ROLE, K_USER_DISABLED, K_CRED_LIMIT,
    K_ORG_LIMIT, K_ANCESTOR_REVOKED, K_ANCESTOR_EXPIRES_MS };

/* A boolean column of the one row: true only when it says so. */
int
auth_flag(const struct db_res *res, int col)
{
	const char *v = db_get(res, 0, col);

	return v != NULL && strcmp(v, "t") == 0;
}

enum lk_err
auth_take(const struct auth_env *env, const char *cb, int cl,
    const char *org_id, const char *mode, int ol, struct ratelimit_info *ri)
{
	char ob[AUTHCACHE_BUCKET_MAX + 1];

	if (util_join(ob, sizeof(ob), (const char *const[]){ "org", org_id,
	    mode }, 3) != LK_OK) {
		return LK_EINVAL;
	}
	return ratelease_take(env->db, env->cache, env->mono_ms, cb, cl, ob,
	    ol, ri);
}

/* A column of the one row as a number; 0 when NULL or out of range. */
long
auth_num(const struct db_res *res, int col)
{
	return db_get_num(res, 0, col);
}

/* Copies a column into dst (size dstsz), "" when NULL or too long. */
void
auth_col(const struct db_res *res, int c, char *dst, size_t dstsz)
{
	const char *v = db_get(res, 0, c);
	size_t n = v != NULL ? strlen(v) : 0;

	if (n >= dstsz) {
		n = 0;
	}
	memcpy(dst, v != NULL ? v : "", n);
	dst[n] = '\0';
}

/*
 * Looks up key in the host's cache, else runs st with params and lets
 * fill() describe its row (no row: AUTHCACHE_UNKNOWN), and remembers the
 * answer.  The generation is read before the database is asked, so an
 * answer overtaken by a flush is not kept.
 */
enum lk_err
auth_lookup(const struct auth_env *env, const unsigned char *key,
    const struct db_stmt *st, const char *const *params, auth_fill_fn fill,
    const void *arg, struct authcache_ident *out)
{
	struct db_res *res;
	uint64_t epoch;
	enum lk_err e;

	if (env->cache != NULL && authcache_get(env->cache, key, env->mono_ms,
	    env->cache_ttl_ms, out)) {
		metrics_count(STATS_CACHE_HITS, 1);
		return LK_OK;
	}
	metrics_count(STATS_CACHE_MISSES, 1);
	epoch = env->cache != NULL ? authcache_epoch(env->cache) : 0;
	if ((e = db_exec(env->db, st, params, &res)) != LK_OK) {
		return e;
	}
	memset(out, 0, sizeof(*out));
	out->status = AUTHCACHE_UNKNOWN;
	e = db_nrows(res) == 1 ? fill(res, arg, out) : LK_OK;
	db_res_free(res);
	if (e == LK_OK && env->cache != NULL && env->cache_ttl_ms > 0) {
		authcache_put(env->cache, key, epoch, env->mono_ms, out);
	}
	return e;
}

enum lk_err
auth_lookup_guarded(const struct auth_env *env, const unsigned char *key,
    const struct db_stmt *st, const char *const *params, auth_fill_fn fill,
    const void *arg, struct authcache_ident *out, int *retry_ms)
{
	char addr[NETADDR_STR_MAX];
	struct db_res *res;
	uint64_t epoch;
	enum lk_err e;
	int spent;

	*retry_ms = 0;
	if (env->cache == NULL || env->cache_ttl_ms <= 0) {
		return auth_lookup(env, key, st, params, fill, arg, out);
	}
	/* Counted as auth_lookup() counts: from memory, a hit;
	 * asked of the database, a miss. */
	if (authcache_get(env->cache, key, env->mono_ms, env->cache_ttl_ms,
	    out)) {
		metrics_count(STATS_CACHE_HITS, 1);
		return LK_OK;
	}
	memset(out, 0, sizeof(*out));
	out->status = AUTHCACHE_UNKNOWN;
	if (authcache_unknown(env->cache, key, env->mono_ms)) {
		metrics_count(STATS_CACHE_HITS, 1);
		return LK_OK;
	}
	netaddr_client(env->remote_addr, env->forwarded_for, env->proxies,
	    env->nproxies, 1, addr);
	if (!authcache_addr_unknown(env->cache, addr, AUTH_UNKNOWN_PER_ADDR,
	    env->mono_ms, 0, retry_ms)) {
		return LK_OK;
	}
	metrics_count(STATS_CACHE_MISSES, 1);
	epoch = authcache_epoch(env->cache);
	if ((e = db_exec(env->db, st, params, &res)) != LK_OK) {
		return e;
	}
	e = db_nrows(res) == 1 ? fill(res, arg, out) : LK_OK;
	db_res_free(res);
	if (e != LK_OK) {
		return e;
	}
	if (out->status == AUTHCACHE_UNKNOWN) {
		authcache_put_unknown(env->cache, key, epoch, env->mono_ms);
		/* This answer is given; the next unknown one may not be. */
		(void)authcache_addr_unknown(env->cache, addr,
		    AUTH_UNKNOWN_PER_ADDR, env->mono_ms, 1, &spent);
	} else {
		authcache_put(env->cache, key, epoch, env->mono_ms, out);
	}
	return LK_OK;
}

/* Columns of org_state, direct_identity and session_identity (their
 * statements stand beside the code that runs them). */
enum { O_ACTIVE, O_CRED_LIMIT, O_ORG_LIMIT };
struct user_ref {
	const char	*user_id;
	const char	*org_id;
};

static enum lk_err
fill_user(const struct db_res *res, const void *arg,
    struct authcache_ident *out)
{
	const struct user_ref *u = arg;

	out->status = auth_flag(res, U_DISABLED) ? AUTHCACHE_DISABLED :
	    !auth_flag(res, U_ORG_ACTIVE) ? AUTHCACHE_ORG_INACTIVE :
	    AUTHCACHE_VALID;
	auth_col(res, U_EMAIL, out->email, sizeof(out->email));
	out->role = credential_role_parse(db_get(res, 0, U_ROLE));
	out->token_version = auth_num(res, U_TOKEN_VERSION);
	out->cred_limit = (int)auth_num(res, U_CRED_LIMIT);
	out->org_limit = (int)auth_num(res, U_ORG_LIMIT);
	memcpy(out->user_id, u->user_id, UUID_LEN + 1);
	memcpy(out->org_id, u->org_id, UUID_LEN + 1);
	return LK_OK;
}

/* Copies a PostgreSQL text[] of patterns, "{a,b.*}", as "a,b.*";
 * patterns never need quoting. */
enum lk_err
auth_perms_col(const struct db_res *res, int c, char *dst, size_t dstsz)
{
	const char *v = db_get(res, 0, c);
	size_t n = v != NULL ? strlen(v) : 0;

	if (n < 2 || n - 2 >= dstsz) {
		return LK_EDB;
	}
	memcpy(dst, v + 1, n - 2);
	dst[n - 2] = '\0';
	return LK_OK;
}

static enum lk_err
fill_key(const struct db_res *res, const void *arg, struct authcache_ident *out)
{
	(void)arg;	/* the hash is the cache key, not needed here */
	out->status = auth_flag(res, K_REVOKED) ? AUTHCACHE_REVOKED :
	    auth_flag(res, K_ANCESTOR_REVOKED) ?
	    AUTHCACHE_ANCESTOR_REVOKED :
	    !auth_flag(res, K_ORG_ACTIVE) ? AUTHCACHE_ORG_INACTIVE :
	    auth_flag(res, K_USER_DISABLED) ?
	    AUTHCACHE_CREATOR_INACTIVE : AUTHCACHE_VALID;
	out->ancestor_expires_at_ms = auth_num(res, K_ANCESTOR_EXPIRES_MS);
	auth_col(res, K_KEY_ID, out->key_id, sizeof(out->key_id));
	auth_col(res, K_ORG_ID, out->org_id, sizeof(out->org_id));
	auth_col(res, K_MODE, out->mode, sizeof(out->mode));
	auth_col(res, K_USER_ID, out->user_id, sizeof(out->user_id));
	out->role = credential_role_parse(db_get(res, 0, K_USER_ROLE));
	out->expires_at_ms = auth_num(res, K_EXPIRES_MS);
	out->cred_limit = (int)auth_num(res, K_CRED_LIMIT);
	out->org_limit = (int)auth_num(res, K_ORG_LIMIT);
	if (auth_perms_col(res, K_PERMS, out->perms, sizeof(out->perms)) !=
	    LK_OK) {
		log_err("API key %s: permissions unusable or too long",
		    out->key_id);
		return LK_EDB;
	}
	return LK_OK;
}

static enum lk_err
fill_org(const struct db_res *res, const void *arg, struct authcache_ident *out)
{
	(void)arg;	/* the org id is the cache key */
	out->status = auth_flag(res, O_ACTIVE) ? AUTHCACHE_VALID :
	    AUTHCACHE_ORG_INACTIVE;
	out->cred_limit = (int)auth_num(res, O_CRED_LIMIT);
	out->org_limit = (int)auth_num(res, O_ORG_LIMIT);
	return LK_OK;
}

/*
 * The identity of a user, by login token or by session (they share it):
 * the user's role and its permissions, the mode X-Latchkey-Mode asks
 * for, and one token of the user's bucket and of the org's.
 */
enum lk_err
auth_user_identity(const struct auth_env *env, const char *org_id,
    const char *user_id, const struct authcache_ident *who,
    struct lk_identity *id)
{
	char cb[AUTHCACHE_BUCKET_MAX + 1];
	const char *mode = env->mode != NULL && strcmp(env->mode, "test") ==
	    0 ? "test" : "live";

	if (who->role == ROLE_NONE) {
		log_err("user %s has no usable role", user_id);
		return LK_EDB;
	}
	credential_identity_clear(id);
	id->kind = CRED_JWT;
	if (util_strlcpy(id->org_id, org_id, sizeof(id->org_id)) != LK_OK ||
	    util_strlcpy(id->user_id, user_id, sizeof(id->user_id)) !=
	    LK_OK ||
	    util_strlcpy(id->mode, mode, sizeof(id->mode)) != LK_OK ||
	    util_strlcpy(id->email, who->email, sizeof(id->email)) != LK_OK) {
		return LK_EDB;
	}
	id->role = (enum lk_role)who->role;
	perm_set_copy(&id->perms, &env->roles->sets[who->role]);
	if (util_join(cb, sizeof(cb), (const char *const[]){ "user",
	    user_id, mode }, 3) != LK_OK) {
		return LK_EINVAL;
	}
	return auth_take(env, cb, who->cred_limit, org_id, mode,
	    who->org_limit, &id->rate);
}

_Static_assert(AUTHCACHE_ID_LEN == 2 * UUID_BIN_LEN,
    "a user's cache key is its sub and its org");

/*
 * The cache key of a user's login token: the 16 bytes of its sub, then
 * the 16 of its org.  It was the SHA-256 of "user:<sub>:<org>" made with
 * snprintf after util_uuid_valid() of both, 7.0k instructions against
 * 0.9k (callgrind), for a key that needs no hashing: a user's id is
 * random (gen_random_uuid()), so its first bytes spread users over the
 * cache's sets as a hash's would, and no other kind of entry, keyed by a
 * SHA-256, can be made to equal it.  Either case of
 * the hex digits gives the one key, as PostgreSQL reads them the same.
 * Returns 0, or -1 unless both are UUIDs.
 */
static int
user_cache_key(const char *sub, const char *org,
    unsigned char key[AUTHCACHE_ID_LEN])
{
	if (util_uuid_bytes(sub, strlen(sub), key) != LK_OK ||
	    util_uuid_bytes(org, strlen(org), key + UUID_BIN_LEN) != LK_OK) {
		return -1;
	}
	return 0;
}

/* A login or direct token, which jwt_verify() answered e (filling c on
 * LK_OK). */
static enum lk_err
resolve_jwt(const struct auth_env *env, enum lk_err e,
    const struct jwt_claims *cp, struct lk_identity *id,
    struct credential_fail *fail)
{
	unsigned char key[AUTHCACHE_ID_LEN];
	const char *params[2];
	struct user_ref u;
	struct jwt_claims c;
	struct authcache_ident who;

	if (e == LK_OK) {
		c = *cp;
	}
	if (e == LK_EEXPIRED) {
		refuse(fail, 401, "expired_token", "the token has expired");
		return LK_EDENIED;
	}
	if (e != LK_OK) {
		refuse(fail, 401, "invalid_token",
		    "the token is malformed or its signature does not match");
		return LK_EDENIED;
	}
	if (strcmp(c.typ, "direct") == 0) {
		return auth_resolve_direct(env, &c, id, fail);
	}
	if (strcmp(c.typ, "user") != 0) {
		refuse(fail, 401, "invalid_token",
		    "this kind of token is not accepted here");
		return LK_EDENIED;
	}
	if (user_cache_key(c.sub, c.org, key) == -1) {
		refuse(fail, 401, "invalid_token", "the token is malformed");
		return LK_EDENIED;
	}
	u.user_id = c.sub;
	u.org_id = c.org;
	params[0] = c.sub;
	params[1] = c.org;
	if ((e = auth_lookup(env, key, &user_for_token, params, fill_user, &u,
	    &who)) != LK_OK) {
		return e;
	}
	switch (who.status) {
	case AUTHCACHE_VALID:
		break;
	case AUTHCACHE_DISABLED:
		refuse(fail, 401, "account_disabled",
		    "the account is disabled");
		return LK_EDENIED;
	case AUTHCACHE_ORG_INACTIVE:
		refuse(fail, 401, "org_inactive",
		    "the organization is inactive");
		return LK_EDENIED;
	case AUTHCACHE_UNKNOWN:
	case AUTHCACHE_REVOKED:
	case AUTHCACHE_CREATOR_INACTIVE:
	case AUTHCACHE_ANCESTOR_REVOKED:
		refuse(fail, 401, "invalid_token",
		    "the token's user no longer exists");
		return LK_EDENIED;
	}
	if (who.token_version != c.ver) {
		refuse(fail, 401, "revoked_token",
		    "the token was revoked (password changed or account "
		    "disabled); log in again");
		return LK_EDENIED;
	}
	return auth_user_identity(env, c.org, c.sub, &who, id);
}

static enum lk_err
resolve_key(const struct auth_env *env, const struct credential *cred,
    struct lk_identity *id, struct credential_fail *fail)
{
	char hex[DB_HASH_HEX_SIZE];
	char cb[AUTHCACHE_BUCKET_MAX + 1];
	const char *params[1];
	struct perm_set own;
	struct authcache_ident k;
	struct apikey parsed;
	enum lk_err e;
	int retry_ms;

	/* Shape, prefix and checksum first: a mistyped key costs no
	 * database round trip. */
	if (apikey_parse(cred->value, cred->len, env->key_prefix, &parsed) !=
	    LK_OK) {
		refuse(fail, 401, "malformed_api_key",
		    "the API key is malformed: check that it was copied "
		    "whole");
		return LK_EDENIED;
	}
	db_hash_hex(parsed.hash, hex);
	params[0] = hex;
	/* A key remembered unknown that is created meanwhile ends the
	 * memory: creating a key notifies every host (sql/033). */
	if ((e = auth_lookup_guarded(env, parsed.hash, &key_identity, params,
	    fill_key, NULL, &k, &retry_ms)) != LK_OK) {
		return e;
	}
	if (retry_ms > 0) {
		refuse(fail, 429, "rate_limited", "too many unknown API keys "
		    "from this client address; retry after Retry-After "
		    "seconds");
		fail->retry_after_s = (retry_ms + 999) / 1000;
		return LK_EDENIED;
	}
	switch (k.status) {
	case AUTHCACHE_VALID:
		break;
	case AUTHCACHE_UNKNOWN:
		refuse(fail, 401, "unknown_api_key",
		    "the API key is not known");
		return LK_EDENIED;
	case AUTHCACHE_REVOKED:
		refuse(fail, 401, "revoked_api_key",
		    "the API key has been revoked");
		return LK_EDENIED;
	case AUTHCACHE_ANCESTOR_REVOKED:
		refuse(fail, 401, "api_key_ancestor_revoked",
		    "an API key this key descends from (it was made by that "
		    "key, or by a key that key made) has been revoked, so "
		    "this key no longer works");
		return LK_EDENIED;
	case AUTHCACHE_ORG_INACTIVE:
		refuse(fail, 401, "org_inactive",
		    "the organization is inactive");
		return LK_EDENIED;
	case AUTHCACHE_CREATOR_INACTIVE:
	case AUTHCACHE_DISABLED:
		refuse(fail, 401, "api_key_owner_inactive",
		    "the user who created this API key is disabled or "
		    "removed, so the key no longer works");
		return LK_EDENIED;
	}
	if (k.expires_at_ms != 0 && k.expires_at_ms <= env->now_ms) {
		refuse(fail, 401, "expired_api_key", "the API key has expired");
		return LK_EDENIED;
	}
	if (k.ancestor_expires_at_ms != 0 &&
	    k.ancestor_expires_at_ms <= env->now_ms) {
		refuse(fail, 401, "api_key_ancestor_expired",
		    "an API key this key descends from has expired, so this "
		    "key no longer works");
		return LK_EDENIED;
	}
	if (k.role == ROLE_NONE ||
	    credential_perms_split(k.perms, strlen(k.perms), &own) != LK_OK) {
		log_err("API key %s has an unusable role or permissions",
		    k.key_id);
		return LK_EDB;
	}
	credential_identity_clear(id);
	id->kind = CRED_KEY;
	memcpy(id->org_id, k.org_id, sizeof(id->org_id));
	memcpy(id->key_id, k.key_id, sizeof(id->key_id));
	memcpy(id->user_id, k.user_id, sizeof(id->user_id));
	memcpy(id->mode, parsed.mode == APIKEY_TEST ? "test" : "live",
	    APIKEY_MODE_SIZE);
	id->role = (enum lk_role)k.role;
	/* A key never exceeds its creator's current role. */
	if (authority_key_perms(&own, env->roles, (enum lk_role)k.role,
	    &id->perms) != LK_OK) {
		return LK_EDB;
	}
	if (util_join(cb, sizeof(cb), (const char *const[]){ "key",
	    k.key_id }, 2) != LK_OK) {
		return LK_EINVAL;
	}
	return auth_take(env, cb, k.cred_limit, k.org_id, id->mode,
	    k.org_limit, &id->rate);
}

static const struct db_stmt org_state = {
	"auth_org_state",
	"SELECT active, cred_limit, org_limit FROM latchkey.org_state($1)",
	1
};

static int
is_service_key(const struct auth_env *env, const char *value, size_t len)
{
	return credential_service_key(env->service_keys, env->nservice_keys,
	    value, len);
}

/*
 * A service key acts for the org named in X-Org-Id with every
 * permission.  Server-to-server: no rate limit applies.
 */
static enum lk_err
resolve_service(const struct auth_env *env, const struct credential *cred,
    struct lk_identity *id, struct credential_fail *fail)
{
	unsigned char key[AUTHCACHE_ID_LEN];
	char ref[48];
	const char *org = env->org_header;
	struct authcache_ident o;
	enum lk_err e;

	if (!is_service_key(env, cred->value, cred->len)) {
		refuse(fail, 401, "invalid_service_key",
		    "the service key is not known");
		return LK_EDENIED;
	}
	if (org == NULL || *org == '\0') {
		refuse(fail, 400, "missing_org_id", "a service key acts for "
		    "an org: name it in X-Org-Id");
		return LK_EDENIED;
	}
	if (!util_uuid_valid(org, strlen(org)) ||
	    util_snprintf(ref, sizeof(ref), "org:%s", org) != LK_OK) {
		refuse(fail, 400, "invalid_org_id", "X-Org-Id must be an org "
		    "id (a UUID)");
		return LK_EDENIED;
	}
	SHA256((const unsigned char *)ref, strlen(ref), key);
	if ((e = auth_lookup(env, key, &org_state, &org, fill_org, NULL, &o)) !=
	    LK_OK) {
		return e;
	}
	if (o.status == AUTHCACHE_UNKNOWN) {
		refuse(fail, 404, "unknown_org", "no org has the id in "
		    "X-Org-Id");
		return LK_EDENIED;
	}
	if (o.status != AUTHCACHE_VALID) {
		refuse(fail, 403, "org_inactive", "the org in X-Org-Id is "
		    "inactive");
		return LK_EDENIED;
	}
	credential_identity_clear(id);
	id->kind = CRED_SERVICE;
	memcpy(id->org_id, org, UUID_LEN + 1);
	memcpy(id->mode, env->mode != NULL && strcmp(env->mode, "test") == 0 ?
	    "test" : "live", APIKEY_MODE_SIZE);
	id->role = ROLE_OWNER;
	return perm_set_add(&id->perms, "*");
}

static enum lk_err
resolve(const struct auth_env *env, const struct credential *cred,
    struct lk_identity *id, struct credential_fail *fail)
{
	struct jwt_claims c;
	enum lk_err v = LK_EINVAL;

	if (cred->cookie) {
		return auth_resolve_session(env, cred, id, fail);
	}
	/*
	 * A service key may also come as a bearer token.  A bearer that
	 * verifies as latchkey's own JWT is taken as one without hashing it
	 * against the service keys: that SHA-256 of the whole token was
	 * about 12k of the 81k instructions of a GET /v1/me by JWT
	 * (callgrind, bench/callgrind).  Only a string both signed with
	 * latchkey's secret and configured as a service key would be read
	 * otherwise than before.
	 */
	if (cred->kind == CRED_JWT) {
		v = jwt_verify(cred->value, cred->len, env->jwt, env->now,
		    env->leeway, &c);
	}
	if (cred->kind == CRED_SERVICE || (cred->bearer && v != LK_OK &&
	    is_service_key(env, cred->value, cred->len))) {
		return resolve_service(env, cred, id, fail);
	}
	switch (cred->kind) {
	case CRED_JWT:
		return resolve_jwt(env, v, &c, id, fail);
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

enum lk_err
auth_resolve(const struct auth_env *env, const struct credential *cred,
    struct lk_identity *id, struct credential_fail *fail)
{
	enum lk_err e;

	memset(fail, 0, sizeof(*fail));
	e = resolve(env, cred, id, fail);
	/* LK_EDENIED means a refusal described in *fail.  The database
	 * says it too (42501: the runtime role may not run a statement),
	 * which is the deployment's fault, not the caller's. */
	if (e == LK_EDENIED && fail->code == NULL) {
		log_err("the database refused a credential look-up: check "
		    "the runtime role's grants (sql/roles.sql)");
		return LK_EDB;
	}
	return e;
}
