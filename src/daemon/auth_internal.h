/*
 * auth_internal.h: what auth.c and auth_scoped.c share; private to them.
 * The cached look-up of one identity row, the columns of that row, the
 * identity of a user (by login token or by session) and the two
 * resolvers auth_scoped.c holds.
 */
#ifndef LK_AUTH_INTERNAL_H
#define LK_AUTH_INTERNAL_H

#include <stddef.h>

#include "auth.h"
#include "authcache.h"
#include "db.h"
#include "err.h"

struct jwt_claims;

/* Fills an identity from the one row a look-up returned. */
typedef enum lk_err (*auth_fill_fn)(const struct db_res *, const void *arg,
    struct authcache_ident *);

/*
 * Looks up key in the host's cache, else runs st with params and lets
 * fill() describe its row (no row: AUTHCACHE_UNKNOWN), and remembers the
 * answer.
 */
enum lk_err	 auth_lookup(const struct auth_env *,
		    const unsigned char *key, const struct db_stmt *st,
		    const char *const *params, auth_fill_fn fill,
		    const void *arg, struct authcache_ident *out)
		    LK_MUST_CHECK;
/*
 * auth_lookup() for a credential anyone can mint in the right shape (an
 * API key: its checksum is public; a session cookie: "lks_" and hex),
 * with the unknown-credential memory in front: one the database did not
 * know is answered unknown from memory for a while
 * (AUTH_UNKNOWN_TTL_MS), kept out of the identity sets so that random
 * ones cannot push valid identities out; every flush of the cache ends
 * it.  Each distinct unknown one spends the client address's budget
 * (AUTH_UNKNOWN_PER_ADDR a minute, shared by keys and sessions); once it
 * is spent, a credential the cache cannot answer is not looked up and
 * *retry_ms (> 0) says for how long.  Without a cache: auth_lookup().
 * key must not collide with another kind's (sessions hash a prefix in).
 */
enum lk_err	 auth_lookup_guarded(const struct auth_env *,
		    const unsigned char *key, const struct db_stmt *st,
		    const char *const *params, auth_fill_fn fill,
		    const void *arg, struct authcache_ident *out,
		    int *retry_ms) LK_MUST_CHECK;
/*
 * ratelease_take() with the environment's database, cache and clock:
 * one token of the credential's bucket cb (limit cl) and of the bucket
 * of org_id in mode (limit ol), which this names ("org:<id>:<mode>").
 * Errors: those of ratelease_take(); LK_EINVAL for an over-long name.
 */
enum lk_err	 auth_take(const struct auth_env *, const char *cb, int cl,
		    const char *org_id, const char *mode, int ol,
		    struct ratelimit_info *ri) LK_MUST_CHECK;
/* A boolean column of the one row: true only when it says so. */
int		 auth_flag(const struct db_res *, int col);
/* A column of the one row as a number; 0 when NULL or out of range. */
long		 auth_num(const struct db_res *, int col);
/* Copies a column into dst (size dstsz), "" when NULL or too long. */
void		 auth_col(const struct db_res *, int col, char *dst,
		    size_t dstsz);
/* Copies a PostgreSQL text[] of patterns, "{a,b.*}", as "a,b.*". */
enum lk_err	 auth_perms_col(const struct db_res *, int col, char *dst,
		    size_t dstsz) LK_MUST_CHECK;
/*
 * The identity of a user, by login token or by session: the user's role
 * and its permissions, the mode X-Latchkey-Mode asks for, and one token
 * of the user's bucket and of the org's.
 */
enum lk_err	 auth_user_identity(const struct auth_env *,
		    const char *org_id, const char *user_id,
		    const struct authcache_ident *who, struct lk_identity *id)
		    LK_MUST_CHECK;

/* A direct token's claims, verified (auth_scoped.c). */
enum lk_err	 auth_resolve_direct(const struct auth_env *,
		    const struct jwt_claims *, struct lk_identity *,
		    struct credential_fail *) LK_MUST_CHECK;
/* A session cookie (auth_scoped.c). */
enum lk_err	 auth_resolve_session(const struct auth_env *,
		    const struct credential *, struct lk_identity *,
		    struct credential_fail *) LK_MUST_CHECK;

#endif
