/*
 * authority.h: who may act on what inside one org.  The one place the
 * rule is written: handlers fetch the facts (rows of their org, which
 * row-level security already chose), ask here, then act.  Between orgs,
 * RLS decides and these functions never see another org's object.
 *
 * Pure: no libpq, no libfcgi, no I/O, no globals.  Knows the shape of an
 * identity (credential.h) and permission sets (perm.h), nothing of how either
 * was found.
 *
 * Sections: ranks (shared by every rule), API keys, directs, users, the
 * sandbox.
 */
#ifndef LK_AUTHORITY_H
#define LK_AUTHORITY_H

#include <stddef.h>
#include <stdint.h>

#include "credential.h"
#include "buf.h"
#include "err.h"
#include "perm.h"

/* ---- Ranks ------------------------------------------------------------ */

/*
 * Returns the rank caller acts with: a user's current role; a key's
 * creator's current role (a key made by a service key ranks as owner,
 * which auth resolution already put in id->role); a service key: owner;
 * a direct token or no credential: ROLE_NONE, which dominates nothing.
 */
enum lk_role	 authority_rank_of(const struct lk_identity *caller);

/* Returns "owner", "admin", "member", "viewer" or "none". */
const char	*authority_rank_str(enum lk_role);

/* ---- API keys --------------------------------------------------------- */

/* The most ancestors (created_by_key chain) a key may have: a key with
 * this many cannot make keys.  Every walk of a chain stops here. */
#define AUTHORITY_LINEAGE_MAX	16

/* What the rule needs to know of a key K (strings "" when absent). */
struct authority_key {
	char		 created_by_user[37];
	char		 created_by_key[37];
	char		 creator_key_user[37];	/* created_by_key's own user */
	int		 created_by_service;
	enum lk_role	 creator_rank;	/* authority_key_creator_rank() */
	struct perm_set	 perms;		/* effective: authority_key_perms() */
	size_t		 nancestors;	/* at most AUTHORITY_LINEAGE_MAX */
	char		 ancestors[AUTHORITY_LINEAGE_MAX][37];	/* nearest
							 * first */
};

/*
 * Returns the rank of a key's creator: owner for a key made by a
 * service key (or by a key a service key made), else the role of
 * created_by_user now (role; ROLE_NONE once the user is gone).
 */
enum lk_role	 authority_key_creator_rank(int created_by_service,
		    enum lk_role creator_role);

/*
 * Computes a key's effective permissions into *out: its own patterns
 * intersected with what its creator's rank grants today (roles).  A key
 * whose creator is gone (ROLE_NONE) holds nothing.  Errors: LK_ETOOBIG
 * (*out untouched).
 */
enum lk_err	 authority_key_perms(const struct perm_set *own,
		    const struct credential_role_perms *roles,
		    enum lk_role creator_rank,
		    struct perm_set *out) LK_MUST_CHECK;

/* Why a caller may (or may not) act on a key. */
enum authority_basis {
	AUTHORITY_SERVICE,	/* a service key acting for the org */
	AUTHORITY_CREATOR,	/* the caller made it */
	AUTHORITY_ANCESTOR,	/* the caller key is an ancestor of it */
	AUTHORITY_WITHIN,	/* within the caller's permissions and rank */
	AUTHORITY_WIDER,	/* denied: it holds what the caller lacks */
	AUTHORITY_OUTRANKED,	/* denied: its creator ranks above the caller */
	AUTHORITY_NO_STANDING	/* denied: a credential that manages nothing */
};

struct authority_verdict {
	int			 allowed;
	enum authority_basis	 basis;
	enum lk_role		 caller_rank;
	enum lk_role		 creator_rank;
	struct perm_set		 missing;	/* AUTHORITY_WIDER: what the
						 * caller lacks */
};

/*
 * Decides whether caller may act on key k (roll, change, revoke): it
 * dominates k when it is a service key, made k (a user: k.created_by_user
 * is the caller and k was made by that user's login or one of that
 * user's keys; a key: k.created_by_key is the caller), is an ancestor of
 * k, or k's effective permissions are within the caller's and k's
 * creator ranks no higher than the caller.  Fills *v in every case.
 */
void		 authority_over_key(const struct lk_identity *caller,
		    const struct authority_key *k,
		    struct authority_verdict *v);

/* Appends to out the message of a refusal (v->allowed == 0): what the
 * key holds or who made it, and what the caller could act on instead. */
void		 authority_explain(const struct authority_verdict *v,
		    struct lk_buf *out);

/* Returns 1 if a key with nancestors ancestors may make a key (whose
 * chain is one longer), 0 if the chain would pass
 * AUTHORITY_LINEAGE_MAX. */
int		 authority_lineage_has_room(size_t nancestors);

/* ---- Directs ---------------------------------------------------------- */

/* Whoever made a direct hash, as it stands now. */
struct authority_direct_creator {
	int		 by_service;	/* made by a service key (or a key a
					 * service key made) */
	int		 by_key;	/* made by an API key */
	int		 user_inactive;	/* its user is disabled or gone */
	int		 key_revoked;	/* the key, or an ancestor, revoked */
	int64_t		 key_expires_at_ms;	/* soonest expiry of the key
						 * and its ancestors; 0:
						 * never */
};

enum authority_direct_state {
	AUTHORITY_DIRECT_ALIVE,
	AUTHORITY_DIRECT_USER_INACTIVE,
	AUTHORITY_DIRECT_KEY_REVOKED,
	AUTHORITY_DIRECT_KEY_EXPIRED
};

/*
 * Decides whether a direct still lives by its creator at now_ms: it dies
 * with a disabled or deleted user, and with a revoked or expired creating
 * key (or an ancestor of that key).  Service-made directs end only when
 * revoked.  The caller checks the direct's own revocation first.
 */
enum authority_direct_state authority_direct_creator(
		    const struct authority_direct_creator *, int64_t now_ms);

/* The 401 code and message (static strings) of a dead direct. */
void		 authority_direct_refusal(enum authority_direct_state,
		    const char **code, const char **message);

/*
 * For creating a direct: puts into *missing each of the n route
 * permissions (those of every route admitting the resource type) that
 * caller does not hold, at most PERM_SET_MAX of them.  Returns how many
 * are missing in all (0: allowed).
 */
size_t		 authority_direct_missing(const struct lk_identity *caller,
		    const char *const *route_perms, size_t n,
		    struct perm_set *missing);

/*
 * For using a direct token on a route needing permission ("" or NULL:
 * none): returns 1 if the direct's creator still holds it
 * (direct->creator_perms, filled at authentication), else 0.
 */
int		 authority_direct_may_pass(const struct lk_identity *direct,
		    const char *permission);

/* ---- Users ------------------------------------------------------------ */

/* Why a change to a user is refused; AUTHORITY_USER_OK when it is not. */
enum authority_user_rule {
	AUTHORITY_USER_OK = 0,
	AUTHORITY_USER_ROLE_TOO_HIGH,	/* grants a role above the caller's */
	AUTHORITY_USER_TARGET_TOO_HIGH,	/* the user ranks above the caller */
	AUTHORITY_USER_CURRENT_PASSWORD,	/* own password or email:
						 * send the current
						 * password */
	AUTHORITY_USER_PASSWORD_RANK,	/* another's password: the caller
					 * must rank strictly above */
	AUTHORITY_USER_LAST_OWNER	/* would leave no active owner */
};

/* One change to one user, as the handler found it. */
struct authority_user_act {
	enum credential_kind	 kind;		/* the caller's credential */
	enum lk_role	 caller;	/* its role (a key: its creator's) */
	int		 self;		/* a login token acting on its user */
	enum lk_role	 target;	/* ROLE_NONE: a user being created */
	int		 target_active;	/* the target is not disabled */
	long		 active_owners;	/* of the org, the target included */
	enum lk_role	 new_role;	/* ROLE_NONE: unchanged */
	int		 disable;	/* 1: the change disables the user */
	int		 remove;	/* 1: the user is deleted */
	int		 password;	/* 1: the password changes */
	int		 current_password;	/* 1: current_password sent */
	int		 email;		/* 1: the email (login name)
					 * changes */
};

/*
 * Decides whether a caller may make act.  The rules, in the order they
 * are checked: nobody grants a role above their own; nobody manages a
 * user ranked above them; a user changing their own password or email
 * (the login name) proves it with the current password (a stolen token
 * must not become a permanent takeover); another user's password needs
 * a rank strictly above theirs (an admin cannot take over another
 * admin), except for a service key, the deployment's own; another
 * user's email needs no more than managing them; the org's last active owner is
 * neither demoted, disabled nor removed.  Never NULL; NULL act is
 * refused as AUTHORITY_USER_TARGET_TOO_HIGH.
 */
enum authority_user_rule authority_user_decide(
		    const struct authority_user_act *act);

/* Returns 1 if a caller of role caller may give role granted. */
int		 authority_role_grantable(enum lk_role caller,
		    enum lk_role granted);

/* ---- Sandbox ---------------------------------------------------------- */

/*
 * Decides whether a credential of mode (as "live" or "test") may touch
 * what is org-wide: users, roles, plans, routes, org settings.  Those
 * are live data whatever mode the caller works in, so only a live
 * credential may read or change them.  Returns LK_OK for "live",
 * LK_EDENIED for anything else (NULL and unknown modes included).
 */
enum lk_err	 authority_live_required(const char *mode) LK_MUST_CHECK;

#endif
