/*
 * test_digest.c: SHA-256 and HMAC-SHA256 against the published test
 * vectors (FIPS 180-2, RFC 4231), repeated so that the kept contexts are
 * reused, and with the key changing between calls; keys made ready once
 * against OpenSSL's one-shot HMAC().
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

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

/* RFC 4231, test cases 6 and 7: a 131-byte key, longer than the block. */
Test(digest, macs_the_rfc_4231_vectors_whose_key_is_longer_than_a_block)
{
	static const char *const msgs[] = {
		"Test Using Larger Than Block-Size Key - Hash Key First",
		"This is a test using a larger than block-size key and a "
		    "larger than block-size data. The key needs to be hashed "
		    "before being used by the HMAC algorithm.",
	};
	static const char *const want[] = {
		"60e431591ee0b67f0d8a26aacbf5b77f"
		    "8e0bc6213728c5140546040f0ee37f54",
		"9b09ffa71b942fcb27635fbcd5b0e944"
		    "bfdc63644f0713938a7f51535c3a35e2",
	};
	unsigned char key[131], mac[DIGEST_SHA256_LEN];
	char h[2 * DIGEST_SHA256_LEN + 1];
	struct digest_hmac_key *k = NULL;
	size_t i;

	memset(key, 0xaa, sizeof(key));
	cr_assert_eq(digest_hmac_key_new(key, sizeof(key), &k), LK_OK);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(digest_hmac_keyed(k, msgs[i], strlen(msgs[i]),
		    mac), LK_OK);
		hex(mac, sizeof(mac), h);
		cr_assert_str_eq(h, want[i]);
		cr_assert_eq(digest_hmac_sha256(key, sizeof(key), msgs[i],
		    strlen(msgs[i]), mac), LK_OK);
		hex(mac, sizeof(mac), h);
		cr_assert_str_eq(h, want[i]);
	}
	digest_hmac_key_free(k);
}

/*
 * A key made ready once gives what OpenSSL's one-shot HMAC() gives, for
 * keys shorter than, as long as and longer than SHA-256's 64-byte block
 * (up to the limit), and messages around each block boundary (55 and 56
 * bytes: the length still fits in the last block, or not); each ready
 * key serves every message, in turn, so a MAC must not disturb it.
 */
Test(digest, macs_with_a_ready_key_as_openssl_hmac_does)
{
	static const size_t keylens[] = { 1, 20, 32, 63, 64, 65, 100, 131,
	    DIGEST_HMAC_KEY_MAX };
	static const size_t msglens[] = { 0, 1, 55, 56, 63, 64, 65, 119, 120,
	    128, 237, 1000 };
	static unsigned char key[DIGEST_HMAC_KEY_MAX], msg[1000];
	unsigned char mac[DIGEST_SHA256_LEN], one[DIGEST_SHA256_LEN],
	    want[EVP_MAX_MD_SIZE];
	struct digest_hmac_key *k;
	unsigned int wantlen;
	size_t i, j, round;

	for (i = 0; i < sizeof(key); i++) {
		key[i] = (unsigned char)(i * 7 + 3);
	}
	for (i = 0; i < sizeof(msg); i++) {
		msg[i] = (unsigned char)(i * 13 + 5);
	}
	for (i = 0; i < sizeof(keylens) / sizeof(keylens[0]); i++) {
		k = NULL;
		cr_assert_eq(digest_hmac_key_new(key, keylens[i], &k), LK_OK);
		for (round = 0; round < 2; round++) {
			for (j = 0; j < sizeof(msglens) / sizeof(msglens[0]);
			    j++) {
				wantlen = 0;
				cr_assert_not_null(HMAC(EVP_sha256(), key,
				    (int)keylens[i], msg, msglens[j], want,
				    &wantlen));
				cr_assert_eq(wantlen, DIGEST_SHA256_LEN);
				cr_assert_eq(digest_hmac_keyed(k, msg,
				    msglens[j], mac), LK_OK);
				cr_assert(memcmp(mac, want, wantlen) == 0,
				    "key %zu bytes, message %zu bytes",
				    keylens[i], msglens[j]);
				cr_assert_eq(digest_hmac_sha256(key,
				    keylens[i], msg, msglens[j], one), LK_OK);
				cr_assert(memcmp(one, want, wantlen) == 0,
				    "one-shot: key %zu, message %zu",
				    keylens[i], msglens[j]);
			}
		}
		digest_hmac_key_free(k);
	}
}

Test(digest, refuses_to_make_ready_a_key_empty_or_over_the_limit)
{
	static unsigned char key[DIGEST_HMAC_KEY_MAX + 1];
	unsigned char mac[DIGEST_SHA256_LEN];
	struct digest_hmac_key *k = NULL, *sentinel = (void *)&k;

	k = sentinel;
	cr_assert_eq(digest_hmac_key_new(key, 0, &k), LK_EINVAL);
	cr_assert_eq(k, sentinel);
	cr_assert_eq(digest_hmac_key_new(NULL, 32, &k), LK_EINVAL);
	cr_assert_eq(k, sentinel);
	cr_assert_eq(digest_hmac_key_new(key, DIGEST_HMAC_KEY_MAX + 1, &k),
	    LK_EINVAL);
	cr_assert_eq(k, sentinel);
	cr_assert_eq(digest_hmac_sha256(key, DIGEST_HMAC_KEY_MAX + 1, "x", 1,
	    mac), LK_EINVAL);
	cr_assert_eq(digest_hmac_key_new(key, DIGEST_HMAC_KEY_MAX, &k),
	    LK_OK);
	cr_assert_neq(k, sentinel);
	digest_hmac_key_free(k);
	digest_hmac_key_free(NULL);	/* fine */
}
