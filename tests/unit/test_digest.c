/*
 * test_digest.c: SHA-256 and HMAC-SHA256 against the published test
 * vectors (FIPS 180-2, RFC 4231), repeated so that the kept contexts are
 * reused, and with the key changing between calls.
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>

#include "digest.h"

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static const struct {
	const char	*msg;
	const char	*sha256;
} sha_cases[] = {
	{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
};

Test(digest, hashes_the_fips_vectors_again_and_again)
{
	unsigned char md[DIGEST_SHA256_LEN];
	char h[2 * DIGEST_SHA256_LEN + 1];
	size_t i, round;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < sizeof(sha_cases) / sizeof(sha_cases[0]); i++) {
			cr_assert_eq(digest_sha256(sha_cases[i].msg,
			    strlen(sha_cases[i].msg), md), LK_OK);
			hex(md, sizeof(md), h);
			cr_assert_str_eq(h, sha_cases[i].sha256);
		}
	}
}

/* RFC 4231, test cases 1 and 2, alternating so that each call re-keys. */
Test(digest, macs_the_rfc_4231_vectors_with_the_key_changing)
{
	unsigned char key1[20], mac[DIGEST_SHA256_LEN];
	char h[2 * DIGEST_SHA256_LEN + 1];
	size_t round;

	memset(key1, 0x0b, sizeof(key1));
	for (round = 0; round < 3; round++) {
		cr_assert_eq(digest_hmac_sha256(key1, sizeof(key1),
		    "Hi There", 8, mac), LK_OK);
		hex(mac, sizeof(mac), h);
		cr_assert_str_eq(h, "b0344c61d8db38535ca8afceaf0bf12b"
		    "881dc200c9833da726e9376c2e32cff7");
		cr_assert_eq(digest_hmac_sha256((const unsigned char *)"Jefe",
		    4, "what do ya want for nothing?", 28, mac), LK_OK);
		hex(mac, sizeof(mac), h);
		cr_assert_str_eq(h, "5bdcc146bf60754e6a042426089575c7"
		    "5a003f089d2739839dec58b964ec3843");
	}
}

/* Three keys in turn: more than the contexts kept, so each is keyed
 * again after it was evicted. */
Test(digest, macs_right_when_more_keys_than_it_keeps_take_turns)
{
	static const char *const keys[] = { "key one", "key two", "key 3" };
	unsigned char mac[DIGEST_SHA256_LEN], want[3][DIGEST_SHA256_LEN];
	size_t i, round;

	for (i = 0; i < 3; i++) {
		cr_assert_eq(digest_hmac_sha256((const unsigned char *)keys[i],
		    strlen(keys[i]), "msg", 3, want[i]), LK_OK);
	}
	cr_assert(memcmp(want[0], want[1], sizeof(want[0])) != 0);
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 3; i++) {
			cr_assert_eq(digest_hmac_sha256(
			    (const unsigned char *)keys[(i + round) % 3],
			    strlen(keys[(i + round) % 3]), "msg", 3, mac),
			    LK_OK);
			cr_assert(memcmp(mac, want[(i + round) % 3],
			    sizeof(mac)) == 0);
		}
	}
}

Test(digest, refuses_an_empty_hmac_key)
{
	unsigned char mac[DIGEST_SHA256_LEN];

	cr_assert_eq(digest_hmac_sha256((const unsigned char *)"", 0, "x", 1,
	    mac), LK_EINVAL);
}
