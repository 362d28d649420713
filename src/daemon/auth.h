/*
 * auth.h: who is calling.  auth_resolve() verifies the credential that
 * credential_extract() (src/lib/credential.h) found and resolves it to an
 * identity with effective permissions, touching the database at most
 * once.  The types (identity, roles, credentials) live in credential.h.
 */
#ifndef LK_AUTH_H
#define LK_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "credential.h"
#include "err.h"
#include "perm.h"
#include "ratelimit.h"

struct db;
struct jwt_keys;

struct authcache;
struct netaddr_cidr;

struct auth_env {
	struct db		*db;
	const struct jwt_keys	*jwt;
	int64_t			 leeway;
	int64_t			 now;	/* wall clock, seconds */
	int64_t			 now_ms;	/* wall clock, milliseconds */
	int64_t			 mono_ms;	/* monotonic, milliseconds */
	struct authcache	*cache;	/* NULL: every check asks the db */
	int			 cache_ttl_ms;
	struct credential_role_perms	*roles;
	const char		*key_prefix;	/* this deployment's */
	const char		*mode;	/* JWT/service: requested mode */
	const char		*org_header;	/* service keys: X-Org-Id */
	const unsigned char	(*service_keys)[32];	/* SHA-256 each */
	size_t			 nservice_keys;
	/* The client, whose budget of unknown credentials a key or
	 * session look-up spends (netaddr_client()); read only when the
	 * cache cannot answer. */
	const char		*remote_addr;
	const char		*forwarded_for;
	const struct netaddr_cidr *proxies;
	size_t			 nproxies;
};

/*
 * Verifies cred and fills *id, including the rate-limit decision taken
 * in the same database round trip (id->rate; the caller refuses when
 * !id->rate.allowed).  Errors: LK_EDENIED with *fail set (401: invalid,
 * expired, revoked credentials...; 429 with fail->retry_after_s: too many
 * unknown keys from this client), LK_EUNAVAIL (database down), LK_EDB.
 */
enum lk_err	 auth_resolve(const struct auth_env *,
		    const struct credential *, struct lk_identity *id,
		    struct credential_fail *fail) LK_MUST_CHECK;

/* Loads the role permissions if older than a minute or loaded in
 * another cache generation.  Errors: those of db_exec(). */
enum lk_err	 auth_load_roles(struct db *, struct credential_role_perms *,
		    int64_t now_mono, uint64_t epoch) LK_MUST_CHECK;

#endif
