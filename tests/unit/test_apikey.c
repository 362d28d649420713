/*
 * test_apikey.c: unit tests of apikey.c.
 *
 * This binary links no libpq (the Makefile links it against apikey.o,
 * err.o and libcrypto only), so every parse below runs with no database
 * to ask: a mistyped key is refused by its shape and checksum alone.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/sha.h>

#include "apikey.h"
#include "err.h"

/* Known answers: CRC-32 (zlib) of the head and secret, in base62. */
#define KNOWN_LIVE	"lk_live_0123456789ABCDEFGHIJKL1j0kuL"
#define KNOWN_LIVE_HEX	"80918e295b834cc35b6b2a040929e1dc" \
			"048d4be6a6834c2284f45e85e22e8efc"
#define KNOWN_TEST	"ak_test_zzzzzzzzzzzzzzzzzzzzzz0TFOfR"

static const char base62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static enum lk_err
parse_str(const char *key, const char *expected, struct apikey *out)
{
	return apikey_parse(key, strlen(key), expected, out);
}

static void
generate(const char *prefix, enum apikey_mode mode, char *out, size_t outsz,
    struct apikey *parsed)
{
	cr_assert_eq(apikey_generate(prefix, mode, out, outsz, parsed), LK_OK);
}

Test(apikey, generates_a_live_key_that_parses_back)
{
	char key[APIKEY_MAX_LEN + 1];
	struct apikey gen, parsed;

	generate("lk", APIKEY_LIVE, key, sizeof(key), &gen);
	cr_assert_eq(strlen(key), 2 + 6 + APIKEY_SECRET_LEN +
	    APIKEY_CHECKSUM_LEN);
	cr_assert_eq(strncmp(key, "lk_live_", 8), 0);
	cr_assert_eq(parse_str(key, "lk", &parsed), LK_OK);
	cr_assert_str_eq(parsed.prefix, "lk");
	cr_assert_eq(parsed.mode, APIKEY_LIVE);
	cr_assert_str_eq(parsed.display, "lk_live_");
	cr_assert_str_eq(parsed.last4, key + strlen(key) - 4);
	cr_assert_str_eq(gen.prefix, parsed.prefix);
	cr_assert_eq(gen.mode, parsed.mode);
	cr_assert_str_eq(gen.display, parsed.display);
	cr_assert_str_eq(gen.last4, parsed.last4);
	cr_assert_eq(memcmp(gen.hash, parsed.hash, APIKEY_HASH_LEN), 0);
}

Test(apikey, generates_a_test_key_that_parses_back)
{
	char key[APIKEY_MAX_LEN + 1];
	struct apikey gen, parsed;

	generate("lk", APIKEY_TEST, key, sizeof(key), &gen);
	cr_assert_eq(strncmp(key, "lk_test_", 8), 0);
	cr_assert_eq(parse_str(key, NULL, &parsed), LK_OK);
	cr_assert_eq(parsed.mode, APIKEY_TEST);
	cr_assert_eq(gen.mode, APIKEY_TEST);
	cr_assert_str_eq(parsed.display, "lk_test_");
}

Test(apikey, generates_keys_with_custom_prefixes)
{
	static const char *const prefixes[] = {
		"ak", "ck", "lk", "x", "0", "Acme2024", "abcdefghijklmnop",
	};
	char key[APIKEY_MAX_LEN + 1], display[APIKEY_PREFIX_MAX + 7];
	struct apikey parsed;
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		generate(prefixes[i], APIKEY_LIVE, key, sizeof(key), NULL);
		cr_assert_eq(parse_str(key, prefixes[i], &parsed), LK_OK,
		    "key %s", key);
		cr_assert_str_eq(parsed.prefix, prefixes[i]);
		cr_assert_eq(snprintf(display, sizeof(display), "%s_live_",
		    prefixes[i]), (int)strlen(prefixes[i]) + 6);
		cr_assert_str_eq(parsed.display, display);
	}
}

Test(apikey, generates_base62_secrets_that_differ)
{
	char a[APIKEY_MAX_LEN + 1], b[APIKEY_MAX_LEN + 1];
	struct apikey parsed;
	size_t i, j;

	for (i = 0; i < 200; i++) {
		generate("lk", APIKEY_LIVE, a, sizeof(a), NULL);
		generate("lk", APIKEY_LIVE, b, sizeof(b), NULL);
		cr_assert_str_neq(a, b);
		for (j = strlen("lk_live_"); a[j] != '\0'; j++) {
			cr_assert_not_null(strchr(base62, a[j]));
		}
		cr_assert_eq(parse_str(a, "lk", &parsed), LK_OK);
	}
}

Test(apikey, parses_known_keys_and_their_checksums)
{
	struct apikey k;
	char hex[2 * APIKEY_HASH_LEN + 1];

	cr_assert_eq(parse_str(KNOWN_LIVE, "lk", &k), LK_OK);
	cr_assert_str_eq(k.prefix, "lk");
	cr_assert_eq(k.mode, APIKEY_LIVE);
	cr_assert_str_eq(k.display, "lk_live_");
	cr_assert_str_eq(k.last4, "0kuL");
	apikey_hex(k.hash, hex);
	cr_assert_str_eq(hex, KNOWN_LIVE_HEX);

	cr_assert_eq(parse_str(KNOWN_TEST, "ak", &k), LK_OK);
	cr_assert_eq(k.mode, APIKEY_TEST);
	cr_assert_str_eq(k.display, "ak_test_");
	cr_assert_str_eq(k.last4, "FOfR");
}

Test(apikey, hashes_the_whole_key_with_sha256)
{
	char key[APIKEY_MAX_LEN + 1];
	unsigned char want[SHA256_DIGEST_LENGTH];
	struct apikey k;

	generate("ck", APIKEY_TEST, key, sizeof(key), &k);
	cr_assert_not_null(SHA256((const unsigned char *)key, strlen(key),
	    want));
	cr_assert_eq(memcmp(k.hash, want, APIKEY_HASH_LEN), 0);
}

Test(apikey, rejects_every_single_character_substitution)
{
	static const char extra[] = "_-.+/= ~\t\n\x7f\x80\xff";
	char key[APIKEY_MAX_LEN + 1], bad[APIKEY_MAX_LEN + 1];
	struct apikey out;
	size_t len, i, j, tried = 0;
	char alphabet[sizeof(base62) + sizeof(extra)];

	memcpy(alphabet, base62, sizeof(base62) - 1);
	memcpy(alphabet + sizeof(base62) - 1, extra, sizeof(extra));
	generate("lk", APIKEY_LIVE, key, sizeof(key), NULL);
	len = strlen(key);
	for (i = 0; i < len; i++) {
		for (j = 0; alphabet[j] != '\0'; j++) {
			if (alphabet[j] == key[i]) {
				continue;
			}
			memcpy(bad, key, len + 1);
			bad[i] = alphabet[j];
			cr_expect_eq(apikey_parse(bad, len, NULL, &out),
			    LK_EINVAL, "position %zu char %#x", i,
			    (unsigned char)alphabet[j]);
			tried++;
		}
		/* A NUL within the counted length is a substitution too. */
		memcpy(bad, key, len + 1);
		bad[i] = '\0';
		cr_expect_eq(apikey_parse(bad, len, NULL, &out), LK_EINVAL,
		    "position %zu NUL", i);
	}
	cr_assert_geq(tried, len * (sizeof(base62) - 2));
}

Test(apikey, rejects_a_key_whose_checksum_does_not_match)
{
	char bad[] = KNOWN_LIVE;
	struct apikey out;

	bad[sizeof(bad) - 2] = 'M';
	cr_assert_eq(parse_str(bad, NULL, &out), LK_EINVAL);
}

Test(apikey, rejects_a_checksum_above_32_bits)
{
	/* "4gfFC3" is 2^32 - 1; "4gfFC4" and "zzzzzz" do not fit. */
	struct apikey out;

	cr_assert_eq(parse_str("lk_live_0123456789ABCDEFGHIJKL4gfFC4", NULL,
	    &out), LK_EINVAL);
	cr_assert_eq(parse_str("lk_live_0123456789ABCDEFGHIJKLzzzzzz", NULL,
	    &out), LK_EINVAL);
}

Test(apikey, rejects_every_truncation)
{
	struct apikey out;
	size_t n, len = strlen(KNOWN_LIVE);

	cr_assert_eq(apikey_parse(KNOWN_LIVE, len - 1, NULL, &out), LK_EINVAL);
	for (n = 0; n < len; n++) {
		cr_expect_eq(apikey_parse(KNOWN_LIVE, n, NULL, &out), LK_EINVAL,
		    "length %zu", n);
	}
}

Test(apikey, rejects_a_key_with_a_character_appended)
{
	struct apikey out;

	cr_assert_eq(parse_str(KNOWN_LIVE "0", NULL, &out), LK_EINVAL);
	cr_assert_eq(parse_str("0" KNOWN_LIVE, NULL, &out), LK_EINVAL);
}

Test(apikey, rejects_a_key_with_the_wrong_prefix)
{
	struct apikey out;

	cr_assert_eq(parse_str(KNOWN_LIVE, "ak", &out), LK_EINVAL);
	cr_assert_eq(parse_str(KNOWN_LIVE, "l", &out), LK_EINVAL);
	cr_assert_eq(parse_str(KNOWN_LIVE, "lkk", &out), LK_EINVAL);
	cr_assert_eq(parse_str(KNOWN_LIVE, "LK", &out), LK_EINVAL);
	cr_assert_eq(parse_str(KNOWN_LIVE, "", &out), LK_EINVAL);
	cr_assert_eq(parse_str(KNOWN_LIVE, "lk", &out), LK_OK);
}

Test(apikey, rejects_a_key_with_a_bad_mode)
{
	static const char *const keys[] = {
		"lk_prod_0123456789ABCDEFGHIJKL1j0kuL",
		"lk_LIVE_0123456789ABCDEFGHIJKL1j0kuL",
		"lk_liv_0123456789ABCDEFGHIJKL1j0kuL",
		"lk_lives_0123456789ABCDEFGHIJKL1j0kuL",
		"lk__0123456789ABCDEFGHIJKL1j0kuL",
		"lk_live0123456789ABCDEFGHIJKL1j0kuL",
	};
	struct apikey out;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		cr_expect_eq(parse_str(keys[i], NULL, &out), LK_EINVAL, "%s",
		    keys[i]);
	}
}

Test(apikey, rejects_a_key_over_the_maximum_length_unread)
{
	char key[APIKEY_MAX_LEN + 1], big[APIKEY_MAX_LEN + 2];
	struct apikey out;

	/* A 16-character prefix makes a key of exactly the maximum. */
	generate("abcdefghijklmnop", APIKEY_LIVE, key, sizeof(key), NULL);
	cr_assert_eq(strlen(key), APIKEY_MAX_LEN);
	cr_assert_eq(apikey_parse(key, APIKEY_MAX_LEN, NULL, &out), LK_OK);
	memcpy(big, key, APIKEY_MAX_LEN);
	memcpy(big + APIKEY_MAX_LEN, "0", 2);
	cr_assert_eq(apikey_parse(big, APIKEY_MAX_LEN + 1, NULL, &out),
	    LK_ETOOBIG);
	cr_assert_eq(apikey_parse(NULL, APIKEY_MAX_LEN + 1, NULL, NULL),
	    LK_ETOOBIG);
	cr_assert_eq(apikey_parse("", 0, NULL, &out), LK_EINVAL);
}

Test(apikey, rejects_a_prefix_of_seventeen_characters)
{
	struct apikey out;

	/* 17 + 34 = 51 > APIKEY_MAX_LEN, so only the length is checked. */
	cr_assert_eq(parse_str("abcdefghijklmnopq_live_"
	    "0123456789ABCDEFGHIJKL000000", NULL, &out), LK_ETOOBIG);
	/* Within the length, the prefix itself is refused. */
	cr_assert_eq(parse_str("abcdefghijklmnopq_live_"
	    "0123456789ABCDEFGHIJKL00000", NULL, &out), LK_EINVAL);
}

Test(apikey, leaves_the_result_untouched_on_failure)
{
	struct apikey out, before;
	char key[8];

	memset(&out, 0x5a, sizeof(out));
	before = out;
	cr_assert_eq(parse_str("lk_live_0123456789ABCDEFGHIJKL1j0kuM", NULL,
	    &out), LK_EINVAL);
	cr_assert_eq(memcmp(&out, &before, sizeof(out)), 0);
	memset(key, 'x', sizeof(key));
	cr_assert_eq(apikey_generate("lk", APIKEY_LIVE, key, sizeof(key),
	    &out), LK_ETOOBIG);
	cr_assert_eq(memcmp(&out, &before, sizeof(out)), 0);
	cr_assert_eq(key[0], 'x');
}

Test(apikey, refuses_to_generate_into_a_buffer_too_small)
{
	char key[APIKEY_MAX_LEN + 1];
	size_t len = 2 + 6 + APIKEY_SECRET_LEN + APIKEY_CHECKSUM_LEN;

	cr_assert_eq(apikey_generate("lk", APIKEY_LIVE, key, len, NULL),
	    LK_ETOOBIG);
	cr_assert_eq(apikey_generate("lk", APIKEY_LIVE, key, 0, NULL),
	    LK_ETOOBIG);
	cr_assert_eq(apikey_generate("lk", APIKEY_LIVE, key, len + 1, NULL),
	    LK_OK);
	cr_assert_eq(strlen(key), len);
}

Test(apikey, refuses_to_generate_with_a_bad_prefix_or_mode)
{
	char key[APIKEY_MAX_LEN + 1];

	cr_assert_eq(apikey_generate("", APIKEY_LIVE, key, sizeof(key), NULL),
	    LK_EINVAL);
	cr_assert_eq(apikey_generate("l_k", APIKEY_LIVE, key, sizeof(key),
	    NULL), LK_EINVAL);
	cr_assert_eq(apikey_generate(NULL, APIKEY_LIVE, key, sizeof(key),
	    NULL), LK_EINVAL);
	cr_assert_eq(apikey_generate("lk", (enum apikey_mode)7, key,
	    sizeof(key), NULL), LK_EINVAL);
}

Test(apikey, tells_valid_prefixes)
{
	static const struct {
		const char	*s;
		int		 want;
	} cases[] = {
		{ "lk", 1 }, { "a", 1 }, { "Z9", 1 },
		{ "abcdefghijklmnop", 1 },
		{ "abcdefghijklmnopq", 0 },
		{ "", 0 }, { "l_k", 0 }, { "l-k", 0 }, { "lk_", 0 },
		{ "l k", 0 }, { "l.k", 0 }, { "\xc3\xa9", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(apikey_prefix_valid(cases[i].s), cases[i].want,
		    "%s", cases[i].s);
	}
	cr_assert_eq(apikey_prefix_valid(NULL), 0);
}

Test(apikey, names_and_parses_modes)
{
	enum apikey_mode m = APIKEY_TEST;

	cr_assert_str_eq(apikey_mode_str(APIKEY_LIVE), "live");
	cr_assert_str_eq(apikey_mode_str(APIKEY_TEST), "test");
	cr_assert_eq(apikey_mode_parse("live", &m), LK_OK);
	cr_assert_eq(m, APIKEY_LIVE);
	cr_assert_eq(apikey_mode_parse("test", &m), LK_OK);
	cr_assert_eq(m, APIKEY_TEST);
	cr_assert_eq(apikey_mode_parse("Live", &m), LK_EINVAL);
	cr_assert_eq(apikey_mode_parse("prod", &m), LK_EINVAL);
	cr_assert_eq(apikey_mode_parse("", &m), LK_EINVAL);
	cr_assert_eq(apikey_mode_parse("testing", &m), LK_EINVAL);
	cr_assert_eq(apikey_mode_parse(NULL, &m), LK_EINVAL);
	cr_assert_eq(m, APIKEY_TEST);
}

Test(apikey, tells_a_key_shape_from_other_strings)
{
	static const struct {
		const char	*s;
		int		 want;
	} cases[] = {
		{ KNOWN_LIVE, 1 },
		{ KNOWN_TEST, 1 },
		{ "lk_live_x", 1 },
		{ "lk_live_0123456789ABCDEFGHIJKL1j0kuM", 1 },	/* bad sum */
		{ "lk_live_", 0 },
		{ "lk_prod_abc", 0 },
		{ "_live_abc", 0 },
		{ "abcdefghijklmnopq_live_abc", 0 },
		{ "lk_live_abc.def", 0 },
		{ "lk_live_abc_def", 0 },
		{ "eyJhbGciOiJIUzI1NiJ9.e30.sig", 0 },
		{ "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(apikey_looks_like(cases[i].s, strlen(cases[i].s)),
		    cases[i].want, "%s", cases[i].s);
	}
	cr_assert_eq(apikey_looks_like(NULL, 0), 0);
}

Test(apikey, writes_lower_case_hex)
{
	unsigned char hash[APIKEY_HASH_LEN];
	char hex[2 * APIKEY_HASH_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(hash); i++) {
		hash[i] = (unsigned char)(i * 8 + 7);
	}
	apikey_hex(hash, hex);
	cr_assert_str_eq(hex, "070f171f272f373f474f575f676f777f"
	    "878f979fa7afb7bfc7cfd7dfe7eff7ff");
}

Test(apikey, parses_a_key_without_any_database)
{
	/* See the top of this file: nothing here could reach a database. */
	struct apikey out;

	cr_assert_eq(parse_str(KNOWN_LIVE, "lk", &out), LK_OK);
	cr_assert_eq(parse_str("lk_live_0123456789ABCDEFGHIJK", "lk", &out),
	    LK_EINVAL);
}
