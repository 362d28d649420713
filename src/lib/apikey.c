/*
 * apikey.c: the API key format: generation from RAND_bytes(), parsing
 * with a CRC-32 checksum, and the SHA-256 under which a key is stored.
 *
 * Pure apart from RAND_bytes(): no I/O, no globals, no database.  Knows
 * nothing of orgs, permissions or how keys are stored, so that a mistyped
 * or truncated key is refused before any round trip.  Buffers that held
 * a key or its random bytes are wiped before returning.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "apikey.h"
#include "digest.h"
#include "err.h"

#define MODE_LEN	4	/* "live", "test" */
#define BASE62		62
/* Bytes at or above this are discarded: 248 = 4 * 62 keeps % 62 uniform. */
#define RAND_LIMIT	248
#define RAND_CHUNK	32
/* The checksummed tail: secret and checksum. */
#define TAIL_LEN	(APIKEY_SECRET_LEN + APIKEY_CHECKSUM_LEN)

static const char base62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Returns the value of a base62 character, or -1. */
static int
base62_value(unsigned char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'A' && c <= 'Z') {
		return c - 'A' + 10;
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 36;
	}
	return -1;
}

/* Returns 1 if c is an ASCII letter or digit, whatever the locale. */
static int
ascii_alnum(unsigned char c)
{
	return base62_value(c) != -1;
}

/* CRC-32 as in zlib and IEEE 802.3 (reflected polynomial 0xedb88320). */
static uint32_t
crc32_ieee(const char *p, size_t n)
{
	uint32_t crc = 0xffffffffU;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		crc ^= (unsigned char)p[i];
		for (k = 0; k < 8; k++) {
			crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1U)));
		}
	}
	return crc ^ 0xffffffffU;
}

/* Writes v as APIKEY_CHECKSUM_LEN base62 digits, most significant first. */
static void
checksum_encode(uint32_t v, char out[APIKEY_CHECKSUM_LEN])
{
	int i;

	for (i = APIKEY_CHECKSUM_LEN - 1; i >= 0; i--) {
		out[i] = base62[v % BASE62];
		v /= BASE62;
	}
}

/* Decodes APIKEY_CHECKSUM_LEN base62 digits.  Returns 0 or -1. */
static int
checksum_decode(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	int i, d;

	/* 62^6 < 2^36, so v cannot overflow. */
	for (i = 0; i < APIKEY_CHECKSUM_LEN; i++) {
		if ((d = base62_value((unsigned char)s[i])) == -1) {
			return -1;
		}
		v = v * BASE62 + (uint64_t)d;
	}
	if (v > UINT32_MAX) {
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Returns the length of prefix if valid, else 0. */
static size_t
prefix_len(const char *prefix)
{
	size_t i, n;

	if (prefix == NULL) {
		return 0;
	}
	n = strnlen(prefix, APIKEY_PREFIX_MAX + 1);
	if (n > APIKEY_PREFIX_MAX) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!ascii_alnum((unsigned char)prefix[i])) {
			return 0;
		}
	}
	return n;
}

/*
 * Finds the prefix and mode of s: "<1..16 alnum>_<live|test>_".  Returns
 * the length of that head and sets *plen and *mode, or returns 0.
 */
static size_t
parse_head(const char *s, size_t len, size_t *plen, enum apikey_mode *mode)
{
	const char *us;
	size_t i, n;

	if ((us = memchr(s, '_', len)) == NULL) {
		return 0;
	}
	n = (size_t)(us - s);
	if (n == 0 || n > APIKEY_PREFIX_MAX) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!ascii_alnum((unsigned char)s[i])) {
			return 0;
		}
	}
	if (len - n - 1 < MODE_LEN + 1 || s[n + 1 + MODE_LEN] != '_') {
		return 0;
	}
	if (memcmp(s + n + 1, "live", MODE_LEN) == 0) {
		*mode = APIKEY_LIVE;
	} else if (memcmp(s + n + 1, "test", MODE_LEN) == 0) {
		*mode = APIKEY_TEST;
	} else {
		return 0;
	}
	*plen = n;
	return n + 1 + MODE_LEN + 1;
}

/* Returns 1 if s (len bytes) is all base62. */
static int
base62_run(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (base62_value((unsigned char)s[i]) == -1) {
			return 0;
		}
	}
	return 1;
}

/* Fills *out from a key already checked to be well-formed. */
static enum lk_err
describe(const char *key, size_t len, size_t plen, enum apikey_mode mode,
    struct apikey *out)
{
	struct apikey k;

	memset(&k, 0, sizeof(k));
	if (digest_sha256(key, len, k.hash) != LK_OK) {
		return LK_ECRYPTO;
	}
	memcpy(k.prefix, key, plen);
	k.prefix[plen] = '\0';
	k.mode = mode;
	/* The head "prefix_mode_" is what is shown in listings. */
	memcpy(k.display, key, plen + 1 + MODE_LEN + 1);
	k.display[plen + 1 + MODE_LEN + 1] = '\0';
	memcpy(k.last4, key + len - APIKEY_LAST4_LEN, APIKEY_LAST4_LEN);
	k.last4[APIKEY_LAST4_LEN] = '\0';
	*out = k;
	return LK_OK;
}

const char *
apikey_mode_str(enum apikey_mode mode)
{
	switch (mode) {
	case APIKEY_LIVE:
		return "live";
	case APIKEY_TEST:
		return "test";
	}
	return "invalid";
}

enum lk_err
apikey_mode_parse(const char *s, enum apikey_mode *out)
{
	if (s == NULL) {
		return LK_EINVAL;
	}
	if (strcmp(s, "live") == 0) {
		*out = APIKEY_LIVE;
	} else if (strcmp(s, "test") == 0) {
		*out = APIKEY_TEST;
	} else {
		return LK_EINVAL;
	}
	return LK_OK;
}

int
apikey_prefix_valid(const char *prefix)
{
	return prefix_len(prefix) != 0;
}

enum lk_err
apikey_random(char *out, size_t n)
{
	unsigned char rnd[RAND_CHUNK];
	size_t got = 0, i;

	while (got < n) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			OPENSSL_cleanse(rnd, sizeof(rnd));
			return LK_ECRYPTO;
		}
		/* Rejection sampling: bytes past the last multiple of 62
		 * would favour the first characters. */
		for (i = 0; i < sizeof(rnd) && got < n; i++) {
			if (rnd[i] < RAND_LIMIT) {
				out[got++] = base62[rnd[i] % BASE62];
			}
		}
	}
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return LK_OK;
}

enum lk_err
apikey_generate(const char *prefix, enum apikey_mode mode, char *out,
    size_t outsz, struct apikey *parsed)
{
	char key[APIKEY_MAX_LEN + 1];
	struct apikey k;
	size_t plen, len, head;
	enum lk_err err;

	if ((plen = prefix_len(prefix)) == 0 ||
	    (mode != APIKEY_LIVE && mode != APIKEY_TEST) || out == NULL) {
		return LK_EINVAL;
	}
	head = plen + 1 + MODE_LEN + 1;
	len = head + TAIL_LEN;
	if (outsz <= len) {
		return LK_ETOOBIG;
	}
	memcpy(key, prefix, plen);
	key[plen] = '_';
	memcpy(key + plen + 1, apikey_mode_str(mode), MODE_LEN);
	key[head - 1] = '_';
	if ((err = apikey_random(key + head, APIKEY_SECRET_LEN)) != LK_OK) {
		goto done;
	}
	checksum_encode(crc32_ieee(key, head + APIKEY_SECRET_LEN),
	    key + head + APIKEY_SECRET_LEN);
	key[len] = '\0';
	if ((err = describe(key, len, plen, mode, &k)) != LK_OK) {
		goto done;
	}
	memcpy(out, key, len + 1);
	if (parsed != NULL) {
		*parsed = k;
	}

done:
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

enum lk_err
apikey_parse(const char *key, size_t len, const char *expected_prefix,
    struct apikey *out)
{
	enum apikey_mode mode;
	size_t plen, head;
	uint32_t sum;

	if (len > APIKEY_MAX_LEN) {
		return LK_ETOOBIG;
	}
	if (key == NULL || out == NULL ||
	    (head = parse_head(key, len, &plen, &mode)) == 0 ||
	    len - head != TAIL_LEN || !base62_run(key + head, TAIL_LEN) ||
	    checksum_decode(key + len - APIKEY_CHECKSUM_LEN, &sum) == -1 ||
	    sum != crc32_ieee(key, len - APIKEY_CHECKSUM_LEN)) {
		return LK_EINVAL;
	}
	if (expected_prefix != NULL &&
	    (strnlen(expected_prefix, plen + 1) != plen ||
	    memcmp(expected_prefix, key, plen) != 0)) {
		return LK_EINVAL;
	}
	return describe(key, len, plen, mode, out);
}

int
apikey_looks_like(const char *s, size_t len)
{
	enum apikey_mode mode;
	size_t plen, head;

	if (s == NULL || (head = parse_head(s, len, &plen, &mode)) == 0) {
		return 0;
	}
	return len > head && base62_run(s + head, len - head);
}

void
apikey_hex(const unsigned char hash[APIKEY_HASH_LEN],
    char out[2 * APIKEY_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < APIKEY_HASH_LEN; i++) {
		out[2 * i] = hex[hash[i] >> 4];
		out[2 * i + 1] = hex[hash[i] & 0xf];
	}
	out[2 * APIKEY_HASH_LEN] = '\0';
}
