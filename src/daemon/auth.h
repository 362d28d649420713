/*
 * auth.h: who is calling.  Finds the one credential of a request, checks it
 * and resolves it to an identity with effective permissions.
 *
 * auth_extract() is pure: from the transport values it decides which
 * credential was sent, or precisely what is wrong with how it was sent.
 * auth_resolve() verifies it, touching the database at most once.
 */
#ifndef LK_AUTH_H
#define LK_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "perm.h"
#include "ratelimit.h"

#define AUTH_EMAIL_MAX	254

enum cred_kind {
	CRED_NONE,
	CRED_JWT,	/* user login token */
	CRED_KEY,	/* API key */
	CRED_SERVICE,	/* internal service key */
	CRED_DIRECT	/* direct (resource-scoped) token */
};

enum role {
	ROLE_NONE = 0,
	ROLE_VIEWER = 1,
	ROLE_MEMBER = 2,
	ROLE_ADMIN = 3,
	ROLE_OWNER = 4
};

/* The transport values of a request, as received (NULL if absent). */
struct auth_input {
	const char	*authorization;	/* Authorization header */
	const char	*x_internal_key;	/* X-Internal-Key header */
	const char	*x_api_key;	/* X-API-Key header */
	const char	*q_token;	/* ?token= */
	const char	*q_accesskey;	/* ?accesskey= */
	int		 q_token_count;
	int		 q_accesskey_count;
	const char	*cookie;	/* Cookie header: the dashboard's
					 * session, lowest precedence */
};

struct credential {
	enum cred_kind	 kind;		/* CRED_JWT, CRED_KEY or CRED_SERVICE */
	const char	*value;		/* points into the input */
	size_t		 len;
	int		 bearer;	/* came as Authorization: Bearer */
	int		 cookie;	/* the session cookie (kind CRED_JWT) */
};

/* Why a request is refused; code and message are static strings. */
struct auth_fail {
	int		 status;	/* 400, 401, 403, 503 */
	const char	*code;
	const char	*message;
};

struct identity {
	enum cred_kind	 kind;
	char		 org_id[37];
	char		 user_id[37];	/* JWT: the user; key: its creator */
	char		 key_id[37];
	char		 mode[5];	/* "live" or "test" */
	enum role	 role;		/* user's role (key: creator's) */
	char		 email[AUTH_EMAIL_MAX + 1];
	struct perm_set	 perms;		/* effective permissions */
	struct rate_info rate;		/* the rate-limit decision */
	char		 rtype[65];	/* direct tokens: resource type */
	char		 rid[129];	/* direct tokens: resource id */
	struct perm_set	 creator_perms;	/* direct tokens: what the direct's
					 * creator holds now, which bounds
					 * the routes the token passes */
	char		 session_id[37];	/* "" unless a session cookie */
};

/* Returns the name of a credential kind as the API spells it: "user",
 * "api_key", "service", "direct" or "none". */
const char	*auth_kind_str(enum cred_kind);

/* Returns the role named s, or ROLE_NONE. */
enum role	 role_parse(const char *s);
const char	*role_str(enum role);

/*
 * Decides which credential in carries.  Returns 1 and fills *cred, 0 when
 * there is none (not an error by itself), -1 and fills *fail when the
 * request is malformed: two credentials, a parameter used twice, a
 * credential in the wrong parameter, an Authorization scheme other than
 * Bearer.  The session cookie counts only when no other credential was
 * sent (a browser sends it with everything); two session cookies are
 * ambiguous (400).
 */
int		 auth_extract(const struct auth_input *in,
		    struct credential *cred, struct auth_fail *fail);

struct db;
struct jwt_keys;

/* Role -> permission patterns, loaded from latchkey.role_permissions. */
struct role_perms {
	int64_t		 loaded_at;	/* seconds, monotonic; 0 = never */
	uint64_t	 epoch;		/* the auth cache's, when loaded */
	struct perm_set	 sets[ROLE_OWNER + 1];
};

struct authcache;

struct auth_env {
	struct db		*db;
	const struct jwt_keys	*jwt;
	int64_t			 leeway;
	int64_t			 now;	/* wall clock, seconds */
	int64_t			 now_ms;	/* wall clock, milliseconds */
	int64_t			 mono_ms;	/* monotonic, milliseconds */
	struct authcache	*cache;	/* NULL: every check asks the db */
	int			 cache_ttl_ms;
	struct role_perms	*roles;
	const char		*key_prefix;	/* this deployment's */
	const char		*mode;	/* JWT/service: requested mode */
	const char		*org_header;	/* service keys: X-Org-Id */
	const unsigned char	(*service_keys)[32];	/* SHA-256 each */
	size_t			 nservice_keys;
};

/* Parses a PostgreSQL text[] literal of permission patterns into set.
 * Errors: LK_EINVAL, LK_ETOOBIG. */
enum lk_err	 auth_parse_perm_array(const char *pg_array, struct perm_set *)
		    LK_MUST_CHECK;

/*
 * Verifies cred and fills *id, including the rate-limit decision taken
 * in the same database round trip (id->rate; the caller refuses when
 * !id->rate.allowed).  Errors: LK_EDENIED with *fail set (401: invalid,
 * expired, revoked credentials...), LK_EUNAVAIL (database down), LK_EDB.
 */
enum lk_err	 auth_resolve(const struct auth_env *,
		    const struct credential *, struct identity *id,
		    struct auth_fail *fail) LK_MUST_CHECK;

/* Returns 1 if value (len bytes) hashes to one of the n service keys
 * (SHA-256 each), comparing in constant time. */
int		 auth_service_key(const unsigned char (*keys)[32], size_t n,
		    const char *value, size_t len);

/* Loads the role permissions if older than a minute or loaded in
 * another cache generation.  Errors: those of db_exec(). */
enum lk_err	 auth_load_roles(struct db *, struct role_perms *,
		    int64_t now_mono, uint64_t epoch) LK_MUST_CHECK;

#endif
