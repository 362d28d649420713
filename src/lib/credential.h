/*
 * credential.h: the shape of a caller, and the pure half of
 * authentication.  Owns the credential kinds, roles, identities and role
 * permission sets, and decides from a request's transport values which
 * credential it carries or precisely what is wrong with how it was sent.
 *
 * Pure: no libpq, no libfcgi, no I/O, no globals.  Must not know how a
 * credential is verified or an identity found (daemon/auth.h does that).
 */
#ifndef LK_CREDENTIAL_H
#define LK_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "jwt.h"
#include "lk_limits.h"
#include "perm.h"
#include "ratelimit.h"

enum credential_kind {
	CRED_NONE,
	CRED_JWT,	/* user login token */
	CRED_KEY,	/* API key */
	CRED_SERVICE,	/* internal service key */
	CRED_DIRECT	/* direct (resource-scoped) token */
};

enum lk_role {
	ROLE_NONE = 0,
	ROLE_VIEWER = 1,
	ROLE_MEMBER = 2,
	ROLE_ADMIN = 3,
	ROLE_OWNER = 4
};

/* The transport values of a request, as received (NULL if absent). */
struct credential_input {
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
	enum credential_kind	 kind;		/* CRED_JWT, CRED_KEY or
						 * CRED_SERVICE */
	const char	*value;		/* points into the input */
	size_t		 len;
	int		 bearer;	/* came as Authorization: Bearer */
	int		 cookie;	/* the session cookie (kind CRED_JWT) */
};

/* Why a request is refused; code and message are static strings. */
struct credential_fail {
	int		 status;	/* 400, 401, 403, 429, 503 */
	const char	*code;
	const char	*message;
	int		 retry_after_s;	/* 429: for Retry-After; else 0 */
};

struct lk_identity {
	enum credential_kind	 kind;
	char		 org_id[UUID_SIZE];
	char		 user_id[UUID_SIZE];	/* JWT: the user;
						 * key: creator */
	char		 key_id[UUID_SIZE];
	char		 mode[APIKEY_MODE_SIZE];	/* "live" or "test" */
	enum lk_role	 role;		/* user's role (key: creator's) */
	char		 email[EMAIL_MAX_LEN + 1];
	struct perm_set	 perms;		/* effective permissions */
	struct ratelimit_info rate;		/* the rate-limit decision */
	char		 rtype[JWT_RTYPE_MAX + 1];	/* direct:
							 * resource type */
	char		 rid[JWT_RID_MAX + 1];	/* direct: resource id */
	struct perm_set	 creator_perms;	/* direct tokens: what the direct's
					 * creator holds now, which bounds
					 * the routes the token passes */
	char		 session_id[UUID_SIZE];	/* "" unless a session cookie */
};

/* Empties id: every field zero, both permission sets empty.  Not a
 * memset of the whole identity: that writes its two 6.5 KiB permission
 * sets (see perm.h). */
void		 credential_identity_clear(struct lk_identity *id);

/* Role -> permission patterns, loaded from latchkey.role_permissions. */
struct credential_role_perms {
	int64_t		 loaded_at;	/* seconds, monotonic; 0 = never */
	uint64_t	 epoch;		/* the auth cache's, when loaded */
	struct perm_set	 sets[ROLE_OWNER + 1];
};

/* Returns the name of a credential kind as the API spells it: "user",
 * "api_key", "service", "direct" or "none". */
const char	*credential_kind_str(enum credential_kind);

/* Returns the role named s, or ROLE_NONE. */
enum lk_role	 credential_role_parse(const char *s);
const char	*credential_role_str(enum lk_role);

/*
 * Decides which credential in carries.  Returns 1 and fills *cred, 0 when
 * there is none (not an error by itself), -1 and fills *fail when the
 * request is malformed: two credentials, a parameter used twice, a
 * credential in the wrong parameter, an Authorization scheme other than
 * Bearer.  The session cookie counts only when no other credential was
 * sent (a browser sends it with everything); two session cookies are
 * ambiguous (400).
 */
int		 credential_extract(const struct credential_input *in,
		    struct credential *cred, struct credential_fail *fail);

/* Fills *f (code and msg are static strings) and returns -1, for
 * "return credential_refuse(...)" in an extractor or resolver. */
int		 credential_refuse(struct credential_fail *f, int status,
		    const char *code, const char *msg);

/*
 * Splits the comma-separated patterns of list (len bytes, no NUL needed)
 * into set, which is emptied first.  Errors: LK_EINVAL (an empty or
 * overlong item, an invalid pattern), LK_ETOOBIG (more than PERM_SET_MAX).
 */
enum lk_err	 credential_perms_split(const char *list, size_t len,
		    struct perm_set *set) LK_MUST_CHECK;

/* Parses a PostgreSQL text[] literal of permission patterns into set.
 * Errors: LK_EINVAL, LK_ETOOBIG. */
enum lk_err	 credential_perm_array_parse(const char *pg_array,
		    struct perm_set *) LK_MUST_CHECK;

/* Returns 1 if value (len bytes) hashes to one of the n service keys
 * (SHA-256 each), comparing in constant time. */
int		 credential_service_key(const unsigned char (*keys)[32],
		    size_t n, const char *value, size_t len);

#endif
