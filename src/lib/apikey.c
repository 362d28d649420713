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

/*
 * crc32_table[b]: eight shift-and-xor rounds of the reflected polynomial
 * 0xedb88320 applied to b.  A byte a look-up rather than a bit a round:
 * the bitwise loop was about 2k instructions of every request carrying an
 * API key, valid or malformed (callgrind, bench/callgrind).
 */
static const uint32_t crc32_table[256] = {
	0x00000000U, 0x77073096U, 0xee0e612cU, 0x990951baU,
	0x076dc419U, 0x706af48fU, 0xe963a535U, 0x9e6495a3U,
	0x0edb8832U, 0x79dcb8a4U, 0xe0d5e91eU, 0x97d2d988U,
	0x09b64c2bU, 0x7eb17cbdU, 0xe7b82d07U, 0x90bf1d91U,
	0x1db71064U, 0x6ab020f2U, 0xf3b97148U, 0x84be41deU,
	0x1adad47dU, 0x6ddde4ebU, 0xf4d4b551U, 0x83d385c7U,
	0x136c9856U, 0x646ba8c0U, 0xfd62f97aU, 0x8a65c9ecU,
	0x14015c4fU, 0x63066cd9U, 0xfa0f3d63U, 0x8d080df5U,
	0x3b6e20c8U, 0x4c69105eU, 0xd56041e4U, 0xa2677172U,
	0x3c03e4d1U, 0x4b04d447U, 0xd20d85fdU, 0xa50ab56bU,
	0x35b5a8faU, 0x42b2986cU, 0xdbbbc9d6U, 0xacbcf940U,
	0x32d86ce3U, 0x45df5c75U, 0xdcd60dcfU, 0xabd13d59U,
	0x26d930acU, 0x51de003aU, 0xc8d75180U, 0xbfd06116U,
	0x21b4f4b5U, 0x56b3c423U, 0xcfba9599U, 0xb8bda50fU,
	0x2802b89eU, 0x5f058808U, 0xc60cd9b2U, 0xb10be924U,
	0x2f6f7c87U, 0x58684c11U, 0xc1611dabU, 0xb6662d3dU,
	0x76dc4190U, 0x01db7106U, 0x98d220bcU, 0xefd5102aU,
	0x71b18589U, 0x06b6b51fU, 0x9fbfe4a5U, 0xe8b8d433U,
	0x7807c9a2U, 0x0f00f934U, 0x9609a88eU, 0xe10e9818U,
	0x7f6a0dbbU, 0x086d3d2dU, 0x91646c97U, 0xe6635c01U,
	0x6b6b51f4U, 0x1c6c6162U, 0x856530d8U, 0xf262004eU,
	0x6c0695edU, 0x1b01a57bU, 0x8208f4c1U, 0xf50fc457U,
	0x65b0d9c6U, 0x12b7e950U, 0x8bbeb8eaU, 0xfcb9887cU,
	0x62dd1ddfU, 0x15da2d49U, 0x8cd37cf3U, 0xfbd44c65U,
	0x4db26158U, 0x3ab551ceU, 0xa3bc0074U, 0xd4bb30e2U,
	0x4adfa541U, 0x3dd895d7U, 0xa4d1c46dU, 0xd3d6f4fbU,
	0x4369e96aU, 0x346ed9fcU, 0xad678846U, 0xda60b8d0U,
	0x44042d73U, 0x33031de5U, 0xaa0a4c5fU, 0xdd0d7cc9U,
	0x5005713cU, 0x270241aaU, 0xbe0b1010U, 0xc90c2086U,
	0x5768b525U, 0x206f85b3U, 0xb966d409U, 0xce61e49fU,
	0x5edef90eU, 0x29d9c998U, 0xb0d09822U, 0xc7d7a8b4U,
	0x59b33d17U, 0x2eb40d81U, 0xb7bd5c3bU, 0xc0ba6cadU,
	0xedb88320U, 0x9abfb3b6U, 0x03b6e20cU, 0x74b1d29aU,
	0xead54739U, 0x9dd277afU, 0x04db2615U, 0x73dc1683U,
	0xe3630b12U, 0x94643b84U, 0x0d6d6a3eU, 0x7a6a5aa8U,
	0xe40ecf0bU, 0x9309ff9dU, 0x0a00ae27U, 0x7d079eb1U,
	0xf00f9344U, 0x8708a3d2U, 0x1e01f268U, 0x6906c2feU,
	0xf762575dU, 0x806567cbU, 0x196c3671U, 0x6e6b06e7U,
	0xfed41b76U, 0x89d32be0U, 0x10da7a5aU, 0x67dd4accU,
	0xf9b9df6fU, 0x8ebeeff9U, 0x17b7be43U, 0x60b08ed5U,
	0xd6d6a3e8U, 0xa1d1937eU, 0x38d8c2c4U, 0x4fdff252U,
	0xd1bb67f1U, 0xa6bc5767U, 0x3fb506ddU, 0x48b2364bU,
	0xd80d2bdaU, 0xaf0a1b4cU, 0x36034af6U, 0x41047a60U,
	0xdf60efc3U, 0xa867df55U, 0x316e8eefU, 0x4669be79U,
	0xcb61b38cU, 0xbc66831aU, 0x256fd2a0U, 0x5268e236U,
	0xcc0c7795U, 0xbb0b4703U, 0x220216b9U, 0x5505262fU,
	0xc5ba3bbeU, 0xb2bd0b28U, 0x2bb45a92U, 0x5cb36a04U,
	0xc2d7ffa7U, 0xb5d0cf31U, 0x2cd99e8bU, 0x5bdeae1dU,
	0x9b64c2b0U, 0xec63f226U, 0x756aa39cU, 0x026d930aU,
	0x9c0906a9U, 0xeb0e363fU, 0x72076785U, 0x05005713U,
	0x95bf4a82U, 0xe2b87a14U, 0x7bb12baeU, 0x0cb61b38U,
	0x92d28e9bU, 0xe5d5be0dU, 0x7cdcefb7U, 0x0bdbdf21U,
	0x86d3d2d4U, 0xf1d4e242U, 0x68ddb3f8U, 0x1fda836eU,
	0x81be16cdU, 0xf6b9265bU, 0x6fb077e1U, 0x18b74777U,
	0x88085ae6U, 0xff0f6a70U, 0x66063bcaU, 0x11010b5cU,
	0x8f659effU, 0xf862ae69U, 0x616bffd3U, 0x166ccf45U,
	0xa00ae278U, 0xd70dd2eeU, 0x4e048354U, 0x3903b3c2U,
	0xa7672661U, 0xd06016f7U, 0x4969474dU, 0x3e6e77dbU,
	0xaed16a4aU, 0xd9d65adcU, 0x40df0b66U, 0x37d83bf0U,
	0xa9bcae53U, 0xdebb9ec5U, 0x47b2cf7fU, 0x30b5ffe9U,
	0xbdbdf21cU, 0xcabac28aU, 0x53b39330U, 0x24b4a3a6U,
	0xbad03605U, 0xcdd70693U, 0x54de5729U, 0x23d967bfU,
	0xb3667a2eU, 0xc4614ab8U, 0x5d681b02U, 0x2a6f2b94U,
	0xb40bbe37U, 0xc30c8ea1U, 0x5a05df1bU, 0x2d02ef8dU,
};

/* CRC-32 as in zlib and IEEE 802.3 (reflected polynomial 0xedb88320). */
static uint32_t
crc32_ieee(const char *p, size_t n)
{
	uint32_t crc = 0xffffffffU;
	size_t i;

	for (i = 0; i < n; i++) {
		crc = crc32_table[(crc ^ (unsigned char)p[i]) & 0xffU] ^
		    (crc >> 8);
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
