/*
 * test_credential.c: which credential a request carries, and what is wrong with
 * how it was sent.  credential_extract() is pure; no database is involved.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "credential.h"

#define JWT "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
#define KEY "lk_test_0123456789abcdefABCDEF012345"

static int
extract(const struct credential_input *in, struct credential *c,
    struct credential_fail *f)
{
	memset(c, 0, sizeof(*c));
	memset(f, 0, sizeof(*f));
	return credential_extract(in, c, f);
}

Test(credential, finds_no_credential_in_a_bare_request)
{
	struct credential_input in = { 0 };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), 0);
}

Test(credential, takes_a_jwt_from_a_bearer_header)
{
	struct credential_input in = { .authorization = "Bearer " JWT };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), 1);
	cr_assert_eq(c.kind, CRED_JWT);
	cr_assert_str_eq(c.value, JWT);
}

Test(credential, accepts_the_bearer_scheme_in_any_case)
{
	struct credential_input in = { .authorization = "bearer " JWT };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), 1);
	cr_assert_eq(c.kind, CRED_JWT);
}

Test(credential, takes_an_api_key_from_a_bearer_header)
{
	struct credential_input in = { .authorization = "Bearer " KEY };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), 1);
	cr_assert_eq(c.kind, CRED_KEY);
}

Test(credential, takes_an_api_key_from_x_api_key_and_accesskey)
{
	struct credential_input h = { .x_api_key = KEY };
	struct credential_input q = { .q_accesskey = KEY,
	    .q_accesskey_count = 1 };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&h, &c, &f), 1);
	cr_assert_eq(c.kind, CRED_KEY);
	cr_assert_eq(extract(&q, &c, &f), 1);
	cr_assert_eq(c.kind, CRED_KEY);
}

Test(credential, takes_a_jwt_from_the_token_parameter)
{
	struct credential_input in = { .q_token = JWT, .q_token_count = 1 };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), 1);
	cr_assert_eq(c.kind, CRED_JWT);
}

Test(credential, refuses_a_key_in_the_token_parameter_naming_the_right_one)
{
	struct credential_input in = { .q_token = KEY, .q_token_count = 1 };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), -1);
	cr_assert_eq(f.status, 401);
	cr_assert_str_eq(f.code, "wrong_parameter");
	cr_assert_not_null(strstr(f.message, "accesskey"));
}

Test(credential, refuses_a_jwt_in_the_accesskey_parameter_naming_the_right_one)
{
	struct credential_input in = { .q_accesskey = JWT,
	    .q_accesskey_count = 1 };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), -1);
	cr_assert_eq(f.status, 401);
	cr_assert_str_eq(f.code, "wrong_parameter");
	cr_assert_not_null(strstr(f.message, "?token="));
}

Test(credential, refuses_two_credentials_with_400)
{
	struct credential_input in = { .authorization = "Bearer " JWT,
	    .x_api_key = KEY };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), -1);
	cr_assert_eq(f.status, 400);
	cr_assert_str_eq(f.code, "multiple_credentials");
}

Test(credential, refuses_a_repeated_parameter_with_400)
{
	struct credential_input in = { .q_token = JWT, .q_token_count = 2 };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), -1);
	cr_assert_eq(f.status, 400);
	cr_assert_str_eq(f.code, "duplicate_credentials");
}

Test(credential, refuses_an_authorization_scheme_other_than_bearer)
{
	static const char *const bad[] = { "Basic dXNlcjpwYXNz", "Token x",
	    "Bearer", "BearerX " JWT, "" };
	struct credential c;
	struct credential_fail f;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct credential_input in = { .authorization = bad[i] };

		cr_assert_eq(extract(&in, &c, &f), -1, "%s", bad[i]);
		cr_assert_eq(f.status, 401);
		cr_assert_str_eq(f.code, "invalid_authorization");
	}
}

Test(credential, refuses_an_empty_credential)
{
	struct credential_input in = { .authorization = "Bearer " };
	struct credential_input k = { .x_api_key = "" };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), -1);
	cr_assert_str_eq(f.code, "missing_credentials");
	cr_assert_eq(extract(&k, &c, &f), -1);
	cr_assert_str_eq(f.code, "missing_credentials");
}

Test(credential, names_and_parses_roles)
{
	cr_assert_eq(credential_role_parse("owner"), ROLE_OWNER);
	cr_assert_eq(credential_role_parse("viewer"), ROLE_VIEWER);
	cr_assert_eq(credential_role_parse("Owner"), ROLE_NONE);
	cr_assert_eq(credential_role_parse(NULL), ROLE_NONE);
	cr_assert_str_eq(credential_role_str(ROLE_ADMIN), "admin");
	cr_assert(ROLE_OWNER > ROLE_ADMIN && ROLE_ADMIN > ROLE_MEMBER &&
	    ROLE_MEMBER > ROLE_VIEWER);
}

Test(credential, takes_a_service_key_from_x_internal_key)
{
	struct credential_input in = { .x_internal_key = "svc-secret" };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), 1);
	cr_assert_eq(c.kind, CRED_SERVICE);
	cr_assert_eq(c.bearer, 0);
}

Test(credential, marks_a_bearer_credential_so_a_service_key_may_hide_there)
{
	struct credential_input in = { .authorization = "Bearer svc-secret" };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), 1);
	cr_assert_eq(c.bearer, 1);
}

Test(credential, refuses_a_service_key_beside_another_credential)
{
	struct credential_input in = { .x_internal_key = "svc",
	    .x_api_key = KEY };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), -1);
	cr_assert_eq(f.status, 400);
	cr_assert_str_eq(f.code, "multiple_credentials");
}

Test(credential, recognises_service_keys_by_their_hash_only)
{
	/* SHA-256("test") */
	static const unsigned char keys[2][32] = {
		{ 0 },
		{ 0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f,
		  0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15, 0xa3, 0xbf, 0x4f, 0x1b,
		  0x2b, 0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0,
		  0x0a, 0x08 },
	};

	cr_assert_eq(credential_service_key(keys, 2, "test", 4), 1);
	cr_assert_eq(credential_service_key(keys, 2, "tesT", 4), 0);
	cr_assert_eq(credential_service_key(keys, 1, "test", 4), 0);
	cr_assert_eq(credential_service_key(keys, 0, "test", 4), 0);
}

#define SESSION "lks_0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"

Test(credential, takes_the_session_cookie_when_nothing_else_was_sent)
{
	struct credential_input in =
	    { .cookie = "theme=dark; lk_session=" SESSION };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), 1);
	cr_assert_eq(c.kind, CRED_JWT);
	cr_assert(c.cookie);
	cr_assert_eq(c.len, strlen(SESSION));
	cr_assert(strncmp(c.value, SESSION, c.len) == 0);
}

Test(credential, lets_an_explicit_credential_win_over_the_session_cookie)
{
	static const struct credential_input ins[] = {
		{ .authorization = "Bearer " JWT,
		    .cookie = "lk_session=" SESSION },
		{ .x_api_key = KEY, .cookie = "lk_session=" SESSION },
		{ .q_accesskey = KEY, .q_accesskey_count = 1,
		    .cookie = "lk_session=" SESSION },
	};
	struct credential c;
	struct credential_fail f;
	size_t i;

	for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		cr_expect_eq(extract(&ins[i], &c, &f), 1, "case %zu", i);
		cr_expect_not(c.cookie, "case %zu", i);
	}
}

Test(credential, refuses_two_session_cookies_with_400)
{
	struct credential_input in = {
		.cookie = "lk_session=" SESSION "; lk_session=" SESSION };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), -1);
	cr_assert_eq(f.status, 400);
	cr_assert_str_eq(f.code, "duplicate_credentials");
}

Test(credential, finds_no_credential_in_other_cookies)
{
	struct credential_input in = { .cookie = "theme=dark; xlk_session=1" };
	struct credential c;
	struct credential_fail f;

	cr_assert_eq(extract(&in, &c, &f), 0);
}

Test(credential, names_every_credential_kind_as_the_api_spells_it)
{
	static const struct {
		enum credential_kind	 kind;
		const char	*name;
	} cases[] = {
		{ CRED_JWT, "user" }, { CRED_KEY, "api_key" },
		{ CRED_SERVICE, "service" }, { CRED_DIRECT, "direct" },
		{ CRED_NONE, "none" }, { (enum credential_kind)99, "none" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_str_eq(credential_kind_str(cases[i].kind),
		    cases[i].name, "case %zu", i);
	}
	cr_expect_str_eq(credential_role_str((enum lk_role)99), "none");
	cr_expect_str_eq(credential_role_str(ROLE_NONE), "none");
	cr_expect_eq(credential_role_parse("none"), ROLE_NONE);
}

Test(credential, splits_a_permission_list_and_refuses_empty_or_long_items)
{
	static const struct {
		const char	*list;
		enum lk_err	 want;
		size_t		 n;
	} cases[] = {
		{ "", LK_OK, 0 },
		{ "keys.read", LK_OK, 1 },
		{ "keys.read,calls.*,*", LK_OK, 3 },
		{ "keys.read,keys.read", LK_OK, 1 },	/* no duplicates */
		/* A trailing comma ends the list (the lists come from the
		 * database, which never writes one). */
		{ "keys.read,", LK_OK, 1 },
		{ ",keys.read", LK_EINVAL, 0 },
		{ "a,,b", LK_EINVAL, 0 },
		{ "Keys.read", LK_EINVAL, 0 },
	};
	struct perm_set set;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(credential_perms_split(cases[i].list,
		    strlen(cases[i].list), &set), cases[i].want, "case %zu",
		    i);
		if (cases[i].want == LK_OK) {
			cr_expect_eq(set.n, cases[i].n, "case %zu", i);
		}
	}
}

Test(credential, splits_items_at_the_name_limit_and_refuses_one_past)
{
	char item[PERM_NAME_MAX + 2];
	struct perm_set set;

	memset(item, 'a', sizeof(item));
	cr_expect_eq(credential_perms_split(item, PERM_NAME_MAX, &set), LK_OK);
	cr_expect_eq(set.n, (size_t)1);
	cr_expect_eq(credential_perms_split(item, PERM_NAME_MAX + 1, &set),
	    LK_EINVAL);
}

Test(credential, splits_up_to_a_full_set_and_refuses_one_more)
{
	char list[(PERM_SET_MAX + 1) * 8];
	struct perm_set set;
	size_t i, n = 0;

	for (i = 0; i < PERM_SET_MAX + 1; i++) {
		int k = snprintf(list + n, sizeof(list) - n, "%sp%zu",
		    i > 0 ? "," : "", i);

		cr_assert(k > 0 && (size_t)k < sizeof(list) - n);
		n += (size_t)k;
	}
	cr_expect_eq(credential_perms_split(list, n, &set), LK_ETOOBIG);
	cr_expect_eq(credential_perms_split(list, (size_t)(strrchr(list, ',') -
	    list), &set), LK_OK);
	cr_expect_eq(set.n, (size_t)PERM_SET_MAX);
}

Test(credential, parses_a_postgresql_array_of_patterns)
{
	struct perm_set set;

	cr_expect_eq(credential_perm_array_parse("{keys.read,calls.*}", &set),
	    LK_OK);
	cr_expect_eq(set.n, (size_t)2);
	cr_expect_eq(credential_perm_array_parse("{}", &set), LK_OK);
	cr_expect_eq(set.n, (size_t)0);
	cr_expect_eq(credential_perm_array_parse("keys.read", &set), LK_EINVAL);
	cr_expect_eq(set.n, (size_t)0);
	cr_expect_eq(credential_perm_array_parse("{", &set), LK_EINVAL);
	cr_expect_eq(credential_perm_array_parse("{\"a b\"}", &set), LK_EINVAL);
}

Test(credential, refuse_fills_the_failure_and_returns_minus_one)
{
	struct credential_fail f;

	memset(&f, 0, sizeof(f));
	cr_expect_eq(credential_refuse(&f, 401, "code", "msg"), -1);
	cr_expect_eq(f.status, 401);
	cr_expect_str_eq(f.code, "code");
	cr_expect_str_eq(f.message, "msg");
}
