/*
 * authority.h: who may act on what inside one org.  Pure: the callers
 * gather the facts (roles, modes, counts) and act on the verdict; these
 * functions only decide.  Between orgs, row-level security decides.
 *
 * This half holds the user and sandbox rules; the key rules live in
 * their own section.
 */
#ifndef LK_AUTHORITY_H
#define LK_AUTHORITY_H

#include "auth.h"
#include "err.h"

/* ---- Users ------------------------------------------------------------ */

/* Why a change to a user is refused; AUTHORITY_USER_OK when it is not. */
enum authority_user_rule {
	AUTHORITY_USER_OK = 0,
	AUTHORITY_USER_ROLE_TOO_HIGH,	/* grants a role above the caller's */
	AUTHORITY_USER_TARGET_TOO_HIGH,	/* the user ranks above the caller */
	AUTHORITY_USER_CURRENT_PASSWORD,	/* own password: send the
						 * current one */
	AUTHORITY_USER_PASSWORD_RANK,	/* another's password: the caller
					 * must rank strictly above */
	AUTHORITY_USER_LAST_OWNER	/* would leave no active owner */
};

/* One change to one user, as the handler found it. */
struct authority_user_act {
	enum cred_kind	 kind;		/* the caller's credential */
	enum role	 caller;	/* its role (a key: its creator's) */
	int		 self;		/* a login token acting on its user */
	enum role	 target;	/* ROLE_NONE: a user being created */
	int		 target_active;	/* the target is not disabled */
	long		 active_owners;	/* of the org, the target included */
	enum role	 new_role;	/* ROLE_NONE: unchanged */
	int		 disable;	/* 1: the change disables the user */
	int		 remove;	/* 1: the user is deleted */
	int		 password;	/* 1: the password changes */
	int		 current_password;	/* 1: current_password sent */
};

/*
 * Decides whether a caller may make act.  The rules, in the order they
 * are checked: nobody grants a role above their own; nobody manages a
 * user ranked above them; a user changing their own password proves it
 * with the current one (a stolen token must not become a permanent
 * takeover); another user's password needs a rank strictly above
 * theirs (an admin cannot take over another admin), except for a
 * service key, the deployment's own; the org's last active owner is
 * neither demoted, disabled nor removed.  Never NULL; NULL act is
 * refused as AUTHORITY_USER_TARGET_TOO_HIGH.
 */
enum authority_user_rule authority_user_decide(
		    const struct authority_user_act *act);

/* Returns 1 if a caller of role caller may give role granted. */
int		 authority_role_grantable(enum role caller, enum role granted);

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
