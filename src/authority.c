/*
 * authority.c: who may act on what inside one org (see authority.h).
 * Pure: no I/O, no database, no globals; the handlers gather the facts
 * and act on the verdicts.  Must not know about HTTP or SQL.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "authority.h"

/* ---- Users ------------------------------------------------------------ */

int
authority_role_grantable(enum role caller, enum role granted)
{
	return granted != ROLE_NONE && caller != ROLE_NONE &&
	    granted <= caller;
}

/* Returns 1 if the act leaves the org without an active owner. */
static int
removes_last_owner(const struct authority_user_act *a)
{
	if (a->target != ROLE_OWNER || !a->target_active ||
	    a->active_owners > 1) {
		return 0;
	}
	return a->remove || a->disable ||
	    (a->new_role != ROLE_NONE && a->new_role != ROLE_OWNER);
}

enum authority_user_rule
authority_user_decide(const struct authority_user_act *a)
{
	if (a == NULL || a->caller == ROLE_NONE) {
		return AUTHORITY_USER_TARGET_TOO_HIGH;
	}
	if (a->new_role != ROLE_NONE &&
	    !authority_role_grantable(a->caller, a->new_role)) {
		return AUTHORITY_USER_ROLE_TOO_HIGH;
	}
	if (a->target > a->caller) {
		return AUTHORITY_USER_TARGET_TOO_HIGH;
	}
	if (a->password) {
		if (a->self && a->kind == CRED_JWT) {
			if (!a->current_password) {
				return AUTHORITY_USER_CURRENT_PASSWORD;
			}
		} else if (a->kind != CRED_SERVICE &&
		    a->target != ROLE_NONE && a->target >= a->caller) {
			return AUTHORITY_USER_PASSWORD_RANK;
		}
	}
	if (removes_last_owner(a)) {
		return AUTHORITY_USER_LAST_OWNER;
	}
	return AUTHORITY_USER_OK;
}

/* ---- Sandbox ---------------------------------------------------------- */

enum lk_err
authority_live_required(const char *mode)
{
	return mode != NULL && strcmp(mode, "live") == 0 ? LK_OK : LK_EDENIED;
}
