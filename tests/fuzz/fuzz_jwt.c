/*
 * fuzz_jwt.c: jwt_verify() with a fixed key, on raw tokens and on tokens
 * this harness signs itself, so that mutated headers and claims get past
 * the signature and reach the claim checks.
 *
 * The first byte picks the shape of the rest of the input:
 *   'C'  a payload (claims JSON): signed under {"alg":"HS256","typ":"JWT"}
 *   'H'  header JSON, a newline, payload JSON: both signed as given
 *   else the whole input is a token
 * Invariants: only the documented errors come back; a token that
 * verifies has claims with sub, org and typ set, typ "user" or "direct",
 * iat and exp within the leeway of now; signing those claims again gives
 * a token that verifies to the same claims; the token verifies the same
 * with the key as the previous one behind another current key, and is
 * refused by a wrong key alone; changing any one byte of it breaks it;
 * every token is decided alike by the keys made ready
 * (jwt_keys_prepare(), as workers verify) and by the raw keys.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz.h"
#include "jwt.h"

#define NOW	INT64_C(1767225600)	/* 2026-01-01T00:00:00Z */
#define LEEWAY	60

static const unsigned char key[] = "fuzzing-key-0123456789abcdef0123456789";
static const unsigned char other[] = "another-key-0123456789abcdef0123456789";

/* Appends the base64url (no padding) of in (n bytes) to out at *pos. */
static int
b64url(const uint8_t *in, size_t n, char *out, size_t outsz, size_t *pos)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t k, chars = n - i >= 3 ? 4 : n - i + 1;

		if (i + 1 < n) {
			v |= (uint32_t)in[i + 1] << 8;
		}
		if (i + 2 < n) {
			v |= in[i + 2];
		}
		if (*pos + chars >= outsz) {
			return -1;
		}
		for (k = 0; k < chars; k++) {
			out[(*pos)++] = abc[v >> (18 - 6 * k) & 63];
		}
	}
	return 0;
}

/* Builds header.payload.signature under key into out; returns its length
 * or 0 when it does not fit. */
static size_t
sign(const uint8_t *h, size_t hlen, const uint8_t *p, size_t plen,
    char *out, size_t outsz)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t pos = 0;

	if (b64url(h, hlen, out, outsz, &pos) == -1 || pos + 1 >= outsz) {
		return 0;
	}
	out[pos++] = '.';
	if (b64url(p, plen, out, outsz, &pos) == -1 || pos + 1 >= outsz) {
		return 0;
	}
	if (HMAC(EVP_sha256(), key, (int)(sizeof(key) - 1),
	    (const unsigned char *)out, pos, mac, &maclen) == NULL) {
		abort();
	}
	out[pos++] = '.';
	if (b64url(mac, maclen, out, outsz, &pos) == -1) {
		return 0;
	}
	out[pos] = '\0';
	return pos;
}

static void
same_claims(const struct jwt_claims *a, const struct jwt_claims *b)
{
	FUZZ_CHECK(strcmp(a->sub, b->sub) == 0);
	FUZZ_CHECK(strcmp(a->org, b->org) == 0);
	FUZZ_CHECK(strcmp(a->typ, b->typ) == 0);
	FUZZ_CHECK(strcmp(a->mode, b->mode) == 0);
	FUZZ_CHECK(strcmp(a->rtype, b->rtype) == 0);
	FUZZ_CHECK(strcmp(a->rid, b->rid) == 0);
	FUZZ_CHECK(a->ver == b->ver);
	FUZZ_CHECK(a->iat == b->iat);
	FUZZ_CHECK(a->exp == b->exp);
}

/* keys and rolled below, made ready once for the whole run (a worker's
 * keys live as long as it does). */
static const struct jwt_keys *
ready_keys(int which)
{
	static struct jwt_keys k[2];
	static int done;

	if (!done) {
		k[0].current = key;
		k[0].current_len = sizeof(key) - 1;
		k[1].current = other;
		k[1].current_len = sizeof(other) - 1;
		k[1].previous = key;
		k[1].previous_len = sizeof(key) - 1;
		if (jwt_keys_prepare(&k[0]) != LK_OK ||
		    jwt_keys_prepare(&k[1]) != LK_OK) {
			abort();
		}
		done = 1;
	}
	return &k[which];
}

static void
check_token(const char *tok, size_t len)
{
	const struct jwt_keys keys = { .current = key,
	    .current_len = sizeof(key) - 1 };
	const struct jwt_keys rolled = { .current = other,
	    .current_len = sizeof(other) - 1, .previous = key,
	    .previous_len = sizeof(key) - 1 };
	const struct jwt_keys wrong = { .current = other,
	    .current_len = sizeof(other) - 1 };
	struct jwt_claims c, c2;
	char again[JWT_MAX_LEN + 1], *copy;
	enum lk_err e, e2;
	size_t i;

	memset(&c, 0, sizeof(c));
	e = jwt_verify(tok, len, &keys, NOW, LEEWAY, &c);
	FUZZ_CHECK(e == LK_OK || e == LK_EINVAL || e == LK_ETOOBIG ||
	    e == LK_EDENIED || e == LK_EEXPIRED);
	FUZZ_CHECK((e == LK_ETOOBIG) == (len > JWT_MAX_LEN));
	memset(&c2, 0, sizeof(c2));
	e2 = jwt_verify(tok, len, &rolled, NOW, LEEWAY, &c2);
	FUZZ_CHECK(e2 == e);
	if (e == LK_OK) {
		same_claims(&c, &c2);
	}
	memset(&c2, 0, sizeof(c2));
	FUZZ_CHECK(jwt_verify(tok, len, ready_keys(0), NOW, LEEWAY, &c2) == e);
	if (e == LK_OK) {
		same_claims(&c, &c2);
	}
	memset(&c2, 0, sizeof(c2));
	FUZZ_CHECK(jwt_verify(tok, len, ready_keys(1), NOW, LEEWAY, &c2) == e);
	if (e != LK_OK) {
		return;
	}
	same_claims(&c, &c2);
	FUZZ_CHECK(jwt_looks_like(tok, len));
	FUZZ_CHECK(jwt_verify(tok, len, &wrong, NOW, LEEWAY, &c2) ==
	    LK_EDENIED);
	FUZZ_CHECK(c.sub[0] != '\0' && c.org[0] != '\0');
	FUZZ_CHECK(strcmp(c.typ, "user") == 0 || strcmp(c.typ, "direct") == 0);
	FUZZ_CHECK(c.iat <= NOW + LEEWAY);
	FUZZ_CHECK(c.exp > NOW - LEEWAY);

	/* Signed again by jwt_sign, the claims come back unchanged. */
	FUZZ_CHECK(jwt_sign(&c, key, sizeof(key) - 1, again,
	    sizeof(again)) == LK_OK);
	memset(&c2, 0, sizeof(c2));
	FUZZ_CHECK(jwt_verify(again, strlen(again), &keys, NOW, LEEWAY,
	    &c2) == LK_OK);
	same_claims(&c, &c2);

	/* Each token has one spelling: no other byte string verifies. */
	copy = fuzz_strndup((const uint8_t *)tok, len);
	for (i = 0; i < len; i++) {
		char was = copy[i];

		copy[i] = was == 'A' ? 'B' : 'A';
		FUZZ_CHECK(jwt_verify(copy, len, &keys, NOW, LEEWAY, &c2) !=
		    LK_OK);
		copy[i] = was;
	}
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char tok[2 * JWT_MAX_LEN];
	const uint8_t *rest;
	size_t restlen, hlen, len;

	if (size > 0 && data[0] == 'C') {
		len = sign((const uint8_t *)header, sizeof(header) - 1,
		    data + 1, size - 1, tok, sizeof(tok));
		if (len > 0) {
			check_token(tok, len);
		}
	} else if (size > 0 && data[0] == 'H') {
		hlen = fuzz_split(data + 1, size - 1, '\n', &rest, &restlen);
		len = sign(data + 1, hlen, rest, restlen, tok, sizeof(tok));
		if (len > 0) {
			check_token(tok, len);
		}
	} else {
		check_token((const char *)data, size);
	}
	return 0;
}
