/*
 * test_authority.c: unit tests of authority.c, the rules of who may act
 * on what inside one org.  Table-driven: each row is one act and the
 * verdict it must get.
 */
#include "config.h"

#include <stddef.h>

#include <criterion/criterion.h>

#include "authority.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- Users ------------------------------------------------------------ */

#define O	ROLE_OWNER
#define A	ROLE_ADMIN
#define M	ROLE_MEMBER
#define V	ROLE_VIEWER
#define N	ROLE_NONE

struct user_case {
	const char			*name;
	struct authority_user_act	 act;
	enum authority_user_rule	 want;
};

/* Fields: kind, caller, self, target, target_active, active_owners,
 * new_role, disable, remove, password, current_password. */
static const struct user_case user_cases[] = {
	{ "an admin creates a member",
	    { CRED_JWT, A, 0, N, 0, 1, M, 0, 0, 1, 0 }, AUTHORITY_USER_OK },
	{ "an admin creates an admin",
	    { CRED_JWT, A, 0, N, 0, 1, A, 0, 0, 1, 0 }, AUTHORITY_USER_OK },
	{ "an admin cannot create an owner",
	    { CRED_JWT, A, 0, N, 0, 1, O, 0, 0, 1, 0 },
	    AUTHORITY_USER_ROLE_TOO_HIGH },
	{ "a member cannot promote a viewer to admin",
	    { CRED_KEY, M, 0, V, 1, 1, A, 0, 0, 0, 0 },
	    AUTHORITY_USER_ROLE_TOO_HIGH },
	{ "an admin cannot disable an owner",
	    { CRED_JWT, A, 0, O, 1, 2, N, 1, 0, 0, 0 },
	    AUTHORITY_USER_TARGET_TOO_HIGH },
	{ "an admin cannot remove an owner",
	    { CRED_JWT, A, 0, O, 1, 2, N, 0, 1, 0, 0 },
	    AUTHORITY_USER_TARGET_TOO_HIGH },
	{ "an admin cannot change an owner's password",
	    { CRED_JWT, A, 0, O, 1, 1, N, 0, 0, 1, 0 },
	    AUTHORITY_USER_TARGET_TOO_HIGH },
	{ "an admin cannot change another admin's password",
	    { CRED_JWT, A, 0, A, 1, 1, N, 0, 0, 1, 0 },
	    AUTHORITY_USER_PASSWORD_RANK },
	{ "an owner cannot change another owner's password",
	    { CRED_JWT, O, 0, O, 1, 2, N, 0, 0, 1, 0 },
	    AUTHORITY_USER_PASSWORD_RANK },
	{ "an admin changes a member's password",
	    { CRED_JWT, A, 0, M, 1, 1, N, 0, 0, 1, 0 }, AUTHORITY_USER_OK },
	{ "a key cannot change its own creator's password",
	    { CRED_KEY, O, 0, O, 1, 1, N, 0, 0, 1, 0 },
	    AUTHORITY_USER_PASSWORD_RANK },
	{ "a service key changes an owner's password",
	    { CRED_SERVICE, O, 0, O, 1, 1, N, 0, 0, 1, 0 },
	    AUTHORITY_USER_OK },
	{ "one's own password needs the current one",
	    { CRED_JWT, M, 1, M, 1, 1, N, 0, 0, 1, 0 },
	    AUTHORITY_USER_CURRENT_PASSWORD },
	{ "one's own password with the current one",
	    { CRED_JWT, M, 1, M, 1, 1, N, 0, 0, 1, 1 }, AUTHORITY_USER_OK },
	{ "the last owner changes their own password",
	    { CRED_JWT, O, 1, O, 1, 1, N, 0, 0, 1, 1 }, AUTHORITY_USER_OK },
	{ "one's own email needs no current password",
	    { CRED_JWT, V, 1, V, 1, 1, N, 0, 0, 0, 0 }, AUTHORITY_USER_OK },
	{ "the last owner cannot demote themselves",
	    { CRED_JWT, O, 1, O, 1, 1, A, 0, 0, 0, 0 },
	    AUTHORITY_USER_LAST_OWNER },
	{ "the last owner cannot be disabled",
	    { CRED_JWT, O, 0, O, 1, 1, N, 1, 0, 0, 0 },
	    AUTHORITY_USER_LAST_OWNER },
	{ "the last owner cannot be removed",
	    { CRED_JWT, O, 0, O, 1, 1, N, 0, 1, 0, 0 },
	    AUTHORITY_USER_LAST_OWNER },
	{ "one of two owners can be demoted",
	    { CRED_JWT, O, 0, O, 1, 2, A, 0, 0, 0, 0 }, AUTHORITY_USER_OK },
	{ "a disabled owner can go even when one owner is active",
	    { CRED_JWT, O, 0, O, 0, 1, N, 0, 1, 0, 0 }, AUTHORITY_USER_OK },
	{ "the last owner may stay owner",
	    { CRED_JWT, O, 0, O, 1, 1, O, 0, 0, 0, 0 }, AUTHORITY_USER_OK },
	{ "a caller without a role acts on nobody",
	    { CRED_JWT, N, 0, V, 1, 1, N, 0, 1, 0, 0 },
	    AUTHORITY_USER_TARGET_TOO_HIGH },
};

Test(authority, decides_every_user_act_in_the_table)
{
	size_t i;

	for (i = 0; i < NITEMS(user_cases); i++) {
		cr_expect_eq(authority_user_decide(&user_cases[i].act),
		    user_cases[i].want, "%s", user_cases[i].name);
	}
}

Test(authority, refuses_a_null_act)
{
	cr_expect_eq(authority_user_decide(NULL),
	    AUTHORITY_USER_TARGET_TOO_HIGH);
}

Test(authority, grants_roles_up_to_the_callers_own)
{
	static const struct {
		enum role caller, granted;
		int want;
	} cases[] = {
		{ O, O, 1 }, { O, V, 1 }, { A, A, 1 }, { A, O, 0 },
		{ M, A, 0 }, { V, V, 1 }, { V, M, 0 }, { N, V, 0 },
		{ O, N, 0 },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		cr_expect_eq(authority_role_grantable(cases[i].caller,
		    cases[i].granted), cases[i].want, "case %zu", i);
	}
}

/* ---- Sandbox ---------------------------------------------------------- */

Test(authority, lets_only_a_live_credential_touch_org_wide_data)
{
	static const struct {
		const char *mode;
		enum lk_err want;
	} cases[] = {
		{ "live", LK_OK },
		{ "test", LK_EDENIED },
		{ "", LK_EDENIED },
		{ "LIVE", LK_EDENIED },
		{ "liv", LK_EDENIED },
		{ "lives", LK_EDENIED },
		{ NULL, LK_EDENIED },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		cr_expect_eq(authority_live_required(cases[i].mode),
		    cases[i].want, "mode %s",
		    cases[i].mode != NULL ? cases[i].mode : "(null)");
	}
}
