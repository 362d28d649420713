/*
 * test_authority.c: unit tests of authority.c: ranks, who may act on an
 * API key (every branch of the rule, table-driven), the lineage bound,
 * what keeps a direct alive and where it may pass, the user rules and
 * the sandbox.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "credential.h"
#include "authority.h"
#include "buf.h"
#include "err.h"
#include "perm.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define USER_A	"aaaaaaaa-0000-4000-8000-000000000001"
#define USER_B	"bbbbbbbb-0000-4000-8000-000000000002"
#define KEY_1	"11111111-0000-4000-8000-000000000001"
#define KEY_2	"22222222-0000-4000-8000-000000000002"
#define KEY_3	"33333333-0000-4000-8000-000000000003"
#define KEY_X	"99999999-0000-4000-8000-000000000009"

/* Fills set from a comma-separated list ("" for none). */
static void
set_of(struct perm_set *set, const char *list)
{
	char buf[512], *p, *comma;

	memset(set, 0, sizeof(*set));
	cr_assert_lt(strlen(list), sizeof(buf));
	memcpy(buf, list, strlen(list) + 1);
	for (p = buf; *p != '\0'; p = comma + 1) {
		if ((comma = strchr(p, ',')) != NULL) {
			*comma = '\0';
		}
		cr_assert_eq(perm_set_add(set, p), LK_OK, "%s", p);
		if (comma == NULL) {
			break;
		}
	}
}

/* Renders set as "a,b" into buf. */
static const char *
set_str(const struct perm_set *set, char *buf, size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < set->n; i++) {
		int n = snprintf(buf + len, size - len, "%s%s",
		    i > 0 ? "," : "", set->items[i]);

		cr_assert(n >= 0 && (size_t)n < size - len);
		len += (size_t)n;
	}
	return buf;
}

/* The built-in roles of 005. */
static void
roles_of(struct credential_role_perms *rp)
{
	memset(rp, 0, sizeof(*rp));
	set_of(&rp->sets[ROLE_OWNER], "*");
	set_of(&rp->sets[ROLE_ADMIN], "*");
	set_of(&rp->sets[ROLE_MEMBER], "keys.read,keys.write,users.read,"
	    "requests.read,usage.read,directs.write,activity.read");
	set_of(&rp->sets[ROLE_VIEWER], "keys.read,users.read,requests.read,"
	    "usage.read,activity.read");
}

static void
caller_of(struct lk_identity *id, enum credential_kind kind, enum lk_role role,
    const char *user, const char *key, const char *perms)
{
	memset(id, 0, sizeof(*id));
	id->kind = kind;
	id->role = role;
	memcpy(id->user_id, user, strlen(user) + 1);
	memcpy(id->key_id, key, strlen(key) + 1);
	set_of(&id->perms, perms);
}

/* ---- Ranks ------------------------------------------------------------ */

Test(authority, ranks_a_caller_by_its_credential)
{
	static const struct {
		enum credential_kind	 kind;
		enum lk_role	 role;
		enum lk_role	 want;
	} cases[] = {
		{ CRED_SERVICE, ROLE_NONE, ROLE_OWNER },
		{ CRED_JWT, ROLE_ADMIN, ROLE_ADMIN },
		{ CRED_JWT, ROLE_VIEWER, ROLE_VIEWER },
		{ CRED_KEY, ROLE_MEMBER, ROLE_MEMBER },
		{ CRED_KEY, ROLE_OWNER, ROLE_OWNER },
		{ CRED_KEY, (enum lk_role)7, ROLE_NONE },
		{ CRED_DIRECT, ROLE_OWNER, ROLE_NONE },
		{ CRED_NONE, ROLE_OWNER, ROLE_NONE },
	};
	struct lk_identity id;
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		caller_of(&id, cases[i].kind, cases[i].role, "", "", "");
		cr_expect_eq(authority_rank_of(&id), cases[i].want, "case %zu",
		    i);
	}
}

Test(authority, names_every_rank_and_nothing_else)
{
	cr_expect_str_eq(authority_rank_str(ROLE_OWNER), "owner");
	cr_expect_str_eq(authority_rank_str(ROLE_ADMIN), "admin");
	cr_expect_str_eq(authority_rank_str(ROLE_MEMBER), "member");
	cr_expect_str_eq(authority_rank_str(ROLE_VIEWER), "viewer");
	cr_expect_str_eq(authority_rank_str(ROLE_NONE), "none");
	cr_expect_str_eq(authority_rank_str((enum lk_role)9), "none");
}

Test(authority, ranks_a_service_made_key_as_owner_and_others_by_role)
{
	cr_expect_eq(authority_key_creator_rank(1, ROLE_NONE), ROLE_OWNER);
	cr_expect_eq(authority_key_creator_rank(1, ROLE_VIEWER), ROLE_OWNER);
	cr_expect_eq(authority_key_creator_rank(0, ROLE_MEMBER), ROLE_MEMBER);
	cr_expect_eq(authority_key_creator_rank(0, ROLE_NONE), ROLE_NONE);
	cr_expect_eq(authority_key_creator_rank(0, (enum lk_role)8), ROLE_NONE);
}

Test(authority, bounds_a_keys_permissions_by_its_creators_rank_today)
{
	static const struct {
		const char	*own;
		enum lk_role	 rank;
		const char	*want;
	} cases[] = {
		{ "*", ROLE_OWNER, "*" },
		{ "*", ROLE_MEMBER, "activity.read,directs.write,keys.read,"
		    "keys.write,requests.read,usage.read,users.read" },
		{ "keys.read,users.write", ROLE_MEMBER, "keys.read" },
		{ "calls.*", ROLE_ADMIN, "calls.*" },
		{ "*", ROLE_NONE, "" },
		{ "", ROLE_OWNER, "" },
	};
	struct credential_role_perms rp;
	struct perm_set own, out;
	char got[1024];
	size_t i;

	roles_of(&rp);
	for (i = 0; i < NITEMS(cases); i++) {
		set_of(&own, cases[i].own);
		cr_assert_eq(authority_key_perms(&own, &rp, cases[i].rank,
		    &out), LK_OK);
		cr_expect_str_eq(set_str(&out, got, sizeof(got)),
		    cases[i].want, "case %zu", i);
	}
}

/* ---- API keys --------------------------------------------------------- */

/* A caller, a key, and the verdict the rule must reach. */
struct key_case {
	const char		*what;
	enum credential_kind		 kind;
	enum lk_role		 rank;
	const char		*user;
	const char		*key;
	const char		*perms;
	/* The key acted on. */
	const char		*by_user;
	const char		*by_key;
	const char		*by_key_user;
	int			 by_service;
	enum lk_role		 creator_rank;
	const char		*key_perms;
	const char		*ancestors[3];
	/* The verdict. */
	int			 allowed;
	enum authority_basis	 basis;
	const char		*missing;
};

static const struct key_case key_cases[] = {
	{ "a service key dominates every key of the org",
	    CRED_SERVICE, ROLE_OWNER, "", "", "*",
	    USER_A, "", "", 0, ROLE_OWNER, "*", { NULL },
	    1, AUTHORITY_SERVICE, "" },
	{ "a direct token manages no key",
	    CRED_DIRECT, ROLE_NONE, "", KEY_1, "",
	    "", "", "", 0, ROLE_NONE, "", { NULL },
	    0, AUTHORITY_NO_STANDING, "" },
	{ "a user acts on a key their login made",
	    CRED_JWT, ROLE_VIEWER, USER_A, "", "keys.read",
	    USER_A, "", "", 0, ROLE_VIEWER, "*", { NULL },
	    1, AUTHORITY_CREATOR, "" },
	{ "a user acts on a key one of their keys made",
	    CRED_JWT, ROLE_MEMBER, USER_A, "", "keys.write",
	    USER_A, KEY_1, USER_A, 0, ROLE_MEMBER, "*", { KEY_1 },
	    1, AUTHORITY_CREATOR, "" },
	{ "a user is not the creator when the making key is another's",
	    CRED_JWT, ROLE_MEMBER, USER_A, "", "keys.write",
	    USER_A, KEY_1, USER_B, 0, ROLE_MEMBER, "users.write", { KEY_1 },
	    0, AUTHORITY_WIDER, "users.write" },
	{ "a member cannot act on an owner's wildcard key",
	    CRED_JWT, ROLE_MEMBER, USER_A, "", "keys.read,keys.write",
	    USER_B, "", "", 0, ROLE_OWNER, "*", { NULL },
	    0, AUTHORITY_WIDER, "*" },
	{ "an admin cannot act on an owner's key",
	    CRED_JWT, ROLE_ADMIN, USER_A, "", "*",
	    USER_B, "", "", 0, ROLE_OWNER, "*", { NULL },
	    0, AUTHORITY_OUTRANKED, "" },
	{ "an admin cannot act on a service-made key",
	    CRED_JWT, ROLE_ADMIN, USER_A, "", "*",
	    "", "", "", 1, ROLE_OWNER, "keys.read", { NULL },
	    0, AUTHORITY_OUTRANKED, "" },
	{ "a keys.write key cannot act on a wildcard key",
	    CRED_KEY, ROLE_OWNER, USER_B, KEY_1, "keys.write",
	    USER_B, "", "", 0, ROLE_OWNER, "*", { NULL },
	    0, AUTHORITY_WIDER, "*" },
	{ "a member acts on another member's narrower key",
	    CRED_JWT, ROLE_MEMBER, USER_A, "", "keys.read,keys.write",
	    USER_B, "", "", 0, ROLE_MEMBER, "keys.read", { NULL },
	    1, AUTHORITY_WITHIN, "" },
	{ "a member acts on a key made by a lower-ranked user",
	    CRED_JWT, ROLE_MEMBER, USER_A, "", "keys.read,keys.write",
	    USER_B, "", "", 0, ROLE_VIEWER, "keys.read", { NULL },
	    1, AUTHORITY_WITHIN, "" },
	{ "a member cannot act on a member's key holding more",
	    CRED_JWT, ROLE_MEMBER, USER_A, "", "keys.read",
	    USER_B, "", "", 0, ROLE_MEMBER, "keys.read,requests.read",
	    { NULL },
	    0, AUTHORITY_WIDER, "requests.read" },
	{ "a key acts on the key it made",
	    CRED_KEY, ROLE_MEMBER, USER_A, KEY_1, "keys.write",
	    USER_A, KEY_1, USER_A, 0, ROLE_MEMBER, "*", { KEY_1 },
	    1, AUTHORITY_CREATOR, "" },
	{ "a key acts on a key its children made",
	    CRED_KEY, ROLE_MEMBER, USER_A, KEY_1, "keys.write",
	    USER_A, KEY_3, USER_A, 0, ROLE_MEMBER, "*",
	    { KEY_3, KEY_2, KEY_1 },
	    1, AUTHORITY_ANCESTOR, "" },
	{ "a key acts on itself",
	    CRED_KEY, ROLE_MEMBER, USER_A, KEY_1, "keys.read,keys.write",
	    USER_A, "", "", 0, ROLE_MEMBER, "keys.read,keys.write", { NULL },
	    1, AUTHORITY_WITHIN, "" },
	{ "a key is no ancestor of a key outside its line",
	    CRED_KEY, ROLE_MEMBER, USER_A, KEY_X, "keys.write",
	    USER_A, KEY_2, USER_A, 0, ROLE_MEMBER, "*", { KEY_2, KEY_1 },
	    0, AUTHORITY_WIDER, "*" },
	{ "a key whose creator is gone holds nothing and ranks nowhere",
	    CRED_JWT, ROLE_VIEWER, USER_A, "", "keys.read",
	    "", "", "", 0, ROLE_NONE, "", { NULL },
	    1, AUTHORITY_WITHIN, "" },
	{ "a user key of the same user is not the user's own login",
	    CRED_KEY, ROLE_MEMBER, USER_A, KEY_1, "keys.write",
	    USER_A, "", "", 0, ROLE_MEMBER, "keys.read", { NULL },
	    0, AUTHORITY_WIDER, "keys.read" },
};

static void
key_of(struct authority_key *k, const struct key_case *c)
{
	size_t i;

	memset(k, 0, sizeof(*k));
	memcpy(k->created_by_user, c->by_user, strlen(c->by_user) + 1);
	memcpy(k->created_by_key, c->by_key, strlen(c->by_key) + 1);
	memcpy(k->creator_key_user, c->by_key_user,
	    strlen(c->by_key_user) + 1);
	k->created_by_service = c->by_service;
	k->creator_rank = c->creator_rank;
	set_of(&k->perms, c->key_perms);
	for (i = 0; i < NITEMS(c->ancestors) && c->ancestors[i] != NULL;
	    i++) {
		memcpy(k->ancestors[i], c->ancestors[i],
		    strlen(c->ancestors[i]) + 1);
	}
	k->nancestors = i;
}

Test(authority, decides_every_branch_of_the_key_rule)
{
	struct authority_verdict v;
	struct authority_key k;
	struct lk_identity id;
	char got[1024];
	size_t i;

	for (i = 0; i < NITEMS(key_cases); i++) {
		const struct key_case *c = &key_cases[i];

		caller_of(&id, c->kind, c->rank, c->user, c->key, c->perms);
		key_of(&k, c);
		authority_over_key(&id, &k, &v);
		cr_expect_eq(v.allowed, c->allowed, "%s", c->what);
		cr_expect_eq(v.basis, c->basis, "%s: basis %d", c->what,
		    (int)v.basis);
		cr_expect_str_eq(set_str(&v.missing, got, sizeof(got)),
		    c->missing, "%s", c->what);
		cr_expect_eq(v.creator_rank, c->creator_rank, "%s", c->what);
	}
}

Test(authority, finds_an_ancestor_only_within_the_lineage_bound)
{
	struct authority_verdict v;
	struct authority_key k;
	struct lk_identity id;
	size_t i;

	caller_of(&id, CRED_KEY, ROLE_MEMBER, USER_A, KEY_1, "keys.write");
	memset(&k, 0, sizeof(k));
	k.creator_rank = ROLE_MEMBER;
	set_of(&k.perms, "*");
	for (i = 0; i < AUTHORITY_LINEAGE_MAX; i++) {
		memcpy(k.ancestors[i], KEY_X, sizeof(KEY_X));
	}
	memcpy(k.ancestors[AUTHORITY_LINEAGE_MAX - 1], KEY_1, sizeof(KEY_1));
	k.nancestors = AUTHORITY_LINEAGE_MAX;
	authority_over_key(&id, &k, &v);
	cr_expect(v.allowed);
	cr_expect_eq(v.basis, AUTHORITY_ANCESTOR);
	/* A count past the array is read as the array, never beyond. */
	k.nancestors = AUTHORITY_LINEAGE_MAX + 5;
	authority_over_key(&id, &k, &v);
	cr_expect_eq(v.basis, AUTHORITY_ANCESTOR);
	memcpy(k.ancestors[AUTHORITY_LINEAGE_MAX - 1], KEY_X, sizeof(KEY_X));
	authority_over_key(&id, &k, &v);
	cr_expect_not(v.allowed);
	cr_expect_eq(v.basis, AUTHORITY_WIDER);
}

Test(authority, says_what_a_refused_caller_lacks_or_who_outranks_it)
{
	struct authority_verdict v;
	struct lk_buf b;

	memset(&v, 0, sizeof(v));
	v.basis = AUTHORITY_WIDER;
	set_of(&v.missing, "users.write,calls.*");
	buf_init(&b, 4096);
	authority_explain(&v, &b);
	cr_expect(strstr(buf_cstr(&b), "(users.write, calls.*)") != NULL,
	    "%s", buf_cstr(&b));
	cr_expect(strstr(buf_cstr(&b), "keys you made") != NULL);
	buf_reset(&b);
	memset(&v, 0, sizeof(v));
	v.basis = AUTHORITY_OUTRANKED;
	v.creator_rank = ROLE_OWNER;
	v.caller_rank = ROLE_ADMIN;
	authority_explain(&v, &b);
	cr_expect(strstr(buf_cstr(&b), "ranks as owner, above you (admin)") !=
	    NULL, "%s", buf_cstr(&b));
	buf_reset(&b);
	v.basis = AUTHORITY_NO_STANDING;
	authority_explain(&v, &b);
	cr_expect_str_eq(buf_cstr(&b), "this credential manages no API keys");
	buf_reset(&b);
	v.basis = AUTHORITY_WITHIN;
	authority_explain(&v, &b);
	cr_expect_str_eq(buf_cstr(&b), "allowed");
	cr_expect_not(buf_failed(&b));
	buf_free(&b);
}

Test(authority, lets_a_lineage_grow_to_its_bound_and_no_further)
{
	cr_expect(authority_lineage_has_room(0));
	cr_expect(authority_lineage_has_room(AUTHORITY_LINEAGE_MAX - 1));
	cr_expect_not(authority_lineage_has_room(AUTHORITY_LINEAGE_MAX));
	cr_expect_not(authority_lineage_has_room(AUTHORITY_LINEAGE_MAX + 1));
}

/* ---- Directs ---------------------------------------------------------- */

Test(authority, keeps_a_direct_alive_only_while_its_creator_stands)
{
	static const struct {
		const char			*what;
		struct authority_direct_creator	 c;
		enum authority_direct_state	 want;
		const char			*code;
	} cases[] = {
		{ "an active user's", { 0, 0, 0, 0, 0 },
		    AUTHORITY_DIRECT_ALIVE, NULL },
		{ "a disabled or deleted user's", { 0, 0, 1, 0, 0 },
		    AUTHORITY_DIRECT_USER_INACTIVE, "direct_creator_inactive" },
		{ "a service key's, whatever its user", { 1, 0, 1, 0, 0 },
		    AUTHORITY_DIRECT_ALIVE, NULL },
		{ "a live key's", { 0, 1, 0, 0, 2000 },
		    AUTHORITY_DIRECT_ALIVE, NULL },
		{ "a key's that never expires", { 0, 1, 0, 0, 0 },
		    AUTHORITY_DIRECT_ALIVE, NULL },
		{ "a revoked key's", { 0, 1, 0, 1, 0 },
		    AUTHORITY_DIRECT_KEY_REVOKED,
		    "direct_creator_key_revoked" },
		{ "a revoked service-made key's", { 1, 1, 0, 1, 0 },
		    AUTHORITY_DIRECT_KEY_REVOKED,
		    "direct_creator_key_revoked" },
		{ "an expired key's", { 0, 1, 0, 0, 1000 },
		    AUTHORITY_DIRECT_KEY_EXPIRED,
		    "direct_creator_key_expired" },
		{ "a key's expiring this very millisecond",
		    { 0, 1, 0, 0, 1500 },
		    AUTHORITY_DIRECT_KEY_EXPIRED,
		    "direct_creator_key_expired" },
		{ "a live key's whose user is disabled", { 0, 1, 1, 0, 0 },
		    AUTHORITY_DIRECT_USER_INACTIVE, "direct_creator_inactive" },
		{ "a login's, key facts ignored", { 0, 0, 0, 1, 1 },
		    AUTHORITY_DIRECT_ALIVE, NULL },
	};
	enum authority_direct_state st;
	const char *code, *msg;
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		st = authority_direct_creator(&cases[i].c, 1500);
		cr_expect_eq(st, cases[i].want, "%s", cases[i].what);
		authority_direct_refusal(st, &code, &msg);
		if (cases[i].code == NULL) {
			cr_expect_null(code, "%s", cases[i].what);
			cr_expect_null(msg, "%s", cases[i].what);
		} else {
			cr_expect_str_eq(code, cases[i].code, "%s",
			    cases[i].what);
			cr_expect(msg != NULL && strlen(msg) > 0);
		}
	}
}

Test(authority, names_the_route_permissions_a_direct_maker_lacks)
{
	static const char *const routes[] = { "calls.read", "demo.read", "",
	    NULL, "keys.write" };
	struct perm_set missing;
	struct lk_identity id;

	caller_of(&id, CRED_KEY, ROLE_MEMBER, USER_A, KEY_1,
	    "directs.write,calls.*,keys.write");
	cr_expect_eq(authority_direct_missing(&id, routes, NITEMS(routes),
	    &missing), 1);
	cr_assert_eq(missing.n, 1);
	cr_expect_str_eq(missing.items[0], "demo.read");
	caller_of(&id, CRED_SERVICE, ROLE_OWNER, "", "", "*");
	cr_expect_eq(authority_direct_missing(&id, routes, NITEMS(routes),
	    &missing), 0);
	cr_expect_eq(missing.n, 0);
	cr_expect_eq(authority_direct_missing(&id, routes, 0, &missing), 0);
}

Test(authority, counts_every_missing_route_permission_past_a_full_list)
{
	static char names[PERM_SET_MAX + 3][16];
	const char *routes[PERM_SET_MAX + 3];
	struct perm_set missing;
	struct lk_identity id;
	size_t i;

	for (i = 0; i < NITEMS(routes); i++) {
		cr_assert(snprintf(names[i], sizeof(names[i]), "p%zu.read", i) >
		    0);
		routes[i] = names[i];
	}
	caller_of(&id, CRED_JWT, ROLE_MEMBER, USER_A, "", "keys.read");
	cr_expect_eq(authority_direct_missing(&id, routes, NITEMS(routes),
	    &missing), NITEMS(routes));
	cr_expect_eq(missing.n, PERM_SET_MAX);
}

Test(authority, lets_a_direct_pass_only_what_its_creator_still_holds)
{
	struct lk_identity id;

	caller_of(&id, CRED_DIRECT, ROLE_NONE, "", KEY_1, "");
	set_of(&id.creator_perms, "calls.*,demo.read");
	cr_expect(authority_direct_may_pass(&id, NULL));
	cr_expect(authority_direct_may_pass(&id, ""));
	cr_expect(authority_direct_may_pass(&id, "demo.read"));
	cr_expect(authority_direct_may_pass(&id, "calls.x.y"));
	cr_expect_not(authority_direct_may_pass(&id, "demo.write"));
	memset(&id.creator_perms, 0, sizeof(id.creator_perms));
	cr_expect_not(authority_direct_may_pass(&id, "demo.read"));
	cr_expect(authority_direct_may_pass(&id, ""));
}

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
 * new_role, disable, remove, password, current_password, email. */
static const struct user_case user_cases[] = {
	{ "an admin creates a member",
	    { CRED_JWT, A, 0, N, 0, 1, M, 0, 0, 1, 0, 0 }, AUTHORITY_USER_OK },
	{ "an admin creates an admin",
	    { CRED_JWT, A, 0, N, 0, 1, A, 0, 0, 1, 0, 0 }, AUTHORITY_USER_OK },
	{ "an admin cannot create an owner",
	    { CRED_JWT, A, 0, N, 0, 1, O, 0, 0, 1, 0, 0 },
	    AUTHORITY_USER_ROLE_TOO_HIGH },
	{ "a member cannot promote a viewer to admin",
	    { CRED_KEY, M, 0, V, 1, 1, A, 0, 0, 0, 0, 0 },
	    AUTHORITY_USER_ROLE_TOO_HIGH },
	{ "an admin cannot disable an owner",
	    { CRED_JWT, A, 0, O, 1, 2, N, 1, 0, 0, 0, 0 },
	    AUTHORITY_USER_TARGET_TOO_HIGH },
	{ "an admin cannot remove an owner",
	    { CRED_JWT, A, 0, O, 1, 2, N, 0, 1, 0, 0, 0 },
	    AUTHORITY_USER_TARGET_TOO_HIGH },
	{ "an admin cannot change an owner's password",
	    { CRED_JWT, A, 0, O, 1, 1, N, 0, 0, 1, 0, 0 },
	    AUTHORITY_USER_TARGET_TOO_HIGH },
	{ "an admin cannot change another admin's password",
	    { CRED_JWT, A, 0, A, 1, 1, N, 0, 0, 1, 0, 0 },
	    AUTHORITY_USER_PASSWORD_RANK },
	{ "an owner cannot change another owner's password",
	    { CRED_JWT, O, 0, O, 1, 2, N, 0, 0, 1, 0, 0 },
	    AUTHORITY_USER_PASSWORD_RANK },
	{ "an admin changes a member's password",
	    { CRED_JWT, A, 0, M, 1, 1, N, 0, 0, 1, 0, 0 }, AUTHORITY_USER_OK },
	{ "a key cannot change its own creator's password",
	    { CRED_KEY, O, 0, O, 1, 1, N, 0, 0, 1, 0, 0 },
	    AUTHORITY_USER_PASSWORD_RANK },
	{ "a service key changes an owner's password",
	    { CRED_SERVICE, O, 0, O, 1, 1, N, 0, 0, 1, 0, 0 },
	    AUTHORITY_USER_OK },
	{ "one's own password needs the current one",
	    { CRED_JWT, M, 1, M, 1, 1, N, 0, 0, 1, 0, 0 },
	    AUTHORITY_USER_CURRENT_PASSWORD },
	{ "one's own password with the current one",
	    { CRED_JWT, M, 1, M, 1, 1, N, 0, 0, 1, 1, 0 }, AUTHORITY_USER_OK },
	{ "the last owner changes their own password",
	    { CRED_JWT, O, 1, O, 1, 1, N, 0, 0, 1, 1, 0 }, AUTHORITY_USER_OK },
	{ "one's own email needs the current password",
	    { CRED_JWT, V, 1, V, 1, 1, N, 0, 0, 0, 0, 1 },
	    AUTHORITY_USER_CURRENT_PASSWORD },
	{ "one's own email with the current password",
	    { CRED_JWT, V, 1, V, 1, 1, N, 0, 0, 0, 1, 1 }, AUTHORITY_USER_OK },
	{ "one's own email and password need the current password",
	    { CRED_JWT, M, 1, M, 1, 1, N, 0, 0, 1, 0, 1 },
	    AUTHORITY_USER_CURRENT_PASSWORD },
	{ "an admin changes a member's email without a password",
	    { CRED_JWT, A, 0, M, 1, 1, N, 0, 0, 0, 0, 1 }, AUTHORITY_USER_OK },
	{ "an admin changes another admin's email without a password",
	    { CRED_JWT, A, 0, A, 1, 1, N, 0, 0, 0, 0, 1 }, AUTHORITY_USER_OK },
	{ "an admin cannot change an owner's email",
	    { CRED_JWT, A, 0, O, 1, 1, N, 0, 0, 0, 0, 1 },
	    AUTHORITY_USER_TARGET_TOO_HIGH },
	{ "a service key changes an owner's email",
	    { CRED_SERVICE, O, 0, O, 1, 1, N, 0, 0, 0, 0, 1 },
	    AUTHORITY_USER_OK },
	{ "one's own role change needs no current password",
	    { CRED_JWT, O, 1, O, 1, 2, A, 0, 0, 0, 0, 0 }, AUTHORITY_USER_OK },
	{ "the last owner cannot demote themselves",
	    { CRED_JWT, O, 1, O, 1, 1, A, 0, 0, 0, 0, 0 },
	    AUTHORITY_USER_LAST_OWNER },
	{ "the last owner cannot be disabled",
	    { CRED_JWT, O, 0, O, 1, 1, N, 1, 0, 0, 0, 0 },
	    AUTHORITY_USER_LAST_OWNER },
	{ "the last owner cannot be removed",
	    { CRED_JWT, O, 0, O, 1, 1, N, 0, 1, 0, 0, 0 },
	    AUTHORITY_USER_LAST_OWNER },
	{ "one of two owners can be demoted",
	    { CRED_JWT, O, 0, O, 1, 2, A, 0, 0, 0, 0, 0 }, AUTHORITY_USER_OK },
	{ "a disabled owner can go even when one owner is active",
	    { CRED_JWT, O, 0, O, 0, 1, N, 0, 1, 0, 0, 0 }, AUTHORITY_USER_OK },
	{ "the last owner may stay owner",
	    { CRED_JWT, O, 0, O, 1, 1, O, 0, 0, 0, 0, 0 }, AUTHORITY_USER_OK },
	{ "a caller without a role acts on nobody",
	    { CRED_JWT, N, 0, V, 1, 1, N, 0, 1, 0, 0, 0 },
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
		enum lk_role caller, granted;
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
