/*
 * fuzz_apikey.c: apikey_parse() and apikey_looks_like() on any bytes.
 *
 * Invariants: a key that parses is at most APIKEY_MAX_LEN long, looks
 * like a key, and parses to the same result twice; its display and last4
 * are what the key says.  A key from apikey_generate() (the prefix taken
 * from the input when it is a valid one) parses to what generate said,
 * and every one-byte change of it is refused.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "apikey.h"
#include "fuzz.h"

static void
check_parsed(const uint8_t *data, size_t size, const struct apikey *k)
{
	struct apikey again;
	size_t plen = strlen(k->prefix);

	FUZZ_CHECK(size <= APIKEY_MAX_LEN);
	FUZZ_CHECK(apikey_looks_like((const char *)data, size) == 1);
	FUZZ_CHECK(plen >= 1 && plen <= APIKEY_PREFIX_MAX);
	FUZZ_CHECK(apikey_prefix_valid(k->prefix));
	FUZZ_CHECK(memcmp(data, k->prefix, plen) == 0);
	FUZZ_CHECK(k->mode == APIKEY_LIVE || k->mode == APIKEY_TEST);
	FUZZ_CHECK(memcmp(data + plen + 1, apikey_mode_str(k->mode), 4) == 0);
	FUZZ_CHECK(strlen(k->last4) == APIKEY_LAST4_LEN);
	FUZZ_CHECK(memcmp(data + size - APIKEY_LAST4_LEN, k->last4,
	    APIKEY_LAST4_LEN) == 0);
	FUZZ_CHECK(strlen(k->display) < sizeof(k->display));
	/* With its own prefix expected, it still parses, identically. */
	FUZZ_CHECK(apikey_parse((const char *)data, size, k->prefix,
	    &again) == LK_OK);
	FUZZ_CHECK(memcmp(&again, k, sizeof(again)) == 0);
}

/* A generated key parses back, and no one-byte change of it does. */
static void
round_trip(const uint8_t *data, size_t size)
{
	char prefix[APIKEY_PREFIX_MAX + 2], key[APIKEY_MAX_LEN + 1];
	struct apikey gen, parsed;
	enum apikey_mode mode;
	size_t plen, len, pos;
	const uint8_t *rest;
	size_t restlen;

	plen = fuzz_split(data, size, ':', &rest, &restlen);
	if (plen == 0 || plen > APIKEY_PREFIX_MAX + 1) {
		return;
	}
	memcpy(prefix, data, plen);
	prefix[plen] = '\0';
	mode = restlen > 0 && (rest[0] & 1) ? APIKEY_TEST : APIKEY_LIVE;
	if (!apikey_prefix_valid(prefix)) {
		FUZZ_CHECK(apikey_generate(prefix, mode, key, sizeof(key),
		    &gen) == LK_EINVAL);
		return;
	}
	FUZZ_CHECK(apikey_generate(prefix, mode, key, sizeof(key),
	    &gen) == LK_OK);
	len = strlen(key);
	FUZZ_CHECK(len <= APIKEY_MAX_LEN);
	FUZZ_CHECK(apikey_parse(key, len, prefix, &parsed) == LK_OK);
	FUZZ_CHECK(memcmp(&parsed, &gen, sizeof(parsed)) == 0);
	FUZZ_CHECK(parsed.mode == mode);
	if (restlen >= 3) {
		pos = ((size_t)rest[1] << 8 | rest[2]) % len;
		if (restlen >= 4 && (uint8_t)key[pos] != rest[3]) {
			key[pos] = (char)rest[3];
			FUZZ_CHECK(apikey_parse(key, len, NULL, &parsed) ==
			    LK_EINVAL);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apikey k;
	enum lk_err e;

	memset(&k, 0xa5, sizeof(k));
	e = apikey_parse((const char *)data, size, NULL, &k);
	FUZZ_CHECK(e == LK_OK || e == LK_EINVAL || e == LK_ETOOBIG);
	FUZZ_CHECK((e == LK_ETOOBIG) == (size > APIKEY_MAX_LEN));
	if (e == LK_OK) {
		check_parsed(data, size, &k);
	}
	(void)apikey_looks_like((const char *)data, size);	/* no crash */
	round_trip(data, size);
	return 0;
}
