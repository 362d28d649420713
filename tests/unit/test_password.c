/*
 * test_password.c: unit tests of password.c.
 *
 * Hashes use PASSWORD_COST_MIN so the suite stays fast; the cost only
 * changes the work factor, not the code path.
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>

#include "err.h"
#include "password.h"

#define COST		PASSWORD_COST_MIN
#define BCRYPT_LEN	60
#define PW		"correct horse battery staple"

static void
hash_str(const char *pw, char out[PASSWORD_HASH_MAX])
{
	cr_assert_eq(password_hash(pw, strlen(pw), COST, out), LK_OK);
}

static int
verify_str(const char *pw, const char *hash)
{
	int match = -1;

	cr_assert_eq(password_verify(pw, strlen(pw), hash, &match), LK_OK);
	cr_assert(match == 0 || match == 1);
	return match;
}

Test(password, hashes_and_verifies_a_password)
{
	char hash[PASSWORD_HASH_MAX];

	hash_str(PW, hash);
	cr_assert_eq(strlen(hash), BCRYPT_LEN);
	cr_assert_eq(strncmp(hash, "$2b$04$", 7), 0);
	cr_assert_eq(verify_str(PW, hash), 1);
}

Test(password, does_not_match_a_wrong_password)
{
	char hash[PASSWORD_HASH_MAX];

	hash_str(PW, hash);
	cr_assert_eq(verify_str("correct horse battery stapl", hash), 0);
	cr_assert_eq(verify_str("correct horse battery staplE", hash), 0);
	cr_assert_eq(verify_str(PW "!", hash), 0);
}

Test(password, gives_two_hashes_of_one_password_different_salts)
{
	char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];

	hash_str(PW, a);
	hash_str(PW, b);
	cr_assert_str_neq(a, b);
	cr_assert_eq(verify_str(PW, a), 1);
	cr_assert_eq(verify_str(PW, b), 1);
}

Test(password, checks_lengths_at_the_limits)
{
	char pw[PASSWORD_MAX_LEN + 2];

	memset(pw, 'p', sizeof(pw));
	cr_assert_eq(password_check(pw, 0), LK_EINVAL);
	cr_assert_eq(password_check(pw, PASSWORD_MIN_LEN - 1), LK_EINVAL);
	cr_assert_eq(password_check(pw, PASSWORD_MIN_LEN), LK_OK);
	cr_assert_eq(password_check(pw, PASSWORD_MAX_LEN), LK_OK);
	cr_assert_eq(password_check(pw, PASSWORD_MAX_LEN + 1), LK_ETOOBIG);
	cr_assert_eq(password_check(NULL, 0), LK_EINVAL);
}

Test(password, refuses_to_hash_a_password_of_seven_bytes)
{
	char hash[PASSWORD_HASH_MAX];

	memset(hash, 'x', sizeof(hash));
	cr_assert_eq(password_hash("1234567", 7, COST, hash), LK_EINVAL);
	cr_assert_eq(hash[0], 'x');
}

Test(password, hashes_a_password_of_eight_bytes)
{
	char hash[PASSWORD_HASH_MAX];

	cr_assert_eq(password_hash("12345678", 8, COST, hash), LK_OK);
	cr_assert_eq(verify_str("12345678", hash), 1);
	cr_assert_eq(verify_str("12345679", hash), 0);
}

Test(password, hashes_a_password_of_seventy_two_bytes)
{
	char pw[PASSWORD_MAX_LEN + 1], hash[PASSWORD_HASH_MAX];
	int match = -1;

	memset(pw, 'a', PASSWORD_MAX_LEN);
	pw[PASSWORD_MAX_LEN] = '\0';
	cr_assert_eq(password_hash(pw, PASSWORD_MAX_LEN, COST, hash), LK_OK);
	cr_assert_eq(password_verify(pw, PASSWORD_MAX_LEN, hash, &match),
	    LK_OK);
	cr_assert_eq(match, 1);
	/* The last byte counts. */
	pw[PASSWORD_MAX_LEN - 1] = 'b';
	cr_assert_eq(password_verify(pw, PASSWORD_MAX_LEN, hash, &match),
	    LK_OK);
	cr_assert_eq(match, 0);
}

Test(password, refuses_a_password_of_seventy_three_bytes)
{
	char pw[PASSWORD_MAX_LEN + 1], hash[PASSWORD_HASH_MAX];
	int match = -1;

	memset(pw, 'a', sizeof(pw));
	cr_assert_eq(password_hash(pw, sizeof(pw), COST, hash), LK_ETOOBIG);
	/* bcrypt would ignore byte 73; verify must not let it through. */
	cr_assert_eq(password_hash(pw, PASSWORD_MAX_LEN, COST, hash), LK_OK);
	cr_assert_eq(password_verify(pw, sizeof(pw), hash, &match), LK_OK);
	cr_assert_eq(match, 0);
}

Test(password, refuses_a_password_with_an_embedded_nul)
{
	static const char pw[] = "password\0suffix";
	char hash[PASSWORD_HASH_MAX];
	int match = -1;

	cr_assert_eq(password_check(pw, sizeof(pw) - 1), LK_EINVAL);
	cr_assert_eq(password_hash(pw, sizeof(pw) - 1, COST, hash),
	    LK_EINVAL);
	/* crypt() would stop at the NUL and see "password". */
	hash_str("password", hash);
	cr_assert_eq(password_verify(pw, sizeof(pw) - 1, hash, &match),
	    LK_OK);
	cr_assert_eq(match, 0);
}

Test(password, never_matches_a_password_failing_the_policy)
{
	char hash[PASSWORD_HASH_MAX];
	int match = -1;

	hash_str("12345678", hash);
	cr_assert_eq(password_verify("1234567", 7, hash, &match), LK_OK);
	cr_assert_eq(match, 0);
	match = -1;
	cr_assert_eq(password_verify("", 0, hash, &match), LK_OK);
	cr_assert_eq(match, 0);
	match = -1;
	cr_assert_eq(password_verify(NULL, 0, hash, &match), LK_OK);
	cr_assert_eq(match, 0);
}

Test(password, refuses_a_cost_out_of_range)
{
	char hash[PASSWORD_HASH_MAX];

	cr_assert_eq(password_hash(PW, strlen(PW), PASSWORD_COST_MIN - 1,
	    hash), LK_EINVAL);
	cr_assert_eq(password_hash(PW, strlen(PW), PASSWORD_COST_MAX + 1,
	    hash), LK_EINVAL);
	cr_assert_eq(password_hash(PW, strlen(PW), -1, hash), LK_EINVAL);
	cr_assert_eq(password_hash(PW, strlen(PW), 0, hash), LK_EINVAL);
}

Test(password, refuses_a_hash_that_is_not_bcrypt)
{
	char good[PASSWORD_HASH_MAX], bad[PASSWORD_HASH_MAX + 8];
	const char *const fixed[] = {
		"",
		"$2b$",
		"plaintext-password",
		"$1$saltsalt$abcdefghijklmnopqrstuv",
		"$6$rounds=5000$salt$hash",
		"*0",
	};
	int match = -1;
	size_t i;

	hash_str(PW, good);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		cr_expect_eq(password_verify(PW, strlen(PW), fixed[i], &match),
		    LK_EINVAL, "hash %s", fixed[i]);
	}
	cr_assert_eq(password_verify(PW, strlen(PW), NULL, &match),
	    LK_EINVAL);

	/* One character too short and one too long. */
	memcpy(bad, good, BCRYPT_LEN + 1);
	bad[BCRYPT_LEN - 1] = '\0';
	cr_assert_eq(password_verify(PW, strlen(PW), bad, &match), LK_EINVAL);
	memcpy(bad, good, BCRYPT_LEN);
	memcpy(bad + BCRYPT_LEN, "A", 2);
	cr_assert_eq(password_verify(PW, strlen(PW), bad, &match), LK_EINVAL);

	/* Unknown variant, bad cost, bad separator, bad character. */
	memcpy(bad, good, BCRYPT_LEN + 1);
	bad[2] = 'x';
	cr_assert_eq(password_verify(PW, strlen(PW), bad, &match), LK_EINVAL);
	memcpy(bad, good, BCRYPT_LEN + 1);
	memcpy(bad + 4, "03", 2);
	cr_assert_eq(password_verify(PW, strlen(PW), bad, &match), LK_EINVAL);
	memcpy(bad + 4, "32", 2);
	cr_assert_eq(password_verify(PW, strlen(PW), bad, &match), LK_EINVAL);
	memcpy(bad + 4, "a4", 2);
	cr_assert_eq(password_verify(PW, strlen(PW), bad, &match), LK_EINVAL);
	memcpy(bad, good, BCRYPT_LEN + 1);
	bad[6] = '.';
	cr_assert_eq(password_verify(PW, strlen(PW), bad, &match), LK_EINVAL);
	memcpy(bad, good, BCRYPT_LEN + 1);
	bad[30] = '$';
	cr_assert_eq(password_verify(PW, strlen(PW), bad, &match), LK_EINVAL);
	bad[30] = '+';
	cr_assert_eq(password_verify(PW, strlen(PW), bad, &match), LK_EINVAL);
	cr_assert_eq(match, -1);
}

Test(password, verifies_2a_and_2y_hashes)
{
	char hash[PASSWORD_HASH_MAX];

	/* For ASCII passwords the three variants compute the same hash. */
	hash_str(PW, hash);
	hash[2] = 'a';
	cr_assert_eq(verify_str(PW, hash), 1);
	cr_assert_eq(verify_str(PW "x", hash), 0);
	hash[2] = 'y';
	cr_assert_eq(verify_str(PW, hash), 1);
	cr_assert_eq(verify_str(PW "x", hash), 0);
}

Test(password, does_not_match_a_hash_of_another_salt)
{
	char hash[PASSWORD_HASH_MAX];

	hash_str(PW, hash);
	hash[10] = hash[10] == 'A' ? 'B' : 'A';
	cr_assert_eq(verify_str(PW, hash), 0);
}

Test(password, leaves_match_untouched_on_failure)
{
	int match = 42;

	cr_assert_eq(password_verify(PW, strlen(PW), "nope", &match),
	    LK_EINVAL);
	cr_assert_eq(match, 42);
}
